"""Containment for the child process that runs a topic's suite (the student's code).

The runner starts ``python -m grader.sandbox [LIMITS] -- python -m pytest ...``.
This launcher is a fresh process: it applies the limits, moves itself into a
fresh pids cgroup where it can, drops root for an unprivileged user where it
can, then exec()s the suite. (Limits belong in an exec'd launcher, not in
``preexec_fn``, which is not safe in a threaded parent.)

    memory     RLIMIT_AS, with MALLOC_ARENA_MAX=2 (set by the runner): without
               it every thread reserves a 64 MiB malloc arena and a 1 GiB limit
               lets only 14 threads start; with it, hundreds.
    processes  RLIMIT_NPROC counts threads and processes per *user*, and the
               kernel ignores it for root. So: as a normal user, the user's
               current count plus TASKS; as root, the user 'nobody' (when the
               interpreter, the course and the submission are readable by
               others), else a pids cgroup of its own (Linux, when writable),
               else no process limit (Plan.notes says so).
    file size  RLIMIT_FSIZE: no file the tests' process writes may grow past
               FILE_SIZE. The child's own output goes to a file, so this also
               caps what it prints; the runner keeps only the tail.
    CPU        RLIMIT_CPU, per process, so a spinning escapee dies on its own.
    core       RLIMIT_CORE 0: a crash leaves no core file behind.
    writes     as root, a private mount namespace in which the course (tests,
               grader, manifest) and the submission are read-only; otherwise the
               runner compares their fingerprints before and after the topic.

Every topic also runs in its own temporary working directory (runner.Child),
in its own session, and whatever outlives it is killed (grader/procs.py).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

MEMORY = 4 << 30        # bytes of address space per process
TASKS = 512             # processes + threads the topic may add
FILE_SIZE = 128 << 20   # bytes per file written (and printed)
USER = "nobody"
PIDS_V1 = Path("/sys/fs/cgroup/pids")
UNPROTECTED = ".course-writable"  # left in the child's working directory when read-only failed

try:
    import resource
except ImportError:  # Windows: no limits, the rest still works
    resource = None


@dataclass
class Plan:
    """How one child will be contained (decided in the grader, applied by the launcher)."""

    args: list[str] = field(default_factory=list)   # launcher arguments, before "--"
    uid: int | None = None                          # switch to this user, or stay
    gid: int | None = None
    cgroup: Path | None = None                      # pids cgroup the child joins
    env: dict[str, str] = field(default_factory=dict)
    cpu_seconds: int = 0
    protects: bool = False                          # the course is read-only for the child
    notes: list[str] = field(default_factory=list)  # what could not be applied, and why

    def wrap(self, cmd: list[str]) -> list[str]:
        if resource is None:
            return cmd
        return [sys.executable, "-m", "grader.sandbox", *self.args, "--", *cmd]


def plan(name: str, cpu_seconds: float, readable: list[Path], protect: list[Path]) -> Plan:
    """The containment for a child named `name`.

    `readable`: what the child must read (were it to run as another user);
    `protect`: folders the child must not write (the course, the grader).
    """
    p = Plan()
    if resource is None:
        p.notes.append("no resource limits on this platform")
        return p
    p.cpu_seconds = int(cpu_seconds) + 1
    p.args += ["--memory", str(MEMORY), "--fsize", str(FILE_SIZE), "--cpu", str(p.cpu_seconds)]
    p.env.update(GRADER_LIMIT_MEMORY=str(MEMORY), GRADER_LIMIT_FSIZE=str(FILE_SIZE),
                 GRADER_LIMIT_TASKS=str(TASKS))
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        p.args += ["--nproc", str(_tasks_of(os.getuid()) + TASKS)]
        p.notes.append("the course's files are writable: changes are detected afterwards")
        return p
    # root: a private mount namespace in which the course is read-only (Linux)
    p.args += ["--readonly", os.pathsep.join(str(Path(d).resolve()) for d in protect)]
    p.protects = True
    user = _user(USER)
    unreadable = [str(path) for path in readable if not _others_can_read(path)]
    if user and not unreadable:
        p.uid, p.gid = user
        p.args += ["--user", f"{p.uid}:{p.gid}", "--nproc", str(_tasks_of(p.uid) + TASKS)]
        return p
    p.notes.append(f"runs as root: no user '{USER}'" if not user else
                   f"runs as root: '{USER}' cannot read {', '.join(unreadable)}")
    p.cgroup = _make_cgroup(name)
    if p.cgroup:
        p.args += ["--cgroup", str(p.cgroup)]
    else:
        p.notes.append("no process limit: root ignores RLIMIT_NPROC and no pids cgroup is writable")
    return p


def release(p: Plan) -> None:
    """Kill whatever is left in the plan's cgroup and remove it."""
    if not p.cgroup:
        return
    import signal
    import time

    procs_file = p.cgroup / "cgroup.procs"
    for _ in range(100):
        try:
            pids = [int(x) for x in procs_file.read_text().split()]
        except OSError:
            return
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    try:
        p.cgroup.rmdir()
    except OSError:
        pass


