"""Processes (9.25 4 多进程(multiprocessing模块)): Process, Queue, Pipe, Pool.

How each promise of the exercise is checked:

- the work really runs in other processes: results carry the pid of the child
  that computed them (os.getpid() there), which must not be ours;
- order: squares_in_processes() is given a chunk that finishes LAST on purpose
  (its numbers wait, in the child, until the last chunk's result is being
  pickled: a multiprocessing.Event, no sleeping), so results kept in arrival
  order are caught every run; Pool.map keeps the order by itself;
- reaping: after each call, every child pid is looked up in /proc. A child
  that is still there (running, or a zombie: finished but never joined) was
  not joined; the autouse leak check also counts child processes;
- the classic hang (join() before draining a Queue that holds a big result):
  the call runs in a helper thread with a bound. On a hang the test kills the
  children it started, closes the parent's pipe ends so the stuck call ends,
  and fails with a sentence (raised as support.threads.Stuck: "timeout");
- exit codes: children that raise, call os._exit(3) or are killed by SIGKILL
  (the numbers to sum make them do it) must be reported as ChildFailed with
  exitcode 1, 3 and -9, without waiting forever for a result never sent;
- spawn: the same calls with multiprocessing.get_context("spawn") (and the
  class form under set_start_method("spawn")): everything a child runs must be
  a picklable, importable, module-level function or class. The grader puts the
  student's folder on sys.path and PYTHONPATH, so spawn children import it.

A SpyContext stands in for the multiprocessing context: it forwards
Process/Queue/Pipe/Pool to the real one and remembers what was made, so the
tests can see which children the student's code started.
"""
from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.resource_tracker
import os
import pickle
import signal
import threading

import pytest

from support.net import BOUND
from support.threads import Stuck, run_threads

TOPIC = "processes"

SEE = "See 9.25 4 多进程(multiprocessing模块)"
SPAWN_BOUND = 8.0  # spawn starts a fresh interpreter per child: slower, still under the 10 s limit
FORK = multiprocessing.get_context("fork")
SPAWN = multiprocessing.get_context("spawn")




@pytest.fixture(scope="module", autouse=True)
def _resource_tracker():
    # spawn starts multiprocessing's resource tracker, a helper process that lives
    # as long as we do. Start it before the first test, so the per-test leak check
    # does not count it as a child process the student left running.
    multiprocessing.resource_tracker.ensure_running()
    yield


# --- candidate for tests/support ---------------------------------------------------
# A stand-in for a multiprocessing context that records what the code under test
# made, and a bounded call that cleans up after a hang (kills the children it
# started, closes the parent's pipe ends so a blocked recv()/get() ends with EOF).

class SpyContext:
    """Forwards to a real multiprocessing context; remembers processes, queues, pools."""

    def __init__(self, ctx):
        self._ctx = ctx
        self.processes = []
        self.queues = []
        self.pools = []
        self.pipes = []

    def Process(self, *args, **kwargs):
        p = self._ctx.Process(*args, **kwargs)
        self.processes.append(p)
        return p

    def _queue(self, kind, *args, **kwargs):
        q = getattr(self._ctx, kind)(*args, **kwargs)
        self.queues.append(q)
        return q

    def Queue(self, *args, **kwargs):
        return self._queue("Queue", *args, **kwargs)

    def SimpleQueue(self, *args, **kwargs):
        return self._queue("SimpleQueue", *args, **kwargs)

    def JoinableQueue(self, *args, **kwargs):
        return self._queue("JoinableQueue", *args, **kwargs)

    def Pipe(self, *args, **kwargs):
        pair = self._ctx.Pipe(*args, **kwargs)
        self.pipes.append(pair)
        return pair

    def Pool(self, *args, **kwargs):
        pool = self._ctx.Pool(*args, **kwargs)
        self.pools.append(pool)
        return pool

    def __getattr__(self, name):
        return getattr(self._ctx, name)

    def __repr__(self):
        return f"<context {self._ctx.get_start_method()!r}>"


def _connections() -> dict:
    return {id(o): o for o in gc.get_objects() if isinstance(o, multiprocessing.connection.Connection)}


