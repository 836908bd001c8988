"""Coroutines from generators (9.25 5 协程): producer/consumer and a scheduler.

Everything here is deterministic and takes no real time:

- the consumer is driven by hand (next, send, close) and its state is read
  with inspect.getgeneratorstate: CREATED before priming, SUSPENDED between
  baozi, CLOSED after close();
- producer() is given the test's own consumers, which record how they were
  resumed: a send() before priming is a TypeError; a consumer that returns
  ("is full") raises StopIteration in send(), which producer() must catch;
- the Scheduler runs test tasks that log (virtual time, task, step). The
  exact interleaving is known in advance: round robin for plain yields,
  wake-up order for sleepers. time.sleep is replaced by a function that fails
  the test: the clock is virtual, nothing may really sleep.

A scheduler stuck in a loop is stopped by the grader's per-test alarm (it
reports a busy loop and your line); the tasks here are all finite.
"""
from __future__ import annotations

import inspect
import time

import pytest

TOPIC = "coroutines"

SEE = "See 9.25 5 协程"
CREATED, SUSPENDED, CLOSED = (inspect.GEN_CREATED, inspect.GEN_SUSPENDED, inspect.GEN_CLOSED)


def state(gen) -> str:
    return inspect.getgeneratorstate(gen)


# --- the consumer -------------------------------------------------------------------

def test_consumer_is_a_generator_primed_with_next(mod):
    c = mod.consumer("c1")
    if not inspect.isgenerator(c):
        pytest.fail(f"consumer('c1') returned {c!r}, not a generator object: the function "
                    f"body must contain `yield` (new_baozi = yield ...), so that calling it "
                    f"creates a generator without running any of it. {SEE}.", pytrace=False)
    assert state(c) == CREATED, (
        f"consumer('c1') came back {state(c)} right after it was created; expected "
        f"GEN_CREATED: a new generator has not started yet. {SEE}."
    )
    first = next(c)
    assert state(c) == SUSPENDED, (
        f"After next(c) (priming) the test found the consumer {state(c)}; expected GEN_SUSPENDED: "
        f"paused at its first yield, waiting for a baozi. It must loop forever (while True). "
        f"{SEE}."
    )
    assert first is None, (
        f"Priming with next(c) returned {first!r}; expected None: nothing has been eaten yet. "
        f"{SEE}."
    )
    for n in (1, 2, 7):
        reply = c.send(n)
        assert reply == f"[c1] is eating baozi {n}", (
            f"c.send({n}) returned {reply!r}; expected '[c1] is eating baozi {n}'. send(x) "
            f"resumes the generator (x is the value of the paused `yield` expression) and "
            f"returns the value of the NEXT yield: so yield the reply. {SEE}."
        )
    c.close()
    assert state(c) == CLOSED, (
        f"After c.close() the test found the consumer {state(c)}; expected GEN_CLOSED. close() "
        f"raises GeneratorExit at the paused yield: do not catch it and carry on. {SEE}."
    )


# --- the producer --------------------------------------------------------------------

class SpyConsumer:
    """A test consumer: a generator that records how it was driven."""

    def __init__(self, name, appetite=None):
        self.name = name
        self.appetite = appetite  # return after this many baozi (None: never)
        self.got = []
        self.closed = False
        self.gen = self._run()

    def _run(self):
        try:
            reply = None
            while True:
                baozi = yield reply
                self.got.append(baozi)
                if self.appetite is not None and len(self.got) > self.appetite:
                    return f"[{self.name}] is full"  # refuses this one: StopIteration
                reply = f"[{self.name}] is eating baozi {baozi}"
        except GeneratorExit:
            self.closed = True
            raise


def expected_log(spies, n):
    log, hungry = [], list(spies)
    for i in range(1, n + 1):
        for s in list(hungry):
            if s.appetite is not None and i > s.appetite:
                hungry.remove(s)
                log.append(f"[{s.name}] is full")
            else:
                log.append(f"[{s.name}] is eating baozi {i}")
        log.append(f"[producer] is making baozi {i}")
    return log


def run_producer(mod, spies, n, call, gens=None):
    try:
        return mod.producer(gens if gens is not None else [s.gen for s in spies], n)
    except TypeError as exc:
        if "just-started generator" in str(exc):
            pytest.fail(f"{call} raised TypeError: {exc}; expected the log. A new generator has "
                        f"not reached its "
                        f"first yield yet, so there is nothing to send a value to. Prime every "
                        f"consumer first with next(c) (the notes: `r = con.__next__()`), then "
                        f"send(). {SEE}.", pytrace=False)
        raise
    except StopIteration as exc:
        pytest.fail(f"{call} raised StopIteration({exc.value!r}); it should have caught it and "
                    f"fed the other consumers. A consumer that returns "
                    f"(it is full) makes send() raise StopIteration, carrying the return value "
                    f"in .value. Catch it around send(): stop sending to that consumer, log "
                    f"exc.value, and go on feeding the others. {SEE}.", pytrace=False)


