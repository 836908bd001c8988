"""`python -m grader.bulk SUBMISSIONS --out DIR`: grade a whole class.

SUBMISSIONS holds one folder per student: a clone of their repository, or
just their exercises/ folder. From each, only the topic modules named in the
manifest are taken (exercises/<id>.py), copied into a clean folder, and graded
with THIS repository's pristine suites and grader: edited tests, a changed
grader or a rewritten workflow in the student's repository change nothing.

Each student is graded by its own `python -m grader` process (in its own
session, with a time limit of its own), several at once (-j). One hanging or
hostile submission costs its own time limit and never stalls the batch.

Output, in DIR:
    <student>.json   the grader's JSON for that student (written when done)
    grades.csv       student, points per topic, total, max (rewritten at the end)
Run it again and students that already have a complete JSON are skipped
(--force regrades them), so an interrupted batch resumes where it stopped.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grader import exitcodes, manifest
from grader.manifest import ROOT


def find_modules(student_dir: Path, ids: list[str]) -> Path:
    """The folder holding the student's topic modules (exercises/ or the folder itself)."""
    for candidate in (student_dir / "exercises", student_dir):
        if any((candidate / f"{i}.py").is_file() for i in ids):
            return candidate
    return student_dir / "exercises"


def complete(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "version" in data and "topics" in data


def grade_one(student: Path, out: Path, ids: list[str], limit: float, topics: list[str]) -> dict:
    """Grade one student in a fresh process; returns a small summary."""
    started = time.monotonic()
    result = out / f"{student.name}.json"
    with tempfile.TemporaryDirectory(prefix="bulk-") as tmp:
        clean = Path(tmp) / "exercises"
        clean.mkdir()
        source = find_modules(student, ids)
        for topic_id in ids:  # only the topic modules: nothing else of theirs runs
            module = source / f"{topic_id}.py"
            if module.is_file() and not module.is_symlink():
                shutil.copyfile(module, clean / module.name)
        partial = out / f".{student.name}.json.part"
        cmd = [sys.executable, "-m", "grader", *topics, "--submission", str(clean), "--json", str(partial)]
        env = {**os.environ, "NO_COLOR": "1"}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            return {"student": student.name, "error": f"not finished after {limit:.0f} s",
                    "seconds": time.monotonic() - started}
        if proc.returncode == exitcodes.GRADER_FAILED or not complete(partial):
            return {"student": student.name, "error": (err or b"").decode(errors="replace")[-500:]
                    or f"grader exited {proc.returncode}", "seconds": time.monotonic() - started}
        os.replace(partial, result)  # appears only when complete: resume can trust it
    data = json.loads(result.read_text(encoding="utf-8"))
    return {"student": student.name, "score": data["score"], "max_score": data["max_score"],
            "seconds": time.monotonic() - started}


def number(x: float) -> str:
    """Scores are multiples of 1/64: print them exactly, without trailing zeros."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def write_csv(out: Path, students: list[Path], course: manifest.Manifest) -> Path:
    path = out / "grades.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *course.ids, "total", "max", "status"])
        for student in students:
            result = out / f"{student.name}.json"
            if not complete(result):
                writer.writerow([student.name, *[""] * len(course.ids), "", "", "not graded"])
                continue
            data = json.loads(result.read_text(encoding="utf-8"))
            points = {t["id"]: t["score"] for t in data["topics"]}
            writer.writerow([student.name, *[number(points.get(i, 0)) for i in course.ids],
                             number(data["score"]), number(data["max_score"]), "graded"])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.bulk", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", help="folder with one sub-folder per student")
    parser.add_argument("--out", required=True, help="folder for <student>.json and grades.csv")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="students graded at once (default 2)")
    parser.add_argument("--force", action="store_true", help="regrade students already graded")
    parser.add_argument("--topics", nargs="+", metavar="TOPIC", help="grade only these topics")
    args = parser.parse_args(argv)
    root = Path(args.submissions)
    if not root.is_dir():
        print(f"{root}: no such folder", file=sys.stderr)
        return exitcodes.USAGE
    course = manifest.load()
    unknown = [t for t in args.topics or [] if t not in course.ids]
    if unknown:
        print(f"unknown topic {', '.join(unknown)}; the topics are: {', '.join(course.ids)}", file=sys.stderr)
        return exitcodes.USAGE
    if args.topics:
        course = manifest.Manifest(tuple(t for t in course.topics if t.id in args.topics))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    todo = [s for s in students if args.force or not complete(out / f"{s.name}.json")]
    limit = sum(t.wall_limit for t in course.topics) + 60
    print(f"{len(students)} students, {len(students) - len(todo)} already graded, "
          f"{len(todo)} to grade, {args.jobs} at a time", flush=True)
    started = time.monotonic()
    lock = threading.Lock()
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(grade_one, s, out, manifest.load().ids, limit, args.topics or [])
                   for s in todo]
        for done, future in enumerate(as_completed(futures), start=1):
            r = future.result()
            with lock:
                if "error" in r:
                    failed += 1
                    line = f"NOT GRADED: {r['error'].strip().splitlines()[-1] if r['error'].strip() else '?'}"
                else:
                    line = f"{number(r['score'])}/{number(r['max_score'])}"
                print(f"[{done}/{len(todo)}] {r['student']:<20} {line}  ({r['seconds']:.1f} s)", flush=True)
    path = write_csv(out, students, course)
    print(f"wrote {path} in {time.monotonic() - started:.1f} s" + (f"; {failed} not graded" if failed else ""))
    return exitcodes.GRADER_FAILED if failed else exitcodes.FULL_MARKS


if __name__ == "__main__":
    sys.exit(main())
