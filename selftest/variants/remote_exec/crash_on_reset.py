"""remote_exec whose handler lets a reset kill its thread.

Bug: the handler has try/finally but no except OSError, so a client that resets its connection in the middle of a request kills the handler thread with ConnectionResetError.
Caught by: test_vanished_client_does_not_crash_the_server
"""
from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
from typing import NamedTuple

import struct

# framing (9.20 1), inlined from solutions/framing.py: selftest grades this file alone.
HEADER = struct.Struct("!I")
MAX_MESSAGE_SIZE = 16 * 1024 * 1024


def recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 64 * 1024))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def send_msg(sock, payload):
    if len(payload) > MAX_MESSAGE_SIZE:
        raise ValueError("message too long")
    sock.sendall(HEADER.pack(len(payload)) + payload)


def recv_msg(sock):
    first = sock.recv(HEADER.size)
    if not first:
        return None
    (length,) = HEADER.unpack(first + recv_exactly(sock, HEADER.size - len(first)))
    if length > MAX_MESSAGE_SIZE:
        raise ValueError("message too long")
    return recv_exactly(sock, length)

# Never an interpreter or a shell here: `python3 -c CODE` would allow anything.
ALLOWED = frozenset({"echo", "ls", "cat", "pwd", "date"})
TIMEOUT = 10.0
MAX_OUTPUT = 8 * 1024 * 1024  # well under framing's MAX_MESSAGE_SIZE (16 MiB)

REJECTED = "rejected"
TIMED_OUT = "timeout"
FAILED = "failed"


class Result(NamedTuple):
    status: int | None
    stdout: bytes
    stderr: bytes
    error: str | None = None
    truncated: bool = False


class CommandServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 allowed=ALLOWED, timeout: float = TIMEOUT, max_output: int = MAX_OUTPUT,
                 cwd: str | None = None):
        self.host = host
        self.port = port
        self.allowed = frozenset(allowed)
        self.timeout = timeout
        self.max_output = max_output
        self.cwd = cwd
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards the three fields below
        self._stopping = False
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # --- running one request ------------------------------------------------

    def _execute(self, request: bytes) -> Result:
        """Check one request and run it. Never raises: every outcome is a Result."""
        try:
            argv = json.loads(request.decode("utf-8"))["argv"]
        except (UnicodeDecodeError, ValueError, TypeError, KeyError):
            return Result(None, b"", b"", f'{REJECTED}: a request is a UTF-8 JSON object '
                                          f'{{"argv": ["program", "arg", ...]}}')
        if not (isinstance(argv, list) and argv
                and all(isinstance(a, str) and "\0" not in a for a in argv)):
            return Result(None, b"", b"", f"{REJECTED}: argv must be a non-empty list of "
                                          f"strings without NUL characters")
        # Exact match: "echo" allows "echo", not "./echo" nor "/tmp/x/echo".
        if argv[0] not in self.allowed:
            return Result(None, b"", b"", f"{REJECTED}: {argv[0]!r} is not an allowed program "
                                          f"(allowed: {', '.join(sorted(self.allowed))})")
        try:
            # A list and no shell: every string reaches the program as one
            # argument, whatever characters it holds. stdin=DEVNULL: nothing
            # waits for input. run() reads both pipes at once (no pipe-buffer
            # deadlock) and, on timeout, kills the child and waits for it.
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=self.timeout, cwd=self.cwd)
        except subprocess.TimeoutExpired as exc:
            status, out, err = None, exc.stdout or b"", exc.stderr or b""
            error = f"{TIMED_OUT}: {argv[0]!r} was killed after {self.timeout:g} s"
        except (OSError, ValueError) as exc:
            return Result(None, b"", b"", f"{FAILED}: {argv[0]!r} could not be started ({exc})")
        else:
            status, out, err, error = done.returncode, done.stdout, done.stderr, None
        cap = self.max_output
        return Result(status, out[:cap], err[:cap], error, len(out) > cap or len(err) > cap)

    # --- lifecycle (as in tcp_server) ---------------------------------------

    def start(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"exec-accept-{self.port}", daemon=True)
        self._accept_thread.start()
        return self.port

    def stop(self) -> None:
        if self._accept_thread is None:
            return
        with self._lock:
            self._stopping = True
        with contextlib.suppress(OSError):  # wake accept(): close() alone does not, on Linux
            socket.create_connection(self._listener.getsockname(), timeout=5).close()
        self._accept_thread.join()
        self._listener.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            with contextlib.suppress(OSError):  # OSError: the client is already gone
                conn.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv_msg()
        for t in threads:
            t.join()  # a handler running a command finishes it first (<= timeout)
        self._accept_thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                self._conns.add(conn)
                t = threading.Thread(target=self._serve, args=(conn,),
                                     name=f"exec-{addr[0]}:{addr[1]}", daemon=True)
                self._threads = [old for old in self._threads if old.is_alive()]
                self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        # Three small messages per reply: without NODELAY, Nagle would hold the
        # second one back until the client ACKs the first (~40 ms per reply).
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while (request := recv_msg(conn)) is not None:
                result = self._execute(request)
                header = {"status": result.status, "error": result.error,
                          "truncated": result.truncated}
                send_msg(conn, json.dumps(header).encode("utf-8"))
                send_msg(conn, result.stdout)
                send_msg(conn, result.stderr)
        finally:  # BUG: no except: a reset (ConnectionResetError) escapes the thread
            with self._lock:
                self._conns.discard(conn)
            conn.close()


def run(port: int, argv: list[str], *, host: str = "127.0.0.1",
        timeout: float | None = 30.0) -> Result:
    """Run argv on the server at (host, port); its reply as a Result."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        send_msg(sock, json.dumps({"argv": list(argv)}).encode("utf-8"))
        header, out, err = recv_msg(sock), recv_msg(sock), recv_msg(sock)
    if header is None or out is None or err is None:
        raise ConnectionError("the server closed the connection before its whole reply")
    reply = json.loads(header.decode("utf-8"))
    return Result(reply["status"], out, err, reply["error"], reply["truncated"])


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/remote_exec.py)
    with CommandServer(allowed={"echo", "ls"}, timeout=2.0) as server:
        for argv in (["echo", "hello; touch pwned"], ["ls", "-d", "/"], ["rm", "-rf", "/"]):
            print(argv, "->", run(server.port, argv))