def check_log(got, want, call):
    if got == want:
        return
    if not isinstance(got, list):
        pytest.fail(f"{call} returned {got!r:.100}; expected the list of log lines. {SEE}.",
                    pytrace=False)
    i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    pytest.fail(f"{call} returned a log of {len(got)} lines, expected {len(want)}. First "
                f"difference at line {i}: got {got[i] if i < len(got) else '(nothing)'!r}, "
                f"expected {want[i] if i < len(want) else '(nothing)'!r}. The expected order: "
                f"for each baozi, every consumer eats it in turn, then '[producer] is making "
                f"baozi N' (the notes: con.send(n), con2.send(n), print). {SEE}.", pytrace=False)


def test_producer_feeds_consumers_in_turn(mod):
    spies = [SpyConsumer("c1"), SpyConsumer("c2")]
    call = "producer([c1, c2], 3)"
    log = run_producer(mod, spies, 3, call)
    check_log(log, expected_log(spies, 3), call)
    for s in spies:
        assert s.got == [1, 2, 3], (
            f"{call}: consumer {s.name} received {s.got}; expected [1, 2, 3], one send() per "
            f"baozi. {SEE}."
        )
        assert state(s.gen) == CLOSED and s.closed, (
            f"{call} returned with consumer {s.name} {state(s.gen)}; expected GEN_CLOSED: close() "
            f"every consumer at the end, so it can clean up (close() raises GeneratorExit at its "
            f"yield). {SEE}."
        )


def test_producer_drops_a_full_consumer(mod):
    spies = [SpyConsumer("c1"), SpyConsumer("picky", appetite=2), SpyConsumer("c3")]
    call = ("producer([c1, picky, c3], 4) where picky eats 2 baozi and then, sent the 3rd, "
            "returns '[picky] is full'")
    log = run_producer(mod, spies, 4, call)
    check_log(log, expected_log(spies, 4), call)
    assert spies[1].got == [1, 2, 3], (
        f"{call}: picky received {spies[1].got}; expected [1, 2, 3]: after its StopIteration, "
        f"stop sending to it. {SEE}."
    )
    for s in (spies[0], spies[2]):
        assert s.got == [1, 2, 3, 4], (
            f"{call}: {s.name} received {s.got}; expected [1, 2, 3, 4]: one full consumer must "
            f"not stop the others. {SEE}."
        )
        assert state(s.gen) == CLOSED, (
            f"{call}: {s.name} was left {state(s.gen)} at the end; expected GEN_CLOSED: close() "
            f"every consumer still eating. {SEE}."
        )


def test_producer_with_the_notes_consumers(mod):
    call = "producer([consumer('c1'), consumer('c2')], 2)"
    cons = [mod.consumer("c1"), mod.consumer("c2")]
    log = run_producer(mod, [], 2, call, gens=cons)
    want = ["[c1] is eating baozi 1", "[c2] is eating baozi 1", "[producer] is making baozi 1",
            "[c1] is eating baozi 2", "[c2] is eating baozi 2", "[producer] is making baozi 2"]
    check_log(log, want, call)
    assert all(state(c) == CLOSED for c in cons), (
        f"{call}: the consumers were left {[state(c) for c in cons]} at the end; expected "
        f"GEN_CLOSED: close() them. {SEE}."
    )


# --- the scheduler -------------------------------------------------------------------

@pytest.fixture
def no_real_sleep(monkeypatch):
    calls = []

    def sleep(seconds):
        calls.append(seconds)
        raise AssertionError(
            f"time.sleep({seconds!r}) was called, but nothing should really sleep. The "
            f"scheduler's clock is VIRTUAL: `yield "
            f"Sleep(t)` puts the task aside until sched.now reaches now + t, and when no task "
            f"is ready the clock jumps to the first wake-up. Nothing really sleeps (a real "
            f"sleep would stop every task, like a blocking call in gevent). {SEE}.")

    monkeypatch.setattr(time, "sleep", sleep)
    yield calls
    if calls:  # the AssertionError above was swallowed by an `except Exception:`
        pytest.fail(f"time.sleep() was still called {len(calls)} time(s) (with {calls[:5]}), "
                    f"but the scheduler's clock is VIRTUAL: nothing should really sleep. {SEE}.",
                    pytrace=False)


