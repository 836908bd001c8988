"""Safe remote command execution (9.19 2 远程执行命令) over real loopback TCP.

Most tests talk to the student's CommandServer with the suite's own client,
which frames messages by hand (4-byte "!I" length + payload), so the server is
judged on the wire protocol alone; two tests judge run() against the
student's server and against a scripted fake server whose replies arrive in
small pieces. Every command runs with cwd = a fresh temporary directory, so an
injected `touch pwned` leaves a file the test can see. The programs the tests
need (5 MB of output, a sleep) are `python -c` scripts run by the Python that
runs the tests; it is on the test server's allowlist only for that.

No sleeps: a reply proves the command has finished (the server replies after
the program exited and was reaped); a program that must be "running now"
proves it by connecting to a listener of the test. Every wait is bounded, and
a command that outlives a failing test is killed by the test that started it
(it carries a marker with this process's pid in its argv).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys


from support import net, prereq, servers, threads
from support.threads import in_background
from support.student import fail

RUNNING_ADVICE = "A handler still running a command returns within the command timeout."
TOPIC = "remote_exec"

PY = sys.executable  # allowlisted on the test servers, only to run the test programs
HEADER = struct.Struct("!I")
MiB = 1024 * 1024
REPLY_BOUND = 4.0  # s: a reply to a quick command comes in milliseconds
SERVER_TIMEOUT = 4.0  # the test servers' command timeout (except where a test sets its own)
STOP_BOUND = 3.0
MARKER = f"remote-exec-test-{os.getpid()}"  # in the argv of every long-running test program

SHELL = ("See 9.19 2 远程执行命令: the notes run the client's text with Popen(cmd, shell=True), "
         "and /bin/sh obeys every ';', '&&', '|', '>', '$(...)' and '`...`' in it: shell "
         "injection. Run the argv list itself, subprocess.run(argv, ...) WITHOUT shell=True: "
         "each string then reaches the program as one argument, whatever characters it holds.")
FRAMING = ("See 9.20 1 粘包 and 9.19 2 远程执行命令: a reply is three framing messages (header, "
           "stdout, stderr); send "
           "each with send_msg() and read each with recv_msg(). One recv() is not one message.")
ALLOW = ("Check argv[0] against self.allowed (the set given to the constructor), exactly: "
         "`argv[0] in self.allowed`, before running anything. See 9.19 2 远程执行命令.")
PIPES = ("It was stuck writing: a pipe holds only 64 KiB, and your server did not read it "
         "while waiting (wait() before read(), or reading stdout to its end before stderr, "
         "while the program blocks writing stderr). Use subprocess.run(..., "
         "capture_output=True, timeout=...) or Popen.communicate(timeout=...), which read both "
         "pipes at once. See 9.19 2 远程执行命令.")
PROTOCOL = ("The reply is three framing messages: the JSON header {\"status\": ..., \"error\": "
            "..., \"truncated\": ...}, then stdout, then stderr (see exercises/remote_exec.py; "
            "9.19 2 远程执行命令).")




def req(argv) -> bytes:
    return json.dumps({"argv": argv}).encode("utf-8")


def show(argv) -> str:
    """A request as the student would write it, shortened."""
    text = json.dumps({"argv": argv}, ensure_ascii=False)
    return text if len(text) <= 120 else text[:100] + f"... ({len(text)} characters)"


def size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:g} MiB" + ("" if n % MiB == 0 else f" ({n} bytes)")
    return f"{n} byte" + ("" if n == 1 else "s")


def first_difference(got: bytes, want: bytes) -> int:
    for i, (x, y) in enumerate(zip(got, want)):
        if x != y:
            return i
    return min(len(got), len(want))


def compare(got: bytes, want: bytes) -> str:
    """'' if equal, else a sentence about lengths and the first differing offset."""
    if got == want:
        return ""
    if len(got) <= 60 and len(want) <= 60:
        return f"got {got!r}, expected {want!r}"
    return (f"got {size(len(got))}, expected {size(len(want))}; first difference at byte "
            f"{first_difference(got, want)}")





def child_states() -> dict[int, str]:
    """This process's child processes: pid -> state letter ('Z' for a zombie)."""
    me = str(os.getpid())
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and fields[1] == me:
            out[int(entry)] = fields[0]
    return out


def kill_marked(marker: str) -> int:
    """SIGKILL every process whose command line holds `marker`; return how many."""
    token = marker.encode()
    killed = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if token in cmdline:
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)
                killed += 1
    return killed


# --- the suite's own client: framing by hand ------------------------------------


