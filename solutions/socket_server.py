"""socketserver: a threaded upper-case line server (seed: 9.21 1 socketserver).

The notes' MyTCPHandler answers ONE recv(1024) and returns, which ends the
connection. Here the handler serves a whole conversation, line by line:

    UpperHandler        a StreamRequestHandler: self.rfile gives whole lines
                        (粘包: however TCP cut them), self.wfile sends
    make_server()       a ThreadingTCPServer bound to port 0: a thread per
                        connection, so an idle client holds up nobody
    serve_in_background serve_forever() in a thread of its own
    stop_server()       shutdown() ends serve_forever(); every open connection
                        is shut down, so each handler's readline() returns b"";
                        server_close() closes the listening socket and joins
                        the handler threads (block_on_close); then the thread

The server tracks its open connections in two attributes set by make_server:
server.connections (a set, guarded by server.lock). The handler adds its
socket in setup() and removes it in finish().
"""
from __future__ import annotations

import contextlib
import socket
import socketserver
import threading

ENCODING = "utf-8"


class UpperHandler(socketserver.StreamRequestHandler):
    """One instance per connection, run in a thread of its own by ThreadingTCPServer."""

    def setup(self) -> None:
        super().setup()  # makes self.rfile and self.wfile
        with self.server.lock:
            if self.server.closing:  # accepted just as stop_server() began
                _shutdown(self.request)
            self.server.connections.add(self.request)

    def handle(self) -> None:
        for raw in self.rfile:  # one readline() per turn: exactly one line
            if not raw.endswith(b"\n"):
                break  # the client closed in the middle of a line
            line = raw.decode(ENCODING, "replace").rstrip("\r\n")
            self.wfile.write((line.upper() + "\n").encode(ENCODING))

    def finish(self) -> None:
        with self.server.lock:
            self.server.connections.discard(self.request)
        with contextlib.suppress(OSError):  # OSError: the client is already gone
            super().finish()  # flushes and closes wfile/rfile


def make_server(host: str = "127.0.0.1", port: int = 0) -> socketserver.ThreadingTCPServer:
    server = socketserver.ThreadingTCPServer((host, port), UpperHandler)
    server.connections = set()    # sockets of the conversations in progress
    server.lock = threading.Lock()
    server.closing = False
    return server


def serve_in_background(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="upper-server", daemon=True)
    thread.start()
    return thread


def stop_server(server: socketserver.BaseServer, thread: threading.Thread) -> None:
    server.shutdown()  # serve_forever() returns; no new connections are taken
    with server.lock:
        server.closing = True
        conns = list(server.connections)
    for conn in conns:  # each handler's readline() returns b"": handle() ends
        _shutdown(conn)
    server.server_close()  # closes the listener; joins the handler threads
    thread.join()


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # OSError: the client is already gone
        conn.shutdown(socket.SHUT_RDWR)


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/socket_server.py)
    server = make_server()
    thread = serve_in_background(server)
    port = server.server_address[1]
    print(f"upper-case server on 127.0.0.1:{port}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s, s.makefile("rb") as f:
        for word in ["hello", "socketserver", "straße"]:
            s.sendall(word.encode() + b"\n")
            print(word, "->", f.readline().decode().strip())
    stop_server(server, thread)
