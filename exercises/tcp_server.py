"""Exercise: a threaded TCP hello server (seed: 8.18 1.2.2 服务器).

The notes' server binds a port, accepts clients in a loop, and gives every
connection a thread of its own ("每个连接都必须创建新线程（或进程）来处理，
否则，单线程在处理连接的过程中，无法接受其他客户端的连接"). Build the same
server as a class that can be started and stopped cleanly.

Protocol (UTF-8 text, every message is one line ending in "\\n"):

    server -> client   "Welcome!\\n"             as soon as the client connects
    client -> server   "NAME\\n"                 any name, e.g. "Michael\\n"
    server -> client   "Hello, NAME!\\n"         one answer per line, in order
    client -> server   "exit\\n"                 the server closes this connection

Strip the line ending ("\\r\\n" or "\\n") before looking at NAME.

Three things the notes' code gets wrong, and the tests check:

1. 粘包 -- TCP is a byte stream, not a message stream. The notes treat one
   recv(1024) as one message, but two lines can arrive in one recv()
   ("Michael\\nTracy\\n"), and one line can arrive in two ("Mic", then
   "hael\\n"). Don't split the stream yourself: wrap the connection with
   conn.makefile("rb") and call readline() on it. The file object keeps
   the bytes that came after a newline for the next readline(), and waits
   for more bytes when a line is not complete yet. It returns b"" when the
   client has closed the connection (and a line without "\\n" if the client
   closed in the middle of one: don't answer that).
2. time.sleep(1) per message -- remove it; twenty names must be answered
   at once.
3. A client can vanish at any moment (a reset, or a close in the middle of a
   line). recv()/sendall() then raise ConnectionResetError/BrokenPipeError
   (both are OSError). That is the client's problem, not the server's: no
   exception may escape a handler thread, and other clients keep being served.

Lifecycle:

    server = HelloServer()      # nothing happens yet
    port = server.start()       # listening, accept thread running; returns at once
    ...                         # clients connect to ("127.0.0.1", port)
    server.stop()               # everything closed, every thread joined

    with HelloServer() as server:   # the same, with start()/stop() for you
        ...

stop() must:
  - wake the accept thread: on Linux, closing the listening socket does NOT
    wake a thread blocked in accept(). Set a flag, then connect to your own
    port once (accept() returns, the loop sees the flag and ends); or call
    listener.shutdown(socket.SHUT_RDWR), which wakes accept() on Linux;
  - shut down / close every client connection that is still open (each
    client then reads EOF); socket.shutdown(socket.SHUT_RDWR) also wakes a
    handler thread blocked in readline();
  - join() every thread the server started, then return;
  - leave the port closed: a new connection must be refused.

Run the tests:   python -m grader tcp_server
"""
from __future__ import annotations

import socket
import threading

WELCOME = "Welcome!"  # the first line every client receives (without "\n")


class HelloServer:
    """The notes' hello server: an accept thread plus one thread per connection."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        """Remember where to listen. Nothing is opened until start().

        port=0 lets the kernel choose a free port; start() returns the real one.
        """
        self.host = host
        self.port = port
        # TODO: whatever state start() and stop() share: the listening socket,
        # the accept thread, the open connections, the handler threads, a
        # "stopping" flag, and a threading.Lock guarding what threads share.

    def start(self) -> int:
        """Bind, listen, start the accept thread, and return the port at once.

        Store the real port in self.port too (listener.getsockname()[1]).
        The accept thread loops on accept() and starts one threading.Thread per
        connection, running the protocol above with conn.makefile("rb").
        """
        # TODO
        raise NotImplementedError("HelloServer.start")

    def stop(self) -> None:
        """Wake the accept thread, close every connection, join every thread."""
        # TODO
        raise NotImplementedError("HelloServer.stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