class Client:
    """A raw connection to the server: sends requests, reads and checks replies."""

    def __init__(self, port: int, timeout: float = REPLY_BOUND):
        self.sock = net.connect(port, timeout)
        self.last = ""

    def ask(self, argv) -> None:
        self.send(req(argv), show(argv))

    def send(self, payload: bytes, shown: str | None = None) -> None:
        self.last = shown or repr(payload)
        self.sock.sendall(HEADER.pack(len(payload)) + payload)

    def _exact(self, n: int, what: str, doing: str) -> bytes:
        data = bytearray()
        while len(data) < n:
            try:
                chunk = self.sock.recv(min(n - len(data), 1 << 20))
            except TimeoutError:
                fail(f"{doing}, the test expected {what} ({n} bytes), but only {len(data)} of "
                     f"them came within {self.sock.gettimeout():.0f} s. {PROTOCOL}")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                fail(f"{doing}, the server closed the connection in the middle of {what} "
                     f"({len(data)} of {n} bytes); expected all {n}. Did the handler thread "
                     f"crash? {PROTOCOL}")
            data += chunk
        return bytes(data)

    def frame(self, what: str, doing: str) -> bytes:
        (n,) = HEADER.unpack(self._exact(4, f"the length header of {what}", doing))
        if n > 64 * MiB:
            fail(f"{doing}, the test read a length header for {what} of {n} bytes: that is not "
                 f"a framing length (expected at most a few MiB). Send every message with "
                 f"send_msg(). {FRAMING}")
        return self._exact(n, what, doing)

    def reply(self, doing: str | None = None, hint: str = PROTOCOL):
        """(header dict, stdout, stderr) of the next reply, checked for shape.

        `hint` is what to say when no reply comes at all."""
        doing = doing or f"After the request {self.last}"
        try:
            first = self.sock.recv(4, socket.MSG_PEEK)
        except TimeoutError:
            fail(f"{doing}, the test expected a reply, but nothing came within "
                 f"{self.sock.gettimeout():.0f} s. {hint}")
        except ConnectionResetError:
            first = b""
        if not first:
            fail(f"{doing}, the server closed the connection instead of replying. Every "
                 "request gets a reply, also one that is refused ('rejected: ...'); an "
                 "exception in the handler thread ends the connection. " + PROTOCOL)
        raw = self.frame("the reply header", doing)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            shown = raw[:80]
            fail(f"{doing}, the first reply message the test read was {shown!r}"
                 f"{'...' if len(raw) > 80 else ''}; expected the JSON header, in UTF-8. "
                 f"{PROTOCOL}")
        if not isinstance(header, dict) or set(header) != {"status", "error", "truncated"}:
            fail(f"{doing}, the test received the reply header {header!r}; expected a JSON "
                 f"object with "
                 f"exactly the keys status, error, truncated. {PROTOCOL}")
        status, error, truncated = header["status"], header["error"], header["truncated"]
        if not (status is None or (isinstance(status, int) and not isinstance(status, bool))):
            fail(f"{doing}, the reply header's status came back as {status!r}; expected an int "
                 f"(the exit status) or null. {PROTOCOL}")
        if not (error is None or isinstance(error, str)) or not isinstance(truncated, bool):
            fail(f"{doing}, the test received the reply header {header!r}: error must be null or "
                 f"a string, truncated true or false. {PROTOCOL}")
        out = self.frame("stdout (the 2nd reply message)", doing)
        err = self.frame("stderr (the 3rd reply message)", doing)
        return header, out, err

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def expect_ran(c: Client, argv, stdout: bytes, stderr: bytes = b"", status: int = 0,
               why: str = "") -> None:
    """Send argv; the program must have run and ended by itself with these results."""
    c.ask(argv)
    header, out, err = c.reply()
    doing = f"The request {show(argv)} got"
    if header["error"] is not None:
        fail(f"{doing} error {header['error']!r}, but the program is allowed and ends at once: "
             f"error must be null and status its exit status. {why}")
    problems = []
    if header["status"] != status:
        problems.append(f"status {header['status']!r} (expected {status})")
    if header["truncated"]:
        problems.append("truncated true (expected false: the output is under max_output)")
    for name, got, want in (("stdout", out, stdout), ("stderr", err, stderr)):
        if got != want:
            problems.append(f"{name}: {compare(got, want)}")
    if problems:
        fail(f"{doing}: {'; '.join(problems)}. {why}")


def expect_refused(c: Client, argv_or_raw, word: str, why: str, name: str | None = None):
    """The request must get a reply whose error starts with `word` and where nothing ran."""
    if isinstance(argv_or_raw, bytes):
        c.send(argv_or_raw)
    else:
        c.ask(argv_or_raw)
    header, out, err = c.reply()
    doing = f"The request {c.last} got"
    error = header["error"]
    if error is None or not error.startswith(word):
        got = f"error {error!r}" if error is not None else (
            f"a normal reply (status {header['status']!r}, stdout {out[:60]!r}): it RAN")
        fail(f"{doing} {got}; expected an error starting with {word!r}. {why}")
    if header["status"] is not None:
        fail(f"{doing} error {error!r} with status {header['status']!r}; when the program did "
             f"not run to its end, status must be null. {PROTOCOL}")
    if name is not None and name not in error:
        fail(f"{doing} error {error!r}: say which program was refused (the error should name "
             f"{name!r}), so the client knows what went wrong. {PROTOCOL}")
    return header, out, err


