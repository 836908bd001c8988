"""Tests for chat_room: a multi-client chat server and its client (9.19 1 socket，可聊天应用).

The server tests talk to a real ChatServer on 127.0.0.1, port 0, through the
test's own line clients, so the server is judged on its own; the client tests
run the student's ChatClient against a tiny scripted server written here.
One test puts the two together.

Nothing sleeps. Events are ordered by the socket calls: a line a client
receives proves the server has read everything that caused it, and "/who",
answered to the asker only, proves the server has handled every earlier line
of that client (so a message echoed to its sender would have arrived first).
TCP's splits are made to happen with support.net.split_reads (every recv()
of the server capped at a few bytes). The slow-reader tests let one member
("sam", a small receive buffer, never reads) sit in the room while alice
sends lines of 32 KiB that bob must keep receiving, a few at a time, until
the server drops sam or 32+ MB have passed. Every blocking call is bounded:
a correct server answers in milliseconds.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from support import net, servers, threads
from support.threads import Stuck, run_threads
from support.student import fail

TOPIC = "chat_room"

MAX_PENDING = 64   # as exercises/chat_room.py gives it
PROMPT = 2.0       # s: "at once" for a line, a notice, an EOF
STOP_BOUND = 3.0   # s: stop() must have returned by then
MiB = 1024 * 1024

SEE = "See 9.19 1 socket，可聊天应用."
PROTOCOL = ("The protocol (docstring of exercises/chat_room.py): a client's first line is its "
            "nick; the server answers '* welcome NICK' to it and tells the others "
            "'* NICK joined'; every later line TEXT goes to all the *others* as 'NICK: TEXT'; "
            "'/who' is answered to the asker only with '* online: A, B' (nicks sorted); when a "
            "client goes, the others get '* NICK left'. " + SEE)
WHO_HINT = ("'/who' is a command, not a message: the server answers it to the asker only, with "
            "'* online: ' and the nicks of everyone in the room (the asker too), sorted, joined "
            "with ', '. A member is in the room from its welcome until '* NICK left'. " + SEE)
THREADS = ("The notes' server talks to one client at a time; a chat room needs every member "
           "served at once: a reader thread per connection. " + SEE)
FRAMING = ("TCP is a byte stream, not a message stream (9.20 1 粘包): one recv() may hold half "
           "a line, or several lines. Read each connection with conn.makefile('rb') and "
           "readline(), which keeps the leftover bytes for the next line; decode whole lines, "
           "never single recv() chunks. " + SEE)
QUEUES = ("A broadcast must never wait for one member's socket. Give every member an outgoing "
          "queue.Queue(maxsize=MAX_PENDING) and a writer thread of its own that does the "
          "sendall(); the thread that broadcasts only calls put_nowait(). " + SEE)
CLIENT = ("The client keeps a bytearray of what it has received and not yet returned; "
          "receive() hands out one complete line from it, calling recv() only while no "
          "'\\n' is in the buffer. " + SEE)




def welcome(nick):
    return f"* welcome {nick}"


def joined(nick):
    return f"* {nick} joined"


def left(nick):
    return f"* {nick} left"


def online(*nicks):
    return "* online: " + ", ".join(sorted(nicks))


def shutdown_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# --- running a server ------------------------------------------------------------


def stop_within(server, port, bound: float = STOP_BOUND) -> str | None:
    """Call server.stop() with a bound; None if it returned in time, else a complaint."""
    if servers.stop_bounded(server.stop, bound, servers.wake_accept(port), tries=1) == "ok":
        return None
    return (f"stop() had not returned {bound:.0f} s after the test called it. It must wake "
            "the accept thread (on Linux close() does not wake accept(): set a flag and "
            "connect to your own port once), shut down every client connection "
            "(conn.shutdown(socket.SHUT_RDWR) wakes a reader blocked in readline() and a "
            "writer blocked in sendall()), put something in each writer's queue if it waits "
            "in get(), and then join() every thread. " + SEE)


@contextlib.contextmanager
def running(mod):
    """A started ChatServer and its port; stopped (with a bound) afterwards.

    start() runs in the test's thread, so an unfinished stub fails the test
    with its own NotImplementedError.
    """
    server = mod.ChatServer()
    port = server.start()
    body_ok = False
    try:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            fail(f"ChatServer().start() returned {port!r}; it must return the port the server "
                 "listens on (listener.getsockname()[1]), an int such as 40512.")
        yield server, port
        body_ok = True
    finally:
        complaint = stop_within(server, port)
        if complaint and body_ok:  # a failure in the body is the one to report
            fail(complaint)


# --- the test's own clients ---------------------------------------------------------


class Member(net.LineClient):
    """A raw client of the chat protocol (the test's, not the student's ChatClient)."""

    def __init__(self, port: int, nick: str, timeout: float = PROMPT):
        super().__init__(port, timeout)
        self.nick = nick
        self.send_line(nick)


def expect(client: net.LineClient, expected: str, doing: str, hint: str = PROTOCOL) -> None:
    """Read one line and check it; `doing` says what the test just did."""
    who = getattr(client, "nick", "the client")
    client.sock.settimeout(PROMPT)
    try:
        line = client.read_line()
    except TimeoutError:
        fail(f"{doing}: {who} expected {expected!r}, but nothing came within {PROMPT:.0f} s. "
             f"{hint}")
    except ConnectionResetError:
        fail(f"{doing}: the server reset {who}'s connection instead of sending the expected "
             f"{expected!r}. "
             f"{hint}")
    except UnicodeDecodeError:
        fail(f"{doing}: {who} received a line that is not valid UTF-8 instead of {expected!r}: "
             f"a character was cut in two. {FRAMING}")
    if line is None:
        fail(f"{doing}: the server closed {who}'s connection instead of sending the expected "
             f"{expected!r}. "
             f"{hint}")
    if line != expected:
        extra = ""
        if line.startswith(f"{who}: "):
            extra = (f" That is {who}'s own message coming back: a broadcast goes to every "
                     "member except the one who sent it.")
        fail(f"{doing}: {who} received {shorten(line)!r}; expected {shorten(expected)!r}."
             f"{extra} {hint}")


def shorten(text: str, keep: int = 80) -> str:
    return text if len(text) <= keep else f"{text[:keep]}… ({len(text)} characters)"


def join(stack: contextlib.ExitStack, port: int, nick: str, room: list, hint: str = PROTOCOL,
         silent: tuple = ()):
    """Connect `nick`, check its welcome and the notice every member of `room` gets.

    The new member's '/who' is the synchronisation: the server handles a
    member's lines only after it has joined, so once the answer is back the
    member is in the room and its '* NICK joined' has been sent to the others.
    """
    m = stack.enter_context(Member(port, nick))
    stack.callback(shutdown_quietly, m.sock)  # runs before close(): wakes a stuck reader
    expect(m, welcome(nick), f"{nick!r} connected and sent its nick line {nick + chr(10)!r}",
           "The first line the server sends to a new client is '* welcome NICK'. " + hint)
    m.send_line("/who")
    nicks = [o.nick for o in room] + list(silent) + [nick]
    expect(m, online(*nicks),
           f"{nick!r} joined ({len(nicks) - 1} others in the room) and sent '/who'",
           WHO_HINT if hint is PROTOCOL else WHO_HINT + " " + hint)
    for other in room:
        expect(other, joined(nick), f"While {other.nick!r} was in the room, {nick!r} joined", hint)
    room.append(m)
    return m


def expect_who(m: Member, nicks, doing: str) -> None:
    expect(m, online(*nicks), f"{doing}; then {m.nick!r} sent '/who'", WHO_HINT)


# --- joining, relaying, leaving --------------------------------------------------------


def test_welcome_join_notices_and_who(mod):
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        room = []
        alice = join(stack, port, "alice", room)
        alice.send_line("/who")
        expect_who(alice, ["alice"], "alice was alone in the room")
        bob = join(stack, port, "bob", room)
        carol = join(stack, port, "carol", room)
        carol.send_line("/who")
        expect_who(carol, ["alice", "bob", "carol"], "alice, bob and carol had joined")
        bob.send_line("/who")
        expect(bob, online("alice", "bob", "carol"),
               "carol sent '/who' (answered to carol alone); then bob sent '/who'",
               "'/who' is a command, not a message: nobody else hears about it. " + PROTOCOL)
        alice.send_line("/who")
        expect_who(alice, ["alice", "bob", "carol"], "bob and carol had asked '/who' too")


def test_message_goes_to_everyone_but_the_sender(mod):
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        room = []
        for nick in ["alice", "bob", "carol"]:
            join(stack, port, nick, room)
        for sender, text in zip(room, ["hello", "你好, 世界", "a: b: c"]):
            sender.send_line(text)
            for other in room:
                if other is not sender:
                    expect(other, f"{sender.nick}: {text}",
                           f"{sender.nick!r} sent {text!r}",
                           "Every line a member sends goes to each *other* member as "
                           "'NICK: TEXT'. " + PROTOCOL)
            sender.send_line("/who")
            expect(sender, online("alice", "bob", "carol"),
                   f"{sender.nick!r} sent {text!r} and then '/who'",
                   "The server handles one client's lines in order, so the answer to '/who' "
                   "is the next line the sender gets: its own message must not come back. "
                   + SEE)


def test_leave_notice_when_a_client_closes(mod):
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        room = []
        alice = join(stack, port, "alice", room)
        bob = join(stack, port, "bob", room)
        carol = join(stack, port, "carol", room)
        bob.close()
        room.remove(bob)
        for m in room:
            expect(m, left("bob"), "bob closed its connection (an empty read for the server)",
                   "When a member's connection ends, the others get '* NICK left' and the "
                   "member is taken out of the room. " + SEE)
        alice.send_line("/who")
        expect_who(alice, ["alice", "carol"], "bob had left")
        carol.send_line("still here")
        expect(alice, "carol: still here", "After bob had left, carol sent 'still here'",
               "A member that left must be taken out of the room: sending to its closed "
               "socket must not disturb the others. " + SEE)
        dave = join(stack, port, "dave", room)
        dave.send("half a li")  # no newline: not a message
        dave.close()
        room.remove(dave)
        for m in room:
            expect(m, left("dave"),
                   "dave sent 'half a li' without a newline and closed its connection",
                   "A line the client never finished is not a message: drop it, and announce "
                   "that dave left. " + FRAMING)


# --- framing ---------------------------------------------------------------------------


def test_lines_sent_together_are_separate_messages(mod):
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        room = []
        alice = join(stack, port, "alice", room)
        bob = join(stack, port, "bob", room)
        alice.send("one\ntwo\nthree\n")  # one sendall(): one recv() for the server
        doing = "alice sent 'one\\ntwo\\nthree\\n' in one sendall() (three lines at once)"
        for word in ["one", "two", "three"]:
            expect(bob, f"alice: {word}", doing, "Three lines are three messages. " + FRAMING)
        alice.send_line("/who")
        expect_who(alice, ["alice", "bob"], doing)


def test_a_line_cut_into_pieces_is_one_message(mod):
    hint = ("Here every recv() of the server returned at most 3 bytes, as TCP may do at any "
            "time. " + FRAMING)
    with net.split_reads(3):
        with running(mod) as (server, port), contextlib.ExitStack() as stack:
            room = []
            alice = join(stack, port, "alice", room, hint)
            bob = join(stack, port, "bob", room, hint)
            for text in ["hello, world", "a你好", "The quick brown fox jumps over the lazy dog"]:
                alice.send_line(text)  # one sendall(); the server reads it 3 bytes at a time
                expect(bob, f"alice: {text}", f"alice sent {text!r} + '\\n' in one sendall()",
                       hint)
            alice.send("/who\npart")  # the answer to /who proves the server read on
            expect(alice, online("alice", "bob"), "alice sent '/who\\npart' in one sendall()",
                   hint)
            alice.send("ial\n")
            expect(bob, "alice: partial",
                   "alice sent '/who\\npart', got the answer to '/who', then sent 'ial\\n'",
                   "'part' + 'ial\\n' is one line. " + hint)


# --- trouble ----------------------------------------------------------------------------


def vanish(m: Member) -> None:
    """Close with a reset (RST), as a client whose machine is switched off."""
    m.file.close()  # the file from makefile() holds the socket open otherwise
    net.reset(m.sock)


def test_vanished_client_does_not_crash_the_server(mod, monkeypatch):
    crashes, checked = threads.catch_thread_crashes(monkeypatch)

    def crash_report() -> str:
        name, exc = crashes[0]
        return (f"Server thread {name!r} died with {type(exc).__name__}: {exc}. A client can "
                "vanish at any moment (here: a reset, as when its machine is switched off); "
                "recv() and sendall() then raise ConnectionResetError or BrokenPipeError (both "
                "OSError), and no exception should escape a server thread. Catch OSError "
                "around each member's conversation, treat it like an "
                "ordinary close ('* NICK left'), and close the socket in a finally: block. " + SEE)

    try:
        with running(mod) as (server, port), contextlib.ExitStack() as stack:
            room = []
            alice = join(stack, port, "alice", room)
            bob = join(stack, port, "bob", room)
            xavier = join(stack, port, "xavier", room)
            xavier.send("half a mess")
            vanish(xavier)  # gone with RST: the server's recv() raises
            room.remove(xavier)
            for m in room:
                expect(m, left("xavier"),
                       "xavier sent half a line and vanished with a reset (RST)",
                       "A reset is a way of leaving: the others get '* xavier left'. " + SEE)
            yves = join(stack, port, "yves", room)
            vanish(yves)  # gone while the server waits for its first message
            room.remove(yves)
            for m in room:
                expect(m, left("yves"), "yves joined and vanished with a reset (RST)")
            net.reset(net.connect(port))  # gone before it even sent a nick
            alice.send_line("still there?")
            expect(bob, "alice: still there?",
                   "Three clients vanished with a reset (one in the middle of a line, one right "
                   "after joining, one before sending its nick); then alice sent 'still there?'",
                   "One client's trouble must never stop the others being served. " + SEE)
            join(stack, port, "carol", room,
                 "After clients vanished, the accept loop must still take new members. " + SEE)
            alice.send_line("/who")
            expect_who(alice, ["alice", "bob", "carol"], "xavier and yves had vanished")
    except pytest.fail.Exception:
        if crashes:
            fail(crash_report())
        raise
    checked.set()  # stop() has joined the server's threads: their exceptions are in
    if crashes:
        fail(crash_report())


# --- a member that never reads -------------------------------------------------------------

LINE = 32 * 1024  # bytes per flood line
WINDOW = 8        # lines alice may be ahead of bob


def flood_cap() -> int:
    """Traffic after which a correct server has surely dropped the silent member:
    several times its socket buffers (the kernel's tcp_wmem maximum) plus its queue."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            wmem = int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        wmem = 4 * MiB
    return max(32 * MiB, 3 * (wmem + MAX_PENDING * LINE))


def silent_member(stack: contextlib.ExitStack, port: int, nick: str) -> socket.socket:
    """A member with a small receive buffer that reads its welcome and then nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stack.callback(s.close)  # LIFO: closed after the others; a reset frees a stuck sendall()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect(): a small window
    s.settimeout(PROMPT)
    s.connect((net.HOST, port))
    s.sendall(nick.encode() + b"\n/who\n")
    want = f"{welcome(nick)}\n{online(nick)}\n".encode()
    got = b""
    try:
        while len(got) < len(want):  # exactly the welcome and the answer, nothing more
            chunk = s.recv(len(want) - len(got))
            if not chunk:
                break
            got += chunk
    except TimeoutError:
        pass
    if got != want:
        fail(f"{nick!r} connected to an empty room and sent its nick and '/who'; the server "
             f"sent {got!r}; expected {want!r}. {PROTOCOL}")
    return s


def flood(alice: Member, bob: Member, silent: str) -> dict:
    """alice sends 32 KiB lines (at most WINDOW ahead); bob must receive every one.

    Stops sending once bob sees '* <silent> left' or after flood_cap() bytes.
    Returns {'lines': n, 'bytes': b, 'left_after': bytes sent when the notice came or None}.
    """
    cap = flood_cap()
    sent = received = 0
    left_after = None
    bob.sock.settimeout(PROMPT)

    def stalled(what: str):
        mb = sent * LINE / MiB
        fail(f"{silent!r} sat in the room and never read a byte. alice had sent {sent} lines of "
             f"32 KiB ({mb:.1f} MB), a few at a time; {what}. The room stopped: once {silent!r}'s "
             "socket buffer is full (a few MB), a sendall() to it blocks, and if that sendall() "
             f"runs in the thread that broadcasts, nobody gets anything any more. {QUEUES}")

    while True:
        while left_after is None and sent - received < WINDOW and sent * LINE < cap:
            payload = f"{sent:06d} " + "x" * (LINE - 8)
            try:
                alice.send_line(payload)
            except TimeoutError:
                stalled(f"alice's sendall() of line #{sent + 1} could not finish within "
                        f"{PROMPT:.0f} s: the server had stopped reading alice")
            sent += 1
        if received == sent:
            break
        try:
            line = bob.read_line()
        except TimeoutError:
            stalled(f"bob waited {PROMPT:.0f} s for line #{received + 1} and it never came")
        if line is None:
            fail(f"While {silent!r} never read and alice sent 32 KiB lines, the server closed "
                 f"bob's connection after {received} lines. Only the member that does not "
                 f"read may be disconnected. {QUEUES}")
        if line == left(silent):
            if left_after is None:
                left_after = sent * LINE
            continue
        expected = f"alice: {received:06d} "
        if not line.startswith(expected) or len(line) != len(expected) + LINE - 8:
            fail(f"alice sent numbered lines of 32 KiB; bob's line #{received + 1} was "
                 f"{shorten(line)!r} ({len(line)} characters); expected it to start with "
                 f"{expected!r} and be {len(expected) + LINE - 8} characters long. "
                 "Lines must arrive whole and in order. " + FRAMING)
        received += 1
    return {"lines": sent, "bytes": sent * LINE, "left_after": left_after}


def test_silent_reader_does_not_hold_up_the_room(mod):
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        silent_member(stack, port, "sam")
        room = []
        alice = join(stack, port, "alice", room, silent=("sam",))
        bob = join(stack, port, "bob", room, silent=("sam",))
        flood(alice, bob, "sam")
        alice.send_line("/who")
        for _ in range(2):
            alice.sock.settimeout(PROMPT)
            try:
                line = alice.read_line()
            except TimeoutError:
                line = None
            if line != left("sam"):
                break
        if line not in (online("alice", "bob"), online("alice", "bob", "sam")):
            fail(f"After the flood alice sent '/who' and received {shorten(str(line))!r}; "
                 f"expected {online('alice', 'bob')!r} (or with sam, if sam is still in). "
                 "alice's own lines must keep being handled while sam does not read. " + QUEUES)


def test_client_that_never_reads_is_disconnected(mod):
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        sam = silent_member(stack, port, "sam")
        room = []
        alice = join(stack, port, "alice", room, silent=("sam",))
        bob = join(stack, port, "bob", room, silent=("sam",))
        result = flood(alice, bob, "sam")
        if result["left_after"] is None:
            fail(f"sam never read a byte while alice sent {result['bytes'] / MiB:.0f} MB "
                 f"({result['lines']} lines of 32 KiB), and sam was never disconnected: bob got "
                 "no '* sam left'. sam should have been dropped once MAX_PENDING lines were "
                 "waiting for it; instead everything meant for sam piles up in the server's "
                 "memory for "
                 "as long as the others talk. Bound each member's queue: "
                 "queue.Queue(maxsize=MAX_PENDING); when put_nowait() raises queue.Full, "
                 f"{MAX_PENDING} lines are already waiting: disconnect that member (shut its "
                 "socket down) and tell the others '* sam left'. " + SEE)
        expect(alice, left("sam"), "The server dropped sam (bob got '* sam left')",
               "Every remaining member hears that sam left. " + PROTOCOL)
        alice.send_line("/who")
        expect_who(alice, ["alice", "bob"], "sam had been dropped")
        # sam's connection must really be closed: drain what was buffered, then EOF
        deadline = time.monotonic() + net.BOUND
        drained = 0
        try:
            while True:
                sam.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sam.recv(1 << 20)
                if not chunk:
                    break
                drained += len(chunk)
        except ConnectionResetError:
            pass
        except TimeoutError:
            fail(f"The others were told '* sam left', but sam's connection was still open: after "
                 f"sam read the {drained / MiB:.1f} MB that were already on their way, nothing "
                 "more came and no end of stream either (it should have come). Dropping a "
                 "member means shutting its "
                 "socket down (conn.shutdown(socket.SHUT_RDWR)) and closing it, not only taking "
                 "it out of the member list. " + SEE)


# --- many at once, and stopping ------------------------------------------------------------


def test_many_clients_chat_at_once(mod):
    n, per = 8, 5
    nicks = [f"m{i}" for i in range(n)]
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        room = []
        for nick in nicks:
            join(stack, port, nick, room,
                 "Every member stays connected while the next one joins. " + THREADS)

        def talk(m: Member):
            for k in range(per):
                m.send_line(f"{m.nick} says {k}")
            got = []
            while len(got) < (n - 1) * per:
                line = m.read_line()  # TimeoutError after PROMPT: reported below
                if line is None:
                    break
                got.append(line)
            m.send_line("/who")
            return got, m.read_line()

        try:
            results = run_threads([lambda m=m: talk(m) for m in room], what="member")
        except Stuck:
            fail(f"{n} members each sent {per} messages at the same moment and then read what "
                 f"the others said; after {net.BOUND:.0f} s some were still waiting, where all "
                 f"should be done at once. {THREADS}")
        except TimeoutError:
            fail(f"{n} members each sent {per} messages at the same moment; one of them waited "
                 f"{PROMPT:.0f} s for the {(n - 1) * per} messages it expected from the others, "
                 f"but they never all came. Messages may not be lost when several members talk "
                 f"at once. {QUEUES}")
        for m, (got, who) in zip(room, results):
            own = [line for line in got if line.startswith(f"{m.nick} says")]
            if own:
                fail(f"{m.nick!r} received its own message {own[0]!r}; it should get only the "
                     "others' lines. A broadcast goes to every member except the sender. " + SEE)
            for other in nicks:
                if other == m.nick:
                    continue
                seq = [line for line in got if line.startswith(f"{other}: ")]
                want = [f"{other}: {other} says {k}" for k in range(per)]
                if seq != want:
                    fail(f"{n} members each sent {per} numbered messages at once; {m.nick!r} "
                         f"received these from {other!r}: {seq}; expected {want}, complete and "
                         "in order. Each member's lines are relayed in the order it sent them, "
                         "and every member gets every line of the others. " + QUEUES)
            if who != online(*nicks):
                fail(f"After the chatter, {m.nick!r} sent '/who' and got {who!r}; expected "
                     f"{online(*nicks)!r}. " + PROTOCOL)


def test_stop_releases_everything(mod):
    before = set(threading.enumerate())
    server = mod.ChatServer()
    port = server.start()
    stopped = False
    try:
        with contextlib.ExitStack() as stack:
            room = []
            alice = join(stack, port, "alice", room)
            bob = join(stack, port, "bob", room)
            alice.send_line("bye soon")
            expect(bob, "alice: bye soon", "alice sent 'bye soon'")
            complaint = stop_within(server, port)  # alice and bob stay connected
            stopped = True
            if complaint:
                fail(complaint + " (Two members were still connected when stop() was called.)")
            alive = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
            if alive:
                fail(f"After stop() returned, thread(s) the server started were still alive: "
                     f"{', '.join(repr(n) for n in alive)}. stop() must end the accept thread and "
                     "every member's reader and writer thread, and join() each of them. " + SEE)
            for m in room:
                m.sock.settimeout(PROMPT)
                try:
                    while (line := m.read_line()) is not None and line.startswith("* "):
                        pass  # a '* x left' notice may come before the end
                except TimeoutError:
                    fail(f"stop() returned while {m.nick!r} was connected, but {m.nick!r}'s "
                         "connection was still open. stop() must shut down and close every "
                         "member's connection. " + SEE)
                except ConnectionResetError:
                    continue
                if line is not None:
                    fail(f"After stop(), {m.nick!r} received {line!r}; expected the end of the "
                         "connection. " + SEE)
        try:
            probe = socket.create_connection((net.HOST, port), timeout=PROMPT)
        except ConnectionRefusedError:
            return
        except OSError as exc:
            fail(f"After stop(), connecting to port {port} failed with {exc!r}; expected the "
                 "connection to be refused because nothing listens there any more. " + SEE)
        probe.close()
        fail(f"After stop() returned, a new client could still connect to port {port}: the "
             "listening socket is still open. stop() must close it and end the accept thread. "
             + SEE)
    finally:
        if not stopped:
            stop_within(server, port)


# --- candidate for tests/support ---------------------------------------------------------
# A one-connection server that runs a script in a thread, for testing a client alone.


@contextlib.contextmanager
def scripted_server(script):
    """Yield (port, box). A thread accepts one connection and runs script(conn).

    box["result"] is the script's return value; an exception in the script is
    re-raised in the test's thread when the block ends (unless the block failed
    first). The connection and the listener are shut down at the end, which
    wakes a script still waiting for the client.
    """
    lst = net.listener(1)
    port = lst.getsockname()[1]
    box: dict = {}

    def run():
        try:
            conn, _ = lst.accept()
        except OSError:
            return  # the block ended before the client connected
        box["conn"] = conn
        try:
            conn.settimeout(net.BOUND)
            box["result"] = script(conn)
        except BaseException as exc:  # handed to the test's thread below
            box["error"] = exc
        finally:
            conn.close()

    worker = threading.Thread(target=run, name="scripted-server", daemon=True)
    worker.start()
    body_failed = True
    try:
        yield port, box
        body_failed = False
        worker.join(net.BOUND)
    finally:
        shutdown_quietly(lst)  # wakes accept() on Linux
        if "conn" in box:
            if body_failed or worker.is_alive():
                shutdown_quietly(box["conn"])
        worker.join(net.BOUND)
        lst.close()
    if "error" in box:
        raise box["error"]


def read_line_raw(conn: socket.socket) -> bytes:
    """One line (with its b'\\n') read a byte at a time, so nothing after it is consumed."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


