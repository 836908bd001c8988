"""Variant: priority entries are (priority, job) tuples.

Bug: JobQueue puts (priority, job) into the PriorityQueue, so equal priorities compare the jobs: strings come out sorted instead of in put order, and dicts raise TypeError.
Caught by: test_equal_priorities_keep_fifo_order, test_payloads_that_cannot_be_compared, test_concurrent_puts_with_equal_priority
"""
from __future__ import annotations

import itertools
import queue
import threading

_STOP = object()  # the sentinel: unique, so no real item is ever mistaken for it


class Pipeline:
    def __init__(self, work, workers: int = 3, maxsize: int = 0):
        self.work = work
        self.workers = workers
        self._queue = queue.Queue(maxsize)
        self._lock = threading.Lock()  # guards the two lists
        self._results = []
        self._errors = []
        self._threads = []

    def start(self) -> None:
        for i in range(self.workers):
            thread = threading.Thread(target=self._consume, name=f"pipeline-worker-{i + 1}")
            thread.start()
            self._threads.append(thread)

    def _consume(self):
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                try:
                    result = self.work(item)
                except Exception as exc:  # kept for errors(); the consumer carries on
                    with self._lock:
                        self._errors.append(exc)
                else:
                    with self._lock:
                        self._results.append(result)
            finally:
                self._queue.task_done()  # once per get(), whatever happened

    def put(self, item, timeout: float | None = None) -> None:
        self._queue.put(item, timeout=timeout)

    def join(self) -> None:
        self._queue.join()

    def results(self) -> list:
        with self._lock:
            return list(self._results)

    def errors(self) -> list:
        with self._lock:
            return list(self._errors)

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(_STOP)  # behind every item already queued
        for thread in self._threads:
            thread.join()
        self._threads = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()


class JobQueue:
    _KINDS = {"fifo": queue.Queue, "lifo": queue.LifoQueue, "priority": queue.PriorityQueue}

    def __init__(self, order: str = "fifo"):
        if order not in self._KINDS:
            raise ValueError(f"order must be one of {sorted(self._KINDS)}, got {order!r}")
        self.order = order
        self._queue = self._KINDS[order]()
        self._tickets = itertools.count()  # next() on it is atomic: no lock needed

    def put(self, job, priority: int = 0) -> None:
        if self.order == "priority":
            # The unique ticket breaks ties in put order and keeps `job` out of comparisons.
            self._queue.put((priority, job))  # BUG: a tie compares the jobs
        else:
            self._queue.put(job)

    def get(self, timeout: float | None = None):
        entry = self._queue.get(timeout=timeout)  # queue.Empty after timeout
        return entry[1] if self.order == "priority" else entry

    def __len__(self) -> int:
        return self._queue.qsize()


class Future:
    def __init__(self):
        self._done = threading.Event()
        self._value = None
        self._exception = None

    def set_result(self, value) -> None:
        self._value = value
        self._done.set()

    def set_exception(self, exc: BaseException) -> None:
        self._exception = exc
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None):
        if not self._done.wait(timeout):
            raise TimeoutError(f"the task did not finish within {timeout} s")
        if self._exception is not None:
            raise self._exception
        return self._value


class ThreadPool:
    def __init__(self, workers: int = 4):
        self._tasks = queue.Queue()
        self._lock = threading.Lock()  # submit() vs shutdown(): no task behind the sentinels
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"pool-worker-{i + 1}")
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def _work(self):
        while True:
            task = self._tasks.get()
            if task is _STOP:
                return
            future, fn, args, kwargs = task
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:  # to the caller, through the Future
                future.set_exception(exc)
            else:
                future.set_result(value)

    def submit(self, fn, *args, **kwargs) -> Future:
        future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("submit() after shutdown()")
            self._tasks.put((future, fn, args, kwargs))
        return future

    def map(self, fn, items) -> list:
        futures = [self.submit(fn, item) for item in items]  # all queued first
        return [f.result() for f in futures]                 # then collected in input order

    def shutdown(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                for _ in self._threads:
                    self._tasks.put(_STOP)
        for thread in self._threads:
            thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

