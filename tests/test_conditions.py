"""A bounded buffer on threading.Condition (9.23 3 条件变量同步(Condition)).

How each promise of the exercise is checked:

- waiting, not polling: a get() on an empty buffer (a put() on a full one)
  must block inside Condition.wait(). grader.locktrack lists the threads in a
  Condition.wait() called from the student's file, so the test knows the
  moment the waiter is blocked (no sleep), and a poller or spinner is never
  listed. Then the test puts (gets) one item and the waiter must return it;
- no busy-waiting: the CPU time of waiting threads (their own CPU clocks,
  never wall time) while the test's get(timeout=0.5) runs out, and the CPU of
  a thread inside a timed get()/put();
- timeouts: Full/Empty after t seconds (not before, not much later), nothing
  changed; a timed put()/get() that becomes possible in time succeeds;
- exactly once and no lost wake-up: 3 producers and 3 consumers through a
  buffer of capacity 1 under races.amplified() (forced thread switches
  inside the student's code): every item arrives once, in order per producer,
  and nobody is left asleep (a lost wake-up fails within 5 s, naming where
  each thread waits);
- `while`, not `if`: grader.locktrack reads the student's code at each
  Condition.wait() and reports a wait() that is not re-checked in a loop
  (the notes' consumer), with its line: that fails any test that waits.
"""
from __future__ import annotations

import contextlib
import threading
import time

import pytest

from grader import diagnose, locktrack
from support import races
from support.net import BOUND
from support.threads import Stuck, run_threads

TOPIC = "conditions"

COND = "See 9.23 3 条件变量同步(Condition)"
BUSY_CPU = 0.05  # seconds of CPU a thread may use in a 0.5 s timed get()/put() (it uses ~0)
WAITERS_CPU = 0.02  # ... and 4 threads blocked in wait() together, over 0.5 s (they use 0)


# --- candidate for tests/support ---------------------------------------------------------
def thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds `thread` has used so far (its own clock, not wall time); 0 if gone."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (OSError, AttributeError, TypeError):
        return 0.0


@contextlib.contextmanager
def workers(funcs, what: str):
    """Run callables in daemon threads while the with-body runs.

    When the body ends, every worker is joined within one bound and the first
    worker exception is re-raised in the test's thread (so NotImplementedError
    counts as "not started"); `.stuck` lists the threads still running. When
    the body fails, the workers are left alone: they are most likely blocked
    for good in the code under test, and waiting for them would only hide the
    body's message behind the test's time-out.
    """
    w = Workers(funcs, what)
    try:
        yield w
    except BaseException:
        w.stuck = [t for t in w.threads if t.is_alive()]
        raise
    w.stuck = w.join()


class Workers:
    """Callables running in daemon threads while the test goes on (see workers())."""

    def __init__(self, funcs, what: str):
        self.results = [None] * len(funcs)
        self.errors: list[tuple[int, BaseException]] = []
        self.threads = [threading.Thread(target=self._run, args=(i, f), name=f"{what}-{i + 1}",
                                         daemon=True) for i, f in enumerate(funcs)]
        for t in self.threads:
            t.start()

    def _run(self, i, func):
        try:
            self.results[i] = func()
        except BaseException as exc:  # handed to the test's thread by join()
            self.errors.append((i, exc))

    def raise_errors(self):
        if self.errors:
            raise sorted(self.errors, key=lambda e: e[0])[0][1]

    def join(self, bound: float = BOUND) -> list[threading.Thread]:
        deadline = time.monotonic() + bound
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self.raise_errors()
        return [t for t in self.threads if t.is_alive()]
# --- end of candidate ------------------------------------------------------------------


def where(threads) -> str:
    lines = diagnose.where_threads(threads)
    return ("\nWhere your code was:\n  " + "\n  ".join(lines[:6])) if lines else ""


