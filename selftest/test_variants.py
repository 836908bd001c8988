"""Every buggy variant is caught, each by the tests its docstring names.

A variant is a copy of a solution with one real bug (selftest/variants/<topic>/).
Its docstring says "Bug: ..." and "Caught by: test_a, test_b". It is graded as
a student's submission through the real grader; each named test must not pass.
"""
from __future__ import annotations

import functools
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import by_name, grade
from grader import manifest, runner, selfcheck

VARIANTS = sorted(selfcheck.VARIANTS.glob("*/*.py"))
# What a student-facing failure message must never be, and must always contain.
BARE = re.compile(r"^\s*assert |^\s*\+\s+where |^E\s", re.M)
EXPECTED = re.compile(r"\b(expected|expect|should|must|needs? to|wanted|instead of)\b", re.I)
ACTUAL = re.compile(r"\b(got|returned|came back|received|raised|but|instead|never|only|took|left|"
                    r"still|found|saw|gave|produced|died|answered|sent|read|wrote)\b", re.I)
PARALLEL = 3  # grader runs at once: the machine has 2 cores, and most variants wait on bounds


def _id(path):
    return f"{path.parent.name}/{path.stem}"


@functools.lru_cache(maxsize=None)
def _missing(topic: str) -> tuple[str, ...]:
    return tuple(runner.missing_requirements(manifest.load().get(topic)))


def _grade_variant(variant, tmp):
    topic = variant.parent.name
    submission = tmp / _id(variant).replace("/", "-") / "exercises"
    submission.mkdir(parents=True)
    shutil.copy(variant, submission / f"{topic}.py")
    return grade(topic, "--submission", str(submission), tmp=submission.parent)


@pytest.fixture(scope="session")
def variant_results(request, tmp_path_factory):
    """Grade every selected variant up front, a few at a time (each in its own grader)."""
    selected = [item.callspec.params["variant"] for item in request.session.items
                if getattr(item, "callspec", None) and "variant" in item.callspec.params]
    tmp = tmp_path_factory.mktemp("variants")
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {v: pool.submit(_grade_variant, v, tmp) for v in selected}
        return {v: f.result() for v, f in futures.items()}


def test_every_topic_keeps_buggy_variants():
    have = {p.parent.name for p in VARIANTS}
    assert have == set(manifest.load().ids)


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
def test_variant_is_caught(variant, variant_results):
    topic = variant.parent.name
    missing = _missing(topic)
    if missing:
        pytest.skip(f"{topic} needs {', '.join(missing)} (the optional extra is not installed)")
    bug, caught_by = selfcheck.variant_claims(variant)
    result = variant_results[variant]
    tests = by_name(result, topic)
    missed = [name for name in caught_by if tests[name]["status"] == "passed"]
    assert not missed, f"{_id(variant)} ({bug}) passed {missed}"
    assert result["exit_code"] == 1
    info = manifest.load().get(topic)
    sections = re.findall(r"\b\d+\.\d+\b", info.seed)
    for name in caught_by:
        test = tests[name]
        message = test["message"]
        where = f"{name} on {_id(variant)} ({test['status']})"
        assert message.strip(), f"{where}: no message"
        assert not BARE.search(message), f"{where}: a bare assertion: {message[:300]}"
        assert any(s in message for s in sections), f"{where}: names no section of the notes: {message[:300]}"
        if test["status"] == "failed":  # the suite's own words: what came back against what was expected
            assert EXPECTED.search(message), f"{where}: says nothing of what was expected: {message[:300]}"
            assert ACTUAL.search(message), f"{where}: says nothing of what came back: {message[:300]}"
