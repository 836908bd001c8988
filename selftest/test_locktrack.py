"""grader/locktrack.py's misuse checks, in process, on tiny student-like modules.

- "wait without while": Condition.wait() whose caller does not re-check the
  condition after it returns (9.23 3, the notes' consumer);
- "semaphore over-release": a Semaphore(n > 0) released above n (9.25 1);
- until_waiting(): tells a thread blocked in Condition.wait() from a poller.

Each test writes a module into its own folder, marks that folder as the
student's, and installs the tracker for the test only (the threading names
are put back afterwards). Correct shapes must never be flagged; each bad one
must be flagged with the right file and line.
"""
from __future__ import annotations

import importlib.util
import queue
import textwrap
import threading
from pathlib import Path

import pytest

from grader import diagnose, locktrack
from grader.results import Verdict

BOUND = 5.0
PATCHED = ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore")


@pytest.fixture
def student(tmp_path, monkeypatch):
    """load(name, source) -> module, imported from a folder the tracker treats as the student's."""
    for name in PATCHED:
        monkeypatch.setattr(threading, name, getattr(threading, name))  # restored afterwards
    monkeypatch.setattr(locktrack, "_installed", False)
    folder = (tmp_path / "student").resolve()
    folder.mkdir()
    locktrack.install(lambda filename: Path(filename).resolve().parent == folder)
    locktrack.reset()

    def load(name, source):
        path = folder / f"{name}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"lt_{tmp_path.name}_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.line_of = lambda marker: _line_of(path, marker)
        return module

    yield load
    locktrack.reset()


def _line_of(path, marker):
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if marker in text:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def _misuses(kind):
    return [r for r in locktrack.reports() if r.kind == kind]


def _assert_clean():
    found = locktrack.reports()
    assert not found, "correct code was flagged:\n" + "\n".join(r.text for r in found)


# --- wait without while ----------------------------------------------------------------

NOTES_CONSUMER = """
    import threading

    L = []
    lock_con = threading.Condition()

    def consumer(got):
        while True:
            lock_con.acquire()
            if len(L) == 0:
                lock_con.wait()  # <- wait
            got.append(L[0])
            del L[0]
            lock_con.release()
            return

    def producer(val):
        with lock_con:
            L.append(val)
            lock_con.notify()
"""


def test_the_notes_consumer_is_flagged_with_its_line(student):
    mod = student("notes", NOTES_CONSUMER)
    got = []
    worker = threading.Thread(target=mod.consumer, args=(got,))
    worker.start()
    try:
        assert locktrack.until_waiting([worker], BOUND)
    finally:
        mod.producer(7)
        worker.join(BOUND)
    assert got == [7]
    found = _misuses("wait without while")
    assert len(found) == 1, locktrack.reports()
    text = found[0].text
    line = mod.line_of("# <- wait")
    assert f"notes.py:{line}" in text
    assert f"`if` at notes.py:{line - 1}" in text
    assert f"notes.py:{line + 1} runs next" in text
    assert "9.23 3" in text and "while" in text
    assert not found[0].deadlock


BAD_SHAPES = {
    "if_then_act": """
        import threading, collections

        class Buffer:
            def __init__(self):
                self.items = collections.deque()
                self.cond = threading.Condition()

            def get(self):
                with self.cond:
                    if not self.items:
                        self.cond.wait(0)  # <- wait
                    return self.items.popleft() if self.items else None
    """,
    "unguarded_wait_then_act": """
        import threading

        cond = threading.Condition()
        items = []

        def get():
            with cond:
                cond.wait(0)  # <- wait
                return items.pop() if items else None
    """,
    "for_loop_with_if": """
        import threading

        cond = threading.Condition()
        items = []

        def drain(n):
            out = []
            for _ in range(n):
                with cond:
                    if not items:
                        cond.wait(0)  # <- wait
                    out.append(items.pop() if items else None)
            return out
    """,
    "while_true_with_if": """
        import threading

        cond = threading.Condition(threading.Lock())
        items = []

        def get():
            while True:
                with cond:
                    if not items:
                        cond.wait(timeout=0)  # <- wait
                    return items.pop() if items else None
    """,
    "helper_without_loop": """
        import threading

        cond = threading.Condition()
        items = []

        def _wait():
            cond.wait(0)  # <- wait

        def get():
            with cond:
                if not items:
                    _wait()
                return items.pop() if items else None
    """,
}


@pytest.mark.parametrize("shape", sorted(BAD_SHAPES))
def test_bad_shapes_are_flagged_at_the_wait(student, shape):
    mod = student(shape, BAD_SHAPES[shape])
    if hasattr(mod, "Buffer"):
        mod.Buffer().get()
    elif hasattr(mod, "drain"):
        mod.drain(2)
    else:
        mod.get()
    found = _misuses("wait without while")
    assert len(found) == 1, f"{shape}: {locktrack.reports()}"
    assert f"{shape}.py:{mod.line_of('# <- wait')}" in found[0].text
    assert "Condition.wait()" in found[0].text


