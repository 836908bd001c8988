"""Exercise: the GIL -- threads for I/O, processes for CPU (seed: 9.22 3 GIL全局解释器锁).

The notes:

    - CPU密集型任务: 主要是执行计算任务，响应时间很快，cpu一直在运行，这种任务cpu的利用率很高
      (CPU-bound: computing; the CPU is busy all the time)
    - IO密集型任务: 主要是进行IO操作，执行IO操作的时间较长，这是cpu出于空闲状态，导致cpu的利用率不高
      (I/O-bound: waiting for I/O; the CPU sits idle most of the time)

    在同一时刻，只能有一个线程进入解释器。
    (At any moment only one thread can be inside the interpreter.)

That one lock is the GIL (Global Interpreter Lock) of CPython. What it means
for you:

  * I/O-bound work: a thread that waits (recv(), accept(), reading a file,
    Event.wait()) RELEASES the GIL while it waits. Many threads can wait at
    the same time, so threads are the cheap, right tool: N downloads in N
    threads take about as long as the slowest one.
  * CPU-bound work: a thread that computes HOLDS the GIL. Two computing
    threads take turns and are no faster than one, however many cores the
    machine has. For parallel computation use PROCESSES (multiprocessing,
    concurrent.futures.ProcessPoolExecutor): each process has its own
    interpreter and its own GIL. (9.24's multiprocessing has the same API
    as threading.)
  * A process costs much more than a thread to start, and everything sent to
    it (the function, its arguments, its result) is pickled. So the function
    must be a module-level function (not a lambda, not a nested function),
    and processes are a poor choice for many tiny I/O waits.
  * A pool is a resource like a socket: shut it down (`with` does that).
    Worker processes or threads left running after your function returned
    are a leak, and the grader reports them.

Your tasks (the tests use exactly these names):

    classify(cpu_time, wall_time)      -> CPU_BOUND or IO_BOUND
    run_io(func, items, workers=None)  -> [func(item) ...], in THREADS
    run_cpu(func, items, workers=None) -> [func(item) ...], in PROCESSES

How a task's cpu_time and wall_time are measured (you do not need to write
this; it shows what the numbers mean):

    wall0, cpu0 = time.perf_counter(), time.process_time()
    task()
    wall_time = time.perf_counter() - wall0     # seconds that passed
    cpu_time = time.process_time() - cpu0       # seconds the CPU worked for us

The grader checks WHERE and WHEN your workers run (process ids, threads,
and which tasks were waiting at the same time), never how fast: a shared
test machine is too noisy for speed to prove anything.

Run the tests:   python -m grader gil
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

CPU_BOUND = "cpu"
IO_BOUND = "io"
CPU_SHARE = 0.5  # a task that kept the CPU busy for at least this share of its wall time is CPU-bound


def classify(cpu_time: float, wall_time: float) -> str:
    """Return CPU_BOUND or IO_BOUND for a task measured as above.

    The task's CPU share is cpu_time / wall_time (its CPU 利用率):
      - share >= CPU_SHARE  -> CPU_BOUND  (cpu一直在运行)
      - share <  CPU_SHARE  -> IO_BOUND   (cpu出于空闲状态)
    A share above 1 is possible (several busy threads or child processes):
    that is CPU_BOUND too.
    Raise ValueError for measurements that cannot happen: wall_time <= 0,
    or cpu_time < 0.
    """
    # TODO
    raise NotImplementedError("classify")


def run_io(func: Callable, items: Iterable, workers: int | None = None) -> list:
    """Run func(item) for every item in THREADS of this process; return the results.

    - At most `workers` threads at a time (None: one per item, at most 32); all
      of them may be waiting for I/O at the same time.
    - Results in input order: results[i] == func(items[i]).
    - If func raised for an item, raise that exception in the caller (if
      several items failed, any one of their exceptions will do).
    - Before returning (or raising), every thread you started has finished:
      shut your pool down (`with ThreadPoolExecutor(...) as pool:`).
    - No items: return [].
    """
    # TODO: concurrent.futures.ThreadPoolExecutor and pool.map(), inside `with`.
    raise NotImplementedError("run_io")


def run_cpu(func: Callable, items: Iterable, workers: int | None = None) -> list:
    """Run func(item) for every item in worker PROCESSES; return the results.

    - `func` is a module-level function and the items and results are
      picklable (the tests make sure of that).
    - At most `workers` processes (None: os.cpu_count()); they compute at
      the same time, each with its own GIL.
    - Results in input order. If func raised for an item, raise that
      exception in the caller (if several failed, any one of them will do).
    - Before returning (or raising), every worker process has exited: shut
      the pool down (`with ProcessPoolExecutor(...) as pool:`, or close()
      and join() a multiprocessing.Pool).
    - No items: return [].
    """
    # TODO: concurrent.futures.ProcessPoolExecutor and pool.map(), inside `with`.
    raise NotImplementedError("run_cpu")
