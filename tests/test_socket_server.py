"""Tests for socket_server: socketserver.ThreadingTCPServer serving many lines (9.21 1 socketserver).

Every test builds the student's server with make_server() (127.0.0.1, port 0),
runs it with serve_in_background(), talks to it through real client sockets
and stops it with stop_server() under a bound. Nothing sleeps: a reply proves
the server has read everything sent before it. Concurrency is proved with the
shared probes (an idle client must not hold up another; ten clients must be
served at once). Stopping is checked from outside: the helper threads are
gone, connected clients read the end of the stream, and the port refuses new
connections.
"""
from __future__ import annotations

import contextlib
import socket
import threading


from support import net
from support.probes import idle_client_probe, rendezvous_probe
from support.student import fail

TOPIC = "socket_server"

PROMPT = 2.0       # s: "at once" for one reply or an EOF
STOP_BOUND = 3.0   # s: stop_server() must have returned by then

SEE = "See 9.21 1 socketserver."
PROTOCOL = ("The protocol (docstring of exercises/socket_server.py): for every line the client "
            "sends, the server sends back the same line in upper case (str.upper() of the "
            "decoded UTF-8 line) plus '\\n', on the same connection, until the client closes. "
            + SEE)
MANY = ("The notes' handle() does ONE self.request.recv(1024) and returns, and when handle() "
        "returns socketserver closes the connection. Loop instead: `for raw in self.rfile:` "
        "in a StreamRequestHandler reads one whole line per turn until the client closes. " + SEE)
FRAMING = ("TCP is a byte stream (9.20 1 粘包): one recv() may hold three lines, or half a "
           "character. Read whole lines (self.rfile.readline(), or `for raw in self.rfile`) and "
           "decode a whole line, never a single recv() chunk. " + SEE)
THREADS = ("socketserver.TCPServer handles one connection at a time: while handle() waits for "
           "one client, nobody else is served. socketserver.ThreadingTCPServer (the notes' "
           "choice) runs each connection's handler in a thread of its own, so every client "
           "should be served at once. " + SEE)
STOPPING = ("stop_server() must call server.shutdown() (serve_forever() returns), shut down "
            "every connection still open (conn.shutdown(socket.SHUT_RDWR): the handler's "
            "readline() returns b'' and handle() ends), call server.server_close() (closes the "
            "listening socket; a ThreadingTCPServer also joins its handler threads), and join() "
            "the serving thread. " + SEE)




def shutdown_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# --- running a server ------------------------------------------------------------


def port_of(server) -> int:
    try:
        host, port = server.server_address[:2]
    except (AttributeError, TypeError, ValueError):
        fail(f"make_server() returned {server!r}; expected a socketserver server (for example "
             "socketserver.ThreadingTCPServer((host, port), UpperHandler)), whose "
             "server_address is (host, port). " + SEE)
    if host != net.HOST:
        fail(f"make_server() returned a server listening on {host!r}; expected '127.0.0.1' "
             "(the host argument, default '127.0.0.1'). " + SEE)
    if not isinstance(port, int) or not 0 < port < 65536:
        fail(f"make_server() returned a server whose server_address is {server.server_address!r};"
             " the port should be the one the kernel chose for port 0. " + SEE)
    return port


