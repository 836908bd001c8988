"""Tests for queues: a pipeline, job ordering and a thread pool (9.25 3 多线程利器 队列(queue)).

How each promise of the exercise is checked, without a single sleep:

- task_done()/join(): the test calls pipe.join() in a helper thread with a
  bound. A join() that never returns is reported as a hang (with how many
  items work() had finished, which tells a missing task_done() from a
  stuck worker), never by freezing the grader;
- shutdown: the threads start() or ThreadPool() created are looked up by
  identity; after close()/shutdown() returned, every one must have ended.
  (The autouse leak check would catch them too; these tests say why.)
- ordering: equal priorities with payloads that sort differently from their
  put order ("zebra" before "apple"), and dicts, which cannot be compared;
- the pool: tasks that finish in reverse order (each waits for the next one
  to finish: Events, not sleeps), a Barrier only as many tasks as there are
  workers can pass, and a task that raises.

The timeouts passed to get()/result()/put() when they must give up are the
feature under test (0.05 s); every other wait is bounded and ends as soon as
the correct code has done its part.
"""
from __future__ import annotations

import contextlib
import queue
import threading
import time


from support import races
from support.net import BOUND
from support.threads import Crowd, run_threads
from support import student

TOPIC = "queues"

SHORT = 0.05     # s: the timeout passed when get()/result()/put() must give up
PROMPT = 2.0     # s: join()/close()/shutdown() must have returned by then

QUEUE = "See 9.25 3 多线程利器 队列(queue)"
SENTINEL = ("A consumer blocked in q.get() only wakes up for an item: put one sentinel per "
            "worker (a private `_STOP = object()`, compared with `is`), and join() every "
            "thread after that")



def fail(msg: str):
    student.fail(msg, f" {QUEUE}.", unless=r"9\.25\ 3")


@contextlib.contextmanager
def unfinished_parts_surface():
    """A NotImplementedError that ends a thread the student's code started (a pool
    worker calling an unwritten Future.set_result()) is re-raised in the test's
    thread when the block ends, so the grader reports "not started" instead of
    the timeouts it causes. Other thread exceptions go on to the previous hook."""
    caught = []
    previous = threading.excepthook

    def hook(args):
        caught.append(args.exc_value)
        previous(args)

    threading.excepthook = hook
    try:
        yield
    except BaseException:
        unwritten = [e for e in caught if isinstance(e, NotImplementedError)]
        if unwritten:
            raise unwritten[0] from None
        raise
    finally:
        threading.excepthook = previous
    unwritten = [e for e in caught if isinstance(e, NotImplementedError)]
    if unwritten:
        raise unwritten[0]


def call_within(func, bound: float, name: str):
    """Run func() in a daemon helper thread. (True, value) if it returned within
    `bound`, (False, None) if it was still running; its exception is re-raised."""
    box = {}

    def run():
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the test's thread below
            box["error"] = exc

    helper = threading.Thread(target=run, name=name, daemon=True)
    helper.start()
    helper.join(bound)
    if "error" in box:
        raise box["error"]
    return (not helper.is_alive()), box.get("value")


def new_threads(before: set) -> list:
    return [t for t in threading.enumerate() if t not in before]


def leftover(threads, what: str, call: str):
    """None if every thread has ended; else a complaint. A thread that ends within a
    second of `call` returning was merely not joined; one still running is stuck."""
    running = [t for t in threads if t.is_alive()]
    if not running:
        return None
    deadline = time.monotonic() + 1.0
    for t in running:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in running if t.is_alive()]
    if not stuck:
        return (f"{call} returned while {len(running)} of the {what} threads were still running "
                "(they ended a moment later): it must join() every thread it stopped, so that "
                "when it returns nothing is left running.")
    return (f"after {call} returned, {len(stuck)} of the {len(threads)} {what} threads "
            f"({', '.join(stuck)}) were still running -- blocked in q.get(), waiting for an item "
            "that will never come (the notes' `while True: q.get()`) -- where every one should "
            f"have ended before {call} returned. Threads left running are "
            f"a leak, and a program that never exits: {SENTINEL}. {QUEUE}.")


# --- helpers -------------------------------------------------------------------


