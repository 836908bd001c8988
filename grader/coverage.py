"""`python -m grader.coverage`: how much of each reference solution its suite runs.

    python -m grader.coverage [TOPIC ...] [--min 90] [--json PATH] [-j N]

An instructor's tool. For each topic (manifest order) it runs the topic's suite
against solutions/<id>.py under coverage.py and measures the line coverage of
that one file: a line of the solution that no test runs is a line a student
can get wrong without losing a point.

Each topic runs in a child process of its own (its own process group, its own
data files in a temporary folder, nothing written in the repository), bounded
in time (10 x the manifest timeout + 60 s; the whole group is killed if it
overruns), so topics can run side by side with -j N. Inside the child:

- threads and multiprocessing children (fork and spawn) are measured
  (concurrency = thread, multiprocessing);
- any other Python the suite starts (green_threads runs gevent code in a fresh
  interpreter, thread_basics a child program) is measured through
  COVERAGE_PROCESS_START and coverage's .pth hook, with os._exit() patched so
  a child that ends that way still saves its data;
- for topics that need greenlet/gevent those child interpreters follow
  greenlet switches (concurrency = greenlet). The test process itself does not:
  with concurrency = greenlet, coverage.py loses the lines that run after a
  greenlet finishes (coverage.py issue 841), and with thread only it loses
  lines in gevent's monkey-patched child. Each process gets the mode that
  measures it correctly.
- the demo block `if __name__ == "__main__":` does not count.

The suite runs the plain way, `pytest tests/test_<id>.py --target DIR -q`
(pytest-timeout applies the manifest's per-test timeouts), in a small launcher
(`_child`) that starts coverage through its API: `coverage run` cannot give the
test process and its child interpreters different concurrency settings. A test
that fails against the solution is named in a note under the table (its
topic's figure may be low), but only the percentages decide the exit code.

Exit code: 0 every measured topic reaches --min percent, 1 some topic is
below, 2 usage, 3 a suite could not run (timed out, crashed, collected
nothing or measured nothing; the table says which and why). A topic whose
optional packages are missing (gevent) is skipped, as the grader leaves it out.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader import exitcodes, manifest, procs
from grader.manifest import ROOT, ManifestError, Topic

DEFAULT_MIN = 90.0
# Lines coverage.py does not count, on top of its default "# pragma: no cover".
EXCLUDE_ALSO = [r'if __name__ == .__main__.:']
# Optional packages that mean "this topic switches greenlets".
GREEN = {"greenlet", "gevent"}
TAIL = 1500  # characters of the child's output shown when a suite could not run

OK, BELOW, SKIPPED, ERROR = "ok", "below", "skipped", "error"


def time_limit(topic: Topic) -> float:
    """Seconds the whole measured suite of `topic` may take."""
    return 10 * topic.timeout + 60


@dataclass
class Result:
    id: str
    status: str = ERROR           # ok | below | skipped | error
    statements: int = 0
    missed: int = 0
    percent: float | None = None
    missing: str = ""             # coverage.py's line ranges, e.g. "12-14, 80"
    missing_lines: list[int] = field(default_factory=list)
    tests: dict[str, int] = field(default_factory=dict)   # outcome -> count
    failed_tests: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reason: str = ""              # why the suite could not run / was skipped / a warning


# --- the child: one topic's suite under coverage ------------------------------------------

def _write_rc(path: Path, data_dir: Path, solution: Path, concurrency: list[str],
              patch: list[str]) -> Path:
    lines = ["[run]",
             f"data_file = {data_dir / '.coverage'}",
             "parallel = true",
             f"concurrency = {', '.join(concurrency)}",
             f"include = {solution}"]
    if patch:
        lines.append(f"patch = {', '.join(patch)}")
    lines += ["", "[report]", "exclude_also ="] + [f"    {pattern}" for pattern in EXCLUDE_ALSO]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class _Tally:
    """A pytest plugin: count the outcomes, name the failures."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            outcome = report.outcome                  # passed | failed | skipped
        elif report.failed:
            outcome = "error"                         # setup or teardown failed
        elif report.skipped and report.when == "setup":
            outcome = "skipped"
        else:
            return
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if outcome in ("failed", "error"):
            self.failed.append(f"{report.nodeid} ({report.when})")

    def pytest_collectreport(self, report):
        if report.failed:
            self.counts["error"] = self.counts.get("error", 0) + 1
            self.failed.append(f"{report.nodeid or 'collection'} (collect)")