def stop_within(mod, server, thread, rescue=None, bound: float = STOP_BOUND) -> str | None:
    """Call stop_server() in a helper thread. None if it returned within `bound`
    and left the server closed; else a complaint for the student.

    Whatever went wrong, nothing is left running: if stop_server() hangs,
    `rescue()` (closing the test's clients) is tried; a serve_forever() still
    running is ended with server.shutdown(); a listening socket still open is
    closed with server.server_close().
    """
    errors = []

    def call():
        try:
            mod.stop_server(server, thread)
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    helper = threading.Thread(target=call, name="test-calls-stop_server", daemon=True)
    helper.start()
    helper.join(bound)
    complaint = None
    if helper.is_alive():
        if rescue is not None:
            rescue()
        helper.join(1.0)
        complaint = f"stop_server() had not returned {bound:.0f} s after the test called it."
        if thread.is_alive():
            complaint += (" The thread running serve_forever() was still running: only "
                          "server.shutdown() makes serve_forever() return (server_close() "
                          "does not), so joining that thread waits for ever.")
        elif not helper.is_alive():
            complaint += (" It returned only after the test closed its clients: it waited "
                          "for handler threads that were waiting for their clients. "
                          "server_close() of a ThreadingTCPServer joins the handler threads "
                          "(block_on_close), so shut every open connection down first.")
    elif thread.is_alive():
        complaint = ("stop_server() returned, but the thread serve_in_background() started was "
                     "still running serve_forever(): call server.shutdown(), then join() it.")
    if thread.is_alive():  # end serve_forever() so it does not outlive the test
        rescuer = threading.Thread(target=server.shutdown, name="test-rescue", daemon=True)
        rescuer.start()
        rescuer.join(bound)
    listener = getattr(server, "socket", None)
    if not helper.is_alive() and isinstance(listener, socket.socket) and listener.fileno() != -1:
        with contextlib.suppress(Exception):
            server.server_close()
        if complaint is None:
            complaint = ("stop_server() returned, but the server's listening socket "
                         "(server.socket) was still open: the port kept accepting connections. "
                         "Call server.server_close() after server.shutdown().")
    if errors and complaint is None:
        raise errors[0]
    return None if complaint is None else complaint + " " + STOPPING


def new_server(mod):
    """mod.make_server(), failing with a sentence when the address is taken."""
    try:
        return mod.make_server()
    except OSError as exc:
        fail(f"make_server() raised {type(exc).__name__}: {exc}. Bind ('127.0.0.1', 0) (the "
             "default arguments): port 0 lets the kernel pick a free port every time, where a "
             "fixed port like the notes' 9999 may be taken by another program, or by a server "
             "that is still open. " + SEE)


@contextlib.contextmanager
def serving(mod):
    """(server, port): the student's server, serving; stopped (with a bound) afterwards.

    make_server() is called here, in the test's thread, so an unfinished stub
    fails the test with its own NotImplementedError.
    """
    server = new_server(mod)
    thread = None
    body_ok = False
    try:
        port = port_of(server)
        thread = mod.serve_in_background(server)
        if not isinstance(thread, threading.Thread) or not thread.is_alive():
            fail(f"serve_in_background(server) returned {thread!r}; expected the started "
                 "threading.Thread that runs server.serve_forever(). " + SEE)
        yield server, port
        body_ok = True
    finally:
        if isinstance(thread, threading.Thread):
            complaint = stop_within(mod, server, thread)
            if complaint and body_ok:  # a failure in the body is the one to report
                fail(complaint)
        else:
            with contextlib.suppress(Exception):
                server.server_close()


def expect(client: net.LineClient, expected: str, doing: str, hint: str = PROTOCOL) -> None:
    """Read one line and check it; `doing` says what the test just did."""
    client.sock.settimeout(PROMPT)
    try:
        line = client.read_line()
    except TimeoutError:
        fail(f"{doing}, the test expected {expected!r}, but nothing came within {PROMPT:.0f} s. "
             f"{hint}")
    except ConnectionResetError:
        fail(f"{doing}, the server reset the connection instead of sending the expected "
             f"{expected!r}. {hint}")
    except UnicodeDecodeError:
        fail(f"{doing}, the server sent bytes that are not UTF-8 instead of {expected!r}. "
             + FRAMING)
    if line is None:
        fail(f"{doing}, the server closed the connection instead of sending the expected "
             f"{expected!r}. {hint}")
    if line != expected:
        fail(f"{doing}, the server sent {line!r}; expected {expected!r}. {hint}")


def exchange(client: net.LineClient, text: str, doing: str = "", hint: str = PROTOCOL) -> None:
    client.send_line(text)
    expect(client, text.upper(), f"{doing}the client sent {text!r} + '\\n'", hint)