@contextlib.contextmanager
def started(pipe):
    """pipe.start(), and pipe.close() afterwards, bounded (a hanging close() is reported)."""
    with unfinished_parts_surface():
        pipe.start()
        ok = False
        try:
            yield pipe
            ok = True
        finally:
            closed, _ = call_within(pipe.close, PROMPT, "test-calls-close")
            if ok and not closed:
                fail(f"Pipeline.close() had not returned {PROMPT:.0f} s after the test called "
                     f"it; it should stop the consumers and return at once. {SENTINEL}. {QUEUE}.")


@contextlib.contextmanager
def pool_of(mod, workers: int):
    """A ThreadPool, shut down afterwards, bounded (a hanging shutdown() is reported)."""
    with unfinished_parts_surface():
        pool = mod.ThreadPool(workers)
        ok = False
        try:
            yield pool
            ok = True
        finally:
            done, _ = call_within(pool.shutdown, PROMPT, "test-calls-shutdown")
            if ok and not done:
                fail(f"ThreadPool.shutdown() had not returned {PROMPT:.0f} s after the test "
                     f"called it; it should stop the workers and return at once. {SENTINEL}. "
                     f"{QUEUE}.")


def join_within(pipe, story: str, processed) -> None:
    """pipe.join() must return within PROMPT; processed() says how many items work() finished."""
    joined, _ = call_within(pipe.join, PROMPT, "test-calls-join")
    if not joined:
        done = processed()
        fail(f"{story} pipe.join() had not returned {PROMPT:.0f} s later, although work() had "
             f"finished {done} item(s): join() should return as soon as every item is done. "
             f"q.join() waits until q.task_done() has been called once "
             "for every item ever put: call it after each item in the consumer loop, in a "
             "`finally` (so also when work() raises), and for the sentinel too. " + QUEUE + ".")


class Recorder:
    """work() for a Pipeline: records every item, returns ('done', item)."""

    def __init__(self, fail_on=()):
        self.lock = threading.Lock()
        self.items = []
        self.fail_on = set(fail_on)

    def __call__(self, item):
        with self.lock:
            self.items.append(item)
        if item in self.fail_on:
            raise ValueError(f"work() refuses item {item!r}")
        return ("done", item)

    def count(self):
        with self.lock:
            return len(self.items)


def drain(jobs, n: int, story: str) -> list:
    out = []
    for _ in range(n):
        try:
            out.append(jobs.get(timeout=PROMPT))
        except queue.Empty:
            fail(f"{story} get() raised queue.Empty after {len(out)} job(s) ({out}); {n} had been "
                 "put, so it should have returned all of them.")
    return out


# --- Pipeline ------------------------------------------------------------------


def test_pipeline_processes_every_item(mod):
    work = Recorder()
    pipe = mod.Pipeline(work, workers=3)
    items = list(range(40))
    story = "Pipeline(work, workers=3): the test put 0..39 and called join()."
    with started(pipe):
        for item in items:
            pipe.put(item)
        join_within(pipe, story, work.count)
        results = pipe.results()
    if sorted(work.items) != items:
        fail(f"{story} work() was only called for {len(work.items)} items (sorted: first differences "
             f"from 0..39 at {[i for i in items if i not in work.items][:5]}); expected every "
             "item exactly once.")
    if sorted(results) != [("done", i) for i in items]:
        fail(f"{story} pipe.results() held {len(results)} results; expected the 40 values "
             "work() returned, ('done', item) for each item.")


def test_join_returns_once_every_item_is_done(mod):
    gate = threading.Event()  # work() holds every item until the test opens it
    seen_at_join = []

    def work(item):
        gate.wait(BOUND)
        return recorder(item)

    recorder = Recorder()
    pipe = mod.Pipeline(work, workers=2)
    story = "Pipeline(work, workers=2): the test put 6 items, then called join()."
    with started(pipe):
        try:
            for item in range(6):
                pipe.put(item)
            with Crowd("joiner") as crowd:
                crowd.start(lambda: seen_at_join.append(recorder.count()) or pipe.join(),
                            name="test-calls-join")
                gate.set()
                if not crowd.wait_for(lambda: "test-calls-join" in crowd.results, PROMPT):
                    fail(f"{story} join() had not returned {PROMPT:.0f} s later, although work() "
                         f"had finished {recorder.count()} of the 6 items: it should return once "
                         f"all 6 are done. q.join() waits until "
                         "q.task_done() was called once for every item put: call it after "
                         "every item in the consumer loop, in a `finally`. " + QUEUE + ".")
            finished = recorder.count()
        finally:
            gate.set()
    if finished != 6:
        fail(f"{story} join() returned when work() had finished only {finished} of the 6 items. "
             "join() must block until every item is processed: q.join(), which counts the "
             "task_done() calls.")