def expect_blocked(workers: Workers, doing: str, instead: str):
    """Fail unless every worker is blocked in a Condition.wait() of the student's code."""
    if locktrack.until_waiting(workers.threads, BOUND):
        return
    workers.raise_errors()
    done = [(t, workers.results[i]) for i, t in enumerate(workers.threads) if not t.is_alive()]
    if done:
        pytest.fail(
            f"{doing}: it should wait until {instead}, but it returned {done[0][1]!r} at once. "
            f"Wait in a `while` loop on a Condition until the buffer allows the operation. {COND}.",
            pytrace=False,
        )
    cpu = sum(thread_cpu(t) for t in workers.threads)
    pytest.fail(
        f"{doing}: it should block in Condition.wait() until {instead}, but in {BOUND:.0f} s it "
        f"never called wait() on a threading.Condition (it used {cpu:.2f} s of CPU meanwhile). "
        "A loop around time.sleep() (polling) wakes up again and again for nothing and reacts "
        "late; a loop without any wait spins and burns a CPU core; queue.Queue is not allowed "
        "here. Call cond.wait() while holding the Condition's lock: it releases the lock, sleeps "
        f"until another thread calls notify(), and takes the lock back. {COND}." + where(
            [t for t in workers.threads if t.is_alive()]),
        pytrace=False,
    )


def expect_raises(what: str, error, call, expected_wait: float, why: str):
    """Run `call` in a worker; it must raise `error` after ~expected_wait s without spinning."""
    box = {}

    def worker():
        cpu0, start = time.thread_time(), time.monotonic()
        try:
            call()
        except error as exc:
            box["raised"] = exc
        box["elapsed"] = time.monotonic() - start
        box["cpu"] = time.thread_time() - cpu0

    stuck = None
    try:
        run_threads([worker], bound=BOUND, what="timed")
    except Stuck as exc:
        stuck = str(exc)
    if stuck:
        pytest.fail(
            f"{what} was still waiting after {BOUND:.0f} s; expected {error.__name__} after "
            f"{expected_wait} s: the timeout is ignored. Wait with "
            f"cond.wait(remaining), where remaining is what is left until the deadline, and raise "
            f"{error.__name__} when nothing is left. {COND}.\n{stuck}",
            pytrace=False,
        )
    elapsed, cpu = box["elapsed"], box["cpu"]
    if "raised" not in box:
        pytest.fail(f"{what} returned normally after {elapsed:.2f} s; expected {error.__name__}: "
                    f"{why}", pytrace=False)
    assert elapsed >= expected_wait * 0.9, (
        f"{what} raised {error.__name__} after {elapsed:.3f} s; it should wait {expected_wait} s "
        "first. A wait(t) can end early (a notify() that was not for this thread, or a wake-up "
        "that found nothing to do): compute the deadline once, and after each wake-up wait again "
        f"for the time that is left. {COND}."
    )
    assert elapsed <= expected_wait + 2.0, (
        f"{what} raised {error.__name__} only after {elapsed:.2f} s, far beyond its "
        f"{expected_wait} s timeout; expected it after about {expected_wait} s: the timeout "
        f"counts the whole call, not each wait(). {COND}."
    )
    assert cpu <= BUSY_CPU, (
        f"{what} took {cpu:.2f} s of CPU during its {elapsed:.2f} s wait, where a waiting thread "
        f"should take almost none: it busy-waits (a loop "
        "that checks the clock and the buffer over and over). Block in cond.wait(remaining), "
        f"which costs no CPU while it waits. {COND}."
    )


# --- one thread: the basics ------------------------------------------------------------------


