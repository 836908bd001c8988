"""Tests for semaphores: the notes' parking lot and a connection pool (9.25 1 信号量(Semaphore)).

How each promise of the exercise is checked, without a single sleep:

- "at most 5 inside, and exactly 5": a dozen cars park at once; every car
  that gets in waits inside stay() on an Event the test holds. The test
  waits (bounded) until it has seen 5 inside, asks for a sixth space with
  enter(timeout=0), which must be refused, and only then lets them go.
  The peak recorded inside stay() must be exactly 5;
- "give back only what you took": a car that gives up waiting (timeout) must
  not free a space, a pool connection released twice must be refused, and
  leave() on an empty lot must raise ValueError (BoundedSemaphore);
- "give back on every path": stay(), the body of `with pool.connection()`
  and the pool's factory() raise; the permit must come back all the same.

The timeouts the tests pass to enter()/acquire() are the feature under test
(0 or 0.05 s); every other wait is bounded and returns as soon as the
correct code has done its part.
"""
from __future__ import annotations

import contextlib
import socket
import sys
import threading


from support import net
from support.net import BOUND
from support.threads import Crowd
from support import student

TOPIC = "semaphores"

SPACES = 5      # the notes' threading.Semaphore(5)
FILL = 3.0      # s: how long the test waits to see the lot full
SHORT = 0.05    # s: the timeout passed to enter()/acquire() when they must give up
PROMPT = 2.0    # s: the timeout passed when a space or connection must be free at once

SEM = "See 9.25 1 信号量(Semaphore)"
BOUNDED = ("Use threading.BoundedSemaphore(spaces): like Semaphore, but a release() that "
           "would push the counter above its starting value raises ValueError")
BALANCE = ("Every acquire() that succeeded is matched by exactly one release(): after the "
           "body (in `finally`, so also when it raises), and never when the acquire() itself "
           "failed -- call it before the `try`, not inside it")



def fail(msg: str):
    student.fail(msg, f" {SEM}.", unless=r"9\.25\ 1")


# --- helpers -----------------------------------------------------------------


class FakeConnection:
    """What the tests' factories open: knows its number and whether it was closed."""

    def __init__(self, number: int):
        self.number = number
        self.closed = False

    def close(self):
        self.closed = True

    def __repr__(self):
        return f"<connection #{self.number}>"


class Factory:
    """factory() for a ConnectionPool: new FakeConnections, counted."""

    def __init__(self, failures: int = 0):
        self.made: list = []
        self.failures = failures  # the first `failures` calls raise ConnectionRefusedError
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionRefusedError(f"the test's factory refused call {self.calls}")
        conn = FakeConnection(len(self.made) + 1)
        self.made.append(conn)
        return conn


def tidy(*calls) -> None:
    """Clean-up for a `finally`. When the test is already failing, errors from the
    clean-up (a consequence: e.g. releasing into a pool that lent too much) must not
    replace the test's own message; on the success path they are real failures."""
    failing = sys.exc_info()[0] is not None
    for call in calls:
        if failing:
            with contextlib.suppress(Exception):
                call()
        else:
            call()


def enter_all(lot, n: int) -> list:
    return [lot.enter(timeout=0) for _ in range(n)]


def expect_raises(kind, call, doing: str, why: str):
    """call() must raise `kind`; return the exception."""
    try:
        value = call()
    except NotImplementedError:
        raise  # an unfinished part: the grader says "not started"
    except kind as exc:
        return exc
    except Exception as exc:  # the wrong kind: say which
        fail(f"{doing} raised {type(exc).__name__}: {exc}; expected {kind.__name__}. {why}")
    fail(f"{doing} returned {value!r}; expected it to raise {kind.__name__}. {why}")


# --- the parking lot -----------------------------------------------------------


