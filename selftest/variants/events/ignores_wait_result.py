"""Variant: worker() waits for the start signal but ignores what wait() returned.

Bug: worker() calls start_signal.wait(timeout) and works whatever it returned, so a worker whose wait timed out works without the start signal.
Caught by: test_no_work_before_the_start_signal
"""
from __future__ import annotations

import threading


class Office:
    def __init__(self):
        self.start_signal = threading.Event()  # "今晚大家都要加班到22:00"
        self.home_signal = threading.Event()   # "<22:00>可以下班了"

    def announce_start(self) -> None:
        self.start_signal.set()

    def announce_home(self) -> None:
        self.home_signal.set()

    def worker(self, name, work, timeout: float | None = None) -> bool:
        self.start_signal.wait(timeout)  # BUG: False (timed out) is ignored
        work(name)
        return self.home_signal.wait(timeout)


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

