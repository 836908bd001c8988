"""Fixtures for the repository's own tests (helpers in helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import grade

# Student code for the gallery lives in course/, buggy variants in variants/:
# neither is a test module of this suite.
collect_ignore_glob = ["course/*", "variants/*"]


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("grading")


@pytest.fixture(scope="session")
def solutions_run(session_tmp) -> dict:
    return grade("--solutions", tmp=session_tmp)


@pytest.fixture(scope="session")
def stubs_run(session_tmp) -> dict:
    return grade(tmp=session_tmp)
