"""The GIL: threads for I/O, processes for CPU.

Seed: 9.22 3 GIL全局解释器锁. Only one thread at a time runs Python bytecode
(在同一时刻，只能有一个线程进入解释器), but a thread that waits for I/O lets
go of the GIL. Hence:

    classify   CPU share = cpu_time / wall_time; >= CPU_SHARE is CPU-bound
    run_io     a ThreadPoolExecutor: cheap threads, their waits overlap
    run_cpu    a ProcessPoolExecutor: one interpreter (one GIL) per process

Both pools live in a `with` block, which shuts them down -- every worker
thread or process has finished -- before the function returns or raises.
pool.map() keeps input order and re-raises the first failing item's error.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

CPU_BOUND = "cpu"
IO_BOUND = "io"
CPU_SHARE = 0.5  # a task that kept the CPU busy for at least this share of its wall time is CPU-bound


def classify(cpu_time: float, wall_time: float) -> str:
    """CPU_BOUND if the CPU was busy for at least CPU_SHARE of the time, else IO_BOUND."""
    if wall_time <= 0:
        raise ValueError(f"wall_time must be positive, got {wall_time!r}")
    if cpu_time < 0:
        raise ValueError(f"cpu_time cannot be negative, got {cpu_time!r}")
    return CPU_BOUND if cpu_time / wall_time >= CPU_SHARE else IO_BOUND


def run_io(func: Callable, items: Iterable, workers: int | None = None) -> list:
    """func(item) for each item in threads of this process; results in input order."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=workers or min(32, len(items)),
                            thread_name_prefix="io") as pool:
        return list(pool.map(func, items))  # list() inside `with`: wait for all here


def run_cpu(func: Callable, items: Iterable, workers: int | None = None) -> list:
    """func(item) for each item in worker processes; results in input order."""
    items = list(items)
    if not items:
        return []
    # The default start method ('fork' on Linux before 3.14) is the fastest; with
    # 'spawn' or 'forkserver' a worker imports func's module by name, which is
    # why func must be a module-level function.
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        return list(pool.map(func, items))


def _count_primes(limit: int) -> int:  # a CPU-bound demo task (module level: picklable)
    return sum(all(n % d for d in range(2, int(n ** 0.5) + 1)) for n in range(2, limit))


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/gil.py)
    import time

    wall0, cpu0 = time.perf_counter(), time.process_time()
    _count_primes(30_000)
    print("counting primes is", classify(time.process_time() - cpu0, time.perf_counter() - wall0))
    for run in (run_io, run_cpu):  # threads take turns on CPU work; processes do not
        started = time.perf_counter()
        run(_count_primes, [60_000] * 4, workers=4)
        print(f"{run.__name__}: 4 prime counts in {time.perf_counter() - started:.2f} s")
