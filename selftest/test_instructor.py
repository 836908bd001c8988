"""Instructor tooling: bulk grading, the student template, other result formats."""
from __future__ import annotations

import csv
import hashlib
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
    # grace copied carol's deadlock.py byte for byte
    shutil.copy(root / "carol" / "exercises" / "deadlock.py", root / "grace" / "exercises" / "deadlock.py")
    return root


def _bulk(submissions, out, *extra):
    return _run(["-m", "grader.bulk", str(submissions), "--out", str(out), *extra])


def test_bulk_grading_a_class(tmp_path):
    from test_json_schema import _validate

    submissions = _class(tmp_path / "class")
    out = tmp_path / "out"
    started = time.monotonic()
    proc = _bulk(submissions, out, "-j", "3", "--topics", *THREE)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert len(rows) == 10 and all(r["status"] == "graded" for r in rows.values())
    assert rows["alice"]["total"] == "30" and rows["alice"]["max"] == "30"
    assert rows["bob"]["framing"] == "10" and rows["bob"]["total"] == "10"
    assert 0 < float(rows["carol"]["deadlock"]) < 10
    assert rows["grace"]["deadlock"] == rows["carol"]["deadlock"]
    assert rows["dave"]["total"] == "0" and rows["erin"]["total"] == "0"
    assert rows["frank"]["tcp_server"] == "10"
    carol = json.loads((out / "carol.json").read_text())
    assert any(t["status"] == "deadlock" for topic in carol["topics"] for t in topic["tests"])
    dave = json.loads((out / "dave.json").read_text())
    framing = next(t for t in dave["topics"] if t["id"] == "framing")
    assert {t["status"] for t in framing["tests"]} == {"error"}
    assert "[10/10]" in proc.stdout  # progress while it runs

    # Identical files are graded once: the stubs, and grace's copy of carol's deadlock.py.
    data = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    for student in data.values():
        _validate(student)  # the grader's schema, plus "bulk"
        assert sorted(student["bulk"]["graded"] + student["bulk"]["reused"]) == sorted(THREE)
    topic = {(name, t["id"]): t for name, d in data.items() for t in d["topics"]}
    grace = topic["grace", "deadlock"]["bulk"]
    assert grace["reused"] and grace["graded_for"] == "carol" and "carol" in grace["reason"]
    assert topic["grace", "deadlock"]["tests"] == topic["carol", "deadlock"]["tests"]
    judy = topic["judy", "framing"]["bulk"]  # judy handed in the untouched stubs
    assert judy["reused"] and judy["reason"] == "identical to the course's stub"
    assert topic["judy", "framing"]["tests"] == topic[judy["graded_for"], "framing"]["tests"]
    assert topic["bob", "framing"]["bulk"]["graded_for"] == "alice"  # both: the reference solution
    assert not topic["dave", "framing"]["bulk"]["reused"]
    for topic_id in THREE:  # each topic's stub was graded for one student, reused for the others
        stub = hashlib.sha256((ROOT / "exercises" / f"{topic_id}.py").read_bytes()).hexdigest()
        holders = [v["bulk"] for (n, t), v in topic.items() if t == topic_id and v["bulk"]["sha256"] == stub]
        assert len(holders) > 2 and sum(not h["reused"] for h in holders) == 1
    graded = sum(len(d["bulk"]["graded"]) for d in data.values())
    assert f"{graded} gradings run" in proc.stdout and graded < 20
    # ...and listed for the instructor: copies, and reference solutions handed in verbatim.
    report = (out / "identical.txt").read_text()
    assert any(line.startswith("deadlock") and "carol, grace" in line for line in report.splitlines())
    assert any(line.startswith("tcp_server") and "alice, frank" in line and "reference solution" in line
               for line in report.splitlines())
    assert "judy" not in report  # untouched stubs are not copies

    # Resume: nothing left to grade, the CSV is the same.
    before = (out / "grades.csv").read_text()
    again = _bulk(submissions, out, "--topics", *THREE)
    assert "0 to grade" in again.stdout and (out / "grades.csv").read_text() == before
    # A student graded again reuses the results of the earlier run for identical files.
    (out / "judy.json").unlink()
    again = _bulk(submissions, out, "--topics", *THREE)
    assert again.returncode == 0 and "1 to grade" in again.stdout and "0 gradings run" in again.stdout
    assert (out / "grades.csv").read_text() == before
    print(f"bulk grading of 10 submissions x 3 topics: {elapsed:.1f} s")


