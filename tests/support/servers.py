"""Starting and stopping the student's servers in tests.

    stop_within(stop, port, bound, advice)   call stop() with a bound; if it hangs,
                                             wake an accept() stuck on a closed
                                             listener and return a complaint
"""
from __future__ import annotations

import contextlib
import socket
import threading

from support import net


def stop_within(stop, port: int, bound: float = 3.0, advice: str = "") -> str | None:
    """Call stop() in a helper thread. None if it returned within `bound`, else a
    complaint (after waking an accept() stuck on a closed listener) ending in `advice`."""
    errors = []

    def call():
        try:
            stop()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    helper = threading.Thread(target=call, name="test-calls-stop", daemon=True)
    helper.start()
    helper.join(bound)
    if helper.is_alive():
        with contextlib.suppress(OSError, TypeError, OverflowError):
            socket.create_connection((net.HOST, port), timeout=1.0).close()
        helper.join(1.0)
        return (f"stop() had not returned {bound:.0f} s after the test called it. It must wake "
                "the accept thread (a flag, then connect to your own port once; close() alone "
                "does not wake accept() on Linux), shut down every open connection "
                "(conn.shutdown(socket.SHUT_RDWR) wakes a handler blocked in recv()), and "
                "join every thread." + (f" {advice}" if advice else ""))
    if errors:
        raise errors[0]
    return None
