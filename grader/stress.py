"""Stress mode: ``python -m grader --repeat N [TOPIC ...]``.

Grades each chosen topic N times, each time in a fresh child process with
race amplification switched on (GRADER_STRESS=1: grader/suite_plugin.py then
runs every test with ``sys.setswitchinterval(1e-6)``), and reports each
test's pass rate. A test that passes in some runs and fails in others is
*flaky*: the code has a race, and sooner or later it fails for the
instructor too. A test that never passes is simply failing. The exit code is
0 only when every test passed in every run.

Results files (``--json``, ``--junit``, ``--gradescope``) hold one combined
run in the usual schema (version 1), in which a test counts as passed only
if it passed every time; otherwise it carries the verdict and message of its
first failing run. ``--json`` adds, backward-compatibly:

    top level   "repeat": N
    each topic  "runs": rounds graded, "full_marks_runs": rounds at full marks
    each test   "runs", "passes", "pass_rate" (0..1), "flaky" (true/false)
"""
from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from grader import exitcodes, formats, manifest, procs, report, runner
from grader.results import Run, TestResult, TopicResult, Verdict

ENV = "GRADER_STRESS"  # read by grader/suite_plugin.py in every suite's process
INTERRUPT_BOUND = 30.0  # seconds to wait for parallel gradings to stop after Ctrl-C


# ---------------------------------------------------------------- grading

def grade_one(topic, folder, verbose: bool) -> TopicResult:
    try:
        return runner.grade(topic, folder, verbose=verbose)
    except runner.GraderError as exc:
        return TopicResult(topic.id, topic.title, topic.points, problem=str(exc))


def kill_live_suites() -> None:
    """Kill every suite child the runner is watching right now (after Ctrl-C)."""
    with runner._live_lock:
        live = list(runner._live)
    for pid in live:
        procs.kill_group(pid)


def run_jobs(jobs: list, work, workers: int, on_result, cancel: threading.Event | None = None) -> None:
    """Call work(*job) for every job, `workers` at a time; on_result(index, result) in order.

    With one worker everything runs in this (the main) thread, so Ctrl-C
    reaches runner.grade and its `finally:` blocks kill the suite's process
    group. With several, a KeyboardInterrupt here cancels the jobs not yet
    started, sets `cancel` (which work() checks before it grades) and kills
    the running suites until their threads give up.
    """
    if workers <= 1:
        for index, job in enumerate(jobs):
            on_result(index, work(*job))
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(work, *job) for job in jobs]
    try:
        for index, future in enumerate(futures):
            on_result(index, future.result())
    except BaseException:
        if cancel is not None:
            cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
        end = time.monotonic() + INTERRUPT_BOUND
        while any(f.running() for f in futures) and time.monotonic() < end:
            kill_live_suites()  # the runner may start a fresh child for the rest: kill it too
            time.sleep(0.05)
        raise
    pool.shutdown(wait=True)


# ------------------------------------------------------------ aggregation

@dataclass
class TestStats:
    name: str
    nodeid: str
    runs: int = 0
    passes: int = 0
    first_failure: TestResult | None = None
    max_score: float = 0.0
    duration: float = 0.0

    @property
    def rate(self) -> float:
        return self.passes / self.runs if self.runs else 0.0

    @property
    def flaky(self) -> bool:
        return 0 < self.passes < self.runs

    @property
    def always_fails(self) -> bool:
        return self.runs > 0 and self.passes == 0

    def rate_text(self) -> str:
        if self.passes == self.runs:
            pct = 100
        elif self.passes == 0:
            pct = 0
        else:  # never round a flaky test up to 100% or down to 0%
            pct = min(99, max(1, int(100 * self.passes / self.runs)))
        return f"{self.passes}/{self.runs} = {pct}%"