def test_spawn_needs_a_generator(mod):
    sched = mod.Scheduler()

    def task():
        yield

    try:
        sched.spawn(task, "oops")
    except TypeError:
        pass
    else:
        pytest.fail("spawn(task) with the generator FUNCTION (not called) returned normally; "
                    "expected TypeError. A task is a generator object: spawn(task()). Check with "
                    f"inspect.isgenerator(). {SEE}.", pytrace=False)
    name = sched.spawn(task(), "ok")
    assert name == "ok", f"spawn(task(), 'ok') returned {name!r}; expected the name 'ok'. {SEE}."
    auto = sched.spawn(task())
    assert isinstance(auto, str) and auto != "ok", (
        f"spawn(task()) without a name returned {auto!r}; expected a new name (a str) made up by "
        f"the scheduler. {SEE}."
    )


def test_yield_gives_up_the_turn(mod, no_real_sleep):
    sched = mod.Scheduler()
    log = []

    def task(name, steps):
        for i in range(steps):
            log.append(f"{name}{i}")
            yield  # give the others a turn

    for name, steps in (("a", 3), ("b", 2), ("c", 4)):
        sched.spawn(task(name, steps), name)
    sched.run()
    want = ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "c2", "c3"]
    if log != want:
        starved = len(log) >= 2 and log[0][0] == log[1][0]
        pytest.fail(f"Tasks a (3 steps), b (2) and c (4), each yielding after every step: the "
                    f"test saw them run in the order {log}; expected round robin {want}." + (
                        " After a plain `yield` the same task ran again while the others "
                        "waited (starved): a task that yields goes to the BACK of the ready "
                        "queue (deque.append, then popleft)." if starved else
                        " Take the next task from the front of the ready queue, and put a "
                        "task that yielded at the back.") + f" {SEE}.", pytrace=False)
    assert sched.now == 0, (
        f"No task slept, yet the clock moved to {sched.now!r}; expected 0: running takes no "
        f"virtual time; only Sleep moves the clock. {SEE}."
    )


def test_task_results_are_collected(mod, no_real_sleep):
    sched = mod.Scheduler()

    def compute(n):
        total = 0
        for i in range(n):
            total += i
            yield
        return total

    def nothing():
        yield

    gens = {"sum4": compute(4), "sum0": compute(0), "none": nothing()}
    for name, gen in gens.items():
        sched.spawn(gen, name)
    returned = sched.run()
    want = {"sum4": 6, "sum0": 0, "none": None}
    why = (" A generator's `return value` arrives as StopIteration(value): catch StopIteration "
           "when you resume a task and store .value (a task that returns nothing still has a "
           "result: None).")
    assert sched.results == want, (
        f"After run(), sched.results came back as {sched.results!r}; expected {want!r}.{why} "
        f"{SEE}."
    )
    assert returned == want, (
        f"run() returned {returned!r}; expected the results {want!r}. {SEE}."
    )
    assert sched.errors == {}, (
        f"No task raised, yet sched.errors came back as {sched.errors!r}; expected {{}}. "
        f"StopIteration is how a generator FINISHES, not an error: catch it before a general "
        f"`except Exception`. {SEE}."
    )
    assert all(state(g) == CLOSED for g in gens.values()), (
        f"After run() the tasks were left {[state(g) for g in gens.values()]}; every task should "
        f"have run to its end (GEN_CLOSED). {SEE}."
    )


def test_failing_task_does_not_stop_others(mod, no_real_sleep):
    sched = mod.Scheduler()
    log = []
    boom = ValueError("bad baozi")

    def fails():
        log.append("fails 0")
        yield
        raise boom

    def steady(name):
        for i in range(3):
            log.append(f"{name} {i}")
            yield
        return name.upper()

    gens = {"fails": fails(), "x": steady("x"), "y": steady("y")}
    for name, gen in gens.items():
        sched.spawn(gen, name)
    try:
        sched.run()
    except ValueError as exc:
        pytest.fail(f"run() raised {exc!r}, the exception of task 'fails', and stopped there, "
                    f"but it should record it and go on: tasks x and y never finished (they ran {[e for e in log if e[0] != 'f']}). "
                    f"Catch a task's exception (except Exception), record it in "
                    f"sched.errors[name], and go on with the other tasks. {SEE}.",
                    pytrace=False)
    assert sched.errors.get("fails") is boom, (
        f"Task 'fails' raised ValueError('bad baozi'); sched.errors came back as "
        f"{sched.errors!r}. Expected sched.errors['fails'] to be that very exception object. "
        f"{SEE}."
    )
    assert sched.results == {"x": "X", "y": "Y"}, (
        f"With task 'fails' failing, sched.results came back as {sched.results!r}; expected "
        f"{{'x': 'X', 'y': 'Y'}}: the other tasks finish and their results are kept (a failed "
        f"task has no result). A task's `return value` arrives as StopIteration(value): catch "
        f"StopIteration before `except Exception` (it is an Exception too). {SEE}."
    )
    assert log.count("x 2") == 1 and log.count("y 2") == 1, (
        f"The tasks ran {log}, but x and y should each run their 3 steps once. {SEE}."
    )
    assert all(state(g) == CLOSED for g in gens.values()), (
        f"After run() the tasks were left {[state(g) for g in gens.values()]}; every task should "
        f"have ended (GEN_CLOSED), the failed one included. {SEE}."
    )


