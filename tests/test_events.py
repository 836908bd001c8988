"""Tests for events: boss and workers, a stoppable worker, a latch (9.25 2 同步条件(Event)).

How each promise of the exercise is checked, without a single sleep:

- boss and workers: workers record, inside work(), what the boss had
  announced so far; work() holds them until the test has announced "go
  home", so a clear() that wipes the second announcement (the notes' race)
  is exposed in every run, not once in a while;
- "no signal, no work": workers get a short timeout and no announcement;
  wait() returns False and they must not work (the timeout is the feature
  under test, 0.2 s);
- the stoppable worker: a Ticker with a ONE-MINUTE interval must stop within
  2 s. A thread asleep in time.sleep(60) cannot be woken; one waiting in
  stop_event.wait(60) is woken by set();
- the latch: hundreds of two-thread count-downs under races.amplified(),
  which forces thread switches inside the student's code, then a look at
  every latch (wait(0)): a lost set() or a lost decrement leaves one closed.
"""
from __future__ import annotations

import threading


from support import races
from support.net import BOUND
from support.threads import Crowd, run_threads
from support import student

TOPIC = "events"

SHORT = 0.2       # s: the timeout workers get when a signal must NOT come
WAIT = 3.0        # s: the timeout workers get when the signal must come
LONG = 60.0       # s: the Ticker interval stop() must cut short
STOP_BOUND = 2.0  # s: stop() must have returned by then

EVENT = "See 9.25 2 同步条件(Event)"
RETURNS = ("event.wait(timeout) returns True when the flag is set and False when the "
           "timeout ran out: check that value")
TWO_EVENTS = ("Use two Events, one per announcement (start_signal, home_signal), and never "
              "clear() them")



def fail(msg: str):
    student.fail(msg, f" {EVENT}.", unless=r"9\.25\ 2")


# --- helpers -------------------------------------------------------------------


def evening(crowd, office, names, work, timeout):
    """Start one worker thread per name: office.worker(name, work, timeout)."""
    for name in names:
        crowd.start(lambda name=name: office.worker(name, work, timeout), name=name)


def all_returned(crowd, names, bound, story):
    """Wait until every worker() returned; fail with `story` if some did not."""
    if not crowd.wait_for(lambda: len(crowd.results) == len(names), bound):
        with crowd.cond:
            missing = [n for n in names if n not in crowd.results]
        fail(f"{story} {len(missing)} of {len(names)} worker() calls ({', '.join(missing)}) had "
             f"still not returned {bound:.0f} s later, although every wait had a timeout, so "
             f"each should have returned by then. Pass the "
             f"timeout on to each wait: start_signal.wait(timeout). {EVENT}.")
    return [crowd.results[n] for n in names]


class Ticks:
    """tick() for a Ticker: counts its calls and lets the test wait for them."""

    def __init__(self):
        self.cond = threading.Condition()
        self.count = 0

    def __call__(self):
        with self.cond:
            self.count += 1
            self.cond.notify_all()

    def wait_for(self, n: int, bound: float = BOUND) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.count >= n, bound)


def stop_within(ticker, bound: float = STOP_BOUND) -> bool:
    """Call ticker.stop() in a helper thread; True if it returned within `bound`."""
    errors = []

    def call():
        try:
            ticker.stop()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    helper = threading.Thread(target=call, name="test-calls-stop", daemon=True)
    helper.start()
    helper.join(bound)
    if errors:
        raise errors[0]
    return not helper.is_alive()


def not_prompt(interval: float, when: str) -> str:
    return (f"Ticker({interval:g}, tick): {when} the test called stop(), which should return "
            f"at once; it had still not returned {STOP_BOUND:.0f} s later. Your ticking thread is most likely asleep in "
            f"time.sleep({interval:g}), which nothing can wake, or waiting on something stop() "
            "does not set. Wait with the stop Event instead -- `if "
            "self._stop.wait(self.interval): break` -- and have stop() call self._stop.set() "
            "before join(): set() ends the wait at once, whatever the interval. "
            f"{EVENT}.")


# --- the boss and the workers --------------------------------------------------


