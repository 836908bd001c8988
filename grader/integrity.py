"""Tamper evidence: have the tests or the grader changed since the template?

`python -m grader.export` writes grader/template.sha256: one line per file
of tests/, grader/, manifest.toml, pyproject.toml and the Classroom workflow,
"<sha256>  <path>". In a student's repository, `changes()` lists what differs
from it, and `python -m grader --classroom` reports that in the Actions log.

What this can and cannot do: it makes an accidental or casual edit visible
to the instructor. It cannot stop a determined student, who controls the
repository and could rewrite this file too. Bulk grading with
`python -m grader.bulk`, which takes only the students' exercise modules and
grades them with the instructor's own copy of the tests, is the real guarantee.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from grader.manifest import COURSE

FINGERPRINT = COURSE / "grader" / "template.sha256"
TRACKED = ("tests", "grader", "manifest.toml", "pyproject.toml", ".github/workflows/classroom.yml")


def tracked_files(root: Path = COURSE) -> list[Path]:
    files = []
    for name in TRACKED:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return sorted(f for f in files if f.name != FINGERPRINT.name)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


HIDDEN = "# tests are hidden: fetched at grading time, not compared\n"


def fingerprint(root: Path = COURSE, hidden_tests: bool = False) -> str:
    lines = "".join(f"{digest(p)}  {p.relative_to(root).as_posix()}\n" for p in tracked_files(root))
    return (HIDDEN if hidden_tests else "") + lines


def changes(root: Path = COURSE) -> list[str]:
    """What differs from the template's fingerprint ([] when there is none to compare)."""
    path = root / FINGERPRINT.relative_to(COURSE)
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    expected = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            sha, name = line.split("  ", 1)
            expected[name] = sha
    actual = {p.relative_to(root).as_posix(): digest(p) for p in tracked_files(root)}
    if text.startswith(HIDDEN):
        actual = {n: d for n, d in actual.items() if not n.startswith("tests/")}
    out = [f"changed: {n}" for n in sorted(expected) if n in actual and actual[n] != expected[n]]
    out += [f"removed: {n}" for n in sorted(expected) if n not in actual]
    out += [f"added: {n}" for n in sorted(actual) if n not in expected]
    return out
