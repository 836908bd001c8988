"""Locks: a counter and a balance made safe (9.23 1 同步锁(Lock)).

How each promise of the exercise is checked:

- lost updates (the notes' `temp = num; num = temp - 1`, Counter, deposits):
  many threads change one value at once under races.amplified(), which forces
  thread switches inside the student's code, so an unlocked or half-locked
  read-modify-write, or a Lock created per call, loses updates in every run;
- a result read after the lock is released: every increment() returns the
  value right after its own change, so 2000 increments return 1..2000, each
  once;
- check-then-act: in each round, 4 threads withdraw the last coin of an
  account at the same moment (a Barrier lines them up); exactly one may get it;
- a lock left held: after a refused withdrawal, another thread must still get
  the lock (bounded join, never a sleep);
- countdown() must join() its threads: the test waits for every thread the
  student started and tells "returned too early" from "lost updates".
"""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from grader import locktrack, target
from support import races
from support.net import BOUND
from support.threads import Stuck, run_threads

TOPIC = "locks"

LOCK = "See 9.23 1 同步锁(Lock)"


def module():
    """The student's module itself (to read and set the global num)."""
    return target.load(TOPIC)


def expect_value_error(call, what, why):
    try:
        call()
    except ValueError:
        return
    pytest.fail(f"{what} returned normally; expected ValueError: {why} {LOCK}.", pytrace=False)


class Gate:
    """Holds calls of a function until the test's thread waits, or has returned.

    wrap(func) gives the gated function. open_when_waiting(tid) starts a helper
    that opens the gate once thread `tid` is blocked inside threading (join(), a
    lock, an Event; not Thread.start()), or finish() was called; after BOUND it
    opens anyway. So the calls run only once the caller really waits for them,
    all at once. No sleeps: the helper watches the state.
    """

    def __init__(self):
        self.opened = threading.Event()
        self.returned = threading.Event()

    def wrap(self, func):
        def gated(*args, **kwargs):
            self.opened.wait(BOUND)
            return func(*args, **kwargs)
        return gated

    def finish(self):
        """The call under test is over: open the gate now."""
        self.returned.set()

    def open_when_waiting(self, tid):
        blocking = {os.path.normcase(threading.__file__), os.path.normcase(locktrack.__file__)}

        def opener():
            try:
                deadline = time.monotonic() + BOUND
                while time.monotonic() < deadline and not self.returned.is_set():
                    if self._blocked(sys._current_frames().get(tid), blocking):
                        break
                    self.returned.wait(0.002)  # watch the state; not ordering by time
            finally:
                self.opened.set()

        threading.Thread(target=opener, name="gate-opener", daemon=True).start()

    WAITS = {"wait", "_wait_for_tstate_lock", "acquire"}  # where a waiting thread sits

    @staticmethod
    def _blocked(frame, blocking):
        """Blocked in threading (join(), a lock, a wait), but not inside Thread() or start().

        The innermost frame must be a waiting call: a thread that is merely running
        threading's or locktrack's Python code (Thread.__init__ creating its locks) is
        not waiting, even if it was preempted there.
        """
        if (frame is None or os.path.normcase(frame.f_code.co_filename) not in blocking
                or frame.f_code.co_name not in Gate.WAITS):
            return False
        setup = (threading.Thread.start.__code__, threading.Thread.__init__.__code__)
        while frame is not None:
            if frame.f_code in setup:
                return False  # start() waits for the new thread to run: not yet waiting
            frame = frame.f_back
        return True


def join_new_threads(before):
    """Join the threads started since `before` (a set of Thread objects); the still-running ones."""
    extra = [t for t in threading.enumerate() if t not in before]
    for t in extra:
        t.join(BOUND)
    return [t for t in extra if t.is_alive()]


# --- the notes' counter ------------------------------------------------------------