# --- running a server ----------------------------------------------------------------


def check_port(port) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        fail(f"CommandServer(...).start() returned {port!r}; it must return the port the "
             "server listens on (listener.getsockname()[1]), an int such as 40512.")




@contextlib.contextmanager
def running(mod, cwd, allowed=("echo", "ls", "cat", PY), timeout=SERVER_TIMEOUT,
            max_output=8 * MiB):
    """A started CommandServer and its port; stopped (with a bound) afterwards.

    start() is called here, in the test's thread, so an unfinished stub fails
    the test with its own NotImplementedError.
    """
    server = mod.CommandServer(allowed=set(allowed), timeout=timeout, max_output=max_output,
                               cwd=str(cwd))
    port = server.start()
    body_ok = False
    try:
        check_port(port)
        prereq.check_framing(mod, TOPIC)
        yield server, port
        body_ok = True
    finally:
        kill_marked(MARKER)  # only a failing server leaves a test program running
        complaint = servers.stop_within(server.stop, port, STOP_BOUND, RUNNING_ADVICE)
        if complaint and body_ok:
            fail(complaint)


def listing(directory) -> list[str]:
    return sorted(os.listdir(directory))


# --- the basics ---------------------------------------------------------------------


def test_echo_reply_has_status_and_output(mod, tmp_path):
    with running(mod, tmp_path) as (server, port):
        stored = getattr(server, "port", None)
        if stored != port:
            fail(f"start() returned port {port} but server.port is {stored!r}: it should store "
                 "the real port in self.port as well (port=0 means 'any free port'). " + PROTOCOL)
        with Client(port) as c:
            c.ask(["echo", "hello", "world"])
            header, out, err = c.reply()
            want = {"status": 0, "error": None, "truncated": False}
            if header != want:
                fail(f"The request {show(['echo', 'hello', 'world'])} got the reply header "
                     f"{header!r}; expected {want!r}: echo ran and exited with status 0. "
                     + PROTOCOL)
            if (out, err) != (b"hello world\n", b""):
                fail(f"The request {show(['echo', 'hello', 'world'])} got stdout {out!r} and "
                     f"stderr {err!r}; expected b'hello world\\n' and b''. Send the program's "
                     "stdout and stderr as they are, each as one message. " + PROTOCOL)
            expect_ran(c, ["echo", "again", "粘包"], "again 粘包\n".encode(),
                       why="A connection carries many requests: after each reply, recv_msg() "
                           "the next request (9.19 2: the notes' server loops too).")


def test_nonzero_exit_status_and_stderr_are_reported(mod, tmp_path):
    script = ("import sys; sys.stdout.write('partial'); sys.stderr.write('oops\\n'); "
              "sys.exit(3)")
    with running(mod, tmp_path) as (server, port), Client(port) as c:
        expect_ran(c, [PY, "-c", script], b"partial", b"oops\n", status=3,
                   why="A program that fails is not a failure of the server: error stays null, "
                       "status is the program's exit status (CompletedProcess.returncode), "
                       "and stdout and stderr are kept apart (capture_output=True).")
        c.ask(["ls", "no-such-file"])
        header, out, err = c.reply()
        if header["error"] is not None or not header["status"] or not err or out:
            fail(f"The request {show(['ls', 'no-such-file'])} got header {header!r}, stdout "
                 f"{out!r}, stderr {err[:80]!r}; expected error null, a non-zero status, an "
                 "empty stdout and ls's complaint on stderr. " + PROTOCOL)


def test_empty_output_is_sent_as_empty(mod, tmp_path):
    with running(mod, tmp_path) as (server, port), Client(port) as c:
        expect_ran(c, [PY, "-c", "pass"], b"", b"",
                   why="A program that prints nothing has an empty stdout: send it as an "
                       "empty message (b'' is a legal framing message). The notes send "
                       "b'no output!' instead only because their client cannot tell an empty "
                       "recv() from nothing; with framing that trick is wrong.")
        expect_ran(c, ["cat"], b"", b"",
                   why="`cat` with no argument copies stdin: run every command with "
                       "stdin=subprocess.DEVNULL, so it reads an empty input and ends at once.")


# --- 粘包: big outputs and long requests ------------------------------------------------


BIG_OUT = bytes(range(256)) * (20 * 1024)  # 5 MiB
BIG_ERR = b"E" * (256 * 1024)
BIG_SCRIPT = ("import sys\n"
              "sys.stderr.buffer.write(b'E' * 262144); sys.stderr.flush()\n"
              "sys.stdout.buffer.write(bytes(range(256)) * 20480)\n")


