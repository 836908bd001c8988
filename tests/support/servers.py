"""Starting and stopping the student's servers in tests.

    stop_bounded(stop, bound, wake)          call stop() with a bound: "ok", "woken"
                                             (returned only after wake()) or "stuck"
    wake_accept(port)                        a wake(): connect once to the port
    stop_within(stop, port, bound, advice)   stop_bounded + the usual complaint
"""
from __future__ import annotations

import contextlib
import socket
import threading

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
