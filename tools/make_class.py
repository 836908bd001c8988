"""Build a realistic, deterministic class of student submissions for bulk grading.

    python tools/make_class.py DEST                 50 students
    python tools/make_class.py DEST --students 12   fewer (the same first 12 names)

Each student gets DEST/<name>/exercises/<topic>.py for every topic, as in a clone
of the template:

- Student i has solved a prefix of the topics, spread evenly from none (the
  first student) to all of them (the last). A solved file is the reference
  solution under a two-line comment naming the student, so no two students'
  solved files are the same bytes (real students' files always differ).
- A few students have a buggy variant from selftest/variants in one solved
  topic instead (a deadlock, a race, wrong answers), again under their name.
- Two students copied one file from a classmate, byte for byte, and one handed
  in the reference solution of a topic verbatim (what the identical-file report
  of `python -m grader.bulk` is for).
- Every other topic is the untouched stub, byte-identical to exercises/<topic>.py.

Nothing is random: the same DEST content every time.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import manifest  # noqa: E402

NAMES = [
    "ada", "alan", "barbara", "bjarne", "brian", "claude", "dennis", "donald", "edsger", "frances",
    "grace", "guido", "hedy", "ivan", "james", "jean", "john", "ken", "leslie", "linus",
    "lynn", "margaret", "mary", "niklaus", "radia", "richard", "robin", "ruth", "shafi", "sophie",
    "steve", "tim", "tony", "ward", "whitfield", "yukihiro", "adele", "alonzo", "anita", "carol",
    "charles", "evelyn", "fran", "gene", "hal", "joan", "karen", "kathleen", "larry", "martha",
]

# (student index, topic, variant): buggy files a few students handed in instead of a solution.
# Kept to topics inside each student's solved prefix (checked in build()).
VARIANTS = [  # the verdicts they get (the suites bound every wait, so few bugs cost a time-out)
    (12, "framing", "single_recv"),              # wrong answers on split reads: failed
    (19, "http_client", "no_connection_close"),  # a request without Connection: close: failed
    (25, "udp_echo", "no_retry"),                # gives up on the first lost datagram: failed
    (31, "deadlock", "naive_lock_order"),        # a real deadlock: deadlock, diagnosed
    (38, "conditions", "if_not_while"),          # a race: failed
    (44, "queues", "missing_task_done"),         # join() would never return: failed
]

# (copier index, original index, topic): a file copied byte for byte from a classmate.
COPIES = [
    (30, 29, "locks"),
    (41, 40, "tcp_server"),
]

# (student index, topic): the course's reference solution handed in verbatim (a leaked copy).
LEAKED = [(47, "gil")]


def solved_count(index: int, students: int, topics: int) -> int:
    """Topics solved by student `index`: from 0 (the first) to all (the last), evenly spread."""
    return topics if students == 1 else round(index * topics / (students - 1))


def signed(name: str, text: str) -> str:
    return f"# {name}'s work for the course: wire-and-thread\n# (handed in by {name})\n{text}"


def build(dest: Path, students: int = 50) -> dict:
    """Write the class into `dest` (emptied first); return a small description of it."""
    if students > len(NAMES):
        raise ValueError(f"at most {len(NAMES)} students")
    course = manifest.load()
    ids = course.ids
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    variants = {(i, t): v for i, t, v in VARIANTS}
    description = {"students": [], "variants": [], "copies": []}
    for index in range(students):
        name = NAMES[index]
        folder = dest / name / "exercises"
        folder.mkdir(parents=True)
        solved = solved_count(index, students, len(ids))
        for n, topic in enumerate(ids):
            if n < solved:
                variant = variants.get((index, topic))
                if variant:
                    source = ROOT / "selftest" / "variants" / topic / f"{variant}.py"
                    description["variants"].append(f"{name}/{topic}: {variant}")
                else:
                    source = ROOT / "solutions" / f"{topic}.py"
                text = signed(name, source.read_text(encoding="utf-8"))
                (folder / f"{topic}.py").write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(ROOT / "exercises" / f"{topic}.py", folder / f"{topic}.py")
        description["students"].append((name, solved))
    for copier, original, topic in COPIES:
        if max(copier, original) < students:
            shutil.copyfile(dest / NAMES[original] / "exercises" / f"{topic}.py",
                            dest / NAMES[copier] / "exercises" / f"{topic}.py")
            description["copies"].append(f"{NAMES[copier]}/{topic} = {NAMES[original]}/{topic}")
    for index, topic in LEAKED:
        if index < students:
            shutil.copyfile(ROOT / "solutions" / f"{topic}.py", dest / NAMES[index] / "exercises" / f"{topic}.py")
            description["copies"].append(f"{NAMES[index]}/{topic} = solutions/{topic}")
    for index, topic, variant in VARIANTS:
        if index < students:
            assert ids.index(topic) < solved_count(index, students, len(ids)), (index, topic)
    return description


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", help="folder to (re)create with one sub-folder per student")
    parser.add_argument("--students", type=int, default=50, help=f"1 to {len(NAMES)} (default 50)")
    args = parser.parse_args(argv)
    info = build(Path(args.dest), args.students)
    solved = [n for _, n in info["students"]]
    print(f"{len(solved)} students in {args.dest}: topics solved {min(solved)} to {max(solved)} "
          f"({sum(solved)} solved files); buggy variants: {', '.join(info['variants']) or 'none'}; "
          f"copied files: {', '.join(info['copies']) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
