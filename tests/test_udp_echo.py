"""Tests for udp_echo: the notes' UDP hello server and a retrying client (8.18 1.3 UDP编程).

The server is judged by the test's own UDP sockets; the client against
servers the test controls: a reference server that answers by the protocol,
a scripted one that drops, duplicates or garbles on purpose, and one that
never answers. support.udp.LossyRelay sits in between for loss and
duplicates (seeded: the same datagrams are dropped in every run, up to
timing).

Nothing sleeps. The client's calls run in a helper thread while the test's
thread plays the server; every wait is bounded, and the bounds only catch
failures. Where the success path has to wait for a timeout (a datagram the
test dropped on purpose), the client is given a short one (0.05-0.2 s).
A client that has no timeout at all hangs in recvfrom(): the test notices
after its bound, wakes the thread by shutting the client's socket down, and
says so.
"""
from __future__ import annotations

import contextlib
import re
import select
import socket
import sys
import threading
import time
import types


from grader import target
from support import servers, threads
from support.net import HOST
from support.threads import Stuck, run_threads
from support.udp import LossyRelay
from support.student import fail, where

TOPIC = "udp_echo"

PROMPT = 2.0       # s: a reply on loopback takes well under a millisecond
STOP_BOUND = 3.0   # s: stop() must have returned by then
CALL_BOUND = 3.0   # s: one hello() that needs no retry, or gives up after ~0.6 s
LOSSY_BOUND = 5.0  # s: 24 hellos through 30% loss take ~0.5 s (0.85 s at worst with 3 CPU hogs)
REQUEST = re.compile(rb"(\d+) (.*)", re.DOTALL)

SEE = "See 8.18 1.3 UDP编程."
PROTOCOL = ("The protocol (docstring of exercises/udp_echo.py): the request is 'ID NAME', the "
            "answer 'ID Hello, NAME!', UTF-8, one datagram each. " + SEE)
TIMEOUT = ("A UDP datagram can be lost (能不能到达就不知道了), and then no answer ever comes: "
           "recv() with no timeout waits for ever. Call sock.settimeout(self.timeout) and catch "
           "TimeoutError (socket.timeout) around the receive. " + SEE)
RETRY = ("When no answer came within the timeout, send the SAME datagram again (same id), up to "
         "`attempts` sends in all; only then raise TimeoutError. " + SEE)
IDS = ("A reply counts only if it carries the id of THIS request: split the reply at its first "
       "space and compare the whole id (\"17\" is not \"170\"); ignore anything else (an earlier "
       "answer's duplicate, another id, junk) and keep waiting. " + SEE)
ROBUST = ("Anyone can send anything to a UDP port. Decode and split inside a try (or check before "
          "you split): a datagram that is empty, not UTF-8 or has no space is dropped, and the "
          "loop goes on to the next one. " + SEE)






def udp_socket(timeout: float = PROMPT) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    s.settimeout(timeout)
    return s


def drain(sock: socket.socket) -> list[bytes]:
    """Every datagram already waiting in sock's receive buffer (nothing waits)."""
    out = []
    sock.setblocking(False)
    while True:
        try:
            out.append(sock.recv(65535))
        except BlockingIOError:
            return out


# --- candidate for tests/support ---------------------------------------------
# Recording the sockets the student's code creates, so a test can wake a thread
# of theirs blocked in recv()/recvfrom() for ever (shutdown() wakes it on Linux;
# close() does not) and close what it left open. Generally useful for any suite
# whose student code may block without a timeout.