def test_multi_megabyte_output(mod, tmp_path):
    argv = [PY, "-c", BIG_SCRIPT]
    with running(mod, tmp_path) as (server, port), Client(port, timeout=net.BOUND) as c:
        c.ask(argv)
        doing = (f"The program {show(argv)} writes 256 KiB to stderr, then 5 MiB to stdout; "
                 "the reply")
        header, out, err = c.reply(doing.replace("; the reply", ""))
        if header["error"] and header["error"].startswith("timeout"):
            fail(f"{doing} said {header['error']!r}; expected status 0 and error null: the "
                 f"program needs a fraction of a second. {PIPES}")
        if header != {"status": 0, "error": None, "truncated": False}:
            fail(f"{doing} header came back as {header!r}; expected status 0, error null, "
                 f"truncated false (5 MiB is under max_output = 8 MiB). {PROTOCOL}")
        for name, got, want in (("stdout", out, BIG_OUT), ("stderr", err, BIG_ERR)):
            if got != want:
                fail(f"{doing}'s {name}: {compare(got, want)}. Send all of it, as one message "
                     f"(send_msg uses sendall). {FRAMING}")
        expect_ran(c, ["echo", "next"], b"next\n",
                   why="After a 5 MiB reply, the next request on the same connection gets only "
                       "its own output: the notes' client, reading recv(1024), would still be "
                       "reading the first answer. " + FRAMING)


def test_output_over_the_cap_is_truncated(mod, tmp_path):
    cap = 64 * 1024
    script = ("import sys\n"
              "sys.stdout.buffer.write(bytes(range(256)) * 800)\n"  # 200 KiB
              "sys.stderr.buffer.write(b'e' * 100000)\n")
    with running(mod, tmp_path, max_output=cap) as (server, port), Client(port) as c:
        c.ask([PY, "-c", script])
        doing = ("With max_output = 64 KiB, a program that wrote 200 KiB to stdout and "
                 "100000 bytes to stderr got")
        header, out, err = c.reply(doing.replace(" got", ""),
                                   hint="The program needs a fraction of a second. " + PIPES)
        if header["error"] and header["error"].startswith("timeout"):
            fail(f"{doing} the error {header['error']!r}; expected status 0 and error null: the "
                 f"program needs a fraction of a second. {PIPES}")
        if header != {"status": 0, "error": None, "truncated": True}:
            fail(f"{doing} the header {header!r}; expected status 0, error null, truncated "
                 "true: the program ran fine, only its output was cut. " + PROTOCOL)
        want_out, want_err = (bytes(range(256)) * 800)[:cap], b"e" * cap
        for name, got, want in (("stdout", out, want_out), ("stderr", err, want_err)):
            if got != want:
                fail(f"{doing} {name}: {compare(got, want)}. Send the first max_output bytes "
                     "of each stream (out[:self.max_output]): the cap keeps a chatty program "
                     "from flooding the client (and from going over framing's 16 MiB limit). "
                     + PROTOCOL)
        exact = "import sys; sys.stdout.buffer.write(b'x' * 65536)"
        expect_ran(c, [PY, "-c", exact], b"x" * cap,
                   why="Exactly max_output bytes is not over the cap: truncated is false.")


def test_long_request_is_read_whole(mod, tmp_path):
    args = [f"word{i}" for i in range(300)] + ["x" * 3000, "the end"]
    argv = ["echo", *args]
    with running(mod, tmp_path) as (server, port), Client(port) as c:
        expect_ran(c, argv, (" ".join(args) + "\n").encode(),
                   why=f"This request is {len(req(argv))} bytes long, more than one "
                       "recv(1024) returns: read it with recv_msg(), which reads the 4-byte "
                       f"length and then exactly that many bytes. {FRAMING}")


def test_request_arriving_in_small_pieces(mod, tmp_path):
    argv = ["echo", "split", "into", "pieces"]
    with running(mod, tmp_path) as (server, port):
        with net.split_reads(k=3):  # every recv() of the server's connection: <= 3 bytes
            with Client(port) as c:
                expect_ran(c, argv, b"split into pieces\n",
                           why="Here every recv() returned at most 3 bytes, as TCP may "
                               "legally do: one recv() is not one request. " + FRAMING)


# --- shell injection and the allowlist ---------------------------------------------


ATTACKS = [
    "; touch pwned1",
    "&& touch pwned2",
    "| touch pwned3",
    "$(touch pwned4)",
    "`touch pwned5`",
    "> pwned6",
    "\ntouch pwned7",
    "'; touch pwned8; echo '",
]


def test_shell_metacharacters_are_passed_literally(mod, tmp_path):
    with running(mod, tmp_path) as (server, port), Client(port) as c:
        for attack in ATTACKS:
            argv = ["echo", "hi", attack]
            c.ask(argv)
            header, out, err = c.reply()
            made = listing(tmp_path)
            if made:
                fail(f"The request {show(argv)} created {', '.join(made)} in the command's "
                     f"directory: a shell read the argument {attack!r} as a command and ran "
                     f"`touch`, where echo should have received it as one plain argument. "
                     "That is shell injection: any client could run anything. " + SHELL)
            want = f"hi {attack}\n".encode()
            if header["error"] is not None or out != want:
                fail(f"The request {show(argv)} got error {header['error']!r} and stdout "
                     f"{out!r}; expected error null and stdout {want!r}: echo prints its "
                     "arguments as they are. Don't filter or refuse 'dangerous' characters: "
                     "without a shell they are plain text. " + SHELL)