# --- the client --------------------------------------------------------------------------------


def make_client(mod, port: int, nick: str, server_did: str, timeout: float = 3.0):
    """mod.ChatClient(port, nick), failing with a sentence if the welcome is not recognised."""
    try:
        return mod.ChatClient(port, nick, timeout=timeout)
    except (ConnectionError, TimeoutError) as exc:
        fail(f"ChatClient(port, {nick!r}) raised {type(exc).__name__}: {exc}. {server_did}. The "
             f"constructor sends {nick + chr(10)!r} and returns once the line "
             f"{welcome(nick)!r} has arrived; a welcome cut into pieces, or followed by more "
             "lines in the same recv(), is still the welcome. " + CLIENT)


def expect_receive(client, expected, doing: str, hint: str = CLIENT) -> None:
    try:
        line = client.receive()
    except TimeoutError:
        fail(f"{doing}: receive() waited and raised TimeoutError; expected {expected!r}. {hint}")
    except OSError as exc:
        fail(f"{doing}: receive() raised {type(exc).__name__}: {exc}; expected {expected!r}. "
             f"{hint}")
    except UnicodeDecodeError:
        fail(f"{doing}: receive() raised UnicodeDecodeError; expected {expected!r}: it decoded "
             f"a piece of a line that ends in the middle of a character. {hint}")
    if line != expected:
        fail(f"{doing}: receive() returned {line!r}; expected {expected!r}. {hint}")


