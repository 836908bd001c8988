"""greenlet and gevent (9.25 5 协程): explicit switches, then switches on I/O.

This topic needs the optional extra (python -m pip install -e ".[green]");
without gevent and greenlet the suite is skipped.

- ping_pong() runs in this process: greenlet switching stays inside the call.
  greenlet.settrace() records every switch, so the test sees that the two
  greenlets really handed control to each other, and that both were dead at
  the end (a greenlet left paused in its last switch() never finishes).
- crawl() calls gevent's monkey.patch_all(), which changes the whole process
  (sockets, threads, time.sleep): done inside pytest it poisons every later
  test. So crawl() runs in a fresh Python started by the test (RUNNER below),
  bounded by SUB_BOUND; it imports the student's module from GRADER_TARGET and
  prints its results as JSON. The test's HTTPServer (in this process) holds
  every answer until all requests wait at once (CountingGate), and its
  peak_in_flight proves that the requests were concurrent.
- Importing the module must not patch anything: checked in this process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from grader import target
from support.http import GIVE_UP, CountingGate, HTTPServer, Response
from support.net import BOUND, refused_port

greenlet = pytest.importorskip("greenlet", reason='needs the extra: python -m pip install -e ".[green]"')
pytest.importorskip("gevent", reason='needs the extra: python -m pip install -e ".[green]"')

TOPIC = "green_threads"

SEE = "See 9.25 5 协程 (greenlet, gevent)"
SUB_BOUND = 8.0  # seconds for the child Python: start, import gevent, crawl (under the 10 s limit)
MARK = "@@RESULT@@ "




# --- ping-pong ------------------------------------------------------------------------------

def traced_ping_pong(mod, rounds):
    """ping_pong(rounds), with every greenlet switch recorded: (log, switches, greenlets)."""
    switches, seen = [], []

    def trace(event, args):
        if event in ("switch", "throw"):
            origin, target_ = args
            switches.append((origin, target_))
            for g in (origin, target_):
                if g not in seen:
                    seen.append(g)

    main = greenlet.getcurrent()
    old = greenlet.settrace(trace)
    try:
        log = mod.ping_pong(rounds)
    finally:
        greenlet.settrace(old)
    others = [g for g in seen if g is not main and g.parent is not None]
    return log, switches, others


def expected_pings(rounds):
    log = []
    for i in range(1, rounds + 1):
        log += [f"ping {i}", f"pong {i}"]
    return log + ["ping done", "pong done"]


def test_ping_pong_alternates_with_switch(mod):
    rounds = 3
    log, switches, others = traced_ping_pong(mod, rounds)
    want = expected_pings(rounds)
    call = f"ping_pong({rounds})"
    if not isinstance(log, list) or log[: 2 * rounds] != want[: 2 * rounds]:
        pytest.fail(f"{call} returned {log!r:.300}; expected the log to start with "
                    f"{want[:2 * rounds]}: ping logs 'ping 1' and switches to pong, pong logs "
                    f"'pong 1' and switches back, and so on (the notes' gr1/gr2 example). "
                    f"{SEE}.", pytrace=False)
    between = [(a, b) for a, b in switches if a in others and b in others]
    assert len(others) >= 2 and len(between) >= 2 * rounds - 1, (
        f"{call} logged the right lines, but greenlet saw {len(switches)} switch(es), only "
        f"{len(between)} of them from one of your greenlets straight to another; expected at "
        f"least {2 * rounds - 1}: ping and pong must be two greenlets (greenlet(ping), "
        f"greenlet(pong)) that hand control to each other with .switch(). {SEE}."
    )


def test_both_greenlets_run_to_the_end(mod):
    for rounds in (2, 0):
        log, switches, others = traced_ping_pong(mod, rounds)
        want = expected_pings(rounds)
        call = f"ping_pong({rounds})"
        alive = [g for g in others if not g.dead]
        assert log == want, (
            f"{call} returned {log!r:.300}; expected {want}."
            + (" 'pong done' is missing: when ping finished, control went back to ping's "
               "PARENT (the greenlet that created it: your ping_pong()), not to pong, which is "
               "still paused inside its last switch(). Switch to pong once more so that it "
               "finishes too." if isinstance(log, list) and "pong done" not in log else "")
            + f" {SEE}."
        )
        assert not alive, (
            f"{call} returned while {len(alive)} of its greenlets were still not finished (not "
            f".dead); every greenlet should have run to its end: a greenlet that is never "
            f"switched back to stays paused forever. {SEE}."
        )


# --- gevent: the crawl runs in a fresh Python ---------------------------------------------

RUNNER = r"""
import json, os, sys, traceback
sys.path.insert(0, os.environ["GRADER_TARGET"])
MARK = "@@RESULT@@ "

