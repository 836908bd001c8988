"""Variant: put() and get() poll the deque with time.sleep() instead of waiting.

Bug: put() and get() look at the buffer in a loop and time.sleep(0.01) between looks instead of waiting on a Condition: wasted wake-ups, late reactions.
Caught by: test_blocked_get_waits_in_condition_and_wakes_on_put, test_blocked_put_waits_in_condition_and_wakes_on_get
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
        while True:  # BUG: polling with sleep instead of Condition.wait()
            with self.lock:
                if len(self.items) < self.capacity:
                    self.items.append(item)
                    return
            left = _left(deadline)
            if left is not None and left <= 0:
                raise Full(f"buffer still full after {timeout} s")
            time.sleep(0.01)

    def get(self, timeout=None):
        deadline = _deadline(timeout)
        while True:  # BUG: polling with sleep instead of Condition.wait()
            with self.lock:
                if self.items:
                    return self.items.popleft()
            left = _left(deadline)
            if left is not None and left <= 0:
                raise Empty(f"buffer still empty after {timeout} s")
            time.sleep(0.01)

    def __len__(self):
        with self.lock:
            return len(self.items)


if __name__ == "__main__":
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
