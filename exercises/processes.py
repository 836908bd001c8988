"""Exercise: work in child processes with multiprocessing (seed: 9.25 4 多进程(multiprocessing模块)).

The notes: "multiprocessing支持子进程、通信和共享数据 ... 提供了Process、Queue、Pipe、
Lock等组件" -- Process has the same API as threading.Thread (start, run, join),
but each child is a separate process with its own memory. So:

  - results come back only through IPC: a Queue or a Pipe (不同进程间内存是不共享的);
  - every child must be joined: "当某个进程终结之后，该进程需要被其父进程调用wait，
    否则进程成为僵尸进程(Zombie)。所以，有必要对每个Process对象调用join()方法";
  - a child can fail on its own: Process.exitcode is 0 for success, 1 after an
    uncaught exception, N after sys.exit(N)/os._exit(N), and -N if a signal N
    killed it (None while it still runs).

You write three ways to compute squares (and a sum) in child processes:

  squares_in_processes(chunks, ctx)   FUNCTION form (示例1): one
        ctx.Process(target=squares_chunk, args=(q, index, chunk)) per chunk, all
        results through ONE ctx.Queue() (the notes' Queue example).
  sum_in_child(numbers)                CLASS form (示例2): a subclass of
        multiprocessing.Process whose run() sends its result through a Pipe.
  squares_with_pool(numbers, processes, ctx)
        a ctx.Pool of worker processes and Pool.map().

Rules the grader checks:

  - The work really runs in other processes: results carry the child's
    os.getpid().
  - Results come back in the order of the input, whatever order the children
    finish in.
  - Every child is joined before the function returns: no zombies, nothing
    left running (the grader looks for both).
  - join() a child only AFTER reading what it put on a Queue: a child that
    has put a big result (more than a pipe holds, ~64 KB) does not exit until
    the parent has read it, so join() first waits forever.
  - A child that dies without a result must not hang the parent: sum_in_child
    raises ChildFailed with the child's exitcode.
  - Everything works with ANY start method, also "spawn" (the default on
    Windows and macOS): a spawned child is a fresh Python that receives the
    target and its arguments by pickling and imports this module by name. So
    children run only module-level functions and classes -- never a lambda or
    a nested def -- and this module must do nothing when imported.
  - `ctx` is a multiprocessing context (multiprocessing.get_context("fork") or
    get_context("spawn")): make processes, queues and pools with ctx.Process,
    ctx.Queue, ctx.Pool, so the caller chooses how children start. ctx=None
    means multiprocessing.get_context() (the default method).

Run the tests:   python -m grader processes
"""
from __future__ import annotations

import multiprocessing
import os


class ChildFailed(Exception):
    """A child process ended with a non-zero exit code.  GIVEN: raise it as
    ChildFailed(process.name, process.exitcode)."""

    def __init__(self, name, exitcode):
        super().__init__(f"child process {name} ended with exit code {exitcode}")
        self.name = name
        self.exitcode = exitcode


def square(n):
    """Return n * n. The work squares_with_pool() hands to its Pool."""
    # TODO
    raise NotImplementedError("square")


def squares_chunk(q, index, numbers):
    """Runs IN A CHILD. Put one tuple on the queue q:

        (index, os.getpid(), [n * n for n in numbers])

    index says which chunk this is (results arrive in any order); the pid
    shows which process did the work.
    """
    # TODO: one q.put(...)
    raise NotImplementedError("squares_chunk")


def squares_in_processes(chunks, ctx=None):
    """Square every chunk (a list of numbers) in its own child process.

    Returns a list with one (pid, squares) pair per chunk, in the order of
    `chunks`: pid is the child's os.getpid(), squares is [n * n for n in chunk].

        squares_in_processes([[1, 2], [3]])  ->  [(4711, [1, 4]), (4712, [9])]

    Steps: make ONE queue with ctx.Queue(); start one
    ctx.Process(target=squares_chunk, args=(q, index, chunk)) per chunk; get
    exactly len(chunks) results from the queue, placing each by its index;
    THEN join() every child. (The other way round can hang: see the module
    docstring.)
    """
    # TODO
    raise NotImplementedError("squares_in_processes")


class SumProcess(multiprocessing.Process):
    """The class form (示例2): a Process subclass that overrides run().

    SumProcess(numbers, conn): run() sends the pair (os.getpid(), sum(numbers))
    through conn (one end of a multiprocessing.Pipe) and closes conn.
    """

    def __init__(self, numbers, conn):
        super().__init__()  # GIVEN: a Process subclass must let Process set itself up first
        # TODO: keep numbers and conn (run() needs them, in the child).
        raise NotImplementedError("SumProcess.__init__")

    def run(self):
        """Runs in the child after start(): send (os.getpid(), sum(numbers)), close conn."""
        # TODO
        raise NotImplementedError("SumProcess.run")


def sum_in_child(numbers):
    """Sum `numbers` in a SumProcess child; return (child pid, total).

        sum_in_child(range(101))  ->  (4713, 5050)

    Use multiprocessing.Pipe(duplex=False) -> (receiving end, sending end);
    give the sending end to SumProcess, start() it, recv() the result, join().

    If the child dies without sending (numbers = [1, "two"] makes sum() raise
    in the child; the child may also be killed), the parent must not wait
    forever: recv() raises EOFError once EVERY copy of the sending end is
    closed -- and after start() the parent still holds one. Close yours right
    after start(). In any case, after join(): if the child's exitcode is not 0,
    raise ChildFailed(child.name, child.exitcode).

    (SumProcess uses multiprocessing.Process, so it follows the default start
    method, multiprocessing.set_start_method(); there is no ctx here.)
    """
    # TODO
    raise NotImplementedError("sum_in_child")


def squares_with_pool(numbers, processes=2, ctx=None):
    """Return [n * n for n in numbers], computed by ctx.Pool(processes) with map().

    Pool.map keeps the order of its input. Send it the module-level square():
    a Pool pickles the function to send it to its workers, and a lambda cannot
    be pickled. Close and join the pool before returning (or use `with`).
    """
    # TODO
    raise NotImplementedError("squares_with_pool")