def encode(r):
    if isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], (bytes, bytearray)):
        return {"status": r[0], "body": bytes(r[1]).decode("latin-1")}
    if isinstance(r, BaseException):
        return {"exception": type(r).__name__, "text": str(r)[:200],
                "oserror": isinstance(r, OSError)}
    return {"repr": repr(r)[:200]}

out = {}
try:
    import green_threads
    urls, timeout = json.loads(sys.argv[1]), float(sys.argv[2])
    results = green_threads.crawl(urls, timeout)
    for r in (results if isinstance(results, list) else []):
        if isinstance(r, NotImplementedError):  # fetch() unwritten, raised in a greenlet
            raise r
    from gevent import monkey
    out["patched"] = bool(monkey.is_module_patched("socket"))
    out["results"] = ([encode(r) for r in results] if isinstance(results, list)
                      else {"repr": repr(results)[:200]})
except NotImplementedError as exc:
    tb = traceback.extract_tb(exc.__traceback__)
    out["not_implemented"] = ([tb[-1].filename, tb[-1].lineno, tb[-1].name, str(exc)] if tb
                              else ["", 0, "crawl", str(exc)])
except BaseException:
    out["error"] = traceback.format_exc()[-1500:]
sys.stdout.write(MARK + json.dumps(out) + "\n")
sys.stdout.flush()
if "coverage" in sys.modules:  # measured (python -m grader.coverage): save before _exit skips it
    try:
        cov = sys.modules["coverage"].Coverage.current()
        if cov is not None:
            cov.stop()
            cov.save()
    except Exception:
        pass
os._exit(0)
"""


def no_patching_on_import(mod):
    from gevent import monkey

    mod.crawl  # the module is imported (and a missing crawl() is named)
    if monkey.is_module_patched("socket") or monkey.is_module_patched("threading"):
        pytest.fail("Importing green_threads.py monkey-patched this process (gevent's "
                    "monkey.patch_all() ran at import time), but importing a module should "
                    "change nothing. Patching changes every socket and thread of the whole "
                    "program, so only the program's start may do it: call monkey.patch_all() "
                    "inside crawl(), never at module level. (In the notes it is the first line "
                    f"of a script; here the script is crawl().) {SEE}.", pytrace=False)


def reraise_not_implemented(filename: str, lineno: int, name: str, text: str):
    """Raise the child's NotImplementedError here, as if from the student's own line.

    The grader names the student's function and line for a test that is "not
    started" by looking for the student's file in the traceback. The error
    happened in the child process, so rebuild that last frame: a function of
    the same name, compiled with the student's file name and line number.
    """
    if not (filename and lineno > 1 and name.isidentifier() and target.is_student_file(filename)):
        raise NotImplementedError(f"{name}() (in the child process that ran crawl())")
    source = "\n" * (lineno - 2) + f"def {name}(text):\n    raise NotImplementedError(text)\n"
    scope: dict = {}
    exec(compile(source, filename, "exec"), scope)
    scope[name](text)


def run_crawl(urls, timeout, what):
    """crawl(urls, timeout) in a fresh Python; the decoded results (or a failed test)."""
    env = dict(os.environ, GRADER_TARGET=str(target.folder()), PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(urls), str(timeout)],
                              capture_output=True, text=True, timeout=SUB_BOUND, env=env)
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"")
        err = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
        pytest.fail(f"{what} had still not finished after {SUB_BOUND:.0f} s (the test stopped "
                    f"it); it should end within `timeout`. Each request is bounded by `timeout`: pass it to urlopen(url, timeout=...)"
                    f", and gevent.joinall() the greenlets. {SEE}."
                    + (f"\nIts last output: {err.strip()[-600:]}" if err.strip() else ""),
                    pytrace=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        pytest.fail(f"{what} ended (exit code {proc.returncode}) and never gave a result; expected it "
                    f"to return a list. {SEE}. Its output:\n"
                    f"{(proc.stdout + proc.stderr).strip()[-1200:]}", pytrace=False)
    out = json.loads(line[len(MARK):])
    if "not_implemented" in out:
        reraise_not_implemented(*out["not_implemented"])
    if "error" in out:
        pytest.fail(f"{what} raised an exception; expected it to return a list of results. "
                    f"{SEE}.\n{out['error']}", pytrace=False)
    return out


def show(results) -> str:
    """The runner's encoded results, as a student would print them."""
    if not isinstance(results, list):
        return results.get("repr", str(results)) if isinstance(results, dict) else str(results)
    out = []
    for r in results:
        if "status" in r:
            body = r["body"]
            out.append(f"({r['status']}, " + (repr(body.encode("latin-1")) if len(body) <= 12
                                             else f"<{len(body)} bytes>") + ")")
        elif "exception" in r:
            out.append(f"{r['exception']}({r['text']!r})")
        else:
            out.append(r.get("repr", str(r)))
    return "[" + ", ".join(out) + "]"