def test_sub_num_loses_no_update(mod):
    threads, times = 4, 500
    start = threads * times
    module().num = start  # no other thread runs yet

    def worker():
        for _ in range(times):
            mod.sub_num()

    with races.amplified():
        run_threads([worker] * threads, what="sub_num")
    final = module().num
    assert final == 0, (
        f"num started at {start}; {threads} threads each called sub_num() {times} times, so num "
        f"should be 0, but it is {final!r}: {final} subtractions were lost. Two threads read the "
        "same num, both wrote num - 1, and one write overwrote the other. Hold the module's "
        "`lock` from `temp = num` through `num = temp - 1`, every time, in every thread (a lock "
        f"around the read alone, or a new Lock() per call, excludes nobody). {LOCK}."
        if isinstance(final, int) else
        f"num was left at {final!r} after sub_num() ran {start} times: sub_num() must keep num an int "
        f"and take exactly 1 off it. {LOCK}."
    )


def test_countdown_reaches_zero(mod, monkeypatch):
    threads = 100
    gate = Gate()
    real = module().sub_num
    before = set(threading.enumerate())
    with monkeypatch.context() as patch:
        # countdown()'s threads run sub_num() through the gate: only once countdown() waits
        # for them (or has returned), and then nearly all at once (the most contention).
        patch.setattr(module(), "sub_num", gate.wrap(real))
        gate.open_when_waiting(threading.get_ident())
        try:
            with races.amplified():
                got = mod.countdown(100, threads)
        finally:
            gate.finish()
            still_running = join_new_threads(before)
    final = module().num
    assert not still_running, (
        f"countdown(100, {threads}) returned, and {len(still_running)} of the threads it "
        f"started were still running {BOUND:.0f} s later. Every sub_num() thread should end. "
        f"{LOCK}."
    )
    assert got == final, (
        f"countdown(100, {threads}) returned {got!r}, but once its threads had all finished, num "
        f"was {final!r}, the value it should have returned: countdown() returned before every "
        f"thread was done. Call join() on EVERY "
        f"thread you started (in a second loop, after the start() loop), then read num. {LOCK}."
    )
    assert final == 0, (
        f"countdown(100, {threads}) started {threads} threads that each took 1 off num = 100; "
        f"the result should be 0, but it is {final!r}: subtractions were lost. Hold `lock` for "
        f"the whole read-modify-write in sub_num(). {LOCK}: 被锁的部分是串行的."
    )
    got = mod.countdown(50, 20)
    assert got == 30, (
        f"countdown(50, 20) returned {got!r}; expected 30: set num to start, let 20 threads each "
        f"take 1 off, wait for all of them, return num. {LOCK}."
    )


# --- Counter -------------------------------------------------------------------------------


def test_counter_counts_and_returns_new_values(mod):
    counter = mod.Counter(5)
    assert counter.value == 5, f"Counter(5).value came back as {counter.value!r}, expected 5."
    got = [counter.increment(), counter.increment(3), counter.decrement(), counter.decrement(4)]
    assert got == [6, 9, 8, 4], (
        f"On Counter(5), increment(), increment(3), decrement(), decrement(4) returned {got}; "
        f"expected [6, 9, 8, 4]: each call returns the value right after its own change. {LOCK}."
    )
    assert counter.value == 4, f"After those calls, .value came back as {counter.value!r}, expected 4."
    assert mod.Counter().value == 0, (
        f"Counter().value came back as {mod.Counter().value!r}, expected 0 (the default start)."
    )


def test_counter_loses_no_update(mod):
    counter = mod.Counter(0)
    times = 500

    def up():
        for _ in range(times):
            counter.increment(2)

    def down():
        for _ in range(times):
            counter.decrement()

    with races.amplified():
        run_threads([up, down, up, down], what="counter")
    expected = 2 * times * 2 - 2 * times
    assert counter.value == expected, (
        f"Two threads each called increment(2) {times} times while two others each called "
        f"decrement() {times} times on Counter(0); .value ended at {counter.value!r}, but it "
        f"should be {expected}. Updates were lost: `self.value += by` is a read, an add and a write, and "
        "another thread ran in between. Hold the counter's lock for the whole update, and "
        "create that lock ONCE, in __init__: `with threading.Lock():` inside the method makes "
        f"a new, free lock on every call. {LOCK}."
    )