def test_lot_has_exactly_five_spaces(mod):
    lot = mod.ParkingLot()
    if getattr(lot, "spaces", None) != SPACES:
        fail(f"ParkingLot().spaces came back as {getattr(lot, 'spaces', None)!r}; expected "
             f"{SPACES}: keep "
             "the number of spaces in self.spaces (the default is SPACES, the notes' "
             "threading.Semaphore(5)).")
    got = enter_all(lot, SPACES)
    if got != [True] * SPACES:
        fail(f"On an empty ParkingLot() the test called enter(timeout=0) {SPACES} times and got "
             f"{got}; expected {[True] * SPACES}: the lot has {SPACES} spaces, and enter() "
             f"returns True when the car got one. {SEM}.")
    sixth = lot.enter(timeout=0)
    if sixth:
        lot.leave()
        fail(f"With {SPACES} cars parked, a sixth enter(timeout=0) returned {sixth!r}: a sixth car "
             f"got in. The semaphore must start at {SPACES}, one permit per space, and "
             f"enter() must return the semaphore's acquire() result. {SEM}.")
    for _ in range(SPACES):
        lot.leave()
    again = enter_all(lot, SPACES)
    for ok in again:
        if ok:
            lot.leave()
    if again != [True] * SPACES:
        fail(f"After all {SPACES} cars left, enter(timeout=0) x{SPACES} gave {again}: the spaces "
             f"did not come back. leave() must release the semaphore once. {SEM}.")
    small = mod.ParkingLot(2)
    got = enter_all(small, 3)
    for ok in got:
        if ok:
            small.leave()
    if got != [True, True, False]:
        fail(f"ParkingLot(2): three enter(timeout=0) gave {got}; expected [True, True, False]. "
             f"The number of spaces is the constructor's argument. {SEM}.")


def test_at_most_five_cars_park_at_once(mod):
    lot = mod.ParkingLot()
    cars = [f"car-{i + 1}" for i in range(12)]
    gate = threading.Event()  # held by the test: parked cars stay until it is set
    state = {"inside": 0, "peak": 0, "stays": []}
    story = (f"{len(cars)} threads each called lot.park(car, stay) on ParkingLot() ({SPACES} "
             "spaces); every stay(car) waited inside for the test")

    with Crowd("car", release=gate.set) as crowd:
        def stay(car):
            with crowd.cond:
                state["inside"] += 1
                state["peak"] = max(state["peak"], state["inside"])
                state["stays"].append(car)
                crowd.cond.notify_all()
            gate.wait(BOUND)
            with crowd.cond:
                state["inside"] -= 1
            return f"{car} parked"

        for car in cars:
            crowd.start(lambda car=car: lot.park(car, stay), name=car)
        if not crowd.wait_for(lambda: state["inside"] >= SPACES, FILL):
            fail(f"{story}. After {FILL:.0f} s only {state['peak']} cars at most had been inside at "
                 f"once; expected exactly {SPACES}: the other cars kept waiting although "
                 f"{SPACES - state['peak']} space(s) were free. Count the spaces with "
                 f"threading.BoundedSemaphore(spaces): it lets exactly `spaces` acquire() calls "
                 f"through before one blocks. {SEM}.")
        probe = lot.enter(timeout=0)
        if probe:
            lot.leave()
            with crowd.cond:
                inside = state["inside"]
            fail(f"{story}. With {inside} cars inside, the test asked for one more space with "
                 f"lot.enter(timeout=0) and got {probe!r}: a car got in although all {SPACES} "
                 f"spaces were taken. At most {SPACES} cars may be parked at once; the semaphore "
                 f"must start at {SPACES} and every car must acquire it before it parks. {SEM}.")
        gate.set()
        if not crowd.wait_for(lambda: len(crowd.results) == len(cars)):
            with crowd.cond:
                done = len(crowd.results)
            fail(f"{story}. After the test let the parked cars go, only {done} of {len(cars)} "
                 f"park() calls returned within {BOUND:.0f} s: the waiting cars never got the "
                 f"spaces the leaving cars freed. park() must leave() after stay(). {SEM}.")

    if state["peak"] != SPACES:
        fail(f"{story}. At one moment the test found {state['peak']} cars inside stay() at once, "
             f"but the lot has {SPACES} spaces, so at most (and, with cars queueing, exactly) "
             f"{SPACES} should be. {SEM}.")
    wrong = {car: crowd.results[car] for car in cars if crowd.results[car] != f"{car} parked"}
    if wrong:
        fail(f"{story}; stay(car) returned f'{{car}} parked', but park() returned {wrong}. "
             "park() must return what stay(car) returned.")
    if sorted(state["stays"]) != sorted(cars):
        fail(f"{story}. stay() was only called for {sorted(state['stays'])}; expected every car "
             "exactly once.")


