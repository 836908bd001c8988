"""The GIL: threads for I/O, processes for CPU (9.22 3 GIL全局解释器锁).

Nothing here measures speed: on a shared 2-core machine a speed ratio proves
nothing and flakes. The tests look at WHERE and WHEN the jobs ran instead.

Every job first checks in at a rendezvous: a TCP server run by the test. It
connects, says which process and thread it runs in, and then WAITS for the
server's "go" -- a real I/O wait. The server says "go" only once all n jobs
have checked in, so "all n were waiting at the same time" is proven by the
sockets themselves, not by timing. Jobs that run one after another never
meet: after a bound the server lets everybody go, and the test fails with a
sentence saying how many jobs ever waited at once.

- run_io: all jobs in the test's own process (os.getpid()), in distinct
  threads, all waiting at once;
- run_cpu: every job in a child process (pid != the test's pid), the n jobs
  in n different processes, all running at once, each then computing;
- nothing left running: child processes and threads are counted right after
  the call returns (grader.leaks), and a pool's ResourceWarning is caught,
  so a pool that was never shut down is named as such.

The jobs are module-level functions of this file, so they can be pickled to
worker processes (spawned workers import this module by name).
"""
from __future__ import annotations

import contextlib
import gc
import os
import socket
import threading
import time
import warnings

import pytest

from grader import leaks
from support.net import BOUND, HOST, listener
from support import student

TOPIC = "gil"

SEE = "See 9.22 3 GIL全局解释器锁."
GIL = ("Only one thread at a time runs Python code (在同一时刻，只能有一个线程进入解释器), so "
       "threads give CPU work no parallelism; each PROCESS has its own interpreter and its own "
       "GIL. Use concurrent.futures.ProcessPoolExecutor (or multiprocessing.Pool). " + SEE)
IO = ("A thread that waits for I/O releases the GIL, so threads are the cheap tool for "
      "I/O-bound work (IO密集型); a process per tiny I/O wait costs a whole interpreter and "
      "pickles every argument. Use concurrent.futures.ThreadPoolExecutor. " + SEE)
SHUTDOWN = ("A pool is a resource: shut it down before returning -- `with ProcessPoolExecutor(...) "
            "as pool: return list(pool.map(func, items))`, or pool.close() and pool.join() for "
            "a multiprocessing.Pool.")
IO_MEET = 3.0   # s the rendezvous waits for all I/O jobs (threads start in microseconds)
CPU_MEET = 8.0  # s the rendezvous waits for all CPU jobs (spawned processes start in ~2 s when loaded)



def fail(msg: str):
    student.fail(msg, " " + SEE, unless=r"\b9\.(19|20|22) ")


def short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# --- candidate for tests/support ---------------------------------------------------
class Rendezvous:
    """A TCP server where n jobs check in and wait until all n have checked in.

    A job connects, sends one line "<i> <pid> <thread ident> <thread name>\\n"
    and waits for b"go\\n". The server answers every job at once as soon as
    the n-th has checked in; if `bound` runs out first, it lets the ones
    waiting go, and from then on answers each newcomer at once (so serial
    code finishes quickly and the test can say what happened).

    The server thread holds no lock while it blocks (accept, recv), so a
    student's fork() never copies a held lock into a child.
    """

    def __init__(self, n: int, bound: float):
        self.n = n
        self.bound = bound
        self.checkins: list[tuple[int, int, int, str, float]] = []  # (i, pid, ident, name, t)
        self.peak = 0          # most jobs waiting at the same time
        self.met = False       # all n were waiting at once
        self._sock = listener()
        self.port = self._sock.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="test-rendezvous", daemon=True)

    def _check_in(self, conn) -> bool:
        conn.settimeout(BOUND)
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = conn.recv(256)
                if not chunk:
                    return False
                data += chunk
            i, pid, ident, name = data.decode().rstrip("\n").split(" ", 3)
        except (OSError, ValueError):
            return False
        self.checkins.append((int(i), int(pid), int(ident), name, time.monotonic()))
        return True

    @staticmethod
    def _go(conn):
        with contextlib.suppress(OSError):
            conn.sendall(b"go\n")
        conn.close()

    def _serve(self):
        waiting = []
        deadline = time.monotonic() + self.bound
        try:
            while not self._stopping and len(waiting) < self.n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._sock.settimeout(left)
                try:
                    conn, _ = self._sock.accept()
                except TimeoutError:
                    break
                if self._check_in(conn):
                    waiting.append(conn)
                    self.peak = max(self.peak, len(waiting))
                else:
                    conn.close()
            self.met = len(waiting) == self.n
        finally:
            for conn in waiting:
                self._go(conn)
        self._sock.settimeout(None)
        while not self._stopping:  # latecomers: go at once
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._check_in(conn):
                self._go(conn)
            else:
                conn.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopping = True
        with contextlib.suppress(OSError):  # wake accept()
            socket.create_connection((HOST, self.port), timeout=1).close()
        self._thread.join(BOUND)
        self._sock.close()


