"""The course is consistent, every solution gets full marks, every stub gets 0."""
from __future__ import annotations

import shutil
import subprocess
import sys

from grader import exitcodes, manifest, selfcheck
from grader.__main__ import main
from grader.manifest import ROOT


def test_static_selfcheck_is_clean():
    assert selfcheck.static_problems() == []


def test_every_solution_gets_full_marks(solutions_run):
    bad = [(t["id"], x["name"], x["status"], x["message"][:200])
           for t in solutions_run["topics"] for x in t["tests"] if x["status"] != "passed"]
    assert bad == []
    graded = sum(t.points for t in manifest.load().topics
                 if not any(x["id"] == t.id and x["status"] == "unavailable" for x in solutions_run["topics"]))
    assert solutions_run["score"] == solutions_run["max_score"] == graded
    assert solutions_run["exit_code"] == exitcodes.FULL_MARKS


def test_every_stub_scores_zero_and_reports_not_started(stubs_run):
    assert stubs_run["score"] == 0
    assert stubs_run["exit_code"] == exitcodes.NOT_FULL
    for topic in stubs_run["topics"]:
        if topic["status"] == "unavailable":  # an optional extra is not installed here
            assert manifest.load().get(topic["id"]).requires, topic["id"]
            continue
        assert topic["status"] == "not_started", topic["id"]
        assert topic["tests"], f"{topic['id']} has no tests"
        for test in topic["tests"]:
            assert test["status"] == "not_started", (topic["id"], test["name"], test["message"])
    assert "not started" in stubs_run["stdout"]
    assert "python -m grader --hint" in stubs_run["stdout"]


def test_topics_are_graded_in_manifest_order(solutions_run):
    assert [t["id"] for t in solutions_run["topics"]] == manifest.load().ids


def test_list_usage_and_exit_codes(capsys, tmp_path):
    assert main(["--list"]) == exitcodes.FULL_MARKS
    listed = capsys.readouterr().out
    for topic in manifest.load().topics:
        assert topic.id in listed
    assert main(["no_such_topic"]) == exitcodes.USAGE
    assert main(["--submission", str(tmp_path / "missing")]) == exitcodes.USAGE
    assert main(["--solutions", "--submission", str(tmp_path)]) == exitcodes.USAGE
    assert "unknown topic no_such_topic" in capsys.readouterr().err


def test_grader_failure_is_not_a_student_failure(tmp_path):
    """A broken manifest is the grader's problem: exit 3, never 1."""
    (tmp_path / "manifest.toml").write_text("format_version = 99\n")
    env = {"GRADER_COURSE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "grader"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == exitcodes.GRADER_FAILED, proc.stderr
    assert "grader failed" in proc.stderr


def test_selfcheck_refuses_a_broken_course(tmp_path):
    course = tmp_path / "course"
    for part in ("manifest.toml", "README.md"):
        shutil.copy(ROOT / part, course / part if course.exists() else _mk(course) / part)
    for part in ("exercises", "solutions", "tests"):
        shutil.copytree(ROOT / part, course / part, ignore=shutil.ignore_patterns("__pycache__"))
    first, second = manifest.load().ids[:2]
    stub = course / "exercises" / f"{second}.py"
    stub.write_text(stub.read_text(encoding="utf-8").replace("TODO", "DONE"), encoding="utf-8")
    (course / "solutions" / "stray.py").write_text("x = 1\n")
    (course / "tests" / f"test_{first}.py").unlink()
    proc = subprocess.run([sys.executable, "-m", "grader.selfcheck"], cwd=ROOT,
                          env={"GRADER_COURSE": str(course), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"exercises/{second}.py has no TODO" in proc.stdout
    assert "orphan: solutions/stray.py" in proc.stdout
    assert f"missing tests/test_{first}.py" in proc.stdout


def _mk(path):
    path.mkdir(parents=True)
    return path