GOOD_SHAPES = """
    import collections, queue, threading, time

    class Buffer:
        def __init__(self, capacity=2):
            self.capacity = capacity
            self.items = collections.deque()
            self.cond = threading.Condition()
            self.not_full = threading.Condition(threading.Lock())

        def while_not(self):
            with self.cond:
                while not self.items:
                    self.cond.wait(0)
                    if self.items:
                        break
                    return None
                return self.items.popleft()

        def while_true_if_return(self):
            with self.cond:
                while True:
                    if self.items:
                        return self.items.popleft()
                    self.cond.wait(0)
                    return None

        def if_wait_continue(self):
            tries = 0
            while tries < 2:
                with self.cond:
                    if not self.items:
                        self.cond.wait(0)
                        tries += 1
                        continue
                    return self.items.popleft()
            return None

        def deadline_loop(self, timeout=0.01):
            end = time.monotonic() + timeout
            with self.cond:
                while not self.items:
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        return None
                    self.cond.wait(remaining)
                return self.items.popleft()

        def wait_in_if_test(self, timeout=0.0):
            with self.cond:
                while not self.items:
                    if not self.cond.wait(timeout):
                        return None
                return self.items.popleft()

        def wait_in_loop_test(self):
            with self.cond:
                while not self.cond.wait(0):
                    return None

        def wait_for(self):
            with self.cond:
                if self.cond.wait_for(lambda: self.items, timeout=0):
                    return self.items.popleft()
                return None

        def _wait(self):
            self.cond.wait(0)

        def helper_in_loop(self):
            with self.cond:
                while not self.items:
                    self._wait()
                    return None
                return self.items.popleft()

        def one_liner(self):
            with self.cond:
                while not self.items: self.cond.wait(0); return None
                return self.items.popleft()

        def bookkeeping_after_if(self, timeout=0.0):
            waits = 0
            with self.cond:
                while not self.items:
                    if timeout is None:
                        self.cond.wait()
                    else:
                        if not self.cond.wait(timeout):
                            return None
                    waits += 1
                return self.items.popleft()

        def put_with_else(self, item, timeout=0.0):
            with self.not_full:
                while len(self.items) >= self.capacity:
                    if timeout is None:
                        self.not_full.wait()
                    else:
                        if not self.not_full.wait(timeout):
                            return False
                self.items.append(item)
                return True

    def library_waits():
        event = threading.Event()
        event.wait(0)
        q = queue.Queue()
        try:
            q.get(timeout=0.01)
        except queue.Empty:
            pass
        barrier = threading.Barrier(1)
        barrier.wait(0.5)
        return True
"""


def test_correct_shapes_are_never_flagged(student):
    mod = student("good", GOOD_SHAPES)
    buf = mod.Buffer()
    for name in ("while_not", "while_true_if_return", "if_wait_continue", "deadline_loop",
                 "wait_in_if_test", "wait_in_loop_test", "wait_for", "helper_in_loop", "one_liner",
                 "bookkeeping_after_if"):
        assert getattr(buf, name)() is None, name
    buf.items.extend([1, 2])
    assert buf.put_with_else(3) is False
    assert mod.library_waits()
    _assert_clean()


def test_correct_buffer_under_real_threads_is_never_flagged(student):
    mod = student("threaded", """
        import collections, threading

        class Buffer:
            def __init__(self, capacity):
                self.capacity = capacity
                self.items = collections.deque()
                self.lock = threading.Lock()
                self.not_empty = threading.Condition(self.lock)
                self.not_full = threading.Condition(self.lock)

            def put(self, item):
                with self.not_full:
                    while len(self.items) >= self.capacity:
                        self.not_full.wait()
                    self.items.append(item)
                    self.not_empty.notify()

            def get(self):
                with self.not_empty:
                    while not self.items:
                        self.not_empty.wait()
                    item = self.items.popleft()
                    self.not_full.notify()
                    return item
    """)
    buf = mod.Buffer(1)
    got = []
    consumers = [threading.Thread(target=lambda: got.extend(buf.get() for _ in range(100)))
                 for _ in range(3)]
    producers = [threading.Thread(target=lambda k=k: [buf.put((k, i)) for i in range(100)])
                 for k in range(3)]
    for t in consumers + producers:
        t.start()
    for t in consumers + producers:
        t.join(BOUND)
    assert sorted(got) == sorted((k, i) for k in range(3) for i in range(100))
    _assert_clean()


# --- semaphore over-release --------------------------------------------------------------

SEMAPHORES = """
    import threading

    class Lot:
        def __init__(self, spaces):
            self.spaces = threading.Semaphore(spaces)

        def park(self):
            with self.spaces:
                pass

        def leave_twice(self):
            self.spaces.acquire()
            self.spaces.release()
            self.spaces.release()  # <- extra

    signal = threading.Semaphore(0)

    def post(n):
        for _ in range(n):
            signal.release()

    def take(n):
        for _ in range(n):
            signal.acquire()

    def bounded():
        return threading.BoundedSemaphore(1)
"""


