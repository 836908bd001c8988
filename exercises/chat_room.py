"""Exercise: a multi-client chat room (seed: 9.19 1 socket，可聊天应用).

The notes' chat server accepts one client, then loops on recv() and answers
each message with input() from the keyboard; a second client waits until the
first one leaves, and one recv(1024) is taken for one message. Build a real
chat room instead: many members at once, every line a member sends relayed
to all the others, and no member able to hold up the rest.

Protocol (UTF-8 text; every message is one line ending in "\\n"; strip the
line ending, "\\r\\n" or "\\n", before looking at a line):

    client -> server   "NICK\\n"            the first line a client sends is its nick
    server -> client   "* welcome NICK"     the first line the new member receives
    server -> others   "* NICK joined"      to every member already in the room
    client -> server   "TEXT\\n"            any other line is a message...
    server -> others   "NICK: TEXT"         ...relayed to every member EXCEPT the sender
    client -> server   "/who\\n"            a command, not a message:
    server -> client   "* online: A, B, C"  to the asker only; every nick in the room
                                            (the asker too), sorted, joined with ", "
    server -> others   "* NICK left"        when a member's connection ends, however
                                            it ends (close, reset, dropped as too slow)

(The server lines above are shown without their "\\n"; each is sent as one
line.) An empty line is ignored. A line the client never finished (it closed
in the middle of one) is not a message. The tests always use distinct,
non-empty nicks.

Ordering: the server handles a member's lines only after the member has
joined (and the others have been told), and in the order they were sent;
the lines one member receives come in the order the server made them. So
when a member has read the answer to its "/who", it is in the room and every
line it sent before has been relayed. (The tests use "/who" exactly so.)

What the notes' code gets wrong, and the tests check:

1. One client at a time. Give every connection a reader thread of its own
   (like 8.18 1.2.2), so members talk at the same time.
2. 粘包 (9.20 1): one recv() may hold half a line, or three lines. On the
   server, read with conn.makefile("rb") and readline(); decode whole lines.
3. A member that never reads. When a client does not read, its socket buffer
   fills up (a few MB), and then sendall() to it blocks. If the thread that
   broadcasts calls sendall() on each member in turn, one such member freezes
   the whole room. Required design:
     - every member has an outgoing queue.Queue(maxsize=MAX_PENDING) and a
       writer thread of its own, the only thread that sends to it;
     - a broadcast only calls put_nowait() on the others' queues: it never
       waits for anybody's socket;
     - when put_nowait() raises queue.Full, MAX_PENDING lines are already
       waiting for that member: it is not reading. Disconnect it (shut its
       socket down, which also wakes its reader and its writer) and tell the
       others "* NICK left".
4. A member can vanish at any moment (a reset: recv()/sendall() raise
   ConnectionResetError or BrokenPipeError, both OSError). That is a way of
   leaving, not a crash: no exception may escape a server thread.

Lifecycle, as in tcp_server:

    server = ChatServer()       # nothing happens yet
    port = server.start()       # listening, accept thread running; returns at once
    server.stop()               # every connection shut down, every thread joined,
                                # the port closed
    with ChatServer() as server: ...

The client (ChatClient) is a small library for the same protocol:

    with ChatClient(port, "alice") as alice:   # connects, sends the nick, and returns
        alice.send("hi")                        # once "* welcome alice" has arrived
        line = alice.receive()                  # the next line, e.g. "bob: hi alice"
        line = alice.receive(timeout=0.5)       # TimeoutError if no whole line in 0.5 s

receive() keeps its own bytearray buffer: bytes that arrived after a line,
or the start of a line that timed out, stay there for the next call. (A file
from sock.makefile() cannot be read again after a timeout, so the client
does not use one.)

Run the tests:   python -m grader chat_room
"""
from __future__ import annotations

import queue
import socket
import threading

ENCODING = "utf-8"
MAX_PENDING = 64  # lines that may wait for one member; one more and it is dropped

# The server's lines (sent with "\n" after them). Use them with .format(...).
WELCOME = "* welcome {nick}"
JOINED = "* {nick} joined"
LEFT = "* {nick} left"
MESSAGE = "{nick}: {text}"
ONLINE = "* online: {nicks}"  # nicks: ", ".join(sorted(all nicks in the room))
WHO = "/who"


class ChatServer:
    """An accept thread, plus a reader thread and a writer thread per member."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        """Remember where to listen. Nothing is opened until start().

        port=0 lets the kernel choose a free port; start() returns the real one.
        """
        self.host = host
        self.port = port
        # TODO: the state the threads share: the listening socket, the accept
        # thread, the members (socket, nick, queue, writer thread each), every
        # open connection, the reader threads, a "stopping" flag, and ONE
        # threading.Lock that guards them. Never hold the lock while you send.

    def start(self) -> int:
        """Bind, listen, start the accept thread, and return the port at once.

        Store the real port in self.port too. For each accepted connection,
        start a reader thread that reads the nick; puts the welcome in the
        member's new queue; adds the member to the room and queues "* NICK
        joined" for the others; only then starts the member's writer thread
        (so by the time the welcome arrives, the member is in the room and
        everyone there has been told); and then handles the member's lines
        until its connection ends.
        """
        # TODO
        raise NotImplementedError("ChatServer.start")

    def stop(self) -> None:
        """Wake the accept thread, shut down every connection, join every thread.

        conn.shutdown(socket.SHUT_RDWR) wakes a reader blocked in readline()
        (it reads EOF) and a writer blocked in sendall() (it gets an OSError);
        a writer waiting in queue.get() needs something put in its queue.
        """
        # TODO
        raise NotImplementedError("ChatServer.stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class ChatClient:
    """A client of the chat room."""

    def __init__(self, port: int, nick: str, host: str = "127.0.0.1", timeout: float = 5.0):
        """Connect, send the nick line, and wait for "* welcome NICK".

        `timeout` bounds every blocking call (socket.create_connection(...,
        timeout=timeout)) and is receive()'s default. Raise ConnectionError if
        the connection ends, or another line comes, before the welcome; close
        the socket whenever the constructor raises.
        """
        self.nick = nick
        self.timeout = timeout
        # TODO: a bytearray buffer, the socket, the nick line, the welcome
        raise NotImplementedError("ChatClient.__init__")

    def send(self, text: str) -> None:
        """Send one message: text + "\\n", UTF-8, with sendall().

        Raise ValueError (and send nothing) if text contains "\\n" or "\\r":
        one message is one line.
        """
        # TODO
        raise NotImplementedError("ChatClient.send")

    def receive(self, timeout: float | None = None) -> str | None:
        """The next line from the server, without its line ending.

        Waits at most `timeout` seconds (None: the client's timeout) and raises
        TimeoutError when no whole line arrived in time, keeping whatever part
        of a line did arrive. Returns None once the server closed the
        connection (recv() returned b"").
        """
        # TODO
        raise NotImplementedError("ChatClient.receive")

    def close(self) -> None:
        """Close the socket."""
        # TODO
        raise NotImplementedError("ChatClient.close")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
