"""What a test left running: threads, sockets and other files, child processes.

``snapshot()`` before a test, ``leftovers(before)`` after it. Counts come from
/proc where it exists (threading.enumerate() can miss threads, CPython issue
90882); names come from threading and /proc/net so the message says *what*
leaked. File descriptors 0-2 are skipped: pytest's capture swaps them.
"""
from __future__ import annotations

import gc
import os
import socket
import threading
import time
from dataclasses import dataclass
from builtins import open as _open  # bound at import: student code may patch builtins

GRACE = 1.0  # seconds a correct stop() may still need to wind down
_PROC = os.path.isdir("/proc/self/task")
_TCP_STATES = {"01": "connected", "0A": "listening", "06": "closing", "08": "closing"}


@dataclass
class Snapshot:
    tasks: int
    threads: dict  # ident -> name
    fds: dict  # fd -> target
    children: set


def _fds() -> dict:
    base = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    out = {}
    try:
        names = os.listdir(base)
    except OSError:
        return out
    for name in names:
        fd = int(name)
        if fd <= 2:
            continue
        try:
            out[fd] = os.readlink(f"{base}/{fd}")
        except OSError:
            pass
    return out


def _children() -> set:
    if not os.path.isdir("/proc"):
        return set()
    me = str(os.getpid())
    kids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with _open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == me and fields[0] != "Z":
            kids.add(int(entry))
    return kids


def snapshot() -> Snapshot:
    tasks = len(os.listdir("/proc/self/task")) if _PROC else threading.active_count()
    threads = {t.ident: t.name for t in threading.enumerate()}
    return Snapshot(tasks, threads, _fds(), _children())


def _socket_table() -> dict:
    """inode -> 'listening on 127.0.0.1:40000' for TCP sockets, from /proc/net."""
    table = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with _open(path) as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 10:
                continue
            local, remote, state, inode = cols[1], cols[2], cols[3], cols[9]
            table[inode] = f"{_TCP_STATES.get(state, 'open')} {_addr(local)}" + (
                f" <-> {_addr(remote)}" if state == "01" else ""
            )
    return table


def _addr(hexaddr: str) -> str:
    ip, port = hexaddr.split(":")
    if len(ip) == 8:
        ip = socket.inet_ntoa(bytes.fromhex(ip)[::-1])
    else:
        ip = "[ipv6]"
    return f"{ip}:{int(port, 16)}"


def describe(before: Snapshot, after: Snapshot) -> list[str]:
    problems = []
    extra_tasks = after.tasks - before.tasks
    if extra_tasks > 0:
        names = [n for i, n in after.threads.items() if i not in before.threads]
        named = f": {', '.join(repr(n) for n in names)}" if names else ""
        problems.append(f"{extra_tasks} thread(s) still running{named}")
    new_fds = {fd: t for fd, t in after.fds.items() if before.fds.get(fd) != t}
    sockets = [t for t in new_fds.values() if t.startswith("socket:")]
    if sockets:
        table = _socket_table()
        names = [table.get(t[8:-1], "a socket") for t in sockets]
        problems.append(f"{len(sockets)} socket(s) never closed: {', '.join(names)}")
    others = [t for t in new_fds.values() if not t.startswith(("socket:", "anon_inode:", "pipe:"))]
    if others:
        problems.append(f"{len(others)} file(s) never closed: {', '.join(others[:5])}")
    kids = after.children - before.children
    if kids:
        problems.append(f"{len(kids)} child process(es) still running (pids {sorted(kids)})")
    return problems


def leftovers(before: Snapshot, grace: float = GRACE) -> list[str]:
    """Problems left after a test; waits up to `grace` only while something is left."""
    deadline = time.monotonic() + grace
    while True:
        problems = describe(before, snapshot())
        if not problems:
            return []
        if time.monotonic() >= deadline:
            return problems
        gc.collect()
        time.sleep(0.02)
