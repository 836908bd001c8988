"""Every buggy variant is caught, each by the tests its docstring names.

A variant is a copy of a solution with one real bug (selftest/variants/<topic>/).
Its docstring says "Bug: ..." and "Caught by: test_a, test_b". It is graded as
a student's submission through the real grader; each named test must not pass.
"""
from __future__ import annotations

import shutil

import pytest

from helpers import grade, by_name
from grader import manifest, selfcheck

VARIANTS = sorted(selfcheck.VARIANTS.glob("*/*.py"))


def _id(path):
    return f"{path.parent.name}/{path.stem}"


def test_every_topic_keeps_buggy_variants():
    have = {p.parent.name for p in VARIANTS}
    assert have == set(manifest.load().ids)


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
def test_variant_is_caught(variant, tmp_path):
    topic = variant.parent.name
    bug, caught_by = selfcheck.variant_claims(variant)
    submission = tmp_path / "exercises"
    submission.mkdir()
    shutil.copy(variant, submission / f"{topic}.py")
    result = grade(topic, "--submission", str(submission), tmp=tmp_path)
    tests = by_name(result, topic)
    missed = [name for name in caught_by if tests[name]["status"] == "passed"]
    assert not missed, f"{_id(variant)} ({bug}) passed {missed}"
    assert result["exit_code"] == 1
    for name in caught_by:
        message = tests[name]["message"]
        assert message.strip(), f"{name} failed on {_id(variant)} without a message"
        assert not message.lstrip().startswith("assert "), f"{name}: a bare assertion: {message[:200]}"