def _children() -> set:
    """Our child processes, zombies included (leaks.snapshot() leaves zombies out)."""
    me = str(os.getpid())
    kids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if len(fields) > 1 and fields[1] == me:
                kids.add(int(entry))
    return kids


def _kill(pids) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def bounded_call(call, what: str, bound: float = BOUND, on_hang: str = ""):
    """Run `call` in a helper thread; its result, or its exception re-raised here.

    If it is still running after `bound` seconds: kill every child process
    started meanwhile, close every multiprocessing Connection made meanwhile
    (the parent's pipe ends: a blocked recv()/get() then ends with EOFError),
    let the call finish, and raise Stuck with `on_hang` and where it was stuck.
    """
    children = _children()
    conns = _connections()
    try:
        return run_threads([call], bound=bound, what=what)[0]
    except Stuck as stuck:
        where = str(stuck)
        new_children = sorted(_children() - children)
        zombies = [pid for pid in new_children if child_state(pid) == "Z"]
        _kill(new_children)
        for key, conn in _connections().items():
            if key not in conns and conn.writable:
                with contextlib.suppress(OSError):
                    conn.close()
        for t in threading.enumerate():
            if t.name.startswith(what):
                t.join(BOUND)  # the call usually ends now (EOFError), joining what we killed
        state = ""
        if new_children:
            state = (f" Your code had started {len(new_children)} child process(es) that were "
                     f"not yet joined" + (f" ({len(zombies)} of them already dead: zombies)"
                                          if zombies else "") + "; the test killed them.")
        raise Stuck(f"{on_hang}{state}\n{where}") from None
# --- end of candidate ----------------------------------------------------------------


def hang(call: str) -> str:
    """What a call that never returned is told (bounded_call adds the children it killed)."""
    return (f"{call} should have returned at once, but was still running after {BOUND:.0f} s "
            f"(the test stopped waiting). {SEE}.")


def child_state(pid: int) -> str | None:
    """'Z' (zombie), 'R'/'S'/... (running) for a child of ours; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    if len(fields) > 1 and fields[1] == str(os.getpid()):
        return fields[0]
    return None  # the pid was reused by someone else's process


def expect_reaped(pids, call: str) -> None:
    left = {pid: child_state(pid) for pid in pids}
    zombies = [pid for pid, s in left.items() if s == "Z"]
    running = [pid for pid, s in left.items() if s not in (None, "Z")]
    if zombies:
        pytest.fail(f"{call} returned, but {len(zombies)} of its {len(pids)} children (pids "
                    f"{zombies}) were left as zombies: they finished, yet nobody waited for them, "
                    f"and every child should be reaped before the call returns. The notes: "
                    f"'当某个进程终结之后，该进程需要被其父进程调用wait，否则进程成为僵尸进程' -- call "
                    f"join() on EVERY Process you start (join() is the wait). {SEE}.",
                    pytrace=False)
    if running:
        pytest.fail(f"{call} returned while {len(running)} of its {len(pids)} children (pids "
                    f"{running}) were still running; every child should have ended: join() every "
                    f"Process before returning. "
                    f"{SEE}.", pytrace=False)


def check_pairs(got, chunks, call: str):
    """`got` must be [(pid, squares of chunk i)] in chunk order; returns the pids."""
    if not isinstance(got, list) or len(got) != len(chunks):
        pytest.fail(f"{call} returned {type(got).__name__} "
                    f"{'of length ' + str(len(got)) if hasattr(got, '__len__') else repr(got)}; "
                    f"expected a list of {len(chunks)} (pid, squares) pairs, one per chunk. {SEE}.",
                    pytrace=False)
    pids = []
    for i, (item, chunk) in enumerate(zip(got, chunks)):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int)):
            pytest.fail(f"{call}: item {i} came back as {item!r:.80}; expected a pair (pid, "
                        f"squares) with the child's os.getpid() first. {SEE}.", pytrace=False)
        pid, squares = item
        want = [n * n for n in chunk]
        if list(squares) != want:
            found = [j for j, c in enumerate(chunks) if list(squares) == [n * n for n in c]]
            if found:
                pytest.fail(f"{call}: item {i} came back with the squares of chunk {found[0]}; "
                            f"expected those of chunk {i}. The children finish in any order, and so their results arrive "
                            f"in any order on the Queue: put the chunk's index in each result and "
                            f"place it by index (results[index] = ...), not in arrival order. "
                            f"{SEE}.", pytrace=False)
            pytest.fail(f"{call}: item {i} came back with {len(squares)} numbers starting "
                        f"{list(squares)[:4]}, expected the squares of chunk {i}: {want[:4]}... "
                        f"({len(want)} numbers). {SEE}.", pytrace=False)
        pids.append(pid)
    me = os.getpid()
    if me in pids:
        pytest.fail(f"{call}: the test found chunk {pids.index(me)} computed in its own process "
                    f"(pid {me}), but the work must run in child processes, one Process per chunk. "
                    f"{SEE}.", pytrace=False)
    if len(set(pids)) != len(pids):
        pytest.fail(f"{call}: the chunks came back with the pids {pids}; expected one child "
                    f"process per chunk, each with its own pid. {SEE}.", pytrace=False)
    return pids


@contextlib.contextmanager
def start_method(name: str):
    """The default start method (for the class form, which uses multiprocessing.Process)."""
    old = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method(name, force=True)
    try:
        yield
    finally:
        multiprocessing.set_start_method(old, force=True)


# Numbers that make the child do something: wait for another chunk (order), or
# die in a given way (exit codes). They live in the test's memory; with the
# fork start method the children inherit them.

class WaitsForLast(int):
    """Its square waits until the last chunk's result is being sent (fork only)."""

    event = None

    def __mul__(self, other):
        self.event.wait(BOUND)
        return int(self) * int(other)

    __rmul__ = __mul__

    def __pow__(self, other, mod=None):
        self.event.wait(BOUND)
        return pow(int(self), int(other), mod)