def _check_in(port: int, i: int) -> float:
    """Connect to the rendezvous, say who we are, wait for "go" (an I/O wait)."""
    start = time.monotonic()
    me = threading.current_thread()
    with socket.create_connection((HOST, port), timeout=2 * BOUND) as sock:
        sock.sendall(f"{i} {os.getpid()} {threading.get_ident()} {me.name}\n".encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(16)
            if not chunk:
                break
            data += chunk
    return start


def io_job(item):
    """An I/O-bound job: check in and wait for everybody."""
    port, i = item
    start = _check_in(port, i)
    return {"i": i, "pid": os.getpid(), "thread": threading.get_ident(),
            "name": threading.current_thread().name, "start": start, "end": time.monotonic()}


def cpu_job(item):
    """A CPU-bound job: check in, wait for everybody, then compute."""
    port, i, n = item
    start = _check_in(port, i)
    value = sum(k * k for k in range(n))
    return {"i": i, "pid": os.getpid(), "thread": threading.get_ident(),
            "name": threading.current_thread().name, "start": start, "end": time.monotonic(),
            "value": value}


def square(x):
    return x * x


def checked_sqrt(x):
    if x < 0:
        raise ValueError(f"no square root of {x}")
    return x ** 0.5


def intervals(results) -> str:
    """'job 0: pid 123, thread ..., 0.000-0.012 s; ...' relative to the first start."""
    if not results:
        return "no jobs"
    t0 = min(r["start"] for r in results)
    text = "; ".join(f"job {r['i']}: pid {r['pid']}, thread {r['name']!r}, "
                     f"{r['start'] - t0:.3f}-{r['end'] - t0:.3f} s" for r in results[:4])
    return text + ("; ..." if len(results) > 4 else "")


def valid_results(results, n, call) -> None:
    ok = (isinstance(results, list) and len(results) == n
          and all(isinstance(r, dict) and "pid" in r for r in results))
    if not ok:
        fail(f"{call} returned {short(results)}; expected the list of the {n} jobs' results, "
             f"func(item) for each item in input order.")


@pytest.fixture(scope="module", autouse=True)
def _multiprocessing_helpers():
    """Start multiprocessing's own long-lived helpers before the first test.

    With the 'spawn' and 'forkserver' start methods, multiprocessing starts a
    resource tracker (and a fork server) on first use and keeps them until
    the program exits. They belong to multiprocessing, not to the student's
    pool: started here, they are part of every test's "before" snapshot and
    are not reported as leaks.
    """
    from multiprocessing import forkserver, resource_tracker

    resource_tracker.ensure_running()
    with contextlib.suppress(Exception):  # not on every platform
        forkserver.ensure_running()
    yield


@contextlib.contextmanager
def watching_pools():
    """Record ResourceWarnings (an unclosed multiprocessing pool) instead of raising them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield caught


def left_behind(before, caught) -> list[str]:
    """What is still running (after the same grace the leak check gives), plus pool warnings."""
    with warnings.catch_warnings(record=True) as more:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
        problems = leaks.leftovers(before)
    for w in [*caught, *more]:
        if issubclass(w.category, ResourceWarning):
            what = "a pool that was never closed" if "pool" in str(w.message) else "a resource"
            problems.append(f"{what} ({w.message})")
            break
    return problems


# --- classify -------------------------------------------------------------------------

def test_classify_cpu_and_io(mod):
    cases = [
        (1.0, 1.0, "cpu", "the CPU was busy all the time"),
        (0.95, 1.0, "cpu", "95% busy: computing"),
        (0.5, 1.0, "cpu", "exactly CPU_SHARE (0.5): >= counts as CPU-bound"),
        (1.9, 1.0, "cpu", "190%: two busy threads or processes"),
        (0.01, 2.0, "io", "0.5% busy: waiting for the network"),
        (0.0, 3.0, "io", "no CPU at all: only waiting"),
        (0.49, 1.0, "io", "49%: just under CPU_SHARE"),
        (0.9, 10.0, "io", "0.9 s of CPU in 10 s: 9% busy"),
        (3.0, 4.0, "cpu", "3 s of CPU in 4 s: 75% busy"),
    ]
    for cpu, wall, want, why in cases:
        got = mod.classify(cpu, wall)
        if got != want:
            wrong = ""
            if cpu > mod.CPU_SHARE and want == "io":
                wrong = (" Compare the SHARE cpu_time / wall_time with CPU_SHARE, not cpu_time "
                         "itself: 0.9 s of CPU is a lot in 1 s and little in 10 s.")
            fail(f"classify(cpu_time={cpu}, wall_time={wall}) returned {got!r}, expected "
                 f"{want!r} ({why}).{wrong} CPU密集型: cpu一直在运行; IO密集型: cpu出于空闲状态. "
                 f"{SEE}")
    if (mod.CPU_BOUND, mod.IO_BOUND) != ("cpu", "io"):
        fail(f"CPU_BOUND and IO_BOUND came back as {(mod.CPU_BOUND, mod.IO_BOUND)!r}; they must stay "
             f"'cpu' and 'io', as given.")


def test_classify_rejects_impossible_measurements(mod):
    for cpu, wall, why in ((1.0, 0.0, "no time passed"), (0.0, 0.0, "no time passed"),
                           (0.5, -1.0, "time ran backwards"), (-0.1, 1.0, "negative CPU time")):
        try:
            got = mod.classify(cpu, wall)
        except ValueError:
            continue
        except ZeroDivisionError:
            fail(f"classify(cpu_time={cpu}, wall_time={wall}) raised ZeroDivisionError; "
                 f"expected ValueError ({why}): check the measurements before dividing.")
        fail(f"classify(cpu_time={cpu}, wall_time={wall}) returned {got!r}; expected ValueError: "
             f"{why}, so the measurement is wrong.")


# --- run_io ---------------------------------------------------------------------------

def test_run_io_uses_threads_whose_waits_overlap(mod):
    n = 6
    with Rendezvous(n, IO_MEET) as meet:
        call = f"run_io(io_job, <{n} items>, workers={n})"
        results = mod.run_io(io_job, [(meet.port, i) for i in range(n)], workers=n)
    valid_results(results, n, call)
    me = os.getpid()
    elsewhere = sorted({r["pid"] for r in results if r["pid"] != me})
    if elsewhere:
        fail(f"{call}: the jobs ran in other processes (pids {elsewhere}; the test's pid is "
             f"{me}); expected threads of the caller's own process, since each job only waits "
             f"for the network. {IO}")
    if not meet.met:
        fail(f"{call}: each job connects to a test server and waits for its answer (an I/O "
             f"wait); the server answers once all {n} wait. Only {meet.peak} of them ever waited "
             f"at the same time (the test waited {IO_MEET:.0f} s), so your threads did not wait "
             f"together; all {n} should have. Submit all the jobs before you wait for any result (pool.map(), or "
             f"submit() them all and only then call result()), with `workers` threads. "
             f"Intervals: {intervals(results)}. {IO}")
    threads = {r["thread"] for r in results}
    if len(threads) != n:
        fail(f"{call}: {n} jobs waited at once in only {len(threads)} thread(s); expected one "
             f"thread per waiting job. Intervals: {intervals(results)}.")
    order = [r["i"] for r in results]
    if order != list(range(n)):
        fail(f"{call} returned the results of jobs {order}; expected input order "
             f"{list(range(n))}: results[i] must be func(items[i]).")
    got = mod.run_io(io_job, [])
    if got != []:
        fail(f"run_io(io_job, []) returned {short(got)}; expected [] (no items, no threads).")


def test_run_io_reraises_task_exception(mod):
    call = "run_io(checked_sqrt, [4, 9, -1, 16, -4], workers=3)"
    try:
        got = mod.run_io(checked_sqrt, [4, 9, -1, 16, -4], workers=3)
    except ValueError as exc:
        if "no square root of -" not in str(exc):
            fail(f"{call} raised ValueError({exc}); expected the error checked_sqrt raised, "
                 f"ValueError('no square root of -1') (or of -4).")
    else:
        fail(f"{call} returned {short(got)}; checked_sqrt(-1) raised ValueError, which must reach "
             f"the caller (future.result() and pool.map() re-raise it for you).")
    got = mod.run_io(checked_sqrt, [4, 9, 16], workers=3)
    if got != [2.0, 3.0, 4.0]:
        fail(f"run_io(checked_sqrt, [4, 9, 16], workers=3) returned {short(got)}, expected "
             f"[2.0, 3.0, 4.0].")


def test_run_io_leaves_no_threads_running(mod):
    before = leaks.snapshot()
    with watching_pools() as caught:
        with Rendezvous(4, IO_MEET) as meet:
            mod.run_io(io_job, [(meet.port, i) for i in range(4)], workers=4)
    problems = left_behind(before, caught)
    if problems:
        fail(f"run_io(io_job, <4 items>, workers=4) returned, but left behind: "
             f"{'; '.join(problems)}. Every worker thread must have finished when run_io() "
             f"returns. {SHUTDOWN.replace('ProcessPoolExecutor', 'ThreadPoolExecutor')} {SEE}")


# --- run_cpu --------------------------------------------------------------------------

def test_run_cpu_uses_processes_that_overlap(mod):
    n = 2
    with Rendezvous(n, CPU_MEET) as meet:
        call = f"run_cpu(cpu_job, <{n} items>, workers={n})"
        results = mod.run_cpu(cpu_job, [(meet.port, i, 50_000 + i) for i in range(n)], workers=n)
    valid_results(results, n, call)
    me = os.getpid()
    here = [r["i"] for r in results if r["pid"] == me]
    if here:
        fail(f"{call}: job(s) {here} ran in the test's own process (pid {me}), in thread(s) "
             f"{sorted({r['name'] for r in results if r['pid'] == me})}; expected each job in "
             f"a worker PROCESS. CPU-bound jobs in threads take turns on the GIL. {GIL}")
    pids = sorted({r["pid"] for r in results})
    if not meet.met or len(pids) < n:
        fail(f"{call}: each job checks in at a test server and waits until all {n} have "
             f"checked in, then computes. Only {meet.peak} of them ever ran at the same time "
             f"(the test waited {CPU_MEET:.0f} s); they ran in {len(pids)} process(es) {pids}, "
             f"one job after another, but all {n} should run at once. Start `workers` processes "
             f"and submit all the jobs before waiting for any result. Intervals: "
             f"{intervals(results)}. {GIL}")
    want = [sum(k * k for k in range(50_000 + i)) for i in range(n)]
    got = [r.get("value") for r in results]
    if got != want or [r["i"] for r in results] != list(range(n)):
        fail(f"{call} returned the results of jobs {[r['i'] for r in results]} with wrong "
             f"values or order; expected func(items[i]) at index i.")


def test_run_cpu_results_in_input_order(mod):
    items = [7, 3, 11, 0, 5, 2, 9]
    call = f"run_cpu(square, {items}, workers=2)"
    got = mod.run_cpu(square, items, workers=2)
    want = [x * x for x in items]
    if got != want:
        if isinstance(got, list) and sorted(got) == sorted(want):
            fail(f"{call} returned {got}: the right squares in the wrong order (the order the "
                 f"jobs finished?). Expected {want}: results[i] = func(items[i]); pool.map() "
                 f"keeps input order.")
        fail(f"{call} returned {short(got)}, expected {want}.")
    got = mod.run_cpu(square, [])
    if got != []:
        fail(f"run_cpu(square, []) returned {short(got)}; expected [] (and no processes started).")


def test_run_cpu_reraises_job_exception(mod):
    call = "run_cpu(checked_sqrt, [4, -9, 16, -1], workers=2)"
    before = leaks.snapshot()
    with watching_pools() as caught:
        try:
            got = mod.run_cpu(checked_sqrt, [4, -9, 16, -1], workers=2)
        except ValueError as exc:
            if "no square root of -" not in str(exc):
                fail(f"{call} raised ValueError({exc}); expected the error checked_sqrt "
                     f"raised, ValueError('no square root of -9') (or of -1).")
        else:
            fail(f"{call} returned {short(got)}; checked_sqrt(-9) raised ValueError in a "
                 f"worker process, which must reach the caller (pool.map() and "
                 f"future.result() re-raise it).")
    problems = left_behind(before, caught)
    if problems:
        fail(f"{call} raised ValueError as it should, but left behind: {'; '.join(problems)}. "
             f"Shut the pool down also when a job fails: a `with` block does. {SHUTDOWN}")


def test_run_cpu_leaves_no_processes_running(mod):
    before = leaks.snapshot()
    with watching_pools() as caught:
        got = mod.run_cpu(square, [1, 2, 3, 4], workers=2)
    problems = left_behind(before, caught)
    if problems:
        fail(f"run_cpu(square, [1, 2, 3, 4], workers=2) returned {short(got)}, but left "
             f"behind: {'; '.join(problems)}. Every worker process must have ended when "
             f"run_cpu() returns: processes that outlive the call keep memory and CPU slots, "
             f"and pile up with every call. {SHUTDOWN} {SEE}")
    if got != [1, 4, 9, 16]:
        fail(f"run_cpu(square, [1, 2, 3, 4], workers=2) returned {short(got)}, expected "
             f"[1, 4, 9, 16].")
