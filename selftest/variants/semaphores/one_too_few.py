"""Variant: the lot's semaphore starts at spaces - 1.

Bug: ParkingLot creates BoundedSemaphore(spaces - 1) (the number of the last space, counting from 0), so only 4 of the 5 spaces are ever used.
Caught by: test_lot_has_exactly_five_spaces, test_at_most_five_cars_park_at_once, test_park_returns_what_stay_returns_and_frees_the_space, test_space_is_freed_when_stay_raises
"""
from __future__ import annotations

import contextlib
import threading

SPACES = 5  # the notes' threading.Semaphore(5)


class ParkingLot:
    def __init__(self, spaces: int = SPACES):
        self.spaces = spaces
        self._spaces = threading.BoundedSemaphore(spaces - 1)  # BUG: spaces are 0..spaces-1

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

