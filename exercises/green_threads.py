"""Exercise: greenlet and gevent -- switching by hand, then switching on I/O.

Seed: 9.25 5 协程 (greenlet, gevent). This topic needs an optional extra:

    python -m pip install -e ".[green]"        (installs gevent and greenlet)

"greenlet是一个用C实现的协程模块，相比与python自带的yield，它可以使你在任意函数之间
随意切换": a greenlet is a function with its own stack; g.switch() jumps into it
and, when it switches away again, back out, each side continuing where it
stopped. Two facts to keep in mind:

  - A greenlet that FINISHES returns to its PARENT (the greenlet that created
    it -- here, the function that made both), not to the one that switched to
    it last. In the notes' example, test2 ends and control goes back to the
    main program: test1 stays paused in its second gr2.switch() and never
    prints anything after it.
  - Nothing switches by itself. gevent adds a hub that switches for you
    whenever a greenlet would wait for I/O -- but only for I/O it knows about.
    Plain socket calls (urlopen) block the whole process unless the standard
    library was monkey-patched first: monkey.patch_all() ("为了更大程度监听IO
    阻塞状态"). Patching changes the WHOLE program (every socket, every thread),
    so it belongs at the start of a program, never in a module's import.

Part 1 -- ping_pong(rounds): two greenlets, ping and pong, switch to each other.
Part 2 -- the notes' gevent example against local servers: crawl(urls) patches,
          then fetch_all() spawns one greenlet per URL and joins them all.

The tests run crawl() in a fresh Python process of its own (so that the
patching cannot disturb anything else) and check, on the server side, that
the requests were really in flight at the same time.

Run the tests:   python -m grader green_threads
"""
from __future__ import annotations

import urllib.error  # noqa: F401
import urllib.request  # noqa: F401

import gevent  # noqa: F401  (importing gevent patches nothing)
from greenlet import greenlet  # noqa: F401


def ping_pong(rounds):
    """Two greenlets play ping-pong; return the log (a list of str).

    ping: for i in 1..rounds: log "ping i", then switch to pong.
          After its loop: log "ping done".
    pong: for i in 1..rounds: log "pong i", then switch to ping.
          After its loop: log "pong done".
    Start by switching to ping. Return only when BOTH greenlets have finished
    (g.dead): think about where control goes when ping ends, and where pong
    is at that moment.

        ping_pong(2) -> ["ping 1", "pong 1", "ping 2", "pong 2", "ping done", "pong done"]
    """
    # TODO: two functions, greenlet(ping) and greenlet(pong), and .switch()
    raise NotImplementedError("ping_pong")


def fetch(url, timeout):
    """GET url with urllib.request.urlopen(url, timeout=timeout); return (status, body).

    status is response.status (an int), body is response.read() (bytes). For an
    HTTP error status urlopen raises urllib.error.HTTPError: that is still an
    answer -- return (error.code, error.read()). Other errors (refused
    connection, time-out) propagate.
    """
    # TODO
    raise NotImplementedError("fetch")


def fetch_all(urls, timeout=5.0):
    """fetch() every URL in a greenlet of its own, all at once; results in URL order.

    Spawn one greenlet per URL (gevent.spawn(fetch, url, timeout)), THEN wait
    for all of them together (gevent.joinall). For each greenlet, in the order
    of `urls`: its .value if it succeeded (.successful()), else its .exception.
    (A greenlet's .value is None until it has finished.)
    Concurrent only in a monkey-patched process: see crawl().
    """
    # TODO
    raise NotImplementedError("fetch_all")


def crawl(urls, timeout=5.0):
    """The notes' program: monkey-patch the standard library, then fetch_all().

    Call `from gevent import monkey; monkey.patch_all()` HERE, at the start of
    the "program", not at the top of this module: the grader imports this
    module into its own process, which must stay unpatched.
    """
    # TODO
    raise NotImplementedError("crawl")
