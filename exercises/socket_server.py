"""Exercise: socketserver, a threaded upper-case line server (seed: 9.21 1 socketserver).

The notes build a server in four steps: subclass BaseRequestHandler and
override handle(); create a server object from the address and the handler
class; call serve_forever(); finally call server_close(). Their handler
answers a single recv(1024) and returns -- and when handle() returns,
socketserver closes the connection. So each client gets exactly one answer.

Build the same server properly:

Protocol (UTF-8 text, one line per message):

    client -> server   "hello\\n"           any line, any number of lines
    server -> client   "HELLO\\n"           the same line, str.upper(), plus "\\n"
    ...                                     until the client closes the connection

Strip the line ending ("\\r\\n" or "\\n") before upper-casing; an empty line
gets an empty line back. Upper-case the decoded str, not the bytes:
bytes.upper() only knows ASCII, str.upper() turns "straße" into "STRASSE".
A line the client never finished (it closed in the middle) gets no answer.

What to get right, and the tests check:

1. Many lines per connection: loop in handle(). With a StreamRequestHandler,
   self.rfile is a buffered file over the socket: `for raw in self.rfile:`
   gives one whole line per turn (粘包, 9.20 1: TCP may deliver three lines in
   one piece, or half a character), and ends when the client closes.
   self.wfile.write(...) sends.
2. One thread per connection: socketserver.TCPServer handles connections
   one after another, so a client that connects and says nothing blocks
   everybody. socketserver.ThreadingTCPServer (the notes' choice) runs each
   handler in a thread of its own.
3. Port 0: the notes bind ("localhost", 9999); bind ("127.0.0.1", 0) and let
   the kernel pick a free port: server.server_address[1] tells which.
4. A clean stop, even while clients are still connected:
     - server.shutdown() makes serve_forever() return (call it from another
       thread than the one running serve_forever(), or it waits for ever;
       serve_forever(poll_interval=0.1) makes it return sooner);
     - server_close() closes the listening socket, and on a
       ThreadingTCPServer it also join()s every handler thread
       (block_on_close = True): a handler still waiting in readline() for an
       idle client would keep it waiting for ever. So first shut every open
       connection down (conn.shutdown(socket.SHUT_RDWR)): that handler's
       readline() returns b"" and handle() ends. daemon_threads = True is not
       the answer: it only stops anyone from waiting for those threads.
   To know the open connections, give the server two attributes in
   make_server() -- server.connections = set() and server.lock =
   threading.Lock() -- and let UpperHandler add self.request in setup() and
   remove it in finish(). (The handler reaches its server as self.server.)
   A connection accepted just before shutdown() may reach setup() after
   stop_server() has looked at the set: a flag server.closing, set by
   stop_server() and checked by setup() under the same lock, covers that.

Usage:

    server = make_server()                  # bound and listening, not serving yet
    port = server.server_address[1]
    thread = serve_in_background(server)    # serve_forever() in a thread
    ...                                     # clients talk to 127.0.0.1:port
    stop_server(server, thread)             # everything closed and joined

Run the tests:   python -m grader socket_server
"""
from __future__ import annotations

import socket
import socketserver
import threading

ENCODING = "utf-8"


class UpperHandler(socketserver.StreamRequestHandler):
    """One instance per connection. self.request is the connected socket,
    self.rfile / self.wfile read and write it, self.server is the server."""

    def setup(self) -> None:
        """Runs before handle(): call super().setup() (it makes rfile and wfile),
        then add self.request to self.server.connections, under self.server.lock."""
        # TODO
        raise NotImplementedError("UpperHandler.setup")

    def handle(self) -> None:
        """Answer every line with its upper-case version until the client closes."""
        # TODO
        raise NotImplementedError("UpperHandler.handle")

    def finish(self) -> None:
        """Runs after handle(): remove self.request from self.server.connections,
        then call super().finish() (it flushes and closes rfile and wfile; the
        client may be gone already, so an OSError there is not your problem)."""
        # TODO
        raise NotImplementedError("UpperHandler.finish")


def make_server(host: str = "127.0.0.1", port: int = 0) -> socketserver.BaseServer:
    """A socketserver server for UpperHandler, bound to (host, port) and listening,
    not serving yet. Give it server.connections (a set) and server.lock."""
    # TODO: which server class serves every connection at the same time?
    raise NotImplementedError("make_server")


def serve_in_background(server: socketserver.BaseServer) -> threading.Thread:
    """Start a thread that runs server.serve_forever(); return it (started)."""
    # TODO
    raise NotImplementedError("serve_in_background")


def stop_server(server: socketserver.BaseServer, thread: threading.Thread) -> None:
    """Stop serving, shut down every open connection, close the server, join the thread.

    Must return promptly even while clients are still connected, and leave
    nothing behind: no thread, no open socket, no listening port.
    """
    # TODO
    raise NotImplementedError("stop_server")