def test_put_and_get_are_first_in_first_out(mod):
    buf = mod.BoundedBuffer(3)
    assert buf.capacity == 3, (
        f"BoundedBuffer(3).capacity came back as {buf.capacity!r}, expected 3. {COND}."
    )
    for item in ("a", "b", "c"):
        buf.put(item)
    assert len(buf) == 3, (
        f"After put('a'), put('b'), put('c'), len(buffer) returned {len(buf)!r}, expected 3."
    )
    got = [buf.get() for _ in range(3)]
    assert got == ["a", "b", "c"], (
        f"put('a'), put('b'), put('c') then three get() returned {got}; expected ['a', 'b', 'c']: "
        "get() returns the OLDEST item (first in, first out: append at the right, popleft). "
        f"{COND}."
    )
    assert len(buf) == 0, (
        f"After taking all three items, len(buffer) returned {len(buf)!r}, expected 0."
    )
    buf.put("d", timeout=0)
    buf.put("e", timeout=1)
    got = [buf.get(timeout=0), buf.get(timeout=1)]
    assert got == ["d", "e"], (
        f"put('d', timeout=0), put('e', timeout=1) into an empty buffer, then get(timeout=0), "
        f"get(timeout=1) returned {got}; expected ['d', 'e']: with room (or an item) there is "
        f"nothing to wait for, whatever the timeout. {COND}."
    )


def test_capacity_must_be_positive(mod):
    for capacity in (0, -1):
        try:
            mod.BoundedBuffer(capacity)
        except ValueError:
            continue
        pytest.fail(f"BoundedBuffer({capacity}) returned a buffer; expected ValueError: a "
                    f"buffer needs room for at least one item. {COND}.", pytrace=False)
    capacity = mod.BoundedBuffer(1).capacity
    assert capacity == 1, (
        f"BoundedBuffer(1).capacity came back as {capacity!r}; it should be 1. {COND}."
    )


# --- timeouts ----------------------------------------------------------------------------------


def test_get_on_empty_buffer_times_out(mod):
    buf = mod.BoundedBuffer(2)
    expect_raises("get(timeout=0) on an empty buffer", mod.Empty, lambda: buf.get(timeout=0),
                  0.0, "timeout=0 means: do not wait, raise Empty if there is no item.")
    expect_raises("get(timeout=0.5) on an empty buffer", mod.Empty, lambda: buf.get(timeout=0.5),
                  0.5, "after 0.5 s with no item, get() raises Empty.")
    assert len(buf) == 0, (
        f"After two timed-out get() calls, len(buffer) returned {len(buf)!r}, expected 0."
    )
    buf.put("x")
    got = buf.get(timeout=0.5)
    assert got == "x", f"put('x') then get(timeout=0.5) returned {got!r}, expected 'x'. {COND}."


def test_put_on_full_buffer_times_out(mod):
    buf = mod.BoundedBuffer(2)
    buf.put("a")
    buf.put("b")
    expect_raises("put('c', timeout=0) on a full buffer", mod.Full,
                  lambda: buf.put("c", timeout=0), 0.0,
                  "timeout=0 means: do not wait, raise Full if there is no room.")
    expect_raises("put('d', timeout=0.5) on a full buffer", mod.Full,
                  lambda: buf.put("d", timeout=0.5), 0.5,
                  "after 0.5 s with no free slot, put() raises Full.")
    assert len(buf) == 2, (
        f"After put('c') and put('d') timed out on a full BoundedBuffer(2), len(buffer) "
        f"returned {len(buf)!r}, expected 2: a put() that raises Full adds nothing. {COND}."
    )
    got = [buf.get(timeout=0), buf.get(timeout=0)]
    assert got == ["a", "b"], (
        f"A full BoundedBuffer(2) holding 'a', 'b' gave {got} after two timed-out put() calls; "
        f"expected ['a', 'b']: a put() that raises Full adds nothing. {COND}."
    )


# --- blocking: waiters wait in Condition.wait() and are woken ----------------------------------


def test_blocked_get_waits_in_condition_and_wakes_on_put(mod):
    buf = mod.BoundedBuffer(2)
    with workers([buf.get], what="consumer") as consumer:
        expect_blocked(consumer, "get() on an empty buffer", "an item arrives")
        buf.put("x")
    stuck = consumer.stuck
    if stuck:
        pytest.fail(
            f"A consumer waited in get() on an empty buffer; then put('x') was called, and the "
            f"consumer was still waiting {BOUND:.0f} s later: put() must wake a waiting getter "
            f"(notify() on the Condition the getters wait on, while holding its lock). {COND}."
            + where(stuck),
            pytrace=False,
        )
    got = consumer.results[0]
    assert got == "x", f"A waiting get() returned {got!r} after put('x'); expected 'x'. {COND}."
    assert len(buf) == 0, (
        f"After the item was taken, len(buffer) returned {len(buf)!r}, expected 0. {COND}."
    )