def test_join_returns_even_when_work_raises(mod):
    work = Recorder(fail_on={3, 7})
    pipe = mod.Pipeline(work, workers=2)
    story = ("Pipeline(work, workers=2): the test put 0..9; work() raised ValueError for 3 and 7; "
             "then the test called join().")
    with started(pipe):
        for item in range(10):
            pipe.put(item)
        join_within(pipe, story, work.count)
        results, errors = pipe.results(), pipe.errors()
    if sorted(work.items) != list(range(10)):
        fail(f"{story} work() was called for {sorted(work.items)}; expected 0..9: a consumer "
             "must carry on after work() raised (catch the Exception and keep it).")
    if sorted(results) != [("done", i) for i in range(10) if i not in (3, 7)]:
        fail(f"{story} results() gave {sorted(results)}; expected ('done', i) for the 8 items "
             "work() did not refuse.")
    if sorted(str(e) for e in errors) != ["work() refuses item 3", "work() refuses item 7"] or \
            not all(isinstance(e, ValueError) for e in errors):
        fail(f"{story} errors() gave {errors!r}; expected the two ValueErrors work() raised.")


def test_none_is_an_ordinary_item(mod):
    work = Recorder()
    pipe = mod.Pipeline(work, workers=2)
    items = [1, None, 2, None, 3, None, 4]
    story = ("Pipeline(work, workers=2): the test put [1, None, 2, None, 3, None, 4] and called "
             "join().")
    with started(pipe):
        for item in items:
            pipe.put(item)
        joined, _ = call_within(pipe.join, PROMPT, "test-calls-join")
        got = list(work.items)
        if not joined and len(got) == len(items):
            fail(f"{story} join() had not returned {PROMPT:.0f} s later, although work() had "
                 f"finished all {len(items)} items: it should return once all are done. "
                 f"q.join() waits until q.task_done() has been "
                 "called once for every item ever put: call it after each item in the consumer "
                 "loop, in a `finally`. " + QUEUE + ".")
        if not joined:
            fail(f"{story} join() had not returned {PROMPT:.0f} s later; work() had only been "
                 f"called for {got}, but it should be called for all 7 items, Nones included. "
                 f"Your consumers took None for the stop sentinel and left, so the "
                 "items behind it were never processed. None is an ordinary item: use a "
                 "private sentinel, `_STOP = object()`, compared with `is`. " + QUEUE + ".")
    if sorted(got, key=repr) != sorted(items, key=repr):
        fail(f"{story} work() was only called for {got}; expected every item, the three Nones "
             "included. None is an ordinary item: the sentinel must be an object no caller can "
             "put, `_STOP = object()`, compared with `is`. " + QUEUE + ".")


def test_close_stops_every_worker(mod):
    work = Recorder()
    pipe = mod.Pipeline(work, workers=3)
    before = set(threading.enumerate())
    pipe.start()
    mine = new_threads(before)
    try:
        for item in range(9):
            pipe.put(item)
        join_within(pipe, "Pipeline(work, workers=3): the test put 9 items and called join().",
                    work.count)
    finally:
        closed, _ = call_within(pipe.close, PROMPT, "test-calls-close")
    if not closed:
        fail(f"Pipeline(work, workers=3): close() had not returned {PROMPT:.0f} s after the test "
             f"called it, where it should return at once: it joins consumers that never leave "
             f"their loop. {SENTINEL}. {QUEUE}.")
    if len(mine) != 3:
        fail(f"Pipeline(work, workers=3).start() started {len(mine)} thread(s), but expected 3.")
    complaint = leftover(mine, "consumer", "close()")
    if complaint:
        fail(f"Pipeline(work, workers=3): {complaint}")