def test_park_returns_what_stay_returns_and_frees_the_space(mod):
    lot = mod.ParkingLot(1)
    calls = []

    def stay(car):
        calls.append(car)
        return car.upper()

    got = []
    for car in ("car-a", "car-b"):
        try:
            got.append(lot.park(car, stay, timeout=PROMPT))
        except TimeoutError:
            fail(f"On ParkingLot(1), after {len(got)} car(s) had parked and left, "
                 f"park({car!r}, stay, timeout={PROMPT:.0f}) raised TimeoutError: the lot had no "
                 "free space. " + ("ParkingLot(1) must have one space: the semaphore starts "
                 "at `spaces`." if not got else "The first car never gave its space back: "
                 "park() must leave() after stay(car).") + f" {SEM}.")
    if got != ["CAR-A", "CAR-B"] or calls != ["car-a", "car-b"]:
        fail(f"On ParkingLot(1), park('car-a', stay) and then park('car-b', stay) returned "
             f"{got[0]!r}, {got[1]!r} and called stay() with {calls}; expected 'CAR-A', 'CAR-B' "
             "and ['car-a', 'car-b']: stay(car) returns car.upper(), and park() returns it.")
    free = lot.enter(timeout=0)
    if free:
        lot.leave()
    else:
        fail(f"After two park() calls had returned, ParkingLot(1).enter(timeout=0) returned "
             f"{free!r}: the only space was never given back. park() must leave() after "
             f"stay(car). {SEM}.")


def test_leave_on_an_empty_lot_raises_value_error(mod):
    lot = mod.ParkingLot()
    expect_raises(ValueError, lot.leave, "leave() on an empty ParkingLot()",
                  f"No car is parked, so there is no space to give back. {BOUNDED} (9.25 1: "
                  "BoundedSemaphore与Semaphore的唯一区别).")
    got = enter_all(lot, SPACES + 1)
    for ok in got:
        if ok:
            lot.leave()
    if got != [True] * SPACES + [False]:
        fail(f"After a refused leave() on an empty lot, {SPACES + 1} enter(timeout=0) calls gave "
             f"{got}; expected {SPACES} True and then False: the refused leave() must not have "
             f"added a space (and the lot has exactly {SPACES} spaces). {BOUNDED}.")
    assert lot.enter(timeout=0), (
        f"enter(timeout=0) on an empty lot returned False; expected True (a free space). {SEM}."
    )
    lot.leave()
    expect_raises(ValueError, lot.leave, "One enter() followed by two leave() calls: the second",
                  f"The one parked car has already left. {BOUNDED}.")


