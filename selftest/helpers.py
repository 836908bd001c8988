"""Helpers for the repository's own tests.

Grading runs through the real command line (`python -m grader ... --json`),
in subprocesses, exactly as students and Classroom run it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from grader.manifest import ROOT

GRADE_BOUND = 300  # seconds: a grading run that takes longer is a bug


def grade(*args: str, course: Path | None = None, tmp: Path) -> dict:
    """Run `python -m grader *args --json`; return the JSON plus exit code, output, time."""
    out = tmp / f"result-{time.monotonic_ns()}.json"
    env = dict(os.environ)
    env.pop("GRADER_COURSE", None)
    if course is not None:
        env["GRADER_COURSE"] = str(course)
    env["NO_COLOR"] = "1"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "grader", *args, "--json", str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=GRADE_BOUND)
    elapsed = time.monotonic() - started
    assert out.exists(), f"grader exited {proc.returncode} without JSON:\n{proc.stdout}\n{proc.stderr}"
    data = json.loads(out.read_text(encoding="utf-8"))
    data.update(exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, elapsed=elapsed)
    return data


def by_name(data: dict, topic_id: str) -> dict:
    topic = next(t for t in data["topics"] if t["id"] == topic_id)
    return {t["name"]: t for t in topic["tests"]}


def processes_matching(text: str) -> list[str]:
    """Processes whose command line contains `text` (Linux /proc), as "pid: command"."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if text in cmd:
                found.append(f"{entry}: {cmd}")
    return found
