"""The grader's pytest plugin, loaded in the child process (``-p grader.plugin``).

It streams one JSON line per event to the file descriptor the parent passed
in GRADER_EVENTS_FD, written as it happens, so a child killed later loses
nothing already reported:

    {"e": "collected", "tests": [{"nodeid", "name", "topic"}]}
    {"e": "importing", "topic"}            the student's module is being imported
    {"e": "imported", "topic", "ok", ...}
    {"e": "start", "nodeid"}
    {"e": "hang", "nodeid", "verdict", "kind", "message"}   the alarm fired
    {"e": "result", "nodeid", "verdict", "kind", "message", "duration"}
    {"e": "restart", "nodeid"}             a failed test left threads behind: the
                                           parent reruns the remaining tests afresh
    {"e": "done", "exitstatus"}

Each test runs under a SIGALRM alarm set to the manifest's timeout. When it
fires, the plugin works out why the test is stuck (grader/diagnose.py),
reports that, and raises GraderTimeout in the test's thread. If student code
swallows it, or a C call never lets it through, the parent's watchdog kills
the process after the grace period; SIGUSR1 first makes faulthandler write
every thread's stack to GRADER_STACKS so the parent can still say where.
"""
from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import threading
import time

import pytest

from grader import diagnose, locktrack, manifest, procs, target
from grader.results import Verdict

_fd = int(os.environ.get("GRADER_EVENTS_FD", "-1"))
if _fd >= 0:
    os.set_inheritable(_fd, False)