def test_a_car_that_gives_up_frees_no_space(mod):
    lot = mod.ParkingLot(2)
    got = enter_all(lot, 2)
    if got != [True, True]:
        fail(f"ParkingLot(2): two enter(timeout=0) gave {got}; expected [True, True].")
    stays = []
    try:
        if lot.enter(timeout=0):
            lot.leave()
            fail(f"On ParkingLot(2) with two cars parked, a third enter(timeout=0) returned True, "
                 f"where it should return False: the lot has more than 2 spaces. {SEM}.")
        expect_raises(TimeoutError, lambda: lot.park("late", stays.append, timeout=SHORT),
                      f"With both spaces of ParkingLot(2) taken, park('late', stay, "
                      f"timeout={SHORT})",
                      "No space freed up within the timeout; the docstring asks park() to raise "
                      "TimeoutError (the built-in one) when enter(timeout) returns False.")
        if stays:
            fail(f"park('late', stay, timeout={SHORT}) found no space, yet stay() was called "
                 f"with {stays}: a car that did not get a space must not park.")
        probe = lot.enter(timeout=0)
        if probe:
            lot.leave()
            fail(f"Both spaces of ParkingLot(2) were taken, and park('late', stay, "
                 f"timeout={SHORT}) gave up with TimeoutError. Right after that, "
                 f"lot.enter(timeout=0) returned {probe!r}, but it should return False: a space "
                 "was free, although both cars were still parked. The car that gave up gave back a space it never had (a "
                 "release() without an acquire(), e.g. leave() in a `finally` that also runs "
                 "when enter() failed), and the lot now holds one car too many. "
                 f"{BALANCE}. {SEM}.")
    finally:
        tidy(lot.leave, lot.leave)
    after = enter_all(lot, 3)
    for ok in after:
        if ok:
            lot.leave()
    if after != [True, True, False]:
        fail(f"After both cars left ParkingLot(2), three enter(timeout=0) gave {after}; expected "
             f"[True, True, False]. {BALANCE}. {SEM}.")


def test_space_is_freed_when_stay_raises(mod):
    lot = mod.ParkingLot(1)
    crash = RuntimeError("the engine caught fire")

    def stay(car):
        raise crash

    try:
        lot.park("car-1", stay, timeout=PROMPT)
    except NotImplementedError:
        raise  # (a RuntimeError too): an unfinished part
    except TimeoutError:
        fail(f"park('car-1', stay, timeout={PROMPT:.0f}) on an empty ParkingLot(1) raised "
             f"TimeoutError: it found no space, but ParkingLot(1) has one, so the car should "
             f"have parked at once. The semaphore starts at `spaces`. {SEM}.")
    except RuntimeError as exc:
        if exc is not crash:
            fail(f"stay(car) raised RuntimeError('the engine caught fire'), but "
                 f"park('car-1', stay, timeout={PROMPT:.0f}) on ParkingLot(1) raised "
                 f"{type(exc).__name__}: {exc}. " + ("It found no space on an empty lot: "
                 "ParkingLot(1) has one space. " if isinstance(exc, TimeoutError) else "")
                 + "Expected stay()'s own exception: let it propagate.")
    else:
        fail("stay(car) raised RuntimeError('the engine caught fire'), but park() returned "
             "normally: it swallowed the error. The exception should reach the caller: leave in "
             "`finally`, and let it propagate.")
    free = lot.enter(timeout=0)
    if free:
        lot.leave()
    else:
        fail(f"On ParkingLot(1), park('car-1', stay) ended with the exception stay() raised; "
             f"afterwards enter(timeout=0) returned {free!r}: the only space is gone for good, "
             "held by a car that is no longer there. A permit leaked on the exception path: "
             "leave() must run in a `finally` (or use `with`), so a crashing car still frees "
             f"its space. {BALANCE}. {SEM}.")


# --- the connection pool -------------------------------------------------------


def test_pool_lends_at_most_size_connections(mod):
    factory = Factory()
    pool = mod.ConnectionPool(factory, 3)
    if factory.calls:
        fail(f"ConnectionPool(factory, 3) called factory() {factory.calls} time(s) before "
             "anyone asked for a connection, but it should only open connections lazily, in "
             "acquire().")
    lent = [pool.acquire(timeout=BOUND) for _ in range(3)]
    try:
        if len({id(c) for c in lent}) != 3 or lent != factory.made:
            fail(f"Three acquire() calls on ConnectionPool(factory, 3) returned {lent}; expected "
                 f"the three different connections factory() opened: {factory.made}.")
        expect_raises(TimeoutError, lambda: pool.acquire(timeout=SHORT),
                      f"With all 3 connections of ConnectionPool(factory, 3) lent out, "
                      f"acquire(timeout={SHORT})",
                      "No connection came back in time: raise TimeoutError (never return None, "
                      "never open a 4th connection). The semaphore (size permits) is what "
                      f"makes the 4th borrower wait. {SEM}.")
        if factory.calls != 3:
            fail(f"ConnectionPool(factory, 3) called factory() {factory.calls} times for three "
                 "borrowers and one refused borrower, but expected 3: at most `size` connections "
                 "ever exist.")
    finally:
        tidy(*[lambda conn=conn: pool.release(conn) for conn in lent], pool.close)
    if not all(c.closed for c in factory.made):
        fail(f"After every connection was released, close() left "
             f"{[c for c in factory.made if not c.closed]} open; close() must call close() on "
             "every idle connection.")