def test_semaphore_released_above_its_start_is_flagged_at_the_extra_release(student):
    mod = student("parking", SEMAPHORES)
    lot = mod.Lot(2)
    lot.park()
    _assert_clean()
    lot.leave_twice()
    found = _misuses("semaphore over-release")
    assert len(found) == 1, locktrack.reports()
    text = found[0].text
    assert f"parking.py:{mod.line_of('# <- extra')}" in text
    assert "Lot.spaces" in text and "Semaphore(2)" in text and "up to 3" in text
    assert "9.25 1" in text
    assert not found[0].deadlock


def test_correct_semaphores_are_never_flagged(student):
    mod = student("signals", SEMAPHORES)
    lot = mod.Lot(2)
    workers = [threading.Thread(target=lambda: [lot.park() for _ in range(200)]) for _ in range(4)]
    for t in workers:
        t.start()
    mod.post(50)  # a Semaphore(0) counts events: it may rise as high as it likes
    mod.take(50)
    for t in workers:
        t.join(BOUND)
    _assert_clean()


def test_bounded_semaphore_keeps_its_value_error(student):
    mod = student("bounded", SEMAPHORES)
    sem = mod.bounded()
    assert isinstance(sem, threading.Semaphore) and isinstance(sem, threading.BoundedSemaphore)
    sem.acquire()
    sem.release()
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()
    assert sem._value == 1
    _assert_clean()


# --- verdicts ------------------------------------------------------------------------------

def test_misuse_is_a_failure_and_deadlocks_stay_deadlocks(student):
    mod = student("verdict", BAD_SHAPES["if_then_act"])
    mod.Buffer().get()
    verdict, kind, message = diagnose.classify(locktrack.MisuseError("x"), "teardown")
    assert (verdict, kind) == (Verdict.FAILED, "wait without while")
    assert "verdict.py:" in message and "What the test saw" not in message
    verdict, kind, message = diagnose.classify(IndexError("pop from an empty deque"))
    assert (verdict, kind) == (Verdict.FAILED, "wait without while")
    assert "What the test saw (error)" in message
    verdict, kind, _ = diagnose.classify(locktrack.DeadlockError("cycle"))
    assert verdict is Verdict.DEADLOCK
    locktrack.reset()
    verdict, kind, _ = diagnose.classify(IndexError("pop from an empty deque"))
    assert verdict is Verdict.ERROR


# --- until_waiting -------------------------------------------------------------------------

def test_until_waiting_tells_a_waiter_from_a_poller(student):
    mod = student("pollers", """
        import threading, time

        cond = threading.Condition()
        ready = []
        stop = threading.Event()

        def waiter():
            with cond:
                while not ready:
                    cond.wait()

        def poller():
            while not stop.is_set():
                time.sleep(0.005)
    """)
    waiting = threading.Thread(target=mod.waiter)
    polling = threading.Thread(target=mod.poller)
    waiting.start()
    polling.start()
    try:
        assert locktrack.until_waiting([waiting], BOUND)
        assert any("pollers.py:" in line for line in locktrack.condition_waiters())
        assert not locktrack.until_waiting([polling], 0.2)
    finally:
        mod.stop.set()
        with mod.cond:
            mod.ready.append(1)
            mod.cond.notify_all()
        waiting.join(BOUND)
        polling.join(BOUND)
    assert locktrack.condition_waiters() == []
    _assert_clean()


def test_waits_from_library_code_are_neither_checked_nor_listed(student):
    student("lib", "import threading\n")
    q = queue.Queue()
    getter = threading.Thread(target=q.get)
    getter.start()
    try:
        assert not locktrack.until_waiting([getter], 0.2)
    finally:
        q.put(1)
        getter.join(BOUND)
    _assert_clean()



# --- a lock left held by a call that returned ------------------------------------------------

def test_lock_left_held_by_a_returned_call_is_named(student):
    mod = student("leak", """
        import threading

        lock = threading.Lock()

        def refuse():
            lock.acquire()  # <- taken
            return False

        def again():
            with lock:  # <- again
                pass
    """)
    mod.refuse()
    try:
        with pytest.raises(locktrack.DeadlockError) as caught:
            mod.again()
    finally:
        mod.lock.release()
    text = str(caught.value)
    assert f"waits forever at leak.py:{mod.line_of('# <- again')}" in text
    assert f"taken at leak.py:{mod.line_of('# <- taken')} in refuse(), which has returned" in text
    assert "RLock" not in text  # not a nested call: RLock would be the wrong advice
    (report,) = locktrack.reports()
    assert report.kind == "self-deadlock" and report.deadlock
    locktrack.reset()