def test_client_sends_its_nick_and_consumes_the_welcome(mod):
    def script(conn):
        nick = read_line_raw(conn)
        conn.sendall(b"* welcome bob\nalice: hi bob\n")  # welcome and a message in one send
        return nick, read_line_raw(conn), read_line_raw(conn)

    with scripted_server(script) as (port, box):
        with make_client(mod, port, "bob", "The server read the nick and sent "
                         "'* welcome bob\\nalice: hi bob\\n' in one send") as c:
            expect_receive(c, "alice: hi bob",
                           "The server sent '* welcome bob\\nalice: hi bob\\n' in one send; "
                           "after ChatClient() returned, the first receive()",
                           "ChatClient() reads (and swallows) the welcome line; every later line "
                           "is for receive(). One recv() may hold both lines: keep the rest. "
                           + CLIENT)
            c.send("hello 你好")
            try:
                c.send("two\nlines")
            except ValueError:
                pass
            else:
                fail("ChatClient.send('two\\nlines') returned normally; expected ValueError. A "
                     "message is one line: a '\\n' inside would smuggle a second message (or a "
                     "fake '/who') past the protocol. " + SEE)
            c.send("/who")
    nick, first, second = box["result"]
    if nick != b"bob\n":
        fail(f"ChatClient(port, 'bob') sent {nick!r} as its first line; expected b'bob\\n': "
             "the first line a client sends is its nick. " + PROTOCOL)
    if first != "hello 你好\n".encode():
        want = "hello 你好\n".encode()
        fail(f"ChatClient.send('hello 你好') put {first!r} on the wire; expected {want!r}: "
             "the text in UTF-8 plus '\\n', sent with sendall(). " + SEE)
    if second != b"/who\n":
        fail(f"After the refused send('two\\nlines'), send('/who') put {second!r} on the wire; "
             "expected b'/who\\n'. A refused message must send nothing at all. " + SEE)