def test_sleep_uses_a_virtual_clock(mod, no_real_sleep):
    sched = mod.Scheduler()
    log = []

    def napper(name, naps):
        for nap in naps:
            log.append((sched.now, name, f"naps {nap}"))
            yield mod.Sleep(nap)
        log.append((sched.now, name, "done"))
        return sched.now

    def busy():
        for i in range(3):
            log.append((sched.now, "busy", i))
            yield

    # the notes' gevent example: func1 sleeps 2, func2 sleeps 1
    sched.spawn(napper("func1", [2]), "func1")
    sched.spawn(napper("func2", [1, 10]), "func2")
    sched.spawn(busy(), "busy")
    sched.run()
    want = [(0, "func1", "naps 2"), (0, "func2", "naps 1"), (0, "busy", 0), (0, "busy", 1),
            (0, "busy", 2), (1, "func2", "naps 10"), (2, "func1", "done"), (11, "func2", "done")]
    if log != want:
        i = next((i for i, (a, b) in enumerate(zip(log, want)) if a != b), min(len(log), len(want)))
        pytest.fail(f"func1 sleeps 2; func2 sleeps 1, then 10; busy yields 3 times without "
                    f"sleeping. Logged as (sched.now, task, step), they ran {log}; expected "
                    f"{want}. First difference at entry {i}. Running takes no virtual time: "
                    f"while any task is ready the clock stands still; when none is, it jumps to "
                    f"the earliest wake-up (now + t when the task yielded Sleep(t)). {SEE}.",
                    pytrace=False)
    assert sched.results == {"func1": 2, "func2": 11, "busy": None}, (
        f"After run(), sched.results came back as {sched.results!r}; expected "
        f"{{'func1': 2, 'func2': 11, 'busy': None}}: each task's `return value`, taken from "
        f"StopIteration.value (None for a task that returns nothing). {SEE}."
    )
    assert sched.now == 11, (
        f"After run() the clock was left at {sched.now!r}; expected 11 (the last wake-up). {SEE}."
    )


def test_sleepers_wake_in_time_order(mod, no_real_sleep):
    sched = mod.Scheduler()
    woke = []

    def sleeper(name, t):
        yield mod.Sleep(t)
        woke.append((sched.now, name))

    for name, t in (("five", 5), ("two-a", 2), ("zero", 0), ("two-b", 2), ("one", 1)):
        sched.spawn(sleeper(name, t), name)
    sched.run()
    want = [(0, "zero"), (1, "one"), (2, "two-a"), (2, "two-b"), (5, "five")]
    assert woke == want, (
        f"Five tasks slept 5, 2, 0, 2 and 1 (spawned in that order); the test saw them wake as {woke} "
        f"(sched.now, name), expected {want}: by wake-up time, and tasks waking at the same "
        f"time in the order they went to sleep. A heap of (wake time, counter, task) gives "
        f"that order (heapq). {SEE}."
    )


def test_tasks_can_spawn_tasks(mod, no_real_sleep):
    sched = mod.Scheduler()
    log = []

    def child(i):
        log.append(f"child{i}")
        yield mod.Sleep(i)
        return i * 10

    def parent():
        for i in (1, 2):
            sched.spawn(child(i), f"child{i}")
            log.append(f"spawned {i}")
            yield
        return "parent done"

    sched.spawn(parent(), "parent")
    sched.run()
    assert sched.results == {"parent": "parent done", "child1": 10, "child2": 20}, (
        f"A task spawned two more tasks while run() was running; sched.results came back as "
        f"{sched.results!r}, expected {{'parent': 'parent done', 'child1': 10, 'child2': 20}}. "
        f"run() must keep going until the ready queue AND the sleepers are empty, including "
        f"tasks added meanwhile. {SEE}."
    )
    assert log == ["spawned 1", "child1", "spawned 2", "child2"], (
        f"The parent spawned child1, yielded, spawned child2, yielded; the log came back as "
        f"{log}, expected ['spawned 1', 'child1', 'spawned 2', 'child2']: a new task joins the "
        f"back of the ready queue. {SEE}."
    )
