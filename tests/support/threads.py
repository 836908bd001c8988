"""Run test workers in real threads, with a bound and with their errors kept.

    run_threads([f, g, ...], bound)   start one daemon thread per callable,
                                      join them all before a shared deadline,
                                      then re-raise the first worker exception
                                      in the test's thread (so NotImplementedError
                                      or DeadlockError from student code is seen)
    in_background(func, sock, what)   run a sender while the test receives; its
                                      error is re-raised in the test's thread, and
                                      a failure on either side shuts the socket
                                      down so neither side waits for a timeout
    Crowd(what, release=...)          threads the test starts and watches WHILE
                                      they run: shared state under crowd.cond,
                                      wait_for(predicate, bound), errors re-raised
                                      in the test's thread, joined on exit
    Stuck                             raised when a worker outlived the bound
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from grader import diagnose
from grader.diagnose import Stuck  # noqa: F401 - suites import it from here
from support.net import BOUND


def run_threads(funcs, bound: float = BOUND, what: str = "worker"):
    """Run each callable in its own daemon thread; return their results in order."""
    results = [None] * len(funcs)
    errors: list[tuple[int, BaseException]] = []

    def runner(i, func):
        try:
            results[i] = func()
        except BaseException as exc:  # handed to the test's thread below
            errors.append((i, exc))

    threads = [
        threading.Thread(target=runner, args=(i, f), name=f"{what}-{i + 1}", daemon=True)
        for i, f in enumerate(funcs)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + bound
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if errors:
        errors.sort(key=lambda e: e[0])
        raise errors[0][1]
    stuck = [t for t in threads if t.is_alive()]
    if stuck:
        where = diagnose.where_threads(stuck)
        raise Stuck(f"{len(stuck)} of {len(threads)} {what} threads were still running after "
                    f"{bound:.0f} s." + ("\nWhere your code was:\n  " + "\n  ".join(where[:6]) if where else ""))
    return results


@contextlib.contextmanager
def in_background(func, sock: socket.socket, what: str):
    """Run `func` in a thread while the with-body runs (a sender while the test receives).

    An exception in `func` is re-raised in the test's thread when the body ends,
    and takes precedence over the body's own failure (which it usually caused):
    the thread also shuts `sock` down for writing, so a receiver sees EOF at once
    instead of waiting for a timeout. When the body fails first, `sock` is shut
    down to wake the worker (a sendall() blocked on a full buffer), and the
    worker's resulting error is dropped in favour of the body's.
    """
    box: dict = {}
    stopping = threading.Event()

    def run():
        try:
            box["result"] = func()
        except BaseException as exc:  # handed to the test's thread below
            if not stopping.is_set():
                box["error"] = exc
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    worker = threading.Thread(target=run, name=what, daemon=True)
    worker.start()
    body_failed = True
    try:
        yield box
        body_failed = False
    finally:
        if body_failed:
            stopping.set()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        worker.join(BOUND)
        if worker.is_alive():
            stopping.set()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            worker.join(BOUND)
        if "error" in box:
            raise box["error"]
        if worker.is_alive() and not body_failed:
            pytest.fail(f"{what} was still running {BOUND:.0f} s after the receiver was done.",
                        pytrace=False)


class Crowd:
    """Threads the test starts and watches WHILE they run (a live run_threads()).

        with Crowd("car", release=gate.set) as crowd:
            crowd.start(func, "car-1")        # a daemon thread; result or error kept
            with crowd.cond:                  # callbacks record shared state here
                ...; crowd.cond.notify_all()
            crowd.wait_for(predicate, bound)  # until predicate() holds or a thread failed
        # on exit: release() runs, every thread is joined before a deadline, and
        # the first thread error is re-raised in the test's thread

    A thread's exception (the stub's NotImplementedError, a test callback's
    AssertionError) is re-raised in the test's thread by wait_for() and on
    exit, so the grader sees it. Threads still running at a clean exit raise
    support.threads.Stuck.
    """

    def __init__(self, what: str = "worker", release=None, bound: float = BOUND):
        self.what = what
        self.cond = threading.Condition()
        self.results: dict = {}
        self.errors: list = []
        self.threads: list = []
        self._release = release
        self._bound = bound

    def start(self, func, name: str | None = None) -> threading.Thread:
        name = name or f"{self.what}-{len(self.threads) + 1}"

        def run():
            try:
                value = func()
            except BaseException as exc:  # handed to the test's thread
                with self.cond:
                    self.errors.append(exc)
                    self.cond.notify_all()
            else:
                with self.cond:
                    self.results[name] = value
                    self.cond.notify_all()

        thread = threading.Thread(target=run, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def wait_for(self, predicate, bound: float = BOUND) -> bool:
        """Wait until predicate() (called under self.cond) holds; False after `bound`."""
        with self.cond:
            self.cond.wait_for(lambda: self.errors or predicate(), bound)
            if self.errors:
                raise self.errors[0]
            return bool(predicate())

    def join(self, bound: float = BOUND) -> list:
        """Join every thread before one deadline; re-raise the first error; names still running."""
        deadline = time.monotonic() + bound
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.errors:
            raise self.errors[0]
        return [t.name for t in self.threads if t.is_alive()]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._release is not None:
            self._release()
        if exc_type is not None:  # the body's failure is the news; don't wait long
            deadline = time.monotonic() + 1.0
            for thread in self.threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            return False
        stuck = self.join(self._bound)
        if stuck:
            raise Stuck(f"{len(stuck)} {self.what} threads ({', '.join(stuck[:4])}) were still "
                        f"running {self._bound:.0f} s after the test let them go.")
        return False


def catch_thread_crashes(monkeypatch) -> tuple[list, threading.Event]:
    """Collect the exceptions that end threads, instead of failing the test at once.

    Returns (crashes, checked): crashes fills with (thread name, exception);
    once the test sets `checked` (it has looked at them), later crashes go to
    pytest's own hook again and fail the test as usual.
    """
    crashes: list = []
    checked = threading.Event()
    pytest_hook = threading.excepthook

    def hook(args):
        if checked.is_set():
            pytest_hook(args)
        else:
            crashes.append((args.thread.name if args.thread else "?", args.exc_value))

    monkeypatch.setattr(threading, "excepthook", hook)
    return crashes, checked
