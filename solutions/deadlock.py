"""Bank transfers without deadlock (reference solution).

Seed: 9.23 2 递归锁（RLock）和死锁.

The design, in three rules:

1. Each Account owns one lock; deposit() and withdraw() read and write the
   balance only while holding it, and withdraw() checks and updates under the
   SAME acquisition (no check-then-act).
2. transfer() holds both accounts' locks, always taken in one global order
   (by account number), so transfer(a, b) and transfer(b, a) can never each
   hold one lock and wait for the other.
3. The lock is an RLock: transfer() already holds it when it calls
   withdraw()/deposit(), which take it again from the same thread.
"""
from __future__ import annotations

import itertools
import threading

_numbers = itertools.count(1)  # account numbers: unique, increasing


class Account:
    def __init__(self, name, balance=0):
        self.name = name
        self.balance = balance
        self.number = next(_numbers)
        # Reentrant: transfer() holds it, then withdraw()/deposit() take it again.
        self.lock = threading.RLock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError(f"deposit amount must be positive, got {amount!r}")
        with self.lock:  # the whole read-modify-write under the lock
            self.balance = self.balance + amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError(f"withdraw amount must be positive, got {amount!r}")
        with self.lock:  # check and act under one acquisition
            if self.balance < amount:
                raise ValueError(f"{self.name} has {self.balance}, cannot withdraw {amount}")
            self.balance = self.balance - amount

    def __repr__(self):
        return f"Account({self.name!r}, balance={self.balance}, number={self.number})"


def transfer(source, dest, amount):
    """Move `amount` from source to dest atomically; ValueError changes nothing."""
    if source is dest:
        raise ValueError(f"cannot transfer from {source.name} to itself")
    # One global order for every pair of locks: by account number.
    first, second = sorted((source, dest), key=lambda account: account.number)
    with first.lock, second.lock:
        source.withdraw(amount)  # may raise ValueError: nothing has changed yet
        dest.deposit(amount)     # cannot fail: withdraw() already checked amount


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/deadlock.py)
    alice, bob = Account("alice", 10_000), Account("bob", 10_000)

    def shuffle(src, dst):
        for _ in range(2_000):  # 4 threads: never more than 4000 out of one account
            transfer(src, dst, 1)

    threads = [threading.Thread(target=shuffle, args=pair) for pair in [(alice, bob), (bob, alice)] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(alice, bob, "total", alice.balance + bob.balance)
