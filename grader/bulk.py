"""`python -m grader.bulk SUBMISSIONS --out DIR`: grade a whole class.

SUBMISSIONS holds one folder per student: a clone of their repository, or
just their exercises/ folder. From each, only the topic modules named in the
manifest are taken (exercises/<id>.py), copied into a clean folder, and graded
with THIS repository's pristine suites and grader: edited tests, a changed
grader or a rewritten workflow in the student's repository change nothing.

Grading is done by `python -m grader` processes (each in its own session, with
a time limit of its own), several at once (-j). One hanging or hostile
submission costs its own time limit and never stalls the batch.

Identical files are graded once. The suites are deterministic, so a topic
file that is byte-identical to one already graded in this batch (the
untouched stub, above all, or a file copied from a classmate) gets that
result again instead of a second grading, provided the other topic modules it
names (file_upload.py imports framing.py) are identical too. Each topic in a
student's JSON says under "bulk" whether it was graded for that student or
reused, and why. --no-reuse grades every file of every student.

Output, in DIR:
    <student>.json   the grader's JSON for that student (written when done),
                     plus "bulk": which topics were graded, which reused
    grades.csv       student, points per topic, total, max (rewritten at the end)
    identical.txt    groups of students whose topic files are byte-identical
                     (stubs left out), and copies of the reference solution:
                     graded once, and worth a look
Run it again and students that already have a complete JSON are skipped
(--force regrades them), so an interrupted batch resumes where it stopped;
the results in those JSONs are reused for identical files.
"""
from __future__ import annotations

import argparse
import ast
import copy
import csv
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from grader import exitcodes, manifest
from grader.manifest import COURSE, ROOT
from grader.results import SCHEMA_VERSION

# Gradings run at once. A grading mostly waits (on sockets, threads, its
# pytest child starting, time-outs of hanging code): one uses well under half a
# core, so two per core keep the cores busy without crowding them.
DEFAULT_JOBS = 2 * (os.cpu_count() or 1)


def find_modules(student_dir: Path, ids: list[str]) -> Path:
    """The folder holding the student's topic modules (exercises/ or the folder itself)."""
    for candidate in (student_dir / "exercises", student_dir):
        if any((candidate / f"{i}.py").is_file() for i in ids):
            return candidate
    return student_dir / "exercises"


def complete(path: Path) -> bool:
    data = _load(path)
    return isinstance(data, dict) and "version" in data and "topics" in data


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- what a topic's result depends on --------------------------------------------------------

def course_fingerprints(ids: list[str]) -> dict[str, str]:
    """Per topic: a hash of everything but the student's files that its grading depends on."""
    common = hashlib.sha256(sys.version.encode())
    paths = [manifest.MANIFEST, ROOT / "pyproject.toml", *sorted((ROOT / "grader").glob("*.py")),
             *sorted((COURSE / "tests").glob("*.py")), *sorted((COURSE / "tests" / "support").rglob("*.py"))]
    for path in paths:
        if path.name.startswith("test_"):
            continue  # each topic's own suite is added below
        try:
            common.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            pass
    prints = {}
    for topic_id in ids:
        h = common.copy()
        try:
            h.update((COURSE / "tests" / f"test_{topic_id}.py").read_bytes())
        except OSError:
            pass
        prints[topic_id] = h.hexdigest()
    return prints


def _imports(data: bytes) -> set[str]:
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def dependencies(topic_id: str, data: bytes | None, ids: list[str], stub: bool) -> list[str]:
    """The other topic modules whose content can change this file's result.

    The course's own stub is trusted: what it imports. A student's file: every
    topic module it names anywhere (even in a comment), and all of them if it
    imports by computed name (importlib, __import__, exec, ...).
    """
    if data is None:
        return []
    others = [i for i in ids if i != topic_id]
    if stub:
        return [i for i in others if i in _imports(data)]
    if _DYNAMIC.search(data):
        return others
    return [i for i in others if re.search(rb"\b" + i.encode() + rb"\b", data)]


_DYNAMIC = re.compile(rb"__import__|importlib|import_module|\bexec\b|\beval\b|\bcompile\b|runpy|"
                      rb"pkgutil|sys\.modules|__builtins__|__file__|\bsys\.path\b")


@dataclass
class Student:
    name: str
    path: Path
    files: dict[str, bytes | None]  # topic id -> the module's bytes (None: no such file)
    sha: dict[str, str] = field(default_factory=dict)
    stub: dict[str, bool] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # topic id -> what its result depends on


