"""Threads: start, join, results, errors, daemons.

Seed: 9.22 1-2 线程与进程, threading模块, 2.1 join().

    map_threads   Thread(target=...) per item (直接调用); start all, then join
                  all against ONE deadline; results stored by index, so they
                  come back in input order; a worker's exception is kept and
                  re-raised in the caller
    ResultThread  the same idea as a Thread subclass (继承式调用): run() keeps
                  the result or the exception, get() hands it over
    start_ticker  a daemon thread: it never keeps the program alive; an Event
                  is its interruptible sleep
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable


def map_threads(func: Callable, items: Iterable, timeout: float | None = None,
                prefix: str = "worker") -> list:
    """func(item) for every item, one thread each; results in input order."""
    items = list(items)
    results = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)

    def work(i, item):
        # A thread cannot return anything: store the outcome at the item's index.
        try:
            results[i] = func(item)
        except BaseException as exc:  # handed to the caller below
            errors[i] = exc

    threads = [threading.Thread(target=work, args=(i, item), name=f"{prefix}-{i + 1}")
               for i, item in enumerate(items)]
    for t in threads:
        t.start()  # start them all first ...
    deadline = None if timeout is None else time.monotonic() + timeout
    for t in threads:  # ... then wait for them all, against one deadline
        t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        raise TimeoutError(f"{', '.join(stuck)} still running after {timeout} s")
    for exc in errors:  # input order: the first failing item wins
        if exc is not None:
            raise exc
    return results


class ResultThread(threading.Thread):
    """A Thread subclass that keeps what its function returned or raised."""

    def __init__(self, func: Callable, args: tuple = (), name: str | None = None):
        super().__init__(name=name)
        self.func = func
        self.args = tuple(args)
        self.result = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.func(*self.args)
        except BaseException as exc:  # kept for get(), not printed by excepthook
            self.error = exc

    def get(self, timeout: float | None = None):
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError(f"{self.name} still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result


def start_ticker(interval: float, on_tick: Callable[[], None],
                 stop: threading.Event) -> threading.Thread:
    """A daemon thread named "ticker": on_tick() every interval s until stop is set."""

    def tick():
        while not stop.wait(interval):  # sleeps, but wakes at once when stop is set
            on_tick()

    ticker = threading.Thread(target=tick, name="ticker", daemon=True)  # 守护线程
    ticker.start()
    return ticker


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/thread_basics.py)
    # Demo: three waits of 0.5 s overlap: about 0.5 s in all, not 1.5 s.
    started = time.monotonic()
    print(map_threads(lambda s: (time.sleep(s), s)[1], [0.5, 0.5, 0.5]))
    print(f"took {time.monotonic() - started:.2f} s")
    start_ticker(0.1, lambda: print("tick"), threading.Event())
    time.sleep(0.35)
    print("main ends; the daemon ticker does not keep the program alive")
