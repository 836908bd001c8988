"""`python -m grader`: grade the topic modules, topic by topic, in manifest order.

    python -m grader                      grade exercises/, every topic
    python -m grader TOPIC [TOPIC ...]    only those topics
    python -m grader --solutions          grade solutions/ instead
    python -m grader --submission DIR     grade a student's exercises/ folder (or repo root)
    python -m grader --json PATH          also write the results as JSON
    python -m grader --list               the topics, in order, with points
    python -m grader --hint TOPIC         reveal the next hint for TOPIC
    python -m grader --hint TOPIC N       show hint N (the report names the one about a failure)
    python -m grader --watch [TOPIC ...]  grade, then regrade each topic whose file you save,
                                          until Ctrl-C (no TOPIC: the next one to work on)
    python -m grader --repeat N [TOPIC]   grade N times with forced thread switches and show
                                          each test's pass rate: a test that passes only
                                          sometimes has a race (exit 0 only if all N passed)

--watch and --repeat work with --submission, --solutions and -v; --repeat also
with -j and the results files (see grader/stress.py for what --json adds).

Exit codes are in grader/exitcodes.py.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader import (classroom, exitcodes, formats, hints, integrity, manifest, procs, report,
                    runner, stress, target, watch)
from grader.results import Run, TopicResult


def default_jobs() -> int:
    """Two topics at a time where there are two cores: most suites wait on sockets half the time."""
    return min(2, os.cpu_count() or 1)


def main_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m grader",
        description="Grade the exercises: each topic's hidden tests run on real sockets, "
        "threads and processes, with time limits, and every test is scored.",
    )
    parser.add_argument("topics", nargs="*", metavar="TOPIC", help="topics to grade (default: all)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--solutions", action="store_true", help="grade solutions/ instead of exercises/")
    which.add_argument("--submission", metavar="DIR", help="grade the topic modules in DIR "
                       "(a student's exercises/ folder, or a repository that contains one)")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    parser.add_argument("--junit", metavar="PATH", help="also write JUnit XML to PATH")
    parser.add_argument("--gradescope", metavar="PATH", help="also write Gradescope's results.json to PATH")
    parser.add_argument("--classroom", action="store_true",
                        help="write GitHub Classroom reporter outputs to $GITHUB_OUTPUT (else stdout) "
                        "and exit 0 whatever the score: the reporter step sets the verdict")
    parser.add_argument("--list", action="store_true", help="list the topics in order, with points")
    parser.add_argument("--hint", nargs="+", metavar="TOPIC",
                        help="reveal the next hint for TOPIC; `--hint TOPIC N` shows hint N")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                        help="grade up to N topics at the same time (default: 2 on a machine with "
                        "2 cores or more, else 1)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show every failing test's message and pytest's own output")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--watch", action="store_true",
                      help="grade, then regrade a topic each time its file is saved, until Ctrl-C "
                      "(no TOPIC: start with the first topic not at full marks)")
    mode.add_argument("--repeat", type=int, metavar="N",
                      help="stress mode: grade each topic N times with forced thread switches and "
                      "report every test's pass rate; exit 0 only if every test passed every time")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    try:
        args = main_parser(prog).parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for bad usage, 0 for --help
        return exitcodes.USAGE if exc.code else exitcodes.FULL_MARKS
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(errors="replace")
    style = report.Style(out)
    try:
        course = manifest.load()
    except manifest.ManifestError as exc:
        print(f"grader failed: {exc}", file=sys.stderr)
        return exitcodes.GRADER_FAILED

    hint_number = None
    if args.hint:
        if len(args.hint) > 2 or (len(args.hint) == 2 and not args.hint[1].isdigit()):
            print("usage: python -m grader --hint TOPIC [N]", file=sys.stderr)
            return exitcodes.USAGE
        hint_number = int(args.hint[1]) if len(args.hint) == 2 else None
        args.hint = args.hint[0]
    unknown = [t for t in args.topics + ([args.hint] if args.hint else []) if t not in course.ids]
    if unknown:
        print(f"unknown topic {', '.join(unknown)}; the topics are: {', '.join(course.ids)}", file=sys.stderr)
        return exitcodes.USAGE
    if args.list:
        for topic in course.topics:
            print(f"{topic.number:>2}. {topic.id:<16} {report.fmt_points(topic.points):>4} points  "
                  f"{topic.title}  (notes {topic.seed})")
        print(f"    {'total':<16} {report.fmt_points(course.max_score):>4} points")
        return exitcodes.FULL_MARKS
    if args.hint:
        topic = course.get(args.hint)
        if hint_number is not None and not 1 <= hint_number <= len(topic.hints):
            print(f"{topic.id} has hints 1 to {len(topic.hints)}", file=sys.stderr)
            return exitcodes.USAGE
        print("\n".join(hints.reveal(topic, hint_number)))
        return exitcodes.FULL_MARKS
    if args.repeat is not None and args.repeat < 1:
        print(f"--repeat {args.repeat}: give the number of runs, 1 or more", file=sys.stderr)
        return exitcodes.USAGE
    files = [f"--{name}" for name in ("json", "junit", "gradescope") if getattr(args, name)]
    if args.watch and (files or args.classroom):
        print(f"--watch writes no results files: leave out {' '.join(files or ['--classroom'])}",
              file=sys.stderr)
        return exitcodes.USAGE
    if args.repeat is not None and args.classroom:
        print("--repeat is for finding races on your own machine, not for --classroom", file=sys.stderr)
        return exitcodes.USAGE

    if args.submission:
        if not Path(args.submission).is_dir():
            print(f"--submission {args.submission}: no such folder", file=sys.stderr)
            return exitcodes.USAGE
        folder = target.resolve(args.submission)
    else:
        folder = target.resolve("solutions" if args.solutions else "exercises")
    topics = [course.get(t) for t in args.topics] if args.topics else list(course.topics)
    if not (manifest.COURSE / "tests").is_dir():
        print("The tests are not in this repository: your instructor keeps them hidden and "
              "GitHub Classroom grades every push you make. Its report is in the Actions tab.",
              file=sys.stderr)
        return exitcodes.USAGE

    try:
        if args.watch:
            return watch.run(folder, topics, args, out, course=course, style=style,
                             shown=_shown(folder))
        if args.repeat is not None:
            return stress.run(course, topics, folder, args, out, style, _shown(folder))
        return _grade(course, topics, folder, args, style, out)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return exitcodes.NOT_FULL
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as the Python docs advise
        return exitcodes.NOT_FULL
    except Exception:  # the grader's own bug: say so, never blame the student
        print("grader failed (this is a bug in the grader, not in your code):", file=sys.stderr)
        traceback.print_exc()
        return exitcodes.GRADER_FAILED


def _shown(folder: Path) -> str:
    try:
        return str(folder.relative_to(manifest.COURSE))
    except ValueError:
        return str(folder)


def _grade(course, topics, folder, args, style, out) -> int:
    procs.become_subreaper()
    shown = _shown(folder)
    print(f"Grading {shown} ({len(topics)} topic{'s' if len(topics) != 1 else ''})", file=out, flush=True)
    run = Run(target=str(folder))

    def one(topic):
        try:
            return runner.grade(topic, folder, verbose=args.verbose)
        except runner.GraderError as exc:
            return TopicResult(topic.id, topic.title, topic.points, problem=str(exc))

    # Topics may run in parallel; their lines still come out in manifest order.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(one, topic) for topic in topics]
        for number, future in enumerate(futures, start=1):
            result = future.result()
            run.topics.append(result)
            print(report.progress_line(number, len(topics), result, style), file=out, flush=True)
            if args.verbose and result.output.strip():
                print(result.output.rstrip(), file=out)
    broken = any(t.problem for t in run.topics)
    # First: the results are safe whatever happens to the terminal.
    if args.json:
        run.write_json(args.json)
    if args.junit:
        formats.junit(run, args.junit)
    if args.gradescope:
        formats.gradescope(run, args.gradescope)
    if args.classroom:
        classroom.write_outputs(run, os.environ.get("GITHUB_OUTPUT"))
        for change in integrity.changes():  # shown in the Actions log, for the instructor
            print(f"::warning title=Grader files changed::{change} (compared with the template)")
    print(file=out)
    print("\n".join(report.table(run, style)), file=out)
    if args.verbose:
        for topic in run.topics:
            lines = report.failures(topic, everything=True)
            if lines:
                print(f"\n{topic.id}:", file=out)
                print("\n".join(lines), file=out)
    print(file=out)
    print("\n".join(report.next_steps(run, course, style, hints.seen(), args.submission)), file=out)
    if broken:
        for topic in run.topics:
            if topic.problem:
                print(f"\ngrader failed on {topic.id}: {topic.problem}", file=sys.stderr)
        return exitcodes.GRADER_FAILED
    if args.classroom:
        return exitcodes.FULL_MARKS
    return exitcodes.FULL_MARKS if run.full_marks else exitcodes.NOT_FULL


if __name__ == "__main__":
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python -m grader --list | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = exitcodes.FULL_MARKS
    sys.exit(code)
