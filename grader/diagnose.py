"""Turn what went wrong into a verdict and a sentence a student can act on.

    classify(exc)         exception of a failed test -> (Verdict, kind, message)
    describe_hang(...)    why a test is still running when its time is up:
                          deadlock, waiting for a lock, blocked in socket I/O,
                          busy loop, or just waiting; with the student's frames
    student_frames_text   the student's lines in a faulthandler dump (hard hangs)

Only the student's own frames are shown: pytest's and the grader's are noise.
"""
from __future__ import annotations

import errno
import linecache
import os
import re
import sys
import threading
import traceback


from grader import locktrack, target
from grader.results import Verdict
from builtins import open as _open  # bound at import: student code may patch builtins

MAX_MESSAGE = 1500
CUT_NOTE = " … (message cut; run `python -m grader -v TOPIC` for everything)"
_SOCKET_CALLS = re.compile(
    r"\.(recv|recv_into|recvfrom|accept|connect|sendall|send|sendto|readline|read|makefile)\("
)
_SOCKET_FILES = ("socket.py", "selectors.py", "ssl.py", "socketserver.py")


class GraderTimeout(BaseException):
    """Raised by the grader's alarm in a test that ran out of time.

    A BaseException, so `except Exception:` in student code does not swallow it.
    """


class Stuck(AssertionError):
    """Worker threads outlived a test's bound (raised by tests/support/threads.py):
    graded as a time-out, with where the threads were."""


def cap(text: str, limit: int = MAX_MESSAGE) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + CUT_NOTE


def _chain(exc: BaseException):
    """`exc`, its causes and contexts, and the members of exception groups (pytest
    groups several thread exceptions into one), depth first."""
    seen = set()
    stack = [exc]
    while stack:
        exc = stack.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        if not exc.__suppress_context__:  # `raise ... from None` hides the context on purpose
            stack.append(exc.__context__)
        stack.append(exc.__cause__)
        stack.extend(reversed(getattr(exc, "exceptions", None) or ()))


def _student_tb_frames(exc: BaseException):
    return [fs for fs in traceback.extract_tb(exc.__traceback__) if target.is_student_file(fs.filename)]


def _at(fs) -> str:
    line = (fs.line or "").strip()
    return f"{os.path.basename(fs.filename)}:{fs.lineno} in {fs.name}()" + (f": `{line}`" if line else "")


def _first_line(text: str) -> str:
    """An assertion's own message, without pytest's rewritten `assert a == b` detail."""
    text = str(text)
    cut = text.find("\nassert ")
    return text[:cut] if cut > 0 else text


def classify(exc: BaseException, phase: str = "call") -> tuple[Verdict, str, str]:
    """(verdict, kind, message) for the exception that failed a test."""
    chain = list(_chain(exc))
    findings = locktrack.reports()
    deadlocks = [f for f in findings if f.deadlock]
    for e in chain:
        if isinstance(e, locktrack.DeadlockError) or deadlocks:
            text = "\n".join(f.text for f in deadlocks + [f for f in findings if not f.deadlock]) or str(e)
            kind = deadlocks[0].kind if deadlocks else "deadlock"
            return Verdict.DEADLOCK, kind, cap(text)
    verdict, kind, message = _classify(chain, exc, phase)
    misuses = [f for f in findings if not f.deadlock]
    if misuses and verdict is not Verdict.NOT_STARTED:
        # A misuse of a Condition or Semaphore (locktrack) is the cause to fix first.
        text = "\n".join(f.text for f in misuses)
        if not any(isinstance(e, locktrack.MisuseError) for e in chain):
            text += f"\nWhat the test saw ({verdict.words}): {message}"
        return Verdict.FAILED, misuses[0].kind, cap(text)
    return verdict, kind, message


def _classify(chain, exc, phase) -> tuple[Verdict, str, str]:
    for e in chain:
        if isinstance(e, GraderTimeout):
            return Verdict.TIMEOUT, getattr(e, "kind", "timeout"), cap(str(e))
        if isinstance(e, Stuck):
            return Verdict.TIMEOUT, "stuck threads", cap(str(e))
    for e in chain:
        if isinstance(e, NotImplementedError):
            frames = _student_tb_frames(e)
            where = f" ({_at(frames[-1])})" if frames else ""
            name = frames[-1].name if frames else "a function"
            return (Verdict.NOT_STARTED, "not started",
                    f"{name}() still raises NotImplementedError{where}: this part is not written yet.")
    for e in chain:
        if isinstance(e, target.StudentImportError):
            cause = e.__cause__
            if isinstance(cause, GraderTimeout):
                return Verdict.TIMEOUT, "hang at import", cap(str(cause))
            if isinstance(cause, SyntaxError):
                return Verdict.ERROR, "syntax error", cap(_syntax(cause))
            if cause is not None:
                return Verdict.ERROR, "import error", cap(_import_error(cause))
            return Verdict.ERROR, "import error", cap(str(e))
    if isinstance(exc, SyntaxError):
        return Verdict.ERROR, "syntax error", cap(_syntax(exc))
    for e in chain:
        if isinstance(e, ResourceWarning):
            return Verdict.FAILED, "resource leak", cap(_resource(str(e)))
    if isinstance(exc, AssertionError) or _is_pytest_fail(exc):
        text = _first_line(exc.args[0] if exc.args else exc)
        if phase == "teardown":
            return Verdict.FAILED, "after the test", cap(text)
        return Verdict.FAILED, "wrong result", cap(text or "an assertion failed")
    return Verdict.ERROR, "exception", cap(_exception(chain))


