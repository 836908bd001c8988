"""Speaking to the student from a suite.

    fail(msg, see, unless)   fail the test with `msg` (no traceback, no chain of
                             exceptions behind it); `see` is appended unless the
                             message already matches the regex `unless`
    where(exc)               ' at file.py:42 in func(): `line`': the student's
                             innermost frame in an exception's traceback, or ''
"""
from __future__ import annotations

import os
import re
import traceback

import pytest

from grader import target


def fail(msg: str, see: str = "", unless: str = ""):
    """Fail with a message for the student, without the chain of exceptions behind it."""
    if see and not (unless and re.search(unless, msg)):
        msg += see
    raise pytest.fail.Exception(msg, pytrace=False) from None


def where(exc: BaseException) -> str:
    """' at udp_echo.py:42 in hello(): `line`' for the student's innermost frame, or ''."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if target.is_student_file(f.filename)]
    if not frames:
        return ""
    f = frames[-1]
    return f" at {os.path.basename(f.filename)}:{f.lineno} in {f.name}(): `{(f.line or '').strip()}`"