@dataclass
class TopicStats:
    topic: manifest.Topic
    rounds: list[TopicResult] = field(default_factory=list)
    tests: dict[str, TestStats] = field(default_factory=dict)  # nodeid -> stats, in order

    def add(self, result: TopicResult) -> None:
        self.rounds.append(result)
        for t in result.tests:
            key = t.nodeid or t.name
            stats = self.tests.get(key)
            if stats is None:
                stats = self.tests[key] = TestStats(t.name, t.nodeid, max_score=t.max_score)
            stats.runs += 1
            stats.duration += t.duration
            if t.status is Verdict.PASSED:
                stats.passes += 1
            elif stats.first_failure is None:
                stats.first_failure = t

    @property
    def problem(self) -> str:
        return next((r.problem for r in self.rounds if r.problem), "")

    @property
    def unavailable(self) -> str:
        return next((r.unavailable for r in self.rounds if r.unavailable), "")

    def every_time(self, repeat: int) -> bool:
        """Every test passed in every one of the `repeat` runs."""
        if self.unavailable and not self.problem:
            return True
        return (not self.problem and len(self.rounds) == repeat and bool(self.tests)
                and all(s.passes == repeat for s in self.tests.values()))

    def combined(self, repeat: int) -> TopicResult:
        """One TopicResult in the usual schema: a test passes only if it passed every run."""
        first = self.rounds[0]
        result = TopicResult(first.id, first.title, first.max_score,
                             duration=sum(r.duration for r in self.rounds),
                             problem=self.problem, unavailable=self.unavailable,
                             output="\n".join(r.output for r in self.rounds if r.output))
        for s in self.tests.values():
            always = s.passes == repeat
            failed = s.first_failure
            if always or failed is None:  # failed is None: the test was missing from some run
                status = Verdict.PASSED if always else Verdict.ERROR
                message = "" if always else f"Graded in only {s.runs} of {repeat} runs."
                kind = ""
            else:
                status, kind = failed.status, failed.kind
                message = (f"Passed in {s.passes} of {s.runs} runs ({s.rate_text().split(' = ')[1]}); "
                           f"the first failing run said: {failed.message}")
            result.tests.append(TestResult(
                name=s.name, status=status, score=s.max_score if always else 0.0,
                max_score=s.max_score, message=message, duration=s.duration / max(1, s.runs),
                nodeid=s.nodeid, kind=kind))
        return result


def combined_json(run: Run, stats: list[TopicStats], repeat: int) -> dict:
    data = run.to_json()
    data["repeat"] = repeat
    for topic_json, topic_stats in zip(data["topics"], stats):
        topic_json["runs"] = len(topic_stats.rounds)
        topic_json["full_marks_runs"] = sum(r.status == "passed" for r in topic_stats.rounds)
        for test_json, s in zip(topic_json["tests"], topic_stats.tests.values()):
            test_json.update(runs=s.runs, passes=s.passes, pass_rate=round(s.rate, 4), flaky=s.flaky)
    return data


# ---------------------------------------------------------------- report

def _rate_lines(ts: TopicStats, repeat: int, style, everything: bool) -> list[str]:
    topic = ts.topic
    if ts.problem:
        return [f"{topic.id:<16} grader error: {report._short(ts.problem, 60)}"]
    if ts.unavailable:
        return [f"{topic.id:<16} not graded: {report._short(ts.unavailable, 60)}"]
    lines = []
    shown = [s for s in ts.tests.values() if everything or s.passes != s.runs or s.runs != repeat]
    if not shown:
        return [f"{topic.id:<16} {'all ' + str(len(ts.tests)) + ' tests':<52} "
                + style(f"{repeat}/{repeat} = 100%", "green")]
    if not everything and ts.tests and all(s.always_fails for s in ts.tests.values()):
        started = any(s.first_failure.status is not Verdict.NOT_STARTED for s in ts.tests.values())
        return [f"{topic.id:<16} {'all ' + str(len(ts.tests)) + ' tests':<52} "
                + style(f"0/{repeat} = 0%  " + ("always fails" if started else "not started"),
                        "red" if started else "dim")]
    first = True
    for s in shown:
        word, color = (("flaky", "yellow") if s.flaky else ("always fails", "red")
                       if s.always_fails else ("", "green"))
        name = s.name if len(s.name) <= 52 else s.name[:49] + "..."
        lines.append(f"{topic.id if first else '':<16} {name:<52} "
                     + style(s.rate_text() + (f"  {word}" if word else ""), color))
        first = False
    hidden = len(ts.tests) - len(shown)
    if hidden:
        lines.append(f"{'':<16} {'the other ' + str(hidden) + ' tests':<52} "
                     + style(f"{repeat}/{repeat} = 100%", "green"))
    return lines


def _wrap(text: str, indent: str) -> list[str]:
    out = []
    for para in text.splitlines() or [""]:
        out.extend(textwrap.wrap(para, report.WIDTH - len(indent), initial_indent=indent,
                                 subsequent_indent=indent) or [indent])
    return out