elif os.environ.get("GRADER_EVENTS_FILE"):  # Windows: no pipe to inherit (grader/runner.py)
    _fd = os.open(os.environ["GRADER_EVENTS_FILE"], os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
_stacks = None
_course = None
_outcome: dict[str, tuple] = {}  # nodeid -> (verdict, kind, message) of its first failure
_started: dict[str, float] = {}
_cpu: dict = {}
_baseline_threads = 1
_running = False  # inside a test's setup, call or teardown (not pytest's own bookkeeping)


_pid = os.getpid()


def emit(**event) -> None:
    if os.getpid() != _pid:
        # A copy made by os.fork() in student code that returned into pytest
        # (a fork bomb, a child that never exits): it must not report or run tests.
        os._exit(1)
    if _fd < 0:
        return
    data = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    while data:
        data = data[os.write(_fd, data):]


def _topic_of(item) -> manifest.Topic | None:
    topic_id = getattr(getattr(item, "module", None), "TOPIC", None)
    try:
        return _course.get(topic_id)
    except KeyError:
        return None


def _arm(seconds: float, on_fire) -> None:
    if not hasattr(signal, "setitimer"):
        return
    signal.signal(signal.SIGALRM, on_fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm() -> None:
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def pytest_configure(config):
    global _stacks, _course
    _course = manifest.load()
    path = os.environ.get("GRADER_STACKS")
    if path and hasattr(signal, "SIGUSR1"):
        _stacks = open(path, "w")  # kept open for faulthandler's C-level writer
        faulthandler.register(signal.SIGUSR1, file=_stacks, all_threads=True)
    locktrack.install(target.is_student_file)
    if hasattr(signal, "SIGUSR2"):
        signal.signal(signal.SIGUSR2, _deadlock_in_main)
        locktrack.on_deadlock(_wake_main)


def _wake_main(text: str) -> None:
    """A worker found a deadlock: end the test now, not at its time-out."""
    if threading.current_thread() is not threading.main_thread() and _running:
        os.kill(os.getpid(), signal.SIGUSR2)


def _deadlock_in_main(signum, frame):
    if _running:
        findings = locktrack.reports()
        raise locktrack.DeadlockError("\n".join(f.text for f in findings) or "deadlock")


def pytest_collectreport(report):
    if report.failed:
        emit(e="collect_error", message=str(report.longrepr)[-4000:])


def pytest_collection_finish(session):
    global _baseline_threads
    _baseline_threads = threading.active_count()
    tests = []
    topics = []
    for item in session.items:
        topic = _topic_of(item)
        tests.append({"nodeid": item.nodeid, "name": item.name, "topic": topic.id if topic else None})
        if topic and topic not in topics:
            topics.append(topic)
    emit(e="collected", tests=tests)
    for topic in topics:
        _import(topic)


def _import(topic) -> None:
    """Import the student's module once, under the alarm, so a hang is caught here."""
    emit(e="importing", topic=topic.id)

    def on_fire(signum, frame):
        _, _, message = diagnose.describe_hang(topic.timeout, frame, {}, 0.0)
        where = message.partition("\nWhere your code was:")[2]
        exc = diagnose.GraderTimeout(
            f"Importing {topic.id}.py did not finish within {topic.timeout:.0f} s: code at module "
            "level runs on import (a server loop? input()?). Put it under "
            "`if __name__ == \"__main__\":`." + (f"\nWhere your code was:{where}" if where else "")
        )
        exc.kind = "hang at import"
        raise exc

    _arm(topic.timeout, on_fire)
    try:
        target.load(topic.id)
    except BaseException as exc:  # reported once here, and again by every test
        _disarm()
        wrapped = target.StudentImportError(str(exc))
        wrapped.__cause__ = exc
        verdict, kind, message = diagnose.classify(wrapped)
        emit(e="imported", topic=topic.id, ok=False, verdict=verdict.value, kind=kind, message=message)
    else:
        _disarm()
        emit(e="imported", topic=topic.id, ok=True)


def pytest_runtest_logstart(nodeid, location):
    emit(e="start", nodeid=nodeid)
    _started[nodeid] = time.monotonic()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    _arm_test(item)
    return (yield from _phase())


def _arm_test(item):
    topic = _topic_of(item)
    if topic is None:
        return
    _cpu["threads"] = diagnose.thread_cpu()
    _cpu["total"] = time.process_time()

    def on_fire(signum, frame):
        if not _running:  # in pytest's own bookkeeping between phases: try again shortly
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            return
        verdict, kind, message = diagnose.describe_hang(
            topic.timeout, frame, _cpu["threads"], time.process_time() - _cpu["total"])
        emit(e="hang", nodeid=item.nodeid, verdict=verdict.value, kind=kind, message=message)
        exc = diagnose.GraderTimeout(message)
        exc.kind = kind
        raise exc

    _arm(topic.timeout, on_fire)


def _phase():
    """Mark the span in which an alarm or a deadlock may interrupt the test."""
    global _running
    _running = True
    try:
        return (yield)
    finally:
        _running = False


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    return (yield from _phase())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _phase())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.nodeid not in _outcome and call.excinfo is not None:
        _outcome[item.nodeid] = diagnose.classify(call.excinfo.value, report.when)
    elif report.skipped and item.nodeid not in _outcome and report.when == "setup":
        _outcome[item.nodeid] = (Verdict.ERROR, "skipped", "the test was skipped: " + str(report.longrepr)[-300:])


def pytest_runtest_logfinish(nodeid, location):
    _disarm()
    verdict, kind, message = _outcome.get(nodeid, (Verdict.PASSED, "", ""))
    duration = time.monotonic() - _started.get(nodeid, time.monotonic())
    emit(e="result", nodeid=nodeid, verdict=verdict.value, kind=kind, message=message,
         duration=round(duration, 3))
    if verdict is not Verdict.PASSED and _left_running():
        # Threads or processes the failed test left behind (spinning, blocked,
        # serving, forking) would disturb every later test: the parent kills them
        # and reruns the rest in a fresh process.
        emit(e="restart", nodeid=nodeid)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _left_running() -> bool:
    try:
        return threading.active_count() > _baseline_threads or bool(procs.workers())
    except BaseException:  # student code broke something we use: start afresh to be safe
        return True


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    emit(e="done", exitstatus=int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    # Leave at once: a non-daemon thread the student left blocked would
    # otherwise keep the interpreter from exiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
