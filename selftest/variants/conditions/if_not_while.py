"""Variant: get() waits under `if`, like the notes' consumer.

Bug: get() checks `if not self.items:` once and then waits, so a consumer woken after another one already took the item pops from an empty deque.
Caught by: test_blocked_get_waits_in_condition_and_wakes_on_put, test_waiting_threads_use_no_cpu, test_get_on_empty_buffer_times_out, test_many_producers_and_consumers_deliver_each_item_once
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
            if not self.items:  # BUG: `if`, not `while`: nothing re-checks after wait()
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
