"""Which implementation a suite tests, and how it is imported.

One mechanism for every suite: the target is a folder of topic modules
(exercises/, solutions/ or a student's submission). It comes from pytest's
``--target`` option, else the GRADER_TARGET environment variable, else
exercises/. ``load(topic_id)`` imports ``<target>/<topic_id>.py`` under its own
name, with the folder on sys.path so that topic modules can import each other
and child processes started with ``spawn`` find them too.

An import that fails is remembered, so every test of the topic reports the
same clear error instead of importing (and hanging, or crashing) again.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from grader.manifest import COURSE

ENV = "GRADER_TARGET"
ALIASES = {"exercises": COURSE / "exercises", "solutions": COURSE / "solutions"}

_folder: Path | None = None
_failures: dict[str, BaseException] = {}


class StudentImportError(Exception):
    """The student's module could not be imported; the message says why."""


class MissingAPI(AssertionError):
    """The student's module lacks a function or class the exercise asks for."""


def resolve(spec: str | os.PathLike | None) -> Path:
    """Turn 'exercises', 'solutions' or a path into the folder of topic modules."""
    if spec is None:
        spec = os.environ.get(ENV) or "exercises"
    spec = str(spec)
    folder = ALIASES.get(spec, Path(spec)).resolve()
    if (folder / "exercises").is_dir() and not any(folder.glob("*.py")):
        folder = folder / "exercises"  # a repository root was given
    return folder


def set_folder(spec: str | os.PathLike | None) -> Path:
    global _folder
    _folder = resolve(spec)
    os.environ[ENV] = str(_folder)  # inherited by child processes
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
    pythonpath = os.environ.get("PYTHONPATH", "")
    if str(_folder) not in pythonpath.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(_folder), pythonpath) if p)
    return _folder


def folder() -> Path:
    return _folder if _folder is not None else set_folder(None)


def is_student_file(filename: str) -> bool:
    """True when `filename` is one of the modules under test."""
    try:
        return Path(filename).resolve().parent == folder()
    except (OSError, ValueError):
        return False


def load(topic_id: str):
    """Import the topic module under test, or raise StudentImportError."""
    if topic_id in _failures:
        raise StudentImportError(str(_failures[topic_id])) from _failures[topic_id]
    if topic_id in sys.modules and is_student_file(getattr(sys.modules[topic_id], "__file__", "") or ""):
        return sys.modules[topic_id]
    path = folder() / f"{topic_id}.py"
    if not path.is_file():
        error = StudentImportError(f"{path} does not exist: create {topic_id}.py in {path.parent}")
        _failures[topic_id] = error
        raise error
    try:
        return importlib.import_module(topic_id)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt,)):
            raise
        _failures[topic_id] = exc
        raise


class API:
    """The student's module, with friendly errors for missing names.

    ``api.send_msg`` works like ``module.send_msg``, but a missing name fails
    the test with a sentence instead of an AttributeError.
    """

    def __init__(self, module, topic_id: str):
        self._module = module
        self._topic_id = topic_id

    def __getattr__(self, name):
        try:
            return getattr(self._module, name)
        except AttributeError:
            raise MissingAPI(
                f"{self._topic_id}.py has no '{name}'. The exercise asks for it: "
                f"copy its signature from exercises/{self._topic_id}.py and fill in the body."
            ) from None
