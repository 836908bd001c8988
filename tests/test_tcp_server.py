"""Tests for tcp_server: the notes' hello server as a class (8.18 1.2.2 服务器).

Every test starts a real HelloServer on 127.0.0.1, port 0, and talks to it
with real client sockets. Nothing sleeps: events are ordered by the socket
calls themselves (a reply proves the server has read everything sent before
it) and by a Barrier. Every blocking call has a bound, and the bounds only
catch failures: a correct server answers in milliseconds.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
import types


from support import net, servers, threads
from support.threads import Stuck, run_threads
from support.student import fail

TOPIC = "tcp_server"

WELCOME = "Welcome!"
PROMPT = 2.0       # s: "at once" for one answer, an EOF, a welcome
STOP_BOUND = 3.0   # s: stop() must have returned by then
RENDEZVOUS = 3.0   # s: how long the many-clients probe waits for everyone

THREADS = ("See 8.18 1.2.2: accept() in a loop of its own, and every accepted connection "
           "handled by a threading.Thread of its own, so one client never holds up another.")
FRAMING = ("TCP is a byte stream, not a message stream (粘包): one recv() may hold two lines "
           "or half of one. Read with f = conn.makefile('rb') and f.readline(), which keeps "
           "the leftover bytes for the next line. See 8.18 1.2.2 (and 9.20 1 粘包).")
CLOSING = ("When a conversation ends, close the client's socket (conn.close(), like "
           "sock.close() at the end of the notes' tcplink); stop() must also shut down "
           "every connection still open. See 8.18 1.2.2.")




# --- candidate for tests/support ---------------------------------------------
# stop() must be tested while the server's loop is really blocked in its socket
# call, as it is in real life: right after a reply, the loop may not be back in
# accept()/recvfrom() yet, and a stop() that closes the socket first then sees a
# plain OSError on its next call, which hides the bug the test is looking for.



# --- running a server ------------------------------------------------------


def stop_within(server, port, bound: float = STOP_BOUND) -> str | None:
    """Call server.stop() with a bound. None if it returned in time, else a complaint
    (after waking a stuck accept() with a connection, so nothing hangs for ever)."""
    servers.wait_blocked_in(("accept",))  # the accept loop is back waiting, as in real life
    state = servers.stop_bounded(server.stop, bound, servers.wake_accept(port))
    if state == "ok":
        return None
    if state == "woken":
        return (f"stop() had not returned {bound:.0f} s after the test called it (it should "
                "return at once), and returned only once the test connected to the port again: "
                "the accept "
                "thread was still blocked in accept() on a listening socket stop() had "
                "closed, and stop() was join()ing it. On Linux close() does not wake a "
                "thread blocked in accept(). Wake it: set a flag and connect to your own "
                "port once (the loop sees the flag and ends), or call "
                "listener.shutdown(socket.SHUT_RDWR) before close(). See 8.18 1.2.2.")
    return (f"stop() had not returned {bound:.0f} s after the test called it (it should "
            "return at once): it waits for "
            "something that never happens, usually a join() of a thread that is still "
            "blocked. (1) The accept thread: on Linux closing the listening socket does "
            "not wake accept(); set a flag and connect to your own port once, or call "
            "listener.shutdown(socket.SHUT_RDWR). (2) A handler thread blocked in "
            "readline() on a client that is still connected: shut every open client "
            "connection down (conn.shutdown(socket.SHUT_RDWR)) before joining. "
            "See 8.18 1.2.2.")


def check_port(port) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        fail(f"HelloServer().start() returned {port!r}; it must return the port the server "
             "listens on (listener.getsockname()[1]), an int such as 40512.")


@contextlib.contextmanager
def running(mod):
    """A started HelloServer and its port; stopped (with a bound) afterwards.

    start() is called here, in the test's thread, so an unfinished stub fails
    the test with its own NotImplementedError.
    """
    server = mod.HelloServer()
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


# --- talking to it -----------------------------------------------------------


PROTOCOL = ("The protocol (8.18 1.2.2, and the docstring of exercises/tcp_server.py): "
            "'Welcome!\\n' first, then 'Hello, NAME!\\n' for each line NAME, until 'exit'.")


def expect(client: net.LineClient, expected: str, doing: str, hint: str = PROTOCOL) -> None:
    """Read one line and check it; `doing` says what the test just did."""
    bound = client.sock.gettimeout()
    try:
        line = client.read_line()
    except TimeoutError:
        fail(f"{doing}, the test expected {expected!r}, but nothing came within {bound:.0f} s. "
             f"{hint}")
    except ConnectionResetError:
        fail(f"{doing}, the server reset the connection instead of sending the expected "
             f"{expected!r}. {hint}")
    if line is None:
        fail(f"{doing}, the server closed the connection instead of sending the expected "
             f"{expected!r}. {hint}")
    if line != expected:
        fail(f"{doing}, the server sent {line!r}; expected {expected!r}. {hint}")


def expect_closed(client: net.LineClient, doing: str, hint: str, bound: float = PROMPT) -> None:
    """The server must have closed this connection: EOF (or a reset) within `bound`."""
    client.sock.settimeout(bound)
    try:
        line = client.read_line()
    except TimeoutError:
        fail(f"{doing}, the server should have closed the connection, but it was still open "
             f"after {bound:.0f} s (the test's read never saw EOF). {hint}")
    except ConnectionResetError:
        return
    if line is not None:
        fail(f"{doing}, the server sent {line!r}; expected it to close the connection. {hint}")


def shutdown_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# --- the protocol ------------------------------------------------------------


def test_welcome_then_hello_for_each_name(mod):
    with running(mod) as (server, port):
        stored = getattr(server, "port", None)
        if stored != port:
            fail(f"start() returned port {port} but server.port is {stored!r}: it should store "
                 "the real port in self.port as well (port=0 means 'any free port'). "
                 "See 8.18 1.2.2.")
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Right after connecting",
                   "The server sends 'Welcome!\\n' to every new client first.")
            for name in ["Michael", "Tracy", "Sarah", "小明"]:
                c.send_line(name)
                expect(c, f"Hello, {name}!", f"After the client sent {name!r} + '\\n'",
                       "Answer each line NAME with 'Hello, NAME!\\n' (UTF-8), in order.")
            c.send("Bob\r\n")
            expect(c, "Hello, Bob!", "After the client sent 'Bob\\r\\n'",
                   "Strip the line ending ('\\r\\n' or '\\n') before using the name.")


def test_exit_closes_the_connection(mod):
    with running(mod) as (server, port):
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Right after connecting")
            c.send_line("Michael")
            expect(c, "Hello, Michael!", "After the client sent 'Michael'")
            c.send_line("exit")
            expect_closed(c, "After the client sent 'exit'", CLOSING)
        with net.LineClient(port) as again:
            expect(again, WELCOME, "After one client said 'exit', a new client connected",
                   "'exit' ends that one connection; the server keeps accepting others.")
            again.send_line("Tracy")
            expect(again, "Hello, Tracy!", "The new client sent 'Tracy'")


def test_two_lines_in_one_send_get_two_replies(mod):
    with running(mod) as (server, port):
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Right after connecting")
            c.send("Michael\nTracy\n")  # one sendall(): one chunk for the server's recv()
            doing = "The client sent 'Michael\\nTracy\\n' in one sendall() (two lines at once)"
            expect(c, "Hello, Michael!", doing + "; as the first answer", FRAMING)
            expect(c, "Hello, Tracy!", doing + "; as the second answer", FRAMING)
            c.send_line("Sarah")
            expect(c, "Hello, Sarah!", "Then it sent 'Sarah\\n'", FRAMING)


def test_line_split_across_two_sends(mod):
    with running(mod) as (server, port):
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Right after connecting")
            # The answer to Sarah proves the server has read the chunk that also
            # holds "Mic"; only then does the rest of the line leave the client.
            c.send("Sarah\nMic")
            expect(c, "Hello, Sarah!", "The client sent 'Sarah\\nMic' (a line and a half)", FRAMING)
            c.send("hael\n")
            expect(c, "Hello, Michael!",
                   "After the answer to Sarah, the client sent the rest of the line, 'hael\\n'",
                   "'Mic' + 'hael\\n' is one line, 'Michael'. " + FRAMING)
            # The same, with the split inside a UTF-8 character: 小 is e5 b0 8f.
            c.sock.sendall(b"Tracy\n\xe5\xb0")
            expect(c, "Hello, Tracy!", "The client sent 'Tracy\\n' plus the first 2 bytes of '小'",
                   FRAMING)
            c.sock.sendall(b"\x8f\xe6\x98\x8e\n")
            expect(c, "Hello, 小明!",
                   "Then it sent the last byte of '小' and '明\\n'",
                   "Decode a whole line, never a single recv() chunk: a chunk can end in the "
                   "middle of a UTF-8 character. " + FRAMING)


# --- concurrency --------------------------------------------------------------


def test_idle_client_does_not_block_others(mod):
    with running(mod) as (server, port):
        with net.LineClient(port) as a:  # A connects first, then says and reads nothing
            with net.LineClient(port, timeout=PROMPT) as b:
                t0 = time.monotonic()
                try:
                    line = b.read_line()
                except TimeoutError:
                    fail(f"Client B waited {time.monotonic() - t0:.1f} s for its welcome while "
                         "client A sat idle, and it never came; it should come at once: your "
                         "server serves one connection at a time. " + THREADS)
                if line != WELCOME:
                    fail(f"Client B connected while client A sat idle and got {line!r} instead "
                         f"of {WELCOME!r}. {PROTOCOL}")
                b.send_line("Tracy")
                expect(b, "Hello, Tracy!", "While client A sat idle, client B sent 'Tracy'",
                       "Each client's conversation runs in a thread of its own. " + THREADS)
            expect(a, WELCOME,
                   "After client B had finished, client A (idle until then) read its first line")
            a.send_line("Michael")
            expect(a, "Hello, Michael!", "Then client A sent 'Michael'")


def test_many_clients_at_once(mod):
    n = 20
    with running(mod) as (server, port), contextlib.ExitStack() as stack:
        # 1. Connect 20 clients one after another; each gets its welcome while
        #    all the clients before it stay connected. (One at a time, so the
        #    listen() backlog never matters.)
        clients = []
        for i in range(n):
            c = stack.enter_context(net.LineClient(port, timeout=RENDEZVOUS))
            stack.callback(shutdown_quietly, c.sock)  # runs before close(): wakes a stuck reader
            clients.append(c)
            try:
                line = c.read_line()
            except TimeoutError:
                fail(f"{n} clients connected one after another, each keeping its connection "
                     f"open; client {i + 1} waited {RENDEZVOUS:.0f} s for its welcome while the "
                     f"{i} before it sat connected, and it never came (it should come at once): "
                     f"your server serves at most {i} "
                     "connection(s) at a time (a serial accept loop, or a small thread pool). "
                     + THREADS)
            if line != WELCOME:
                fail(f"Client {i + 1} of {n}, connected while the others stayed connected, got "
                     f"{line!r} instead of {WELCOME!r}. {PROTOCOL}")

        # 2. All 20 talk at once: one name each, then a rendezvous that needs
        #    every client served, then 3 more names and 'exit'.
        barrier = threading.Barrier(n, timeout=RENDEZVOUS)
        first = [False] * n   # client i got its first answer before the rendezvous gave up
        done = [False] * n    # client i finished everything after the rendezvous

        def talk(i):
            c = clients[i]
            try:
                c.send_line(f"client{i + 1}")
                if c.read_line() != f"Hello, client{i + 1}!":
                    return f"client {i + 1} got a wrong answer to its first name"
                if barrier.broken:  # served only after the rendezvous gave up
                    return None
                first[i] = True
                barrier.wait()  # every connection is open, every client was served
                for k in range(3):
                    name = f"c{i + 1}-{k}"
                    c.send_line(name)
                    if c.read_line() != f"Hello, {name}!":
                        return f"client {i + 1} got a wrong answer to {name!r}"
                c.send_line("exit")
                if c.read_line() is not None:
                    return f"client {i + 1} got a line after 'exit'"
                done[i] = True
            except (OSError, threading.BrokenBarrierError):  # timeouts included
                pass
            finally:
                if not first[i]:
                    barrier.abort()  # nobody waits for a client that never got in
            return None

        try:
            problems = run_threads([lambda i=i: talk(i) for i in range(n)], what="client")
        except Stuck:
            fail(f"{n} connected clients talked to the server at once (4 names and 'exit' "
                 f"each); after {net.BOUND:.0f} s some of them were still not finished (they "
                 "should all be done in milliseconds). "
                 "Either the connections wait for each other, or every answer is slow "
                 "(a time.sleep() in the handler?). " + THREADS)
        served = sum(first)
        if served < n:
            fail(f"{n} connected clients each sent a name at the same moment; each one, once "
                 "answered, kept its connection open and waited for the others. Only "
                 f"{served} of the {n} were answered before the test gave up waiting "
                 f"({RENDEZVOUS:.0f} s), where all {n} should be answered at once: your "
                 f"server talks to at most {served} client(s) at a "
                 "time (a serial loop, or a small thread pool). " + THREADS)
        wrong = [p for p in problems if p]
        if wrong:
            fail(f"With {n} clients connected at once: {'; '.join(wrong[:3])}; each should get "
                 "'Hello, NAME!' for its own names. Every connection needs its own socket, its "
                 "own makefile() and its own thread; share nothing between handlers. "
                 "See 8.18 1.2.2.")
        if not all(done):
            fail(f"{n} clients were all answered once and met at a rendezvous; afterwards only "
                 f"{sum(done)} of them got answers to 3 more names and saw the connection "
                 f"close after 'exit' (within {RENDEZVOUS:.0f} s for each line); all {n} "
                 "should have. " + THREADS)


def test_twenty_names_answered_without_delay(mod):
    names = [f"Name{i:02d}" for i in range(20)]
    bound = 5.0
    with running(mod) as (server, port):
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Right after connecting")
            deadline = time.monotonic() + bound
            for i, name in enumerate(names):
                c.send_line(name)
                c.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    line = c.read_line()
                except TimeoutError:
                    fail(f"One client sent {len(names)} names, each after the answer to the one "
                         f"before; after {bound:.0f} s only {i} answers had come back. All "
                         f"{len(names)} should come back in a few milliseconds. Is there a "
                         "time.sleep() in your handler? The notes' tcplink (8.18 1.2.2) sleeps "
                         "1 s per message (time.sleep(1)): remove it.")
                if line != f"Hello, {name}!":
                    fail(f"After the client sent {name!r}, the server sent {line!r}; expected "
                         f"{'Hello, ' + name + '!'!r}. {PROTOCOL}")


# --- stopping -------------------------------------------------------------------


def test_stop_releases_everything(mod):
    before = set(threading.enumerate())
    server = mod.HelloServer()
    port = server.start()
    stopped = False
    try:
        check_port(port)
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Right after connecting")
            c.send_line("Michael")
            expect(c, "Hello, Michael!", "After the client sent 'Michael'")
            complaint = stop_within(server, port)  # the client stays connected
            stopped = True
            if complaint:
                fail(complaint + " (A client was still connected when stop() was called.)")
            left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
            if left:
                fail(f"After stop() returned, thread(s) the server started were still alive: "
                     f"{', '.join(repr(n) for n in left)}. stop() must wake the accept thread "
                     "and every handler thread, and join() each of them before it returns. "
                     "See 8.18 1.2.2.")
            expect_closed(c, "stop() returned while a client was still connected; then",
                          "stop() must shut down (socket.shutdown(socket.SHUT_RDWR)) or close "
                          "every client connection still open, so each client reads EOF. "
                          + CLOSING)
        try:
            probe = socket.create_connection((net.HOST, port), timeout=PROMPT)
        except ConnectionRefusedError:
            return
        except OSError as exc:
            fail(f"After stop(), connecting to port {port} failed with {exc!r}; expected the "
                 "connection to be refused because nothing listens there any more. "
                 "See 8.18 1.2.2.")
        probe.close()
        fail(f"After stop() returned, a new client could still connect to port {port}: the "
             "listening socket is still open (or a thread is still blocked in accept() on it). "
             "stop() must close the listening socket and end the accept thread. "
             "See 8.18 1.2.2.")
    finally:
        if not stopped:
            stop_within(server, port)


def test_vanished_client_does_not_crash_the_server(mod, monkeypatch):
    crashes, checked = threads.catch_thread_crashes(monkeypatch)
    with running(mod) as (server, port):
        with net.LineClient(port) as v:  # a client that stays through it all
            expect(v, WELCOME, "Right after connecting")
            # X: half a line, then gone with a reset (RST)
            x = net.LineClient(port)
            try:
                expect(x, WELCOME, "Client X connected while client V stayed connected",
                       THREADS)
                x.send("Mic")
            finally:
                x.file.close()
                net.reset(x.sock)
            # Y: one exchange, half a line, then an ordinary close (FIN)
            with net.LineClient(port) as y:
                expect(y, WELCOME, "Right after connecting")
                y.send_line("Tracy")
                expect(y, "Hello, Tracy!", "After the client sent 'Tracy'")
                y.send("Sar")
            # Z: connects and resets before reading its welcome
            net.reset(net.connect(port))
            v.send_line("Michael")
            expect(v, "Hello, Michael!",
                   "Three other clients vanished (a reset in the middle of a line, a close in "
                   "the middle of a line, a reset before the welcome); then a client that was "
                   "connected all along sent 'Michael'",
                   "One client's trouble must not stop the others being served.")
        with net.LineClient(port) as w:
            expect(w, WELCOME, "After three clients had vanished, a new client connected",
                   "The accept loop must keep running whatever happens to one client.")
            w.send_line("Sarah")
            expect(w, "Hello, Sarah!", "The new client sent 'Sarah'")
    checked.set()  # stop() has joined the handler threads: their exceptions are in
    if crashes:
        name, exc = crashes[0]
        fail(f"Clients vanished in the middle of a conversation (a reset while the server "
             f"waited for the rest of a line, a close after half a line, a reset before the "
             f"welcome). Handler thread {name!r} died with {type(exc).__name__}: {exc}. A "
             "client can vanish at any moment; that must not crash the server. Catch OSError "
             "(ConnectionResetError, BrokenPipeError) around the conversation and close the "
             "socket in a finally: block. See 8.18 1.2.2.")


def test_with_statement_starts_and_stops(mod):
    # `with HelloServer() as server:` calls server.__enter__() (start()) and, at the end
    # of the block, server.__exit__() (stop()). The test makes the two calls itself, as
    # the with statement would, so that an __exit__ that hangs is reported, not waited for.
    server = mod.HelloServer()
    entered = server.__enter__()
    port = getattr(server, "port", None)
    exited = False
    try:
        if entered is not server:
            fail(f"`with HelloServer() as server:` bound server to {entered!r}; expected the "
                 "HelloServer itself: __enter__() must start() and then return self. "
                 "See 8.18 1.2.2.")
        check_port(port)
        with net.LineClient(port) as c:
            expect(c, WELCOME, "Inside `with HelloServer() as server:`, a client connected to "
                   "server.port")
            c.send_line("Michael")
            expect(c, "Hello, Michael!", "Inside the with block, the client sent 'Michael'")
        leave = types.SimpleNamespace(stop=lambda: server.__exit__(None, None, None))
        complaint = stop_within(leave, port)
        exited = True
        if complaint:
            fail("At the end of the with block, __exit__() (which calls stop()) did not "
                 "return: " + complaint)
        try:
            probe = socket.create_connection((net.HOST, port), timeout=PROMPT)
        except ConnectionRefusedError:
            return
        except OSError as exc:
            fail(f"After the with block, connecting to port {port} raised {exc!r}; expected "
                 "the connection to be refused. See 8.18 1.2.2.")
        probe.close()
        fail(f"After the with block ended, a new client could still connect to port {port}: "
             "__exit__() must stop() the server, which closes the listening socket. "
             "See 8.18 1.2.2.")
    finally:
        if not exited:
            stop_within(server, port if isinstance(port, int) else 0)
