"""greenlet and gevent: explicit switches, then switches on I/O.

Seed: 9.25 5 协程 (greenlet, gevent). Needs the optional extra:
    python -m pip install -e ".[green]"

    ping_pong   the notes' greenlet example as a game of ping-pong: two
                greenlets hand control to each other with switch(). A greenlet
                that finishes returns to its PARENT (here the caller), not to
                the one that switched to it last: so after ping has finished,
                pong is still paused in its last switch() and must be resumed
                once more to finish too.
    fetch_all   the notes' gevent example: one greenlet per URL
                (gevent.spawn), then gevent.joinall. urlopen only lets the
                other greenlets run while it waits if the socket module has
                been monkey-patched; without the patch, each request blocks
                the whole process and they run one after another.
    crawl       monkey.patch_all(), then fetch_all(): the notes' program as
                a function. Patching changes the whole process (every socket,
                every thread), which is why it is done here, when the program
                starts, and never when this module is imported.
"""
from __future__ import annotations

import urllib.error
import urllib.request

import gevent
from greenlet import greenlet


def ping_pong(rounds):
    """ping and pong switch to each other `rounds` times; returns the log."""
    log = []

    def ping():
        for i in range(1, rounds + 1):
            log.append(f"ping {i}")
            pong_gr.switch()  # hand over; we continue here when pong switches back
        log.append("ping done")  # ping ends: control goes to its parent, the caller

    def pong():
        for i in range(1, rounds + 1):
            log.append(f"pong {i}")
            ping_gr.switch()
        log.append("pong done")

    ping_gr, pong_gr = greenlet(ping), greenlet(pong)
    ping_gr.switch()  # returns when ping has finished ...
    pong_gr.switch()  # ... while pong still waits in its last switch(): finish it
    return log


def fetch(url, timeout):
    """(status, body) of GET url; an HTTP error status is still an answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def fetch_all(urls, timeout=5.0):
    """fetch() every URL in its own greenlet; results (or exceptions) in URL order."""
    jobs = [gevent.spawn(fetch, url, timeout) for url in urls]  # all started ...
    gevent.joinall(jobs)  # ... then wait for every one (each is bounded by `timeout`)
    return [job.value if job.successful() else job.exception for job in jobs]


def crawl(urls, timeout=5.0):
    """The notes' program: patch the standard library for gevent, then fetch_all()."""
    from gevent import monkey

    monkey.patch_all()  # blocking socket calls now switch to another greenlet instead
    return fetch_all(urls, timeout)


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/green_threads.py)
    print(ping_pong(2))