# --- the server object -------------------------------------------------------------


def test_make_server_binds_a_free_port(mod):
    first = new_server(mod)
    try:
        port = port_of(first)
        try:
            second = mod.make_server()
        except OSError as exc:
            fail(f"While one server from make_server() was open (port {port}), a second "
                 f"make_server() raised {type(exc).__name__}: {exc}. Bind port 0 (the default "
                 "argument) so the kernel picks a free port each time, instead of a fixed port "
                 "like the notes' 9999. " + SEE)
        try:
            other = port_of(second)
            if other == port:
                fail(f"Two servers from make_server() both returned port {port}; each should "
                     "get a free port of its own (bind port 0). " + SEE)
            with socket.create_connection((net.HOST, port), timeout=PROMPT):
                pass  # listening already: bind and listen happen in make_server()
        finally:
            second.server_close()
    finally:
        first.server_close()


# --- the conversation -----------------------------------------------------------------


def test_many_lines_on_one_connection(mod):
    with serving(mod) as (server, port), net.LineClient(port) as c:
        exchange(c, "hello", "On a new connection, ", MANY)
        for i, text in enumerate(["socketserver", "second line, same connection", "", "x" * 3000,
                                  "小明 says hi", "straße", "ǆemal"]):
            exchange(c, text, f"After {i + 1} line(s) on the same connection, ",
                     MANY if i == 0 else PROTOCOL + " Upper-case the decoded str, not the "
                     "bytes: bytes.upper() only knows ASCII, str.upper() turns 'ß' into 'SS'.")
        c.send("bob\r\n")
        expect(c, "BOB", "The client sent 'bob\\r\\n'",
               "Strip the line ending ('\\r\\n' or '\\n') and send back '\\n'. " + PROTOCOL)
        for i in range(20):
            exchange(c, f"line {i}", "In a run of 20 more lines, ", MANY)


def test_lines_sent_together_and_cut_apart(mod):
    with serving(mod) as (server, port), net.LineClient(port) as c:
        c.send("one\ntwo\nthree\n")  # one sendall(): one recv() for the server
        doing = "The client sent 'one\\ntwo\\nthree\\n' in one sendall() (three lines at once)"
        for word in ["ONE", "TWO", "THREE"]:
            expect(c, word, doing, FRAMING)
        # ß is c3 9f in UTF-8: the first piece ends in the middle of the character.
        # The reply to 'x' proves the server has read that piece before the rest leaves.
        c.sock.sendall(b"x\nstra\xc3")
        expect(c, "X", "The client sent 'x\\n' plus 'stra' and the first byte of 'ß'", FRAMING)
        c.sock.sendall(b"\x9fe\n")
        expect(c, "STRASSE", "After the reply to 'x', the client sent the last byte of 'ß' and "
               "'e\\n' (the line is 'straße')", FRAMING)


# --- concurrency ------------------------------------------------------------------------


def test_idle_client_does_not_block_another(mod):
    with serving(mod) as (server, port):
        def serve_one(bound):
            with net.LineClient(port, timeout=bound) as b:
                b.send_line("tracy")
                if b.read_line() != "TRACY":
                    raise TimeoutError("wrong or no answer")

        complaint = idle_client_probe(lambda: net.connect(port), serve_one, bound=PROMPT)
        if complaint:
            fail(f"Client A connected and said nothing; then client B sent 'tracy': {complaint}. "
                 + THREADS)


