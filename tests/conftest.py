"""Shared wiring for every topic suite: see grader/suite_plugin.py.

(`pytest_plugins` is only allowed in a top-level conftest, so the hooks and
fixtures are imported by name instead.)
"""
from grader.suite_plugin import *  # noqa: F401,F403
from grader.suite_plugin import _nothing_left_running  # noqa: F401