def test_counter_returns_each_value_once(mod):
    counter = mod.Counter(0)
    threads, times = 4, 500
    returned = [[] for _ in range(threads)]

    def worker(k):
        def run():
            for _ in range(times):
                returned[k].append(counter.increment())
        return run

    with races.amplified():
        run_threads([worker(k) for k in range(threads)], what="increment")
    values = [v for vals in returned for v in vals]
    total = threads * times
    seen, repeated = set(), set()
    for v in values:
        (repeated if v in seen else seen).add(v)
    missing = sorted(set(range(1, total + 1)) - seen)
    assert counter.value == total, (
        f"{threads} threads each called increment() {times} times on Counter(0); .value ended at "
        f"{counter.value!r}, but it should be {total}: updates were lost. Hold the counter's lock for the "
        f"whole update. {LOCK}."
    )
    wrong = [f"{len(repeated)} numbers came back more than once (e.g. {sorted(repeated)[:5]})"
             ] if repeated else []
    wrong += [f"{len(missing)} never came back (e.g. {missing[:5]})"] if missing else []
    assert not wrong, (
        f"{threads} threads each called increment() {times} times on Counter(0). The {total} "
        f"calls should return 1, 2, ..., {total}, each number once, but {' and '.join(wrong)}. "
        "The value was read after the lock was released, when another thread had already "
        "changed it again. Return the value you read INSIDE the `with self.lock:` block. "
        f"{LOCK}."
    )


# --- Account -------------------------------------------------------------------------------


def test_account_deposit_and_withdraw(mod):
    acct = mod.Account(100)
    got = acct.deposit(50)
    assert got == 150 and acct.balance == 150, (
        f"Account(100).deposit(50) returned {got!r} and left .balance at {acct.balance!r}; "
        "expected both to be 150."
    )
    ok = acct.withdraw(120)
    assert ok is True and acct.balance == 30, (
        f"withdraw(120) from a balance of 150 returned {ok!r} and left {acct.balance!r}; "
        "expected True and 30."
    )
    ok = acct.withdraw(31)
    assert ok is False and acct.balance == 30, (
        f"withdraw(31) from a balance of 30 returned {ok!r} and left {acct.balance!r}; expected "
        "False and 30 unchanged: refuse a withdrawal the balance does not cover."
    )
    ok = acct.withdraw(30)
    assert ok is True and acct.balance == 0, (
        f"withdraw(30) from a balance of 30 returned {ok!r} and left {acct.balance!r}; expected "
        "True and 0: taking exactly the whole balance is allowed."
    )


def test_amounts_must_be_positive(mod):
    acct = mod.Account(100)
    for method in ("deposit", "withdraw"):
        for amount in (0, -5):
            expect_value_error(
                lambda: getattr(acct, method)(amount),
                f"Account(100).{method}({amount})",
                "amounts must be positive (a negative withdrawal is a deposit in disguise).",
            )
    assert acct.balance == 100, (
        f"Refused deposits/withdrawals of 0 and -5 left the balance at {acct.balance!r}; it "
        f"should stay 100: a refused call changes nothing."
    )


