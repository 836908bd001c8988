"""Exercise: queues -- a pipeline, job ordering, and a small thread pool.

Seed: 9.25 3 多线程利器 队列(queue).

The notes: queue.Queue is a thread-safe FIFO with the locking done for you.
put() adds at the tail (and blocks while a queue with maxsize is full),
get() takes from the head (and blocks while it is empty); LifoQueue hands
out the newest item first, PriorityQueue the smallest. q.task_done() tells
the queue one item got() earlier is finished; q.join() blocks until every
item ever put has been marked done. Their baozi example never stops its
threads (`while True: q.get()`); here every thread you start must end.

Part 1 -- Pipeline: the producer/consumer pattern.

    pipe = Pipeline(work, workers=3, maxsize=0)
    pipe.start()                  # `workers` consumer threads, each: get, work(item), task_done
    pipe.put(item, timeout=None)  # the producer side (queue.Full after timeout when full)
    pipe.join()                   # until every item put so far is processed: q.join()
    pipe.results(), pipe.errors() # what work() returned / raised, any order
    pipe.close()                  # stop the workers with sentinels, join() them

  Stopping: a consumer blocked in get() cannot be told to stop by a flag --
  it is asleep in get(). Put one SENTINEL per worker: a special object that
  means "no more items, leave". The sentinel must be an object no caller can
  put: a module-level `_STOP = object()`, compared with `is`. NOT None: None
  is an ordinary item here, and work(None) must be called like any other.

Part 2 -- JobQueue: FIFO, LIFO or by priority.

    jobs = JobQueue("priority")   # or "fifo" (the default), "lifo"
    jobs.put(job, priority=0)     # priority matters only for "priority"
    jobs.get(timeout=None)        # the next job; queue.Empty after timeout

  Lower priority numbers come out first ("级别越低越先出来"). Jobs with EQUAL
  priority come out in the order they were put (FIFO), and jobs are NEVER
  compared with each other: they may be dicts or functions, which cannot be
  compared with <. PriorityQueue compares whole entries, so a (priority, job)
  tuple compares the jobs when the priorities tie. Put
  (priority, ticket, job), where ticket comes from itertools.count(): no two
  tickets are equal, so the comparison never reaches the job.

Part 3 -- ThreadPool: a fixed set of worker threads fed by a queue.

    with ThreadPool(workers=4) as pool:      # the workers start in __init__
        future = pool.submit(fn, *args, **kwargs)
        future.result(timeout=None)          # fn's value, or fn's exception re-raised
        pool.map(fn, items)                  # [fn(x) for x in items], in input order
    # on exit: shutdown() -- queued tasks finish, every worker is joined

  A task that raises must not kill its worker: catch the exception in the
  worker and hand it to the caller through the Future.

Check your work:

    python -m grader queues

The grader bounds every wait: a join() that would hang because task_done()
is missing is reported as such, and so are threads left running after
close() or shutdown().
"""
from __future__ import annotations

import itertools
import queue
import threading


class Pipeline:
    """Items flow through one queue.Queue to `workers` consumer threads."""

    def __init__(self, work, workers: int = 3, maxsize: int = 0):
        """Remember work and workers; create the queue.Queue(maxsize). Nothing runs yet.

        You also need lists for the results and errors (with a Lock: the
        workers append to them at the same time) and the worker threads.
        """
        # TODO
        raise NotImplementedError("Pipeline.__init__")

    def start(self) -> None:
        """Start `workers` consumer threads and return at once.

        Each consumer loops: item = q.get(); if it is the sentinel, leave
        the loop; else call work(item) and keep the result (or, if work()
        raised an Exception, keep the exception and carry on). Call
        q.task_done() once for EVERY item got, in a `finally`: a missing
        task_done() makes join() wait for ever.
        """
        # TODO
        raise NotImplementedError("start")

    def put(self, item, timeout: float | None = None) -> None:
        """Hand an item to the consumers (q.put).

        With maxsize > 0 and a full queue, wait for room: forever when
        timeout is None, else at most `timeout` s, then raise queue.Full.
        """
        # TODO
        raise NotImplementedError("put")

    def join(self) -> None:
        """Block until every item put so far has been processed: q.join()."""
        # TODO
        raise NotImplementedError("join")

    def results(self) -> list:
        """A copy of the values work() returned so far, in any order."""
        # TODO
        raise NotImplementedError("results")

    def errors(self) -> list:
        """A copy of the exceptions work() raised so far, in any order."""
        # TODO
        raise NotImplementedError("errors")

    def close(self) -> None:
        """Stop the consumers: put one sentinel per worker, then join() every thread.

        Items put before close() are still processed (the sentinels queue up
        behind them). When close() returns, no consumer thread is running.
        """
        # TODO
        raise NotImplementedError("close")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()