def test_no_work_before_the_start_signal(mod):
    office = mod.Office()
    names = [f"worker-{i + 1}" for i in range(3)]
    worked = []
    with Crowd("worker") as crowd:
        evening(crowd, office, names, worked.append, SHORT)
        story = (f"Three threads called office.worker(name, work, timeout={SHORT}); the boss "
                 "never announced anything.")
        results = all_returned(crowd, names, BOUND, story)
    if worked:
        fail(f"{story} Yet work() was called by {worked}: after {SHORT} s start_signal.wait("
             f"{SHORT}) returned False -- the signal never came -- and the worker went to work "
             f"anyway, where it should have gone home without working. {RETURNS}, and return "
             f"False without working. {EVENT}.")
    if results != [False] * len(names):
        fail(f"{story} worker() returned {results}; expected False for each: no start signal "
             f"came within the timeout. {RETURNS}. {EVENT}.")


def test_workers_start_on_the_signal_and_go_home_on_the_second(mod):
    office = mod.Office()
    names = [f"worker-{i + 1}" for i in range(5)]
    said = {"start": False, "home": False}  # what the boss has announced so far
    records = []  # (name, whether the start had been announced when it worked)
    with Crowd("worker") as crowd:
        def work(name):
            with crowd.cond:
                records.append((name, said["start"]))
                crowd.cond.notify_all()

        for name in names:
            crowd.start(lambda name=name: (office.worker(name, work, WAIT), said["home"]),
                        name=name)
        with crowd.cond:
            said["start"] = True
        office.announce_start()
        if not crowd.wait_for(lambda: len(records) == len(names)):
            fail(f"Five threads called office.worker(name, work, timeout={WAIT:.0f}) and the boss "
                 f"called announce_start(); {BOUND:.0f} s later only {len(records)} had called "
                 "work(). announce_start() must set the start Event (which wakes every waiting "
                 f"worker), and worker() must call work(name) once it is set. {EVENT}.")
        with crowd.cond:
            said["home"] = True
        office.announce_home()
        results = all_returned(crowd, names, BOUND, "After announce_start() and announce_home(),")
    early = [name for name, started in records if not started]
    if early:
        fail(f"{', '.join(early)} called work() before the boss called announce_start(), but "
             f"worker() must first wait for the start signal (start_signal.wait(timeout)). {EVENT}.")
    twice = sorted({n for n, _ in records if [r[0] for r in records].count(n) > 1})
    if twice:
        fail(f"{', '.join(twice)} called work() more than once, but each worker should work "
             f"exactly once.")
    for name, (went_home, home_said) in zip(names, results):
        if went_home is not True:
            fail(f"The boss announced the start and then the end of the evening; {name}'s "
                 f"worker(name, work, timeout={WAIT:.0f}) returned {went_home!r}, expected True: "
                 f"the home signal came. {RETURNS}. {EVENT}.")
        if not home_said:
            fail(f"{name}'s worker() returned before the boss called announce_home(): it went "
                 f"home early. After work(), it should wait for the home signal. {TWO_EVENTS}. {EVENT}.")


def test_nobody_goes_home_before_the_home_signal(mod):
    office = mod.Office()
    names = [f"worker-{i + 1}" for i in range(3)]
    worked = []
    office.announce_start()
    with Crowd("worker") as crowd:
        evening(crowd, office, names, worked.append, SHORT)
        story = (f"The boss called announce_start() but never announce_home(); three threads "
                 f"called office.worker(name, work, timeout={SHORT}).")
        results = all_returned(crowd, names, BOUND, story)
    if sorted(worked) != names:
        fail(f"{story} work() was only called for {sorted(worked)}; expected once for each worker, "
             "since the start had been announced.")
    if results != [False] * len(names):
        fail(f"{story} worker() returned {results}; expected False for each: the home signal "
             "never came, so no worker may go home. If the second wait is on the same Event as "
             "the first, it is already set and returns True at once (that is why the notes "
             f"clear() it -- and clear() brings a race of its own). {TWO_EVENTS}. {EVENT}.")


