"""Exercise: safe remote command execution (seed: 9.19 2 远程执行命令).

The notes' server reads a command line with conn.recv(1024) and runs it with

    subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE)

then sends the output back with one sendall(); the client reads it with one
sk.recv(1024). Three things go wrong, and this exercise fixes all three:

1. SHELL INJECTION. shell=True hands the client's text to /bin/sh, which
   obeys every ";", "&&", "|", "$(...)", "`...`" and ">" in it. A client that
   asks for "ls; rm -rf ~" gets both. A remote command server must never
   build a shell command line out of what a client sent. Here a request
   carries an ARGUMENT LIST (argv) and the server runs it WITHOUT a shell:

       subprocess.run(["echo", "hi; touch pwned"], ...)   # prints: hi; touch pwned

   Each string is one argument, passed to the program as it is; ";" is just a
   character. And only programs on an ALLOWLIST may run at all.
2. 粘包 (sticky packets, 9.20 1). An output of 5 MB does not fit in one
   recv(1024): the rest arrives glued to the answer of the next command.
   Every message here is framed with your framing module (see below).
3. A command that never ends ("sleep 100000") blocks the server for ever.
   Every command gets a TIMEOUT: when it runs longer, kill it, wait for it
   (a killed child must still be reaped, or it stays a zombie), and say so.

Uses your framing topic. Import the two functions from your framing.py:

    from framing import recv_msg, send_msg

(the grader puts your folder on sys.path, so this is YOUR framing.py). Finish
the framing topic first (python -m grader framing): until send_msg() and
recv_msg() work, no test of this topic can pass. That is the intended order.

Protocol. Every message is one framing message (4-byte "!I" length, then the
payload). A connection carries any number of requests, one after another,
until the client closes it (recv_msg() returns None); each request gets its
reply before the next request is read.

    client -> server   one message: UTF-8 JSON  {"argv": ["echo", "hello"]}
    server -> client   three messages:
                       1. UTF-8 JSON  {"status": 0, "error": null, "truncated": false}
                       2. the program's stdout, raw bytes (may be empty: b"")
                       3. the program's stderr, raw bytes (may be empty: b"")

The reply header, field by field:

    status     the exit status if the program ran and ended by itself (0 is
               success; -N means it died of signal N); null otherwise
    error      null if the program ran and ended by itself; otherwise a short
               text that STARTS WITH one of these words:
                 "rejected: ..."  nothing ran: the request was not valid, or
                                  argv[0] is not on the allowlist. Say why,
                                  and name the program, e.g.
                                  "rejected: 'rm' is not an allowed program"
                 "timeout: ..."   the program ran longer than `timeout`
                                  seconds and was killed; stdout and stderr
                                  hold what it wrote before that
                 "failed: ..."    allowed, but it could not be started (for
                                  example, not installed)
    truncated  true if stdout or stderr was longer than `max_output` bytes; each
               is then cut to its first `max_output` bytes

A request is valid when it is a JSON object whose "argv" is a non-empty list
of strings with no NUL character ("\\0" cannot be passed to a program), and
argv[0] is EXACTLY one of the strings in `allowed` -- "echo" allows "echo",
not "./echo", "/tmp/x/echo" or "echo hi". Anything else is rejected: reply
with error "rejected: ..." and keep serving the connection.

Run each command without a shell, in the directory `cwd`, with stdin from
/dev/null (subprocess.DEVNULL: a command such as `cat` with no arguments must
not wait for input), and capture stdout and stderr separately.

    subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=self.timeout, cwd=self.cwd)

does most of it: it reads both pipes while it waits (reading one pipe to the
end before the other can deadlock once a pipe's 64 KiB buffer is full), and on
timeout it kills the child, waits for it, and raises subprocess.TimeoutExpired,
whose .stdout/.stderr hold the output so far (bytes, or None). If you use
Popen yourself: communicate(timeout=...), then kill() and communicate() again.

The server itself: like tcp_server (8.18 1.2.2), an accept loop plus one thread
per connection, so a slow command of one client never holds up another client
(the notes' server here talks to one client at a time).

    server = CommandServer(allowed={"echo", "ls"}, timeout=2.0, cwd="/tmp")
    port = server.start()       # listening, accept thread running; returns at once
    ...                         # clients connect to ("127.0.0.1", port)
    server.stop()               # everything closed, every thread joined

    with CommandServer(...) as server:    # the same, with start()/stop() for you

stop() works like the tcp_server topic's: wake the accept thread, shut down
every open connection, join every thread. A command still running may make it
wait, at most `timeout` seconds.

The client, run(port, argv), sends one request and returns the reply as a
Result (see below). A client that reads the reply with recv(1024), as the
notes' client does, gets the first 1024 bytes of a big output, and the rest
glued onto the next reply; recv_msg() reads exactly one message.

Run the tests:   python -m grader remote_exec
"""
from __future__ import annotations

