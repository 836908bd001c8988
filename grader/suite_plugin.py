"""The wiring every topic suite shares (imported by each course's tests/conftest.py).

- ``--target exercises|solutions|DIR`` picks the implementation under test
  (see grader/target.py). ``python -m grader`` passes it; by hand:
  ``python -m pytest tests --target solutions``.
- Lock tracking is installed before any student module is imported, so
  deadlocks are named (grader/locktrack.py).
- Every test is checked for what it left running (grader/leaks.py), for
  lock-order inversions and deadlocks, and for misused Conditions and
  Semaphores (wait() outside a re-checking loop, over-release).
- Outside the grader, the manifest's per-test timeout is applied through
  pytest-timeout; inside it, the grader's own watchdog does that job.
- A suite declares ``TOPIC = "<id>"`` and uses the ``mod`` fixture.
- Stress mode (``python -m grader --repeat N`` sets GRADER_STRESS=1): every
  test, its fixtures included, runs with ``sys.setswitchinterval(1e-6)``, so
  threads are asked to hand over the GIL at nearly every chance they get and
  a race that needs an unlucky switch shows up more often (grader/stress.py).
"""
from __future__ import annotations

import os
import sys

import pytest

from grader import leaks, locktrack, manifest, target

locktrack.install()


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        default=None,
        help="implementation to test: 'exercises', 'solutions' or a folder of topic modules "
        "(default: $GRADER_TARGET, else exercises)",
    )


def pytest_configure(config):
    target.set_folder(config.getoption("--target"))
    locktrack.install(target.is_student_file)


def pytest_collection_modifyitems(config, items):
    if config.pluginmanager.hasplugin("grader.plugin"):
        return
    course = manifest.load()
    for item in items:
        topic_id = getattr(item.module, "TOPIC", None)
        if topic_id in course.ids and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(course.get(topic_id).timeout))


@pytest.fixture
def mod(request):
    """The student's module for this suite's TOPIC, with friendly missing-name errors."""
    topic_id = request.module.TOPIC
    return target.API(target.load(topic_id), topic_id)


STRESS_ENV = "GRADER_STRESS"
STRESS_SWITCH_INTERVAL = 1e-6  # seconds; CPython's default is 5e-3


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under GRADER_STRESS, run the test (setup, call, teardown) switching threads often."""
    if not os.environ.get(STRESS_ENV):
        return (yield)
    before = sys.getswitchinterval()
    sys.setswitchinterval(STRESS_SWITCH_INTERVAL)
    try:
        return (yield)
    finally:
        sys.setswitchinterval(before)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def _nothing_left_running(request):
    locktrack.reset()
    before = leaks.snapshot()
    yield
    findings = locktrack.reports()
    if findings:
        text = "\n".join(f.text for f in findings)
        if any(f.deadlock for f in findings):
            raise locktrack.DeadlockError(text)
        raise locktrack.MisuseError(text)  # a Condition or Semaphore misuse: verdict "failed"
    if request.node.stash.get(_CALL_FAILED, False):
        return  # the test failed already; leftovers are a consequence, not news
    problems = leaks.leftovers(before)
    if problems:
        pytest.fail(
            "After the test, your code left behind: " + "; ".join(problems) + ". Every socket "
            "must be closed and every thread (and process) you start joined, also when something "
            "fails.",
            pytrace=False,
        )
