"""Concurrency probes: prove a server serves clients at the same time.

    idle_client_probe(open_idle, serve_one, bound=2.0)
        Open one client that connects and then says nothing. Another client
        must still be served within `bound`. A serial server (one connection
        at a time) fails; thread-per-connection, pools and selectors pass in
        well under a millisecond, so the bound only catches failures.

    rendezvous_probe(clients, first, rest, bound=3.0)
        k clients each finish a first exchange, then wait at a Barrier with
        their connections still open, then exchange again. Only a server that
        holds all k conversations at once lets every client reach the
        Barrier: a pool of 2 threads, or a serial server, breaks it.

Both return None on success and a sentence describing what happened on
failure, so a suite can put it into its own message (with its own section
of the notes).

A barrier placed *before* the server answers proves nothing: the kernel's
accept backlog would buffer the connections. The rendezvous happens after
each client was served once.
"""
from __future__ import annotations

import threading
import time


def idle_client_probe(open_idle, serve_one, bound: float = 2.0) -> str | None:
    """`open_idle()` returns a connected client that stays silent (closed by us).

    `serve_one(bound)` must complete one exchange with a second client within
    `bound` seconds, raising (e.g. TimeoutError) if it could not.
    """
    idle = open_idle()
    try:
        started = time.monotonic()
        try:
            serve_one(bound)
        except (TimeoutError, OSError) as exc:
            waited = time.monotonic() - started
            return (f"a second client waited {waited:.1f} s and was not served ({type(exc).__name__}) "
                    "while the first client sat idle")
        return None
    finally:
        idle.close()


def rendezvous_probe(clients: int, first, rest, bound: float = 3.0) -> str | None:
    """Run `clients` conversations at once: first(i) -> Barrier -> rest(i).

    first(i) connects and completes one exchange, returning a state object
    (e.g. the socket); rest(i, state) finishes the conversation and closes.
    If first(i) raises, it must close what it opened itself (the probe only
    ever sees what first() returned).
    Returns None when every client got through.
    """
    barrier = threading.Barrier(clients, timeout=bound)
    reached = [False] * clients
    errors: list[BaseException] = []
    states = [None] * clients

    def run(i):
        try:
            states[i] = first(i)
            reached[i] = True
            barrier.wait()
            rest(i, states[i])
            states[i] = None
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()
        finally:
            closer = getattr(states[i], "close", None)
            if closer is not None:
                closer()

    threads = [threading.Thread(target=run, args=(i,), name=f"client-{i + 1}", daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 2 * bound + 1
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if errors and not isinstance(errors[0], (TimeoutError, OSError)):
        raise errors[0]
    served = sum(reached)
    if served < clients or errors or any(t.is_alive() for t in threads):
        return (f"{clients} clients connected at once; only {served} of them were served while the "
                f"others waited, so at most {served} conversations can run at the same time")
    return None
