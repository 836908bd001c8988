"""Exercise: coroutines from generators (seed: 9.25 5 协程).

The notes: "协程，又称微线程 ... 是一种用户态的轻量级线程" and "协程能保留上一次
调用时的状态" -- a coroutine keeps its local state between calls and continues
where it left off. Python's generators are exactly that: `yield` pauses the
function, next()/send() resume it.

    g = gen_function()     creates the generator; NOTHING of the body runs yet
                           (inspect.getgeneratorstate(g) == "GEN_CREATED")
    next(g)                runs up to the first yield ("priming"); returns the
                           yielded value; now g is "GEN_SUSPENDED"
    g.send(x)              resumes: the paused `yield` expression evaluates to x;
                           runs to the next yield and returns ITS value.
                           send(non-None) to a GEN_CREATED generator is a TypeError
    return value           ends the generator: next()/send() raise
                           StopIteration, and StopIteration.value is the value
    g.close()              raises GeneratorExit at the paused yield; afterwards
                           the generator is "GEN_CLOSED"

Part 1 -- the notes' baozi example (使用yield实现协程操作例子):
    consumer(name)         a generator: after priming, each send(n) returns
                           "[name] is eating baozi n"
    producer(consumers, n) primes every consumer, feeds baozi 1..n, closes them,
                           and returns the log of what happened.

Part 2 -- a cooperative scheduler. Many tasks share ONE thread: each task is a
generator, and it runs until it yields. This is what greenlet/gevent (and
asyncio) do for you; here you write the loop yourself.

    yield              give up the turn: the task goes to the back of the line
    yield Sleep(t)     sleep t seconds of the scheduler's VIRTUAL clock
    return value       the task's result (sched.results[name])
    raise              the task's failure (sched.errors[name]); others go on

The clock (sched.now) starts at 0. Running a task takes no virtual time: while
any task is ready, the clock stands still. When no task is ready, the clock
jumps straight to the earliest wake-up. Nothing here may really sleep or block
(time.sleep would stop every task at once: 进行阻塞操作会阻塞掉整个程序).

Run the tests:   python -m grader coroutines
"""
from __future__ import annotations

import heapq  # noqa: F401  (you may want these)
import inspect  # noqa: F401
import itertools  # noqa: F401
from collections import deque  # noqa: F401


def consumer(name):
    """A generator. Prime it with next(c) (returns None); then each c.send(n)
    returns the string f"[{name}] is eating baozi {n}". It never ends on its
    own (while True); close() ends it.

        c = consumer("c1"); next(c); c.send(1)  ->  "[c1] is eating baozi 1"
    """
    # TODO: a `while True:` loop around `baozi = yield reply`
    raise NotImplementedError("consumer")


def producer(consumers, n):
    """Feed baozi 1..n to the generators in `consumers`; return the log (a list of str).

    1. Prime every consumer with next(c).
    2. For i in 1..n: send i to each consumer in turn, appending each reply
       that send() returns to the log; then append f"[producer] is making baozi {i}".
    3. close() every consumer.

    A consumer may RETURN (it is full): then send() raises StopIteration.
    Catch it, append its .value to the log (if it is not None), and stop
    sending to that consumer; keep feeding the others.

        producer([consumer("c1"), consumer("c2")], 1) ->
            ["[c1] is eating baozi 1", "[c2] is eating baozi 1", "[producer] is making baozi 1"]
    """
    # TODO
    raise NotImplementedError("producer")


class Sleep:
    """GIVEN. A task does `yield Sleep(seconds)` to sleep on the virtual clock."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __repr__(self):
        return f"Sleep({self.seconds!r})"


class Scheduler:
    """A round-robin scheduler of generator tasks with a virtual clock.

        sched = Scheduler()
        sched.spawn(task(), "a")        # task is a generator function
        sched.spawn(other(), "b")
        results = sched.run()           # {"a": a's return value, "b": ...}
        sched.errors                    # {name: exception} for tasks that raised

    Attributes: now (the virtual clock, starts at 0), results, errors.
    """

    def __init__(self):
        # GIVEN: the public attributes. Add your own (a ready deque, a heap of sleepers...).
        self.now = 0
        self.results = {}
        self.errors = {}
        # TODO: your own data structures
        raise NotImplementedError("Scheduler.__init__")

    def spawn(self, gen, name=None):
        """Add the generator object `gen` as a task; return its name.

        Raise TypeError if gen is not a generator object (spawn(task) instead of
        spawn(task()) is the usual slip; inspect.isgenerator tells). Without a
        name, make up a new unique one (a str). The task goes to the back of
        the ready queue. Tasks may call spawn() while run() is running.
        """
        # TODO
        raise NotImplementedError("Scheduler.spawn")

    def run(self):
        """Run every task until all have finished; return self.results.

        Each turn: take the task at the FRONT of the ready queue and resume it
        (gen.send(None), the same as next()). Then, by what happened:
          - it yielded None        -> put it at the BACK of the ready queue;
          - it yielded Sleep(t)    -> put it aside until the clock reaches now + t;
          - StopIteration          -> it finished: results[name] = the exception's .value;
          - any other exception    -> it failed: errors[name] = the exception.
        Before each turn, sleepers whose time has come (wake time <= now) go to
        the back of the ready queue, earliest first (equal times: in the order
        they went to sleep). If no task is ready, first set now to the earliest
        wake time. Stop when nothing is ready and nothing sleeps.
        """
        # TODO
        raise NotImplementedError("Scheduler.run")
