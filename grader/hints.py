"""Progressive hints: a student reveals them one at a time.

How many hints of each topic a student has seen is kept in
.grader/state.json at the repository's root (ignored by git), so the report
can say "hint 2 of 4" and `--hint` moves on by one.
"""
from __future__ import annotations

import json

from grader.manifest import ROOT, Topic

STATE = ROOT / ".grader" / "state.json"


def seen() -> dict:
    try:
        data = json.loads(STATE.read_text(encoding="utf-8"))
        return {k: int(v) for k, v in data.get("hints_seen", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def reveal(topic: Topic, number: int | None = None) -> list[str]:
    """Reveal the next hint of `topic` (or hint `number` and those before it); return the lines."""
    counts = seen()
    before = counts.get(topic.id, 0)
    wanted = before + 1 if number is None else max(before, number)
    shown = max(1, min(wanted, len(topic.hints)))
    counts[topic.id] = shown
    try:
        STATE.parent.mkdir(exist_ok=True)
        STATE.write_text(json.dumps({"hints_seen": counts}, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass  # a read-only checkout still shows the hint
    lines = [f"{topic.id}: {topic.title} (notes {topic.seed})"]
    for i, hint in enumerate(topic.hints[:shown], start=1):
        lines.append(f"  Hint {i} of {len(topic.hints)}: {hint}")
    if shown < len(topic.hints):
        lines.append(f"  Run the same command again for hint {shown + 1}.")
    else:
        lines.append("  That was the last hint. The docstring in exercises/"
                     f"{topic.id}.py has the full specification.")
    return lines
