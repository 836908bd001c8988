"""Bank transfers without deadlock (9.23 2 递归锁（RLock）和死锁).

How each promise of the exercise is checked:

- lost updates and overdrafts: many threads use one account at once under
  races.amplified(), which forces thread switches inside the student's code,
  so an unlocked `balance = balance + amount` or a check-then-act withdraw()
  goes wrong in every run, not once in a while;
- deadlock: opposite transfers run concurrently. grader.locktrack either
  breaks a real deadlock (DeadlockError in the worker, naming threads, locks
  and lines) or records the lock-order inversion even when this run was lucky;
- RLock: transfer() holds a lock and withdraw() takes it again; with a plain
  Lock locktrack reports the self-deadlock within half a second;
- atomicity and concurrency: Account subclasses whose withdraw() pauses at a
  rendezvous (Event, Barrier) while transfer() holds its locks. No sleeps:
  the correct code never waits for a timeout.
"""
from __future__ import annotations

import threading

import pytest

from grader import locktrack
from support import races
from support.net import BOUND
from support.threads import Stuck, run_threads

TOPIC = "deadlock"

RLOCK = "See 9.23 2 递归锁（RLock）和死锁"
LOCK = "See 9.23 1 同步锁(Lock) and 9.23 2"


def expect_value_error(call, what, why):
    try:
        call()
    except ValueError:
        return
    pytest.fail(f"{what} returned normally; expected ValueError: {why} {RLOCK}.", pytrace=False)


def deadlock_context(exc, story):
    """The tracker's DeadlockError, with what the test was doing put first."""
    return locktrack.DeadlockError(f"{story}\n{exc}")


# --- single-threaded basics ----------------------------------------------------


def test_deposit_and_withdraw_change_the_balance(mod):
    acct = mod.Account("alice", 100)
    acct.deposit(50)
    assert acct.balance == 150, (
        f"Account('alice', 100).deposit(50) left the balance at {acct.balance!r}, expected 150."
    )
    acct.withdraw(120)
    assert acct.balance == 30, (
        f"After deposit(50) and withdraw(120) on Account('alice', 100) the balance was left "
        f"at {acct.balance!r}, expected 30."
    )
    acct.withdraw(30)
    assert acct.balance == 0, (
        f"withdraw(30) from a balance of 30 left {acct.balance!r}, expected 0: withdrawing "
        "exactly the whole balance is allowed."
    )


def test_withdraw_more_than_the_balance_raises(mod):
    acct = mod.Account("alice", 40)
    expect_value_error(
        lambda: acct.withdraw(41),
        "Account('alice', 40).withdraw(41)",
        "a withdrawal larger than the balance must be refused (the balance never goes negative).",
    )
    assert acct.balance == 40, (
        f"A refused withdraw(41) left the balance at {acct.balance!r}; it should stay 40: check "
        "before you subtract, and raise before changing anything."
    )


def test_amounts_must_be_positive(mod):
    acct = mod.Account("alice", 100)
    for method in ("deposit", "withdraw"):
        for amount in (0, -5):
            expect_value_error(
                lambda: getattr(acct, method)(amount),
                f"Account('alice', 100).{method}({amount})",
                "amounts must be positive (a negative deposit is a withdrawal in disguise).",
            )
    assert acct.balance == 100, (
        f"Refused deposits/withdrawals of 0 and -5 left the balance at {acct.balance!r}; it "
        f"should stay 100: a refused call changes nothing."
    )


def test_transfer_moves_money(mod):
    alice, bob = mod.Account("alice", 100), mod.Account("bob", 10)
    mod.transfer(alice, bob, 30)
    assert (alice.balance, bob.balance) == (70, 40), (
        f"transfer(alice, bob, 30) with alice=100, bob=10 left alice={alice.balance!r}, "
        f"bob={bob.balance!r}; expected alice=70, bob=40."
    )
    mod.transfer(bob, alice, 40)  # the other direction: lower number second
    assert (alice.balance, bob.balance) == (110, 0), (
        f"transfer(bob, alice, 40) with alice=70, bob=40 left alice={alice.balance!r}, "
        f"bob={bob.balance!r}; expected alice=110, bob=0."
    )


