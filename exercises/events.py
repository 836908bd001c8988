"""Exercise: Events -- the notes' boss and workers, a stoppable worker, a latch.

Seed: 9.25 2 同步条件(Event).

The notes: an Event is a flag threads can wait for. event.wait() blocks
while the flag is False; event.set() makes it True and wakes every waiter;
event.clear() makes it False again; event.is_set() reads it. Two things the
notes do not say, and this exercise is about:

* An Event REMEMBERS. set() before anyone waits is not lost: a later
  wait() returns at once. (A Condition's notify() is lost when nobody waits.)
* wait(timeout) RETURNS whether the flag is set: True, or False when the
  timeout ran out. Check that value; it is the difference between "the
  signal came" and "I gave up waiting".

Part 1 -- Office: the notes' Boss and Workers. The boss announces twice:
"今晚大家都要加班到22:00" (start working), later "<22:00>可以下班了" (go home).
The notes use ONE event for both, and each worker clear()s it after the
first announcement so it can wait for the second. That is a race: if the
boss sets the event for the second time before a worker's clear(), the
clear() wipes the second announcement and that worker waits for ever.
Use two Events, one per announcement, and never clear either.

    office = Office()
    office.worker(name, work, timeout=None) -> bool    # run in a worker thread
    office.announce_start()                            # the boss, first
    office.announce_home()                             # the boss, later

Part 2 -- Ticker: a worker that does something every `interval` seconds
until told to stop. The notes wait with time.sleep(); a thread asleep in
time.sleep(60) cannot be woken, so stop() would take up to a minute. Wait
with stop_event.wait(interval) instead: it returns early, with True, the
moment stop() sets the event.

    ticker = Ticker(interval, tick)
    ticker.start()        # a thread calls tick() at once, then every `interval` s
    ticker.stop()         # returns promptly, even with interval=60

Part 3 -- CountDownLatch: a one-shot gate that opens after `count`
count_down() calls (e.g. "wait until all 3 downloads are done"). Once open,
it stays open.

    latch = CountDownLatch(3)
    latch.count_down()              # from any thread
    latch.count                     # how many count_down() calls are still missing
    latch.wait(timeout=None) -> bool

Check your work:

    python -m grader events

The grader holds workers inside work() until after the boss's second
announcement, stops a Ticker whose interval is a minute, and counts latches
down from two threads at once while forcing thread switches inside your code.
"""
from __future__ import annotations

import threading


class Office:
    """The notes' Boss and Workers, with one Event per announcement."""

    def __init__(self):
        """Create the two Events: the start signal and the home signal."""
        # TODO
        raise NotImplementedError("Office.__init__")

    def announce_start(self) -> None:
        """The boss: "everyone works late tonight" -- set the start signal."""
        # TODO
        raise NotImplementedError("announce_start")

    def announce_home(self) -> None:
        """The boss: "you can go home now" -- set the home signal."""
        # TODO
        raise NotImplementedError("announce_home")

    def worker(self, name, work, timeout: float | None = None) -> bool:
        """One worker's evening. Runs in the worker's own thread.

        1. Wait for the start signal: forever when timeout is None, else at
           most `timeout` seconds. If it did not come, return False WITHOUT
           working (look at what wait() returns).
        2. Call work(name) -- once.
        3. Wait for the home signal (the same timeout). Return True if it
           came, False if not.

        Announcements made before a worker arrives still count: a worker
        that turns up after the boss said "go home" works and goes home
        at once. Never clear() a signal.
        """
        # TODO
        raise NotImplementedError("worker")


class Ticker:
    """Calls tick() at once, then every `interval` seconds, until stop()."""

    def __init__(self, interval: float, tick):
        """Remember interval and tick; create the stop Event. Nothing runs yet."""
        # TODO
        raise NotImplementedError("Ticker.__init__")

    def start(self) -> None:
        """Start the ticking thread and return at once.

        The thread calls tick() immediately, then waits `interval` seconds
        and calls it again, and so on. Wait with self's stop Event --
        stop_event.wait(interval) -- never with time.sleep(interval): wait()
        returns True as soon as stop() sets the event.
        """
        # TODO
        raise NotImplementedError("start")

    def stop(self) -> None:
        """Stop ticking: set the stop Event, then join() the thread.

        Must return promptly (well under a second), whatever the interval.
        After stop() has returned, tick() is never called again, and a tick
        that was running when stop() was called has finished. Calling
        stop() a second time does nothing.
        """
        # TODO
        raise NotImplementedError("stop")


class CountDownLatch:
    """A one-shot gate: opens after `count` count_down() calls, then stays open."""

    def __init__(self, count: int):
        """count >= 0 (ValueError otherwise). CountDownLatch(0) is open from the start.

        You need the count, a threading.Lock guarding it (count_down() is
        called from many threads: `self._count -= 1` is a read-modify-write,
        see 9.23 1), and a threading.Event that is set when the count
        reaches 0.
        """
        # TODO
        raise NotImplementedError("CountDownLatch.__init__")

    @property
    def count(self) -> int:
        """How many count_down() calls are still missing (never below 0)."""
        # TODO
        raise NotImplementedError("count")

    def count_down(self) -> None:
        """One fewer to go. When the count reaches 0, open the gate (set the Event).

        Once open, the latch stays open: more count_down() calls change
        nothing, and nothing ever clear()s the Event. Decide to open under
        the lock, so two threads counting down at once cannot both miss it.
        """
        # TODO
        raise NotImplementedError("count_down")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the latch is open; True. False if `timeout` seconds passed first.

        wait(0) only looks: True if open, False if not, without waiting.
        """
        # TODO
        raise NotImplementedError("wait")
