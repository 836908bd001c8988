"""Grade one topic: run its suite in a watched child process.

The child is ``python -m pytest tests/test_<id>.py -p grader.plugin`` in a new
session, in a temporary working directory. It streams events through a
pipe (see grader/plugin.py). The watchdog here gives each phase a deadline:

    startup      until the suite is collected        STARTUP seconds
    importing    the student's module                timeout + grace
    each test    from its "start" event               timeout + grace

When a deadline passes, the child is asked for its stacks (SIGUSR1 ->
faulthandler), its process group is killed, the stuck test gets its verdict
and a fresh child runs the tests not yet done. A hang therefore costs one
test, never the topic. A child that dies on its own (os._exit, a signal)
marks the running test "crashed" the same way. The topic as a whole is
bounded by Topic.wall_limit.
"""
from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import diagnose, procs, sandbox
from grader.manifest import COURSE, ROOT, Topic
from grader.results import TestResult, TopicResult, Verdict

STARTUP = 60.0          # seconds for pytest to start and collect, even on a loaded machine
STACKS_WAIT = 1.0       # seconds to wait for faulthandler's dump before killing
OUTPUT_CAP = 64 * 1024  # bytes of the child's own output kept for -v and for grader errors


# Suites running right now (topics may be graded in parallel): never reaped as strays.
_live: set[int] = set()
_live_lock = threading.Lock()


class GraderError(Exception):
    """The grader could not grade a topic: a repository problem, not the student's."""


@dataclass
class Attempt:
    """What one child process reported before it ended."""

    collected: list[dict] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)
    hangs: dict[str, dict] = field(default_factory=dict)
    current: str | None = None
    importing: str | None = None
    collect_errors: list[str] = field(default_factory=list)
    done: bool = False
    restart: bool = False      # the child left on purpose, to run the rest afresh
    killed_for: str = ""       # "" or why the watchdog killed it
    returncode: int | None = None
    stacks: str = ""
    output: str = ""
    busy: bool = False         # the child burnt CPU until it was killed
    protected: bool = False    # the course was read-only for it (grader/sandbox.py)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except (ValueError, TypeError):
        return str(code)


def _events_in_a_file() -> bool:
    """Windows has no pipes to pass to a child or select on: events go through a file there
    (GRADER_EVENTS=file chooses it elsewhere too, so the repository's own tests cover it)."""
    return os.name == "nt" or os.environ.get("GRADER_EVENTS") == "file"


