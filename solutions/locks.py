"""Locks: a counter and a balance made safe (reference solution).

Seed: 9.23 1 同步锁(Lock).

The design, in three rules:

1. Every read-modify-write of shared data (`temp = num; num = temp - 1`,
   `self.value += by`, `self.balance -= amount`) happens while ONE lock is
   held, from the read to the write. The lock belongs to the data (a module
   lock for the module's `num`, one lock per Counter / Account), never to
   the call: a Lock created inside the method protects nothing.
2. A decision and the action it justifies (check the balance, then subtract)
   happen under the SAME acquisition, and so does reading the result that
   the call returns.
3. `with lock:` instead of acquire()/release(): every return and every
   exception releases the lock.
"""
from __future__ import annotations

import threading

num = 100               # the notes' shared variable
lock = threading.Lock()  # the notes' lock: guards num


def sub_num():
    """The notes' addNum(): take one off the global num, under the lock."""
    global num
    with lock:  # the whole read-modify-write: nobody else sees num between read and write
        temp = num
        num = temp - 1


def countdown(start=100, threads=100):
    """The notes' main program: `threads` threads each run sub_num() once."""
    global num
    with lock:
        num = start
    workers = [threading.Thread(target=sub_num) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:  # wait for ALL of them before reading the result
        t.join()
    with lock:
        return num


class Counter:
    """A counter that many threads may change at once."""

    def __init__(self, value=0):
        self.value = value
        self.lock = threading.Lock()  # one lock per counter, created once

    def increment(self, by=1):
        with self.lock:
            self.value += by
            return self.value  # read the result under the same acquisition

    def decrement(self, by=1):
        with self.lock:
            self.value -= by
            return self.value


class Account:
    """A bank balance that never goes negative, whatever the threads do."""

    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError(f"deposit amount must be positive, got {amount!r}")
        with self.lock:
            self.balance = self.balance + amount
            return self.balance

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError(f"withdraw amount must be positive, got {amount!r}")
        with self.lock:  # check and act under ONE acquisition
            if self.balance < amount:
                return False  # `with` releases the lock on this return too
            self.balance = self.balance - amount
            return True


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/locks.py)
    print("final num:", countdown(100, 100))  # always 0
    account = Account(100)
    results = []
    spenders = [threading.Thread(target=lambda: results.append(account.withdraw(30)))
                for _ in range(5)]
    for t in spenders:
        t.start()
    for t in spenders:
        t.join()
    print("paid", results.count(True), "times; balance", account.balance)  # 3 times; 10
