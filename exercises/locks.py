"""Locks: a counter and a balance made safe.

Seed: 9.23 1 同步锁(Lock) -- "acquire()上锁, release()解锁 ... 被锁的部分是串行的"
(the locked part runs serially).

The notes' program: 100 threads each run addNum(), which does

    temp = num        # read
    num = temp - 1    # write

on a global `num = 100`. Without the lock, two threads can both read 57 and
both write 56: one subtraction is lost, and "final num" is not 0. The notes
fix it with `lock.acquire()` before the read and `lock.release()` after the
write. A lock only helps if

* it is held for the WHOLE read-modify-write, from the read to the write
  (a lock around the read alone changes nothing);
* every thread uses the SAME lock object (a Lock created inside the function
  is a new, free lock on every call: it excludes nobody);
* a check and the action it justifies happen under ONE acquisition
  ("is there enough money?" and "take it" -- if you let go in between,
  another thread can take the money first);
* it is released on every path out, also `return` and exceptions: prefer
  `with lock:` to acquire()/release().

Your task: three small pieces of shared state, each safe with many threads.

    num, lock                 GIVEN: the notes' global counter and its lock
    sub_num()                 the notes' addNum(): num = num - 1, safely
    countdown(start, threads) the notes' main program; returns the final num

    Counter(value=0)          .value
      .increment(by=1)        add by, return the new value
      .decrement(by=1)        subtract by, return the new value

    Account(balance=0)        .balance (never negative)
      .deposit(amount)        add amount, return the new balance
      .withdraw(amount)       True: subtracted; False: not enough money,
                              nothing changed

Check your work:

    python -m grader locks

The tests run many threads at once and force thread switches at unlucky
moments inside your code, so a missing or misplaced lock shows up in every
run, not once in a while. Never use time.sleep() to "fix" a race.
"""
from __future__ import annotations

import threading

num = 100                # GIVEN: the notes' shared variable
lock = threading.Lock()  # GIVEN: the notes' lock; it guards num


def sub_num():
    """Take one off the global `num`: the notes' addNum(), made safe.

    Keep the notes' two steps, but hold the module's `lock` from the read to
    the write, so no other thread reads or writes num in between:

        global num
        temp = num
        num = temp - 1

    Use the module-level `lock` (every thread must use the same one), and
    prefer `with lock:` to acquire()/release().
    """
    # TODO
    raise NotImplementedError("sub_num")


def countdown(start=100, threads=100):
    """The notes' main program as a function; returns the final num.

    1. Set the global num to `start` (under the lock).
    2. Start `threads` threads, each running sub_num() once.
    3. Wait for ALL of them with join() -- only then is the result final.
    4. Return num (start - threads).
    """
    # TODO
    raise NotImplementedError("countdown")


class Counter:
    """A counter that many threads may change at once.

    .value is the current count. increment() and decrement() return the
    value right after THEIR OWN change: if 1000 threads each call
    increment() once on Counter(0), they get back 1, 2, ..., 1000, each
    number exactly once. So read the value you return before you let go of
    the lock: after that, another thread may already have changed it.
    """

    def __init__(self, value=0):
        # TODO: the value, and a lock that belongs to this counter.
        raise NotImplementedError("Counter.__init__")

    def increment(self, by=1):
        """Add `by` to the value and return the new value."""
        # TODO
        raise NotImplementedError("Counter.increment")

    def decrement(self, by=1):
        """Subtract `by` from the value and return the new value."""
        # TODO
        raise NotImplementedError("Counter.decrement")


class Account:
    """A bank balance that never goes negative, however many threads withdraw.

    .balance is the current balance.
    """

    def __init__(self, balance=0):
        # TODO: the balance, and a lock that belongs to this account.
        raise NotImplementedError("Account.__init__")

    def deposit(self, amount):
        """Add `amount`; return the new balance. ValueError if amount <= 0."""
        # TODO
        raise NotImplementedError("Account.deposit")

    def withdraw(self, amount):
        """Subtract `amount` if the balance covers it.

        Return True if the money was taken, False if the balance is smaller
        than amount (then nothing changes). ValueError if amount <= 0.

        Two threads withdrawing 30 from a balance of 50 at the same moment:
        exactly one gets True. So check the balance and subtract under ONE
        acquisition of the lock, and release it on every path, including the
        `return False` (a lock left held blocks every later call forever).
        """
        # TODO
        raise NotImplementedError("Account.withdraw")
