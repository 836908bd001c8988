"""The results file is versioned and complete (grader/results.py)."""
from __future__ import annotations

from grader.results import SCHEMA_VERSION, Verdict

NUMBER = (int, float)
TOP = {"version": int, "target": str, "score": NUMBER, "max_score": NUMBER, "topics": list}
TOPIC = {"id": str, "title": str, "score": NUMBER, "max_score": NUMBER, "status": str,
         "passed": int, "duration": NUMBER, "tests": list}
TEST = {"name": str, "status": str, "score": NUMBER, "max_score": NUMBER, "message": str,
        "duration": NUMBER, "kind": str}
TOPIC_STATUSES = {v.value for v in Verdict} | {"grader_error", "unavailable"}


def _check(obj, schema, where):
    for key, kind in schema.items():
        assert key in obj, f"{where} lacks '{key}'"
        assert isinstance(obj[key], kind), f"{where}.{key} is {type(obj[key]).__name__}"


def _validate(run):
    _check(run, TOP, "result")
    assert run["version"] == SCHEMA_VERSION
    for topic in run["topics"]:
        _check(topic, TOPIC, f"topic {topic.get('id')}")
        assert topic["status"] in TOPIC_STATUSES
        for test in topic["tests"]:
            _check(test, TEST, f"{topic['id']}.{test.get('name')}")
            assert test["status"] in {v.value for v in Verdict}
            assert 0 <= test["score"] <= test["max_score"] + 1e-9
        assert abs(sum(t["score"] for t in topic["tests"]) - topic["score"]) < 1e-3
        assert abs(sum(t["max_score"] for t in topic["tests"]) - topic["max_score"]) < 1e-3
    assert abs(sum(t["score"] for t in run["topics"]) - run["score"]) < 1e-3


def test_solutions_result_matches_the_schema(solutions_run):
    _validate(solutions_run)


def test_stubs_result_matches_the_schema(stubs_run):
    _validate(stubs_run)