class JobQueue:
    """A thread-safe job queue: "fifo", "lifo" or "priority"."""

    def __init__(self, order: str = "fifo"):
        """Pick queue.Queue, queue.LifoQueue or queue.PriorityQueue; ValueError for
        any other `order`. For "priority" also keep an itertools.count() for
        the tie-breaking tickets.
        """
        # TODO
        raise NotImplementedError("JobQueue.__init__")

    def put(self, job, priority: int = 0) -> None:
        """Add a job. For "priority", put (priority, ticket, job); else just job."""
        # TODO
        raise NotImplementedError("put")

    def get(self, timeout: float | None = None):
        """Take the next job (only the job, without priority or ticket).

        Wait for one: forever when timeout is None, else at most `timeout` s,
        then raise queue.Empty (what q.get(timeout=...) raises).
        """
        # TODO
        raise NotImplementedError("get")

    def __len__(self) -> int:
        """How many jobs are waiting (q.qsize())."""
        # TODO
        raise NotImplementedError("__len__")


class Future:
    """The result of a submitted task, available later: a value or an exception."""

    def __init__(self):
        """Not done yet. You need a threading.Event (set when done) and two slots."""
        # TODO
        raise NotImplementedError("Future.__init__")

    def set_result(self, value) -> None:
        """Called by a worker: the task returned `value`. Wakes result()."""
        # TODO
        raise NotImplementedError("set_result")

    def set_exception(self, exc: BaseException) -> None:
        """Called by a worker: the task raised `exc`. Wakes result()."""
        # TODO
        raise NotImplementedError("set_exception")

    def done(self) -> bool:
        """True once set_result() or set_exception() has been called."""
        # TODO
        raise NotImplementedError("done")

    def result(self, timeout: float | None = None):
        """Wait until done; return the value, or raise the task's exception.

        Not done within `timeout` seconds (None: wait forever): raise
        TimeoutError (the built-in one). Re-raise the task's own exception
        object (`raise self._exception`), so the caller can catch it by type.
        """
        # TODO
        raise NotImplementedError("result")


class ThreadPool:
    """`workers` threads that run submitted tasks, fed by one queue.Queue."""

    def __init__(self, workers: int = 4):
        """Create the task queue and start `workers` worker threads right away.

        Each worker loops: task = q.get(); the sentinel means leave; else
        run fn(*args, **kwargs) and complete its Future with set_result() --
        or, if fn raised, with set_exception(exc): the exception must reach
        the caller, and the worker must live on for the next task.
        """
        # TODO
        raise NotImplementedError("ThreadPool.__init__")

    def submit(self, fn, *args, **kwargs) -> Future:
        """Queue fn(*args, **kwargs) for a worker; return its Future at once.

        After shutdown() has begun, raise RuntimeError instead.
        """
        # TODO
        raise NotImplementedError("submit")

    def map(self, fn, items) -> list:
        """[fn(item) for item in items], computed by the workers, in INPUT order.

        Tasks finish in any order; the list must not. Submit them all first,
        then collect each Future's result() in the order you submitted them.
        An exception from any fn(item) propagates.
        """
        # TODO
        raise NotImplementedError("map")

    def shutdown(self) -> None:
        """Let the queued tasks finish, stop every worker, join() them all.

        Put one sentinel per worker (behind the queued tasks), then join()
        every worker thread. Calling it twice is fine.
        """
        # TODO
        raise NotImplementedError("shutdown")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