def test_put_times_out_when_the_queue_is_full(mod):
    gate = threading.Event()
    taken = threading.Event()

    def work(item):
        taken.set()
        gate.wait(BOUND)
        return item

    pipe = mod.Pipeline(work, workers=1, maxsize=2)
    story = "Pipeline(work, workers=1, maxsize=2): the only consumer was busy with item 0"
    with started(pipe):
        try:
            pipe.put(0)
            if not taken.wait(BOUND):
                fail(f"Pipeline(work, workers=1, maxsize=2): work() was never called within "
                     f"{BOUND:.0f} s of the first put(); the consumer should take it at once.")
            pipe.put(1, timeout=PROMPT)
            pipe.put(2, timeout=PROMPT)
            try:
                pipe.put(3, timeout=SHORT)
            except queue.Full:
                pass
            else:
                fail(f"{story} and items 1 and 2 filled the queue, yet put(3, timeout={SHORT}) "
                     "returned: the queue must hold at most maxsize items -- create it as "
                     "queue.Queue(maxsize) and pass the timeout on to q.put(), which raises "
                     f"queue.Full. {QUEUE}.")
        finally:
            gate.set()


# --- JobQueue --------------------------------------------------------------------


def test_fifo_and_lifo_order(mod):
    jobs = ["wash", "cook", "eat"]
    for order, expected in [("fifo", jobs), ("lifo", jobs[::-1])]:
        q = mod.JobQueue(order)
        for job in jobs:
            q.put(job)
        if len(q) != 3:
            fail(f"JobQueue({order!r}) after three put() calls: len() returned {len(q)}; expected 3.")
        got = drain(q, 3, f"JobQueue({order!r}):")
        if got != expected:
            fail(f"JobQueue({order!r}): put {jobs}, got {got}; expected {expected} "
                 f"({'first in, first out: queue.Queue' if order == 'fifo' else 'last in, first out: queue.LifoQueue'}). "
                 f"{QUEUE}.")
    default = mod.JobQueue()
    for job in jobs:
        default.put(job)
    got = drain(default, 3, "JobQueue():")
    if got != jobs:
        fail(f"JobQueue() (default order): put {jobs}, got {got}; expected {jobs}: the default "
             f"is 'fifo'.")
    try:
        mod.JobQueue("random")
    except ValueError:
        pass
    else:
        fail("JobQueue('random') returned a queue; expected ValueError (fifo, lifo or priority).")


def test_lower_priority_number_comes_first(mod):
    q = mod.JobQueue("priority")
    puts = [("wash", 3), ("cook", 1), ("eat", 2), ("shop", 0), ("panic", -5)]
    for job, priority in puts:
        q.put(job, priority=priority)
    got = drain(q, len(puts), "JobQueue('priority'):")
    expected = ["panic", "shop", "cook", "eat", "wash"]
    if got != expected:
        fail(f"JobQueue('priority'): put {puts} (job, priority); got {got}, expected {expected}: "
             f"the lowest priority number first (级别越低越先出来). {QUEUE}.")


def test_equal_priorities_keep_fifo_order(mod):
    q = mod.JobQueue("priority")
    same = ["zebra", "apple", "mango", "banana"]
    for job in same:
        q.put(job, priority=1)
    q.put("urgent", priority=0)
    got = drain(q, 5, "JobQueue('priority'):")
    expected = ["urgent"] + same
    if got == ["urgent"] + sorted(same):
        fail(f"JobQueue('priority'): put {same} all with priority 1, then 'urgent' with "
             f"priority 0; got {got}: the equal-priority jobs came out sorted by the jobs "
             f"themselves, expected put order {expected}. A (priority, job) entry compares the "
             "jobs when the priorities tie. Put (priority, ticket, job) with ticket = "
             "next(self._tickets) from an itertools.count(): tickets grow with every put(), so "
             f"ties come out first in, first out. {QUEUE}.")
    if got != expected:
        fail(f"JobQueue('priority'): put {same} all with priority 1, then 'urgent' with "
             f"priority 0; got {got}, expected {expected}: lowest priority first, equal "
             f"priorities in put order. {QUEUE}.")


