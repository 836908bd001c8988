"""green_threads that joins each greenlet right after spawning it.

Bug: fetch_all() does gevent.spawn(fetch, url, timeout).join() for one URL after the other, so even in a patched process only one request is ever in flight.
Caught by: test_crawl_fetches_concurrently
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
    jobs = []
    for url in urls:
        job = gevent.spawn(fetch, url, timeout)
        job.join()  # wait for this one before the next
        jobs.append(job)
    return [job.value if job.successful() else job.exception for job in jobs]


def crawl(urls, timeout=5.0):
    """The notes' program: patch the standard library for gevent, then fetch_all()."""
    from gevent import monkey

    monkey.patch_all()  # blocking socket calls now switch to another greenlet instead
    return fetch_all(urls, timeout)


if __name__ == "__main__":
    print(ping_pong(2))