def test_transfer_with_insufficient_funds_changes_nothing(mod):
    alice, bob = mod.Account("alice", 50), mod.Account("bob", 10)
    expect_value_error(
        lambda: mod.transfer(alice, bob, 80),
        "transfer(alice, bob, 80) with alice=50",
        "alice cannot pay 80; let withdraw()'s ValueError propagate.",
    )
    assert (alice.balance, bob.balance) == (50, 10), (
        f"A refused transfer(alice, bob, 80) left alice={alice.balance!r}, bob={bob.balance!r}; "
        "expected both unchanged (alice=50, bob=10). A transfer is all or nothing: withdraw "
        f"first, and deposit only if the withdrawal succeeded. {RLOCK}."
    )
    expect_value_error(
        lambda: mod.transfer(alice, bob, 0),
        "transfer(alice, bob, 0)",
        "amounts must be positive.",
    )
    assert (alice.balance, bob.balance) == (50, 10), (
        f"A refused transfer(alice, bob, 0) left alice={alice.balance!r}, bob={bob.balance!r}; "
        "expected both unchanged (alice=50, bob=10)."
    )


def test_transfer_to_the_same_account_is_rejected(mod):
    alice = mod.Account("alice", 100)
    expect_value_error(
        lambda: mod.transfer(alice, alice, 30),
        "transfer(alice, alice, 30)",
        "the docstring asks transfer() to refuse a transfer from an account to itself.",
    )
    assert alice.balance == 100, (
        f"A refused transfer(alice, alice, 30) left alice's balance at {alice.balance!r}; it "
        f"should stay 100."
    )


# --- atomicity: transfer() holds both locks ---------------------------------------


def test_transfer_holds_both_locks_throughout(mod):
    reached = []  # set when the transfer is between withdraw() and deposit()
    wake = threading.Event()
    proceed = threading.Event()

    class Pausing(mod.Account):
        def withdraw(self, amount):
            super().withdraw(amount)
            reached.append(True)
            wake.set()
            proceed.wait(BOUND)  # the test looks at the locks meanwhile

    alice, bob = Pausing("alice", 100), Pausing("bob", 0)
    free = []

    def move():
        try:
            mod.transfer(alice, bob, 30)
        finally:
            wake.set()

    def look():
        try:
            wake.wait(BOUND)
            if not reached:
                return
            for acct in (alice, bob):  # one at a time: never hold two
                if acct.lock.acquire(blocking=False):
                    acct.lock.release()
                    free.append(acct.name)
        finally:
            proceed.set()

    run_threads([move, look], what="transfer")
    assert reached, (
        "transfer(alice, bob, 30) returned without calling alice.withdraw(30); it must call "
        "it. The docstring asks transfer() to call source.withdraw(amount) and dest.deposit(amount), so that "
        f"the accounts' own checks run. {RLOCK}."
    )
    assert not free, (
        f"While transfer(alice, bob, 30) was between alice.withdraw() and bob.deposit(), "
        f"the test found {' and '.join(f'{n}.lock' for n in free)} free: another thread could "
        f"take it. For that "
        "moment the 30 are in neither account, and a thread that locks both accounts (an "
        "auditor adding up the bank) sees money missing. transfer() must hold BOTH accounts' "
        f"locks from before withdraw() until after deposit(). {RLOCK}."
    )
    assert (alice.balance, bob.balance) == (70, 30), (
        f"transfer(alice, bob, 30) with alice=100, bob=0 left alice={alice.balance!r}, "
        f"bob={bob.balance!r}; expected alice=70, bob=30."
    )


# --- races: lost updates and overdrafts -------------------------------------------


def test_concurrent_deposits_are_not_lost(mod):
    threads, times = 4, 500
    alice = mod.Account("alice", 0)

    def depositor():
        for _ in range(times):
            alice.deposit(1)

    with races.amplified():
        run_threads([depositor] * threads, what="depositor")
    expected = threads * times
    assert alice.balance == expected, (
        f"{threads} threads each deposited 1 into alice {times} times; the balance ended at "
        f"{alice.balance!r}, but it should be {expected}: updates were lost because "
        "`balance = balance + amount` ran in two threads at once (both read the same old "
        f"balance, both wrote old + 1). {LOCK}: hold self.lock for the whole read-modify-write."
    )


