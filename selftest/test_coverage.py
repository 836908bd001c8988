"""`python -m grader.coverage`: every suite runs (nearly) all of its reference solution.

The whole command runs once (-j 2, every topic); one test per topic then reads
its JSON, so a failure names the topic and the solution lines no test runs.
"""
from __future__ import annotations

import json

import pytest

from grader import coverage, manifest
from grader.manifest import ROOT
from grader.runner import missing_requirements

MIN = 90.0
COURSE = manifest.load()


def _param(topic):
    missing = missing_requirements(topic) if topic.requires else []
    marks = [pytest.mark.skip(reason=f"needs {', '.join(missing)}")] if missing else []
    return pytest.param(topic.id, marks=marks, id=topic.id)


TOPICS = [_param(t) for t in COURSE.topics]
RUNNABLE = [p.values[0] for p in TOPICS if not p.marks]


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict:
    """The JSON of one run of the whole command, by topic id (plus its exit code)."""
    out = tmp_path_factory.mktemp("coverage") / "coverage.json"
    before = _coverage_files()
    code = coverage.main([*RUNNABLE, "--min", str(MIN), "--json", str(out), "-j", "2"])
    assert out.exists(), f"python -m grader.coverage exited {code} without writing {out}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["exit_code"] == code
    return {"exit_code": code, "left": sorted(_coverage_files() - before),
            **{t["id"]: t for t in data["topics"]}}


def _coverage_files() -> set:
    """Coverage data files in the working tree (where `coverage run` would leave them)."""
    return {p for folder in (ROOT, ROOT / "tests", ROOT / "solutions", ROOT / "selftest")
            for p in folder.glob(".coverage*")}


@pytest.mark.parametrize("topic_id", TOPICS)
def test_suite_covers_its_solution(figures, topic_id):
    r = figures[topic_id]
    assert r["status"] != "error", (
        f"the suite tests/test_{topic_id}.py could not run under coverage: {r['reason']}")
    failed = r["tests"].get("failed", 0) + r["tests"].get("error", 0)
    assert not failed, (f"{failed} test(s) of tests/test_{topic_id}.py failed against the "
                        f"solution under coverage: {'; '.join(r['failed_tests'])}")
    assert r["percent"] >= MIN, (
        f"tests/test_{topic_id}.py runs {coverage.shown(r['percent'])} of solutions/{topic_id}.py "
        f"({r['missed']} of {r['statements']} statements never run; minimum {MIN:g}%). "
        f"Lines no test runs: {r['missing']}. Each is something a student's version can "
        f"get wrong without losing a point: add a test that needs it, or mark code that is "
        f"not part of the exercise '# pragma: no cover'.")


def test_exit_code_says_whether_every_topic_reaches_the_minimum(figures):
    below = [t for t in RUNNABLE if figures[t]["status"] == "below"]
    errors = [t for t in RUNNABLE if figures[t]["status"] == "error"]
    assert figures["exit_code"] == (3 if errors else 1 if below else 0), (below, errors)


def test_nothing_left_in_the_repository(figures):
    assert not figures["left"], (
        f"python -m grader.coverage left coverage data in the working tree: {figures['left']}")


def test_below_the_minimum_exits_1(tmp_path, capsys):
    out = tmp_path / "framing.json"
    assert coverage.main(["framing", "--min", "101", "--json", str(out)]) == 1
    (framing,) = json.loads(out.read_text(encoding="utf-8"))["topics"]
    assert framing["status"] == "below" and framing["statements"] > 0
    assert "below 101%" in capsys.readouterr().out


def test_unknown_topic_is_a_usage_error(capsys):
    assert coverage.main(["no_such_topic"]) == 2
    assert "unknown topic(s): no_such_topic" in capsys.readouterr().err


def test_a_suite_over_its_time_limit_is_killed_and_reported(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(coverage, "time_limit", lambda topic: 0)  # over at once: no waiting
    out = tmp_path / "framing.json"
    assert coverage.main(["framing", "--json", str(out)]) == 3
    (framing,) = json.loads(out.read_text(encoding="utf-8"))["topics"]
    assert framing["status"] == "error" and "timed out" in framing["reason"]
    assert "COULD NOT RUN" in capsys.readouterr().out