def test_many_clients_at_once(mod):
    n = 10
    with serving(mod) as (server, port):
        def first(i):
            c = net.LineClient(port, timeout=PROMPT)
            try:
                c.send_line(f"client {i}")
                if c.read_line() != f"CLIENT {i}":
                    raise AssertionError(f"client {i} got a wrong answer to its first line")
            except BaseException:
                c.close()  # the probe closes only what first() returned
                raise
            return c

        def rest(i, c):
            with c:  # the probe leaves closing to rest()
                for k in range(3):
                    c.send_line(f"c{i} line {k}")
                    if c.read_line() != f"C{i} LINE {k}":
                        raise AssertionError(f"client {i} got a wrong answer to line {k}")

        try:
            complaint = rendezvous_probe(n, first, rest, bound=PROMPT)
        except AssertionError as exc:
            fail(f"{n} clients talked to the server at once and {exc}. " + PROTOCOL)
        if complaint:
            fail(f"{complaint}. Each client was answered once and then kept its connection open "
                 "while waiting for the others. " + THREADS)


# --- stopping ------------------------------------------------------------------------------


def threads_started_since(before) -> list:
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


def check_port_closed(port: int, doing: str) -> None:
    try:
        probe = socket.create_connection((net.HOST, port), timeout=PROMPT)
    except ConnectionRefusedError:
        return
    except OSError as exc:
        fail(f"{doing}, connecting to port {port} raised {exc!r}; expected the connection "
             "to be refused because nothing listens there any more. " + STOPPING)
    probe.close()
    fail(f"{doing}, a new client could still connect to port {port}: the listening socket is "
         "still open. server.server_close() closes it; call it in stop_server() after "
         "server.shutdown(). " + STOPPING)


def test_stop_without_clients_closes_the_port(mod):
    before = set(threading.enumerate())
    server = new_server(mod)
    thread = None
    try:
        port = port_of(server)
        thread = mod.serve_in_background(server)
        with net.LineClient(port) as c:
            exchange(c, "one client, then gone")
        complaint = stop_within(mod, server, thread)
        thread = None
        if complaint:
            fail(complaint)
        left = threads_started_since(before)
        if left:
            fail(f"After stop_server() returned, thread(s) were still alive: "
                 f"{', '.join(repr(t.name) for t in left)}. " + STOPPING)
        check_port_closed(port, "After stop_server() returned")
    finally:
        if thread is not None:
            stop_within(mod, server, thread)


def test_stop_with_clients_connected_releases_everything(mod):
    before = set(threading.enumerate())
    server = new_server(mod)
    thread = None
    with contextlib.ExitStack() as stack:
        try:
            port = port_of(server)
            thread = mod.serve_in_background(server)
            idle = stack.enter_context(net.LineClient(port))
            exchange(idle, "still here", "A first client connected; ")
            half = stack.enter_context(net.LineClient(port))
            exchange(half, "me too", "A second client connected while the first stayed "
                     "connected; ", THREADS)
            half.send("half a li")  # the handler now waits for the rest of the line
            clients = [idle, half]

            def rescue():
                for c in clients:
                    shutdown_quietly(c.sock)

            complaint = stop_within(mod, server, thread, rescue)
            thread = None
            if complaint:
                fail(complaint + " (Two clients were still connected when stop_server() was "
                     "called: one idle, one in the middle of a line.)")
            left = threads_started_since(before)
            if left:
                fail(f"After stop_server() returned, thread(s) were still alive: "
                     f"{', '.join(repr(t.name) for t in left)}: handler threads still waiting "
                     "for their clients. daemon_threads = True only hides them. " + STOPPING)
            for name, c in [("idle", idle), ("half-line", half)]:
                c.sock.settimeout(PROMPT)
                try:
                    line = c.read_line()
                except TimeoutError:
                    fail(f"stop_server() returned while the {name} client was connected, but "
                         "that connection stayed open (no end of stream within "
                         f"{PROMPT:.0f} s). " + STOPPING)
                except ConnectionResetError:
                    continue
                if line is not None:
                    fail(f"After stop_server(), the {name} client received {line!r}; expected "
                         "the end of the connection (a line cut in the middle is not a line). "
                         + STOPPING)
            check_port_closed(port, "After stop_server() returned (clients had been connected)")
        finally:
            if thread is not None:
                stop_within(mod, server, thread, lambda: stack.close())