def _child(argv: list[str]) -> int:
    """In the child: measure `pytest ARGS` with rc MAIN, children with rc SUB; write OUT.

    argv: MAIN_RC SUB_RC SOLUTION OUT_JSON -- PYTEST_ARGS...
    """
    main_rc, sub_rc, solution, out, sep, *pytest_args = argv
    assert sep == "--"
    import coverage

    cov = coverage.Coverage(config_file=main_rc)
    cov.start()
    # Every Python started from now on (and not by multiprocessing, which
    # coverage patches itself) measures itself through coverage's .pth hook.
    os.environ["COVERAGE_PROCESS_START"] = sub_rc
    tally = _Tally()
    try:
        import pytest

        code = int(pytest.main(pytest_args, plugins=[tally]))
    finally:
        cov.stop()
        cov.save()
    result = {"pytest_exit": code, "tests": tally.counts, "failed_tests": tally.failed}
    combined = coverage.Coverage(config_file=main_rc)
    try:
        combined.combine([str(Path(main_rc).parent)], keep=False)
        combined.save()
        measured = {str(Path(f).resolve()) for f in combined.get_data().measured_files()}
        if str(Path(solution).resolve()) not in measured:
            result["no_data"] = f"{solution} was never imported by the suite"
        else:
            _, statements, _, missing, missing_text = combined.analysis2(solution)
            result.update(statements=len(statements), missing_lines=sorted(missing),
                          missing=missing_text)
    except coverage.CoverageException as exc:  # no data files at all, no source...
        result["no_data"] = f"{type(exc).__name__}: {exc}"
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


# --- the parent: run, bound, collect ------------------------------------------------------

def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("COVERAGE_") and k != "COVERAGE_CORE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NO_COLOR"] = "1"
    return env