@contextlib.contextmanager
def student_sockets():
    """Inside the block, every socket.socket created (directly or not) by a
    function in the student's file is recorded in the yielded list."""
    created: list[socket.socket] = []
    original = socket.socket

    def from_student() -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            if target.is_student_file(frame.f_code.co_filename):
                return True
            frame = frame.f_back
        return False

    class Recorded(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if from_student():
                created.append(self)

    socket.socket = Recorded
    try:
        yield created
    finally:
        socket.socket = original
        for s in created:  # normally closed by the student already: then a no-op
            s.close()


def unstick(created: list[socket.socket], thread: threading.Thread | None = None) -> None:
    """Wake student threads blocked on their sockets: shutdown() ends a blocked recv()
    (close() alone would not), and close() makes every later call fail at once, so
    a loop that retries never spins on an empty read."""
    for s in created:
        if s.fileno() != -1:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
    for s in created:
        s.close()
    if thread is not None:
        thread.join(1.0)


class Background:
    """One call of the student's code in a thread of its own, while the test's
    thread plays the server. `ended` is a socket that becomes readable when the
    call returns or raises, so the test can select() on it with its own socket."""

    def __init__(self, func, what: str):
        self.what = what
        self.value = None
        self.error: BaseException | None = None
        self._r, self._w = socket.socketpair()
        self.finished = threading.Event()  # set once value/error are in place
        self.thread = threading.Thread(target=self._run, args=(func,), name=what, daemon=True)
        self.started = time.monotonic()
        self.thread.start()

    def _run(self, func):
        try:
            self.value = func()
        except BaseException as exc:  # handed to the test's thread by result()
            self.error = exc
        finally:
            self.finished.set()  # first: once `ended` is readable, result() finds it set
            with contextlib.suppress(OSError):
                self._w.send(b"x")

    @property
    def ended(self) -> socket.socket:
        return self._r

    def result(self, bound: float, created: list, doing: str, stuck_msg: str):
        """The call's value; its exception re-raised here; a sentence if it hangs."""
        if not self.finished.wait(max(0.0, self.started + bound - time.monotonic())):
            waited = time.monotonic() - self.started
            unstick(created, self.thread)
            self.close()
            fail(f"{doing}: hello() had still not returned after {waited:.1f} s; it should have "
                 f"returned (an answer, or TimeoutError) well before. {stuck_msg}")
        self.close()
        if self.error is not None:
            raise self.error
        return self.value

    def close(self):
        self._r.close()
        self._w.close()


def wait_datagram(sock: socket.socket, call: Background, bound: float = PROMPT):
    """The next datagram to `sock` as (data, addr); None if the call ended first
    (or ends before one comes); 'silence' if nothing happened within bound."""
    deadline = time.monotonic() + bound
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "silence"
        ready, _, _ = select.select([sock, call.ended], [], [], left)
        if sock in ready:
            return sock.recvfrom(65535)
        if ready:
            return None


def expect_request(fake: socket.socket, call: Background, created: list, doing: str,
                   bound: float = PROMPT):
    """The client's next request to the test's `fake` server: (data, addr, id, name).

    Fails with a sentence if the call ended without sending one (its own error
    re-raised: NotImplementedError stays "not started"), if nothing came within
    `bound`, or if the datagram is not 'ID NAME'."""
    got = wait_datagram(fake, call, bound)
    if got is None:  # the call ended first
        try:
            value = call.result(0.0, created, doing, "")
        except (NotImplementedError, AssertionError):
            raise
        except Exception as exc:  # noqa: BLE001
            fail(f"{doing}: hello() raised {type(exc).__name__}: {exc}{where(exc)} before the "
                 f"server received any request; it should send 'ID NAME' first. {PROTOCOL}")
        fail(f"{doing}: hello() returned {value!r} without sending a request to the server; it "
             f"should send one first (sock.sendto(data, self.server_addr)). {PROTOCOL}")
    if got == "silence":
        unstick(created, call.thread)
        call.close()
        fail(f"{doing}: the test's server expected a request, but received nothing in "
             f"{bound:.0f} s. Send the request with "
             f"sock.sendto(data, self.server_addr). {PROTOCOL}")
    data, addr = got
    m = REQUEST.fullmatch(data)
    if not m:
        unstick(created, call.thread)
        call.close()
        fail(f"{doing}: the server received {data!r}; expected 'ID NAME', e.g. b'1 Michael': a "
             f"decimal id, one space, the name in UTF-8. {PROTOCOL}")
    return data, addr, m[1], m[2]


@contextlib.contextmanager
def client_for(mod, addr, timeout: float, attempts: int):
    """(client, created): the student's HelloClient, made in the test's thread
    (so an unfinished stub fails the test with its own NotImplementedError),
    closed afterwards; `created` lists the sockets it opened."""
    with student_sockets() as created:
        client = mod.HelloClient(addr, timeout=timeout, attempts=attempts)
        try:
            yield client, created
        finally:
            with contextlib.suppress(OSError):
                client.close()


def hello(client, created, name: str, doing: str, bound: float = CALL_BOUND,
          stuck: str = TIMEOUT):
    """client.hello(name) in a helper thread with a bound; crashes become sentences."""
    call = Background(lambda: client.hello(name), "hello-client")
    try:
        return call.result(bound, created, doing, stuck)
    except (NotImplementedError, AssertionError):
        raise
    except TimeoutError as exc:
        fail(f"{doing}: hello({name!r}) raised TimeoutError ({exc}){where(exc)}, although the "
             f"server answers every request it receives; it should have returned "
             f"{'Hello, ' + name + '!'!r}. {IDS}")
    except Exception as exc:  # noqa: BLE001 - reported to the student
        fail(f"{doing}: hello({name!r}) raised {type(exc).__name__}: {exc}{where(exc)}; it should "
             f"have returned {'Hello, ' + name + '!'!r}. {PROTOCOL}")


def explain_answer(got, want: str, asked: list[str], name: str) -> str:
    """Why `got` is not the answer `want` to `name` (asked: names asked before)."""
    if isinstance(got, str):
        for earlier in asked:
            if got == f"Hello, {earlier}!":
                return (f"hello({name!r}) returned {got!r}, expected {want!r}: {got!r} is the "
                        f"answer to an EARLIER request ({earlier!r}): a duplicate of that "
                        f"answer was still waiting in the "
                        f"socket, and your client took it for this one. {IDS}")
        if re.match(r"\d+ Hello, ", got):
            return (f"hello({name!r}) returned {got!r}; expected {want!r}: return the text after "
                    "'ID ', without the id.")
    return f"hello({name!r}) returned {got!r}; expected {want!r}. {PROTOCOL}"


# --- candidate for tests/support ---------------------------------------------
# stop() must be tested while the server's loop is really blocked in its socket
# call, as it is in real life: right after a reply, the loop may not be back in
# accept()/recvfrom() yet, and a stop() that closes the socket first then sees a
# plain OSError on its next call, which hides the bug the test is looking for.



# --- servers the test controls ---------------------------------------------------

class ReferenceServer:
    """The protocol, answered by the test itself: the client tests never depend
    on the student's server."""

    def __init__(self):
        self.sock = udp_socket(timeout=None)
        self.addr = self.sock.getsockname()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reference-udp-server", daemon=True)

    def _run(self):
        while True:
            data, addr = self.sock.recvfrom(65535)
            if self._stopping.is_set():
                return
            m = REQUEST.fullmatch(data)
            if m:
                with contextlib.suppress(OSError):
                    self.sock.sendto(m[1] + b" Hello, " + m[2] + b"!", addr)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        with udp_socket() as s:
            s.sendto(b"", self.addr)
        self._thread.join(PROMPT)
        self.sock.close()


# --- the student's server -----------------------------------------------------------

def check_port(port) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        fail(f"UDPHelloServer().start() returned {port!r}; it must return the port the server "
             "is bound to (sock.getsockname()[1]), an int such as 40512.")


def stop_within(server, port, bound: float = STOP_BOUND) -> str | None:
    """Call server.stop() with a bound. None if it returned in time, else a complaint
    (after waking a stuck recvfrom() with datagrams so nothing hangs for ever)."""
    servers.wait_blocked_in(("recvfrom",))  # the server's loop is back waiting, as in real life
    with udp_socket() as s:
        # A thread blocked in recvfrom() on a socket that was close()d keeps the
        # port bound; one datagram wakes it so it can see its stop flag.
        state = servers.stop_bounded(server.stop, bound, lambda: s.sendto(b"0 wake up", (HOST, port)))
    if state == "ok":
        return None
    if state == "woken":
        return (f"stop() had not returned {bound:.0f} s after the test called it (it should "
                "return at once), and returned only once the test sent a datagram to the port: "
                "the server "
                "thread was still blocked in recvfrom(), and stop() was join()ing it. "
                "On Linux close() does not wake a thread blocked in recvfrom(). Set a "
                "flag, then send one datagram to your own port: the loop wakes, sees "
                "the flag and ends. " + SEE)
    return (f"stop() had not returned {bound:.0f} s after the test called it (it should return "
            "at once), even after the "
            "test sent datagrams to the port: it waits for something that never happens "
            "(a join() of a thread that does not end?). " + SEE)


@contextlib.contextmanager
def running(mod):
    """A started UDPHelloServer and its port; stopped (with a bound) afterwards."""
    server = mod.UDPHelloServer()
    port = server.start()
    body_ok = False
    try:
        check_port(port)
        yield server, port
        body_ok = True
    finally:
        complaint = stop_within(server, port)
        if complaint and body_ok:  # a failure in the body is the one to report
            fail(complaint)


def ask(sock: socket.socket, port: int, payload: bytes, doing: str, hint: str = PROTOCOL) -> bytes:
    """Send one datagram to the server and return the first datagram back."""
    sock.sendto(payload, (HOST, port))
    try:
        return sock.recv(65535)
    except TimeoutError:
        fail(f"{doing}, the test expected an answer, but none came within "
             f"{sock.gettimeout():.0f} s. {hint}")
    except ConnectionRefusedError:
        fail(f"{doing}, the port refused the datagram: nothing is bound to port {port}, where the "
             f"server should be listening. {hint}")


# --- the server ------------------------------------------------------------------

def test_server_says_hello_to_each_name(mod):
    with running(mod) as (server, port), udp_socket() as c:
        stored = getattr(server, "port", None)
        if stored != port:
            fail(f"start() returned port {port} but server.port is {stored!r}: it should store "
                 "the real port in self.port as well (port=0 means 'any free port'). " + SEE)
        for rid, name in [("1", "Michael"), ("2", "Tracy"), ("3", "小明"), ("123456789", "Mary Ann")]:
            request = f"{rid} {name}".encode("utf-8")
            want = f"{rid} Hello, {name}!".encode("utf-8")
            got = ask(c, port, request, f"The test sent the datagram {request!r}")
            if got != want:
                fail(f"The test sent the datagram {request!r}; the server answered {got!r}, "
                     f"expected {want!r}: the id copied unchanged, then 'Hello, NAME!' where NAME "
                     f"is everything after the first space. {PROTOCOL}")


def test_server_answers_each_client_at_its_own_address(mod):
    n = 10
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        clients = [stack.enter_context(udp_socket()) for _ in range(n)]
        for rnd, order in enumerate([range(n), reversed(range(n))]):
            order = list(order)
            for i in order:  # every client sends before any client reads
                clients[i].sendto(f"{rnd + 1} client-{i + 1}".encode(), (HOST, port))
            for i in order:
                doing = (f"{n} clients each sent one request before any of them read (round "
                         f"{rnd + 1}); client {i + 1}")
                try:
                    got = clients[i].recv(65535)
                except TimeoutError:
                    fail(f"{doing} waited {PROMPT:.0f} s and got no answer; each should get its "
                         "own at once. Answer every datagram "
                         "to the address recvfrom() returned with it: sock.sendto(answer, addr). "
                         + SEE)
                want = f"{rnd + 1} Hello, client-{i + 1}!".encode()
                if got != want:
                    fail(f"{doing} got {got!r}; expected {want!r}. Each answer goes back to the "
                         "address its request came from (data, addr = sock.recvfrom(...); "
                         "sock.sendto(answer, addr)), whoever else is talking. " + SEE)


def test_malformed_datagrams_do_not_kill_the_server(mod, monkeypatch):
    crashes, checked = threads.catch_thread_crashes(monkeypatch)
    junk = [b"", b"\xff\xfe\xfd", b"\x80\x81 abc", b"nospace", b"\xe5\xb0 half a character"]
    with running(mod) as (server, port), udp_socket() as c:
        for data in junk:
            c.sendto(data, (HOST, port))
        c.sendto(b"5 Tracy", (HOST, port))
        try:
            got = c.recv(65535)
        except TimeoutError:
            got = None
        checked.set()
        shown = ", ".join(repr(d) for d in junk)
        if got is None:
            died = ""
            if crashes:
                name, exc = crashes[0]
                died = f" Its thread {name!r} died with {type(exc).__name__}: {exc}{where(exc)}."
            fail(f"The test sent the malformed datagrams {shown}, then the valid request "
                 f"b'5 Tracy', and expected b'5 Hello, Tracy!', but no answer came within "
                 f"{PROMPT:.0f} s: the server had stopped serving.{died} {ROBUST}")
        if got != b"5 Hello, Tracy!":
            fail(f"The test sent the malformed datagrams {shown}, then b'5 Tracy'; the first "
                 f"answer it got was {got!r}, expected b'5 Hello, Tracy!'. A malformed datagram "
                 "gets no answer at all: drop it. " + ROBUST)
    if crashes:
        name, exc = crashes[0]
        fail(f"The server kept answering, but its thread {name!r} (or one it started) died with "
             f"{type(exc).__name__}: {exc}{where(exc)} on a malformed datagram; no exception "
             f"should escape the serving thread. {ROBUST}")


def test_stop_releases_everything(mod):
    before = set(threading.enumerate())
    server = mod.UDPHelloServer()
    port = server.start()
    stopped = False
    try:
        check_port(port)
        with udp_socket() as c:
            got = ask(c, port, b"1 Michael", "The test sent b'1 Michael'")
            if got != b"1 Hello, Michael!":
                fail(f"The test sent b'1 Michael' and got {got!r}; expected b'1 Hello, Michael!'. "
                     + PROTOCOL)
        complaint = stop_within(server, port)
        stopped = True
        if complaint:
            fail(complaint)
        for t in set(threading.enumerate()) - before:
            t.join(0.5)  # a thread that is just finishing gets a moment
        left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        if left:
            fail(f"After stop() returned, thread(s) the server started were still alive: "
                 f"{', '.join(repr(n) for n in left)}. stop() must wake the serving thread and "
                 "join() it before it returns. " + SEE)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            fail(f"After stop() returned, port {port} was still taken ({exc.strerror}): the "
                 "server's socket is still open. stop() must close it. " + SEE)
        finally:
            probe.close()
    finally:
        if not stopped:
            stop_within(server, port)


# --- the client ---------------------------------------------------------------

def test_client_sends_id_and_name_and_returns_the_greeting(mod):
    with udp_socket() as fake, client_for(mod, fake.getsockname(), PROMPT, 2) as (client, created):
        ids = []
        for name in ["Michael", "小明", "Mary Ann"]:
            doing = f"hello({name!r}) to a server the test plays"
            call = Background(lambda name=name: client.hello(name), "hello-client")
            data, addr, rid, sent = expect_request(fake, call, created, doing)
            if sent != name.encode("utf-8"):
                unstick(created, call.thread)
                call.close()
                fail(f"{doing}: the server received {data!r}; the name after the id should be "
                     f"{name.encode('utf-8')!r}. {PROTOCOL}")
            ids.append(rid.decode())
            reply = rid + b" Hello, " + sent + b"!"
            fake.sendto(reply, addr)
            doing += f"; the test answered {reply!r} at once"
            try:
                answer = call.result(CALL_BOUND, created, doing,
                                     "Does your client wait for the reply on the socket it sent "
                                     "the request from?")
            except (NotImplementedError, AssertionError):
                raise
            except Exception as exc:  # noqa: BLE001
                fail(f"{doing}: hello() raised {type(exc).__name__}: {exc}{where(exc)}; expected "
                     f"{'Hello, ' + name + '!'!r}. {PROTOCOL}")
            if answer != f"Hello, {name}!":
                fail(f"{doing}: {explain_answer(answer, f'Hello, {name}!', [], name)}")
        if len(set(ids)) != len(ids):
            fail(f"Three calls of hello() sent the ids {ids}: every request must carry a NEW id (a "
                 "counter: 1, 2, 3, ...), or an old answer's duplicate looks like the answer to "
                 "the new request. " + IDS)


def test_reply_with_another_id_is_ignored(mod):
    with udp_socket() as fake, client_for(mod, fake.getsockname(), PROMPT, 2) as (client, created):
        asked, previous_id = [], b""
        for name in ["Alice", "Bob"]:
            call = Background(lambda name=name: client.hello(name), "hello-client")
            data, addr, rid, _ = expect_request(fake, call, created,
                                                f"hello({name!r}) to a server the test plays")
            others = [
                (str(int(rid) + 1).encode() + b" Hello, Carol!", "the next id"),
                (rid + b"0 Hello, Mallory!", f"id {(rid + b'0').decode()}: this id with a 0 after it"),
                (b"\xff\xfe\xfd junk", "not UTF-8"),
                (rid + b" \xff\xfe Hello", "this id, but the rest is not UTF-8"),
                (b"", "empty"),
            ]
            if asked:
                others.append((previous_id + b" Hello, " + asked[-1].encode() + b"!", "the previous id"))
            for junk, _ in others:
                fake.sendto(junk, addr)
            reply = rid + b" Hello, " + name.encode() + b"!"
            fake.sendto(reply, addr)
            sent = ", ".join(f"{j!r} ({what})" for j, what in others)
            doing = (f"hello({name!r}) sent {data!r}; the test answered first {sent}, and only then "
                     f"{reply!r}")
            try:
                answer = call.result(CALL_BOUND, created, doing, IDS)
            except (NotImplementedError, AssertionError):
                raise
            except Exception as exc:  # noqa: BLE001
                fail(f"{doing}: hello() raised {type(exc).__name__}: {exc}{where(exc)}; expected "
                     f"{'Hello, ' + name + '!'!r}. {IDS}")
            if answer != f"Hello, {name}!":
                hint = IDS
                if answer == "Hello, Mallory!":
                    hint = (f"Your client took the reply with id {(rid + b'0').decode()!r} for the "
                            f"answer to id {rid.decode()!r}: compare the whole id, not its first "
                            "digits (reply.startswith(id) is not enough: split at the first space). "
                            + SEE)
                elif isinstance(answer, str) and "\ufffd" in answer:
                    hint = ("Your client returned the reply with this id whose text is not UTF-8, "
                            "decoded with errors='replace'. A reply that is not UTF-8 is junk, "
                            "whatever its id: ignore it and keep waiting. " + IDS)
                fail(f"{doing}: it returned {answer!r}; expected {f'Hello, {name}!'!r}. {hint}")
            asked.append(name)
            previous_id = rid


def test_lost_request_is_sent_again(mod):
    timeout = 0.2
    with udp_socket() as fake, client_for(mod, fake.getsockname(), timeout, 3) as (client, created):
        doing = f"HelloClient(timeout={timeout}, attempts=3).hello('Michael')"
        call = Background(lambda: client.hello("Michael"), "hello-client")
        first, addr, rid, _ = expect_request(fake, call, created, doing)
        doing += f": the test dropped its first request, {first!r}"
        again = wait_datagram(fake, call, bound=timeout + PROMPT)
        if again == "silence" and not call.finished.is_set():
            call.result(0.0, created, doing,  # fails: the call is still waiting
                        f"No second request came: after {timeout} s without an answer, send the "
                        "request again. " + TIMEOUT + " " + RETRY)
        if not isinstance(again, tuple):  # the call ended without sending it again
            try:
                value = call.result(0.0, created, doing, "")
            except (NotImplementedError, AssertionError):
                raise
            except Exception as exc:  # noqa: BLE001
                fail(f"{doing}, and hello() raised {type(exc).__name__}: {exc}{where(exc)} without "
                     f"sending it again; it should have (attempts=3 allows 3 sends). {RETRY}")
            fail(f"{doing}, and hello() returned {value!r} though its request got no answer; it "
                 f"should have sent the request again. {RETRY}")
        data, addr = again
        if data != first:
            fake.sendto(rid + b" Hello, Michael!", addr)  # let it finish
            call.thread.join(PROMPT)
            unstick(created, call.thread)
            call.close()
            fail(f"{doing}; the retry the test received was {data!r}, expected {first!r} again. A "
                 "retry sends the SAME datagram, with the same id: an answer to either one is the "
                 "answer. " + RETRY)
        fake.sendto(rid + b" Hello, Michael!", addr)
        doing += ", and answered the retry"
        try:
            answer = call.result(CALL_BOUND, created, doing, TIMEOUT)
        except (NotImplementedError, AssertionError):
            raise
        except Exception as exc:  # noqa: BLE001
            fail(f"{doing}: hello() raised {type(exc).__name__}: {exc}{where(exc)}; expected "
                 "'Hello, Michael!'. " + RETRY)
        if answer != "Hello, Michael!":
            fail(f"{doing}: hello() returned {answer!r}, expected 'Hello, Michael!'. " + RETRY)


def test_client_gives_up_with_timeout_error(mod):
    timeout, attempts = 0.2, 3
    with udp_socket() as dead, client_for(mod, dead.getsockname(), timeout, attempts) as (client, created):
        doing = (f"HelloClient(timeout={timeout}, attempts={attempts}).hello('Michael') to a server "
                 "that never answers")
        call = Background(lambda: client.hello("Michael"), "hello-client")
        try:
            value = call.result(CALL_BOUND, created, doing,
                                f"With timeout={timeout} and attempts={attempts} it must give up "
                                f"after about {timeout * attempts:.1f} s. " + TIMEOUT)
        except TimeoutError:
            value = TimeoutError
        except (NotImplementedError, AssertionError):
            raise
        except Exception as exc:  # noqa: BLE001
            fail(f"{doing}: hello() raised {type(exc).__name__}: {exc}{where(exc)}; expected "
                 f"TimeoutError after {attempts} sends without an answer. {RETRY}")
        elapsed = time.monotonic() - call.started
        if value is not TimeoutError:
            fail(f"{doing}: hello() returned {value!r}; expected it to raise TimeoutError after "
                 f"{attempts} sends without an answer. {RETRY}")
        sent = drain(dead)
        if len(sent) != attempts:
            more = ("Too few sends. " if len(sent) < attempts else "Too many sends. ")
            fail(f"{doing}: hello() raised TimeoutError after {elapsed:.1f} s, having sent "
                 f"{len(sent)} datagram(s); expected exactly {attempts} (attempts={attempts}). "
                 f"{more}{RETRY}")
        if len(set(sent)) != 1:
            fail(f"{doing}: the {attempts} attempts sent {sent!r}: a retry should send the "
                 f"SAME datagram, "
                 f"with the same id. {RETRY}")


def test_stale_duplicate_is_not_taken_for_the_next_answer(mod):
    names = ["Alice", "Bob", "Carol", "Dave", "Eve"]
    with ReferenceServer() as ref, LossyRelay(ref.addr, loss=0.0, dup=1.0, seed=18) as relay, \
            client_for(mod, relay.addr, PROMPT, 2) as (client, created):
        asked = []
        for name in names:
            doing = (f"Through a relay that delivers every datagram TWICE, hello({name!r}) after "
                     f"hello() of {asked or 'nobody'}")
            answer = hello(client, created, name, doing, stuck=IDS)
            if answer != f"Hello, {name}!":
                fail(f"{doing}: {explain_answer(answer, f'Hello, {name}!', asked, name)}")
            asked.append(name)


def test_client_and_server_survive_loss_and_duplicates(mod):
    n_clients, n_names = 3, 8
    timeout, attempts = 0.05, 40
    loss, dup = 0.3, 0.1
    with running(mod) as (server, port), \
            LossyRelay((HOST, port), loss=loss, dup=dup, seed=1318) as relay, \
            contextlib.ExitStack() as stack:
        made = [stack.enter_context(client_for(mod, relay.addr, timeout, attempts))
                for _ in range(n_clients)]
        created = [s for _, c in made for s in c]
        wrong: list[str] = []

        def talk(i):
            client = made[i][0]
            asked = []
            for k in range(n_names):
                name = f"c{i + 1}-{k + 1}"
                got = client.hello(name)
                if got != f"Hello, {name}!":
                    wrong.append(f"client {i + 1}: {explain_answer(got, f'Hello, {name}!', asked, name)}")
                    return
                asked.append(name)

        doing = (f"{n_clients} HelloClients (timeout={timeout}, attempts={attempts}) asked your "
                 f"server {n_names} names each at the same time, through a relay that loses "
                 f"{loss:.0%} of the datagrams (both ways) and duplicates {dup:.0%}")
        stuck = None
        try:
            run_threads([lambda i=i: talk(i) for i in range(n_clients)], bound=LOSSY_BOUND, what="client")
        except Stuck as exc:
            stuck = str(exc)  # reported below, outside this except: our sentence, not Stuck's
        except (NotImplementedError, AssertionError):
            raise
        except TimeoutError as exc:
            fail(f"{doing}: hello() raised TimeoutError ({exc}){where(exc)}. With {attempts} "
                 f"attempts the chance that every one of them is lost is below 1 in 10^10: your "
                 f"client does not retry, or does not recognise the answer when it comes; every "
                 f"hello() should have returned its answer. {RETRY} {IDS}")
        except Exception as exc:  # noqa: BLE001
            fail(f"{doing}: hello() raised {type(exc).__name__}: {exc}{where(exc)}; every hello() "
                 f"should have returned its answer. {PROTOCOL}")
        if stuck is not None:
            unstick(created)
            where_lines = stuck.partition("\n")[2]
            fail(f"{doing}; after {LOSSY_BOUND:.0f} s some clients were still waiting (the relay "
                 f"had dropped {relay.stats['dropped']} datagrams so far). Each wait must end after "
                 f"`timeout` seconds. {TIMEOUT}" + (f"\n{where_lines}" if where_lines else ""))
        if wrong:
            fail(f"{doing}: {wrong[0]}")


def test_with_statements_start_stop_and_close(mod):
    # `with UDPHelloServer() as server:` calls __enter__() (start()) and, at the end of the
    # block, __exit__() (stop()); `with HelloClient(addr) as client:` closes the client at
    # the end. The test makes those calls itself, as the with statement would, so that an
    # __exit__ that hangs is reported instead of waited for.
    server = mod.UDPHelloServer()
    entered = server.__enter__()
    port = getattr(server, "port", None)
    exited = False
    try:
        if entered is not server:
            fail(f"`with UDPHelloServer() as server:` bound server to {entered!r}; expected the "
                 "UDPHelloServer itself: __enter__() must start() and then return self. " + SEE)
        check_port(port)
        with student_sockets() as created:
            client = mod.HelloClient((HOST, port), timeout=PROMPT, attempts=2)
            try:
                if client.__enter__() is not client:
                    fail("`with HelloClient(addr) as client:` did not bind client to the "
                         "HelloClient itself; expected __enter__() to return self. " + SEE)
                doing = ("Inside `with UDPHelloServer() as server:` and `with HelloClient(("
                         "'127.0.0.1', server.port)) as client:`")
                answer = hello(client, created, "Michael", doing)
                if answer != "Hello, Michael!":
                    fail(f"{doing}: {explain_answer(answer, 'Hello, Michael!', [], 'Michael')}")
            finally:
                client.__exit__(None, None, None)
            still_open = [s for s in created if s.fileno() != -1]
            if still_open:
                fail("After the client's with block, the socket HelloClient had opened was still "
                     "open; __exit__() must close() it. " + SEE)
        leave = types.SimpleNamespace(stop=lambda: server.__exit__(None, None, None))
        complaint = stop_within(leave, port)
        exited = True
        if complaint:
            fail("At the end of the server's with block, __exit__() (which calls stop()) did "
                 "not return: " + complaint)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            fail(f"After the server's with block, port {port} was still taken "
                 f"({exc.strerror}); expected it free: __exit__() must stop() the server, "
                 "which closes its socket. " + SEE)
        finally:
            probe.close()
    finally:
        if not exited:
            stop_within(server, port)
