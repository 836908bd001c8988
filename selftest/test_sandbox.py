"""grader/sandbox.py: the limits and the user a topic's child process runs with.

The hostile gallery (test_hostile.py) shows the effects on graded code; these
tests check the launcher itself, directly.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import sandbox

ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="only root can switch users or mount")
PROBE = ("import os, resource; print(os.getuid(), resource.getrlimit(resource.RLIMIT_AS)[0], "
         "resource.getrlimit(resource.RLIMIT_FSIZE)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0], "
         "resource.getrlimit(resource.RLIMIT_CORE)[0])")


def _launch(args: list[str], cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.sandbox", *args, "--", *cmd], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(sandbox.__file__).parents[1])})


@pytest.fixture
def open_dir():
    """A folder any user may enter (tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="grader-sandbox-test-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_limits_are_applied_before_the_suite_starts(open_dir):
    args = ["--memory", str(3 << 30), "--fsize", str(64 << 20), "--cpu", "30", "--nproc", "100000"]
    proc = _launch(args, [sys.executable, "-c", PROBE], open_dir)
    assert proc.returncode == 0, proc.stderr
    _uid, memory, fsize, _nproc, core = (int(x) for x in proc.stdout.split())
    assert (memory, fsize, core) == (3 << 30, 64 << 20, 0)


@ROOT_ONLY
def test_root_switches_to_the_unprivileged_user(open_dir):
    user = sandbox._user(sandbox.USER)
    system_python = shutil.which("python3", path="/usr/bin:/bin")
    if user is None or system_python is None or not sandbox._others_can_read(Path(system_python)):
        pytest.skip(f"needs the user {sandbox.USER!r} and an interpreter any user may run")
    uid, gid = user
    args = ["--memory", str(4 << 30), "--fsize", str(64 << 20), "--cpu", "30",
            "--user", f"{uid}:{gid}", "--nproc", "777"]
    proc = _launch(args, [system_python, "-c", PROBE], open_dir)
    assert proc.returncode == 0, proc.stderr
    got_uid, _memory, _fsize, nproc, _core = (int(x) for x in proc.stdout.split())
    assert (got_uid, nproc) == (uid, 777)


@ROOT_ONLY
def test_root_is_given_a_read_only_view_of_the_course(open_dir):
    course = open_dir / "course"
    course.mkdir()
    write = f"open({str(course / 'planted.py')!r}, 'w')"
    proc = _launch(["--memory", str(4 << 30), "--fsize", str(64 << 20), "--cpu", "30",
                    "--readonly", str(course)], [sys.executable, "-c", write], open_dir)
    if (open_dir / sandbox.UNPROTECTED).exists():
        pytest.skip("no private mount namespace here (needs CAP_SYS_ADMIN)")
    assert proc.returncode != 0 and "Read-only file system" in proc.stderr, proc.stderr
    assert not (course / "planted.py").exists()
    (course / "mine.py").write_text("")  # outside the child, the course is as writable as before


def test_plan_says_what_it_could_not_apply():
    plan = sandbox.plan("probe", 10, [Path("/")], [])
    try:
        assert "--memory" in plan.args and "--fsize" in plan.args and "--cpu" in plan.args
        if os.geteuid() != 0:
            assert "--nproc" in plan.args and plan.uid is None
        else:
            assert plan.protects
            assert plan.uid is not None or plan.cgroup is not None or plan.notes
    finally:
        sandbox.release(plan)


def test_fingerprint_names_new_changed_and_deleted_files(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "grader").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("a")
    (tmp_path / "tests" / "test_b.py").write_text("b")
    before = sandbox.fingerprint(tmp_path, tmp_path / "grader")
    (tmp_path / "tests" / "test_a.py").write_text("changed, and longer")
    (tmp_path / "tests" / "test_b.py").unlink()
    (tmp_path / "tests" / "test_planted.py").write_text("")
    after = sandbox.fingerprint(tmp_path, tmp_path / "grader")
    assert sandbox.changed(before, after, tmp_path) == [
        "tests/test_a.py (changed)", "tests/test_b.py (deleted)", "tests/test_planted.py (new)"]
