"""Exercise: semaphores -- the notes' parking lot, and a connection pool.

Seed: 9.25 1 信号量(Semaphore).

The notes: a semaphore keeps a counter. acquire() takes one (-1), release()
gives one back (+1). The counter never goes below 0: when it is 0, acquire()
blocks until another thread calls release() ("类似于停车位的概念": like the
spaces of a parking lot). Their example starts 100 threads with
threading.Semaphore(5), so that at most 5 of them are ever inside at once.
BoundedSemaphore is the same, except that a release() that would push the
counter above its starting value raises ValueError -- which catches a
release() without an acquire().

Part 1 -- ParkingLot: the notes' example as a class.

    lot = ParkingLot()               # SPACES (5) spaces
    lot.enter(timeout=None) -> bool  # take a space (wait for one if the lot is full)
    lot.leave()                      # give one back; ValueError if no car is parked
    lot.park(car, stay, timeout=None)
                                     # enter, call stay(car) while parked, leave

  At most `spaces` cars are ever parked at once, and with enough cars
  waiting, exactly `spaces` are (not one fewer). A car that gives up
  waiting (timeout) never got a space, so it must not give one back.

Part 2 -- ConnectionPool: the same idea for connections (a database or a
server that accepts at most `size` connections from you).

    pool = ConnectionPool(factory, size)
    conn = pool.acquire(timeout=None)  # borrow: an idle one, or factory() opens one
    pool.release(conn)                 # give it back; ValueError if not borrowed
    with pool.connection() as conn:    # acquire + release, also when the body raises
        ...
    pool.close()                       # close every idle connection

  acquire() raises TimeoutError (the built-in one) when no connection came
  back within `timeout` seconds. It never returns None.

The whole exercise is "count permits, and give back exactly what you took":
every acquire() that succeeded is matched by exactly one release(), on every
path -- the normal one, the one where the body raises, and never on the one
where the acquire() itself failed. try/finally (or `with`) is how.

Check your work:

    python -m grader semaphores

The grader starts a dozen cars against your lot, holds the parked ones
inside until it has seen the lot full, and counts them; it also gives up
waiting, raises inside your `with` blocks, and releases things twice.
"""
from __future__ import annotations

import contextlib
import threading

SPACES = 5  # GIVEN: the notes' threading.Semaphore(5)


class ParkingLot:
    """At most `spaces` cars parked at once: a threading.BoundedSemaphore."""

    def __init__(self, spaces: int = SPACES):
        """Keep `spaces` in self.spaces and create the semaphore that counts them.

        Use threading.BoundedSemaphore(spaces), not Semaphore: then leave()
        without a parked car raises ValueError for you.
        """
        # TODO
        raise NotImplementedError("ParkingLot.__init__")

    def enter(self, timeout: float | None = None) -> bool:
        """Take a space: True once parked.

        If the lot is full, wait until a car leaves: forever when timeout is
        None, at most `timeout` seconds otherwise (timeout=0: do not wait).
        Return False if no space freed up in time (then nothing was taken).
        Hint: semaphore.acquire(timeout=timeout) returns exactly that.
        """
        # TODO
        raise NotImplementedError("enter")

    def leave(self) -> None:
        """Give a space back.

        Raise ValueError if no car is parked (more leave() than successful
        enter() calls): a BoundedSemaphore raises it for you.
        """
        # TODO
        raise NotImplementedError("leave")

    def park(self, car, stay, timeout: float | None = None):
        """The notes' myThread.run(): enter, stay, leave. Return stay(car)'s value.

        - Take a space with enter(timeout). If none freed up in time, raise
          TimeoutError -- and give nothing back: this car never had a space.
        - While parked, call stay(car) (the notes' print + time.sleep(5)).
        - Leave afterwards, ALSO when stay(car) raises (the exception then
          propagates to the caller): a car that crashes still frees its space.
        """
        # TODO
        raise NotImplementedError("park")


class ConnectionPool:
    """At most `size` connections lent out at once, reused after release()."""

    def __init__(self, factory, size: int):
        """Remember factory and size; nothing is opened yet.

        factory() opens one new connection (the tests pass functions that
        count their calls, or open real sockets). Open connections lazily:
        call factory() only when acquire() finds no idle connection, so at
        most `size` connections ever exist.

        You need: a threading.BoundedSemaphore(size) (one permit per
        connection lent out), a list of idle connections, the set of
        connections lent out right now, and a threading.Lock guarding both.
        """
        # TODO
        raise NotImplementedError("ConnectionPool.__init__")

    def acquire(self, timeout: float | None = None):
        """Borrow a connection.

        - Take a permit first: when `size` connections are already lent out,
          wait for a release(): forever when timeout is None, at most
          `timeout` seconds otherwise. No permit in time: raise TimeoutError.
        - Then hand out an idle connection if there is one, else a new one
          from factory().
        - If factory() raises, give the permit back before the error
          propagates: no connection was lent, so none is missing.
        """
        # TODO
        raise NotImplementedError("acquire")

    def release(self, conn) -> None:
        """Give a borrowed connection back: it becomes idle, for the next acquire().

        Raise ValueError (and change nothing) if `conn` is not lent out by
        this pool right now: never borrowed, or released twice. Compare by
        identity (`is`): two different connections may compare equal.
        """
        # TODO
        raise NotImplementedError("release")

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None):
        """`with pool.connection() as conn:` -- acquire() on entry, release() on exit.

        The connection goes back ALSO when the body raises (and the body's
        exception still propagates). Write it as a generator: acquire, then
        `yield conn` inside try/finally.
        """
        # TODO
        raise NotImplementedError("connection")
        yield  # (makes this a generator, as @contextmanager needs)

    def close(self) -> None:
        """Close every idle connection (conn.close()) and forget it.

        Call it once every borrowed connection has been released.
        """
        # TODO
        raise NotImplementedError("close")
