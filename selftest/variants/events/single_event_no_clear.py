"""Variant: one event for both announcements, never cleared.

Bug: Office uses one Event for both announcements, so the second wait() finds it already set by the start announcement and every worker goes home right after work().
Caught by: test_nobody_goes_home_before_the_home_signal
"""
from __future__ import annotations

import threading


class Office:
    def __init__(self):
        self.event = threading.Event()  # BUG-prone: one event for both announcements

    def announce_start(self) -> None:
        self.event.set()

    def announce_home(self) -> None:
        self.event.set()

    def worker(self, name, work, timeout: float | None = None) -> bool:
        if not self.event.wait(timeout):
            return False
        work(name)
        return self.event.wait(timeout)  # BUG: still set from the start announcement


class Ticker:
    def __init__(self, interval: float, tick):
        self.interval = interval
        self.tick = tick
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ticker")
        self._thread.start()

    def _run(self):
        while True:
            self.tick()
            if self._stop.wait(self.interval):  # True: stop() was called, at once
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class CountDownLatch:
    def __init__(self, count: int):
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        self._count = count
        self._lock = threading.Lock()
        self._open = threading.Event()
        if count == 0:
            self._open.set()

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def count_down(self) -> None:
        with self._lock:  # read-modify-write and the decision, together
            if self._count == 0:
                return
            self._count -= 1
            if self._count == 0:
                self._open.set()  # once, and never cleared

    def wait(self, timeout: float | None = None) -> bool:
        return self._open.wait(timeout)