def test_program_not_on_allowlist_is_rejected(mod, tmp_path):
    (tmp_path / "victim.txt").write_text("keep me")
    refused = [
        ["rm", "-f", "victim.txt"],
        ["touch", "pwned"],
        ["sh", "-c", "touch pwned"],
        ["bash", "-c", "touch pwned"],
        ["ls"],  # on the exercise's default ALLOWED, but not on this server's
        ["ls; touch pwned"],
        ["echo hi"],
        ["ECHO", "hi"],
    ]
    with running(mod, tmp_path, allowed=("echo", "cat")) as (server, port), Client(port) as c:
        for argv in refused:
            expect_refused(c, argv, "rejected",
                           f"This server was started with allowed={{'echo', 'cat'}}; "
                           f"{argv[0]!r} is not one of them, so nothing may run. " + ALLOW,
                           name=argv[0])
            if listing(tmp_path) != ["victim.txt"]:
                fail(f"After the refused request {show(argv)}, the test found "
                     f"{listing(tmp_path)} in the command directory, expected just "
                     f"['victim.txt']: something ran. " + ALLOW)
        expect_ran(c, ["echo", "allowed"], b"allowed\n",
                   why="After refusing requests, the server keeps serving the connection.")


def test_allowlist_names_exact_programs(mod, tmp_path):
    fake = tmp_path / "echo"  # a program called "echo" that is not /bin/echo
    fake.write_text("#!/bin/sh\ntouch pwned_by_fake_echo\n")
    fake.chmod(0o755)
    with running(mod, tmp_path, allowed=("echo",)) as (server, port), Client(port) as c:
        for argv in (["./echo", "x"], [str(fake), "x"], ["/bin/echo", "x"]):
            expect_refused(c, argv, "rejected",
                           f"The allowlist holds 'echo', and {argv[0]!r} is a different "
                           "string: maybe another program with the same name (here a script "
                           "the client could have uploaded). Compare argv[0] as it is; don't "
                           "take its basename or strip its directory. " + ALLOW, name=argv[0])
            if "pwned_by_fake_echo" in listing(tmp_path):
                fail(f"The request {show(argv)} ran the script {fake} (the test found the file "
                     "it creates) because its name ends in 'echo'; only the exact string 'echo' "
                     "should pass. " + ALLOW)


def test_bad_requests_are_rejected_and_the_connection_survives(mod, tmp_path):
    bad = [
        b"ls -l",  # the notes' format: plain text, not JSON
        b"\xff\xfe{}",  # not UTF-8
        b'["echo", "hi"]',  # JSON, but not an object
        b'{"cmd": ["echo", "hi"]}',  # no argv
        b'{"argv": []}',
        b'{"argv": "echo hi"}',  # a string, not a list
        b'{"argv": ["echo", 3]}',
        b'{"argv": [null]}',
        b'{"argv": ["echo", "a\\u0000b"]}',  # NUL cannot be passed to a program
    ]
    with running(mod, tmp_path) as (server, port), Client(port) as c:
        for raw in bad:
            expect_refused(c, raw, "rejected",
                           "A request must be a JSON object whose argv is a non-empty list of "
                           "strings without NUL: anything else gets a reply with error "
                           "'rejected: ...' (and status null). Never let a bad request raise "
                           "in the handler thread: the client would get no reply. " + PROTOCOL)
        expect_ran(c, ["echo", "still here"], b"still here\n",
                   why="After bad requests, the same connection goes on being served.")


def test_allowed_program_that_cannot_start_is_reported(mod, tmp_path):
    missing = str(tmp_path / "no-such-program")
    not_executable = tmp_path / "not-executable"
    not_executable.write_text("echo hi\n")
    allowed = ("echo", missing, str(not_executable))
    with running(mod, tmp_path, allowed=allowed) as (server, port), Client(port) as c:
        for argv in ([missing], [str(not_executable)]):
            expect_refused(c, argv, "failed",
                           "The program is on the allowlist but cannot be started (it does not "
                           "exist, or is not executable): subprocess raises OSError "
                           "(FileNotFoundError, PermissionError). Catch it and reply with "
                           "error 'failed: ...'. " + PROTOCOL)
        expect_ran(c, ["echo", "ok"], b"ok\n",
                   why="After a program failed to start, the connection goes on being served.")


# --- timeouts and processes --------------------------------------------------------------