def test_released_connection_is_reused(mod):
    factory = Factory()
    pool = mod.ConnectionPool(factory, 2)
    seen = []
    try:
        for _ in range(5):
            with pool.connection(timeout=BOUND) as conn:
                seen.append(conn)
    finally:
        tidy(pool.close)
    if factory.calls != 1 or any(c is not factory.made[0] for c in seen):
        fail(f"Five `with pool.connection() as conn:` blocks in a row on ConnectionPool(factory, "
             f"2) got {seen} and called factory() {factory.calls} times; expected the same "
             "connection each time and one factory() call: a released connection is idle, and "
             "acquire() hands out an idle one before it opens a new one. That reuse is the "
             "point of a pool.")


def test_waiting_acquire_gets_the_released_connection(mod):
    factory = Factory()
    pool = mod.ConnectionPool(factory, 1)
    first = pool.acquire(timeout=BOUND)
    with Crowd("borrower") as crowd:
        crowd.start(lambda: pool.acquire(timeout=BOUND), name="borrower")
        pool.release(first)
        if not crowd.wait_for(lambda: "borrower" in crowd.results):
            fail(f"ConnectionPool(factory, 1): the test held the only connection while another "
                 f"thread called acquire(timeout=5), then released it; the waiting acquire() had "
                 f"not returned {BOUND:.0f} s later. release() must give the permit back "
                 f"(semaphore.release()) so the waiting acquire() wakes up. {SEM}.")
    got = crowd.results["borrower"]
    try:
        if got is not first:
            fail(f"ConnectionPool(factory, 1): the waiting acquire() got {got!r} after the test "
                 f"released {first!r}; expected that same (now idle) connection.")
    finally:
        tidy(lambda: pool.release(got), pool.close)


def test_connection_context_returns_it_when_the_body_raises(mod):
    factory = Factory()
    pool = mod.ConnectionPool(factory, 1)

    class Boom(Exception):
        pass

    try:
        with pool.connection(timeout=BOUND) as conn:
            raise Boom("the query failed")
    except Boom:
        pass
    else:
        fail("The body of `with pool.connection() as conn:` raised an exception, but the "
             "`with` statement swallowed it; the body's exception must propagate (a "
             "@contextmanager generator that catches it and does not re-raise hides errors).")
    try:
        again = pool.acquire(timeout=PROMPT)
    except TimeoutError:
        fail(f"ConnectionPool(factory, 1): the body of `with pool.connection() as conn:` "
             f"raised, and afterwards acquire(timeout={PROMPT:.0f}) raised TimeoutError: the only "
             f"connection never came back. The permit leaked on the exception path: in "
             f"connection(), `yield conn` must sit inside try/finally, with release(conn) in "
             f"the `finally`. {BALANCE}. {SEM}.")
    try:
        if again is not conn:
            fail(f"After the `with` block raised, acquire() got {again!r} instead of the "
                 f"released {conn!r}.")
    finally:
        tidy(lambda: pool.release(again), pool.close)