class SignalsWhenSent(int):
    """Its square, when pickled for the Queue (in the child), releases WaitsForLast."""

    event = None

    def __mul__(self, other):
        return _Sent(int(self) * int(other))

    __rmul__ = __mul__

    def __pow__(self, other, mod=None):
        return _Sent(pow(int(self), int(other), mod))


class _Sent(int):
    def __reduce_ex__(self, protocol):
        SignalsWhenSent.event.set()
        return (int, (int(self),))


class DiesWhenAdded(int):
    """Adding it ends the child: 'exit' -> os._exit(3), 'kill' -> SIGKILL (fork only)."""

    how = "exit"

    def __new__(cls, how):
        obj = super().__new__(cls, 1)
        obj.how = how
        return obj

    def _die(self, other):
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(3)

    __add__ = __radd__ = _die


# --- function form + Queue ------------------------------------------------------------

def test_squares_run_in_child_processes(mod):
    chunks = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]
    ctx = SpyContext(FORK)
    call = f"squares_in_processes({chunks}, ctx)"
    got = bounded_call(lambda: mod.squares_in_processes(chunks, ctx), "squares",
                       on_hang=hang(call))
    if not ctx.processes:
        pytest.fail(f"{call} never called ctx.Process(...), but it must start the children with "
                    f"the context it is given (ctx.Process, ctx.Queue), so that the caller "
                    f"chooses how processes start (fork or spawn). {SEE}.", pytrace=False)
    check_pairs(got, chunks, call)
    assert len(ctx.processes) == len(chunks), (
        f"{call} made {len(ctx.processes)} Process objects for {len(chunks)} chunks, but "
        f"expected one child per chunk. {SEE}."
    )


def test_results_come_back_in_chunk_order(mod):
    event = FORK.Event()
    WaitsForLast.event = SignalsWhenSent.event = event
    # Chunk 0 finishes last: its child waits until chunk 3's result is being sent.
    chunks = [[WaitsForLast(2), 3], [4], [5, 6], [SignalsWhenSent(7)]]
    plain = [[int(n) for n in c] for c in chunks]
    call = f"squares_in_processes({plain}, ctx)"
    got = bounded_call(
        lambda: mod.squares_in_processes(chunks, SpyContext(FORK)), "squares",
        on_hang=(f"{call} should have returned at once, but was still running after "
                 f"{BOUND:.0f} s. In this test chunk 0's child can "
                 f"only finish after chunk 3's child has sent its result: start ALL the "
                 f"children before waiting for any result, so that they run at the same time. "
                 f"{SEE}."))
    check_pairs(got, plain, call + " (with chunk 0's child finishing last)")