def test_concurrent_withdrawals_never_overdraw(mod):
    threads, rounds = 4, 200
    negative = []

    class Watched(mod.Account):
        # Sees every value the student's code stores in .balance.
        @property
        def balance(self):
            return self.__dict__["_watched_balance"]

        @balance.setter
        def balance(self, value):
            if value < 0:
                negative.append(value)
            self.__dict__["_watched_balance"] = value

    # Round r: all threads meet at the barrier, then each calls withdraw(1) on
    # accounts[r], which holds 1. Exactly one of them may succeed.
    accounts = [Watched(f"account-{r}", 1) for r in range(rounds)]
    start = threading.Barrier(threads, timeout=BOUND)
    paid = [[False] * rounds for _ in range(threads)]

    def spender(k):
        def run():
            for r, acct in enumerate(accounts):
                try:
                    start.wait()
                except threading.BrokenBarrierError:
                    return  # another spender failed; its error is the one reported
                try:
                    acct.withdraw(1)
                except ValueError:
                    continue
                except BaseException:
                    start.abort()
                    raise
                paid[k][r] = True
        return run

    with races.amplified():
        run_threads([spender(k) for k in range(threads)], what="spender")
    payouts = [sum(paid[k][r] for k in range(threads)) for r in range(rounds)]
    over = [n for n in payouts if n > 1]
    story = (
        f"In each of {rounds} rounds, {threads} threads called withdraw(1) at the same moment "
        "on an account holding 1"
    )
    check_then_act = (
        "Two threads both saw a balance of 1, both passed the check, both subtracted. Check "
        f"the balance and subtract under ONE `with self.lock:`, not check first and lock "
        f"afterwards. {LOCK}."
    )
    assert not negative, (
        f"{story}; a balance went down to {min(negative)} ({len(negative)} times below 0), "
        f"but it must never go below 0. "
        f"{check_then_act}"
    )
    assert not over, (
        f"{story}; but in {len(over)} rounds more than one withdrawal succeeded (up to {max(over)}), "
        "expected exactly one: the account paid out money it did not have, and a lost update hid it from the "
        f"balance. {check_then_act}"
    )
    left = sorted({acct.balance for acct, n in zip(accounts, payouts) if acct.balance != 1 - n})
    assert not left, (
        f"{story}; afterwards some accounts were left holding {left}, but each should hold 1 "
        f"minus its successful withdrawals. {LOCK}: hold self.lock for the whole read-modify-write."
    )
    assert sum(payouts) == rounds, (
        f"{story}; only {sum(payouts)} of the {rounds} rounds had a successful withdrawal, "
        "expected one per round: refuse a withdrawal only when the balance is smaller than "
        f"the amount. {LOCK}."
    )


def test_concurrent_transfers_conserve_money(mod):
    names = ("alice", "bob", "carol")
    accounts = [mod.Account(name, 1000) for name in names]
    rounds = 200
    # Every thread's steps are fixed in advance (balances stay far above 0, so no step is
    # ever refused): each account's final balance is known, whatever the interleaving.
    movers = [  # transfers around the ring: forwards, then backwards
        [((i + k) % 3, (i + k + 1) % 3)[:: 1 if k == 0 else -1] for i in range(rounds)]
        for k in (0, 1)
    ]
    tellers = [  # direct deposit(2) into one account, withdraw(2) from the next
        [((i + k) % 3, (i + k + 1) % 3) for i in range(rounds)] for k in (0, 1)
    ]
    expected = {name: 1000 for name in names}
    for src, dst in [step for steps in movers for step in steps]:
        expected[names[src]] -= 1
        expected[names[dst]] += 1
    for into, out_of in [step for steps in tellers for step in steps]:
        expected[names[into]] += 2
        expected[names[out_of]] -= 2

    def mover(steps):
        def run():
            for src, dst in steps:
                mod.transfer(accounts[src], accounts[dst], 1)
        return run

    def teller(steps):
        def run():
            for into, out_of in steps:
                accounts[into].deposit(2)
                accounts[out_of].withdraw(2)
        return run

    story = (
        f"bank-1 and bank-3 each ran {rounds} transfer(x, y, 1) around alice -> bob -> carol "
        f"(bank-1 forwards, bank-3 backwards) while bank-2 and bank-4 each made {rounds} "
        "deposit(2) + withdraw(2) pairs directly on the same accounts."
    )
    stuck = None
    try:
        with races.amplified():
            run_threads(
                [mover(movers[0]), teller(tellers[0]), mover(movers[1]), teller(tellers[1])],
                what="bank",
            )
    except locktrack.DeadlockError as exc:
        raise deadlock_context(exc, story) from None
    except Stuck as exc:
        stuck = str(exc)
    if stuck:
        pytest.fail(
            f"{story} Every thread should have finished, but some of them never did: most "
            "likely threads waiting for each other's locks forever, a deadlock. Take the two locks of a transfer in one global "
            f"order (by .number). {RLOCK}.\n{stuck}",
            pytrace=False,
        )
    balances = {acct.name: acct.balance for acct in accounts}
    total = sum(balances.values())
    lost = (
        "Some update was lost: a deposit() or withdraw() changed the balance while another "
        "thread was in the middle of changing it. Every read-modify-write of a balance must "
        f"happen under that account's lock, also inside transfer(). {LOCK}."
    )
    assert total == 3000, (
        f"{story} Money must be conserved, but the bank now holds {total} instead of 3000 "
        f"({balances}). {lost}"
    )
    assert balances == expected, (
        f"{story} The total is right, but the accounts hold {balances} instead of {expected} "
        f"(every step moves a fixed amount, so the order does not matter). {lost}"
    )


