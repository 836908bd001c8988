"""Benchmarks of the grader: figures with targets (never a test: speed is not pass/fail).

    python tools/bench.py                all figures (10-11 minutes on a quiet 2-core machine)
    python tools/bench.py --quick        (a), (c) and (e) only: skips (b) and (d)
    python tools/bench.py --json F.json  also write every figure as JSON

(a) `python -m grader --solutions` (every topic, -j 1) against the same suites in
    one plain in-process pytest run: ratio (target <= 1.5x) and absolute time
    (target <= 20 s on 2 cores); also the time with -j 2.
(b) a submission in which every function and method of every topic's exercise
    deadlocks (two threads, two locks, opposite orders), graded with -j 1 and
    -j 2: total time (target <= 60 s) and a verdict for every test of every topic.
(c) the untouched stubs: total time (target <= 10 s), with -j 1 and -j 2.
(d) bulk grading of a class of 50 (tools/make_class.py: each student solved a
    different prefix of the topics, files distinct per student, a few buggy
    variants, the rest untouched stubs) with `python -m grader.bulk` at its
    default -j: total time (target <= 5 min), with the number of gradings run
    next to the number of results reused for identical files.
(e) file_upload's upload() against a raw socket.sendfile() on loopback (target
    >= 50%; tools/bench_upload.py), and framing messages per second.
--waits adds (b'): every function waits on an Event nobody sets (no lock
    cycle to see), so each test costs its whole time-out: slow by design.

Times are wall-clock seconds, best of --repeat runs where it says so, with the
CPU seconds the run used (user + system, all processes): the CPU figure barely
moves with the machine's load, the wall figure does. Each line says MET or
MISSED; a miss says why and what would reach the target. The block at the end
is the summary to quote.
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from grader import manifest, selfcheck  # noqa: E402

CORES = os.cpu_count() or 1

DEADLOCK = '''
import threading as _threading


def _hang(*args, **kwargs):
    """Two threads take two locks in opposite orders: a guaranteed deadlock."""
    _a, _b = _threading.Lock(), _threading.Lock()
    gate = _threading.Barrier(2)

    def one(first, second):
        with first:
            gate.wait()
            with second:
                pass

    threads = [_threading.Thread(target=one, args=pair) for pair in ((_a, _b), (_b, _a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
'''

WAIT = '''
import threading as _threading


def _hang(*args, **kwargs):
    """Wait for an event nobody will ever set."""
    _threading.Event().wait()
'''


class _HangEverything(ast.NodeTransformer):
    """Every function and method body becomes `_hang()` (its docstring kept)."""

    def visit_FunctionDef(self, node):
        doc = node.body[:1] if ast.get_docstring(node) is not None else []
        node.body = doc + [ast.Expr(ast.Call(ast.Name("_hang", ast.Load()), [], []))]
        return node  # nested functions go with the old body

    visit_AsyncFunctionDef = visit_FunctionDef


def hanging_module(stub_source: str, prelude: str) -> str:
    """The exercise's stub with every function and method replaced by a call to the prelude's
    _hang(): the same API (classes, exceptions, constants), every call hangs."""
    tree = _HangEverything().visit(ast.parse(stub_source))
    at = 1 if ast.get_docstring(tree) is not None else 0
    while at < len(tree.body) and isinstance(tree.body[at], ast.ImportFrom) \
            and tree.body[at].module == "__future__":
        at += 1
    tree.body[at:at] = ast.parse(prelude).body
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def write_hanging(folder: Path, course, prelude: str) -> list[str]:
    """One hanging module per topic; returns the topics whose API differs from the exercise's."""
    differ = []
    for topic in course.topics:
        stub = topic.exercise()
        path = folder / f"{topic.id}.py"
        path.write_text(hanging_module(stub.read_text(encoding="utf-8"), prelude), encoding="utf-8")
        if selfcheck.public_api(path) != selfcheck.public_api(stub):
            differ.append(topic.id)
    return differ


# --- running things ---------------------------------------------------------------------------