def test_payloads_that_cannot_be_compared(mod):
    q = mod.JobQueue("priority")
    jobs = [{"do": "wash"}, {"do": "cook"}, {"do": "eat"}]
    try:
        for job in jobs:
            q.put(job, priority=2)
        q.put(print, priority=2)  # a function: no < either
        got = drain(q, 4, "JobQueue('priority'):")
    except TypeError as exc:
        fail(f"JobQueue('priority'): putting three dicts with the same priority 2 raised "
             f"TypeError: {exc}; each put() should have worked, whatever the job. PriorityQueue "
             f"compares whole entries; with (priority, job) a "
             "tie in priority compares the jobs, and dicts (or functions) cannot be compared "
             "with <. Put (priority, ticket, job) with a unique ticket from itertools.count(): "
             f"the comparison stops at the ticket and never reaches the job. {QUEUE}.")
    if got != jobs + [print]:
        fail(f"JobQueue('priority'): put {jobs} and then the function print, all with priority "
             f"2; got {got}, expected them back in put order.")


def test_concurrent_puts_with_equal_priority(mod):
    q = mod.JobQueue("priority")
    producers, per = 4, 150

    def producer(p):
        def run():
            for i in range(per):
                q.put({"producer": p, "n": i}, priority=i % 2)
        return run

    try:
        with races.amplified():
            run_threads([producer(p) for p in range(producers)], what="producer")
    except TypeError as exc:
        fail(f"4 threads each put {per} dict jobs with priorities 0 and 1 into one "
             f"JobQueue('priority') at once (the grader forced thread switches inside your "
             f"code); a put() raised TypeError: {exc}, where every put() should work. Two "
             f"entries tied on everything before "
             "the job -- the same priority, and no ticket or the same ticket -- so the "
             "PriorityQueue compared the dicts. Put (priority, ticket, job) with a ticket from "
             "next() on an itertools.count(); a counter you increment yourself (`self.n += 1`) "
             f"hands out the same number twice unless a lock guards it. {QUEUE}.")
    got = drain(q, producers * per, "JobQueue('priority') after 4 producers:")
    priorities = [job["n"] % 2 for job in got]
    if priorities != sorted(priorities):
        fail(f"4 threads each put {per} dict jobs with priorities 0 and 1 into one "
             "JobQueue('priority'); get() returned a priority-1 job before a priority-0 one, "
             "but every priority-0 job should come first.")
    for p in range(producers):
        for prio in (0, 1):
            mine = [job["n"] for job in got if job["producer"] == p and job["n"] % 2 == prio]
            if mine != sorted(mine):
                fail(f"4 threads each put {per} dict jobs into one JobQueue('priority') at once "
                     f"(the grader forced thread switches inside your code); producer {p}'s "
                     f"priority-{prio} jobs came out as n = {mine[:8]}..., not in the order it "
                     "put them, as they should. Two put() calls got tickets out of order (or the same ticket): "
                     "a counter you increment yourself (`self.n += 1`) needs a lock; "
                     f"next(itertools.count()) does not. {QUEUE}.")


def test_get_waits_for_a_put_from_another_thread(mod):
    q = mod.JobQueue("priority")
    with Crowd("consumer") as crowd:
        crowd.start(lambda: q.get(timeout=BOUND), name="consumer")
        q.put({"do": "deliver"}, priority=5)
        if not crowd.wait_for(lambda: "consumer" in crowd.results):
            fail(f"A thread called JobQueue('priority').get(timeout=5); the test then put one "
                 f"job; get() had not returned {BOUND:.0f} s later. get() must wait for a job "
                 f"(q.get(timeout=timeout)) and return it when it comes. {QUEUE}.")
    got = crowd.results["consumer"]
    if got != {"do": "deliver"}:
        fail(f"get() in another thread returned {got!r}; expected the job the test put, "
             "{'do': 'deliver'} (only the job, without priority or ticket).")


def test_get_times_out_with_queue_empty(mod):
    for order in ("fifo", "priority"):
        q = mod.JobQueue(order)
        try:
            got = q.get(timeout=SHORT)
        except queue.Empty:
            continue
        except Exception as exc:
            if isinstance(exc, NotImplementedError):
                raise
            fail(f"JobQueue({order!r}).get(timeout={SHORT}) on an empty queue raised "
                 f"{type(exc).__name__}: {exc}; expected queue.Empty. {QUEUE}.")
        fail(f"JobQueue({order!r}).get(timeout={SHORT}) on an empty queue returned {got!r}; "
             f"expected it to raise queue.Empty (q.get(timeout=...) does). {QUEUE}.")


# --- ThreadPool --------------------------------------------------------------------