def _user(name: str):
    try:
        import pwd

        entry = pwd.getpwnam(name)
    except (ImportError, KeyError):
        return None
    return entry.pw_uid, entry.pw_gid


def _others_can_read(path: Path) -> bool:
    """Whether a user who is neither owner nor in the group can reach and read `path`."""
    import stat

    try:
        path = Path(path).resolve()
        for parent in reversed(path.parents):
            if not parent.stat().st_mode & stat.S_IXOTH:
                return False
        mode = path.stat().st_mode
    except OSError:
        return False
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & need == need


def _tasks_of(uid: int) -> int:
    """Processes + threads the user owns now (RLIMIT_NPROC counts them all)."""
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 4096  # no /proc: leave generous room
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields["Threads"])
        except (KeyError, ValueError, IndexError):
            continue
    return total


def _make_cgroup(name: str) -> Path | None:
    if not PIDS_V1.is_dir():
        return None
    path = PIDS_V1 / f"grader-{os.getpid()}-{name}"
    try:
        path.mkdir(exist_ok=True)
        (path / "pids.max").write_text(str(TASKS + 16))  # +16: pytest and the launcher themselves
    except OSError:
        try:
            path.rmdir()
        except OSError:
            pass
        return None
    return path


def clean_stale_cgroups() -> None:
    """Kill what is left in the cgroups of graders that were killed outright; remove them."""
    try:
        entries = list(PIDS_V1.glob("grader-*"))
    except OSError:
        return
    for path in entries:
        try:
            owner = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if owner != os.getpid() and not Path(f"/proc/{owner}").exists():
            release(Plan(cgroup=path))  # its grader was killed outright: finish its cleanup


# -- writes outside the working directory ---------------------------------------
def fingerprint(course: Path, grader_dir: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file that decides a grade: the suites, the grader, the manifest.

    Student code running as a user who may write them (no unprivileged user
    to switch to) could change how it is graded; the runner compares the
    fingerprints before and after each topic and refuses the topic's score.
    """
    found = {}
    roots = [course / "tests", grader_dir]
    files = [course / "manifest.toml", course / "pyproject.toml", grader_dir.parent / "pyproject.toml"]
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            files += [Path(folder) / n for n in names if not n.endswith(".pyc")]
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        found[str(path)] = (st.st_mtime_ns, st.st_size)
    return found


def changed(before: dict, after: dict, course: Path) -> list[str]:
    """The files that differ between two fingerprints, relative to the course."""
    names = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            how = "new" if path not in before else "deleted" if path not in after else "changed"
            try:
                shown = Path(path).relative_to(course)
            except ValueError:
                shown = Path(path)
            names.append(f"{shown} ({how})")
    return names


# -- the launcher (runs in the child, then exec()s the suite) -------------------
def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        try:
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            pass


def _read_only(folders: list[str]) -> bool:
    """Enter a private mount namespace where `folders` are read-only, even for root."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newns, ms_rdonly, ms_remount, ms_bind, ms_rec, ms_private = (
            0x00020000, 1, 32, 4096, 16384, 1 << 18)
        if libc.unshare(clone_newns) != 0:
            return False
        if libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0:
            return False
        for folder in folders:
            path = os.fsencode(folder)
            if libc.mount(path, path, None, ms_bind | ms_rec, None) != 0:
                return False
            if libc.mount(None, path, None, ms_bind | ms_remount | ms_rdonly, None) != 0:
                return False
        return True
    except (OSError, AttributeError):
        return False


def launch(argv: list[str]) -> int:
    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1:]
    values = dict(zip(opts[::2], opts[1::2]))
    if "--cgroup" in values:
        try:
            with open(Path(values["--cgroup"]) / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
        except OSError:
            pass
    if "--readonly" in values and not _read_only(values["--readonly"].split(os.pathsep)):
        open(UNPROTECTED, "w").close()  # in the working directory: the runner checks files instead
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_AS, int(values["--memory"]))
    _limit(resource.RLIMIT_FSIZE, int(values["--fsize"]))
    cpu = int(values["--cpu"])
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))  # SIGXCPU, then SIGKILL
    except (ValueError, OSError):
        pass
    if "--user" in values:
        uid, gid = (int(x) for x in values["--user"].split(":"))
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    if "--nproc" in values:  # after the switch: the count is the new user's
        _limit(resource.RLIMIT_NPROC, int(values["--nproc"]))
    os.execv(cmd[0], cmd)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1:]))
