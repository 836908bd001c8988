"""Lock tracking: name deadlocks, lock-order inversions and double acquisitions.

``install()`` replaces ``threading.Lock`` and ``threading.RLock`` with tracked
versions before the student's module is imported. Condition, Semaphore,
Event, Barrier and queue.Queue objects created afterwards use them too.

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
CYCLE_GRACE = 0.5    # a cycle through a plain Lock must last this long

_real_Lock = _thread.allocate_lock
_real_RLock = _thread.RLock
_state = _thread.allocate_lock()
_held: dict[int, list] = {}
_waiting: dict[int, tuple] = {}
_order: dict[tuple[int, int], tuple] = {}
_reports: list["Report"] = []
_serial = itertools.count(1)
_installed = False
_on_deadlock = []  # callables run (in the detecting thread) when a new cycle is found
_student_file = None  # callable(filename) -> bool, set by install()
_THIS = os.path.normcase(os.path.abspath(__file__))
_SKIP = {_THIS, os.path.normcase(threading.__file__)}
_file_cache: dict[str, bool] = {}


class DeadlockError(RuntimeError):
    """Raised in a thread whose lock request can never be granted."""


class Report:
    """One finding, in words for a student."""

    def __init__(self, kind: str, text: str, key):
        self.kind = kind  # "deadlock", "self-deadlock" or "inversion"
        self.text = text
        self.key = key

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
    frame = sys._getframe(start)
    fallback = None
    depth = 0
    while frame is not None and depth < 40:
        filename = frame.f_code.co_filename
        if _is_student(filename):
            return (filename, frame.f_lineno)
        if fallback is None and os.path.normcase(filename) not in _SKIP:
            fallback = (filename, frame.f_lineno)
        frame = frame.f_back
        depth += 1
    return fallback


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
        """Name the lock after what the student's line assigns it to.

        `self.lock = threading.Lock()` gives "self.lock" (and the owning object);
        `a, b = Lock(), Lock()` gives "a" or "b", told apart by the column of the
        call being executed (Python 3.11+).
        """
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename != site[0]:
            frame = frame.f_back
        if frame is None:
            return
        try:
            node = ast.parse(linecache.getline(site[0], site[1]).strip()).body[0]
        except (SyntaxError, IndexError):
            return
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        target, value = targets[0], node.value
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            column = _call_column(frame)
            indent = len(linecache.getline(site[0], site[1])) - len(linecache.getline(site[0], site[1]).lstrip())
            pairs = list(zip(target.elts, value.elts))
            match = [t for t, v in pairs if column is not None and v.col_offset + indent == column]
            if not match:
                return
            target = match[0]
        try:
            self._label = ast.unparse(target)
        except Exception:  # noqa: BLE001 - a name is a nicety
            return
        if self._label.startswith("self."):
            owner = frame.f_locals.get("self")
            try:
                self._owner_ref = weakref.ref(owner)
            except TypeError:
                pass

    @property
    def label(self) -> str:
        owner = self._owner_ref() if self._owner_ref else None
        kind = "RLock" if self._reentrant else "Lock"
        if owner is not None:
            attr = self._label.split(".", 1)[1]
            ident = getattr(owner, "name", None)
            if ident is None:
                ident = getattr(owner, "number", None)
            who = f"{type(owner).__name__}({ident!r})" if ident is not None else type(owner).__name__
            return f"{who}.{attr}"
        if self._label:
            return self._label
        return f"the {kind} created at {where(self.created)}"

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
        site = _site(3) if self.student else None
        with _state:
            self._owner, self._count = me, count
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
def install(is_student_file=None) -> None:
    """Replace threading.Lock/RLock. Idempotent; call before importing student code."""
    global _installed, _student_file
    if is_student_file is not None:
        _student_file = is_student_file
        _file_cache.clear()
    if _installed:
        return
    threading.Lock = Lock
    threading.RLock = RLock
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
            held_by = f", held by {_thread_name(owner)}" if owner is not None else ""
            lines.append(f"{_thread_name(tid)} waits for {lock.label} at {where(site)}{held_by}")
        return lines
