"""Watch mode: ``python -m grader --watch [TOPIC ...]`` (like ``rustlings watch``).

Grades, then waits for the student to save a topic file and regrades that
topic alone, until Ctrl-C (exit code 0).

- With no TOPIC it follows the course: on start it grades the topics in
  manifest order and stops at the first one that is not at full marks, the
  one to work on. A topic that was at full marks the last time it was graded,
  and whose file, suite and manifest have not changed since, is not graded
  again (remembered in .grader/watch.json, ignored by git).
- With TOPICs it grades those on start and watches only their files.
- Standard library only: every ``poll`` seconds it compares each watched
  ``<topic>.py`` file's modification time and size with what it saw before.
  An editor may save in several writes, so a change is graded once the file
  has stayed the same for ``settle`` seconds. A file saved again while its
  topic is being graded is graded again afterwards.
- Grading runs in the main thread: Ctrl-C raises KeyboardInterrupt inside
  runner.grade, whose ``finally:`` blocks kill the suite's process group; the
  watcher then kills anything still registered and reaps what was left.

``run()`` is the entry point; ``stop`` (a threading.Event) and ``max_rounds``
make it usable from a test without signals.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from grader import exitcodes, hints, manifest, procs, report, stress
from grader.results import Run, TopicResult

POLL = 0.5    # seconds between two looks at the files
SETTLE = 0.3  # seconds a changed file must stay unchanged before it is graded
CACHE = manifest.ROOT / ".grader" / "watch.json"
CACHE_VERSION = 1


def signature(path: Path):
    """What tells a save apart: modification time and size (None: no such file)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


# ------------------------------------------------- topics known at full marks

