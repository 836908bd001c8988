"""coroutines whose scheduler files finished tasks as failures.

Bug: run() catches `except Exception` before StopIteration (which is an Exception too), so every task that returns lands in sched.errors and sched.results stays empty.
Caught by: test_task_results_are_collected, test_failing_task_does_not_stop_others, test_sleep_uses_a_virtual_clock
"""
from __future__ import annotations

import heapq
import inspect
import itertools
from collections import deque


def consumer(name):
    """Eat what is sent: each send(n) returns f"[{name}] is eating baozi {n}"."""
    reply = None  # what priming (the first next()) returns
    while True:
        baozi = yield reply  # pause here until the producer send()s the next one
        reply = f"[{name}] is eating baozi {baozi}"


def producer(consumers, n):
    """Feed baozi 1..n to every consumer in turn; return the log of what happened."""
    log = []
    for c in consumers:
        next(c)  # prime: run each consumer up to its first yield
    hungry = list(consumers)
    for i in range(1, n + 1):
        for c in list(hungry):
            try:
                log.append(c.send(i))
            except StopIteration as full:  # the consumer returned: it has had enough
                hungry.remove(c)
                if full.value is not None:
                    log.append(full.value)
        log.append(f"[producer] is making baozi {i}")
    for c in consumers:
        c.close()  # GeneratorExit inside each consumer still running
    return log


class Sleep:
    """`yield Sleep(seconds)` in a task: resume it after that much virtual time."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __repr__(self):
        return f"Sleep({self.seconds!r})"


class Scheduler:
    """Round-robin scheduler of generator tasks, with a virtual clock."""

    def __init__(self):
        self.now = 0            # the virtual clock
        self.results = {}       # task name -> its return value
        self.errors = {}        # task name -> the exception it raised
        self._ready = deque()   # (name, generator): whose turn is next, FIFO
        self._sleeping = []     # heap of (wake-up time, order, name, generator)
        self._order = itertools.count()  # ties wake in the order they slept
        self._names = itertools.count(1)

    def spawn(self, gen, name=None):
        """Add a task (a generator object); returns its name."""
        if not inspect.isgenerator(gen):
            raise TypeError(f"spawn() needs a generator object, got {gen!r}: call the "
                            f"generator function, spawn(task()), not spawn(task)")
        if name is None:
            name = f"task-{next(self._names)}"
        self._ready.append((name, gen))
        return name

    def run(self):
        """Run until every task has finished; return self.results."""
        while self._ready or self._sleeping:
            if not self._ready:  # everyone sleeps: jump to the first wake-up
                self.now = max(self.now, self._sleeping[0][0])
            while self._sleeping and self._sleeping[0][0] <= self.now:
                _, _, name, gen = heapq.heappop(self._sleeping)
                self._ready.append((name, gen))
            name, gen = self._ready.popleft()
            try:
                request = gen.send(None)  # the task runs until its next yield
            except Exception as exc:  # one failing task must not stop the others
                self.errors[name] = exc
                continue
            except StopIteration as done:
                self.results[name] = done.value
                continue
            if isinstance(request, Sleep):
                wake = self.now + request.seconds
                heapq.heappush(self._sleeping, (wake, next(self._order), name, gen))
            else:
                self._ready.append((name, gen))  # a plain yield: to the back of the line
        return self.results


if __name__ == "__main__":
    print("\n".join(producer([consumer("c1"), consumer("c2")], 3)))

    sched = Scheduler()

    def worker(name, naps):
        for nap in naps:
            print(f"t={sched.now}: {name} naps {nap}")
            yield Sleep(nap)
        return f"{name} done at t={sched.now}"

    sched.spawn(worker("func1", [2]), "func1")
    sched.spawn(worker("func2", [1]), "func2")
    print(sched.run())
