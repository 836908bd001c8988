"""Threads: start, join, results, errors, daemons (9.22 1-2 线程与进程, threading模块, 2.1 join()).

How each promise of the exercise is checked, without a single sleep:

- overlap: every task waits on an Event of its own (standing in for I/O).
  A controller thread counts the tasks waiting at the same moment (a counter
  under a Condition) and sets the Events only once ALL of them wait, or after
  a bound. join() inside the start loop lets one task wait at a time;
- input order: the controller releases the tasks in REVERSE order, each only
  after the previous task's thread has ended, so the completion order is
  known, not left to luck;
- exceptions: the exception object a task raised must come out of the call,
  and the first in INPUT order when several fail (forced to fail last);
- the daemon ticker: a real `python -c` child starts the ticker and lets its
  main thread end; the child must exit on its own. A non-daemon ticker keeps
  it alive: it is killed after a bound and the test fails with a sentence.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time


from grader import target
from support.net import BOUND
from support import student

TOPIC = "thread_basics"

THREADS = "See 9.22 2 threading模块 (直接调用 and 继承式调用) and 2.1 join()."
JOIN = ("See 9.22 2.1 join(): start ALL the threads first, then join them all (考虑这三种join位置"
        "下的结果？).")
STORE = ("A thread's function cannot return its result to anybody: store it at the item's "
         "index (results[i] = func(items[i])) and return that list.")
CATCH = ("An exception in a thread never reaches the caller by itself (threading only prints "
         "it): catch it in the thread, keep it, and raise it in the caller after the joins.")
DAEMON = ("See 9.22 2.1: a daemon thread (守护线程: daemon=True before start()) never keeps the "
          "program alive; 如果不设置为守护线程程序会被无限挂起.")
RENDEZVOUS = 3.0  # s the controller waits for all tasks to be waiting at once
EXIT_BOUND = 5.0  # s the child program may take to start, tick and exit



def fail(msg: str):
    student.fail(msg, " " + THREADS, unless=r"\b9\.(19|20|22) ")


def short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# --- candidate for tests/support ------------------------------------------------
class Gate:
    """Tasks that block on Events of their own, and a controller that watches them.

    task(i) registers (so the controller sees it waiting), waits for its own
    Event (bounded), and returns `value(i)`. The controller, a helper thread,
    waits until all n tasks are waiting at the same time (or `bound` runs
    out), then releases them: all at once, or one by one in a given order,
    each after the previous one's thread has ended (join on its Thread object).
    """

    def __init__(self, n: int, bound: float = RENDEZVOUS, order=None, value=lambda i: i):
        self.n = n
        self.bound = bound
        self.order = order  # None: release all at once
        self.value = value
        self.events = [threading.Event() for _ in range(n)]
        self.cond = threading.Condition()
        self.waiting = 0
        self.peak = 0
        self.threads: dict[int, threading.Thread] = {}
        self.all_waited = False
        self.finished: list[int] = []  # task indexes in the order their functions returned
        self._quit = False
        self._controller = threading.Thread(target=self._control, name="test-controller",
                                            daemon=True)

    def task(self, i):
        with self.cond:
            self.threads[i] = threading.current_thread()
            self.waiting += 1
            self.peak = max(self.peak, self.waiting)
            self.cond.notify_all()
        released = self.events[i].wait(BOUND)
        with self.cond:
            self.waiting -= 1
            self.finished.append(i)
        if not released:
            raise TimeoutError(f"test task {i} was never released")
        return self.value(i)

    def _control(self):
        with self.cond:
            self.all_waited = self.cond.wait_for(lambda: self.waiting == self.n or self._quit,
                                                 self.bound) and not self._quit
            threads = dict(self.threads)
        if not self.all_waited or self.order is None:
            for e in self.events:
                e.set()
            return
        for i in self.order:
            self.events[i].set()
            threads[i].join(1.0)  # its thread has ended: the student stored its result

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        with self.cond:
            self._quit = True
            self.cond.notify_all()
        for e in self.events:  # whatever happened, nothing stays blocked
            e.set()
        self._controller.join(BOUND)


def not_all_at_once(gate: Gate, call: str) -> str:
    return (f"{call}: each of the {gate.n} tasks waits for an Event (like a thread waiting for "
            f"the network), and the test sets the Events only once all {gate.n} wait at the same "
            f"time, so all {gate.n} should have been waiting together. Only {gate.peak} of them "
            f"ever waited at the same time (the test waited {gate.bound:.0f} s): your threads ran "
            f"one after another. Did you join() each thread right after start()? {JOIN}")


# --- map_threads ------------------------------------------------------------------

def test_map_threads_waits_overlap(mod):
    n = 6
    with Gate(n) as gate:
        results = mod.map_threads(gate.task, range(n))
    if not gate.all_waited:
        fail(not_all_at_once(gate, f"map_threads(task, range({n}))"))
    if results != list(range(n)):
        fail(f"map_threads(task, range({n})) returned {short(results)}, expected "
             f"{list(range(n))}. {STORE}")


def test_map_threads_results_in_input_order(mod):
    n = 5
    items = ["a", "b", "c", "d", "e"]
    order = list(range(n - 1, -1, -1))  # the last item finishes first
    with Gate(n, order=order, value=lambda i: items[i].upper() * (i + 1)) as gate:
        results = mod.map_threads(lambda item: gate.task(items.index(item)), items)
    want = [items[i].upper() * (i + 1) for i in range(n)]
    if not gate.all_waited:
        fail(not_all_at_once(gate, f"map_threads(task, {items})"))
    if results == want:
        return
    finished = [items[i] for i in gate.finished]
    if isinstance(results, list) and results == [want[i] for i in gate.finished]:
        fail(f"map_threads(task, {items}) returned {short(results)}: the results in the order "
             f"the threads FINISHED ({', '.join(finished)}), expected {short(want)}, the order "
             f"of the items. {STORE}")
    fail(f"map_threads(task, {items}) returned {short(results)}, expected {short(want)} "
         f"(task(item) for each item, in input order; the threads finished in the order "
         f"{', '.join(finished)}). {STORE}")


def test_map_threads_names_threads(mod):
    seen = {}
    lock = threading.Lock()

    def record(item):
        with lock:
            seen[item] = threading.current_thread().name
        return item

    for kwargs, prefix in (({}, "worker"), ({"prefix": "fetch"}, "fetch")):
        items = [10, 20, 30]
        seen.clear()
        call = f"map_threads(task, {items}{', prefix=' + repr(prefix) if kwargs else ''})"
        mod.map_threads(record, items, **kwargs)
        want = {item: f"{prefix}-{i}" for i, item in enumerate(items, 1)}
        if seen != want:
            fail(f"{call} ran the items in threads named {short(seen)}, but expected "
                 f"{short(want)}: "
                 f"threading.Thread(target=..., name=f'{{prefix}}-{{i}}'), i counting from 1. "
                 f"Named threads make stack dumps and error messages readable "
                 f"(t1.getName() in the notes). See 9.22 2.")


def test_map_threads_reraises_worker_exception(mod):
    raised = []
    done = []
    lock = threading.Lock()

    def task(x):
        if x == 2:
            exc = ValueError(f"item {x} is bad")
            raised.append(exc)
            raise exc
        with lock:
            done.append(x)
        return x

    call = "map_threads(task, [0, 1, 2, 3]) where task(2) raises ValueError('item 2 is bad')"
    try:
        got = mod.map_threads(task, [0, 1, 2, 3])
    except ValueError as exc:
        if exc is not raised[0]:
            fail(f"{call}: it raised {type(exc).__name__}({exc}), a new exception; it should "
                 f"re-raise the task's own exception object (raise errors[i]), so its traceback "
                 f"and type survive. {CATCH}")
    else:
        fail(f"{call}: it returned {short(got)} instead of raising that ValueError. The "
             f"exception was swallowed, and the caller believes item 2 worked. {CATCH}")
    with lock:
        finished = sorted(done)
    if finished != [0, 1, 3]:
        fail(f"{call}: it raised while the other tasks were not finished (done: {finished}, "
             f"expected [0, 1, 3]). Wait for all the threads before raising, or some go on "
             f"running unseen. {CATCH}")


def test_map_threads_raises_first_failure_in_input_order(mod):
    third_done = threading.Event()
    threads = {}

    def task(x):
        if x == 3:
            threads[3] = threading.current_thread()
            third_done.set()
            raise KeyError("item 3")
        if x == 1:
            # fail only after item 3's thread has finished: item 3 fails FIRST in time
            third_done.wait(RENDEZVOUS)
            t3 = threads.get(3)
            if t3 is not None and t3 is not threading.current_thread():
                t3.join(BOUND)
            raise KeyError("item 1")
        return x

    call = ("map_threads(task, [0, 1, 2, 3]) where task(3) raises KeyError('item 3') first "
            "and task(1) raises KeyError('item 1') after it")
    try:
        got = mod.map_threads(task, [0, 1, 2, 3])
    except KeyError as exc:
        if exc.args != ("item 1",):
            fail(f"{call}: it raised KeyError({exc.args[0]!r}), expected KeyError('item 1'): the "
                 f"exception of the first failing item in INPUT order, not the first to happen. "
                 f"Keep the exceptions by index, like the results. {CATCH}")
    else:
        fail(f"{call}: it returned {short(got)} instead of raising. {CATCH}")


def test_map_threads_timeout_names_stuck_threads(mod):
    release = threading.Event()
    stuck = [2, 3, 4, 5, 6, 7, 8, 9, 10]  # 1-based positions of the stuck items
    timeout = 0.2

    def task(x):
        if x in stuck:
            release.wait(BOUND)
        return x

    items = list(range(1, 11))
    call = (f"map_threads(task, {items}, timeout={timeout}) with the tasks of items 2..10 "
            f"blocked until the test releases them")
    started = time.monotonic()
    try:
        got = mod.map_threads(task, items, timeout=timeout)
    except TimeoutError as exc:
        waited = time.monotonic() - started
        message = str(exc)
    else:
        fail(f"{call} returned {short(got)} after {time.monotonic() - started:.1f} s; expected "
             f"TimeoutError once {timeout} s had passed. join(timeout) returns when the "
             f"timeout runs out whether the thread ended or not: check is_alive() afterwards.")
    finally:
        release.set()  # let the stuck tasks end, so nothing is left running
    if waited > 6 * timeout:
        fail(f"{call} raised TimeoutError only after {waited:.1f} s; expected it after about "
             f"{timeout} s: "
             f"each join() got the whole timeout, so 9 stuck threads cost 9 x {timeout} s. "
             f"Compute one deadline = time.monotonic() + timeout, and give each join() only "
             f"what is left of it. See 9.22 2.1 join([time]).")
    missing = [f"worker-{i}" for i in stuck if f"worker-{i}" not in message]
    if missing or re.search(r"\bworker-1\b", message):
        fail(f"{call} raised TimeoutError({message!r}); its message must name exactly the "
             f"threads still running (worker-2 ... worker-10), so the caller knows what hangs"
             f"{' (missing: ' + ', '.join(missing) + ')' if missing else ''}.")


# --- ResultThread ------------------------------------------------------------------

def test_result_thread_returns_result(mod):
    seen = {}

    def square(x):
        seen["thread"] = threading.current_thread()
        return x * x

    t = mod.ResultThread(square, (7,), name="square-7")
    if not isinstance(t, threading.Thread):
        fail(f"ResultThread(...) gave {short(t)}, which is not a threading.Thread; it should "
             f"be: write class ResultThread(threading.Thread) and override run() (继承式调用, "
             f"9.22 2).")
    t.start()
    try:
        got = t.get(BOUND)
    finally:
        t.join(BOUND)
    if seen.get("thread") is not t:
        where = seen.get("thread")
        fail(f"ResultThread(square, (7,)).start() ran square in "
             f"{where.name if where else 'no thread at all'} instead of in the ResultThread "
             f"itself: "
             f"start() calls run() in the new thread; run() must call func(*args). See 9.22 2.")
    if got != 49:
        fail(f"ResultThread(square, (7,)); start(); get() returned {short(got)}, expected 49. "
             f"run() must store func's result (a thread's run() cannot return it).")
    if t.name != "square-7":
        fail(f"ResultThread(square, (7,), name='square-7') got the name {t.name!r}, expected "
             f"'square-7': pass name= on to threading.Thread.__init__(). See 9.22 2.")


def test_result_thread_reraises_exception(mod):
    hooked = []
    old_hook = threading.excepthook
    threading.excepthook = hooked.append
    error = LookupError("no such user")

    def boom():
        raise error

    try:
        t = mod.ResultThread(boom)
        t.start()
        try:
            got = t.get(BOUND)
        except LookupError as exc:
            got = exc
        finally:
            t.join(BOUND)
    finally:
        threading.excepthook = old_hook
    if got is error:
        if hooked:
            fail("ResultThread(boom).get() re-raised boom's LookupError, but the exception had "
                 "also escaped run() and reached threading.excepthook (which prints it). It "
                 "should be caught in run() and kept for get().")
        return
    if hooked:
        fail(f"ResultThread(boom), where boom() raises LookupError: the exception escaped run() "
             f"and went to threading.excepthook, which only prints it; get() then returned "
             f"{short(got)}; expected get() to raise that very LookupError. {CATCH} In run(): "
             f"try: self.result = func(*args) except BaseException as exc: self.error = exc. In "
             f"get(): raise self.error.")
    fail(f"ResultThread(boom), where boom() raises LookupError('no such user'): get() "
         f"{'raised a different exception' if isinstance(got, BaseException) else 'returned'} "
         f"{short(got)}; expected the very LookupError boom raised. {CATCH}")


def test_result_thread_get_timeout(mod):
    gate = threading.Event()
    t = mod.ResultThread(lambda: "done" if gate.wait(BOUND) else "never released")
    t.start()
    try:
        started = time.monotonic()
        try:
            got = t.get(0.05)
        except TimeoutError:
            pass
        else:
            fail(f"get(timeout=0.05) on a thread blocked on an Event returned {short(got)} after "
                 f"{time.monotonic() - started:.1f} s; expected TimeoutError after 0.05 s. "
                 f"join(timeout) returns when the time is up whether or not the thread "
                 f"finished: check is_alive() after it. See 9.22 2.1 join([time]).")
        if not t.is_alive():
            fail("After get(timeout=0.05) raised TimeoutError the thread was no longer alive, "
                 "but its function was still blocked on an Event: get() must not end or "
                 "replace the thread. See 9.22 2.1 join([time]).")
    finally:
        gate.set()
    got = t.get(BOUND)
    t.join(BOUND)
    if got != "done":
        fail(f"After a TimeoutError, the test released the thread; get() returned {short(got)}, "
             f"expected 'done'. get() may be called again after a timeout. See 9.22 2.1 "
             f"join([time]).")


# --- start_ticker ---------------------------------------------------------------------

STOP_BOUND = 2.0


def test_ticker_ticks_until_stopped(mod):
    ticks = []
    cond = threading.Condition()

    def on_tick():
        with cond:
            ticks.append(threading.current_thread())
            cond.notify_all()

    stop = threading.Event()
    t = mod.start_ticker(0.01, on_tick, stop)
    try:
        if not isinstance(t, threading.Thread):
            fail(f"start_ticker() returned {short(t)}; expected the threading.Thread it started.")
        with cond:
            ticked = cond.wait_for(lambda: len(ticks) >= 3, BOUND)
        if not ticked:
            fail(f"start_ticker(0.01, on_tick, stop) only called on_tick() {len(ticks)} time(s) "
                 f"in {BOUND:.0f} s; expected about every 0.01 s. Did you start() the thread?")
        if any(th is not t for th in ticks):
            fail("on_tick() ran in another thread than the one start_ticker() returned; it "
                 "should run in that ticker thread. See 9.22 2.")
        if t.name != "ticker":
            fail(f"The ticker thread came back named {t.name!r}; expected 'ticker'. See 9.22 2.")
        if not t.daemon:
            fail(f"start_ticker() returned a thread with daemon=False; it must be a daemon, "
                 f"or the program can never exit while it runs. {DAEMON}")
    finally:
        stop.set()
        if isinstance(t, threading.Thread) and t.ident is not None:
            t.join(STOP_BOUND)
    if t.is_alive():
        fail(f"The test set `stop`; {STOP_BOUND:.0f} s later the ticker was still running, but "
             f"it should end as soon as stop is set. Loop on `while not stop.wait(interval): "
             f"on_tick()`: wait() returns True at once when stop is set. See 9.22 2.")


CHILD = """
import sys, threading
import thread_basics
ticked = threading.Event()
stop = threading.Event()  # never set: only the daemon flag lets this program end
t = thread_basics.start_ticker(0.01, ticked.set, stop)
if not ticked.wait(3):
    print("no tick within 3 s", flush=True)
    sys.exit(3)