def test_double_release_is_refused(mod):
    factory = Factory()
    pool = mod.ConnectionPool(factory, 2)
    a = pool.acquire(timeout=BOUND)
    b = pool.acquire(timeout=BOUND)
    pool.release(a)
    try:
        expect_raises(ValueError, lambda: pool.release(a),
                      f"ConnectionPool(factory, 2): with {b!r} still lent out, the test released "
                      f"{a!r} twice; the second release()",
                      f"{a!r} was no longer lent out. Unchecked, the second release() adds an "
                      "idle copy and a permit, and two borrowers get the same connection. "
                      "Keep the connections lent out, and refuse one that is not among them. "
                      f"{SEM}.")
        expect_raises(ValueError, lambda: pool.release(FakeConnection(99)),
                      "release() of a connection this pool never lent",
                      "Only connections lent out by this pool can come back.")
        c = pool.acquire(timeout=BOUND)
        try:
            expect_raises(TimeoutError, lambda: pool.acquire(timeout=SHORT),
                          f"After two refused release() calls, with 2 connections lent out, "
                          f"acquire(timeout={SHORT})",
                          f"The refused releases must not have added a permit. {BALANCE}.")
        finally:
            tidy(lambda: pool.release(c))
    finally:
        tidy(lambda: pool.release(b), pool.close)


def test_failed_factory_gives_the_permit_back(mod):
    factory = Factory(failures=2)
    pool = mod.ConnectionPool(factory, 1)
    leaked = ("ConnectionPool(factory, 1): factory() raised ConnectionRefusedError in "
              "{n} acquire() call(s); the next acquire(timeout={t:.0f}) raised TimeoutError, "
              "although no connection was lent out, so it should have got one at once. The "
              "failed acquire() kept its permit: when "
              "factory() raises after the semaphore was acquired, release the semaphore before "
              f"the error propagates (try/except: release; raise). {BALANCE}. {SEM}.")
    for attempt in (1, 2, 3):
        try:
            conn = pool.acquire(timeout=PROMPT)
        except ConnectionRefusedError:
            if attempt == 3:
                fail("factory() raised only on its first two calls, yet the third acquire() "
                     "raised ConnectionRefusedError; it should have returned the new connection.")
            continue
        except TimeoutError:
            fail(leaked.format(n=attempt - 1, t=PROMPT))
        except NotImplementedError:
            raise
        except Exception as exc:
            fail(f"ConnectionPool(factory, 1).acquire() #{attempt}, with factory() raising "
                 f"ConnectionRefusedError, raised {type(exc).__name__}: {exc}; expected "
                 "factory()'s own error, propagated to the caller.")
        if attempt < 3:
            pool.release(conn)
            fail(f"ConnectionPool(factory, 1).acquire() #{attempt} returned {conn!r} although "
                 "factory() raised ConnectionRefusedError; that error should propagate.")
    try:
        if conn is not factory.made[0]:
            fail(f"The third acquire() returned {conn!r}; expected the connection factory() "
                 f"opened on its third call, {factory.made[0]!r}.")
    finally:
        tidy(lambda: pool.release(conn), pool.close)


def test_close_closes_every_idle_socket(mod):
    opened: list[socket.socket] = []
    with net.listener() as lst:
        lst.settimeout(BOUND)

        def factory():
            sock = socket.create_connection(lst.getsockname(), timeout=BOUND)
            opened.append(sock)
            return sock

        pool = mod.ConnectionPool(factory, 2)
        left_open = []
        try:
            with pool.connection(timeout=BOUND) as a, pool.connection(timeout=BOUND) as b:
                if a is b:
                    fail("Two nested `with pool.connection()` blocks on ConnectionPool(factory, 2) "
                         "got the same socket; each should get its own: a lent connection "
                         "belongs to one borrower.")
                a.sendall(b"a")
                b.sendall(b"b")
            got = []
            for _ in range(2):
                server_side, _ = lst.accept()
                with server_side:
                    got.append(server_side.recv(1))
            if sorted(got) != [b"a", b"b"]:
                fail(f"Two pooled sockets sent b'a' and b'b'; the server read {got}, expected "
                     f"one byte from each.")
            pool.close()
            left_open = [s for s in opened if s.fileno() != -1]
        finally:
            for sock in opened:
                sock.close()
    if len(opened) != 2:
        fail(f"Two borrowers at once on ConnectionPool(factory, 2) made factory() open "
             f"{len(opened)} sockets, but expected 2.")
    if left_open:
        fail(f"ConnectionPool.close() left {len(left_open)} of the pool's 2 idle sockets open "
             "(real loopback connections): close() must call close() on every idle "
             "connection, or the server keeps a connection for a client that has gone.")
