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
    Stuck                             raised when a worker outlived the bound
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from grader import diagnose
from support.net import BOUND


class Stuck(AssertionError):
    """A worker thread was still running when the bound ran out."""


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
