"""GitHub Classroom: the generated workflow, and its grader step run exactly as
the real command-grader runs a command (/bin/sh, only PATH and HOME).

The reporter (classroom-resources/autograding-grading-reporter@v1) reads each
runner's base64 JSON from <RUNNER>_RESULTS and adds up every test's score;
`reporter_points` below does the same additions in the same order, so the
"Points X/Y" that Classroom shows must equal the grader's own score exactly.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import classroom, manifest
from grader.manifest import ROOT

STEP_COMMAND = "python -m grader --classroom -j 2"
REPORTER_TEST_KEYS = {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}


def test_workflow_is_generated_from_the_manifest_and_current():
    text = (ROOT / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8")
    assert text == classroom.workflow(manifest.load()), "run `python -m grader.classroom`"
    assert text.startswith("# Generated from manifest.toml")
    assert "name: Autograding Tests" in text and "run-autograding-tests:" in text
    assert f"run: {STEP_COMMAND}" in text
    runners = re.search(r"runners: (.+)", text).group(1).split(",")
    assert runners == [classroom.runner_name(t) for t in manifest.load().ids]
    for runner in runners:
        assert re.fullmatch(r"[a-zA-Z0-9]+", runner)
        assert f"{runner.upper()}_RESULTS: \"${{{{ steps.grader.outputs.{runner} }}}}\"" in text


def _student_repo(tmp_path: Path, solved: set[str]) -> Path:
    """A student's checkout: this repo, with `solved` topics copied from solutions/."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", ".venv*", "*.egg-info", ".grader", "selftest"))
    for topic in solved:
        shutil.copy(ROOT / "solutions" / f"{topic}.py", repo / "exercises" / f"{topic}.py")
    return repo


def _run_step(repo: Path) -> dict[str, dict]:
    """The grader step as the command-grader runs it: /bin/sh, only PATH and HOME."""
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
           "HOME": str(repo.parent)}
    proc = subprocess.run(["/bin/sh", "-c", STEP_COMMAND], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    outputs = dict(line.split("=", 1) for line in proc.stdout.splitlines()
                   if re.fullmatch(r"[a-z0-9]+=[A-Za-z0-9+/=]+", line))
    return {name: json.loads(base64.b64decode(value)) for name, value in outputs.items()}


def reporter_points(results: dict[str, dict], runners: list[str]) -> tuple[float, float]:
    """NotifyClassroom: skip runners with no max_score, then add scores left to right."""
    total = maximum = 0.0
    for runner in runners:
        data = results[runner]
        if not data["max_score"]:
            continue
        maximum += data["max_score"]
        for test in data["tests"]:
            total += test["score"]
    return total, maximum


@pytest.mark.parametrize("case", ["solutions", "stubs", "mix"])
def test_step_output_decodes_to_the_reporter_format_and_sums_exactly(case, tmp_path):
    ids = manifest.load().ids
    solved = {"solutions": set(ids), "stubs": set(), "mix": set(ids[::2])}[case]
    repo = _student_repo(tmp_path, solved)
    results = _run_step(repo)
    runners = [classroom.runner_name(t) for t in ids]
    assert sorted(results) == sorted(runners)
    for runner, data in results.items():
        assert data["version"] == 1 and data["status"] in ("pass", "fail", "error")
        for test in data["tests"]:
            assert set(test) == REPORTER_TEST_KEYS
            assert test["status"] in ("pass", "fail", "error")
    # The grader's own score for the same checkout, from its JSON.
    out = tmp_path / "own.json"
    subprocess.run([sys.executable, "-m", "grader", "-j", "2", "--json", str(out)], cwd=repo,
                   capture_output=True, timeout=600)
    own = json.loads(out.read_text())
    total, maximum = reporter_points(results, runners)
    assert total == own["score"] and maximum == own["max_score"], (total, own["score"])
    expected = {"solutions": own["max_score"], "stubs": 0.0}.get(case)
    if expected is not None:
        assert total == expected
    else:
        assert 0 < total < maximum