def test_refused_withdrawal_releases_the_lock(mod):
    acct = mod.Account(10)
    refused = acct.withdraw(50)
    assert refused is False, f"Account(10).withdraw(50) returned {refused!r}; expected False."
    expect_value_error(lambda: acct.withdraw(-1), "Account(10).withdraw(-1)",
                       "amounts must be positive.")
    stuck = None
    try:
        # Another thread: a lock left held makes it wait (this thread would deadlock itself).
        run_threads([lambda: acct.deposit(5), lambda: acct.withdraw(3)], bound=3.0, what="teller")
    except Stuck as exc:
        stuck = str(exc)
    if stuck:
        waits = locktrack.waits()
        pytest.fail(
            "After withdraw(50) was refused (and withdraw(-1) rejected) on Account(10), "
            "deposit(5) and withdraw(3) from other threads were still waiting for the account's "
            "lock 3 s later, when they should have got it at once: a refused withdrawal left "
            "the lock held. With acquire()/release(), "
            "an early `return False` (or a raise) skips the release() at the end. Use "
            f"`with self.lock:`, which releases on every path out. {LOCK}."
            + ("\n" + "\n".join(waits) if waits else f"\n{stuck}"),
            pytrace=False,
        )
    assert acct.balance == 12, (
        f"After a refused withdraw(50), deposit(5) and withdraw(3), Account(10) was left with a "
        f"balance of {acct.balance!r}, expected 12. {LOCK}."
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
    # accounts[r], which holds 1. Exactly one of them may get True.
    accounts = [Watched(1) for _ in range(rounds)]
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
                    paid[k][r] = acct.withdraw(1) is True
                except BaseException:
                    start.abort()
                    raise
        return run

    story = (
        f"In each of {rounds} rounds, {threads} threads called withdraw(1) at the same moment "
        "on an Account holding 1"
    )
    stuck = None
    try:
        with races.amplified():
            run_threads([spender(k) for k in range(threads)], what="spender")
    except Stuck as exc:
        stuck = str(exc)
    if stuck:
        waits = locktrack.waits()
        pytest.fail(
            f"{story}; every call should return at once, but some of them never finished"
            + (": they wait for a lock nobody releases. Use `with self.lock:`, which releases "
               f"on every path out, also `return False`. {LOCK}.\n" + "\n".join(waits)
               if waits else f". {LOCK}.\n{stuck}"),
            pytrace=False,
        )
    payouts = [sum(paid[k][r] for k in range(threads)) for r in range(rounds)]
    over = [n for n in payouts if n > 1]
    check_then_act = (
        "Two threads both saw a balance of 1, both passed the check, both subtracted. Check "
        "the balance and subtract under ONE `with self.lock:`: if you let go of the lock "
        f"between the check and the subtraction, another thread slips in. {LOCK}."
    )
    assert not negative, (
        f"{story}; a balance went down to {min(negative)} ({len(negative)} times below 0), "
        f"but it must never go below 0. "
        f"{check_then_act}"
    )
    assert not over, (
        f"{story}; in {len(over)} rounds more than one withdrawal returned True (up to "
        f"{max(over)}), expected exactly one: the account paid out money it did not have. "
        f"{check_then_act}"
    )
    wrong = [acct.balance for acct, n in zip(accounts, payouts) if acct.balance != 1 - n]
    assert not wrong, (
        f"{story}; afterwards {len(wrong)} accounts hold a balance that does not match the "
        f"withdrawals that returned True (e.g. {wrong[:3]}); each should hold 1 minus what "
        f"was paid out. {LOCK}."
    )
    assert sum(payouts) == rounds, (
        f"{story}; only {sum(payouts)} of the {rounds} rounds had a withdrawal returning True, "
        "expected exactly one per round: refuse a withdrawal only when the balance is smaller "
        f"than the amount. {LOCK}."
    )


def test_concurrent_deposits_and_withdrawals_lose_nothing(mod):
    times = 500
    acct = mod.Account(1000)
    refused = []

    def depositor():
        for _ in range(times):
            acct.deposit(2)

    def spender():
        for _ in range(times):
            if acct.withdraw(1) is not True:
                refused.append(1)

    with races.amplified():
        run_threads([depositor, spender, depositor, spender], what="teller")
    expected = 1000 + 2 * times * 2 - 2 * times
    assert not refused, (
        f"Starting from 1000, two threads each deposited 2 {times} times while two others each "
        f"withdrew 1 {times} times; the balance never drops below 0, yet {len(refused)} "
        "withdrawals were refused; none should be. Refuse only when the balance is smaller "
        f"than the amount. {LOCK}."
    )
    assert acct.balance == expected, (
        f"Starting from 1000, two threads each deposited 2 {times} times while two others each "
        f"withdrew 1 {times} times; the balance ended at {acct.balance!r}, but it should be "
        f"{expected}. Some "
        "update was lost: `balance = balance + amount` in deposit() and the subtraction in "
        f"withdraw() must both run under the account's lock. {LOCK}."
    )