class EventPipe:
    """The child's events through an inherited pipe (POSIX): EOF when the child is gone."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.child_env = {"GRADER_EVENTS_FD": str(self.write_fd)}
        self.pass_fds = (self.write_fd,)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.read_fd, selectors.EVENT_READ)

    def started(self) -> None:
        os.close(self.write_fd)

    def wait(self, timeout: float) -> bool:
        return bool(self._sel.select(timeout=timeout))

    def read(self):
        """New bytes, b"" for none yet, None at EOF."""
        try:
            data = os.read(self.read_fd, 1 << 16)
        except BlockingIOError:
            return b""
        return data or None

    def read_all(self) -> bytes:
        data = b""
        while True:
            chunk = self.read()
            if not chunk:
                return data
            data += chunk

    def close(self) -> None:
        self._sel.close()
        os.close(self.read_fd)


class EventFile:
    """The child's events appended to a file that is polled (Windows). The end of the
    child is seen by Popen.poll(), never as EOF."""

    POLL = 0.05

    def __init__(self, path: Path):
        path.touch()
        self.child_env = {"GRADER_EVENTS_FILE": str(path)}
        self.pass_fds = ()
        self._file = open(path, "rb")

    def started(self) -> None:
        pass

    def wait(self, timeout: float) -> bool:
        time.sleep(min(self.POLL, max(0.0, timeout)))
        return True

    def read(self) -> bytes:
        return self._file.read()

    def read_all(self) -> bytes:
        return self._file.read()

    def close(self) -> None:
        self._file.close()


class Child:
    def __init__(self, topic: Topic, folder: Path, nodeids: list[str] | None, verbose: bool):
        self.topic = topic
        self.folder = folder
        self.workdir = Path(tempfile.mkdtemp(prefix=f"grader-{topic.id}-"))
        self.stacks_path = self.workdir / ".stacks"
        self.out_path = self.workdir / ".output"
        self.plan = sandbox.plan(self.workdir.name, 2 * topic.wall_limit, _code_paths(folder),
                                 protect=sorted({ROOT, COURSE, Path(folder)}))
        if self.plan.uid is not None:  # the student's code may write only here
            os.chown(self.workdir, self.plan.uid, self.plan.gid)
        self.events = EventFile(self.workdir / ".events") if _events_in_a_file() else EventPipe()
        env = dict(os.environ)
        env.update(
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            **self.events.child_env,
            GRADER_STACKS=str(self.stacks_path),
            GRADER_TARGET=str(folder),
            GRADER_COURSE=str(COURSE),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONUNBUFFERED="1",
            MALLOC_ARENA_MAX="2",  # threads still start under the memory limit (grader/sandbox.py)
            HOME=str(self.workdir),
            TMPDIR=str(self.workdir),
            **self.plan.env,
        )
        env.pop("PYTEST_ADDOPTS", None)
        args = nodeids if nodeids else [str(topic.suite)]
        cmd = [
            sys.executable, "-m", "pytest", *args,
            "-p", "grader.plugin", "-p", "no:timeout", "-p", "no:cacheprovider",
            "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(COURSE),
            "--target", str(folder),
            "-q", "--no-header", "-rN",
            # -v shows pytest's own report, captured output included (capped by _tail)
            *(["--tb=short", "--show-capture=all"] if verbose else ["--tb=no", "--show-capture=no"]),
        ]
        with open(self.out_path, "wb") as out, _live_lock:
            self.proc = subprocess.Popen(
                self.plan.wrap(cmd), cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, pass_fds=self.events.pass_fds, start_new_session=True,
            )
            _live.add(self.proc.pid)
        self.events.started()

    def watch(self, wall_deadline: float) -> Attempt:
        att = Attempt()
        buf = b""
        phase_deadline = time.monotonic() + STARTUP
        cpu_mark = (time.monotonic(), 0.0)
        try:
            while True:
                now = time.monotonic()
                deadline = min(phase_deadline, wall_deadline)
                if now >= deadline:
                    att.killed_for = "wall" if wall_deadline <= phase_deadline else "deadline"
                    cpu = procs.cpu_seconds(self.proc.pid)
                    att.busy = cpu - cpu_mark[1] > 0.5 * (now - cpu_mark[0])
                    self._kill_with_stacks(att)
                    break
                if self.events.wait(min(0.5, deadline - now)):
                    chunk = self.events.read()
                    if chunk is None:  # EOF: every writer is gone
                        self.proc.wait()
                        break
                    buf += chunk
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        new_deadline = self._event(att, line)
                        if new_deadline is not None:
                            phase_deadline = new_deadline
                            cpu_mark = (time.monotonic(), procs.cpu_seconds(self.proc.pid))
                if self.proc.poll() is not None:
                    rest = self.events.read_all()
                    for line in (buf + rest).split(b"\n"):
                        self._event(att, line)
                    break
        finally:
            procs.kill_group(self.proc.pid)
            if self.proc.poll() is None:
                self.proc.wait()
            sandbox.release(self.plan)
            with _live_lock:
                _live.discard(self.proc.pid)
            att.returncode = self.proc.returncode
            self.events.close()
            att.protected = self.plan.protects and not (self.workdir / sandbox.UNPROTECTED).exists()
            att.output = self._tail(self.out_path)
            if not att.stacks:
                att.stacks = self._tail(self.stacks_path)
            shutil.rmtree(self.workdir, ignore_errors=True)
        return att

    def _event(self, att: Attempt, line: bytes):
        """Apply one event; return a new phase deadline when a phase starts."""
        if not line.strip():
            return None
        try:
            ev = json.loads(line)
        except ValueError:
            return None
        kind = ev.get("e")
        limit = self.topic.timeout + self.topic.grace
        if kind == "collected":
            att.collected = ev["tests"]
            return time.monotonic() + limit
        if kind == "collect_error":
            att.collect_errors.append(ev.get("message", ""))
        elif kind == "importing":
            att.importing = ev["topic"]
            return time.monotonic() + limit
        elif kind == "imported":
            att.importing = None  # a failed import is reported again by every test
            return time.monotonic() + limit
        elif kind == "start":
            att.current = ev["nodeid"]
            return time.monotonic() + limit
        elif kind == "hang":
            att.hangs[ev["nodeid"]] = ev
        elif kind == "result":
            att.results[ev["nodeid"]] = ev
            att.current = None
            return time.monotonic() + limit
        elif kind == "restart":
            att.restart = True
        elif kind == "done":
            att.done = True
        return None

    def _kill_with_stacks(self, att: Attempt) -> None:
        if hasattr(signal, "SIGUSR1"):
            try:
                size = self.stacks_path.stat().st_size if self.stacks_path.exists() else 0
                os.kill(self.proc.pid, signal.SIGUSR1)
                end = time.monotonic() + STACKS_WAIT
                while time.monotonic() < end:
                    if self.stacks_path.exists() and self.stacks_path.stat().st_size > size:
                        time.sleep(0.05)  # let faulthandler finish writing every thread
                        break
                    time.sleep(0.01)
            except (ProcessLookupError, OSError):
                pass
        att.stacks = self._tail(self.stacks_path)
        procs.kill_group(self.proc.pid)

    @staticmethod
    def _tail(path: Path) -> str:
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - OUTPUT_CAP))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        if size > OUTPUT_CAP:
            text = f"[… {size - OUTPUT_CAP} earlier bytes of output cut]\n" + text
        return text


def _code_paths(folder: Path) -> list[Path]:
    """What the child must be able to read, were it to run as another user."""
    import importlib.util

    pytest_dir = Path(importlib.util.find_spec("pytest").origin).parent
    paths = {Path(sys.executable).resolve(), Path(sys.prefix), Path(sys.base_prefix),
             pytest_dir, ROOT, COURSE, Path(folder)}
    return sorted(paths)


def _hard_hang_result(topic: Topic, att: Attempt, folder: Path) -> tuple[Verdict, str, str]:
    """Verdict for the test that was running when the child was killed or died."""
    nodeid = att.current
    where = diagnose.student_frames_text(att.stacks, str(folder))
    where_text = ("\nWhere your code was:\n  " + "\n  ".join(where)) if where else ""
    if att.killed_for:
        if nodeid in att.hangs:  # the alarm fired, but the test still did not end
            hang = att.hangs[nodeid]
            return (Verdict(hang["verdict"]), hang["kind"],
                    hang["message"] + f"\nAfter its time-out the test still had not stopped "
                    f"{topic.grace:.0f} s later (a bare `except:` that swallows it, or a call that "
                    "cannot be interrupted), so it was killed.")
        if att.busy:
            return (Verdict.TIMEOUT, "busy loop",
                    f"The test did not finish within {topic.timeout:.0f} s and the process kept the CPU "
                    "busy without ever letting the time-out through: a loop that never ends, "
                    "inside a long computation or with the time-out swallowed." + where_text)
        return (Verdict.TIMEOUT, "timeout",
                f"The test did not finish within {topic.timeout:.0f} s and did not respond, "
                "so it was killed." + where_text)
    code = att.returncode
    if hasattr(signal, "SIGXCPU") and code == -signal.SIGXCPU:
        return (Verdict.TIMEOUT, "busy loop",
                "The test process used up its CPU time (several minutes of computing): a loop "
                "that never ends, perhaps in a process or thread your code started." + where_text)
    how = (f"was killed by signal {_signal_name(code)}" if code is not None and code < 0
           else f"exited with code {code}")
    return (Verdict.CRASHED, "process died",
            f"The test process {how} in the middle of the test: something called os._exit() "
            "or sys.exit() from a thread, or crashed the interpreter. Graded tests must return "
            "normally." + where_text)


def grade(topic: Topic, folder: Path, verbose: bool = False) -> TopicResult:
    """Run the topic's suite against the modules in `folder`; never raises for student code.

    Raises GraderError only when the suite itself cannot start.
    """
    started = time.monotonic()
    sandbox.clean_stale_cgroups()
    missing = missing_requirements(topic)
    if missing:
        return TopicResult(
            topic.id, topic.title, 0.0, duration=time.monotonic() - started,
            unavailable=(f"needs {', '.join(missing)}, which is not installed: "
                         f"`python -m pip install -e \".[green]\"` adds it. Until then this topic "
                         "is left out of your maximum score."))
    wall_deadline = started + topic.wall_limit
    result = TopicResult(topic.id, topic.title, topic.points)
    order: list[dict] = []
    verdicts: dict[str, tuple] = {}  # nodeid -> (verdict, kind, message, duration)
    pending: list[str] | None = None
    before = procs.children()
    files_before = sandbox.fingerprint(COURSE, ROOT / "grader")
    outputs = []
    protected = True
    while True:
        child = Child(topic, folder, [str(COURSE / n) for n in pending] if pending else None, verbose)
        att = child.watch(wall_deadline)
        with _live_lock:
            procs.reap_new_children(before, keep=_live)
        outputs.append(att.output)
        protected = protected and att.protected
        if not order:
            order = att.collected
            if not order:
                detail = "\n".join(att.collect_errors) or att.output[-3000:]
                raise GraderError(f"the suite for '{topic.id}' did not start:\n{detail}")
        for nodeid, ev in att.results.items():
            verdicts[nodeid] = (Verdict(ev["verdict"]), ev.get("kind", ""), ev.get("message", ""),
                                ev.get("duration", 0.0))
        if att.done:
            break
        if att.importing is not None:  # the import itself hung or ended the process
            verdict, kind, message = _hard_hang_result(topic, att, folder)
            head, sep, where = message.partition("\nWhere your code was:")
            if att.killed_for:
                kind = "hang at import"
                message = ("Importing your module never finished, even after its time-out: code at "
                           "module level runs on import. Put demos and server loops under "
                           "`if __name__ == \"__main__\":`." + sep + where)
            else:
                message = "Importing your module ended the test process. " + message
            for t in order:
                verdicts.setdefault(t["nodeid"], (verdict, kind, diagnose.cap(message), 0.0))
            break
        progressed = bool(att.results) or att.current is not None
        if att.current is not None and not att.restart:
            verdict, kind, message = _hard_hang_result(topic, att, folder)
            elapsed = topic.timeout + topic.grace if att.killed_for else 0.0
            verdicts[att.current] = (verdict, kind, diagnose.cap(message), elapsed)
        pending = [t["nodeid"] for t in order if t["nodeid"] not in verdicts]
        if not pending or att.killed_for == "wall" or time.monotonic() >= wall_deadline:
            break
        if not progressed:  # the process keeps dying between tests: give up on the rest
            verdict, kind, message = _hard_hang_result(topic, att, folder)
            for nodeid in pending:
                verdicts[nodeid] = (verdict, kind, diagnose.cap(message), 0.0)
            break
    for t in order:
        verdict, kind, message, duration = verdicts.get(
            t["nodeid"],
            (Verdict.TIMEOUT, "not run", f"Not run: the topic used up its {topic.wall_limit:.0f} s.", 0.0),
        )
        if verdict not in (Verdict.PASSED, Verdict.NOT_STARTED):
            message = with_section(topic, message)
        result.tests.append(TestResult(name=t["name"], status=verdict, score=0.0, max_score=0.0,
                                       message=message, duration=duration, nodeid=t["nodeid"], kind=kind))
    if not protected:
        _refuse_if_files_changed(result, files_before)
    _score(topic, result)
    result.duration = time.monotonic() - started
    result.output = "\n".join(o for o in outputs if o)
    return result


def with_section(topic: Topic, message: str) -> str:
    """Every failure names the section of the notes to revisit (if its message does not yet)."""
    sections = re.findall(r"\b\d+\.\d+\b", topic.seed)
    if not sections or any(section in message for section in sections):
        return message
    return f"{message.rstrip()}\nRevisit notes {topic.seed}: {topic.concept}."


def _refuse_if_files_changed(result: TopicResult, before: dict) -> None:
    """No score for a topic whose code rewrote the files that grade it."""
    changes = sandbox.changed(before, sandbox.fingerprint(COURSE, ROOT / "grader"), COURSE)
    if not changes:
        return
    message = ("While this topic was graded, files of the course itself were written: "
               f"{', '.join(changes[:5])}{' ...' if len(changes) > 5 else ''}. Graded code may write "
               "only in its working directory (the current directory, or the tempfile module). "
               "This topic scores nothing; restore the course's files (`git checkout -- tests "
               "grader manifest.toml`, and delete new files) and grade again.")
    for t in result.tests:
        t.status, t.kind, t.message = Verdict.ERROR, "wrote outside", message


def missing_requirements(topic: Topic) -> list[str]:
    """The topic's optional modules that the graded interpreter cannot import.

    Checked in a separate interpreter, so nothing (gevent!) is imported here.
    """
    missing = []
    for module in topic.requires:
        proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=STARTUP)
        if proc.returncode != 0:
            missing.append(module)
    return missing


SCORE_UNIT = 64  # test scores are whole multiples of 1/64 of a point


def apportion(points: float, weights: list[float]) -> list[float]:
    """Split `points` over tests in proportion to `weights`, exactly.

    Each share is a whole number of 1/64 points (largest remainder), so the
    shares add up to `points` exactly in binary floating point: Python's sum,
    the JSON file and GitHub Classroom's reporter (JavaScript) all agree to the
    last digit, whatever the weights.
    """
    units = round(points * SCORE_UNIT)
    total = sum(weights)
    if not weights or total <= 0:
        return [0.0] * len(weights)
    raw = [units * w / total for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in by_remainder[: units - sum(shares)]:
        shares[i] += 1
    return [share / SCORE_UNIT for share in shares]


def _score(topic: Topic, result: TopicResult) -> None:
    shares = apportion(topic.points, [topic.weight(t.name) for t in result.tests])
    for t, share in zip(result.tests, shares):
        t.max_score = share
        t.score = share if t.status is Verdict.PASSED else 0.0