def test_home_signal_is_not_lost(mod):
    office = mod.Office()
    names = [f"worker-{i + 1}" for i in range(3)]
    gate = threading.Event()  # keeps the workers inside work() until the boss said "go home"
    working = []
    with Crowd("worker", release=gate.set) as crowd:
        def work(name):
            with crowd.cond:
                working.append(name)
                crowd.cond.notify_all()
            gate.wait(BOUND)

        evening(crowd, office, names, work, WAIT)
        office.announce_start()
        if not crowd.wait_for(lambda: len(working) == len(names)):
            fail(f"After announce_start(), only {len(working)} of 3 workers called work() within "
                 f"{BOUND:.0f} s. worker() must wait for the start signal and then call "
                 f"work(name). {EVENT}.")
        office.announce_home()  # while every worker is still inside work()
        gate.set()
        results = all_returned(crowd, names, BOUND, "After announce_start() and announce_home(),")
    lost = [n for n, r in zip(names, results) if r is not True]
    if lost:
        fail(f"The boss announced the start; while all three workers were still inside work(), "
             f"he announced home time. Then work() returned, and worker() returned "
             f"{[crowd.results[n] for n in lost]} for {', '.join(lost)}: they waited "
             f"{WAIT:.0f} s for a home signal the boss had already given; each should have "
             f"returned True once work() was done. That is the notes' "
             "race: with ONE event, the worker clear()s it after work() to wait for the second "
             "announcement -- but when the boss was quicker, clear() wipes that announcement "
             f"and the worker waits for ever. {TWO_EVENTS}. {EVENT}.")


def test_announcements_made_before_workers_arrive_still_count(mod):
    office = mod.Office()
    names = [f"worker-{i + 1}" for i in range(3)]
    worked = []
    office.announce_start()
    office.announce_home()
    with Crowd("worker") as crowd:
        evening(crowd, office, names, worked.append, WAIT)
        story = ("The boss called announce_start() and announce_home() before any worker "
                 f"arrived; then three threads called office.worker(name, work, "
                 f"timeout={WAIT:.0f}).")
        results = all_returned(crowd, names, BOUND, story)
    if sorted(worked) != names or results != [True] * len(names):
        fail(f"{story} work() was called for {sorted(worked)} and worker() returned {results}; "
             "expected every worker to work once and return True at once. An Event remembers: "
             "set() before anybody waits is not lost (unlike Condition.notify()), so a late "
             f"worker's wait() returns True immediately. Never clear() a signal. {EVENT}.")


# --- the stoppable worker ----------------------------------------------------------


def test_ticker_ticks_again_and_again(mod):
    ticks = Ticks()
    ticker = mod.Ticker(0.001, ticks)
    ticker.start()
    try:
        ticked = ticks.wait_for(3)
    finally:
        prompt = stop_within(ticker)
    if not ticked:
        fail(f"Ticker(0.001, tick).start(): {BOUND:.0f} s later tick() had only been called "
             f"{ticks.count} time(s); expected it at once and then every 0.001 s (3 calls take a "
             "few milliseconds). The thread must loop: tick(), wait `interval`, tick() again, "
             f"until stop(). {EVENT}.")
    if not prompt:
        fail(not_prompt(0.001, "after 3 ticks"))
    after = ticks.count
    if not stop_within(ticker):
        fail("Ticker.stop() called a second time had still not returned 2 s later: a second "
             "stop() must do nothing (the Event is already set, the thread already joined).")
    if ticks.count != after:
        fail(f"tick() was still called {ticks.count - after} more time(s) after stop() had returned; "
             "stop() must join() the ticking thread, so that nothing ticks afterwards.")


def test_stop_is_prompt_with_a_long_interval(mod):
    ticks = Ticks()
    ticker = mod.Ticker(LONG, ticks)
    ticker.start()
    first = ticks.wait_for(1)
    if not stop_within(ticker):
        fail(not_prompt(LONG, "right after the first tick," if first else "after start(),"))
    if not first:
        fail(f"Ticker({LONG:g}, tick).start(): {BOUND:.0f} s later tick() had not been called; "
             "expected the first tick at once, and only then the wait of `interval` seconds.")


def test_no_tick_after_stop(mod):
    ticks = Ticks()
    ticker = mod.Ticker(LONG, ticks)
    ticker.start()
    first = ticks.wait_for(1)
    if not stop_within(ticker):
        fail(not_prompt(LONG, "right after the first tick,"))
    if not first:
        fail(f"Ticker({LONG:g}, tick).start(): tick() was never called within {BOUND:.0f} s; "
             "expected the first tick at once.")
    if ticks.count != 1:
        fail(f"Ticker({LONG:g}, tick): after the first tick the test called stop(), which "
             f"returned at once; by then tick() had been called {ticks.count} times, expected "
             "once. The wait for the next tick ended because stop() set the event, and the loop "
             "ticked once more anyway. stop_event.wait(interval) returns True when the event "
             "is set: when it does, leave the loop without ticking -- `if "
             f"self._stop.wait(self.interval): break`. {EVENT}.")


# --- the latch -------------------------------------------------------------------


