"""The grader facing hostile student code: right verdicts, bounded time,
nothing left running, every other score intact.

selftest/course/ is a small course whose "exercises" misbehave on purpose
(spin holding the GIL, os._exit in a test, hang at import, SIGALRM blocked,
a bare except: that swallows the time-out, megabytes of output, a setsid
grandchild). Its timeout is 2 s and its grace 1 s.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from helpers import grade, by_name
from grader.manifest import ROOT

COURSE = Path(__file__).parent / "course"
VARIANTS = Path(__file__).parent / "variants"


def _processes_matching(text: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if text in cmd:
                found.append(f"{entry}: {cmd}")
    return found


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    # Four topics at a time: the hangs of one never disturb another's verdicts.
    return grade("-j", "4", course=COURSE, tmp=tmp_path_factory.mktemp("gallery"))


def _verdicts(run, topic_id):
    return {name: (t["status"], t["kind"]) for name, t in by_name(run, topic_id).items()}


def test_gallery_is_bounded_and_leaves_nothing_behind(gallery):
    # 8 topics, at most ~4 s per hang, 4 at a time: well under a minute even when loaded.
    assert gallery["elapsed"] < 60, gallery["elapsed"]
    assert _processes_matching("grader-selftest-escapee") == []
    # Only this gallery's suites: other gradings may be running on the machine.
    assert _processes_matching(f"--target {COURSE / 'exercises'}") == []
    assert gallery["exit_code"] == 1


def test_busy_loop_in_the_tests_thread_costs_one_test(gallery):
    assert _verdicts(gallery, "gil_spin") == {"test_spins": ("timeout", "busy loop"),
                                              "test_after": ("passed", "")}
    message = by_name(gallery, "gil_spin")["test_spins"]["message"]
    assert re.search(r"gil_spin\.py:[23] in work\(\)", message), message  # either line of the loop


def test_busy_worker_thread_is_named(gallery):
    spins = by_name(gallery, "thread_spin")["test_spins"]
    assert spins["status"] == "timeout"
    assert re.search(r"thread_spin\.py:[56] in spin\(\)", spins["message"]), spins["message"]
    assert by_name(gallery, "thread_spin")["test_after"]["status"] == "passed"


def test_os_exit_in_a_test_is_a_crash_and_later_tests_still_run(gallery):
    assert _verdicts(gallery, "exit_in_test") == {
        "test_before": ("passed", ""), "test_exits": ("crashed", "process died"),
        "test_after": ("passed", "")}


def test_hang_at_import_is_reported_once_per_test_quickly(gallery):
    tests = by_name(gallery, "import_hang")
    assert {t["status"] for t in tests.values()} == {"timeout"}
    for t in tests.values():
        assert t["kind"] == "hang at import"
        assert "import_hang.py:3" in t["message"]
        assert "if __name__ ==" in t["message"]


def test_hang_with_signals_blocked_is_killed_by_the_parent(gallery):
    assert _verdicts(gallery, "masked_hang")["test_before"] == ("passed", "")
    assert _verdicts(gallery, "masked_hang")["test_after"] == ("passed", "")
    exits = by_name(gallery, "masked_hang")["test_exits"]
    assert exits["status"] == "timeout"
    # faulthandler catches the loop on either of its two lines
    assert re.search(r"masked_hang\.py:1[01] in work\(\)", exits["message"]), exits["message"]


def test_swallowed_timeout_is_killed_and_explained(gallery):
    verdicts = _verdicts(gallery, "swallow")
    assert verdicts["test_before"] == verdicts["test_after"] == ("passed", "")
    exits = by_name(gallery, "swallow")["test_exits"]
    assert exits["status"] == "timeout"
    assert "bare `except:`" in exits["message"]
    assert "swallow.py:11" in exits["message"]


def test_megabytes_of_output_are_capped(gallery, tmp_path):
    assert _verdicts(gallery, "prints") == {"test_prints": ("passed", ""),
                                            "test_fails_after_printing": ("failed", "wrong result")}
    verbose = grade("prints", "-v", course=COURSE, tmp=tmp_path)
    assert len(verbose["stdout"]) < 200_000, len(verbose["stdout"])
    assert "earlier bytes of output cut" in verbose["stdout"]


def test_escaped_grandchild_is_killed(gallery):
    escapes = by_name(gallery, "escape")["test_escapes"]
    assert escapes["status"] == "failed"
    assert "never waited for it" in escapes["message"]


def test_other_topics_keep_their_scores(tmp_path):
    """One broken topic (syntax error) and one deadlocking topic beside a correct one."""
    submission = tmp_path / "exercises"
    shutil.copytree(ROOT / "solutions", submission, ignore=shutil.ignore_patterns("__pycache__"))
    (submission / "framing.py").write_text(
        (ROOT / "solutions" / "framing.py").read_text(encoding="utf-8") + "\ndef broken(:\n",
        encoding="utf-8")
    shutil.copy(VARIANTS / "deadlock" / "naive_lock_order.py", submission / "deadlock.py")
    run = grade("tcp_server", "framing", "deadlock", "--submission", str(submission), tmp=tmp_path)
    topics = {t["id"]: t for t in run["topics"]}
    assert topics["tcp_server"]["score"] == topics["tcp_server"]["max_score"]
    framing = topics["framing"]["tests"]
    assert {t["status"] for t in framing} == {"error"}
    assert all("SyntaxError in framing.py:" in t["message"] for t in framing)
    deadlocked = [t for t in topics["deadlock"]["tests"] if t["status"] == "deadlock"]
    assert deadlocked, topics["deadlock"]
    message = by_name(run, "deadlock")["test_opposite_transfers_do_not_deadlock"]["message"]
    assert "Account(" in message and ".lock" in message and "deadlock.py:" in message
    assert run["exit_code"] == 1
    assert run["elapsed"] < 120


def test_missing_optional_extra_leaves_the_topic_out(gallery):
    topic = next(t for t in gallery["topics"] if t["id"] == "needs_extra")
    assert topic["status"] == "unavailable"
    assert topic["max_score"] == 0 and topic["tests"] == []
    assert 'pip install -e ".[green]"' in topic["unavailable"]
    assert gallery["max_score"] == 14  # the 8 other topics' points, not 19