def test_submit_returns_a_future_with_the_result(mod):
    with pool_of(mod, 2) as pool:
        future = pool.submit(pow, 2, 10)
        try:
            value = future.result(timeout=BOUND)
        except TimeoutError:
            fail("ThreadPool(2).submit(pow, 2, 10).result(timeout=5) raised TimeoutError, "
                 "expected 1024: no worker ran the task, or it never completed the Future "
                 "(set_result()).")
        if value != 1024 or not future.done():
            fail(f"ThreadPool(2).submit(pow, 2, 10): result() gave {value!r} and done() "
                 f"{future.done()!r}; expected 1024 and True.")
        keyword = pool.submit(int, "ff", base=16).result(timeout=BOUND)
        if keyword != 255:
            fail(f"pool.submit(int, 'ff', base=16).result() gave {keyword!r}; expected 255: pass "
                 "*args and **kwargs on to fn.")


def test_result_reraises_the_worker_exception(mod):
    boom = ValueError("bad input: 7")

    def task():
        raise boom

    with pool_of(mod, 1) as pool:
        future = pool.submit(task)
        try:
            future.result(timeout=PROMPT)
        except ValueError as exc:
            if exc is not boom:
                fail(f"The task raised ValueError('bad input: 7'); result() raised a different "
                     f"ValueError: {exc}. It should re-raise the task's own exception object.")
        except TimeoutError:
            fail(f"ThreadPool(1): the task raised ValueError('bad input: 7'); "
                 f"future.result(timeout={PROMPT:.0f}) raised TimeoutError instead of that "
                 "ValueError: the Future was never completed. The exception escaped the worker loop and killed the worker thread. "
                 "Catch it in the worker (try/except around fn(*args, **kwargs)) and hand it to "
                 f"the caller with future.set_exception(exc). {QUEUE}.")
        else:
            fail("The task raised ValueError('bad input: 7'), but future.result() returned "
                 "normally: the caller must see the exception (result() re-raises it).")
        try:
            after = pool.submit(pow, 3, 3).result(timeout=PROMPT)
        except TimeoutError:
            fail(f"ThreadPool(1): after one task raised, the next task never ran "
                 f"(result(timeout={PROMPT:.0f}) raised TimeoutError): the only worker died with "
                 "the exception. A failing task must not kill its worker: catch it and carry "
                 f"on. {QUEUE}.")
        if after != 27:
            fail(f"After a failing task, pool.submit(pow, 3, 3).result() gave {after!r}; "
                 "expected 27.")


def test_result_times_out_while_the_task_runs(mod):
    gate = threading.Event()
    with pool_of(mod, 1) as pool:
        try:
            future = pool.submit(gate.wait, BOUND)
            try:
                value = future.result(timeout=SHORT)
            except TimeoutError:
                pass
            else:
                fail(f"The task was still running (waiting for the test), yet "
                     f"future.result(timeout={SHORT}) returned {value!r}; expected TimeoutError "
                     "(the built-in one): wait on the Future's Event with the timeout, and "
                     f"raise when wait() returns False. {QUEUE}.")
            if future.done():
                fail("future.done() returned True while the task was still running; expected "
                     "False until the task has finished.")
        finally:
            gate.set()
        try:
            value = future.result(timeout=BOUND)
        except TimeoutError:
            fail("The test let the task finish, but future.result(timeout=5) still raised "
                 "TimeoutError: the worker must complete the Future (set_result()) when the "
                 "task returns.")
        if value is not True:
            fail(f"Once the task finished, result() gave {value!r}; expected the task's return "
                 "value, True.")


def test_map_keeps_the_input_order(mod):
    items = [0, 1, 2, 3]
    finished = {i: threading.Event() for i in items}
    order = []
    lock = threading.Lock()

    def task(i):  # item i finishes only after item i + 1: completion order 3, 2, 1, 0
        nxt = finished.get(i + 1)
        if nxt is not None and not nxt.wait(BOUND):
            return ("gave up", i)
        with lock:
            order.append(i)
        finished[i].set()
        return i * 10

    with pool_of(mod, 4) as pool:
        with Crowd("caller") as crowd:
            crowd.start(lambda: pool.map(task, items), name="map-caller")
            if not crowd.wait_for(lambda: "map-caller" in crowd.results):
                fail(f"ThreadPool(4).map(task, [0, 1, 2, 3]) had not returned after "
                     f"{BOUND:.0f} s. Each task waits for the next item's task to finish, so "
                     "all four must run at once, one per worker.")
    got = crowd.results["map-caller"]
    if any(isinstance(r, tuple) for r in got or []) or order != [3, 2, 1, 0]:
        fail(f"ThreadPool(4).map(): each task waited for the next item's task, so all four must "
             f"run at once; they finished in the order {order} and map() returned {got}. "
             "Four workers must run four tasks at the same time.")
    if got != [0, 10, 20, 30]:
        fail(f"ThreadPool(4).map(task, [0, 1, 2, 3]): the tasks finished in the order 3, 2, 1, 0 "
             f"(on purpose) and map() returned {got}; expected [0, 10, 20, 30], the results in "
             "INPUT order, like the built-in map(). Submit every item first, then call "
             f"result() on the Futures in the order you submitted them. {QUEUE}.")


