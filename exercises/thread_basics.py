"""Exercise: threads -- start, join, results, errors, daemons (seed: 9.22 1-2 线程与进程, threading模块, 2.1 join()).

The notes show the two ways to run a function in a thread:

    直接调用 (call directly):   t1 = threading.Thread(target=sayhi, args=(1,))
    继承式调用 (subclass):       class MyThread(threading.Thread): def run(self): ...

and ask, about the music/movie example, "考虑这三种join位置下的结果？":
where you put join() decides whether your threads run at the same time.

    for t in threads:
        t.start()
        t.join()      # WRONG place: waits for each thread before starting the
                      # next one -- the threads run one after another
    for t in threads:
        t.start()     # right: start them ALL first ...
    for t in threads:
        t.join()      # ... then wait for them all

While a thread waits (for the network, a file, an Event), the other threads
run: N tasks that each wait for I/O take about as long as the slowest one,
not the sum of them all.

Three more things the notes leave out, and every real program needs:

  * A thread cannot `return` a value to anybody: its function's result is
    lost unless the function stores it somewhere. Keep the results in the
    order of the INPUT, not in the order the threads happen to finish.
  * An exception inside a thread does not reach the thread that started it:
    threading prints it (threading.excepthook) and the thread just ends.
    Catch it in the thread, keep it, and raise it again in the caller.
  * 守护线程 (daemon threads, setDaemon(True) in the notes; today: pass
    daemon=True or set t.daemon = True before start()): the program exits
    when only daemon threads are left. A background ticker that is NOT a
    daemon keeps the program alive forever after main() has finished --
    "如果不设置为守护线程程序会被无限挂起".

Your tasks (the tests use exactly these names):

    map_threads(func, items, timeout=None, prefix="worker")
        func(item) for every item, each in its own threading.Thread(target=...)
    ResultThread(func, args=(), name=None)
        a threading.Thread SUBCLASS whose run() keeps func's result or exception;
        .get(timeout=None) joins and returns the result (or raises)
    start_ticker(interval, on_tick, stop)
        a daemon thread named "ticker" calling on_tick() every `interval` s

Run the tests:   python -m grader thread_basics
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable


def map_threads(func: Callable, items: Iterable, timeout: float | None = None,
                prefix: str = "worker") -> list:
    """Run func(item) for every item, each in a thread of its own; return the results.

    - One threading.Thread(target=..., name=f"{prefix}-{i}") per item, i counting
      from 1 in input order ("worker-1", "worker-2", ...). threading.Thread
      cannot return func's result: the target must store it.
    - Start ALL the threads before you join any of them, so that they run at
      the same time.
    - Return the list of results in INPUT order: results[i] is func(items[i]),
      whichever thread finished first.
    - If func raised for some items, wait until all the threads have finished,
      then raise the exception of the FIRST such item in input order (the
      exception object itself, not a copy or a new one).
    - `timeout` (seconds, None = wait as long as it takes) bounds the WHOLE
      wait, not each join(): use one deadline for all the threads. If threads
      are still running when it runs out, raise TimeoutError whose message
      names every thread still running (e.g. "worker-2, worker-4 still
      running after 0.5 s"). A thread cannot be killed: those threads go on
      running, and it is the caller's job to make them finish.
    """
    # TODO: a target function that stores func(item) (or its exception) at
    #   index i; create the named threads; start all; join all against one
    #   deadline; then TimeoutError / the first exception / the results.
    raise NotImplementedError("map_threads")


class ResultThread(threading.Thread):
    """A thread that keeps what its function returned or raised (继承式调用).

        t = ResultThread(fetch, ("example.org",), name="fetch-1")
        t.start()
        page = t.get(timeout=5)     # the result, or fetch's exception re-raised

    The function runs in the new thread with threading.current_thread() being
    this object, named `name` (None: threading's default name).
    """

    def __init__(self, func: Callable, args: tuple = (), name: str | None = None):
        # TODO: call threading.Thread.__init__ (with the name), keep func and args,
        #   and make room for the result and the exception.
        raise NotImplementedError("ResultThread.__init__")

    def run(self) -> None:
        """Called in the new thread by start(): run func(*args), keep the result.

        If func raises, keep the exception instead; do not let it escape
        run() (it would only be printed by threading.excepthook).
        """
        # TODO
        raise NotImplementedError("ResultThread.run")

    def get(self, timeout: float | None = None):
        """Wait up to `timeout` seconds (None: for ever) for the thread to finish.

        Return func's result; re-raise func's exception (the same object) if it
        raised; raise TimeoutError if the thread is still running after
        `timeout` seconds (it keeps running; get() may be called again later).
        """
        # TODO: join(timeout), then is_alive() tells you whether it finished.
        raise NotImplementedError("ResultThread.get")


def start_ticker(interval: float, on_tick: Callable[[], None],
                 stop: threading.Event) -> threading.Thread:
    """Start and return a background thread that calls on_tick() every `interval` seconds.

    - The thread is named "ticker" and is a DAEMON: it must never keep the
      program alive. A program whose main thread has finished exits even
      though the ticker still runs (and nobody ever sets `stop`).
    - It stops calling on_tick() and ends soon after `stop` is set.
      stop.wait(interval) sleeps like time.sleep(interval), but returns
      early (True) as soon as stop is set.
    - start_ticker() returns at once, with the thread started.
    """
    # TODO: a loop around stop.wait(interval) in a daemon thread named "ticker".
    raise NotImplementedError("start_ticker")