def _is_pytest_fail(exc: BaseException) -> bool:
    """pytest.fail()'s exception, without importing pytest in the grader's own process."""
    pytest = sys.modules.get("pytest")
    return pytest is not None and isinstance(exc, pytest.fail.Exception)


def _resource(text: str) -> str:
    if "subprocess" in text:
        return (f"Your code started a process and never waited for it ({text}). "
                "Call wait() or join() on every process you start, also when something fails.")
    if "unclosed" in text and "socket" in text:
        return (f"A socket was never closed: {text}. Close every socket you open "
                "(`with socket.socket() as s:` or try/finally), including the server's copies.")
    return (f"Python warned that a resource was never released: {text}. It must be closed "
            "(or shut down) before your code returns, also when something fails.")


def _syntax(exc: SyntaxError) -> str:
    where = f"{os.path.basename(exc.filename or '?')}:{exc.lineno}"
    line = (exc.text or "").strip()
    return (f"SyntaxError in {where}: {exc.msg}" + (f": `{line}`" if line else "")
            + ". Python could not read the file, so none of its tests could run.")


def _import_error(exc: BaseException) -> str:
    frames = _student_tb_frames(exc)
    where = f" at {_at(frames[-1])}" if frames else ""
    if isinstance(exc, SyntaxError):
        return _syntax(exc)
    if isinstance(exc, SystemExit):
        return (f"Importing your module called sys.exit({exc.code!r}){where}. Code at module level "
                "runs on import: put demos under `if __name__ == \"__main__\":`.")
    advice = ""
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        advice = (" A fixed port may already be taken (by another program, or by a second copy "
                  "of your own server): bind port 0 and let the system choose, and start servers "
                  "from a function, never at import.")
    return (f"Importing your module raised {type(exc).__name__}: {exc}{where}. "
            "Code at module level runs on import: put demos under `if __name__ == \"__main__\":`."
            + advice + _limit_note([exc]))


def _limit_note(chain) -> str:
    """Why an exception came from one of the grader's limits (grader/sandbox.py), if it did."""
    mib = lambda name: int(os.environ.get(name, "0")) >> 20  # noqa: E731
    for e in chain:
        if isinstance(e, MemoryError) and os.environ.get("GRADER_LIMIT_MEMORY"):
            return (f" Each topic may use {mib('GRADER_LIMIT_MEMORY')} MiB of memory: something "
                    "asked for more (a huge string or list, or one that grows in a loop).")
        if isinstance(e, OSError) and e.errno == errno.EFBIG and os.environ.get("GRADER_LIMIT_FSIZE"):
            return (f" A file may grow to {mib('GRADER_LIMIT_FSIZE')} MiB, and that includes what "
                    "your code prints: something wrote far more than that (a print in a loop?).")
        if (isinstance(e, OSError) and e.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
                and e.filename and os.environ.get("GRADER_LIMIT_FSIZE")):
            return (" Graded code may write only in its working directory (the current "
                    "directory when the tests run, or the tempfile module): the course's own "
                    "files are read-only while it is graded.")
        if ((isinstance(e, BlockingIOError) or (isinstance(e, RuntimeError)
             and "can't start new thread" in str(e))) and os.environ.get("GRADER_LIMIT_TASKS")):
            return (f" A topic may start {os.environ['GRADER_LIMIT_TASKS']} threads and processes: "
                    "your code started more (threads or processes created in a loop that never "
                    "ends, or never joined?).")
    return ""


def _exception(chain) -> str:
    return _exception_text(chain) + _limit_note(chain)


def _exception_text(chain) -> str:
    # The most specific student frame across the chain (a thread's exception is the cause).
    for e in chain:
        frames = _student_tb_frames(e)
        if frames:
            return f"Your code raised {type(e).__name__}: {e} at {_at(frames[-1])}."
    e = chain[-1]
    if isinstance(e, SystemExit):
        return f"sys.exit({e.code!r}) was called during the test."
    return f"{type(e).__name__}: {e}"


# -- hangs --------------------------------------------------------------------
def _frames_of(frame):
    """Student frames of one thread, innermost first, and the innermost frame overall."""
    out = []
    innermost = frame
    while frame is not None:
        if target.is_student_file(frame.f_code.co_filename):
            out.append(frame)
        frame = frame.f_back
    return out, innermost


def _line(frame) -> str:
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} in {frame.f_code.co_name}()"
    return where + (f": `{text}`" if text else "")


