"""Verdicts, results and the versioned JSON schema.

A test's verdict is one of VERDICTS. A topic's score is the sum of its tests'
scores; each test's share of the topic's points comes from the manifest's
weights.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum

SCHEMA_VERSION = 1


class Verdict(str, Enum):
    PASSED = "passed"
    FAILED = "failed"            # an assertion: the code ran, the answer was wrong
    ERROR = "error"              # an exception, import error or syntax error in student code
    NOT_STARTED = "not_started"  # the stub still raises NotImplementedError
    TIMEOUT = "timeout"          # the test did not finish in time
    DEADLOCK = "deadlock"        # threads wait for each other's locks
    CRASHED = "crashed"          # the test process died

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


# Order in which a topic's status is chosen when several tests went wrong.
SEVERITY = [Verdict.DEADLOCK, Verdict.TIMEOUT, Verdict.CRASHED, Verdict.ERROR,
            Verdict.FAILED, Verdict.NOT_STARTED]


@dataclass
class TestResult:
    name: str
    status: Verdict
    score: float
    max_score: float
    message: str = ""
    duration: float = 0.0
    nodeid: str = ""
    kind: str = ""  # finer detail, e.g. "blocked in socket I/O", "busy loop"

    def to_json(self) -> dict:
        data = asdict(self)
        data["status"] = self.status.value
        # Scores are exact multiples of 1/64 (grader/runner.py: apportion): no rounding.
        data["duration"] = round(self.duration, 3)
        return data


@dataclass
class TopicResult:
    id: str
    title: str
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    duration: float = 0.0
    problem: str = ""  # set when the grader itself could not grade the topic
    output: str = ""   # the child's own output (capped), shown with -v; not in the JSON
    unavailable: str = ""  # why the topic was not graded (an optional extra is missing)

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def passed(self) -> int:
        return sum(t.status is Verdict.PASSED for t in self.tests)

    @property
    def first_failure(self) -> TestResult | None:
        return next((t for t in self.tests if t.status is not Verdict.PASSED), None)

    @property
    def status(self) -> str:
        if self.problem:
            return "grader_error"
        if self.unavailable:
            return "unavailable"
        if self.tests and all(t.status is Verdict.PASSED for t in self.tests):
            return "passed"
        if not self.tests or all(t.status is Verdict.NOT_STARTED for t in self.tests):
            return "not_started"
        return self.first_failure.status.value

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "passed": self.passed,
            "duration": round(self.duration, 3),
            "problem": self.problem,
            "unavailable": self.unavailable,
            "tests": [t.to_json() for t in self.tests],
        }


@dataclass
class Run:
    target: str
    topics: list[TopicResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(t.score for t in self.topics)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.topics)

    @property
    def full_marks(self) -> bool:
        return all(t.status in ("passed", "unavailable") for t in self.topics)

    def to_json(self) -> dict:
        return {
            "version": SCHEMA_VERSION,
            "target": self.target,
            "score": self.score,
            "max_score": self.max_score,
            "topics": [t.to_json() for t in self.topics],
        }

    def write_json(self, path) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, indent=2, ensure_ascii=False)
            f.write("\n")