def measure(topic: Topic) -> Result:
    """Run one topic's suite against its solution under coverage (in a child process)."""
    result = Result(topic.id)
    absent = [str(p) for p in (topic.solution, topic.suite) if not p.is_file()]
    if absent:
        result.reason = f"missing: {', '.join(absent)}"
        return result
    with tempfile.TemporaryDirectory(prefix=f"coverage-{topic.id}-",
                                     ignore_cleanup_errors=True) as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        data.mkdir()
        solution = topic.solution.resolve()
        green = bool(GREEN & set(topic.requires))
        main_rc = _write_rc(data / "main.rc", data, solution, ["thread", "multiprocessing"], [])
        sub_rc = _write_rc(data / "sub.rc", data, solution,
                           (["greenlet"] if green else []) + ["thread", "multiprocessing"],
                           ["_exit"])
        out = tmp / "result.json"
        log = tmp / "output.txt"
        cmd = [sys.executable, "-c",
               "import sys; from grader.coverage import _child; sys.exit(_child(sys.argv[1:]))",
               str(main_rc), str(sub_rc), str(solution), str(out), "--",
               str(topic.suite), "--target", str(solution.parent), "-q",
               "-p", "no:cacheprovider"]
        limit = time_limit(topic)
        started = time.monotonic()
        with open(log, "wb") as output:
            proc = subprocess.Popen(cmd, cwd=manifest.COURSE, env=_child_env(),
                                    stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            try:
                proc.wait(timeout=limit)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                procs.kill_group(proc.pid)  # the suite's stragglers too
                proc.wait()
        result.seconds = round(time.monotonic() - started, 1)
        text = log.read_text(encoding="utf-8", errors="replace").strip()
        tail = ("\n  its output ended with:\n    ..."
                + text[-TAIL:].replace("\n", "\n    ")) if text else ""
        if timed_out:
            result.reason = (f"timed out: the suite was still running after {limit:.0f} s, "
                             f"so its process group was killed" + tail)
            return result
        if not out.exists():
            result.reason = f"the coverage child exited with code {proc.returncode} and no result" + tail
            return result
        found = json.loads(out.read_text(encoding="utf-8"))
    result.tests = found["tests"]
    result.failed_tests = found["failed_tests"]
    if found["pytest_exit"] not in (0, 1) or not sum(result.tests.values()):
        result.reason = (f"pytest exited with code {found['pytest_exit']} after "
                         f"{sum(result.tests.values())} test(s)" + tail)
        return result
    if found.get("no_data"):
        result.reason = f"nothing was measured: {found['no_data']}" + tail
        return result
    result.statements = found["statements"]
    result.missing_lines = found["missing_lines"]
    result.missed = len(result.missing_lines)
    result.missing = found["missing"]
    result.percent = (100.0 * (result.statements - result.missed) / result.statements
                      if result.statements else 100.0)
    failed = result.tests.get("failed", 0) + result.tests.get("error", 0)
    if failed:
        result.reason = (f"{failed} test(s) failed against the solution, so the figure may "
                         f"be low: " + "; ".join(result.failed_tests[:5]) + tail)
    result.status = OK
    return result


def skipped(topic: Topic, missing: list[str]) -> Result:
    hint = ' (python -m pip install -e ".[green]")' if GREEN & set(missing) else ""
    return Result(topic.id, status=SKIPPED,
                  reason=f"skipped: this Python cannot import {', '.join(missing)}{hint}")


# --- report -------------------------------------------------------------------------------

def shown(percent: float | None) -> str:
    """A percentage rounded DOWN to 0.1, so 89.96 never shows as 90.0."""
    if percent is None:
        return "-"
    return f"{math.floor(percent * 10 + 1e-9) / 10:.1f}%"


def total(results: list[Result]) -> dict:
    measured = [r for r in results if r.status in (OK, BELOW)]
    stmts = sum(r.statements for r in measured)
    missed = sum(r.missed for r in measured)
    return {"statements": stmts, "missed": missed,
            "percent": 100.0 * (stmts - missed) / stmts if stmts else None}


def table(results: list[Result], minimum: float) -> str:
    """The table (one row a topic, then TOTAL), then the notes that explain rows."""
    width = max([len("TOTAL")] + [len(r.id) for r in results])
    rule = "-" * (width + 34)
    rows = [f"{'topic':<{width}}  {'stmts':>5}  {'miss':>4}  {'cover':>6}  missing", rule]
    notes = []
    for r in results:
        if r.status in (OK, BELOW):
            flag = f"  << below {minimum:g}%" if r.status == BELOW else ""
            note = "  (see note)" if r.reason else ""
            rows.append(f"{r.id:<{width}}  {r.statements:>5}  {r.missed:>4}  "
                        f"{shown(r.percent):>6}  {r.missing or '-'}{flag}{note}")
        elif r.status == SKIPPED:
            rows.append(f"{r.id:<{width}}  {'-':>5}  {'-':>4}  {'-':>6}  {r.reason}")
            continue
        else:
            rows.append(f"{r.id:<{width}}  {'-':>5}  {'-':>4}  {'-':>6}  COULD NOT RUN (see note)")
        if r.reason:
            notes.append(f"{r.id}: {r.reason}")
    t = total(results)
    rows += [rule, f"{'TOTAL':<{width}}  {t['statements']:>5}  {t['missed']:>4}  "
                   f"{shown(t['percent']):>6}"]
    return "\n".join(rows + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grader.coverage",
        description="Line coverage of each solutions/<id>.py by its suite tests/test_<id>.py.")
    parser.add_argument("topics", nargs="*", metavar="TOPIC", help="topic ids (default: all)")
    parser.add_argument("--min", type=float, default=DEFAULT_MIN, metavar="PERCENT",
                        help=f"the lowest acceptable coverage of a topic (default {DEFAULT_MIN:g})")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="topics measured at the same time (default 1)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exitcodes.USAGE if exc.code else 0
    if args.jobs < 1:
        print("grader.coverage: -j must be at least 1", file=sys.stderr)
        return exitcodes.USAGE
    try:
        course = manifest.load()
    except ManifestError as exc:
        print(f"grader.coverage: {exc}", file=sys.stderr)
        return exitcodes.GRADER_FAILED
    unknown = [t for t in args.topics if t not in course.ids]
    if unknown:
        print(f"grader.coverage: unknown topic(s): {', '.join(unknown)}. "
              f"Known: {', '.join(course.ids)}", file=sys.stderr)
        return exitcodes.USAGE
    wanted = set(args.topics or course.ids)
    topics = [t for t in course.topics if t.id in wanted]  # manifest order

    from grader.runner import missing_requirements

    def one(topic: Topic) -> Result:
        missing = missing_requirements(topic)
        return skipped(topic, missing) if missing else measure(topic)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, topics))
    elapsed = time.monotonic() - started
    for r in results:
        if r.status == OK and r.percent < args.min:
            r.status = BELOW
    print(table(results, args.min))
    errors = [r for r in results if r.status == ERROR]
    below = [r for r in results if r.status == BELOW]
    parts = []
    if errors:
        parts.append(f"{len(errors)} suite(s) could not run: {', '.join(r.id for r in errors)}")
    if below:
        parts.append(f"{len(below)} topic(s) below {args.min:g}%: "
                     f"{', '.join(r.id for r in below)}")
    code = exitcodes.GRADER_FAILED if errors else 1 if below else 0
    summary = "; ".join(parts) or f"every measured topic reaches {args.min:g}%"
    print(f"{summary} ({elapsed:.0f} s, -j {args.jobs})")
    if args.json:
        report = {"min": args.min, "exit_code": code, "seconds": round(elapsed, 1),
                  "topics": [asdict(r) for r in results], "total": total(results)}
        try:
            args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"grader.coverage: cannot write {args.json}: {exc}", file=sys.stderr)
            return exitcodes.USAGE
    return code


if __name__ == "__main__":
    sys.exit(main())