def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd, env=None) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of it and all it waited for, the process)."""
    cpu, started = _cpu(), time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})
    return time.monotonic() - started, _cpu() - cpu, proc


def grade(*args) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = Path(tmp) / "r.json"
        wall, cpu, proc = run([sys.executable, "-m", "grader", *args, "--json", str(out)])
        if not out.exists():
            raise SystemExit(f"python -m grader {' '.join(args)} wrote no JSON (exit {proc.returncode}):\n"
                             f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        return wall, cpu, json.loads(out.read_text(encoding="utf-8"))


def best(n: int, fn):
    """Run fn() n times; the result with the least wall time, and all wall times."""
    runs = [fn() for _ in range(max(1, n))]
    return min(runs, key=lambda r: r[0]), [r[0] for r in runs]


def verdicts(data) -> dict[str, int]:
    counts: dict[str, int] = {}
    for topic in data["topics"]:
        for test in topic["tests"]:
            counts[test["status"]] = counts.get(test["status"], 0) + 1
    return counts


def fmt_counts(counts: dict) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


class Report:
    def __init__(self):
        self.lines: list[str] = []   # the summary block
        self.figures: dict = {}      # --json

    def verdict(self, key: str, label: str, value: float, target: float, unit: str, *, at_most: bool,
                why: str = "", reach: str = "", shown: str | None = None, extra: dict | None = None,
                also: bool = True):
        """Print and record one figure against its target; `also` False makes it a miss anyway."""
        met = (value <= target if at_most else value >= target) and also
        text = shown if shown is not None else f"{value:.1f} {unit}"
        line = (f"{label}: {text} (target {'<=' if at_most else '>='} {target:g} {unit}): "
                f"{'MET' if met else 'MISSED'}")
        print(line, flush=True)
        if not met:
            if why:
                print(f"      why: {why}")
            if reach:
                print(f"      what would reach it: {reach}")
        self.lines.append(line + ("" if met or not why else f"  [why: {why}]"))
        self.figures[key] = {"value": round(value, 3), "target": target, "unit": unit,
                             "met": met, **(extra or {})}
        return met

    def note(self, key: str, text: str, **figures):
        print(text, flush=True)
        self.lines.append(text)
        if figures:
            self.figures[key] = figures


def _cycle_grace():
    try:
        from grader import locktrack  # noqa: PLC0415
        return locktrack.CYCLE_GRACE
    except (ImportError, AttributeError):
        return "?"


def startup_cost(data) -> tuple[float, float]:
    """(seconds spent in the tests themselves, seconds around them: child start, collection, teardown)."""
    in_tests = sum(t["duration"] for topic in data["topics"] for t in topic["tests"])
    total = sum(topic["duration"] for topic in data["topics"])
    return in_tests, total - in_tests


# --- (a) ----------------------------------------------------------------------------------------

def bench_a(rep: Report, course, repeat: int) -> None:
    (g_wall, g_cpu, data), g_all = best(repeat, lambda: grade("--solutions"))
    (g2_wall, g2_cpu, data2), g2_all = best(repeat, lambda: grade("--solutions", "-j", "2"))
    (p_wall, p_cpu, proc), p_all = best(repeat, lambda: run(
        [sys.executable, "-m", "pytest", "tests", "--target", "solutions", "-q", "-p", "no:cacheprovider"]))
    n = len(course.topics)
    full = data["score"] == data["max_score"] and data2["score"] == data2["max_score"]
    print(f"(a) grader --solutions -j 1: {g_wall:.1f} s wall, {g_cpu:.1f} s CPU, "
          f"{data['score']:g}/{data['max_score']:g} (runs: {', '.join(f'{x:.1f}' for x in g_all)}); "
          f"-j 2: {g2_wall:.1f} s wall, {g2_cpu:.1f} s CPU; plain pytest in one process: {p_wall:.1f} s "
          f"wall, {p_cpu:.1f} s CPU, exit {proc.returncode} ({proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''}); {load()}")
    if not full:
        print("      WARNING: the solutions are not at full marks in this run (a flake, a broken suite, "
              "or the course's files edited while it ran):")
        for label, d in (("-j 1", data), ("-j 2", data2)):
            for topic in d["topics"]:
                bad = [t for t in topic["tests"] if t["status"] != "passed"]
                if bad:
                    first = bad[0]["message"].strip().splitlines()[0][:200] if bad[0]["message"].strip() else ""
                    print(f"        {label} {topic['id']}: {len(bad)} not passed, first {bad[0]['name']} "
                          f"({bad[0]['status']}): {first}")
    in_tests, around = startup_cost(data)
    ratio = g_wall / p_wall
    rep.verdict("a_ratio", "(a) grader --solutions / plain pytest (wall)", ratio, 1.5, "x", at_most=True,
                shown=f"{ratio:.2f}x ({g_wall:.1f} s / {p_wall:.1f} s; CPU {g_cpu / p_cpu:.2f}x)",
                why=(f"each of the {n} topics runs in a fresh, watched pytest process: {around:.1f} s of "
                     f"the grader's {g_wall:.1f} s are outside the tests ({around / n:.2f} s per topic: "
                     f"interpreter and pytest start-up, collection, the watchdog), "
                     f"against {in_tests:.1f} s in the tests themselves"),
                reach=(f"-j 2 ({g2_wall / p_wall:.2f}x here), or starting each topic's child from a "
                       "pre-imported pytest (a fork server in grader/runner.py) instead of a cold "
                       "interpreter"),
                extra={"grader_s": round(g_wall, 2), "pytest_s": round(p_wall, 2), "grader_cpu_s": round(g_cpu, 2),
                       "pytest_cpu_s": round(p_cpu, 2), "outside_tests_s": round(around, 2)})
    rep.verdict("a_abs", "(a) grader --solutions -j 1, absolute", g_wall, 20, "s", at_most=True,
                why=(f"{in_tests:.1f} s inside the tests, {around:.1f} s of per-topic start-up, "
                     f"one topic after the other on a machine at {load()}"),
                reach=f"-j 2: {g2_wall:.1f} s here (the README advises it on multi-core machines)",
                extra={"cpu_s": round(g_cpu, 2)})
    rep.verdict("a_j2", "(a) grader --solutions -j 2, absolute", g2_wall, 20, "s", at_most=True,
                why=f"{g2_cpu:.1f} s of CPU on {CORES} cores at {load()}",
                reach="a quieter machine: the CPU needed fits in the target", extra={"cpu_s": round(g2_cpu, 2)})


# --- (b) ----------------------------------------------------------------------------------------

def bench_b(rep: Report, course, prelude: str, label: str, key: str, target: float) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-hang-") as tmp:
        differ = write_hanging(Path(tmp), course, prelude)
        files = len(list(Path(tmp).glob("*.py")))
        print(f"{label}: {files} topic modules generated from the exercises' stubs; API as the "
              f"exercise's: {files - len(differ)}/{len(course.topics)}"
              + (f" (differs: {', '.join(differ)})" if differ else ""))
        runs = {}
        for jobs in ("1", "2", "4"):  # -j 4 only as a pointer: the waiting needs no CPU
            wall, cpu, data = grade("--submission", tmp, "-j", jobs)
            runs[jobs] = (wall, cpu, data)
            counts = verdicts(data)
            empty = [t["id"] for t in data["topics"] if not t["tests"] and not t["unavailable"]]
            broken = [t["id"] for t in data["topics"] if t["problem"]]
            unavailable = [t["id"] for t in data["topics"] if t["unavailable"]]
            kinds: dict[str, list[str]] = {}
            for t in data["topics"]:
                kinds.setdefault(t["status"], []).append(t["id"])
            odd = {t["id"]: [x["name"] for x in t["tests"] if x["status"] != "deadlock"] for t in data["topics"]}
            print(f"    -j {jobs}: {wall:.1f} s wall, {cpu:.1f} s CPU, {load()}; tests: {fmt_counts(counts)}; "
                  f"topics with results {len(data['topics']) - len(empty) - len(broken)}/{len(course.topics)}"
                  + (f", grader errors: {', '.join(broken)}" if broken else "")
                  + (f", unavailable: {', '.join(unavailable)}" if unavailable else ""))
            print("        topic verdicts: " + "; ".join(f"{k} {len(v)}" for k, v in sorted(kinds.items()))
                  + "; tests not 'deadlock': "
                  + (", ".join(f"{t}.{n}" for t, names in odd.items() for n in names) or "none"))
            if not empty and not broken and not differ:
                continue
            print(f"      topics without results: {', '.join(empty + broken + differ)}")
        for jobs in ("1", "2"):
            wall, cpu, data = runs[jobs]
            counts = verdicts(data)
            complete = all(t["tests"] or t["unavailable"] for t in data["topics"]) \
                and not any(t["problem"] for t in data["topics"]) and not differ
            in_tests, around = startup_cost(data)
            n_tests = max(1, sum(counts.values()))
            slowest = sorted(data["topics"], key=lambda t: -t["duration"])[:3]
            rep.verdict(
                f"{key}_j{jobs}", f"{label}, -j {jobs}", wall, target, "s", at_most=True, also=complete,
                shown=(f"{wall:.1f} s, {sum(counts.values())} tests: {fmt_counts(counts)}; every topic "
                       f"has results: {'yes' if complete else 'NO'}"),
                why=(f"{n_tests} tests, each deadlocked: {in_tests / n_tests:.2f} s per test until the "
                     f"cycle is confirmed (grader/locktrack.py: CYCLE_GRACE = {_cycle_grace()} s), "
                     f"{in_tests:.0f} s in all, and {around:.0f} s outside the tests (a fresh child "
                     f"after each test that leaves threads behind); mostly waiting, not CPU "
                     f"({cpu:.0f} s CPU). Slowest topics: "
                     + ", ".join(f"{t['id']} {t['duration']:.1f} s" for t in slowest)),
                reach=((f"-j 2 ({runs['2'][0]:.1f} s here), " if jobs == "1" else "")
                       + f"-j 4 ({runs['4'][0]:.1f} s here: the waiting needs no CPU), or a shorter "
                       f"CYCLE_GRACE (0.1 s would save about "
                       f"{n_tests * max(0.0, in_tests / n_tests - 0.15) / int(jobs):.0f} s here)"),
                extra={"cpu_s": round(cpu, 2), "verdicts": counts, "every_topic_has_results": complete})
        rep.note(f"{key}_j4", f"{label}, -j 4 (for scale): {runs['4'][0]:.1f} s, "
                 f"{fmt_counts(verdicts(runs['4'][2]))}", seconds=round(runs["4"][0], 1))


# --- (c) ----------------------------------------------------------------------------------------

def bench_c(rep: Report, course, repeat: int) -> None:
    (wall, cpu, data), runs = best(repeat, lambda: grade())
    (wall2, cpu2, _), _ = best(repeat, lambda: grade("-j", "2"))
    n = len(course.topics)
    in_tests, around = startup_cost(data)
    print(f"(c) untouched stubs: -j 1 {wall:.1f} s wall, {cpu:.1f} s CPU (runs {', '.join(f'{x:.1f}' for x in runs)}); "
          f"-j 2 {wall2:.1f} s wall; tests: {fmt_counts(verdicts(data))}; {load()}")
    rep.verdict("c", "(c) untouched stubs, -j 1", wall, 10, "s", at_most=True,
                why=(f"{n} topics, each a fresh pytest process: {around / n:.2f} s per topic of start-up "
                     f"and collection, {in_tests:.1f} s in all the tests"),
                reach=(f"-j 2 ({wall2:.1f} s here); or a fork server with pytest pre-imported in "
                       "grader/runner.py (the start-up is most of it)"),
                extra={"cpu_s": round(cpu, 2), "j2_s": round(wall2, 2)})


# --- (d) ----------------------------------------------------------------------------------------

def bench_d(rep: Report, students: int, jobs: int | None, keep: str | None, baseline: bool) -> None:
    import make_class  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        base = Path(keep) if keep else Path(tmp)
        klass = base / "class"
        info = make_class.build(klass, students)
        solved = [n for _, n in info["students"]]
        print(f"(d) class of {len(solved)}: topics solved {min(solved)}..{max(solved)} "
              f"({sum(solved)} solved files, each distinct); variants: {', '.join(info['variants'])}; "
              f"copies: {', '.join(info['copies'])}")
        for mode in (["--no-reuse"], []) if baseline else ([],):
            out = base / ("out-no-reuse" if mode else "out")
            if out.exists():
                shutil.rmtree(out)
            cmd = [sys.executable, "-m", "grader.bulk", str(klass), "--out", str(out), *mode]
            cmd += ["-j", str(jobs)] if jobs else []
            wall, cpu, proc = run(cmd)
            summary = [line for line in proc.stdout.splitlines() if "gradings run" in line]
            print(f"    {' '.join(['python -m grader.bulk CLASS --out OUT', *cmd[6:]])}: {wall:.1f} s wall, "
                  f"{cpu:.1f} s CPU, exit {proc.returncode}, {load()}")
            print(f"    {summary[0] if summary else proc.stdout[-1500:] + proc.stderr[-1500:]}")
            stats = bulk_stats(out, klass)
            print(f"    graded {stats['students']}/{len(solved)} students; {stats['graded']} gradings run, "
                  f"{stats['reused']} results reused ({fmt_counts(stats['why'])}); tests: "
                  f"{fmt_counts(stats['verdicts'])}; handed-in topics below full marks: "
                  f"{', '.join(stats['below']) or 'none'} (expected: the {len(info['variants'])} variants)")
            if mode:
                rep.note("d_baseline", f"(d) the same with --no-reuse (every file graded): {wall:.1f} s, "
                         f"{stats['graded']} gradings, {cpu:.0f} s CPU",
                         seconds=round(wall, 1), cpu_s=round(cpu, 1), gradings=stats["graded"])
        per = cpu / max(1, stats["graded"])
        rep.verdict("d", f"(d) bulk grading of {len(solved)} students", wall, 300, "s", at_most=True,
                    shown=(f"{wall:.1f} s ({stats['graded']} gradings run, {stats['reused']} reused: "
                           f"{fmt_counts(stats['why'])}; {cpu:.0f} s CPU = {per:.2f} s per grading)"),
                    why=(f"{stats['graded']} distinct topic files, each graded in a fresh pytest process at "
                         f"{per:.2f} s of CPU: at least {cpu / CORES:.0f} s on {CORES} idle cores, and the "
                         f"machine was at {load()}"),
                    reach=("a quiet machine or more cores (the CPU needed / cores is the floor); cheaper "
                           "per-topic start-up in grader/runner.py (a fork server with pytest pre-imported)"),
                    extra={"cpu_s": round(cpu, 1), "gradings": stats["graded"], "reused": stats["reused"],
                           "why_reused": stats["why"], "students": stats["students"],
                           "below_full_marks": stats["below"]})
        if keep:
            print(f"    class and results kept in {base}")


def bulk_stats(out: Path, klass: Path) -> dict:
    stats = {"graded": 0, "reused": 0, "why": {}, "verdicts": {}, "students": 0, "below": []}
    stub = {p.stem: p.read_bytes() for p in (ROOT / "exercises").glob("*.py")}
    with open(out / "grades.csv", encoding="utf-8") as f:
        stats["students"] = sum(1 for r in csv.DictReader(f) if r["status"] == "graded")
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for topic in data["topics"]:
            b = topic.get("bulk", {})
            if b.get("reused"):
                stats["reused"] += 1
                why = b.get("reason", "").split(" (")[0].replace(f"{b.get('graded_for')}'s", "a classmate's")
                stats["why"][why] = stats["why"].get(why, 0) + 1
            else:
                stats["graded"] += 1
            for test in topic["tests"]:
                stats["verdicts"][test["status"]] = stats["verdicts"].get(test["status"], 0) + 1
            mine = klass / path.stem / "exercises" / f"{topic['id']}.py"
            if mine.is_file() and mine.read_bytes() != stub.get(topic["id"]) and topic["score"] < topic["max_score"]:
                stats["below"].append(f"{path.stem}/{topic['id']}")
    return stats


# --- (e) ----------------------------------------------------------------------------------------

def bench_framing(seconds: float = 2.0) -> float:
    sys.path.insert(0, str(ROOT / "solutions"))
    import framing  # noqa: PLC0415

    a, b = _pair()
    count = 0
    stop = time.monotonic() + seconds
    started = time.monotonic()

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
    elapsed = time.monotonic() - started
    b.close()
    return count / elapsed


def _pair():
    with socket.create_server(("127.0.0.1", 0)) as lst:
        a = socket.create_connection(lst.getsockname())
        b, _ = lst.accept()
    a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return a, b


def bench_e(rep: Report, mb: int, repeat: int) -> None:
    import bench_upload  # noqa: PLC0415

    f = bench_upload.measure(mb=mb, repeat=repeat)
    print(f"(e) {mb} MB on loopback, best of {repeat}: raw sendfile {f['raw_mbs']:.0f} MB/s "
          f"({f['raw_cpu_s']:.3f} s CPU), upload() {f['upload_mbs']:.0f} MB/s ({f['upload_cpu_s']:.3f} s CPU), "
          f"one sha256 pass {f['sha256_mbs']:.0f} MB/s, checksum-in-a-trailer prototype "
          f"{f['trailer_mbs']:.0f} MB/s ({f['trailer_cpu_s']:.3f} s CPU); {load()}")
    rep.verdict("e_upload", "(e) file_upload upload() / raw sendfile", 100 * f["ratio"], 50, "%", at_most=False,
                shown=f"{f['ratio']:.0%} ({f['upload_mbs']:.0f} / {f['raw_mbs']:.0f} MB/s)",
                why=(f"one SHA-256 pass runs at {f['sha256_mbs']:.0f} MB/s here, "
                     f"taking {f['sha256_s'] / f['raw_s']:.1f}x as long as the whole raw transfer; the protocol "
                     f"puts the digest in the header, so the client hashes the file before it sends a byte "
                     f"and the server hashes it again: this protocol allows at most {f['bound']:.0%}, and "
                     f"any end-to-end SHA-256 on {CORES} cores at most {f['cpu_bound']:.0%} (the raw "
                     f"transfer's CPU plus two hash passes)"),
                reach=(("nothing that keeps an end-to-end SHA-256 on this machine. " if f["trailer_bound"] < 0.5
                        else f"only a change of protocol: the digest after the data (at most "
                             f"{f['trailer_bound']:.0%} here). ")
                       + f"A prototype with the digest in a trailer (tools/bench_upload.py: the client "
                       f"hashes beside sendfile(), the server hashes and writes in a second thread) "
                       f"reaches {f['trailer_ratio']:.0%}"
                       + (": on this machine it buys nothing, the cores are the limit. "
                          if f["trailer_ratio"] <= f["ratio"] * 1.1 else ". ")
                       + f"Measured against what a "
                       f"checksummed transfer can do, max(raw, one sha256 pass), upload() is at "
                       f"{f['vs_ceiling']:.0%} (the prototype {f['trailer_vs_ceiling']:.0%}): a target "
                       f"stated that way is the fair one"),
                extra={k: round(v, 3) for k, v in f.items() if isinstance(v, float)})
    rate = bench_framing()
    rep.note("e_framing", f"(e) framing (solutions/framing.py): {rate:,.0f} messages of 100 bytes per second "
             f"over loopback TCP, one sender thread, one reader thread", messages_per_s=round(rate))


# --- main ---------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip (b) and (d), the slow ones")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of (a) and (c); the best counts (default 1: on a busy machine give 3)")
    parser.add_argument("--students", type=int, default=50, help="class size for (d) (default 50)")
    parser.add_argument("--bulk-jobs", type=int, default=None, help="-j for (d) (default: grader.bulk's)")
    parser.add_argument("--bulk-baseline", action="store_true",
                        help="(d) also with --no-reuse, every file graded (doubles its time)")
    parser.add_argument("--keep", metavar="DIR", help="build the class of (d) in DIR and keep it with its results")
    parser.add_argument("--upload-mb", type=int, default=200, help="file size for (e) (default 200)")
    parser.add_argument("--waits", action="store_true",
                        help="add (b'): every function waits forever, each test costs its time-out (slow)")
    parser.add_argument("--only", nargs="+", choices=list("abcde"), help="only these figures")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    course = manifest.load()
    which = set(args.only or "abcde") - (set("bd") if args.quick else set())
    started = time.monotonic()
    header = (f"{len(course.topics)} topics, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
              f"{load()} at the start ({time.strftime('%Y-%m-%d %H:%M')})")
    print(header + "\n", flush=True)
    rep = Report()
    if "a" in which:
        bench_a(rep, course, args.repeat)
    if "b" in which:
        bench_b(rep, course, DEADLOCK, "(b) every function deadlocks", "b", 60)
        if args.waits:
            bench_b(rep, course, WAIT, "(b') every function waits forever", "b_wait", 60 * 60)
    if "c" in which:
        bench_c(rep, course, args.repeat)
    if "d" in which:
        bench_d(rep, args.students, args.bulk_jobs, args.keep, args.bulk_baseline)
    if "e" in which:
        bench_e(rep, args.upload_mb, 5)
    skipped = sorted(set("abcde") - which)
    elapsed = time.monotonic() - started
    print("\n==== summary (tools/bench.py" + (" --quick" if args.quick else "") + ") ====")
    print(header)
    for line in rep.lines:
        print(line)
    if skipped:
        print(f"skipped: {', '.join(f'({s})' for s in skipped)}" + (" (--quick)" if args.quick else ""))
    print(f"{load()} at the end; the benchmark took {elapsed / 60:.1f} min")
    if args.json:
        Path(args.json).write_text(json.dumps({"header": header, "figures": rep.figures, "skipped": skipped,
                                               "minutes": round(elapsed / 60, 1)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
