"""Bank transfers without deadlock: one lock per account.

Seed: 9.23 2 递归锁（RLock）和死锁 (and 9.23 1 同步锁(Lock) before it).

The notes' deadlock: doA() takes lockA then lockB, doB() takes lockB then
lockA. Two threads running them at once each hold one lock and wait forever
for the other. Here the same thing happens with money:

    transfer(alice, bob, 10)   # thread 1: locks alice, then wants bob
    transfer(bob, alice, 10)   # thread 2: locks bob,   then wants alice

Your task: a bank where every Account has its own lock, and where
transfers are

* safe:       no deposit or withdrawal is ever lost, even when many threads
              use the same account at once (9.23 1: lock the whole
              read-modify-write, `balance = balance + amount`);
* atomic:     transfer() holds BOTH accounts' locks while it moves the money,
              so nobody ever sees it in neither account, and a failed
              transfer changes nothing;
* deadlock-free: two transfers in opposite directions never wait for each
              other forever (9.23 2: take the locks in one global order);
* concurrent: transfers between unrelated accounts (alice -> bob and
              carol -> dave) run at the same time. One global lock for the
              whole bank is NOT a solution.

The API (the tests use exactly these names):

    Account(name, balance=0)   .name, .balance, .number (unique, increasing), .lock
    account.deposit(amount)    add amount; ValueError if amount <= 0
    account.withdraw(amount)   subtract amount; ValueError if amount <= 0 or if
                               the balance is smaller than amount (the balance
                               never goes negative, whatever other threads do)
    transfer(source, dest, amount)
                               move amount from source to dest; see its docstring

Check your work:

    python -m grader deadlock

The grader runs real threads against your code, forces thread switches at
unlucky moments, and names any deadlock it sees: which threads, which locks,
which lines of this file.
"""
from __future__ import annotations

import itertools
import threading

_numbers = itertools.count(1)  # GIVEN: account numbers, unique and increasing


class Account:
    """A bank account guarded by its own lock."""

    def __init__(self, name, balance=0):
        # GIVEN (but look at the lock).
        self.name = name
        self.balance = balance
        self.number = next(_numbers)
        self.lock = threading.Lock()  # TODO: is a plain Lock enough? See transfer().

    def deposit(self, amount):
        """Add `amount` to the balance.

        Raise ValueError if amount <= 0. Read and write self.balance only while
        holding self.lock, so two deposits in two threads never lose one.
        """
        # TODO
        raise NotImplementedError("deposit")

    def withdraw(self, amount):
        """Subtract `amount` from the balance.

        Raise ValueError if amount <= 0, or if the balance is smaller than
        amount (then the balance is left unchanged). The check and the update
        must happen under ONE acquisition of self.lock: if you check, let go,
        and then subtract, two threads can both pass the check.
        """
        # TODO
        raise NotImplementedError("withdraw")


def transfer(source, dest, amount):
    """Move `amount` from `source` to `dest`, atomically.

    - Hold BOTH accounts' locks for the whole transfer. Take them in one
      global order that does not depend on the direction of the transfer:
      by account number (.number), the smaller first.
    - While holding them, call source.withdraw(amount) and then
      dest.deposit(amount). You MUST call these two methods (do not change
      .balance directly): the tests subclass Account and watch them. They take
      the same locks again, from the same thread: what kind of lock allows that?
    - If withdraw() raises ValueError (amount <= 0, not enough money), let it
      propagate: nothing has changed, in either account.
    - transfer(a, a, amount), from an account to itself, raises ValueError and
      changes nothing.
    """
    # TODO
    raise NotImplementedError("transfer")
