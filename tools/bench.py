"""Benchmarks of the grader (figures, not pass/fail: speed is never a timed test).

    python tools/bench.py            all figures
    python tools/bench.py --quick    skip the slow ones (hangs)

(a) `python -m grader --solutions` against the same suites in one plain
    in-process pytest run: ratio and absolute times.
(b) a submission in which every function of every topic deadlocks
    (two threads, two locks, opposite order): total time, verdicts.
(b') a submission in which every function hangs without a lock
    (waits on an Event nobody sets): the cost of plain time-outs.
(c) the untouched stubs: total time.
(e) the framing solution: messages per second over loopback TCP.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import manifest, selfcheck  # noqa: E402

DEADLOCK = '''
import threading


def _hang(*args, **kwargs):
    """Two threads take two locks in opposite orders: a guaranteed deadlock."""
    _a, _b = threading.Lock(), threading.Lock()
    gate = threading.Barrier(2)

    def one(first, second):
        with first:
            gate.wait()
            with second:
                pass

    threads = [threading.Thread(target=one, args=pair) for pair in ((_a, _b), (_b, _a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
'''

WAIT = '''
import threading


def _hang(*args, **kwargs):
    """Wait for an event nobody will ever set."""
    threading.Event().wait()
'''


def hanging_module(api: dict, prelude: str) -> str:
    lines = [prelude]
    for name, methods in api.items():
        if methods:
            lines.append(f"\n\nclass {name}:")
            for method in sorted(methods):
                lines.append(f"    def {method}(self, *args, **kwargs):\n        _hang()\n")
        else:
            lines.append(f"\n\n{name} = _hang\n")
    return "\n".join(lines)


def run(cmd, env=None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})
    return time.monotonic() - started, proc


def grade(*args) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        elapsed, proc = run([sys.executable, "-m", "grader", *args, "--json", str(out)])
        return elapsed, json.loads(out.read_text())


def verdicts(data) -> str:
    counts = {}
    for topic in data["topics"]:
        for test in topic["tests"]:
            counts[test["status"]] = counts.get(test["status"], 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


def bench_framing(seconds: float = 2.0) -> float:
    sys.path.insert(0, str(ROOT / "solutions"))
    import framing  # noqa: PLC0415

    a, b = _pair()
    count = 0
    stop = time.monotonic() + seconds

    def reader():
        while framing.recv_msg(b) is not None:
            pass

    t = threading.Thread(target=reader)
    t.start()
    payload = b"x" * 100
    while time.monotonic() < stop:
        for _ in range(1000):
            framing.send_msg(a, payload)
        count += 1000
    a.close()
    t.join()
    b.close()
    return count / seconds


def _pair():
    with socket.create_server(("127.0.0.1", 0)) as lst:
        a = socket.create_connection(lst.getsockname())
        b, _ = lst.accept()
    a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return a, b


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip (b) and (b')")
    args = parser.parse_args(argv)
    course = manifest.load()
    print(f"{len(course.topics)} topics on {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")

    grader_time, data = grade("--solutions")
    plain_time, proc = run([sys.executable, "-m", "pytest", "tests", "--target", "solutions", "-q",
                            "-p", "no:cacheprovider"])
    print(f"(a) grader --solutions: {grader_time:.1f} s ({data['score']:g}/{data['max_score']:g}); "
          f"plain pytest in-process: {plain_time:.1f} s; ratio {grader_time / plain_time:.2f}x "
          f"(target <= 1.5x)")

    if not args.quick:
        for label, prelude in (("(b) every function deadlocks", DEADLOCK),
                               ("(b') every function waits forever", WAIT)):
            with tempfile.TemporaryDirectory() as tmp:
                for topic in course.topics:
                    api = selfcheck.public_api(topic.solution)
                    (Path(tmp) / f"{topic.id}.py").write_text(hanging_module(api, prelude))
                elapsed, hung = grade("--submission", tmp)
            print(f"{label}: {elapsed:.1f} s; {verdicts(hung)}")

    elapsed, stubs = grade()
    print(f"(c) untouched stubs: {elapsed:.1f} s; {verdicts(stubs)}")
    print(f"(e) framing solution: {bench_framing():,.0f} messages of 100 bytes per second over loopback")
    return 0


if __name__ == "__main__":
    sys.exit(main())
