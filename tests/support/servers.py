"""Starting and stopping the student's servers in tests.

    stop_bounded(stop, bound, wake)          call stop() with a bound: "ok", "woken"
                                             (returned only after wake()) or "stuck"
    wake_accept(port)                        a wake(): connect once to the port
    stop_within(stop, port, bound, advice)   stop_bounded + the usual complaint
    wait_blocked_in(names, bound)            until the student's thread is inside accept()
                                             or recvfrom() (so stop() meets a real blocked call)
"""
from __future__ import annotations

import contextlib
import dis
import linecache
import socket
import sys
import threading
import time

from grader import target
from support import net


def stop_bounded(stop, bound: float = 3.0, wake=None, tries: int = 3) -> str:
    """Call stop() in a helper thread and say how it went.

    "ok"      it returned within `bound`;
    "woken"   it returned only after wake() (e.g. one connection or datagram
              to the port: a thread stuck in accept()/recvfrom() on a socket
              stop() had closed sees its flag only when something arrives);
    "stuck"   it had still not returned after `tries` wakes, 1 s apart.
    An exception from stop() is re-raised in the test's thread.
    """
    errors = []

    def call():
        try:
            stop()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    helper = threading.Thread(target=call, name="test-calls-stop", daemon=True)
    helper.start()
    helper.join(bound)
    state = "ok"
    if helper.is_alive():
        state = "stuck"
        for _ in range(tries if wake is not None else 0):
            with contextlib.suppress(OSError, TypeError, OverflowError):
                wake()
            helper.join(1.0)
            if not helper.is_alive():
                state = "woken"
                break
    if errors:
        raise errors[0]
    return state


def wake_accept(port):
    """A wake() for stop_bounded: connect once to a TCP port."""
    return lambda: socket.create_connection((net.HOST, port), timeout=1.0).close()


def stop_within(stop, port: int, bound: float = 3.0, advice: str = "") -> str | None:
    """Call stop() with a bound (stop_bounded). None if it returned in time, else a
    complaint ending in `advice`."""
    if stop_bounded(stop, bound, wake_accept(port), tries=1) == "ok":
        return None
    return (f"stop() had not returned {bound:.0f} s after the test called it. It must wake "
            "the accept thread (a flag, then connect to your own port once; close() alone "
            "does not wake accept() on Linux), shut down every open connection "
            "(conn.shutdown(socket.SHUT_RDWR) wakes a handler blocked in recv()), and "
            "join every thread." + (f" {advice}" if advice else ""))


def blocked_in(names: tuple[str, ...]) -> bool:
    """True when a thread running the student's code is inside a call to one of
    `names` (its innermost frame is executing a CALL on a line that calls it)."""
    me = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == me or frame.f_lasti < 0:
            continue
        code = frame.f_code
        op = dis.opname[code.co_code[frame.f_lasti]]
        line = linecache.getline(code.co_filename, frame.f_lineno)
        if not op.startswith("CALL") or not any(f"{n}(" in line for n in names):
            continue
        outer = frame
        while outer is not None and not target.is_student_file(outer.f_code.co_filename):
            outer = outer.f_back
        if outer is not None:
            return True
    return False


def wait_blocked_in(names: tuple[str, ...], bound: float = 1.0) -> None:
    """Return once the student's server is blocked in one of `names`, or after
    `bound` (a server that waits some other way, e.g. in select(): go on anyway)."""
    deadline = time.monotonic() + bound
    tick = threading.Event()
    while not blocked_in(names) and time.monotonic() < deadline:
        tick.wait(0.002)