print(f"ticked; daemon={t.daemon}; main thread ends now", flush=True)
"""


def test_ticker_does_not_keep_program_alive(mod):
    # In this process first (the first call here, so an unfinished stub shows as such).
    stop = threading.Event()
    t = mod.start_ticker(0.01, lambda: None, stop)
    stop.set()
    if isinstance(t, threading.Thread) and t.ident is not None:
        t.join(STOP_BOUND)
    folder = str(target.folder())
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (folder, env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-c", CHILD]
    story = ("A program started your ticker (start_ticker(0.01, ticked.set, stop), never "
             "setting stop), waited for the first tick and let its main thread end")
    try:
        done = subprocess.run(cmd, env=env, cwd=folder, capture_output=True, text=True,
                              timeout=EXIT_BOUND, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        fail(f"{story}; {EXIT_BOUND:.0f} s later the program was still running and had to be "
             f"killed. It printed: {out.strip()!r}. It should have exited on its own: Python "
             f"waits for every non-daemon thread before it exits, and the ticker never ends by "
             f"itself. {DAEMON}")
    out = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "ticked" not in done.stdout:
        fail(f"{story}; it exited with code {done.returncode} and wrote: {out[-600:]!r}. "
             f"Expected the first tick, then a clean exit. {DAEMON}")