def test_children_are_reaped(mod):
    chunks = [[n] for n in range(6)]
    ctx = SpyContext(FORK)
    call = f"squares_in_processes({chunks}, ctx)"
    got = bounded_call(lambda: mod.squares_in_processes(chunks, ctx), "squares",
                       on_hang=hang(call))
    expect_reaped(check_pairs(got, chunks, call), call)

    call = "sum_in_child([1, 2, 3])"
    with start_method("fork"):
        got = bounded_call(lambda: mod.sum_in_child([1, 2, 3]), "sum",
                           on_hang=hang(call))
    assert isinstance(got, tuple) and len(got) == 2 and got[1] == 6, (
        f"{call} returned {got!r}; expected (child pid, 6). {SEE}."
    )
    expect_reaped([got[0]], call)

    ctx = SpyContext(FORK)
    call = "squares_with_pool([1, 2, 3, 4], 2, ctx)"
    got = pool_call(lambda: mod.squares_with_pool([1, 2, 3, 4], 2, ctx), call)
    assert got == [1, 4, 9, 16], f"{call} returned {got!r}; expected [1, 4, 9, 16]. {SEE}."
    workers = [p.pid for pool in ctx.pools for p in getattr(pool, "_pool", [])]
    if any(child_state(pid) is not None for pid in workers):
        pytest.fail(f"{call} returned while its Pool's worker processes (pids {workers}) were "
                    f"still there, where they should have exited: after map(), close() the pool (no more work) and join() it "
                    f"(wait for the workers to exit), or use it in a `with` block. {SEE}.",
                    pytrace=False)


def test_big_results_do_not_deadlock(mod):
    chunks = [list(range(30_000)), [1, 2], [3]]
    shown = "[list(range(30_000)), [1, 2], [3]]"
    call = f"squares_in_processes({shown}, ctx)"
    got = bounded_call(
        lambda: mod.squares_in_processes(chunks, SpyContext(FORK)), "squares",
        on_hang=(
            f"{call} should have returned at once, but was still running after {BOUND:.0f} s. "
            f"Chunk 0's result is a list of "
            f"30 000 squares, about 150 KB pickled: more than a pipe holds (64 KB). A child "
            f"that put it on a Queue cannot exit until the parent has READ it, so join() "
            f"before get() waits forever for a child that waits for you. Get every result "
            f"from the Queue first, then join(). (Python's docs, multiprocessing, "
            f"'Joining processes that use queues'.) {SEE}."),
    )
    check_pairs(got, chunks, call)


# --- class form + Pipe -----------------------------------------------------------------

def test_class_form_sums_through_a_pipe(mod):
    if not (isinstance(mod.SumProcess, type) and issubclass(mod.SumProcess, multiprocessing.Process)):
        pytest.fail(f"SumProcess came back as {mod.SumProcess!r}; it must be a class that subclasses "
                    f"multiprocessing.Process and overrides run() (the notes' MyProcess, 示例2). "
                    f"{SEE}.", pytrace=False)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    with receiver, sender:
        mod.SumProcess([1, 2, 3], sender).run()  # run() in this process: no child yet
        if not receiver.poll(BOUND):
            pytest.fail("SumProcess([1, 2, 3], conn).run() sent nothing through conn: run() must "
                        f"send (os.getpid(), sum(numbers)) with conn.send(...). {SEE}.",
                        pytrace=False)
        sent = receiver.recv()
    assert sent == (os.getpid(), 6), (
        f"SumProcess([1, 2, 3], conn).run(), called directly in the test's process, sent "
        f"{sent!r}; expected (os.getpid(), 6) = {(os.getpid(), 6)}. {SEE}."
    )
    with start_method("fork"):
        got = bounded_call(lambda: mod.sum_in_child(range(1001)), "sum",
                           on_hang=hang("sum_in_child(range(1001))"))
    assert isinstance(got, tuple) and len(got) == 2, (
        f"sum_in_child(range(1001)) returned {got!r}; expected (child pid, 500500). {SEE}."
    )
    pid, total = got
    assert total == 500500, (
        f"sum_in_child(range(1001)) returned the total {total!r}; expected 500500. {SEE}."
    )
    assert pid != os.getpid(), (
        f"sum_in_child(range(1001)) returned our own pid {pid}; expected a child's pid: start() "
        f"the SumProcess (start() runs "
        f"run() in a new process; calling run() yourself does not). {SEE}."
    )


