"""What the student sees: progress lines, the score table, and what to do next.

Plain text that reads well without colour; colour only on a terminal, never
with NO_COLOR set, always with FORCE_COLOR set. ASCII only outside the
messages, so any Windows console prints it.
"""
from __future__ import annotations

import os
import textwrap

from grader.manifest import Manifest
from grader.results import Run, TopicResult

WIDTH = 100


class Style:
    CODES = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}

    def __init__(self, stream):
        if os.environ.get("NO_COLOR"):
            self.on = False
        elif os.environ.get("FORCE_COLOR"):
            self.on = True
        else:
            self.on = hasattr(stream, "isatty") and stream.isatty() and _ansi_ok(stream)

    def __call__(self, text: str, name: str) -> str:
        return f"\033[{self.CODES[name]}m{text}\033[0m" if self.on else text


def _ansi_ok(stream) -> bool:
    """Whether the terminal understands colour codes (a Windows console must be asked to)."""
    if os.name != "nt":
        return True
    try:
        import ctypes
        import msvcrt

        kernel32 = ctypes.windll.kernel32
        handle = msvcrt.get_osfhandle(stream.fileno())
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        return bool(kernel32.SetConsoleMode(handle, mode.value | 0x0004))  # VIRTUAL_TERMINAL_PROCESSING
    except (AttributeError, OSError, ValueError):
        return False


def _status_words(topic: TopicResult) -> str:
    return topic.status.replace("_", " ")


def _color_of(topic: TopicResult) -> str:
    return {"passed": "green", "not_started": "dim", "unavailable": "dim"}.get(
        topic.status, "red" if topic.passed == 0 else "yellow")


def fmt_points(x: float) -> str:
    return f"{x:.1f}" if abs(x - round(x)) > 1e-9 else f"{x:.0f}"


def progress_line(number: int, count: int, topic: TopicResult, style: Style) -> str:
    points = f"{fmt_points(topic.score)}/{fmt_points(topic.max_score)}"
    tests = f"{topic.passed}/{len(topic.tests)} tests"
    return (f"[{number}/{count}] {topic.id:<16} {tests:>11}  {points:>9}  "
            f"{style(_status_words(topic), _color_of(topic))}  ({topic.duration:.1f} s)")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def table(run: Run, style: Style) -> list[str]:
    head = f"{'topic':<16} {'tests':>7} {'points':>9}  {'verdict':<12} first failure"
    lines = [style(head, "bold"), "-" * WIDTH]
    for topic in run.topics:
        first = topic.first_failure
        note = (topic.problem and "grader error: " + topic.problem) or topic.unavailable or (
            f"{first.name}: {first.message}" if first else "")
        points = f"{fmt_points(topic.score)}/{fmt_points(topic.max_score)}"
        verdict = style(f"{_status_words(topic):<12}", _color_of(topic))
        lines.append(f"{topic.id:<16} {topic.passed:>3}/{len(topic.tests):<3} {points:>9}  {verdict} "
                     + _short(note, WIDTH - 50))
    lines.append("-" * WIDTH)
    total = f"{fmt_points(run.score)}/{fmt_points(run.max_score)}"
    lines.append(style(f"{'total':<16} {'':>7} {total:>9}", "bold"))
    return lines


def failures(topic: TopicResult, everything: bool) -> list[str]:
    """Full messages: the first failure, or every failing test with -v."""
    out = []
    shown = [t for t in topic.tests if t.status.value != "passed"]
    if not everything:
        shown = shown[:1]
    for t in shown:
        out.append(f"  {t.name}  [{t.status.words}" + (f", {t.kind}" if t.kind and t.kind != t.status.words else "") + "]")
        for para in t.message.splitlines() or [""]:
            out.extend(textwrap.wrap(para, WIDTH - 6, initial_indent="    ", subsequent_indent="    ")
                       or ["    "])
    return out


def next_steps(run: Run, course: Manifest, style: Style, hints_seen: dict,
               submission: str | None = None) -> list[str]:
    """What to do next. `submission`: the folder graded with --submission, if any."""
    todo = [t for t in run.topics if t.status not in ("passed", "unavailable")]
    skipped = [f"  {t.id}: {t.unavailable}" for t in run.topics if t.unavailable]
    if not todo:
        return [style("Every graded topic is at full marks. Well done!", "green")] + skipped
    topic = todo[0]
    info = course.get(topic.id)
    seen = hints_seen.get(topic.id, 0)
    first = topic.first_failure
    keyed = (info.hint_about(first.name) if first and topic.status != "not_started"
             and first.kind not in ("resource leak", "after the test") else None)
    if keyed:
        hint = (f"Stuck? Hint {keyed} of {len(info.hints)} is about this failure: "
                f"`python -m grader --hint {topic.id} {keyed}`.")
    elif seen < len(info.hints):
        hint = f"Stuck? `python -m grader --hint {topic.id}` shows hint {seen + 1} of {len(info.hints)}."
    else:
        hint = (f"You have seen all {len(info.hints)} hints: "
                f"`python -m grader --hint {topic.id}` shows them again.")
    lines = [
        style(f"Next: {topic.id} - {info.title} (notes {info.seed})", "bold"),
        f"  {topic.passed} of {len(topic.tests)} tests pass. Concept: {info.concept}.",
    ]
    if topic.status == "not_started":
        lines.append(f"  Open {submission or 'exercises'}/{topic.id}.py, read its docstring, "
                     "and replace each TODO.")
    else:
        lines.append("  What to fix first:")
        lines.extend(failures(topic, everything=False))
    again = f" --submission {submission}" if submission else ""
    lines.append(f"  Then run `python -m grader {topic.id}{again}`. {hint}")
    return lines