def test_workers_run_tasks_at_the_same_time(mod):
    meet = threading.Barrier(3, timeout=PROMPT)
    with pool_of(mod, 3) as pool:
        futures = [pool.submit(meet.wait) for _ in range(3)]
        try:
            spots = sorted(f.result(timeout=BOUND) for f in futures)
        except TimeoutError:
            fail(f"ThreadPool(3): three submitted tasks had not all finished after {BOUND:.0f} s "
                 "(result(timeout=5) raised TimeoutError): workers must run the tasks and "
                 "complete their Futures.")
        except threading.BrokenBarrierError:
            fail(f"ThreadPool(3): three tasks each waited at a Barrier(3) for the other two; "
                 f"after {PROMPT:.0f} s not all three had arrived: fewer than 3 tasks ran at "
                 f"once, but all 3 should. "
                 "Start `workers` threads in __init__, all reading the same task queue.")
    if spots != [0, 1, 2]:
        fail(f"ThreadPool(3): three Barrier.wait() tasks returned {spots}; expected [0, 1, 2].")


def test_shutdown_finishes_queued_tasks_and_joins_every_worker(mod):
    with unfinished_parts_surface():
        check_shutdown(mod)


def check_shutdown(mod):
    before = set(threading.enumerate())
    pool = mod.ThreadPool(3)
    mine = new_threads(before)
    futures = []
    try:
        futures = [pool.submit(pow, i, 2) for i in range(12)]
    finally:
        done, _ = call_within(pool.shutdown, PROMPT, "test-calls-shutdown")
    story = "ThreadPool(3): the test submitted 12 tasks and called shutdown()"
    if not done:
        fail(f"{story}; it had not returned {PROMPT:.0f} s later, where it should return once "
             f"the tasks are done: it joins workers that never leave their loop. {SENTINEL}. "
             f"{QUEUE}.")
    if len(mine) != 3:
        fail(f"ThreadPool(3) started {len(mine)} thread(s) in __init__, but expected 3.")
    unfinished = [i for i, f in enumerate(futures) if not f.done()]
    complaint = leftover(mine, "worker", "shutdown()")
    if complaint:
        fail(f"{story}: {complaint}")
    if unfinished:
        fail(f"{story}; when it returned, the tasks {unfinished} had not run. shutdown() "
             "should let the queued tasks finish: put the sentinels BEHIND them, then join the workers.")
    values = [f.result(timeout=0) for f in futures]
    if values != [i * i for i in range(12)]:
        fail(f"{story}; the results came back as {values}, expected the squares of 0..11.")


def test_submit_after_shutdown_raises(mod):
    pool = mod.ThreadPool(2)
    done, _ = call_within(pool.shutdown, PROMPT, "test-calls-shutdown")
    if not done:
        fail(f"ThreadPool(2).shutdown() with no tasks had not returned after {PROMPT:.0f} s; it "
             f"should return at once. {SENTINEL}. {QUEUE}.")
    try:
        future = pool.submit(pow, 2, 2)
    except RuntimeError as exc:
        if isinstance(exc, NotImplementedError):
            raise
    else:
        fail(f"submit() after shutdown() returned {future!r}; expected RuntimeError: no worker "
             "is left to run the task, so its result() would wait for ever.")
    again, _ = call_within(pool.shutdown, PROMPT, "test-calls-shutdown")
    if not again:
        fail(f"A second shutdown() had still not returned after {PROMPT:.0f} s: calling it "
             f"twice must be harmless.")