def read_student(path: Path, ids: list[str], stubs: dict[str, bytes | None],
                 prints: dict[str, str], reuse: bool) -> Student:
    """Read the student's topic modules once: what is hashed is what is graded."""
    source = find_modules(path, ids)
    files = {}
    for topic_id in ids:
        module = source / f"{topic_id}.py"
        try:  # only the topic modules, never through a symlink: nothing else of theirs runs
            files[topic_id] = module.read_bytes() if module.is_file() and not module.is_symlink() else None
        except OSError:
            files[topic_id] = None
    s = Student(path.name, path, files)
    for topic_id, data in files.items():
        s.sha[topic_id] = sha256(data) if data is not None else ""
        s.stub[topic_id] = data is not None and data == stubs.get(topic_id)
    for topic_id, data in files.items():
        h = hashlib.sha256(f"{prints[topic_id]}\0{topic_id}\0{s.sha[topic_id] or '-'}".encode())
        for dep in dependencies(topic_id, data, ids, s.stub[topic_id]):
            h.update(f"\0{dep}={s.sha[dep] or '-'}".encode())
        if not reuse:
            h.update(f"\0student={s.name}".encode())
        s.keys[topic_id] = h.hexdigest()
    return s


# --- grading ---------------------------------------------------------------------------------

_live: set[int] = set()  # process groups of the gradings running now (killed on Ctrl-C)
_live_lock = threading.Lock()
_stopping = threading.Event()


