"""Variant: a hand-made lot on a Condition, with the comparison off by one.

Bug: enter() waits only while more than `spaces` cars are parked (`<=` where `<` belongs), so a sixth car gets in while five are parked.
Caught by: test_lot_has_exactly_five_spaces, test_at_most_five_cars_park_at_once, test_a_car_that_gives_up_frees_no_space
"""
from __future__ import annotations

import contextlib
import threading

SPACES = 5  # the notes' threading.Semaphore(5)


class ParkingLot:
    """A semaphore by hand: a counter and a Condition (9.23 3)."""

    def __init__(self, spaces: int = SPACES):
        self.spaces = spaces
        self.parked = 0
        self._cond = threading.Condition()

    def enter(self, timeout: float | None = None) -> bool:
        with self._cond:
            # BUG: a free space means parked < spaces, not parked <= spaces
            if not self._cond.wait_for(lambda: self.parked <= self.spaces, timeout):
                return False
            self.parked += 1
            return True

    def leave(self) -> None:
        with self._cond:
            if self.parked == 0:
                raise ValueError("leave() without a parked car")
            self.parked -= 1
            self._cond.notify()

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

