"""Semaphores: a parking lot and a connection pool (reference solution).

Seed: 9.25 1 信号量(Semaphore).

The design, in one rule: every permit taken is given back exactly once.
- BoundedSemaphore, not Semaphore: a release() without an acquire() raises
  ValueError instead of quietly adding a permit (a sixth parking space).
- Give back in `finally`, so a body that raises still returns its permit.
- Only give back what was taken: when acquire() times out, there is nothing
  to release, so the acquire happens BEFORE the try, not inside it.
"""
from __future__ import annotations

import contextlib
import threading

SPACES = 5  # the notes' threading.Semaphore(5)


class ParkingLot:
    def __init__(self, spaces: int = SPACES):
        self.spaces = spaces
        self._spaces = threading.BoundedSemaphore(spaces)

    def enter(self, timeout: float | None = None) -> bool:
        return self._spaces.acquire(timeout=timeout)

    def leave(self) -> None:
        self._spaces.release()  # ValueError when no car is parked

    def park(self, car, stay, timeout: float | None = None):
        if not self.enter(timeout):  # outside the try: no space, nothing to give back
            raise TimeoutError(f"no space for {car!r} within {timeout} s")
        try:
            return stay(car)
        finally:
            self.leave()  # also when stay() raises


class ConnectionPool:
    def __init__(self, factory, size: int):
        self.factory = factory
        self.size = size
        self._permits = threading.BoundedSemaphore(size)  # one per connection lent out
        self._lock = threading.Lock()  # guards _idle and _lent
        self._idle = []
        self._lent = {}  # id(conn) -> conn: identity, not equality

    def acquire(self, timeout: float | None = None):
        if not self._permits.acquire(timeout=timeout):
            raise TimeoutError(f"all {self.size} connections stayed in use for {timeout} s")
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self.factory()  # outside the lock: opening may be slow
        except BaseException:
            self._permits.release()  # nothing was lent: the permit goes back
            raise
        with self._lock:
            self._lent[id(conn)] = conn
        return conn

    def release(self, conn) -> None:
        with self._lock:
            if self._lent.get(id(conn)) is not conn:
                raise ValueError(f"{conn!r} is not lent out by this pool (released twice?)")
            del self._lent[id(conn)]
            self._idle.append(conn)
        self._permits.release()

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None):
        conn = self.acquire(timeout)  # before the try: a timeout releases nothing
        try:
            yield conn
        finally:
            self.release(conn)  # also when the body raises

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/semaphores.py)
    import time

    lot = ParkingLot()
    inside, peak, count = [0], [0], threading.Lock()

    def stay(car):
        with count:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        time.sleep(0.05)  # demo only: the tests never sleep
        with count:
            inside[0] -= 1

    cars = [threading.Thread(target=lot.park, args=(f"car-{i}", stay)) for i in range(20)]
    for t in cars:
        t.start()
    for t in cars:
        t.join()
    print("most cars parked at once:", peak[0])
