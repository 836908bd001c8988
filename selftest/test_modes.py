"""Watch mode (`--watch`) and stress mode (`--repeat N`) of `python -m grader`.

Watch mode runs in a subprocess on a temporary submission of one fast topic:
its output is read line by line with a bound, and every step waits for the
line (or the connection) that says the previous one happened. Stress mode is
graded through the real command line, plus the pass-rate arithmetic on
made-up results.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader import stress, watch
from grader.manifest import ROOT
from grader.results import Run, TopicResult, Verdict
from grader.results import TestResult as Result  # not a test class
from helpers import GRADE_BOUND, by_name, grade, processes_matching
from test_json_schema import _validate

TOPIC = "ip_addresses"  # the fastest suite: no sockets, no threads
LINE_BOUND = 120        # seconds to wait for one expected line of the watcher (a grading)
EXIT_BOUND = 30         # seconds for the watcher to exit after Ctrl-C

HANGING = '''\
"""Every function of this module connects to the test, then waits for ever."""
import os
import socket


def _hang(*args, **kwargs):
    conn = socket.create_connection(("127.0.0.1", int(os.environ["MODES_TEST_PORT"])), timeout=5)
    conn.settimeout(None)
    conn.recv(1)  # the test never sends: only the grader (or Ctrl-C) ends this


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _hang
'''




class Watcher:
    """`python -m grader --watch --submission DIR TOPIC`, read line by line with bounds."""

    def __init__(self, folder: Path, env: dict | None = None):
        self.folder = folder
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        full_env = dict(os.environ, NO_COLOR="1", **(env or {}))
        full_env.pop("GRADER_COURSE", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader", "--watch", "--submission", str(folder), TOPIC],
            cwd=ROOT, env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, text: str, bound: float = LINE_BOUND) -> str:
        """Read lines until one contains `text`; fail after `bound` seconds or at EOF."""
        try:
            while True:
                line = self._queue.get(timeout=bound)
                if line is None:
                    break
                self.lines.append(line)
                if text in line:
                    return line
        except queue.Empty:
            pass
        pytest.fail(f"the watcher never printed {text!r}; its output so far:\n" + "\n".join(self.lines))

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=EXIT_BOUND)
        self._reader.join(timeout=EXIT_BOUND)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return code

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=EXIT_BOUND)
        self.proc.stdout.close()


@pytest.fixture(autouse=True)
def _keep_watch_cache():
    """The watcher remembers topics at full marks in .grader/watch.json: leave it as it was."""
    before = watch.CACHE.read_bytes() if watch.CACHE.exists() else None
    yield
    if before is None:
        watch.CACHE.unlink(missing_ok=True)
    else:
        watch.CACHE.write_bytes(before)


@pytest.fixture
def submission(tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    shutil.copy(ROOT / "exercises" / f"{TOPIC}.py", folder / f"{TOPIC}.py")
    return folder


def test_watch_regrades_the_saved_file_and_stops_on_ctrl_c(submission):
    watcher = Watcher(submission)
    try:
        first = watcher.expect(f"] {TOPIC}")
        assert "not started" in first, first
        watcher.expect("Watching")
        shutil.copy(ROOT / "solutions" / f"{TOPIC}.py", submission / f"{TOPIC}.py")  # the "save"
        watcher.expect(f"{TOPIC}.py changed: grading {TOPIC}")
        again = watcher.expect(f"] {TOPIC}")
        assert "passed" in again and "10/10" in again, again
        watcher.expect(f"{TOPIC} is at full marks")
        watcher.expect("Watching")
        assert watcher.interrupt() == 0, "\n".join(watcher.lines)
    finally:
        watcher.close()
    assert "Stopped watching." in watcher.lines
    assert processes_matching(str(submission)) == []


def test_ctrl_c_while_grading_kills_the_suite_and_exits_0(submission):
    (submission / f"{TOPIC}.py").write_text(HANGING, encoding="utf-8")
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(LINE_BOUND)
        watcher = Watcher(submission, env={"MODES_TEST_PORT": str(server.getsockname()[1])})
        try:
            conn, _ = server.accept()  # a test of the suite is running the student's code now
            with conn:
                assert watcher.interrupt() == 0, "\n".join(watcher.lines)
                conn.settimeout(EXIT_BOUND)
                assert conn.recv(1) == b"", "the suite's process still holds its connection"
        finally:
            watcher.close()
    assert "Stopped watching." in watcher.lines
    assert processes_matching(str(submission)) == []


def test_watch_regrades_only_the_topic_saved(tmp_path, monkeypatch):
    """In-process, with the grading replaced: a save regrades that topic alone."""
    from grader import manifest
    course = manifest.load()
    topics = [course.get(TOPIC), course.get("http_client")]
    for topic in topics:
        (tmp_path / f"{topic.id}.py").write_text("# start\n", encoding="utf-8")
    graded = []

    def fake_grade(topic, folder, verbose):
        graded.append(topic.id)
        return TopicResult(topic.id, topic.title, topic.points, tests=[
            Result("test_x", Verdict.PASSED, topic.points, topic.points)])

    monkeypatch.setattr(stress, "grade_one", fake_grade)
    monkeypatch.setattr(watch, "CACHE", tmp_path / "cache" / "watch.json")
    monkeypatch.setattr(watch.procs, "become_subreaper", lambda: False)  # not the test runner
    watching = threading.Event()
    stop = threading.Event()

    class Out:
        def write(self, text):
            if "Watching" in text:
                watching.set()

        def flush(self):
            pass

    args = SimpleNamespace(topics=[t.id for t in topics], verbose=False)

    done = []
    thread = threading.Thread(target=lambda: done.append(
        watch.run(tmp_path, topics, args, Out(), course=course, stop=stop, poll=0.05, settle=0.1,
                  max_rounds=1)))
    thread.start()
    try:
        assert watching.wait(GRADE_BOUND)
        assert graded == [TOPIC, "http_client"]  # both graded on start
        (tmp_path / "http_client.py").write_text("# saved, and longer\n", encoding="utf-8")
    except BaseException:
        stop.set()
        raise
    finally:
        thread.join(GRADE_BOUND)
    assert not thread.is_alive() and done == [0]
    assert graded == [TOPIC, "http_client", "http_client"]


def test_repeat_solutions_pass_every_time(tmp_path):
    run = grade("--solutions", "--repeat", "2", TOPIC, tmp=tmp_path)
    assert run["exit_code"] == 0, run["stdout"] + run["stderr"]
    assert run["repeat"] == 2 and run["topics"][0]["runs"] == 2
    assert run["topics"][0]["full_marks_runs"] == 2
    tests = by_name(run, TOPIC)
    assert all(t["passes"] == 2 and t["pass_rate"] == 1 and not t["flaky"] for t in tests.values())
    assert "2/2 = 100%" in run["stdout"] and "Every test passed in all 2 runs." in run["stdout"]
    _validate(run)  # the usual schema still holds: the new keys only add to it


def test_repeat_stub_always_fails(tmp_path):
    run = grade("--repeat", "2", "-j", "2", TOPIC, tmp=tmp_path)
    assert run["exit_code"] == 1, run["stdout"] + run["stderr"]
    tests = by_name(run, TOPIC)
    assert all(t["passes"] == 0 and t["pass_rate"] == 0 and t["status"] == "not_started"
               for t in tests.values())
    assert run["score"] == 0
    assert "0/2 = 0%  not started" in run["stdout"] and "Always fails" in run["stdout"]


def _result(passed: bool) -> TopicResult:
    return TopicResult(TOPIC, "t", 10.0, tests=[
        Result("test_steady", Verdict.PASSED, 5.0, 5.0, nodeid="t::test_steady"),
        Result("test_racy", Verdict.PASSED if passed else Verdict.FAILED, 5.0 if passed else 0.0,
                   5.0, message="" if passed else "lost an update", nodeid="t::test_racy")])


def test_a_test_that_passes_only_sometimes_is_flaky():
    from grader import manifest, report
    ts = stress.TopicStats(manifest.load().get(TOPIC))
    for passed in (True, False, True):
        ts.add(_result(passed))
    racy = ts.tests["t::test_racy"]
    assert racy.flaky and not racy.always_fails and racy.rate_text() == "2/3 = 66%"
    assert not ts.every_time(3)
    combined = ts.combined(3)
    assert [t.status for t in combined.tests] == [Verdict.PASSED, Verdict.FAILED]
    assert combined.score == 5.0 and "lost an update" in combined.tests[1].message
    data = stress.combined_json(Run("x", [combined]), [ts], 3)
    racy_json = data["topics"][0]["tests"][1]
    assert (racy_json["runs"], racy_json["passes"], racy_json["pass_rate"], racy_json["flaky"]) == (
        3, 2, 0.6667, True)
    json.dumps(data)
    text = "\n".join(stress.summary([ts], 3, report.Style(None), verbose=False))
    assert "2/3 = 66%  flaky" in text
    assert "has a race: it will fail for your instructor too" in text
