"""A bounded buffer on threading.Condition.

Seed: 9.23 3 条件变量同步(Condition) -- "需要满足条件之后才能够继续执行"
(a thread goes on only once a condition holds).

    wait()      条件不满足时调用，线程会释放锁并进入等待阻塞
                (call it while the condition does not hold: it releases the
                lock and blocks until notified, then takes the lock back)
    notify()    条件创造后调用，通知等待池激活一个线程   (wakes ONE waiter)
    notify_all()                               (wakes ALL waiters)

The notes' producers append to a list L and notify(); their consumer does

    lock_con.acquire()
    if len(L) == 0:
        lock_con.wait()
    del L[0]

That `if` is a bug. wait() returning does not mean L is non-empty NOW:
between the notify() and the moment the woken consumer gets the lock back,
another consumer may have taken the item. The consumer must check again, in
a loop:

    while len(L) == 0:
        lock_con.wait()

Your task: a bounded buffer (a producer/consumer queue with room for
`capacity` items), built on threading.Condition. Do NOT use queue.Queue:
this is how queue.Queue works inside.

    BoundedBuffer(capacity)     capacity >= 1 (ValueError otherwise); .capacity
      .put(item, timeout=None)  wait while the buffer is full, then append item
      .get(timeout=None)        wait while the buffer is empty, then remove and
                                return the OLDEST item (first in, first out)
      len(buffer)               how many items it holds now

    timeout=None    wait as long as it takes
    timeout=t >= 0  wait at most t seconds IN TOTAL (t=0: do not wait at all);
                    if the buffer is still full/empty then, raise Full/Empty
                    (GIVEN below) and change nothing

What the tests check:
  * several producers and consumers at once: every item is delivered exactly
    once, in order per producer, and no wake-up is lost (a thread that could
    go on is never left asleep);
  * waiting threads block in Condition.wait(): no polling with time.sleep(),
    no spinning in a loop (the tests measure the CPU time of waiting threads);
  * timeouts are honoured: Full/Empty after t seconds, not much later, not
    earlier, and a timed put()/get() that becomes possible in time succeeds;
  * every wait() is inside a `while` loop that re-checks its condition (the
    grader reads your code and names the line of any wait() that is not).

Check your work:

    python -m grader conditions
"""
from __future__ import annotations

import collections
import threading
import time


class Full(Exception):
    """GIVEN: put() timed out, the buffer stayed full."""


class Empty(Exception):
    """GIVEN: get() timed out, the buffer stayed empty."""


class BoundedBuffer:
    """A FIFO buffer for at most `capacity` items, safe for many threads."""

    def __init__(self, capacity):
        """Check capacity (ValueError if < 1) and keep it as self.capacity.

        You need: a collections.deque for the items, ONE lock that guards it,
        and Condition object(s) built on that lock, e.g.
        threading.Condition(self.lock). Think about what a notify() wakes:
        a thread that waits for "not empty", or one that waits for "not full"?
        """
        # TODO
        raise NotImplementedError("BoundedBuffer.__init__")

    def put(self, item, timeout=None):
        """Append `item`, waiting while the buffer is full.

        timeout=None: wait as long as it takes. timeout=t: wait at most t
        seconds in total, then raise Full (and add nothing). Hold the lock
        from the check to the append, wait in a `while` loop, and after the
        append wake a thread that waits for an item.
        """
        # TODO
        raise NotImplementedError("BoundedBuffer.put")

    def get(self, timeout=None):
        """Remove and return the oldest item, waiting while the buffer is empty.

        timeout=None: wait as long as it takes. timeout=t: wait at most t
        seconds in total, then raise Empty. Hold the lock from the check to the
        removal, wait in a `while` loop, and afterwards wake a thread that
        waits for a free slot.
        """
        # TODO
        raise NotImplementedError("BoundedBuffer.get")

    def __len__(self):
        """How many items the buffer holds now (read under the lock)."""
        # TODO
        raise NotImplementedError("BoundedBuffer.__len__")