def test_client_receive_reassembles_lines(mod):
    lines = ["alice: hello", "carol: 你好, 世界", "* dave joined", "dave: " + "z" * 300]

    def script(conn):
        read_line_raw(conn)
        conn.sendall(b"* welcome bob\n" + "".join(l + "\n" for l in lines).encode())
        # then the end of the stream (the connection is closed after the script)

    # Every recv() of every socket made in this block returns 1..16 bytes: lines
    # arrive cut in pieces, and pieces of two lines arrive together.
    with net.split_reads(seed=19, high=16):
        with scripted_server(script) as (port, box):
            with make_client(mod, port, "bob", "The server read the nick and sent "
                             "'* welcome bob\\n' and more lines; every recv() returned 1 to 16 "
                             "bytes") as c:
                for i, line in enumerate(lines):
                    expect_receive(c, line,
                                   f"The server sent {len(lines)} lines after the welcome, and "
                                   f"every recv() returned 1 to 16 bytes; receive() call "
                                   f"#{i + 1}",
                                   "receive() returns exactly one line, however the bytes were "
                                   "cut. " + CLIENT)
                try:
                    end = c.receive()
                except TimeoutError:
                    fail("After the last line the server closed the connection; receive() "
                         "raised TimeoutError instead of returning None. recv() returning b'' "
                         "means the peer closed: return None. " + SEE)
                if end is not None:
                    fail(f"After the last line the server closed the connection; receive() "
                         f"returned {end!r}; expected None (recv() returned b''). " + SEE)


