"""Lock tracking: name deadlocks, lock-order inversions and double acquisitions,
and two misuses of the tools built on locks.

``install()`` replaces ``threading.Lock``, ``RLock``, ``Condition``,
``Semaphore`` and ``BoundedSemaphore`` with tracked versions before the
student's module is imported. Event, Barrier and queue.Queue objects created
afterwards use them too.

The data lives in a few tables, guarded by one raw lock:

    Tracked._owner         lock -> thread ident that holds it
    _held[tid]             thread -> [(lock, site)], in acquisition order
    _waiting[tid]          thread -> (lock, site) it is blocked on
    _order[(a, b)]         "b was taken while a was held" -> (thread, sites)

A blocking acquire waits in short slices and, between slices, follows the
wait-for chain: thread -> lock it waits for -> that lock's owner -> ... When
the chain comes back to the waiting thread, the threads can never proceed.
The tracker records a report naming every thread, lock and student line, and
raises DeadlockError in the waiting thread so the test ends at once instead
of at its timeout. A cycle made only of RLocks is certain (only the owner can
release an RLock); a cycle through a plain Lock, which any thread may release,
must persist for CYCLE_GRACE seconds first.

Lock-order edges are recorded only for locks created in the student's files,
and only by blocking acquires without a time-out (a try-lock that backs off
cannot deadlock). A new edge a -> b when b -> ... -> a already exists is an
inversion: two threads running those paths at the same moment deadlock, even
if this run was lucky. Like the kernel's lockdep, it does not know that a
common "gate" lock taken first makes an inversion harmless: it reports it.

Misuses (Report.deadlock is False; the grader's verdict is "failed", not
"deadlock"), both found as they happen, even when this run was lucky:

- "wait without while": Condition.wait() called from a student's file where
  the code after it does not re-check the predicate (9.23 3: the notes'
  consumer does `if len(L)==0: lock_con.wait()` and then `del L[0]`). When
  wait() returns, the condition may be false again: another thread took the
  item first, or notify_all() woke several threads for one item. The check
  reads the function's source (ast): the wait must sit in a loop, and if an
  `if` guards it inside a `while True:` (or `for`) loop, control must go back
  to the top (end of the loop body, or `continue`) before anything else runs;
  a `while <condition>:` loop is trusted to be the re-check. Without a loop
  in the function, a helper whose last act is the wait is judged at its caller.
  wait_for() re-checks by itself and is never flagged. A heuristic, written
  to accept every correct shape we know: `while not ok: wait()`,
  `while True: if ok: return ...; wait()`, `if not ok: wait(); continue`.
- "semaphore over-release": a plain threading.Semaphore(n) with n > 0
  released from a student's file while its counter is already n, so more
  threads than there are resources can now hold one (BoundedSemaphore raises
  ValueError instead, as always). A Semaphore(0) counts events, not
  resources, and may rise: it is never flagged.

Condition waits called from student code are also listed while they last
(condition_waiters(), until_waiting()), so a test can tell a thread blocked in
Condition.wait() from one that polls with sleep() or spins.
"""
from __future__ import annotations

import _thread
import ast
import itertools
import linecache
import os
import sys
import threading
import time
import weakref

POLL = 0.05          # seconds between deadlock checks while blocked
CYCLE_GRACE = 0.25   # a cycle through a plain Lock must last this long (a third thread may release it)

_real_Lock = _thread.allocate_lock
_real_RLock = _thread.RLock
_real_Condition = threading.Condition
_real_Semaphore = threading.Semaphore
_real_BoundedSemaphore = threading.BoundedSemaphore
_state = _thread.allocate_lock()
_held: dict[int, list] = {}
_held_frame: dict[tuple, tuple] = {}  # (thread, lock serial) -> (student frame, thread name, site)
_waiting: dict[int, tuple] = {}
_order: dict[tuple[int, int], tuple] = {}
_reports: list["Report"] = []
_serial = itertools.count(1)
_installed = False
_on_deadlock = []  # callables run (in the detecting thread) when a new cycle is found
_student_file = None  # callable(filename) -> bool, set by install()
_THIS = os.path.normcase(os.path.abspath(__file__))
_THREADING = threading.__file__
_SKIP = {_THIS, os.path.normcase(threading.__file__)}
_file_cache: dict[str, bool] = {}
# Threads inside Condition.wait() called from student code: tid -> (condition, site).
# Guarded by _cond_change (a raw lock: never tracked, never held while blocking on another).
_cond_waiting: dict[int, tuple] = {}
_cond_change = _real_Condition(_real_Lock())
_loop_cache: dict[tuple, tuple] = {}  # (file, line, instruction, code) -> _judge_wait()
DEADLOCK_KINDS = ("deadlock", "self-deadlock", "inversion")