def where_threads(threads) -> list[str]:
    """Where each of `threads` is in the student's code right now (for stuck workers)."""
    frames = sys._current_frames()
    out = []
    for thread in threads:
        frame = frames.get(thread.ident)
        student = _frames_of(frame)[0] if frame is not None else []
        if student:
            out.append(f"thread '{thread.name}' is at {_line(student[0])}")
    return out


def thread_cpu() -> dict[int, float]:
    """native thread id -> CPU seconds, from /proc (empty elsewhere)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with _open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return out


def describe_hang(seconds: float, main_frame, cpu_before: dict, cpu_total: float) -> tuple[Verdict, str, str]:
    """Why the test is still running after `seconds`: (verdict, kind, message)."""
    names = {t.ident: t for t in threading.enumerate()}
    frames = sys._current_frames()
    frames[threading.main_thread().ident] = main_frame
    cpu_after = thread_cpu()
    lines, kinds = [], []
    for ident, frame in frames.items():
        thread = names.get(ident)
        if thread is None:
            continue
        student, innermost = _frames_of(frame)
        if not student:
            continue
        label = "the test's thread" if thread is threading.main_thread() else f"thread '{thread.name}'"
        spent = cpu_after.get(thread.native_id, 0.0) - cpu_before.get(thread.native_id, 0.0)
        text = _line(student[0])
        if spent > 0.1 * seconds:  # a blocked call uses none; a spinning thread on a loaded machine gets little
            kinds.append("busy loop")
            lines.append(f"{label} kept the CPU busy ({spent:.1f} s of CPU) at {text}")
        elif (os.path.basename(innermost.f_code.co_filename) in _SOCKET_FILES
              or _SOCKET_CALLS.search(linecache.getline(student[0].f_code.co_filename, student[0].f_lineno))):
            call = _SOCKET_CALLS.search(linecache.getline(student[0].f_code.co_filename, student[0].f_lineno))
            what = f"`{call.group(1)}()`" if call else "a socket call"
            kinds.append("blocked in socket I/O")
            lines.append(f"{label} is blocked in {what}, which never returned: {text}")
        else:
            kinds.append("waiting")
            lines.append(f"{label} is waiting at {text}")
    waits = locktrack.waits()
    findings = [f for f in locktrack.reports() if f.deadlock]  # misuses: see classify()
    if findings:
        return Verdict.DEADLOCK, findings[0].kind, cap("\n".join(f.text for f in findings))
    head = f"The test did not finish within {seconds:.0f} s."
    if waits:
        kind = "waiting for a lock"
        advice = ("Some thread waits for a lock that is never released: " + "; ".join(waits)
                  + ". Release every lock you take (use `with lock:`), also when an exception is raised.")
    elif "busy loop" in kinds:
        kind = "busy loop"
        advice = ("Your code spins without waiting: a `while` loop that never blocks or ends. "
                  "Wait on the thing you need (a socket call, Event.wait(), Condition.wait()) instead.")
        if any("recv" in line for line in lines):
            advice += (" If the loop calls recv(): once the peer has closed, recv() returns b'' at "
                       "once, every time; check for b'' and stop.")
    elif "blocked in socket I/O" in kinds:
        kind = "blocked in socket I/O"
        text = " ".join(lines)
        if "`accept()`" in text:
            advice = ("accept() waits for a connection that never comes, or the clients that came "
                      "are waiting for a server busy with someone else: give every accepted "
                      "connection a thread of its own, and wake accept() when stopping.")
        elif "`recv" in text or "`readline()`" in text:
            advice = ("A read waits for bytes the other side never sends, or for a close that never "
                      "comes. Check the protocol: does each side send exactly what the other reads "
                      "(a whole frame, a newline)? Is one client held up by another?")
        else:
            advice = ("A socket call waits for bytes (or a connection) that never come. Check the "
                      "protocol: does each side send what the other waits for? Is a thread needed "
                      "per connection?")
    elif lines:
        kind = "waiting"
        advice = "Your code waits for something that never happens (a join(), a queue, an event)."
    else:
        kind = "too slow"
        advice = "None of your code was running at that moment: it may simply be too slow, or the test waits for a thread that already ended."
        if cpu_total > 0.5 * seconds:
            kind, advice = "busy loop", "The CPU was busy the whole time: look for a loop that never ends."
    where = ("\nWhere your code was:\n  " + "\n  ".join(lines[:6])) if lines else ""
    return Verdict.TIMEOUT, kind, cap(f"{head} {advice}{where}")


_DUMP_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def student_frames_text(dump: str, folder: str) -> list[str]:
    """Student lines from a faulthandler dump, one per thread, innermost first."""
    out = []
    for block in dump.split("\n\n"):
        for m in _DUMP_LINE.finditer(block):
            path = m.group("file")
            if os.path.dirname(os.path.abspath(path)) == os.path.abspath(folder):
                text = linecache.getline(path, int(m.group("line"))).strip()
                out.append(f"{os.path.basename(path)}:{m.group('line')} in {m.group('func')}()"
                           + (f": `{text}`" if text else ""))
                break
    return out