def test_long_command_is_killed_at_timeout(mod, tmp_path):
    before = set(child_states())
    with running(mod, tmp_path, timeout=1.0) as (server, port), net.listener(1) as beacon:
        # The program prints a line, tells the test it is running (by connecting to
        # `beacon`), then sleeps for 30 s. The marker lets the test kill it if it
        # outlives a failing server.
        script = ("import socket, sys, time\n"
                  "print('started', flush=True)\n"
                  "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                  "time.sleep(30)\n")
        argv = [PY, "-c", script, str(beacon.getsockname()[1]), MARKER]
        with Client(port) as c:
            c.ask(argv)
            doing = "On a server with timeout=1.0, a program that sleeps for 30 s got a reply with"
            header, out, err = c.reply(
                "On a server with timeout=1.0, after a request for a program that sleeps for "
                "30 s",
                hint="The server must not wait for a command for ever: run it with "
                     "subprocess.run(..., timeout=self.timeout), which kills the program when "
                     "the time is up and raises subprocess.TimeoutExpired; then reply with "
                     "error 'timeout: ...'. (See 9.19 2: the notes' server would hang here.)")
            error = header["error"]
            if error is None or not error.startswith("timeout"):
                fail(f"{doing} error {error!r} and status {header['status']!r}; expected "
                     "an error starting with 'timeout' and status null. "
                     "subprocess.run(..., timeout=self.timeout) raises subprocess.TimeoutExpired "
                     "after killing the program: catch it and say so. See 9.19 2 远程执行命令.")
            if header["status"] is not None:
                fail(f"{doing} status {header['status']!r}; the program was killed, so status "
                     f"must be null. {PROTOCOL}")
            left = {pid: st for pid, st in child_states().items() if pid not in before}
            if left:
                zombies = [pid for pid, st in left.items() if st == "Z"]
                if zombies:
                    fail(f"When the reply came, the killed program was a zombie (pid "
                         f"{zombies[0]}): killed but never waited for. It should be reaped: "
                         "after kill(), call wait() (or communicate()); "
                         "subprocess.run(timeout=...) does both for you. See 9.19 2 远程执行命令.")
                fail(f"When the reply '{error}' came, the program was still running (pid "
                     f"{sorted(left)[0]}); it should have been killed at the timeout "
                     "(proc.kill()) and waited for before the reply; subprocess.run(timeout=...) "
                     "does both for you. See 9.19 2 远程执行命令.")
            beacon.setblocking(False)
            try:
                seen, _ = beacon.accept()  # the program connected: 'started' was printed
            except BlockingIOError:
                seen = None  # killed before it got there (a very slow machine): no output due
            if seen is not None:
                seen.close()
                if out != b"started\n":
                    fail(f"{doing} the stdout {out!r}; expected b'started\\n', which the "
                         "program had printed before it was killed. Send what it wrote before "
                         "the timeout: subprocess.TimeoutExpired has it in .stdout and .stderr "
                         "(None means b''). " + PROTOCOL)
            expect_ran(c, ["echo", "after the timeout"], b"after the timeout\n",
                       why="After a command was killed, the connection goes on being served.")


def test_slow_command_does_not_block_other_clients(mod, tmp_path):
    # Client A's program connects to `gate` and waits for one byte from the test;
    # while it runs, client B must be served.
    script = ("import socket, sys\n"
              "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
              "s.recv(1)\n")
    with running(mod, tmp_path) as (server, port), net.listener(1) as gate:
        gate.settimeout(REPLY_BOUND)
        with Client(port) as a:
            argv = [PY, "-c", script, str(gate.getsockname()[1]), MARKER]
            a.ask(argv)
            try:
                held, _ = gate.accept()
            except TimeoutError:
                header, out, err = a.reply("Client A asked for a program that connects back "
                                           "to the test")
                fail(f"Client A asked for {show(argv)}, a program that connects back to the "
                     f"test and waits; it never connected, and the reply was {header!r} with "
                     f"stderr {err[:150]!r}. The server should run argv as it is, without a "
                     "shell. See 9.19 2 远程执行命令.")
            with held:
                with Client(port, timeout=2.0) as b:
                    b.ask(["echo", "B"])
                    try:
                        b.sock.recv(1, socket.MSG_PEEK)
                    except TimeoutError:
                        fail("While client A's command was still running, client B sent "
                             f"{show(['echo', 'B'])} and waited 2 s for a reply that never "
                             "came (it should come at once): your server serves one connection "
                             "at a time. Give every "
                             "accepted connection its own threading.Thread (8.18 1.2.2), so "
                             "one slow command never holds up other clients. "
                             "See 9.19 2 远程执行命令.")
                    header, out, err = b.reply("While client A's command was still running, "
                                               "client B sent ['echo', 'B']")
                    if out != b"B\n":
                        fail(f"Client B's request {show(['echo', 'B'])} got stdout {out!r} "
                             "while client A's command was running; expected b'B\\n'. "
                             + PROTOCOL)
                held.sendall(b"x")  # now A's program may end
            header, out, err = a.reply("After the test let client A's program end")
            if header["status"] != 0 or header["error"] is not None:
                fail(f"Client A's program got the reply header {header!r} after it ended "
                     "normally; expected status 0 and error null. " + PROTOCOL)


def test_stop_with_idle_client_connected(mod, tmp_path):
    server = mod.CommandServer(allowed={"echo"}, timeout=SERVER_TIMEOUT, cwd=str(tmp_path))
    port = server.start()
    stopped = False
    try:
        check_port(port)
        prereq.check_framing(mod, TOPIC)
        with Client(port) as c:
            expect_ran(c, ["echo", "x"], b"x\n")
            complaint = servers.stop_within(server.stop, port, STOP_BOUND, RUNNING_ADVICE)  # the client stays connected
            stopped = True
            if complaint:
                fail(complaint + " (A client was connected and idle when stop() was called.)")
            c.sock.settimeout(2.0)
            try:
                rest = c.sock.recv(1)
            except TimeoutError:
                fail("stop() returned while a client was connected and idle, but its "
                     "connection was still open: stop() must shut down every open connection. "
                     "See 9.19 2 远程执行命令.")
            except ConnectionResetError:
                rest = b""
            if rest:
                fail(f"After stop(), the idle client read {rest!r}; expected the connection to "
                     "be closed (an empty read). See 9.19 2 远程执行命令.")
        try:
            probe = socket.create_connection((net.HOST, port), timeout=2.0)
        except ConnectionRefusedError:
            return
        probe.close()
        fail(f"After stop() returned, a new client could still connect to port {port}: stop() "
             "should close the listening socket and end the accept thread. "
             "See 9.19 2 远程执行命令.")
    finally:
        if not stopped:
            servers.stop_within(server.stop, port, STOP_BOUND, RUNNING_ADVICE)


def test_vanished_client_does_not_crash_the_server(mod, tmp_path, monkeypatch):
    crashes, checked = threads.catch_thread_crashes(monkeypatch)
    with running(mod, tmp_path) as (server, port):
        with Client(port) as v:  # a client that stays through it all
            expect_ran(v, ["echo", "first"], b"first\n")
            # X: half a request (the length header and 3 of its bytes), then gone with a reset
            x = net.connect(port)
            payload = req(["echo", "never finished"])
            x.sendall(HEADER.pack(len(payload)) + payload[:3])
            net.reset(x)
            # Y: connects and resets before sending anything
            net.reset(net.connect(port))
            expect_ran(v, ["echo", "still here"], b"still here\n",
                       why="Two other clients vanished with a reset (one in the middle of a "
                           "request, one before sending anything); one client's trouble must "
                           "never stop the others being served.")
        with Client(port) as w:
            expect_ran(w, ["echo", "new client"], b"new client\n",
                       why="After two clients had vanished, a new client connected: the "
                           "accept loop must keep running whatever happens to one client.")
    checked.set()  # stop() has joined the handler threads: their exceptions are in
    if crashes:
        name, exc = crashes[0]
        fail(f"A client sent half a request and vanished with a reset (RST), another reset "
             f"before sending anything. Handler thread {name!r} died with "
             f"{type(exc).__name__}: {exc}; no exception should escape a handler thread. A "
             "client can vanish at any moment: recv_msg() then raises ConnectionResetError "
             "(an OSError). Catch OSError around the conversation and close the socket in a "
             "finally: block, as in tcp_server (8.18 1.2.2). See 9.19 2 远程执行命令.")


# --- the client: run() -------------------------------------------------------------------


def summary(r) -> str:
    status, out, err, error, truncated = r
    def b(x):
        return f"{size(len(x))}" if isinstance(x, bytes) and len(x) > 40 else repr(x)
    return (f"Result(status={status!r}, stdout={b(out)}, stderr={b(err)}, error={error!r}, "
            f"truncated={truncated!r})")


def check_result(r, want: tuple, what: str) -> None:
    fields = ("status", "stdout", "stderr", "error", "truncated")
    if not isinstance(r, tuple) or len(r) != 5 or type(r).__name__ != "Result":
        fail(f"{what} returned {type(r).__name__} {str(r)[:100]}; expected a Result (the "
             "NamedTuple given in the exercise): Result(status, stdout, stderr, error, "
             "truncated). " + PROTOCOL)
    for name, got, exp in zip(fields, r, want):
        if got != exp or type(got) is not type(exp):
            shown = compare(got, exp) if isinstance(exp, bytes) and isinstance(got, bytes) \
                else f"got {got!r}, expected {exp!r}"
            fail(f"{what} returned {summary(r)}, whose {name} is wrong: {shown}. run() returns "
                 "the reply as it came: the header's status, error and truncated, and the "
                 "stdout and stderr messages, each read whole with recv_msg(). (When run() "
             "talks to your own server and a server test fails too, fix the server first.) "
             + FRAMING)


def call_run(mod, port, argv, what: str):
    """mod.run(port, argv), with a sentence for the ways a client breaks."""
    try:
        return mod.run(port, argv, timeout=net.BOUND)
    except NotImplementedError:
        raise
    except TimeoutError:
        fail(f"{what} was still waiting after {net.BOUND:.0f} s for a reply the server had "
             f"sent; it should read the three reply messages with recv_msg(). {FRAMING}")
    except (struct.error, ValueError, KeyError, IndexError, TypeError) as exc:
        kind = "struct.error" if isinstance(exc, struct.error) else type(exc).__name__
        fail(f"{what} raised {kind}({exc}) on a well-formed reply; it should have returned a "
             "Result. Read the reply as three messages with recv_msg() (header, stdout, "
             "stderr) and "
             f"json.loads() the header. {FRAMING}")


def test_run_client_round_trip(mod, tmp_path):
    # run() against the student's own server: if server tests fail, those come first.
    big = "import sys; sys.stdout.buffer.write(bytes(range(256)) * 12288)"  # 3 MiB
    with running(mod, tmp_path, allowed=("echo", PY)) as (server, port):
        r = call_run(mod, port, ["echo", "hello", "world"],
                     "run(port, ['echo', 'hello', 'world'])")
        check_result(r, (0, b"hello world\n", b"", None, False),
                     "run(port, ['echo', 'hello', 'world'])")
        r = call_run(mod, port, [PY, "-c", big], "run(port, [python, '-c', <print 3 MiB>])")
        check_result(r, (0, bytes(range(256)) * 12288, b"", None, False),
                     "run(port, [python, '-c', <print 3 MiB>])")
        r = call_run(mod, port, ["rm", "-rf", "x"], "run(port, ['rm', '-rf', 'x'])")
        if not isinstance(r, tuple) or len(r) != 5 or not isinstance(r[3], str) \
                or not r[3].startswith("rejected") or r[0] is not None:
            fail(f"run(port, ['rm', '-rf', 'x']) on a server that allows only echo returned "
                 f"{str(r)[:200]}; expected a Result with status None and an error starting "
                 "with 'rejected' (the reply header's fields, as they came). " + PROTOCOL)


@contextlib.contextmanager
def fake_server(replies: list[bytes], requests: list):
    """A one-connection server: records the request, sends `replies` (raw bytes)."""
    with net.listener(1) as lst:
        lst.settimeout(net.BOUND)

        def serve():
            conn, _ = lst.accept()
            with conn:
                conn.settimeout(net.BOUND)
                head = b""
                while len(head) < 4 and (chunk := conn.recv(4 - len(head))):
                    head += chunk
                body = b""
                if len(head) == 4:
                    (n,) = HEADER.unpack(head)
                    while len(body) < n and (chunk := conn.recv(n - len(body))):
                        body += chunk
                requests.append(head + body)
                for r in replies:
                    conn.sendall(r)

        with in_background(serve, lst, "fake server"):
            yield lst.getsockname()[1]


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def test_run_client_reads_whole_frames(mod):
    out = os.urandom(100_000)
    header = json.dumps({"status": 7, "error": None, "truncated": False}).encode()
    requests: list = []
    argv = ["ls", "-l", "a b; c"]
    what = ("run() against a server whose reply arrived in pieces of 1..300 bytes (header, "
            "then 100000 bytes of stdout, then b'warning\\n')")
    with net.split_reads(seed=5, high=300):  # run()'s recv() returns 1..300 bytes at a time
        with fake_server([frame(header) + frame(out) + frame(b"warning\n")], requests) as port:
            r = call_run(mod, port, argv, what)
    sent = requests[0] if requests else b""
    try:
        body = json.loads(sent[4:].decode("utf-8"))
        ok = HEADER.unpack(sent[:4])[0] == len(sent) - 4 and body == {"argv": argv}
    except (ValueError, UnicodeDecodeError, struct.error):
        ok = False
    if not ok:
        fail(f"run(port, {argv!r}) sent {sent[:80]!r}; expected one framing message holding "
             f"the JSON {show(argv)}: send_msg(sock, json.dumps({{'argv': argv}}).encode()). "
             + FRAMING)
    check_result(r, (7, out, b"warning\n", None, False), what)

    header = json.dumps({"status": None, "error": "timeout: killed", "truncated": True}).encode()
    with fake_server([frame(header) + frame(b"so far") + frame(b"")], requests) as port:
        r = call_run(mod, port, ["sleep", "9"], "run() against a server replying a timeout")
    check_result(r, (None, b"so far", b"", "timeout: killed", True),
                 "run() against a server replying {status: null, error: 'timeout: killed', "
                 "truncated: true}, b'so far', b''")

    with fake_server([frame(header)], requests) as port:  # then the server closes
        try:
            r = mod.run(port, ["echo", "x"], timeout=net.BOUND)
        except ConnectionError:
            return
        except TimeoutError:
            fail("run() against a server that sent the reply header and then closed the "
                 f"connection was still waiting after {net.BOUND:.0f} s: recv_msg() returns "
                 "None at the end of the stream; it should raise ConnectionError. " + FRAMING)
    fail(f"run() against a server that sent only the reply header and then closed returned "
         f"{str(r)[:120]}; expected ConnectionError: the reply was incomplete (recv_msg() "
         "returned None for stdout). " + FRAMING)
