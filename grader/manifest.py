"""Read manifest.toml, the single source of truth for the course.

Every other module asks this one for topic order, points, weights, timeouts
and hints. Errors name the manifest and the key that is wrong.
"""
from __future__ import annotations

import keyword
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent  # this repository: the grader's code
# The course graded: manifest.toml, exercises/, solutions/, tests/. It is this
# repository, unless GRADER_COURSE names another (the repo's own tests use a
# small hostile course in selftest/course/).
COURSE = Path(os.environ.get("GRADER_COURSE") or ROOT).resolve()
MANIFEST = COURSE / "manifest.toml"
FORMAT_VERSION = 1


class ManifestError(Exception):
    """The manifest is missing or malformed: a repository problem, not a student's."""


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    seed: str
    concept: str
    points: float
    timeout: float
    grace: float
    hints: tuple[str, ...]
    weights: dict[str, float] = field(default_factory=dict)
    number: int = 0  # 1-based position in the course
    requires: tuple[str, ...] = ()  # optional packages; missing -> topic left out of the maximum
    hint_for: dict[str, int] = field(default_factory=dict)  # test name -> the hint (1-based) about it

    def hint_about(self, test_name: str) -> int | None:
        """The hint the manifest keys to this test's failure, if any."""
        return self.hint_for.get(test_name.split("[")[0])

    @property
    def suite(self) -> Path:
        return COURSE / "tests" / f"test_{self.id}.py"

    def exercise(self, folder: Path | None = None) -> Path:
        return (folder or COURSE / "exercises") / f"{self.id}.py"

    @property
    def solution(self) -> Path:
        return COURSE / "solutions" / f"{self.id}.py"

    def weight(self, test_name: str) -> float:
        return self.weights.get(test_name.split("[")[0], 1.0)

    @property
    def wall_limit(self) -> float:
        """Seconds the whole topic may take, whatever happens inside it."""
        return max(60.0, 4 * (self.timeout + self.grace))


@dataclass(frozen=True)
class Manifest:
    topics: tuple[Topic, ...]

    def get(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.topics)


def _require(table: dict, key: str, kind, where: str):
    if key not in table:
        raise ManifestError(f"{MANIFEST.name}: {where} has no '{key}'")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise ManifestError(
            f"{MANIFEST.name}: {where}.{key} should be {kind.__name__}, got {value!r}"
        )
    return value


def load(path: Path = MANIFEST) -> Manifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"no manifest at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path.name} is not valid TOML: {exc}") from None
    if data.get("format_version") != FORMAT_VERSION:
        raise ManifestError(
            f"{path.name}: format_version is {data.get('format_version')!r},"
            f" this grader reads {FORMAT_VERSION}"
        )
    defaults = data.get("defaults", {})
    default_timeout = float(defaults.get("timeout", 10))
    grace = float(defaults.get("grace", 3))
    topics = []
    seen = set()
    for number, raw in enumerate(data.get("topics", []), start=1):
        where = f"topics[{number - 1}]"
        topic_id = _require(raw, "id", str, where)
        where = f"topic '{topic_id}'"
        if not topic_id.isidentifier() or keyword.iskeyword(topic_id):
            raise ManifestError(f"{path.name}: {where}: id must be a Python identifier")
        if topic_id in sys.stdlib_module_names:
            raise ManifestError(
                f"{path.name}: {where}: id shadows the standard-library module '{topic_id}'"
            )
        if topic_id in seen:
            raise ManifestError(f"{path.name}: {where} appears twice")
        seen.add(topic_id)
        hints = _require(raw, "hints", list, where)
        if not hints or not all(isinstance(h, str) and h.strip() for h in hints):
            raise ManifestError(f"{path.name}: {where}: hints must be non-empty strings")
        weights = raw.get("weights", {})
        if not all(isinstance(w, (int, float)) and w > 0 for w in weights.values()):
            raise ManifestError(f"{path.name}: {where}: weights must be positive numbers")
        hint_for = raw.get("hint_for", {})
        if not isinstance(hint_for, dict) or not all(
                isinstance(n, int) and 1 <= n <= len(hints) for n in hint_for.values()):
            raise ManifestError(f"{path.name}: {where}: hint_for maps test names to hint numbers "
                                f"from 1 to {len(hints)}")
        points = _require(raw, "points", float, where)
        timeout = float(raw.get("timeout", default_timeout))
        if points <= 0 or timeout <= 0:
            raise ManifestError(f"{path.name}: {where}: points and timeout must be positive")
        if points * 64 != int(points * 64):
            raise ManifestError(f"{path.name}: {where}: points must be a multiple of 1/64")
        topics.append(
            Topic(
                id=topic_id,
                title=_require(raw, "title", str, where),
                seed=_require(raw, "seed", str, where),
                concept=_require(raw, "concept", str, where),
                points=points,
                timeout=timeout,
                grace=grace,
                hints=tuple(hints),
                weights={k: float(v) for k, v in weights.items()},
                number=number,
                requires=tuple(raw.get("requires", ())),
                hint_for=dict(hint_for),
            )
        )
    if not topics:
        raise ManifestError(f"{path.name} lists no topics")
    return Manifest(tuple(topics))