def summary(stats: list[TopicStats], repeat: int, style, verbose: bool) -> list[str]:
    lines = [style(f"{'topic':<16} {'test':<52} pass rate over {repeat} run{'s' if repeat != 1 else ''}",
                   "bold"), "-" * report.WIDTH]
    for ts in stats:
        lines.extend(_rate_lines(ts, repeat, style, verbose))
    lines.append("-" * report.WIDTH)
    flaky = [(ts, s) for ts in stats for s in ts.tests.values() if s.flaky]
    failing = [(ts, s) for ts in stats for s in ts.tests.values() if s.always_fails]
    lines.append("")
    if flaky:
        lines.append(style(f"Flaky: {len(flaky)} test{'s' if len(flaky) != 1 else ''} passed only "
                           "some of the time.", "yellow"))
        for ts, s in flaky:
            lines.append(f"  {ts.topic.id}::{s.name}  {s.rate_text()}")
            failed = s.first_failure
            lines.extend(_wrap(f"[{failed.status.words}] " + (failed.message if verbose else
                                                                report._short(failed.message, 300)),
                               "      "))
        lines.extend(_wrap("A test that passes only sometimes has a race: it will fail for your "
                           "instructor too. See the topic's concept:", ""))
        for ts in stats:
            if any(s.flaky for s in ts.tests.values()):
                lines.extend(_wrap(f"{ts.topic.id}: {ts.topic.concept} (notes {ts.topic.seed})", "  "))
        lines.append("")
    if failing:
        lines.append(style(f"Always fails: {len(failing)} test{'s' if len(failing) != 1 else ''} "
                           f"failed in all {repeat} runs.", "red"))
        for ts in stats:
            names = [s.name for s in ts.tests.values() if s.always_fails]
            if names:
                every = len(names) == len(ts.tests) and len(names) > 1
                lines.extend(_wrap(f"{ts.topic.id}: " + (f"all {len(names)} tests" if every
                                                          else ", ".join(names)), "  "))
        lines.append("That is not bad luck: `python -m grader TOPIC` says what to fix first.")
        lines.append("")
    problems = [ts for ts in stats if ts.problem]
    if not flaky and not failing and not problems:
        lines.append(style(f"Every test passed in all {repeat} runs." if repeat > 1 else
                           "Every test passed.", "green"))
    return lines


# ------------------------------------------------------------------ entry

def run(course, topics, folder, args, out, style, shown) -> int:
    """Grade `topics` args.repeat times each; print pass rates; return the exit code."""
    repeat = args.repeat
    procs.become_subreaper()
    count = len(topics) * repeat
    print(f"Stress-testing {shown}: {len(topics)} topic{'s' if len(topics) != 1 else ''} x "
          f"{repeat} run{'s' if repeat != 1 else ''}, with forced thread switches ({ENV}=1)",
          file=out, flush=True)
    stats = [TopicStats(topic) for topic in topics]
    workers = max(1, args.jobs)
    # With -j: round by round, so that different topics run side by side. Two runs of one
    # topic never overlap: they would share what is per topic (a fixed port in the student's
    # code, the sandbox's cgroup) and fail for reasons that are not a race in the code.
    jobs = ([(index, topic) for _ in range(repeat) for index, topic in enumerate(topics)]
            if workers > 1 else [(index, topic) for index, topic in enumerate(topics) for _ in range(repeat)])
    rounds = [0] * len(topics)
    one_at_a_time = [threading.Lock() for _ in topics]
    cancel = threading.Event()

    def work(index, topic):
        with one_at_a_time[index]:
            if cancel.is_set():
                return None
            return index, grade_one(topic, folder, args.verbose)

    def on_result(number, item):
        index, result = item
        stats[index].add(result)
        rounds[index] += 1
        print(report.progress_line(number + 1, count, result, style) + f"  run {rounds[index]}/{repeat}",
              file=out, flush=True)
        if args.verbose and result.status != "passed" and result.output.strip():
            print(result.output.rstrip(), file=out, flush=True)  # pytest's own report of that run

    before = os.environ.get(ENV)
    os.environ[ENV] = "1"  # runner.Child copies os.environ into every suite's process
    try:
        run_jobs(jobs, work, workers, on_result, cancel)
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before

    combined = Run(target=str(folder), topics=[ts.combined(repeat) for ts in stats])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(combined_json(combined, stats, repeat), f, indent=2, ensure_ascii=False)
            f.write("\n")
    if args.junit:
        formats.junit(combined, args.junit)
    if args.gradescope:
        formats.gradescope(combined, args.gradescope)
    print(file=out)
    print("\n".join(summary(stats, repeat, style, args.verbose)), file=out, flush=True)
    problems = [ts for ts in stats if ts.problem]
    if problems:
        for ts in problems:
            print(f"\ngrader failed on {ts.topic.id}: {ts.problem}", file=sys.stderr)
        return exitcodes.GRADER_FAILED
    return exitcodes.FULL_MARKS if all(ts.every_time(repeat) for ts in stats) else exitcodes.NOT_FULL