def grade_job(student: Student, topics: list[str], limit: float) -> dict:
    """Grade some of one student's topics in a fresh `python -m grader` process.

    Returns {"topics": {id: topic JSON}, "seconds": ...} or {"error": ..., "seconds": ...}.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bulk-") as tmp:
        clean = Path(tmp) / "exercises"
        clean.mkdir()
        for topic_id, data in student.files.items():  # all of them: a module may import another
            if data is not None:
                (clean / f"{topic_id}.py").write_bytes(data)
        partial = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "grader", *topics, "-j", "1", "--submission", str(clean), "--json", str(partial)]
        env = {**os.environ, "NO_COLOR": "1"}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        with _live_lock:
            _live.add(proc.pid)
            if _stopping.is_set():  # Ctrl-C came while it was starting
                _killpg(proc.pid)
        try:
            try:
                _, err = proc.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                _killpg(proc.pid)
                proc.communicate()
                return {"error": f"not finished after {limit:.0f} s", "seconds": time.monotonic() - started}
        finally:
            with _live_lock:
                _live.discard(proc.pid)
        data = _load(partial)
        if proc.returncode == exitcodes.GRADER_FAILED or not complete(partial):
            return {"error": (err or b"").decode(errors="replace")[-500:]
                    or f"grader exited {proc.returncode}", "seconds": time.monotonic() - started}
    by_id = {t["id"]: t for t in data["topics"]}
    missing = [t for t in topics if t not in by_id]
    if missing:
        return {"error": f"the grader's JSON lacks {', '.join(missing)}", "seconds": time.monotonic() - started}
    return {"topics": by_id, "seconds": time.monotonic() - started}


def precompile() -> None:
    """Byte-compile the suites and the grader once, before the batch.

    Every grading starts a fresh pytest process that imports tests/support and
    the suite; the runner's children never write bytecode, so without this each
    of them compiles those modules again (about a tenth of a grading's CPU).
    __pycache__ is ignored by git and by the runner's check of the course files.
    """
    import compileall  # noqa: PLC0415

    for folder in (COURSE / "tests", ROOT / "grader"):
        try:
            compileall.compile_dir(folder, quiet=2)
        except OSError:
            pass  # a read-only checkout: slower, not wrong


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reason(student: Student, topic_id: str, source: str) -> str:
    if student.stub[topic_id]:
        return "identical to the course's stub"
    if not student.sha[topic_id]:
        return "no such file"
    return f"byte-identical to {source}'s file (and the topic modules it names)"


def _why(student: Student, topic_id: str, entry: dict) -> str:
    if entry.get("earlier"):
        return "graded in an earlier run"
    if student.stub[topic_id]:
        return "identical to the stub"
    if not student.sha[topic_id]:
        return "no such file"
    return "identical to a classmate's file"


def assemble(student: Student, ids: list[str], results: dict[str, dict]) -> dict:
    """The student's JSON, from one result per topic (graded for them or reused)."""
    topics, graded, reused = [], [], []
    for topic_id in ids:
        key = student.keys[topic_id]
        entry = results[key]
        topic = copy.deepcopy(entry["topic"])
        mine = entry["graded_for"] == student.name and not entry.get("earlier")
        (graded if mine else reused).append(topic_id)
        topic["bulk"] = {"sha256": student.sha[topic_id], "key": key,
                         "graded_for": entry["graded_for"], "reused": not mine,
                         "reason": "" if mine else _reason(student, topic_id, entry["graded_for"])}
        topics.append(topic)
    return {
        "version": SCHEMA_VERSION,
        "target": str(student.path),
        "score": sum(t["score"] for t in topics),
        "max_score": sum(t["max_score"] for t in topics),
        "topics": topics,
        "bulk": {"student": student.name, "graded": graded, "reused": reused},
    }


def _write_json(path: Path, data: dict) -> None:
    partial = path.with_name(f".{path.name}.part")
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(partial, path)  # appears only when complete: resume can trust it


def _earlier_results(out: Path, students: list[Path], ids: list[str]) -> dict[str, dict]:
    """Results in complete JSONs of an earlier run, by key (they carry the key they were graded for)."""
    known = {}
    for path in students:
        data = _load(out / f"{path.name}.json")
        if not isinstance(data, dict):
            continue
        for topic in data.get("topics", []):
            info = topic.get("bulk") if isinstance(topic, dict) else None
            if isinstance(info, dict) and info.get("key") and topic.get("id") in ids:
                clean = {k: v for k, v in topic.items() if k != "bulk"}
                known.setdefault(info["key"], {"topic": clean, "graded_for": info.get("graded_for", path.name),
                                               "earlier": True})
    return known


# --- reports ---------------------------------------------------------------------------------

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


def identical_groups(students: list[Student], ids: list[str]) -> list[tuple[str, str, list[str], bool]]:
    """(topic, sha256, students, is the reference solution) for every non-stub file that two
    or more students share byte for byte, or that is the course's reference solution."""
    groups = []
    for topic_id in ids:
        solution = COURSE / "solutions" / f"{topic_id}.py"
        reference = sha256(solution.read_bytes()) if solution.is_file() else None
        by_sha: dict[str, list[str]] = {}
        for s in students:
            if s.sha[topic_id] and not s.stub[topic_id]:
                by_sha.setdefault(s.sha[topic_id], []).append(s.name)
        for digest, names in sorted(by_sha.items(), key=lambda kv: kv[1]):
            if len(names) > 1 or digest == reference:
                groups.append((topic_id, digest, names, digest == reference))
    return groups


def write_identical(out: Path, groups) -> Path:
    path = out / "identical.txt"
    lines = ["Byte-identical topic files (untouched stubs and missing files left out).",
             "Each group was graded once. Identical files are a reason to look, not a proof of copying.",
             ""]
    for topic_id, digest, names, reference in groups:
        note = "   <- the course's reference solution, verbatim" if reference else ""
        lines.append(f"{topic_id:<16} sha256 {digest[:12]}  {', '.join(names)}{note}")
    if not groups:
        lines.append("(none)")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the batch -------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.bulk", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", help="folder with one sub-folder per student")
    parser.add_argument("--out", required=True, help="folder for <student>.json and grades.csv")
    parser.add_argument("-j", "--jobs", type=int, default=DEFAULT_JOBS,
                        help=f"gradings run at once (default {DEFAULT_JOBS}: two per core)")
    parser.add_argument("--force", action="store_true", help="regrade students already graded")
    parser.add_argument("--no-reuse", action="store_true",
                        help="grade every file, even one identical to a file already graded")
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
    all_ids = course.ids
    if args.topics:
        course = manifest.Manifest(tuple(t for t in course.topics if t.id in args.topics))
    ids = course.ids
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    started = time.monotonic()

    stubs = {}
    for topic_id in all_ids:
        stub = COURSE / "exercises" / f"{topic_id}.py"
        stubs[topic_id] = stub.read_bytes() if stub.is_file() else None
    prints = course_fingerprints(all_ids)
    precompile()
    reuse = not args.no_reuse
    everyone = [read_student(p, all_ids, stubs, prints, reuse) for p in paths]
    by_name = {s.name: s for s in everyone}
    todo = [s for s in everyone if args.force or not complete(out / f"{s.name}.json")]
    results: dict[str, dict] = {}  # key -> {"topic": topic JSON, "graded_for": student}
    if reuse and not args.force:
        results.update(_earlier_results(out, paths, ids))

    # Plan: each distinct key is graded for the first student (in name order) who has it.
    holders: dict[str, list[Student]] = {}
    for s in todo:
        for topic_id in ids:
            if s.keys[topic_id] not in results:
                holders.setdefault(s.keys[topic_id], []).append(s)
    jobs: dict[str, list[str]] = {}
    for s in todo:
        for topic_id in ids:
            key = s.keys[topic_id]
            if key in holders and holders[key][0] is s:
                jobs.setdefault(s.name, []).append(topic_id)
    distinct = sum(len(t) for t in jobs.values())
    print(f"{len(everyone)} students, {len(everyone) - len(todo)} already graded, {len(todo)} to grade: "
          f"{distinct} distinct topic files to grade, {len(todo) * len(ids) - distinct} results to "
          f"reuse for identical files; {args.jobs} gradings at a time",
          flush=True)

    stats = {"graded": 0, "reused": 0, "failed": 0, "written": 0,
             "why": {"identical to the stub": 0, "identical to a classmate's file": 0,
                     "no such file": 0, "graded in an earlier run": 0}}
    failed: dict[str, str] = {}  # student -> why not graded
    pending = {s.name: s for s in todo}

    def finish_ready() -> None:
        for name in list(pending):
            s = pending[name]
            if name in failed:
                del pending[name]
                stats["failed"] += 1
                stats["written"] += 1
                last = failed[name].strip().splitlines()[-1] if failed[name].strip() else "?"
                print(f"[{stats['written']}/{len(todo)}] {name:<20} NOT GRADED: {last}", flush=True)
            elif all(s.keys[t] in results for t in ids):
                del pending[name]
                data = assemble(s, ids, results)
                _write_json(out / f"{name}.json", data)
                stats["written"] += 1
                n_graded, n_reused = len(data["bulk"]["graded"]), len(data["bulk"]["reused"])
                stats["reused"] += n_reused
                for topic in data["topics"]:
                    if topic["bulk"]["reused"]:
                        stats["why"][_why(s, topic["id"], results[s.keys[topic["id"]]])] += 1
                print(f"[{stats['written']}/{len(todo)}] {name:<20} "
                      f"{number(data['score'])}/{number(data['max_score'])}  "
                      f"({n_graded} graded, {n_reused} reused)", flush=True)

    finish_ready()  # students whose every file was graded before
    running = {}

    def submit(pool, student: Student, topics: list[str]) -> None:
        limit = sum(course.get(t).wall_limit for t in topics) + 60
        running[pool.submit(grade_job, student, topics, limit)] = (student, topics)

    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        # Longest first: the batch does not end waiting for one long job started last.
        for name in sorted(jobs, key=lambda n: -len(jobs[n])):
            submit(pool, by_name[name], jobs[name])
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            retry: dict[str, list[str]] = {}
            for future in done:
                student, topics = running.pop(future)
                r = future.result()
                if "error" in r:
                    failed[student.name] = r["error"]
                    for topic_id in topics:  # the next student with the same file grades it
                        key = student.keys[topic_id]
                        nxt = next((h for h in holders[key] if h.name not in failed), None)
                        if nxt is not None:
                            holders[key] = holders[key][holders[key].index(nxt):]
                            retry.setdefault(nxt.name, []).append(topic_id)
                    continue
                stats["graded"] += len(topics)
                for topic_id in topics:
                    results[student.keys[topic_id]] = {"topic": r["topics"][topic_id],
                                                       "graded_for": student.name}
            for name, topics in retry.items():
                submit(pool, by_name[name], sorted(set(topics), key=ids.index))
            finish_ready()
    except KeyboardInterrupt:
        _stopping.set()
        with _live_lock:
            for pid in list(_live):
                _killpg(pid)
        pool.shutdown(wait=True, cancel_futures=True)
        print("\ninterrupted: run the same command again to go on where it stopped", file=sys.stderr)
        return exitcodes.NOT_FULL
    pool.shutdown(wait=True)
    for name in list(pending):  # a file nobody could grade: every student holding it failed
        failed.setdefault(name, "a topic file identical to one whose grading failed")
    finish_ready()

    path = write_csv(out, paths, course)
    groups = identical_groups(everyone, ids)
    report = write_identical(out, groups)
    copies = sum(1 for g in groups if len(g[2]) > 1)
    leaked = sum(1 for g in groups if g[3])
    why = ", ".join(f"{n} {k}" for k, n in stats["why"].items() if n)
    print(f"wrote {path} in {time.monotonic() - started:.1f} s: {stats['graded']} gradings run "
          f"(distinct topic files), {stats['reused']} results reused" + (f" ({why})" if why else "")
          + (f"; {stats['failed']} students not graded" if stats["failed"] else ""))
    print(f"identical files: {copies} group{'s' if copies != 1 else ''} shared by several students, "
          f"{leaked} reference solution{'s' if leaked != 1 else ''} handed in verbatim: see {report}")
    return exitcodes.GRADER_FAILED if stats["failed"] else exitcodes.FULL_MARKS


if __name__ == "__main__":
    sys.exit(main())
