"""Processes with multiprocessing: Process, Queue, Pipe, Pool (seed: 9.25 4 多进程).

Three ways to get work done in other processes, each returning its results
to the parent, each reaping every child it starts:

    squares_in_processes   function form: Process(target=squares_chunk), results
                           through ONE Queue, drained BEFORE joining (a child
                           does not exit until its queued data is in the pipe)
    sum_in_child           class form: a SumProcess subclass, result through a
                           Pipe; the parent closes its copy of the child's end,
                           so a child that dies without sending gives EOFError
                           instead of a hang, and its exitcode is reported
    squares_with_pool      Pool.map over a module-level function: the order of
                           the input, and picklable work for every start method

Everything a child runs is a module-level function or class, so it can be
pickled by reference and imported by a `spawn` child.
"""
from __future__ import annotations

import multiprocessing
import os


class ChildFailed(Exception):
    """A child process ended with a non-zero exit code."""

    def __init__(self, name, exitcode):
        super().__init__(f"child process {name} ended with exit code {exitcode}")
        self.name = name
        self.exitcode = exitcode


def square(n):
    """n * n: the work Pool.map hands out (module level, so it pickles)."""
    return n * n


def squares_chunk(q, index, numbers):
    """Runs in a child: put (index, this child's pid, [n * n for n in numbers]) on q."""
    q.put((index, os.getpid(), [n * n for n in numbers]))


def squares_in_processes(chunks, ctx=None):
    """One child per chunk; [(pid, squares of chunk i)] in the order of the chunks."""
    ctx = ctx or multiprocessing.get_context()
    q = ctx.Queue()
    children = [ctx.Process(target=squares_chunk, args=(q, i, chunk), name=f"squares-{i}")
                for i, chunk in enumerate(chunks)]
    for p in children:
        p.start()
    try:
        # Drain first: a child that has put a big result waits (in its queue's
        # feeder thread) until the parent has read it, so join() before get()
        # would wait forever for a child that waits for us.
        results = [None] * len(chunks)
        for _ in children:
            index, pid, squares = q.get()
            results[index] = (pid, squares)  # arrival order is not chunk order
    finally:
        for p in children:
            p.join()  # reap: a finished child stays a zombie until its parent waits
        q.close()
        q.join_thread()
    return results


class SumProcess(multiprocessing.Process):
    """Class form: run() sends (pid, sum(numbers)) through conn, then closes it."""

    def __init__(self, numbers, conn):
        super().__init__()
        self.numbers = numbers
        self.conn = conn

    def run(self):
        self.conn.send((os.getpid(), sum(self.numbers)))
        self.conn.close()


def sum_in_child(numbers):
    """Sum `numbers` in a SumProcess; (child pid, total), or ChildFailed(exitcode)."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    child = SumProcess(numbers, sender)
    child.start()
    sender.close()  # ours: now the pipe ends (EOFError) when the child's copy closes
    try:
        result = receiver.recv()
    except EOFError:
        result = None  # the child died without sending: its exitcode says how
    finally:
        receiver.close()
        child.join()
    if child.exitcode != 0:  # 1: an exception in run(); -9: killed by signal 9
        raise ChildFailed(child.name, child.exitcode)
    return result


def squares_with_pool(numbers, processes=2, ctx=None):
    """[n * n for n in numbers], computed by a Pool of `processes` workers, in order."""
    ctx = ctx or multiprocessing.get_context()
    pool = ctx.Pool(processes)
    try:
        return pool.map(square, numbers)  # map keeps the order of its input
    finally:
        pool.close()  # no more work: the workers exit ...
        pool.join()   # ... and are reaped


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/processes.py)
    print(squares_in_processes([[1, 2, 3], [4, 5], [6]]))
    print(sum_in_child(range(101)))
    print(squares_with_pool(range(10)))
    try:
        sum_in_child([1, "two", 3])
    except ChildFailed as exc:
        print("as expected:", exc)