def test_latch_counts_down_to_open(mod):
    latch = mod.CountDownLatch(3)
    seen = []
    for step in range(4):
        seen.append((latch.count, latch.wait(0)))
        latch.count_down()
    seen.append((latch.count, latch.wait(0)))
    expected = [(3, False), (2, False), (1, False), (0, True), (0, True)]
    if seen != expected:
        fail(f"CountDownLatch(3): (latch.count, latch.wait(0)) before each of 4 count_down() "
             f"calls and after the last gave {seen}; expected {expected}. The gate opens when "
             "the count reaches 0 and stays open; the count never goes below 0; wait(0) only "
             "looks and returns whether it is open.")
    zero = mod.CountDownLatch(0)
    if not zero.wait(0):
        fail("CountDownLatch(0).wait(0) returned False; expected True: a latch with nothing to "
             "count is open from the start.")
    try:
        mod.CountDownLatch(-1)
    except ValueError:
        pass
    else:
        fail("CountDownLatch(-1) returned a latch; expected ValueError (count must be >= 0).")


def test_waiters_wake_when_the_count_reaches_zero(mod):
    latch = mod.CountDownLatch(2)
    names = [f"waiter-{i + 1}" for i in range(4)]
    with Crowd("waiter") as crowd:
        for name in names:  # each records wait()'s answer and the count it then saw
            crowd.start(lambda: (latch.wait(BOUND), latch.count), name=name)
        latch.count_down()
        with crowd.cond:
            early = dict(crowd.results)
        latch.count_down()
        if not crowd.wait_for(lambda: len(crowd.results) == len(names)):
            fail(f"CountDownLatch(2): four threads called latch.wait(timeout=5); the test called "
                 f"count_down() twice, so every waiter should return; {BOUND:.0f} s later "
                 f"{len(names) - len(crowd.results)} waiters had still not returned. When the "
                 "count reaches 0, set the Event: set() "
                 f"wakes every waiting thread at once. {EVENT}.")
    if early:
        fail(f"CountDownLatch(2): with one count_down() still missing, {sorted(early)} had "
             f"already returned from wait(timeout=5) with (result, count) = "
             f"{sorted(early.values())}. wait() must block until the count reaches 0.")
    wrong = {n: r for n, r in crowd.results.items() if r != (True, 0)}
    if wrong:
        fail(f"CountDownLatch(2): after two count_down() calls, waiters returned (wait() result, "
             f"latch.count) = {wrong}; expected (True, 0) for each. {EVENT}.")


def test_latch_wait_times_out_with_false(mod):
    latch = mod.CountDownLatch(1)
    try:
        got = latch.wait(SHORT)
    except Exception as exc:
        if isinstance(exc, NotImplementedError):
            raise
        fail(f"CountDownLatch(1).wait({SHORT}) raised {type(exc).__name__}: {exc}; expected it "
             f"to return False after {SHORT} s, like Event.wait(timeout). {EVENT}.")
    if got is not False or latch.count != 1:
        fail(f"CountDownLatch(1).wait({SHORT}), with no count_down(), returned {got!r} and left "
             f"count={latch.count!r}; expected False and 1. {RETURNS}. {EVENT}.")


def test_latch_opens_when_counted_down_concurrently(mod):
    rounds = 300
    latches = [mod.CountDownLatch(2) for _ in range(rounds)]
    meet = threading.Barrier(2, timeout=BOUND)

    def counter():
        for latch in latches:
            meet.wait()  # both threads count the same latch down at the same moment
            latch.count_down()

    with races.amplified():
        run_threads([counter, counter], what="counter")
    closed = [(i, latch.count) for i, latch in enumerate(latches) if not latch.wait(0)]
    if closed:
        counts = sorted({c for _, c in closed})
        why = (("Their count is 0, so each time the set() was lost: a count_down() that "
                "decided 'not zero yet' outside the lock clear()ed the Event after the other "
                "thread's set(). Decide and set() under the lock, and never clear() a latch.")
               if counts == [0] else
               (f"Their count stayed at {counts}: a decrement was lost, because two threads "
                "read the same count and both wrote count - 1 (9.23 1). Guard the "
                "read-modify-write with a lock."))
        fail(f"Two threads each called count_down() once on each of {rounds} CountDownLatch(2) "
             f"(meeting at a Barrier before every latch, while the grader forced thread "
             f"switches inside your code), so every latch should have opened; {len(closed)} "
             f"latches were left closed (wait(0) False), e.g. latch #{closed[0][0]}. {why} "
             f"{EVENT}.")
