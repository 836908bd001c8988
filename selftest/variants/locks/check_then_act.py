"""Variant: Account.withdraw() checks under one acquisition and subtracts under another.

Bug: withdraw() checks the balance under the lock, releases it, then takes the lock again to subtract, so two threads can both pass the check and overdraw the account.
Caught by: test_concurrent_withdrawals_never_overdraw
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
        with self.lock:
            enough = self.balance >= amount
        if not enough:
            return False
        with self.lock:  # BUG: the check above may be stale by now
            self.balance = self.balance - amount
        return True


if __name__ == "__main__":
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