def test_crashing_child_reports_its_exitcode(mod):
    cases = [
        ([1, "two", 3], 1, "sum() raises TypeError in the child (an uncaught exception: exit code 1)"),
        ([1, DiesWhenAdded("exit")], 3, "the child calls os._exit(3) while summing"),
        ([1, DiesWhenAdded("kill")], -signal.SIGKILL,
         "the child is killed by SIGKILL (signal 9) while summing: exitcode -9"),
    ]
    for numbers, code, story in cases:
        shown = "[1, 'two', 3]" if code == 1 else "[1, <a number that ends the child>]"
        call = f"sum_in_child({shown})"
        with start_method("fork"):
            try:
                got = bounded_call(
                    lambda: mod.sum_in_child(numbers), "sum",
                    on_hang=(
                        f"{call}: {story}, so the child never sends a result. The call should "
                        f"raise ChildFailed at once, but was still waiting after {BOUND:.0f} s. recv() ends with EOFError only "
                        f"when EVERY copy of the pipe's sending end is closed, and the parent "
                        f"holds one too: close it right after start(). Then join() the child "
                        f"and look at its exitcode. {SEE}."),
                )
            except mod.ChildFailed as exc:
                if getattr(exc, "exitcode", None) != code:
                    pytest.fail(f"{call}: {story}. ChildFailed was raised, but with exitcode "
                                f"{getattr(exc, 'exitcode', None)!r}; expected {code}: pass the "
                                f"child's own Process.exitcode (after join()). The notes: "
                                f"exitcode is None while running, -N if killed by signal N. "
                                f"{SEE}.", pytrace=False)
                continue
            except EOFError:
                pytest.fail(f"{call}: {story}. The call raised EOFError; expected ChildFailed "
                            f"with exitcode {code}. recv() found the pipe closed with nothing "
                            f"sent. That is the sign that the child died: join() it and raise ChildFailed(name, exitcode) with its exitcode. "
                            f"{SEE}.", pytrace=False)
        pytest.fail(f"{call}: {story}. The call returned {got!r} instead of raising "
                    f"ChildFailed with exitcode {code}: a child that ended with a non-zero exit "
                    f"code failed, and its caller must hear about it. After join(), check "
                    f"Process.exitcode. {SEE}.", pytrace=False)


# --- Pool ---------------------------------------------------------------------------------

def pool_call(call, what: str):
    """bounded_call for squares_with_pool(); pickling errors explained."""
    try:
        return bounded_call(call, "pool", on_hang=hang(what))
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        if "pickle" not in str(exc).lower():
            raise
        pytest.fail(f"{what} raised {type(exc).__name__}: {exc}; expected the squares. A Pool "
                    f"sends the function to its "
                    f"workers by pickling it, and pickle stores a function by its module and name: "
                    f"a lambda or a function defined inside another function has no such name. "
                    f"Use the module-level square(). {SEE}.", pytrace=False)