class DeadlockError(RuntimeError):
    """Raised in a thread whose lock request can never be granted."""


class MisuseError(AssertionError):
    """Raised after a test in which only misuses (no deadlock) were found."""


class Report:
    """One finding, in words for a student."""

    def __init__(self, kind: str, text: str, key):
        # "deadlock", "self-deadlock", "inversion" (verdict: deadlock), or a misuse:
        # "wait without while", "semaphore over-release" (verdict: failed).
        self.kind = kind
        self.text = text
        self.key = key

    @property
    def deadlock(self) -> bool:
        return self.kind in DEADLOCK_KINDS

    def __repr__(self):
        return f"Report({self.kind!r}, {self.text!r})"


def _is_student(filename: str) -> bool:
    known = _file_cache.get(filename)
    if known is None:
        known = bool(_student_file and _student_file(filename))
        _file_cache[filename] = known
    return known


def _site(start: int = 2):
    """(file, line) of the first student frame, else of the first outside threading."""
    return _site_and_frame(start + 1)[0]


def _site_and_frame(start: int = 2):
    """(_site(), the student frame it names or None)."""
    frame = sys._getframe(start)
    fallback = None
    depth = 0
    while frame is not None and depth < 40:
        filename = frame.f_code.co_filename
        if _is_student(filename):
            return (filename, frame.f_lineno), frame
        if fallback is None and os.path.normcase(filename) not in _SKIP:
            fallback = (filename, frame.f_lineno)
        frame = frame.f_back
        depth += 1
    return fallback, None


def _returned(tid: int, frame) -> bool:
    """True when `frame` (where thread `tid` took a lock) is no longer on its stack:
    the function that took the lock has returned or raised without releasing it."""
    if frame is None:
        return False
    current = sys._getframe() if tid == _thread.get_ident() else sys._current_frames().get(tid)
    while current is not None:
        if current is frame:
            return False
        current = current.f_back
    return True


def _leak_text(tid: int, lock) -> str | None:
    """Words for a lock whose owner no longer runs the code that took it, else None."""
    frame, name, site = _held_frame.get((tid, lock.serial), (None, _thread_name(tid), None))
    if tid not in threading._active:  # noqa: SLF001 - the owner thread has ended
        taken = f" at {where(site)}" if site else ""
        return f"{lock.label} was taken{taken} by {name}, which has ended without releasing it"
    if frame is None or not _returned(tid, frame):
        return None
    return (f"{lock.label} was taken at {where(site)} in {frame.f_code.co_name}(), which has "
            "returned (or raised) without releasing it")


