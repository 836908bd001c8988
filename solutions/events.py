"""Events: boss and workers, a stoppable worker, a latch (reference solution).

Seed: 9.25 2 同步条件(Event).

The design:
- Office: one Event per announcement, never cleared. The notes' single
  event plus clear() loses the second announcement when the boss is
  quicker than a worker's clear().
- Ticker: wait on the stop Event with a timeout (stop_event.wait(interval))
  instead of time.sleep(interval): the wait ends the moment stop() sets the
  event, and its return value says whether to stop.
- CountDownLatch: the count is guarded by a lock, and the decision "this
  call made it 0, open the gate" is taken under that lock. The Event is set
  once and never cleared, so no set() can be lost.
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
        if not self.start_signal.wait(timeout):  # False: the signal never came
            return False
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


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/events.py)
    office = Office()

    def overtime(name):
        print(f"{name}: 哎……命苦啊！")

    workers = [threading.Thread(target=office.worker, args=(f"worker-{i}", overtime))
               for i in range(5)]
    for t in workers:
        t.start()
    print("BOSS: 今晚大家都要加班到22:00。")
    office.announce_start()
    print("BOSS: <22:00>可以下班了。")
    office.announce_home()
    for t in workers:
        t.join()

    ticks = CountDownLatch(3)
    ticker = Ticker(0.1, lambda: (print("tick"), ticks.count_down()))
    ticker.start()
    ticks.wait()
    ticker.stop()