def test_blocked_put_waits_in_condition_and_wakes_on_get(mod):
    buf = mod.BoundedBuffer(1)
    buf.put("old")
    with workers([lambda: buf.put("new", timeout=30)], what="producer") as producer:
        expect_blocked(producer, "put('new', timeout=30) on a full BoundedBuffer(1)",
                       "a slot is free")
        got = buf.get()
    stuck = producer.stuck
    if stuck:
        pytest.fail(
            "A producer waited in put('new', timeout=30) on a full BoundedBuffer(1); then get() "
            f"freed the slot, and the producer was still waiting {BOUND:.0f} s later: get() must "
            "wake a waiting putter (notify() on the Condition the putters wait on), and a timed "
            f"put() must wait in cond.wait(), not sleep out its whole timeout. {COND}." + where(stuck),
            pytrace=False,
        )
    assert got == "old", (
        f"get() on a buffer holding 'old' returned {got!r}, expected 'old'. {COND}."
    )
    got = buf.get(timeout=0)
    assert got == "new", (
        f"After the waiting put('new') was let in, get(timeout=0) returned {got!r}; expected "
        f"'new'. {COND}."
    )


def test_waiting_threads_use_no_cpu(mod):
    empty, full, idle = mod.BoundedBuffer(3), mod.BoundedBuffer(1), mod.BoundedBuffer(1)
    full.put("old")
    with workers([empty.get, empty.get, empty.get, lambda: full.put("new")], what="waiter") as waiters:
        # Measure from the moment they wait (a spinner never does: then from 1 s on).
        locktrack.until_waiting(waiters.threads, 1.0)
        cpu0 = [thread_cpu(t) for t in waiters.threads]
        start = time.monotonic()
        try:  # 0.5 s in which three getters wait on `empty` and a putter on `full`
            idle.get(timeout=0.5)
        except mod.Empty:
            pass
        window = time.monotonic() - start
        used = sum(thread_cpu(t) - c for t, c in zip(waiters.threads, cpu0))
        waiters.raise_errors()
        if used > WAITERS_CPU:
            pytest.fail(
                f"While 3 threads waited in get() on an empty buffer and 1 in put() on a full "
                f"one, for {window:.2f} s, they took {used:.2f} s of CPU, where waiting threads "
                "should take none: they busy-wait, checking "
                "the buffer in a loop instead of sleeping until notified. Block in cond.wait(): a "
                f"waiting thread then costs no CPU at all. {COND}." + where(waiters.threads),
                pytrace=False,
            )
        for item in (1, 2, 3):
            empty.put(item)
        released = full.get()
    stuck = waiters.stuck
    if stuck:
        missed = []
        if any(t is not waiters.threads[3] for t in stuck):
            missed.append("a getter was not woken by put() (put() must notify the getters)")
        if waiters.threads[3] in stuck:
            missed.append("the putter was not woken when get() freed its slot (get() must notify "
                          "the putters)")
        pytest.fail(
            "3 getters waited on an empty buffer and 1 putter on a full one; the test then put 3 "
            f"items and took 1, so every one of them should have been woken, but "
            f"{BOUND:.0f} s later {' and '.join(missed)}: a wake-up was lost. {COND}." + where(stuck),
            pytrace=False,
        )
    got = sorted(waiters.results[:3])
    assert got == [1, 2, 3] and released == "old", (
        f"3 waiting getters received {got} after put(1), put(2), put(3) (expected each item "
        f"once: [1, 2, 3]), and get() on the full buffer returned {released!r} (expected "
        f"'old'). {COND}."
    )


# --- many producers and consumers --------------------------------------------------------------


