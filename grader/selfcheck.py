"""`python -m grader.selfcheck`: refuse a broken course repository.

Like rustlings' `dev check`. Static checks (fast, no student code runs):
  - every manifest topic has a stub, a solution, a suite and hints;
  - the suite declares TOPIC = "<id>", and the manifest's weights name real tests;
  - every stub has a TODO and raises NotImplementedError;
  - stub and solution define the same public API (solutions mirror exercises);
  - no orphan files in exercises/, solutions/, tests/ or selftest/variants/;
  - every buggy variant says "Bug:" and "Caught by:" with real test names;
  - the README's topic table is the one generated from the manifest.
With --grade it also grades solutions/ (full marks expected) and exercises/
(0 points, every test "not started") through the real grader.
With --fix it rewrites the generated README table.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from grader import classroom, integrity, manifest
from grader.manifest import COURSE  # the course checked: this repo, unless GRADER_COURSE

README = COURSE / "README.md"
BEGIN = "<!-- topics:begin (generated from manifest.toml by `python -m grader.selfcheck --fix`; do not edit) -->"
END = "<!-- topics:end -->"
VARIANTS = COURSE / "selftest" / "variants"
SUPPORT_FILES = {"conftest.py"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def public_api(path: Path) -> dict[str, set[str]]:
    """Top-level public functions/classes (and each class's public methods)."""
    api = {}
    for node in _tree(path).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            api[node.name] = set()
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            api[node.name] = {
                n.name for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and (not n.name.startswith("_") or n.name in ("__init__", "__enter__", "__exit__"))
            }
    return api


def test_names(path: Path) -> set[str]:
    return {n.name for n in ast.walk(_tree(path))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")}


def variant_claims(path: Path) -> tuple[str, list[str]]:
    """(bug, [test names]) from a variant's docstring lines "Bug:" and "Caught by:"."""
    doc = ast.get_docstring(_tree(path)) or ""
    bug = re.search(r"^\s*Bug:\s*(.+)$", doc, re.M)
    caught = re.search(r"^\s*Caught by:\s*(.+)$", doc, re.M)
    names = [n.strip() for n in caught.group(1).split(",") if n.strip()] if caught else []
    return (bug.group(1).strip() if bug else ""), names


def topic_table(course: manifest.Manifest) -> str:
    rows = ["| # | topic | points | notes section | what you build |", "|---|---|---|---|---|"]
    for t in course.topics:
        rows.append(f"| {t.number} | `{t.id}` | {t.points:g} | {t.seed} | {t.title} |")
    rows.append(f"| | **total** | **{course.max_score:g}** | | |")
    return "\n".join(rows)


def readme_with_table(course: manifest.Manifest) -> str | None:
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if BEGIN not in text or END not in text:
        return None
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{topic_table(course)}\n{END}{tail}"


def static_problems() -> list[str]:
    try:
        course = manifest.load()
    except manifest.ManifestError as exc:
        return [str(exc)]
    problems = []
    ids = set(course.ids)
    template = not (COURSE / "solutions").is_dir()  # a student template: no solutions, maybe no tests
    hidden = template and not (COURSE / "tests").is_dir()
    for t in course.topics:
        stub, sol, suite = t.exercise(), t.solution, t.suite
        needed = [stub] + ([] if template else [sol]) + ([] if hidden else [suite])
        missing = [p.relative_to(COURSE).as_posix() for p in needed if not p.exists()]
        if missing:
            problems.append(f"{t.id}: missing {', '.join(missing)}")
            continue
        stub_text = stub.read_text(encoding="utf-8")
        if "TODO" not in stub_text:
            problems.append(f"{t.id}: exercises/{t.id}.py has no TODO marker")
        if "NotImplementedError" not in stub_text:
            problems.append(f"{t.id}: exercises/{t.id}.py never raises NotImplementedError")
        if not (ast.get_docstring(_tree(stub)) or "").strip():
            problems.append(f"{t.id}: exercises/{t.id}.py has no module docstring")
        if template:
            if not hidden and not re.search(rf"^TOPIC\s*=\s*['\"]{t.id}['\"]", suite.read_text(encoding="utf-8"), re.M):
                problems.append(f"{t.id}: tests/test_{t.id}.py does not declare TOPIC = \"{t.id}\"")
            continue
        stub_api, sol_api = public_api(stub), public_api(sol)
        if stub_api != sol_api:
            problems.append(f"{t.id}: the solution's API differs from the stub's: "
                            f"stub {sorted((k, sorted(v)) for k, v in stub_api.items())} vs "
                            f"solution {sorted((k, sorted(v)) for k, v in sol_api.items())}")
        if not re.search(rf"^TOPIC\s*=\s*['\"]{t.id}['\"]", suite.read_text(encoding="utf-8"), re.M):
            problems.append(f"{t.id}: tests/test_{t.id}.py does not declare TOPIC = \"{t.id}\"")
        names = test_names(suite)
        for name in t.weights:
            if name not in names:
                problems.append(f"{t.id}: manifest weight for '{name}', which tests/test_{t.id}.py lacks")
        for name in t.hint_for:
            if name not in names:
                problems.append(f"{t.id}: manifest hint_for names '{name}', which tests/test_{t.id}.py lacks")
        vdir = VARIANTS / t.id
        for variant in sorted(vdir.glob("*.py")) if vdir.is_dir() else []:
            bug, caught = variant_claims(variant)
            rel = variant.relative_to(COURSE).as_posix()
            if not bug or not caught:
                problems.append(f"{rel}: the docstring needs 'Bug:' and 'Caught by:' lines")
            for name in caught:
                if name not in names:
                    problems.append(f"{rel}: 'Caught by' names {name}, which tests/test_{t.id}.py lacks")
    for change in integrity.changes():
        problems.append(f"{change} (compared with grader/template.sha256)")
    stale = classroom.workflow(course, hidden_tests=hidden)
    workflow = COURSE / ".github" / "workflows" / "classroom.yml"
    if not workflow.exists() or workflow.read_text(encoding="utf-8") != stale:
        problems.append("the Classroom workflow is stale: run `python -m grader.classroom`")
    for folder, pattern, to_id in (
        (COURSE / "exercises", "*.py", lambda p: p.stem),
        (COURSE / "solutions", "*.py", lambda p: p.stem),
        (COURSE / "tests", "test_*.py", lambda p: p.stem[5:]),
    ):
        for path in folder.glob(pattern):
            if to_id(path) not in ids:
                problems.append(f"orphan: {path.relative_to(COURSE).as_posix()} belongs to no manifest topic")
    for path in (COURSE / "tests").glob("*.py"):
        if not path.name.startswith("test_") and path.name not in SUPPORT_FILES:
            problems.append(f"orphan: tests/{path.name} (shared code goes in tests/support/)")
    if VARIANTS.is_dir():
        for path in VARIANTS.iterdir():
            if path.name not in ids and path.name != "__pycache__":
                problems.append(f"orphan: selftest/variants/{path.name} belongs to no manifest topic")
    expected = readme_with_table(course)
    if expected is None:
        problems.append("README.md lacks the generated topic table markers")
    elif expected != README.read_text(encoding="utf-8"):
        problems.append("README.md's topic table is stale: run `python -m grader.selfcheck --fix`")
    return problems


def grade_json(which: str, *topics: str) -> dict:
    """Grade via the real CLI in a subprocess; return the parsed JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        flag = ["--solutions"] if which == "solutions" else (
            [] if which == "exercises" else ["--submission", which])
        proc = subprocess.run([sys.executable, "-m", "grader", *topics, *flag, "--json", str(out)],
                              cwd=manifest.ROOT, capture_output=True, text=True)
        if not out.exists():
            raise RuntimeError(f"grader exited {proc.returncode} without results:\n{proc.stdout}\n{proc.stderr}")
        data = json.loads(out.read_text(encoding="utf-8"))
        data["exit_code"] = proc.returncode
        data["stdout"] = proc.stdout
        return data


def graded_problems() -> list[str]:
    problems = []
    sol = grade_json("solutions")
    for topic in sol["topics"]:
        for test in topic["tests"]:
            if test["status"] != "passed":
                problems.append(f"solutions/{topic['id']}.py fails {test['name']}: "
                                f"{test['status']}: {test['message'][:300]}")
    if sol["exit_code"] != 0:
        problems.append(f"grading solutions/ exited {sol['exit_code']}, expected 0")
    stub = grade_json("exercises")
    for topic in stub["topics"]:
        if topic["score"] != 0:
            problems.append(f"exercises/{topic['id']}.py scores {topic['score']}, expected 0")
        for test in topic["tests"]:
            if test["status"] != "not_started":
                problems.append(f"exercises/{topic['id']}.py: {test['name']} is {test['status']}, "
                                f"expected not_started: {test['message'][:300]}")
    if stub["exit_code"] != 1:
        problems.append(f"grading exercises/ exited {stub['exit_code']}, expected 1")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.selfcheck", description=__doc__.split("\n")[0])
    parser.add_argument("--grade", action="store_true", help="also grade solutions/ and exercises/")
    parser.add_argument("--fix", action="store_true", help="regenerate the README's topic table")
    args = parser.parse_args(argv)
    if args.fix:
        text = readme_with_table(manifest.load())
        if text is None:
            print(f"README.md needs the two marker lines:\n{BEGIN}\n{END}", file=sys.stderr)
            return 1
        README.write_text(text, encoding="utf-8")
    problems = static_problems()
    if args.grade and not problems:
        problems += graded_problems()
    for p in problems:
        print(f"selfcheck: {p}")
    if not problems:
        print("selfcheck: the course is consistent" + (" and graded as expected" if args.grade else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
