"""The grader facing hostile student code: right verdicts, bounded time,
nothing left running, every other score intact.

selftest/course/ is a small course whose "exercises" misbehave on purpose
(spin holding the GIL, os._exit and sys.exit in a test and at import, hang at
import, SIGALRM blocked, a bare except: that swallows the time-out, megabytes
and a gibibyte of output, a setsid grandchild, a fork bomb, a memory bomb,
monkeypatched threading/socket/builtins, a write into the course's own tests,
a fixed port). Its timeout is 2 s and its grace 1 s. It is graded from a
copy that any user can read, so the grader can also drop root (grader/sandbox.py).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from helpers import by_name, grade, processes_matching
from grader import sandbox
from grader.manifest import ROOT

COURSE = Path(__file__).parent / "course"
VARIANTS = Path(__file__).parent / "variants"




def _copy_course() -> Path:
    """A copy of the hostile course that every user can read (tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-gallery-"))
    folder.chmod(0o755)
    shutil.copytree(COURSE, folder / "course")
    for path in [folder / "course", *(folder / "course").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder / "course"


def _process_limit() -> bool:
    """Whether a fork bomb would be bounded here (see grader/sandbox.py)."""
    plan = sandbox.plan("probe", 1, [], [])
    sandbox.release(plan)
    return not any("no process limit" in note for note in plan.notes)


@pytest.fixture(scope="module")
def course():
    copy = _copy_course()
    yield copy
    shutil.rmtree(copy.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def gallery(course, tmp_path_factory):
    # Four topics at a time: the hangs of one never disturb another's verdicts.
    # The fixed port has its own test; a fork bomb only runs where it is bounded.
    from grader import manifest
    skip = {"fixed_port"} | (set() if _process_limit() else {"fork_bomb"})
    topics = [t for t in manifest.load(course / "manifest.toml").ids if t not in skip]
    return grade(*topics, "-j", "4", course=course, tmp=tmp_path_factory.mktemp("gallery"))


def _verdicts(run, topic_id):
    return {name: (t["status"], t["kind"]) for name, t in by_name(run, topic_id).items()}


def test_gallery_is_bounded_and_leaves_nothing_behind(gallery, course):
    # 16 topics, at most ~4 s per hang, 4 at a time: well under two minutes even when loaded.
    assert gallery["elapsed"] < 120, gallery["elapsed"]
    assert processes_matching("grader-selftest-escapee") == []
    # Only this gallery's suites: other gradings may be running on the machine.
    assert processes_matching(f"--target {course / 'exercises'}") == []
    assert processes_matching(str(course)) == []
    assert gallery["exit_code"] == 1
    if sandbox.PIDS_V1.is_dir():  # every pids cgroup of the gallery's grader is gone
        assert not [p for p in sandbox.PIDS_V1.glob("grader-*")
                    if not Path(f"/proc/{p.name.split('-')[1]}").exists()]


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
        "test_after": ("passed", ""), "test_sys_exit": ("error", "exception")}
    assert "sys.exit(0)" in by_name(gallery, "exit_in_test")["test_sys_exit"]["message"]


def test_exit_at_import_is_named_for_every_test(gallery):
    for name, t in by_name(gallery, "exit_at_import").items():
        assert (t["status"], t["kind"]) == ("error", "import error"), name
        assert "sys.exit(3)" in t["message"] and "exit_at_import.py:3" in t["message"]
    for name, t in by_name(gallery, "os_exit_at_import").items():
        assert t["status"] == "crashed", name
        assert t["message"].startswith("Importing your module ended the test process")


def test_fork_bomb_is_bounded_and_killed(gallery):
    if not _process_limit():
        pytest.skip("no process limit can be applied here (root without a pids cgroup)")
    verdicts = _verdicts(gallery, "fork_bomb")
    assert verdicts["test_bomb"][0] == "timeout", verdicts
    assert verdicts["test_after"] == ("passed", "")
    # (where the code was is not asserted: with hundreds of copies spinning, the
    # stuck process may not get the CPU to write its stack before it is killed)


def test_memory_bomb_is_a_clear_error(gallery):
    assert _verdicts(gallery, "memory_bomb") == {"test_hog": ("error", "exception"),
                                                 "test_after": ("passed", "")}
    message = by_name(gallery, "memory_bomb")["test_hog"]["message"]
    assert "MemoryError" in message and "MiB of memory" in message, message


def test_a_gibibyte_printed_is_cut_at_the_file_size_limit(gallery):
    assert _verdicts(gallery, "flood") == {"test_flood": ("error", "exception"),
                                           "test_after": ("passed", "")}
    message = by_name(gallery, "flood")["test_flood"]["message"]
    assert "File too large" in message and "includes what your code prints" in message, message


def test_monkeypatching_stays_in_its_topic(gallery):
    # The module replaced socket.socket, threading.Thread, open and print at import:
    # its own tests see that, the grader does not, and no other topic does.
    verdicts = _verdicts(gallery, "patches")
    assert verdicts["test_fine"] == ("passed", "")
    assert verdicts["test_socket"] == ("error", "exception")
    assert "patched by the student" in by_name(gallery, "patches")["test_socket"]["message"]
    assert _verdicts(gallery, "prints")["test_prints"] == ("passed", "")


def test_writing_into_the_course_is_refused(gallery, course):
    test = by_name(gallery, "writer")["test_plant"]
    assert test["status"] == "error", test
    if os.geteuid() == 0:  # a read-only view of the course, in a private mount namespace
        assert "Read-only file system" in test["message"] or "Permission denied" in test["message"]
        assert "may write only in its working directory" in test["message"]
        assert not (course / "tests" / "test_planted.py").exists()
    else:  # the change is found afterwards, and the topic scores nothing
        assert test["kind"] == "wrote outside" and "tests/test_planted.py" in test["message"]


def test_fixed_port_already_taken_is_explained(course, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        module = course / "exercises" / "fixed_port.py"
        module.write_text(module.read_text().replace("PORT = 0", f"PORT = {port}"))
        run = grade("fixed_port", course=course, tmp=tmp_path)
    test = by_name(run, "fixed_port")["test_fine"]
    assert (test["status"], test["kind"]) == ("error", "import error"), test
    assert "Address already in use" in test["message"] and "port 0" in test["message"]


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
    # every other topic's points, not the 5 of needs_extra
    expected = 14 + 6 + (1 if _process_limit() else 0)
    assert gallery["max_score"] == expected


def test_events_through_a_file_give_the_same_verdicts(gallery, course, tmp_path, monkeypatch):
    """Windows has no pipe to pass to the child: there the events go through a file
    (grader/runner.py EventFile). GRADER_EVENTS=file takes that path here."""
    monkeypatch.setenv("GRADER_EVENTS", "file")
    topics = ["gil_spin", "exit_in_test", "swallow", "import_hang"]
    run = grade(*topics, "-j", "4", course=course, tmp=tmp_path)
    for topic in topics:
        assert _verdicts(run, topic) == _verdicts(gallery, topic), topic
