"""GitHub Classroom: the autograding workflow and the results it reads.

`python -m grader.classroom` writes .github/workflows/classroom.yml from the
manifest; `--check` exits 1 when the file is stale (the self-check runs it).

The workflow has the layout Classroom picks up (name "Autograding Tests", one
job `run-autograding-tests`). Its grader step runs `python -m grader
--classroom`, which writes one output per topic, `<runner>=<base64 JSON>`, in
the format of classroom-resources/autograding-grading-reporter@v1:

    {"version": 1, "status": "pass|fail|error", "max_score": N,
     "tests": [{"name", "status", "score", "message", "test_code",
                "filename", "line_no", "duration"}]}

The reporter step reads each as the environment variable <RUNNER>_RESULTS
and sums every test's score: per-test partial credit reaches Classroom as
"Points X/Y". Test scores are whole multiples of 1/64 (runner.apportion), so
the reporter's JavaScript sum equals the grader's own score exactly. (Its
per-runner table shows passed/total x max_score, reporter bug #10; with
weighted tests that row can differ from the points. "Points X/Y" is exact.)
"""
from __future__ import annotations

import argparse
import base64
import json
import sys

from grader import manifest
from grader.manifest import COURSE, Manifest
from grader.results import Run, TopicResult, Verdict

WORKFLOW = COURSE / ".github" / "workflows" / "classroom.yml"
STEP_ID = "grader"
PYTHON = "3.11"
MESSAGE_CAP = 1000


def runner_name(topic_id: str) -> str:
    """The reporter wants runner names of letters and digits only."""
    return topic_id.replace("_", "")


def payload(topic: TopicResult) -> dict:
    tests = []
    for t in topic.tests:
        status = "pass" if t.status is Verdict.PASSED else (
            "error" if t.status in (Verdict.ERROR, Verdict.CRASHED) else "fail")
        tests.append({
            "name": f"{topic.id}: {t.name}",
            "status": status,
            "score": t.score,
            "message": "" if status == "pass" else f"[{t.status.words}] {t.message}"[:MESSAGE_CAP],
            "test_code": f"python -m grader {topic.id}",
            "filename": f"exercises/{topic.id}.py",
            "line_no": 0,
            "duration": round(t.duration * 1000),
        })
    if topic.problem:
        status = "error"
    elif topic.unavailable or topic.status == "passed":
        status = "pass"
    else:
        status = "fail"
    return {"version": 1, "status": status, "max_score": topic.max_score, "tests": tests}


def encode(data: dict) -> str:
    return base64.b64encode(json.dumps(data).encode("utf-8")).decode("ascii")


def write_outputs(run: Run, path: str | None) -> None:
    """`<runner>=<base64>` lines to $GITHUB_OUTPUT (or stdout when it is not set)."""
    lines = [f"{runner_name(t.id)}={encode(payload(t))}" for t in run.topics]
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))


HIDDEN_TESTS_STEPS = """      - name: Fetch the hidden tests
        uses: actions/checkout@v4
        with:
          repository: ${{ vars.GRADER_TESTS_REPO }}
          token: ${{ secrets.GRADER_TESTS_TOKEN }}
          path: .hidden-tests
      - name: Put the hidden tests in place
        run: rm -rf tests && cp -r .hidden-tests/tests tests && rm -rf .hidden-tests
"""


def workflow(course: Manifest, hidden_tests: bool = False) -> str:
    runners = [runner_name(t.id) for t in course.topics]
    env = "\n".join(f"          {r.upper()}_RESULTS: \"${{{{ steps.{STEP_ID}.outputs.{r} }}}}\""
                    for r in runners)
    minutes = max(10, int(sum(t.wall_limit for t in course.topics) / 60 / 2) + 5)
    extras = sorted({"green" for t in course.topics if t.requires})
    install = f'python -m pip install -e ".[{",".join(extras)}]"' if extras else "python -m pip install -e ."
    return f"""# Generated from manifest.toml by `python -m grader.classroom`: do not edit by hand.
# GitHub Classroom grades every push with it; the self-check fails when it is stale.
name: Autograding Tests
on: [push, repository_dispatch, workflow_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: {minutes}
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
{HIDDEN_TESTS_STEPS if hidden_tests else ""}      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{PYTHON}"
      - name: Install
        run: {install}
      - name: Grade
        id: {STEP_ID}
        run: python -m grader --classroom -j 2
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}
        with:
          runners: {",".join(runners)}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.classroom",
                                     description="Write (or --check) the Classroom workflow.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the workflow is stale")
    args = parser.parse_args(argv)
    text = workflow(manifest.load())
    current = WORKFLOW.read_text(encoding="utf-8") if WORKFLOW.exists() else None
    if args.check:
        if current != text:
            print(f"{WORKFLOW.relative_to(COURSE)} is stale: run `python -m grader.classroom`")
            return 1
        return 0
    WORKFLOW.parent.mkdir(parents=True, exist_ok=True)
    WORKFLOW.write_text(text, encoding="utf-8")
    print(f"wrote {WORKFLOW.relative_to(COURSE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