def _call_column(frame):
    """Column where the call running in `frame` starts, where Python records it."""
    try:
        positions = list(frame.f_code.co_positions())
        return positions[frame.f_lasti // 2][2]
    except (AttributeError, IndexError):
        return None


def where(site) -> str:
    if not site:
        return "an unknown line"
    return f"{os.path.basename(site[0])}:{site[1]}"


def _thread_name(tid: int) -> str:
    thread = threading._active.get(tid)  # noqa: SLF001 - no public lookup by ident
    return thread.name if thread is not None else f"thread {tid}"


def _source_name(site):
    """(name, weak ref to its owner or None): what the student's line assigns to.

    `self.lock = threading.Lock()` gives "self.lock" (and the owning object);
    `a, b = Lock(), Lock()` gives "a" or "b", told apart by the column of the
    call being executed (Python 3.11+).
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename != site[0]:
        frame = frame.f_back
    if frame is None:
        return None, None
    try:
        node = ast.parse(linecache.getline(site[0], site[1]).strip()).body[0]
    except (SyntaxError, IndexError):
        return None, None
    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return None, None
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    target, value = targets[0], node.value
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        column = _call_column(frame)
        indent = len(linecache.getline(site[0], site[1])) - len(linecache.getline(site[0], site[1]).lstrip())
        pairs = list(zip(target.elts, value.elts))
        match = [t for t, v in pairs if column is not None and v.col_offset + indent == column]
        if not match:
            return None, None
        target = match[0]
    try:
        label = ast.unparse(target)
    except Exception:  # noqa: BLE001 - a name is a nicety
        return None, None
    owner_ref = None
    if label.startswith("self."):
        owner = frame.f_locals.get("self")
        try:
            owner_ref = weakref.ref(owner)
        except TypeError:
            pass
    return label, owner_ref


def _label_text(label, owner_ref, fallback: str) -> str:
    owner = owner_ref() if owner_ref else None
    if owner is not None:
        attr = label.split(".", 1)[1]
        ident = getattr(owner, "name", None)
        if ident is None:
            ident = getattr(owner, "number", None)
        who = f"{type(owner).__name__}({ident!r})" if ident is not None else type(owner).__name__
        return f"{who}.{attr}"
    if label:
        return label
    return fallback


class _Tracked:
    _reentrant = False

    def __init__(self, real):
        self._real = real
        self._owner = None
        self._count = 0
        self.serial = next(_serial)
        self._label = None
        self._owner_ref = None
        site = _site(3)
        self.created = site
        self.student = bool(site and _is_student(site[0]))
        if self.student:
            self._name_from_source(site)

    def _name_from_source(self, site):
        self._label, self._owner_ref = _source_name(site)

    @property
    def label(self) -> str:
        kind = "RLock" if self._reentrant else "Lock"
        return _label_text(self._label, self._owner_ref, f"the {kind} created at {where(self.created)}")

    # -- the lock API -------------------------------------------------------
    def acquire(self, blocking=True, timeout=-1):
        me = _thread.get_ident()
        if self._reentrant and self._owner == me:
            self._real.acquire()
            self._count += 1
            return True
        # Only a blocking acquire without a time-out can deadlock, so only it
        # records lock order (as lockdep does: a try-lock with back-off is fine).
        ordered = blocking and (timeout is None or timeout < 0)
        if self._real.acquire(False):
            self._note_acquired(me, ordered=ordered)
            return True
        if not blocking:
            return False
        return self._wait(me, timeout)

    def release(self):
        if self._reentrant:
            if not self._real._is_owned():
                raise RuntimeError("cannot release un-acquired lock")
            if self._count > 1:
                self._count -= 1
                self._real.release()
                return
        elif not self._real.locked():
            raise RuntimeError("release unlocked lock")
        self._note_released()
        self._real.release()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    def locked(self):
        if self._reentrant:
            return self._owner is not None
        return self._real.locked()

    def _at_fork_reinit(self):
        self._real._at_fork_reinit()
        self._owner, self._count = None, 0

    def __getattr__(self, name):
        if name == "_real":
            raise AttributeError(name)
        return getattr(self._real, name)

    def __repr__(self):
        state = "locked" if self.locked() else "unlocked"
        return f"<tracked {state} {self.label}>"

    # -- bookkeeping --------------------------------------------------------
    def _note_acquired(self, me, count=1, ordered=True):
        site, frame = _site_and_frame(3) if self.student else (None, None)
        name = threading.current_thread().name if frame is not None else None
        with _state:
            self._owner, self._count = me, count
            if frame is not None:
                _held_frame[(me, self.serial)] = (frame, name, site)
            held = _held.setdefault(me, [])
            if self.student and ordered:
                for other, other_site in held:
                    if other.student and other is not self:
                        _add_order(other, self, me, other_site, site)
            held.append((self, site))

    def _note_released(self):
        with _state:
            owner = self._owner
            self._owner, self._count = None, 0
            _held_frame.pop((owner, self.serial), None)
            held = _held.get(owner)
            if held:
                for i in range(len(held) - 1, -1, -1):
                    if held[i][0] is self:
                        del held[i]
                        break
                if not held:
                    del _held[owner]

    def _wait(self, me, timeout):
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        site = _site(3)
        with _state:
            _waiting[me] = (self, site)
        try:
            first_seen = None
            while True:
                now = time.monotonic()
                if deadline is None:
                    cycle = _find_cycle(me)
                    if cycle is None:
                        first_seen = None
                    else:
                        first_seen = first_seen or now
                        certain = all(lock._reentrant for _, lock in cycle)
                        if certain or now - first_seen >= CYCLE_GRACE:
                            raise DeadlockError(_record_cycle(cycle))
                    wait = POLL
                else:
                    wait = min(POLL, deadline - now)
                    if wait <= 0:
                        return False
                if self._real.acquire(True, wait):
                    self._note_acquired(me, ordered=deadline is None)
                    return True
        finally:
            with _state:
                _waiting.pop(me, None)


class TrackedLock(_Tracked):
    _reentrant = False


class TrackedRLock(_Tracked):
    _reentrant = True

    def _is_owned(self):
        return self._real._is_owned()

    def _release_save(self):
        if not self._real._is_owned():
            raise RuntimeError("cannot release un-acquired lock")
        count = self._count
        self._note_released()
        for _ in range(count - 1):
            self._real.release()
        self._real.release()
        return count

    def _acquire_restore(self, count):
        self.acquire()
        for _ in range(count - 1):
            self._real.acquire()
        self._count = count


def Lock():
    return TrackedLock(_real_Lock())


def RLock(*args, **kwargs):
    return TrackedRLock(_real_RLock())


# -- Condition.wait() outside a re-checking loop (9.23 3) -------------------------
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
_LOOPS = (ast.While, ast.For, ast.AsyncFor)
_trees: dict[str, tuple | None] = {}


def _tree(filename: str):
    """(tree, parent of each node) of a student file, or None if it cannot be read."""
    if filename not in _trees:
        try:
            tree = ast.parse("".join(linecache.getlines(filename)), filename)
        except (SyntaxError, ValueError):
            _trees[filename] = None
        else:
            parents = {}
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    parents[child] = node
            _trees[filename] = (tree, parents)
    return _trees[filename]


def _statement_of_call(frame, tree, parents):
    """The statement that contains the call `frame` is running (matched by position)."""
    pos = None
    try:
        pos = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (AttributeError, IndexError):
        pass
    best = None
    if pos and pos[0] is not None:  # Python 3.11+: the call's exact span
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                    node.lineno, node.end_lineno, node.col_offset, node.end_col_offset) == tuple(pos):
                best = node
                break
    if best is None:  # else the innermost statement starting on the line (walk is breadth first)
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt) and node.lineno == frame.f_lineno:
                best = node
    node = best
    while node is not None and not isinstance(node, ast.stmt):
        node = parents.get(node)
    return node


def _block_of(parent, node):
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(item is node for item in block):
            return field, block
    return None, None


def _judge_wait(frame):
    """How the statement running a call in `frame` is followed, from its function's source.

    ("ok",)                        the code re-checks before acting (or we cannot tell)
    ("guarded", if_node, after)    an `if` guards the wait; `after` runs next, unchecked
    ("no loop", if_node, after)    no loop in the function; `after` (or nothing) runs next
    """
    code = frame.f_code
    parsed = _tree(code.co_filename)
    if parsed is None:
        return ("ok",)
    key = (code.co_filename, frame.f_lineno, frame.f_lasti, id(code))
    if key in _loop_cache:
        return _loop_cache[key]
    tree, parents = parsed
    stmt = _statement_of_call(frame, tree, parents)
    verdict = ("ok",) if stmt is None else _judge_statement(stmt, parents)
    _loop_cache[key] = verdict
    return verdict


def _judge_statement(stmt, parents):
    if isinstance(stmt, _LOOPS):  # `while cond.wait(...)`: the loop's own test
        return ("ok",)
    guard = after = None
    node = stmt
    while True:
        parent = parents.get(node)
        if parent is None or isinstance(parent, _SCOPES):
            return ("no loop", guard, after)
        field, block = _block_of(parent, node)
        rest = block[[i for i, item in enumerate(block) if item is node][0] + 1:] if block else []
        if isinstance(parent, _LOOPS) and field == "body":
            if guard is None or (after is None and not rest):
                return ("ok",)  # back to the loop's test, or nothing guards the wait
            if isinstance(parent, ast.While) and not _always_true(parent.test):
                return ("ok",)  # `while <condition>:` re-checks at the top (we cannot tell
                #                  a predicate from a `while running:` flag: no false alarms)
            return ("guarded", guard, after if after is not None else rest[0])
        if after is None and rest:
            last = rest[-1]
            if isinstance(last, (ast.Continue, ast.Raise)) or (
                    isinstance(last, ast.Return) and last.value is None):
                return ("ok",)  # back to the loop's test (`continue`), or leave without acting
            after = rest[0]
        if isinstance(parent, ast.If) and field in ("body", "orelse") and guard is None:
            guard = parent
        node = parent


def _always_true(test) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _check_wait(frame, cond) -> None:
    """Record a "wait without while" report if the student's wait() is not re-checked."""
    first = frame
    verdict = _judge_wait(frame)
    # A helper whose last act is the wait (no loop, nothing after it) is judged
    # where it is called: `while not ok: self._wait()` is fine.
    while verdict[0] == "no loop" and verdict[1] is None and verdict[2] is None:
        caller = frame.f_back
        if caller is None or not _is_student(caller.f_code.co_filename):
            break
        frame = caller
        verdict = _judge_wait(frame)
    if verdict[0] == "ok":
        return
    filename, line = first.f_code.co_filename, first.f_lineno
    rkey = ("wait without while", filename, line)
    with _state:
        if any(r.key == rkey for r in _reports):
            return
    name = os.path.basename(filename)
    text_line = linecache.getline(filename, line).strip()
    _, guard, after = verdict
    if verdict[0] == "guarded":
        why = (f"It sits in a loop, but the `if` at {name}:{guard.lineno} guards it, and when wait() "
               f"returns, {name}:{after.lineno} runs next without checking the condition again.")
    else:
        why = (f"There is no `while` loop around it in {first.f_code.co_name}()"
               + (f", nor around the call at {where((frame.f_code.co_filename, frame.f_lineno))}"
                  if frame is not first else "")
               + (f"; only the `if` at {where((frame.f_code.co_filename, guard.lineno))} checks, "
                  "once, before waiting" if guard is not None else "")
               + ", so the code after it assumes the condition holds.")
    text = (
        f"Condition.wait() at {name}:{line} (`{text_line}`) is not re-checked. {why} But when "
        "wait() returns, the condition may be false again: another thread may have got there "
        "first (taken the item, filled the slot), or one notify_all() woke several threads for "
        "one change. The wait must sit in a loop that re-checks: "
        "`while not <condition>: cond.wait()` (or "
        "`cond.wait_for(lambda: <condition>)`). See 9.23 3 条件变量同步(Condition): the notes' "
        "consumer does `if len(L)==0: lock_con.wait()` and then `del L[0]`, which is this bug."
    )
    with _state:
        if not any(r.key == rkey for r in _reports):
            _reports.append(Report("wait without while", text, rkey))


class TrackedCondition(_real_Condition):
    """threading.Condition that checks the student's wait() calls and lists the waiters."""

    def wait(self, timeout=None):
        caller = sys._getframe(1)
        origin = caller
        if caller.f_code.co_filename == _THREADING and caller.f_code.co_name == "wait_for":
            origin = caller.f_back  # wait_for() loops and re-checks by itself
        if origin is None or not _is_student(origin.f_code.co_filename):
            return super().wait(timeout)
        if origin is caller:
            _check_wait(caller, self)
        me = _thread.get_ident()
        with _cond_change:
            _cond_waiting[me] = (self, (origin.f_code.co_filename, origin.f_lineno))
            _cond_change.notify_all()
        try:
            return super().wait(timeout)
        finally:
            with _cond_change:
                _cond_waiting.pop(me, None)
                _cond_change.notify_all()


# -- Semaphore released more often than acquired (9.25 1) ------------------------
class TrackedSemaphore(_real_Semaphore):
    """threading.Semaphore that reports a release pushing a resource count above its start."""

    _bounded = False

    def __init__(self, value=1):
        super().__init__(value)
        self._initial_value = value
        self.serial = next(_serial)
        site = _site(2)
        self.created = site
        self._label, self._owner_ref = (None, None)
        if site and _is_student(site[0]):
            self._label, self._owner_ref = _source_name(site)

    @property
    def label(self) -> str:
        kind = type(self).__name__.replace("Tracked", "")
        return _label_text(self._label, self._owner_ref, f"the {kind} created at {where(self.created)}")

    def release(self, n=1):
        if n < 1:
            raise ValueError('n must be one or more')
        with self._cond:
            over = self._value + n > self._initial_value
            if over and self._bounded:
                raise ValueError("Semaphore released too many times")
            self._value += n
            value = self._value
            for _ in range(n):
                self._cond.notify()
        if over and self._initial_value > 0:
            self._report_over(value)

    def _report_over(self, value):
        site = _site(3)
        if not site or not _is_student(site[0]):
            return
        rkey = ("semaphore over-release", self.serial)
        start = self._initial_value
        text = (
            f"Semaphore over-release: {self.label} (threading.Semaphore({start}), created at "
            f"{where(self.created)}) was released at {where(site)} by {threading.current_thread().name} "
            f"more often than it was acquired: its counter went up to {value}, above the {start} "
            f"it started with. It counts free resources, so now {value} threads can take one of "
            f"{start} at once. Release exactly once per successful acquire() (`with sem:` does "
            "that for you); threading.BoundedSemaphore raises ValueError on this mistake. "
            "See 9.25 1 信号量(Semaphore)."
        )
        with _state:
            if not any(r.key == rkey for r in _reports):
                _reports.append(Report("semaphore over-release", text, rkey))

    def __repr__(self):
        return f"<tracked {self.label}: value={self._value}/{self._initial_value}>"


class TrackedBoundedSemaphore(TrackedSemaphore):
    """threading.BoundedSemaphore: a release above the start raises ValueError, as always."""

    _bounded = True


# -- analysis (callers hold _state) ---------------------------------------------
def _find_cycle(me):
    """[(thread, lock it waits for), ...] if the wait-for chain from `me` loops back."""
    with _state:
        chain = []
        tid = me
        seen = set()
        while tid not in seen:
            seen.add(tid)
            waiting = _waiting.get(tid)
            if waiting is None:
                return None
            lock = waiting[0]
            chain.append((tid, lock))
            tid = lock._owner
            if tid is None:
                return None
            if tid == me:
                return chain
        return None


def _held_site(tid, lock):
    for held_lock, site in _held.get(tid, ()):
        if held_lock is lock:
            return site
    return None


def _record_cycle(cycle) -> str:
    with _state:
        if len(cycle) == 1:
            tid, lock = cycle[0]
            kind = "RLock" if lock._reentrant else "threading.Lock"
            leak = _leak_text(tid, lock)
            if leak:  # not a nested call: an earlier call never let go of the lock
                text = (
                    f"{_thread_name(tid)} waits forever at {where(_waiting[tid][1])}: {leak}. "
                    "Release a lock on every path out of the function, also `return` and "
                    "exceptions: `with lock:` does that for you (9.23 1)."
                )
            else:
                text = (
                    f"{_thread_name(tid)} already holds {lock.label} (taken at "
                    f"{where(_held_site(tid, lock))}) and asks for it again at "
                    f"{where(_waiting[tid][1])}. A {kind} cannot be taken twice by the same "
                    "thread, even from a nested method call: use threading.RLock (9.23 2)."
                )
            kind_name = "self-deadlock"
        else:
            parts = []
            for i, (tid, lock) in enumerate(cycle):
                owner = lock._owner
                mine = [(l, s) for l, s in _held.get(tid, ()) if any(l is c for _, c in cycle)]
                holds = ", ".join(f"{l.label} ({where(s)})" for l, s in mine) or "nothing"
                parts.append(
                    f"{_thread_name(tid)} holds {holds} and waits for {lock.label} "
                    f"({where(_waiting[tid][1])}), held by {_thread_name(owner)}"
                )
            text = (
                "Deadlock: " + "; ".join(parts) + ". Each thread waits for a lock "
                "another one holds, so none can go on. Take locks in one global order (9.23 2)."
            )
            kind_name = "deadlock"
        key = (kind_name, frozenset((tid, lock.serial) for tid, lock in cycle))
        new = not any(r.key == key for r in _reports)
        if new:
            _reports.append(Report(kind_name, text, key))
    if new:
        for callback in _on_deadlock:
            callback(text)
    return text


def _reachable(start: int, goal: int) -> tuple | None:
    """An order-edge path start -> ... -> goal, as a list of edges, if any."""
    stack = [(start, [])]
    seen = {start}
    while stack:
        node, path = stack.pop()
        for (a, b), info in _order.items():
            if a == node and b not in seen:
                step = path + [info]
                if b == goal:
                    return step
                seen.add(b)
                stack.append((b, step))
    return None


def _add_order(first, second, tid, first_site, second_site):
    key = (first.serial, second.serial)
    if key in _order:
        return
    info = (first, second, _thread_name(tid), first_site, second_site)
    reverse = _reachable(second.serial, first.serial)
    _order[key] = info
    if reverse is None:
        return
    other = reverse[0]
    this_way = f"{first.label} ({where(first_site)}) and then {second.label} ({where(second_site)})"
    other_way = f"{other[0].label} ({where(other[3])}) and then {other[1].label} ({where(other[4])})"
    if other[2] == info[2]:
        who = f"{info[2]} took {this_way}; earlier it took {other_way}"
    else:
        who = f"{info[2]} took {this_way}, but {other[2]} took {other_way}"
    text = (
        f"Lock-order inversion: {who}. Two threads taking the same locks in opposite orders "
        "at the same moment each hold the lock the other waits for: a deadlock waiting to "
        "happen, even if this run was lucky. Take locks in one global order (9.23 2)."
    )
    rkey = ("inversion", frozenset({first.serial, second.serial}))
    if not any(r.key == rkey for r in _reports):
        _reports.append(Report("inversion", text, rkey))


# -- public API -----------------------------------------------------------------
def _after_fork_in_child() -> None:
    """A forked child has only the thread that forked. Another thread may have held
    the tracker's own locks at that moment: free them, and forget the other threads,
    so the child's first lock does not hang (and the student is not blamed)."""
    _state._at_fork_reinit()
    _cond_change._at_fork_reinit()
    me = _thread.get_ident()
    _waiting.clear()
    _cond_waiting.clear()
    for tid in [t for t in _held if t != me]:
        del _held[tid]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def install(is_student_file=None) -> None:
    """Replace threading.Lock/RLock/Condition/Semaphore/BoundedSemaphore.

    Idempotent; call before importing student code.
    """
    global _installed, _student_file
    if is_student_file is not None:
        _student_file = is_student_file
        _file_cache.clear()
    if _installed:
        return
    threading.Lock = Lock
    threading.RLock = RLock
    threading.Condition = TrackedCondition
    threading.Semaphore = TrackedSemaphore
    threading.BoundedSemaphore = TrackedBoundedSemaphore
    _installed = True


def on_deadlock(callback) -> None:
    """Call `callback(text)` whenever a new deadlock is found (the grader ends the test)."""
    _on_deadlock.append(callback)


def reset() -> None:
    """Forget findings and lock-order history (between tests)."""
    with _state:
        _reports.clear()
        _order.clear()


def reports() -> list[Report]:
    with _state:
        return list(_reports)


def waits() -> list[str]:
    """One line per thread blocked on a tracked lock, for hang reports."""
    with _state:
        lines = []
        for tid, (lock, site) in _waiting.items():
            owner = lock._owner
            name = _held_frame.get((owner, lock.serial), (None, _thread_name(owner)))[1]
            held_by = f", held by {name}" if owner is not None else ""
            leak = _leak_text(owner, lock) if owner is not None else None
            if leak:
                held_by += f" ({leak})"
            lines.append(f"{_thread_name(tid)} waits for {lock.label} at {where(site)}{held_by}")
        return lines


def condition_waiters() -> list[str]:
    """One line per thread inside a Condition.wait() called from student code."""
    with _cond_change:
        items = list(_cond_waiting.items())
    return [f"{_thread_name(tid)} waits at {where(site)}" for tid, (cond, site) in items]


def until_waiting(threads, timeout: float) -> bool:
    """Wait until every thread in `threads` is inside a Condition.wait() (or wait_for())
    called from student code; False if that did not happen within `timeout` seconds,
    or if one of them (a threading.Thread) ended first."""
    threads = list(threads)
    idents = {t.ident if isinstance(t, threading.Thread) else t for t in threads}
    deadline = time.monotonic() + timeout
    with _cond_change:
        while not idents <= _cond_waiting.keys():
            left = deadline - time.monotonic()
            if left <= 0 or any(isinstance(t, threading.Thread) and not t.is_alive() for t in threads):
                return False  # out of time, or a thread ended instead of waiting
            _cond_change.wait(min(left, POLL))  # a slice: also notice threads that end
        return True