import json  # noqa: F401  (you will need it)
import socket  # noqa: F401
import subprocess  # noqa: F401
import threading  # noqa: F401
from typing import NamedTuple

from framing import recv_msg, send_msg  # noqa: F401  (your framing topic: 9.20 1 粘包)

# The default allowlist. Never put an interpreter or a shell on it ("python3",
# "sh", "bash", "env", "find" with -exec ...): `python3 -c CODE` runs anything,
# so allowing it allows everything. (The tests allow the Python that runs
# them, only so that a test program can print 5 MB or sleep.)
ALLOWED = frozenset({"echo", "ls", "cat", "pwd", "date"})
TIMEOUT = 10.0  # seconds a command may run before it is killed (default)
MAX_OUTPUT = 8 * 1024 * 1024  # bytes of stdout (and of stderr) sent back at most (default)

# The words a reply's "error" starts with:
REJECTED = "rejected"  # nothing ran: bad request, or a program not on the allowlist
TIMED_OUT = "timeout"  # killed after `timeout` seconds
FAILED = "failed"  # allowed, but could not be started


class Result(NamedTuple):
    """What run() returns: one reply of the server (given, do not change)."""

    status: int | None  # exit status; None when the program did not run to its end
    stdout: bytes
    stderr: bytes
    error: str | None = None  # None, or "rejected: ...", "timeout: ...", "failed: ..."
    truncated: bool = False  # stdout or stderr was cut to max_output bytes


class CommandServer:
    """Runs allowlisted programs for its clients: no shell, a timeout, an output cap."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 allowed=ALLOWED, timeout: float = TIMEOUT, max_output: int = MAX_OUTPUT,
                 cwd: str | None = None):
        """Remember the settings. Nothing is opened until start().

        allowed      the program names (argv[0]) that may run, compared exactly:
                     a name found on PATH ("echo") or an absolute path
                     ("/usr/bin/python3"), as the caller lists them
        timeout      seconds a command may run before it is killed
        max_output   bytes of stdout, and of stderr, sent back at most
        cwd          the directory every command runs in (None: the server's own)
        """
        self.host = host
        self.port = port
        self.allowed = frozenset(allowed)
        self.timeout = timeout
        self.max_output = max_output
        self.cwd = cwd
        # TODO: what start() and stop() share (as in tcp_server): the listening
        # socket, the accept thread, the open connections, the handler threads,
        # a "stopping" flag, and a threading.Lock guarding what threads share.

    def start(self) -> int:
        """Bind, listen, start the accept thread, and return the port at once.

        Store the real port in self.port too (listener.getsockname()[1]).
        Each connection gets a thread that loops: recv_msg() a request, check it,
        run it, send_msg() the three reply messages; until recv_msg() returns
        None. A client that vanishes (OSError) ends only its own thread.
        """
        # TODO. Suggested helper: self._execute(request: bytes) -> Result, which
        # parses and checks the request, runs the program and builds the reply.
        raise NotImplementedError("CommandServer.start")

    def stop(self) -> None:
        """Wake the accept thread, shut down every connection, join every thread."""
        # TODO
        raise NotImplementedError("CommandServer.stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def run(port: int, argv: list[str], *, host: str = "127.0.0.1",
        timeout: float | None = 30.0) -> Result:
    """Ask the server at (host, port) to run argv; return its reply as a Result.

    Connect (socket.create_connection((host, port), timeout=timeout): a dead
    server must not hang the client for ever), send_msg() the JSON request,
    recv_msg() the three reply messages, close the connection.
    A server that closes the connection before the whole reply arrived is an
    error: raise ConnectionError.
    """
    # TODO
    raise NotImplementedError("run")