# --- deadlock and concurrency ------------------------------------------------------


def test_opposite_transfers_do_not_deadlock(mod):
    alice, bob = mod.Account("alice", 1000), mod.Account("bob", 1000)
    rounds = 200

    def a_to_b():
        for _ in range(rounds):
            mod.transfer(alice, bob, 1)

    def b_to_a():
        for _ in range(rounds):
            mod.transfer(bob, alice, 1)

    story = (
        f"transfer-1 and transfer-3 each ran transfer(alice, bob, 1) {rounds} times while "
        f"transfer-2 and transfer-4 each ran transfer(bob, alice, 1) {rounds} times."
    )
    order = (
        "Like doA() and doB() in 9.23 2, the two directions must not take the two locks in "
        "opposite orders: sort the two accounts by .number and lock the smaller first."
    )
    stuck = None
    try:
        with races.amplified():
            run_threads([a_to_b, b_to_a, a_to_b, b_to_a], what="transfer")
    except locktrack.DeadlockError as exc:
        raise deadlock_context(exc, story) from None
    except Stuck as exc:
        stuck = str(exc)
    if stuck:
        pytest.fail(
            f"{story} Every transfer should have finished, but some never did: they are most "
            f"likely waiting for each other's locks forever, a deadlock. {order} {RLOCK}."
            f"\n{stuck}",
            pytrace=False,
        )
    assert (alice.balance, bob.balance) == (1000, 1000), (
        f"{story} As many transfers went each way, so both should still hold 1000; they hold "
        f"alice={alice.balance!r}, bob={bob.balance!r}. {LOCK}."
    )


def test_unrelated_transfers_run_concurrently(mod):
    meet = threading.Barrier(2, timeout=3.0)
    arrived = []

    class Meeting(mod.Account):
        def withdraw(self, amount):
            super().withdraw(amount)
            arrived.append(self.name)
            meet.wait()  # both transfers must be in progress at the same time

    a, b = Meeting("a", 100), Meeting("b", 0)
    c, d = Meeting("c", 100), Meeting("d", 0)
    broken = False
    try:
        run_threads(
            [lambda: mod.transfer(a, b, 10), lambda: mod.transfer(c, d, 10)], what="transfer"
        )
    except threading.BrokenBarrierError:
        broken = True
    if broken:
        pytest.fail(
            "transfer(a, b, 10) and transfer(c, d, 10) ran in two threads, and the test paused "
            "each one inside its source.withdraw() until the other got there too. One of them "
            "could not start while the other was in progress: both should have been inside "
            "withdraw() at once, but after 3 s only "
            f"{', '.join(f'{n}.withdraw()' for n in arrived[:1]) or 'one'} had been reached. "
            "These transfers share no account, yet one waited for the other: one lock for "
            "everything serialises unrelated transfers, and a bank with one lock serves one "
            "customer at a time. Lock only the two accounts involved, in account-number order. "
            f"{RLOCK}.",
            pytrace=False,
        )
    assert sorted(arrived) == ["a", "c"], (
        "transfer(a, b, 10) and transfer(c, d, 10) only called withdraw() on "
        f"{sorted(arrived) or 'no account'}; expected a.withdraw(10) and c.withdraw(10). The "
        "docstring asks transfer() to call source.withdraw(amount) and dest.deposit(amount). "
        f"{RLOCK}."
    )
    assert (a.balance, b.balance, c.balance, d.balance) == (90, 10, 90, 10), (
        f"transfer(a, b, 10) and transfer(c, d, 10) from 100 to 0 left a={a.balance!r}, "
        f"b={b.balance!r}, c={c.balance!r}, d={d.balance!r}; expected 90, 10, 90, 10."
    )