def test_many_producers_and_consumers_deliver_each_item_once(mod):
    producers, consumers, per = 3, 3, 100
    buf = mod.BoundedBuffer(1)
    received = [[] for _ in range(consumers)]

    def producer(p):
        def run():
            for i in range(per):
                buf.put((p, i))
        return run

    def consumer(c):
        def run():
            for _ in range(per):
                received[c].append(buf.get())
        return run

    story = (
        f"{producers} producers each put {per} items into a BoundedBuffer(1) while {consumers} "
        f"consumers each took {per}"
    )
    stuck = None
    try:
        with races.amplified():
            run_threads([producer(p) for p in range(producers)]
                        + [consumer(c) for c in range(consumers)], what="worker")
    except Stuck as exc:
        stuck = str(exc)
        alive = [t for t in threading.enumerate() if t.name.startswith("worker-") and t.is_alive()]
        asleep = locktrack.until_waiting(alive, 0.5)  # all of them in Condition.wait()?
    except IndexError as exc:
        pytest.fail(
            f"{story}; a get() raised IndexError ({exc}): it took an item from an empty buffer, "
            "where it should have waited for one. "
            "Either a wait() returned and the code went on without checking again (wait in a "
            "`while` loop, not an `if`), or the buffer was checked under the lock but changed "
            "after the lock was released (check and take under ONE `with` block). "
            f"{COND}.",
            pytrace=False,
        )
    if stuck and not asleep:
        pytest.fail(
            f"{story}. After {BOUND:.0f} s, only {sum(map(len, received))} of {producers * per} "
            "items had arrived (all should have), and some threads were still busy, not waiting in "
            "Condition.wait(): waiting by polling with time.sleep() reacts late to every change "
            "(and spinning steals the CPU from the threads that would make progress). Block in "
            f"cond.wait() and wake waiters with notify(). {COND}.\n{stuck}",
            pytrace=False,
        )
    if stuck:
        waiting = locktrack.condition_waiters()
        pytest.fail(
            f"{story}. After {BOUND:.0f} s, {sum(map(len, received))} of {producers * per} items had "
            "arrived and the rest of the threads were all asleep in wait(): a wake-up was lost, "
            "a thread that could go on was never notified. Every change must notify the side "
            "that waits for it: put() wakes a getter, get() wakes a putter. And with ONE "
            "Condition for both \"not empty\" and \"not full\", notify() can wake a producer "
            "when a consumer was needed (or the other way round): it goes back to sleep and "
            "nobody is left to wake the right thread. Use two Conditions on one lock (not_empty, "
            f"not_full), each notify()ing the side that can use the change, or notify_all(). {COND}."
            + ("\nWaiting in Condition.wait():\n  " + "\n  ".join(waiting[:6]) if waiting
               else f"\n{stuck}"),
            pytrace=False,
        )
    got = [item for items in received for item in items]
    expected = {(p, i) for p in range(producers) for i in range(per)}
    counts = {}
    for item in got:
        counts[item] = counts.get(item, 0) + 1
    twice = sorted(item for item, n in counts.items() if n > 1)
    lost = sorted(expected - counts.keys())
    strange = sorted(item for item in counts if item not in expected)[:3]
    assert not twice and not lost and not strange, (
        f"{story}. Every item should arrive exactly once, but "
        + ", ".join(part for part in (
            f"{len(twice)} arrived more than once (e.g. {twice[:3]})" if twice else "",
            f"{len(lost)} never arrived (e.g. {lost[:3]})" if lost else "",
            f"some were never put at all (e.g. {strange})" if strange else "") if part)
        + ". Two threads changed the deque at the same moment: touch the items only while "
        f"holding the lock, from the check to the append/popleft. {COND}."
    )
    for c, items in enumerate(received):
        for p in range(producers):
            mine = [i for q, i in items if q == p]
            assert mine == sorted(mine), (
                f"{story}. Consumer {c + 1} received producer {p + 1}'s items out of order "
                f"(first: {mine[:8]}): the buffer must be first in, first out. "
                f"Append at one end, take from the other (deque.append / popleft). {COND}."
            )
