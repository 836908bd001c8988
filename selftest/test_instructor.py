"""Instructor tooling: bulk grading, the student template, other result formats."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from grader.manifest import ROOT

THREE = ["tcp_server", "framing", "deadlock"]
VARIANTS = Path(__file__).parent / "variants"


def _run(args, cwd=ROOT, env=None, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "NO_COLOR": "1", **(env or {})})


def _class(root: Path) -> Path:
    """Ten submissions: one full marks, one deadlocks, one syntax error, one edited its tests..."""
    for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"):
        (root / name / "exercises").mkdir(parents=True)
        for topic in THREE:
            shutil.copy(ROOT / "exercises" / f"{topic}.py", root / name / "exercises")
    for topic in THREE:
        shutil.copy(ROOT / "solutions" / f"{topic}.py", root / "alice" / "exercises")
    shutil.copy(ROOT / "solutions" / "framing.py", root / "bob" / "exercises")
    shutil.copy(VARIANTS / "deadlock" / "naive_lock_order.py", root / "carol" / "exercises" / "deadlock.py")
    (root / "dave" / "exercises" / "framing.py").write_text("def broken(:\n")
    (root / "erin" / "tests").mkdir()  # edited tests in their repo change nothing
    (root / "erin" / "tests" / "test_framing.py").write_text("def test_x():\n    pass\n")
    shutil.rmtree(root / "frank" / "exercises")  # a bare folder of modules, no exercises/
    (root / "frank").joinpath("tcp_server.py").write_bytes((ROOT / "solutions" / "tcp_server.py").read_bytes())
    return root


def test_bulk_grading_a_class(tmp_path):
    submissions = _class(tmp_path / "class")
    out = tmp_path / "out"
    started = time.monotonic()
    proc = _run(["-m", "grader.bulk", str(submissions), "--out", str(out), "-j", "3",
                 "--topics", *THREE])
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert len(rows) == 10 and all(r["status"] == "graded" for r in rows.values())
    assert rows["alice"]["total"] == "30" and rows["alice"]["max"] == "30"
    assert rows["bob"]["framing"] == "10" and rows["bob"]["total"] == "10"
    assert 0 < float(rows["carol"]["deadlock"]) < 10
    assert rows["dave"]["total"] == "0" and rows["erin"]["total"] == "0"
    assert rows["frank"]["tcp_server"] == "10"
    carol = json.loads((out / "carol.json").read_text())
    assert any(t["status"] == "deadlock" for topic in carol["topics"] for t in topic["tests"])
    dave = json.loads((out / "dave.json").read_text())
    framing = next(t for t in dave["topics"] if t["id"] == "framing")
    assert {t["status"] for t in framing["tests"]} == {"error"}
    assert "[10/10]" in proc.stdout  # progress while it runs
    # Resume: nothing left to grade, the CSV is the same.
    again = _run(["-m", "grader.bulk", str(submissions), "--out", str(out), "--topics", *THREE])
    assert "0 to grade" in again.stdout
    print(f"bulk grading of 10 submissions x 3 topics: {elapsed:.1f} s")


def test_student_template(tmp_path):
    dest = tmp_path / "template"
    assert _run(["-m", "grader.export", str(dest)]).returncode == 0
    assert not (dest / "solutions").exists() and not (dest / "selftest").exists()
    assert (dest / "exercises").is_dir() and (dest / "tests").is_dir()
    assert "python -m grader" in (dest / "README.md").read_text()
    check = _run(["-m", "grader.selfcheck"], cwd=dest)
    assert check.returncode == 0, check.stdout
    graded = _run(["-m", "grader", *THREE, "--json", str(tmp_path / "r.json")], cwd=dest)
    assert graded.returncode == 1
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0
    # Tamper evidence: an edited test shows up in the Classroom run and the self-check.
    suite = dest / "tests" / "test_framing.py"
    suite.write_text(suite.read_text() + "\n# edited\n")
    classroom = _run(["-m", "grader", "framing", "--classroom"], cwd=dest)
    assert "::warning title=Grader files changed::changed: tests/test_framing.py" in classroom.stdout
    assert "changed: tests/test_framing.py" in _run(["-m", "grader.selfcheck"], cwd=dest).stdout


def test_template_with_hidden_tests(tmp_path):
    dest = tmp_path / "template"
    assert _run(["-m", "grader.export", str(dest), "--hidden-tests"]).returncode == 0
    assert not (dest / "tests").exists()
    workflow = (dest / ".github" / "workflows" / "classroom.yml").read_text()
    assert "secrets.GRADER_TESTS_TOKEN" in workflow and "vars.GRADER_TESTS_REPO" in workflow
    local = _run(["-m", "grader"], cwd=dest)
    assert local.returncode == 2 and "hidden" in local.stderr
    assert _run(["-m", "grader.selfcheck"], cwd=dest).returncode == 0
    # What the workflow's fetch step does, with this repository standing in for the private one.
    shutil.copytree(ROOT / "tests", dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    graded = _run(["-m", "grader", "framing", "--classroom"], cwd=dest)
    assert graded.returncode == 0 and "framing=" in graded.stdout
    assert "Grader files changed" not in graded.stdout


def test_result_formats(tmp_path):
    junit, gs = tmp_path / "junit.xml", tmp_path / "results.json"
    proc = _run(["-m", "grader", "framing", "deadlock", "--junit", str(junit), "--gradescope", str(gs),
                 "--json", str(tmp_path / "own.json")])
    assert proc.returncode == 1
    own = json.loads((tmp_path / "own.json").read_text())
    suites = ET.parse(junit).getroot()
    assert [s.get("name") for s in suites] == ["framing", "deadlock"]
    assert sum(int(s.get("tests")) for s in suites) == sum(len(t["tests"]) for t in own["topics"])
    data = json.loads(gs.read_text())
    assert data["score"] == own["score"] and data["max_score"] == own["max_score"]
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in data["tests"])


def test_gradescope_zip(tmp_path):
    path = tmp_path / "autograder.zip"
    assert _run(["-m", "grader.export", "--gradescope-zip", str(path)]).returncode == 0
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "manifest.toml", "pyproject.toml"} <= names
        assert any(n.startswith("tests/test_") for n in names)
        assert not any(n.startswith(("solutions/", "selftest/")) for n in names)
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111