def test_pool_map_keeps_input_order(mod):
    numbers = [7, 3, 9, 1, 8, 2] * 20 + list(range(200, 0, -1))
    ctx = SpyContext(FORK)
    call = f"squares_with_pool(<{len(numbers)} numbers>, processes=3, ctx)"
    got = pool_call(lambda: mod.squares_with_pool(numbers, 3, ctx), call)
    if not ctx.pools:
        pytest.fail(f"{call} never called ctx.Pool(...), but it must compute the squares with a "
                    f"Pool of `processes` workers made from the context it is given. {SEE}.",
                    pytrace=False)
    want = [n * n for n in numbers]
    if got != want:
        if isinstance(got, list) and sorted(got) == sorted(want):
            pytest.fail(f"{call} returned the right squares in the wrong order (first difference "
                        f"at index {next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)}); "
                        f"expected them in input order. "
                        f"Pool.map() returns the results in the order of its input; "
                        f"imap_unordered() and collecting apply_async() results as they finish "
                        f"do not. {SEE}.", pytrace=False)
        pytest.fail(f"{call} returned {str(got)[:120]}; expected the squares of the input, in the "
                    f"same order: {want[:6]}... {SEE}.", pytrace=False)
    pool = ctx.pools[0]
    workers = [p.pid for p in getattr(pool, "_pool", [])]
    assert workers and os.getpid() not in workers, (
        f"{call}: the test found no worker processes in the Pool ({workers!r}); expected "
        f"`processes` child processes. {SEE}."
    )


# --- spawn ---------------------------------------------------------------------------------

SPAWN_WHY = (
    "With the spawn start method each child is a fresh Python: it gets the target function, "
    "its arguments and (for the class form) the Process object itself by pickling, and finds "
    "the function again by importing your module by name. So a child can only run module-level "
    "functions and classes, never a lambda or a nested def, and your module must import without "
    "side effects (start nothing at import; a demo goes under `if __name__ == \"__main__\":`)."
)


def spawn_call(call, what: str):
    """bounded_call with the spawn bound; pickling errors explained."""
    try:
        return bounded_call(call, "spawn", bound=SPAWN_BOUND,
                            on_hang=(f"{what} should have returned, but was still running after "
                                     f"{SPAWN_BOUND:.0f} s. {SPAWN_WHY}"))
    except (pickle.PicklingError, AttributeError) as exc:
        if "pickle" not in str(exc).lower():
            raise
        pytest.fail(f"{what} raised {type(exc).__name__}: {exc}. {SPAWN_WHY} {SEE}.",
                    pytrace=False)


def test_function_form_works_under_spawn(mod):
    chunks = [[1, 2], [3, 4, 5]]
    ctx = SpyContext(SPAWN)
    call = f"squares_in_processes({chunks}, get_context('spawn'))"
    got = spawn_call(lambda: mod.squares_in_processes(chunks, ctx), call)
    if not ctx.processes:
        pytest.fail(f"{call} never called ctx.Process(...), but it must use the context it is "
                    f"given, or the caller cannot choose spawn. {SEE}.", pytrace=False)
    check_pairs(got, chunks, call)


def test_pool_works_under_spawn(mod):
    ctx = SpyContext(SPAWN)
    call = "squares_with_pool([1, 2, 3, 4], 2, get_context('spawn'))"
    got = spawn_call(lambda: mod.squares_with_pool([1, 2, 3, 4], 2, ctx), call)
    assert got == [1, 4, 9, 16], f"{call} returned {got!r}; expected [1, 4, 9, 16]. {SEE}."
    assert ctx.pools, (
        f"{call} never called ctx.Pool(...), but it must use the context it is given. {SEE}."
    )


def test_class_form_works_under_spawn(mod):
    call = "sum_in_child([1, 2, 3]) with set_start_method('spawn')"
    with start_method("spawn"):
        try:
            got = spawn_call(lambda: mod.sum_in_child([1, 2, 3]), call)
        except mod.ChildFailed as exc:
            pytest.fail(f"{call} raised ChildFailed ({exc}): the spawned child crashed, most "
                        f"likely while unpickling SumProcess or its arguments (its traceback is "
                        f"in the output). Under spawn the SumProcess object itself is pickled "
                        f"into the child. {SPAWN_WHY} {SEE}.", pytrace=False)
    own = isinstance(got, tuple) and len(got) == 2 and got[0] == os.getpid()
    assert isinstance(got, tuple) and len(got) == 2 and got[1] == 6 and not own, (
        f"{call} returned {got!r}; expected (child pid, 6)."
        + (f" {got[0]} is the test's own pid: the sum ran in this process. start() the "
           f"SumProcess (start() runs run() in a new process; calling run() yourself does not)."
           if own else "") + f" {SEE}."
    )