def _key(topic: manifest.Topic, path: Path) -> str | None:
    digest = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    try:
        for part in (path, topic.suite, manifest.MANIFEST):
            digest.update(b"\0" + part.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _load_cache() -> dict:
    try:
        data = json.loads(CACHE.read_text(encoding="utf-8"))
        return dict(data.get("full_marks", {}))
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _remember(topic: manifest.Topic, path: Path, passed: bool) -> None:
    cache = _load_cache()
    key = _key(topic, path) if passed else None
    if key:
        cache[topic.id] = key
    elif cache.pop(topic.id, None) is None:
        return
    try:
        CACHE.parent.mkdir(exist_ok=True)
        tmp = CACHE.with_name(f".watch-{os.getpid()}.json")
        tmp.write_text(json.dumps({"full_marks": cache}, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, CACHE)
    except OSError:
        pass  # a read-only checkout: nothing remembered, everything still works


def _unchanged_since_full_marks(topic: manifest.Topic, path: Path) -> bool:
    key = _key(topic, path)
    return key is not None and _load_cache().get(topic.id) == key


# ------------------------------------------------------------------ watcher

class Watcher:
    def __init__(self, folder: Path, topics, args, out, course, style, shown: str):
        self.folder = folder
        self.topics = list(topics)
        self.args = args
        self.out = out
        self.course = course
        self.style = style
        self.shown = shown
        self.follow = not getattr(args, "topics", None)  # no TOPIC given: follow the course
        self.full: dict[str, bool] = {}  # topic id -> at full marks (only topics we know about)

    def path(self, topic) -> Path:
        return topic.exercise(self.folder)

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out, flush=True)

    def grade(self, topic, number: int = 1, count: int = 1) -> TopicResult:
        result = stress.grade_one(topic, self.folder, getattr(self.args, "verbose", False))
        self.full[topic.id] = result.status in ("passed", "unavailable")
        if not result.problem:
            _remember(topic, self.path(topic), result.status == "passed")
        self.say(report.progress_line(number, count, result, self.style))
        if getattr(self.args, "verbose", False) and result.output.strip():
            self.say(result.output.rstrip())
        return result

    # -- what the student reads after a grading

    def at_full_marks(self, topic) -> bool:
        known = self.full.get(topic.id)
        if known is None:  # not graded in this session: remembered from an earlier one?
            known = self.full[topic.id] = _unchanged_since_full_marks(topic, self.path(topic))
        return known

    def next_topic(self):
        """The first topic, in course order, not at full marks (as far as we know), and
        whether it is outside the watched topics."""
        pool = self.topics if not self.follow else self.course.topics
        todo = next((t for t in pool if not self.at_full_marks(t)), None)
        if todo or self.follow:
            return todo, False
        return next((t for t in self.course.topics if not self.at_full_marks(t)), None), True

    def conclude(self, results: list[TopicResult]) -> None:
        if not results:
            return
        if all(r.status in ("passed", "unavailable") for r in results):
            done = ", ".join(r.id for r in results if r.status == "passed")
            if done:
                self.say(self.style(f"{done} {'is' if ',' not in done else 'are'} at full marks!", "green"))
            nxt, outside = self.next_topic()
            if nxt is None:
                self.say(self.style("Every topic is at full marks. Well done!", "green"))
            elif outside:
                self.say(f"Every watched topic is at full marks. Next in the course: {nxt.id} - "
                         f"{nxt.title} (notes {nxt.seed}): `python -m grader --watch {nxt.id}`, or "
                         "`python -m grader --watch` to follow the course.")
            else:
                self.say(self.style(f"Next: {nxt.id} - {nxt.title} (notes {nxt.seed})", "bold"),
                         f"  Open {self.shown}/{nxt.id}.py: it is graded each time you save it.")
            return
        run = Run(target=str(self.folder), topics=list(results))
        self.say("", *report.table(run, self.style))
        if getattr(self.args, "verbose", False):
            for topic in run.topics:
                lines = report.failures(topic, everything=True)
                if lines:
                    self.say(f"\n{topic.id}:", *lines)
        steps = report.next_steps(run, self.course, self.style, hints.seen())
        for topic in run.topics:  # the student saves instead of running the grader
            steps = [line.replace(f"Then run `python -m grader {topic.id}`.",
                                  "Each time you save the file, it is graded again.")
                     for line in steps]
        self.say("", *steps)
        for topic in run.topics:
            if topic.problem:
                self.say(f"\ngrader failed on {topic.id}: {topic.problem}")

    def waiting(self) -> None:
        self.say("", f"Watching {self.shown}/ for changes... (Ctrl-C to stop)")

    # -- phases

    def start(self) -> None:
        if not self.follow:
            count = len(self.topics)
            self.say(f"Grading {self.shown} ({count} topic{'s' if count != 1 else ''})")
            self.conclude([self.grade(t, n, count) for n, t in enumerate(self.topics, start=1)])
            return
        count = len(self.topics)
        self.say(f"Grading {self.shown}: the topics in course order, up to the first one to work on")
        for number, topic in enumerate(self.topics, start=1):
            if _unchanged_since_full_marks(topic, self.path(topic)):
                self.full[topic.id] = True
                self.say(f"[{number}/{count}] {topic.id:<16} full marks (unchanged since it was last graded)")
                continue
            result = self.grade(topic, number, count)
            if result.status not in ("passed", "unavailable"):
                self.conclude([result])
                return
        self.say(self.style("Every topic is at full marks. Well done!", "green"))

    def loop(self, stop: threading.Event, poll: float, settle: float, max_rounds: int | None,
             seen: dict) -> None:
        rounds = 0
        dirty: dict[str, float] = {}  # topic id -> when its latest change was seen
        while not stop.is_set():
            now = time.monotonic()
            for topic in self.topics:
                sig = signature(self.path(topic))
                if sig != seen[topic.id]:
                    seen[topic.id] = sig
                    dirty[topic.id] = now
            due = [t for t in self.topics
                   if t.id in dirty and now - dirty[t.id] >= settle and seen[t.id] is not None]
            if not due:
                stop.wait(min(poll, settle / 2) if dirty else poll)
                continue
            results = []
            for topic in due:
                del dirty[topic.id]
                self.say("", f"{time.strftime('%H:%M:%S')}  {self.shown}/{topic.id}.py changed: "
                         f"grading {topic.id}")
                results.append(self.grade(topic))
            self.conclude(results)
            rounds += 1
            if max_rounds is not None and rounds >= max_rounds:
                return
            self.waiting()


def run(folder: Path, topics, args, out, *, course=None, style=None, shown: str | None = None,
        stop: threading.Event | None = None, poll: float = POLL, settle: float = SETTLE,
        max_rounds: int | None = None) -> int:
    """Grade, then regrade each topic whose file is saved; return 0 when stopped or interrupted.

    `topics`: the topics to watch (with no TOPIC on the command line, all of
    them in course order). `max_rounds`: return after that many regradings.
    """
    course = course or manifest.load()
    style = style or report.Style(out)
    if shown is None:
        try:
            shown = str(folder.relative_to(manifest.COURSE))
        except ValueError:
            shown = str(folder)
    stop = stop or threading.Event()
    procs.become_subreaper()
    before = procs.children()
    watcher = Watcher(folder, topics, args, out, course, style, shown)
    try:
        seen = {t.id: signature(watcher.path(t)) for t in watcher.topics}  # saves during start count
        watcher.start()
        watcher.waiting()
        watcher.loop(stop, poll, settle, max_rounds, seen)
    except KeyboardInterrupt:
        stress.kill_live_suites()  # normally done already by runner.grade's finally: blocks
        procs.reap_new_children(before)  # nothing of ours is legitimately running any more
        try:
            watcher.say("", "Stopped watching.")
        except (KeyboardInterrupt, OSError):
            pass
    return exitcodes.FULL_MARKS