def test_client_receive_timeout_keeps_the_partial_line(mod):
    go = threading.Event()

    def script(conn):
        read_line_raw(conn)
        conn.sendall(b"* welcome bob\nalice: hel")
        if not go.wait(net.BOUND):
            return
        conn.sendall(b"lo\n")
        read_line_raw(conn)  # until the client closes

    with scripted_server(script) as (port, box):
        with make_client(mod, port, "bob", "The server read the nick and sent "
                         "'* welcome bob\\nalice: hel'", timeout=3.0) as c:
            t0 = time.monotonic()
            try:
                got = c.receive(timeout=0.05)
            except TimeoutError:
                got = TimeoutError
            waited = time.monotonic() - t0
            if got is not TimeoutError:
                fail(f"The server sent 'alice: hel' (no newline yet); receive(timeout=0.05) "
                     f"returned {got!r}; expected it to raise TimeoutError: a line is only "
                     "complete with its '\\n'. " + CLIENT)
            if waited > 1.5:
                fail(f"receive(timeout=0.05) took {waited:.1f} s to give up: use the timeout "
                     "it was given (sock.settimeout(timeout)) instead of the client's default. "
                     + SEE)
            go.set()
            expect_receive(c, "alice: hello",
                           "After receive(timeout=0.05) had timed out on 'alice: hel', the server "
                           "sent 'lo\\n'; the next receive()",
                           "Bytes received before a timeout belong to the next line: keep them "
                           "in your own buffer. (A file from makefile() cannot be read again "
                           "after a timeout.) " + CLIENT)


