"""`python -m grader.export DEST`: write the student template repository.

Everything students need, nothing they must not see: solutions/, the
repository's own tests (selftest/), the authoring CI and tools/ stay behind.
The README is rewritten for students. grader/template.sha256 records the
tests and the grader as shipped (grader/integrity.py), so changes to them
show up in the student's Classroom runs.

With --hidden-tests the topic suites are left out too: the Classroom
workflow then checks them out at grading time from a private repository,
named by the repository variable GRADER_TESTS_REPO and read with the secret
GRADER_TESTS_TOKEN (a fine-grained token with read access to that repo).
Students can still run `python -m grader`, which then says the tests are
hidden; their score comes from Classroom.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from grader import classroom, integrity, manifest, selfcheck
from grader.manifest import COURSE

LEFT_OUT = ("solutions/", "selftest/", "tools/", ".ci/", ".github/workflows/test.yml", "README.md",
            "gradescope/", "grader/coverage.py")  # coverage.py measures solutions: instructors only

STUDENT_README = """# Network programming and concurrency: exercises

Sockets, threads, locks, processes and coroutines, one topic at a time, each
graded by hidden tests on real loopback sockets and real threads.

## Start

```
python -m pip install -e .
python -m grader
```

Edit the files in `exercises/`: each starts with a docstring that explains
the task; replace every `# TODO`. Then:

- `python -m grader framing` grades one topic, `python -m grader` all of them;
- `python -m grader --hint framing` shows the next hint for a topic; when the
  report says "Hint 2 of 4 is about this failure", `--hint framing 2` shows it;
- `python -m grader -v framing` shows every failing test in full;
- `python -m grader --watch` regrades a topic each time you save its file;
- `python -m grader --repeat 10 locks` reruns a topic with forced thread
  switches and shows each test's pass rate: a test that passes only sometimes
  has a race.

Every push is graded on GitHub Classroom with the same grader
(`.github/workflows/classroom.yml`).

## Topics

{begin}
{table}
{end}

## Reading the report

Each test is passed, failed (wrong result), error (your code raised), not
started (still `NotImplementedError`), timeout (with where your code was
stuck), deadlock (which threads wait for which locks) or crashed. A hang
costs only the test that hangs.

## About the tests

Do not edit `tests/` or `grader/`: your Classroom run reports any change to
them, and your instructor grades your `exercises/` with the original tests.
"""


def files_to_copy(root: Path) -> list[str]:
    try:
        # what git tracks, plus new files it does not ignore (the working tree as it is)
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        listed = [p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts]
    return [f for f in listed if not f.startswith(LEFT_OUT) and (root / f).is_file()]


def export(dest: Path, hidden_tests: bool = False) -> Path:
    course = manifest.load()
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} exists and is not empty")
    for name in files_to_copy(COURSE):
        if hidden_tests and name.startswith("tests/"):
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(COURSE / name, target)
    (dest / "README.md").write_text(STUDENT_README.format(
        begin=selfcheck.BEGIN, table=selfcheck.topic_table(course), end=selfcheck.END), encoding="utf-8")
    workflow = dest / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(classroom.workflow(course, hidden_tests=hidden_tests), encoding="utf-8")
    (dest / integrity.FINGERPRINT.relative_to(COURSE)).write_text(
        integrity.fingerprint(dest, hidden_tests=hidden_tests), encoding="utf-8")
    return dest


def gradescope_zip(path: Path) -> Path:
    """Gradescope's autograder zip: setup.sh and run_autograder at the root, then the
    course (grader, tests, manifest; no solutions) as /autograder/source."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for script in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(script)
            info.external_attr = 0o755 << 16
            zf.writestr(info, (COURSE / "gradescope" / script).read_bytes())
        for name in files_to_copy(COURSE):
            if name.startswith(("exercises/", ".github/", ".devcontainer/")):
                continue
            zf.write(COURSE / name, name)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.export", description=__doc__.split("\n")[0])
    parser.add_argument("dest", help="an empty or new folder (or the zip's path with --gradescope-zip)")
    parser.add_argument("--hidden-tests", action="store_true",
                        help="leave tests/ out; Classroom fetches them from a private repository")
    parser.add_argument("--gradescope-zip", action="store_true",
                        help="write Gradescope's autograder zip to DEST instead")
    args = parser.parse_args(argv)
    if args.gradescope_zip:
        print(f"wrote {gradescope_zip(Path(args.dest))}")
        return 0
    dest = export(Path(args.dest), hidden_tests=args.hidden_tests)
    print(f"wrote the student template to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