def test_bulk_no_reuse_grades_every_file(tmp_path):
    submissions = tmp_path / "class"
    for name in ("ann", "ben"):
        (submissions / name).mkdir(parents=True)
        shutil.copy(ROOT / "exercises" / "framing.py", submissions / name)
    proc = _bulk(submissions, tmp_path / "out", "--no-reuse", "--topics", "framing")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 gradings run" in proc.stdout
    for name in ("ann", "ben"):
        data = json.loads((tmp_path / "out" / f"{name}.json").read_text())
        assert data["bulk"] == {"student": name, "graded": ["framing"], "reused": []}


def test_bulk_failed_grading_passes_to_the_next_student(tmp_path, monkeypatch, capsys):
    """In process, with grading faked: when the student whose file is graded first fails, the
    next student with the same file grades it; the others still get its result."""
    from grader import bulk

    submissions = tmp_path / "class"
    for name in ("ann", "ben", "cid"):
        (submissions / name).mkdir(parents=True)
        shutil.copy(ROOT / "exercises" / "framing.py", submissions / name)
    calls = []

    def fake_grade_job(student, topics, limit):
        calls.append((student.name, topics))
        if student.name == "ann":
            return {"error": "ann's grading broke", "seconds": 0.0}
        return {"seconds": 0.0, "topics": {t: {"id": t, "title": t, "score": 0.0, "max_score": 10.0,
                                                "status": "not_started", "passed": 0, "duration": 0.0,
                                                "problem": "", "unavailable": "", "tests": []}
                                           for t in topics}}

    monkeypatch.setattr(bulk, "grade_job", fake_grade_job)
    out = tmp_path / "out"
    code = bulk.main([str(submissions), "--out", str(out), "-j", "1", "--topics", "framing"])
    assert code == 3  # ann was not graded
    assert calls == [("ann", ["framing"]), ("ben", ["framing"])]
    assert not (out / "ann.json").exists()
    cid = json.loads((out / "cid.json").read_text())
    assert cid["bulk"]["reused"] == ["framing"] and cid["topics"][0]["bulk"]["graded_for"] == "ben"
    assert "NOT GRADED: ann's grading broke" in capsys.readouterr().out


def test_bulk_reuse_needs_the_imported_modules_identical_too(tmp_path, monkeypatch):
    """file_upload.py imports framing.py: the same file_upload.py beside another framing.py
    is graded again (faked grading, in process)."""
    from grader import bulk

    submissions = tmp_path / "class"
    for name, framing in (("ann", "solutions"), ("ben", "exercises"), ("cid", "solutions")):
        (submissions / name).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / "file_upload.py", submissions / name)
        shutil.copy(ROOT / framing / "framing.py", submissions / name)
    calls = []

    def fake_grade_job(student, topics, limit):
        calls.append((student.name, topics))
        return {"seconds": 0.0, "topics": {t: {"id": t, "title": t, "score": 0.0, "max_score": 10.0,
                                                "status": "failed", "passed": 0, "duration": 0.0,
                                                "problem": "", "unavailable": "", "tests": []}
                                           for t in topics}}

    monkeypatch.setattr(bulk, "grade_job", fake_grade_job)
    out = tmp_path / "out"
    assert bulk.main([str(submissions), "--out", str(out), "-j", "1", "--topics", "file_upload"]) == 0
    assert sorted(calls) == [("ann", ["file_upload"]), ("ben", ["file_upload"])]
    cid = json.loads((out / "cid.json").read_text())
    assert cid["topics"][0]["bulk"]["graded_for"] == "ann"


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