def test_client_constructor_fails_without_a_welcome(mod):
    def script(conn):
        read_line_raw(conn)  # the nick; then close without a welcome

    with scripted_server(script) as (port, box):
        try:
            c = mod.ChatClient(port, "bob", timeout=3.0)
        except ConnectionError:
            return
        c.close()
        fail("The server read bob's nick and closed the connection without a welcome; "
             "ChatClient(port, 'bob') returned normally. It must raise ConnectionError (and close "
             "its socket) when the connection ends before '* welcome bob' arrives. " + SEE)


def test_chat_clients_talk_through_the_server(mod):
    with running(mod) as (server, port):
        with make_client(mod, port, "alice", "Your ChatServer was running") as alice:
            alice.send("/who")  # answered once alice is in the room
            expect_receive(alice, online("alice"), "alice.send('/who'); alice.receive()",
                           "Your ChatClient and ChatServer together: " + PROTOCOL)
            with make_client(mod, port, "bob", "Your ChatServer was running") as bob:
                expect_receive(alice, joined("bob"), "bob joined after alice",
                               "Your ChatClient and ChatServer together: " + PROTOCOL)
                alice.send("hi bob")
                expect_receive(bob, "alice: hi bob", "alice.send('hi bob'); bob.receive()",
                               PROTOCOL)
                bob.send("/who")
                expect_receive(bob, online("alice", "bob"), "bob.send('/who'); bob.receive()",
                               PROTOCOL)
            expect_receive(alice, left("bob"), "bob closed its ChatClient; alice.receive()",
                           PROTOCOL)
