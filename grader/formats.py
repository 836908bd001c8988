"""Other result formats, written from the same run as the JSON.

    junit(run, path)        JUnit XML: one <testsuite> per topic, for CI dashboards
    gradescope(run, path)   Gradescope's results.json: score, max_score and one
                            entry per test with its visibility
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from grader.results import Run, Verdict


def junit(run: Run, path) -> None:
    suites = ET.Element("testsuites", name="grader", tests=str(sum(len(t.tests) for t in run.topics)))
    for topic in run.topics:
        failures = sum(t.status in (Verdict.FAILED, Verdict.NOT_STARTED, Verdict.TIMEOUT, Verdict.DEADLOCK)
                       for t in topic.tests)
        errors = sum(t.status in (Verdict.ERROR, Verdict.CRASHED) for t in topic.tests)
        suite = ET.SubElement(suites, "testsuite", name=topic.id, tests=str(len(topic.tests)),
                              failures=str(failures), errors=str(errors), skipped="0",
                              time=f"{topic.duration:.3f}")
        if topic.unavailable or topic.problem:
            ET.SubElement(suite, "system-out").text = topic.unavailable or topic.problem
        for t in topic.tests:
            case = ET.SubElement(suite, "testcase", classname=f"tests.test_{topic.id}", name=t.name,
                                 time=f"{t.duration:.3f}")
            if t.status is Verdict.PASSED:
                continue
            tag = "error" if t.status in (Verdict.ERROR, Verdict.CRASHED) else "failure"
            ET.SubElement(case, tag, type=t.status.value, message=t.message[:200]).text = t.message
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def gradescope(run: Run, path, visibility: str = "visible") -> None:
    tests = []
    for topic in run.topics:
        for t in topic.tests:
            tests.append({
                "name": f"{topic.id}: {t.name}",
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.status is Verdict.PASSED else "failed",
                "output": "" if t.status is Verdict.PASSED else f"[{t.status.words}] {t.message}",
                "visibility": visibility,
            })
    notes = [t.unavailable for t in run.topics if t.unavailable]
    data = {
        "score": run.score,
        "max_score": run.max_score,
        "visibility": visibility,
        "output": "\n".join(notes) if notes else f"{run.score:g} of {run.max_score:g} points",
        "tests": tests,
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