def test_crawl_fetches_concurrently(mod):
    no_patching_on_import(mod)
    paths = ["/python", "/yahoo", "/github"]
    routes = {p: Response(200, f"page {p}\n".encode() * 20) for p in paths}
    gate = CountingGate(len(paths))
    with HTTPServer(routes, gate=gate) as server:
        urls = [server.url(p) for p in paths]
        out = run_crawl(urls, BOUND, f"crawl(<{len(urls)} URLs>, {BOUND:.0f})")
        peak = server.peak_in_flight
    results = out["results"]
    want = [{"status": 200, "body": f"page {p}\n" * 20} for p in paths]
    if results != want:
        unfinished = isinstance(results, list) and any(r == {"repr": "None"} for r in results)
        pytest.fail(f"crawl() of {paths} returned {show(results)}; expected (200, body) for each "
                    f"URL, in the order of the URLs." + (
                        " None means a greenlet had not finished (its .value is None until it "
                        "has): gevent.joinall(jobs) waits for every greenlet before you read "
                        "job.value." if unfinished else "") + f" {SEE}.", pytrace=False)
    serial = (f"crawl() of {len(paths)} URLs returned the right pages, but the server never had "
              f"more than {peak} request(s) at once (each answer was held back until all "
              f"{len(paths)} requests were waiting; after {GIVE_UP:.0f} s it gave up), but all "
              f"{len(paths)} should be in flight at once: the requests ran one after another. ")
    if peak < len(paths) and not out["patched"]:
        pytest.fail(serial + "The socket module was not monkey-patched: without "
                    "monkey.patch_all(), urlopen() blocks the whole process while it waits, so "
                    "no other greenlet can run ('遇到IO阻塞时会自动切换任务' needs the patch). Call "
                    f"gevent.monkey.patch_all() at the start of crawl(). {SEE}.", pytrace=False)
    assert peak == len(paths), serial + (
        f"Spawn ALL the greenlets first (gevent.spawn), then wait for them together "
        f"(gevent.joinall): joining each one right after spawning it waits for that request "
        f"before the next can start. {SEE}."
    )
    assert out["patched"], (
        f"crawl() returned the right pages, but the socket module was not monkey-patched "
        f"afterwards; it should be: call gevent.monkey.patch_all() at the start of crawl(). {SEE}."
    )


def test_crawl_reports_failures_in_place(mod):
    no_patching_on_import(mod)
    release = threading.Event()

    def slow(head):
        release.wait(BOUND)
        return Response(200, b"too late")

    routes = {"/fast": Response(200, b"fast"), "/slow": slow, "/gone": Response(404, b"gone")}
    timeout = 1.0
    with refused_port() as dead_port, HTTPServer(routes) as server:
        urls = [server.url("/fast"), server.url("/slow"),
                f"http://127.0.0.1:{dead_port}/", server.url("/gone")]
        try:
            out = run_crawl(urls, timeout, f"crawl([/fast, /slow, <refused port>, /gone], "
                                           f"timeout={timeout})")
        finally:
            release.set()
    results = out["results"]
    shown = f"crawl([/fast, /slow, <refused port>, /gone], timeout={timeout})"
    if not isinstance(results, list) or len(results) != 4:
        pytest.fail(f"{shown} returned {show(results)}; expected a list of 4 results. {SEE}.",
                    pytrace=False)
    if any(r == {"repr": "None"} for r in results):
        pytest.fail(f"{shown} returned {show(results)}; expected (status, body) or the exception "
                    f"for each URL. None means a greenlet had not finished (its "
                    f".value is None until then). gevent.joinall(jobs) first; each request ends "
                    f"within `timeout` seconds. {SEE}.", pytrace=False)
    assert results[0] == {"status": 200, "body": "fast"}, (
        f"{shown}: /fast gave {show([results[0]])[1:-1]}; expected (200, b'fast'). A failing request must not "
        f"spoil the others. {SEE}."
    )
    assert results[3] == {"status": 404, "body": "gone"}, (
        f"{shown}: /gone gave {show([results[3]])[1:-1]}; expected (404, b'gone'): urlopen raises HTTPError for "
        f"a 404, and that error IS the answer (error.code, error.read()). {SEE}."
    )
    if "status" in results[1]:
        pytest.fail(f"{shown}: /slow gave {show([results[1]])[1:-1]}, an answer the server sent "
                    f"only after {BOUND:.0f} s, far beyond the 1.0 s time-out; expected the "
                    f"timeout exception in its place. Pass the time-out to every request: "
                    f"urlopen(url, timeout=timeout). {SEE}.", pytrace=False)
    for i, what in ((1, "/slow (never answers in time)"), (2, "the refused port")):
        assert results[i].get("oserror"), (
            f"{shown}: {what} gave {show([results[i]])[1:-1]}; expected the exception itself in its place "
            f"(a timeout, or URLError: both are OSErrors). A greenlet that raised has "
            f".successful() False and the exception in .exception; urlopen(url, timeout=...) "
            f"bounds the wait. {SEE}."
        )
