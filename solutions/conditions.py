"""A bounded buffer on threading.Condition (reference solution).

Seed: 9.23 3 条件变量同步(Condition).

The design:

1. One lock guards the deque, and two Conditions share it: `not_empty`
   (getters wait on it, put() notifies it) and `not_full` (putters wait on
   it, get() notifies it). A notify() therefore always wakes a thread that
   can use the change: a new item wakes one getter, a free slot one putter.
   (With ONE Condition for both, notify() may wake a putter when a getter
   was needed, and the wake-up is lost: use notify_all() there.)
2. Every wait() sits in a `while` loop that re-checks the condition, never in
   an `if`: when wait() returns, another thread may already have taken the
   item (or filled the slot), and a timed wait may simply have run out.
3. A timeout is a deadline: each wait() gets only the time that is left, so
   wake-ups that find nothing to do cannot stretch the total wait.
4. The deque is touched only while the lock is held: the check and the
   append/popleft under ONE acquisition.
"""
from __future__ import annotations

import collections
import threading
import time


class Full(Exception):
    """put() timed out: the buffer stayed full."""


class Empty(Exception):
    """get() timed out: the buffer stayed empty."""


def _deadline(timeout):
    return None if timeout is None else time.monotonic() + timeout


def _left(deadline):
    return None if deadline is None else deadline - time.monotonic()


class BoundedBuffer:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.capacity = capacity
        self.items = collections.deque()
        self.lock = threading.Lock()
        self.not_empty = threading.Condition(self.lock)  # getters wait here
        self.not_full = threading.Condition(self.lock)   # putters wait here

    def put(self, item, timeout=None):
        deadline = _deadline(timeout)
        with self.not_full:
            while len(self.items) >= self.capacity:  # while, not if: re-check after waking
                left = _left(deadline)
                if left is not None and left <= 0:
                    raise Full(f"buffer still full after {timeout} s")
                self.not_full.wait(left)
            self.items.append(item)
            self.not_empty.notify()  # one new item: wake one getter

    def get(self, timeout=None):
        deadline = _deadline(timeout)
        with self.not_empty:
            while not self.items:
                left = _left(deadline)
                if left is not None and left <= 0:
                    raise Empty(f"buffer still empty after {timeout} s")
                self.not_empty.wait(left)
            item = self.items.popleft()
            self.not_full.notify()  # one free slot: wake one putter
            return item

    def __len__(self):
        with self.lock:
            return len(self.items)


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/conditions.py)
    buf = BoundedBuffer(2)
    got = []

    def producer(name):
        for i in range(5):
            buf.put(f"{name}{i}")

    def consumer():
        for _ in range(5):
            got.append(buf.get())

    threads = [threading.Thread(target=producer, args=(n,)) for n in "ab"]
    threads += [threading.Thread(target=consumer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(got))
    try:
        buf.get(timeout=0.1)
    except Empty as exc:
        print("Empty:", exc)
