"""socket_server that binds the notes' fixed port.

Bug: make_server() ignores the port argument and binds 9999 as the notes do, so a second server cannot start while the first is open.
Caught by: test_make_server_binds_a_free_port
"""
from __future__ import annotations

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
        try:
            super().finish()  # flushes and closes wfile/rfile
        except OSError:
            pass  # the client is already gone


def make_server(host: str = "127.0.0.1", port: int = 0) -> socketserver.ThreadingTCPServer:
    server = socketserver.ThreadingTCPServer((host, 9999), UpperHandler)  # BUG: fixed port
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
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


if __name__ == "__main__":
    server = make_server()
    thread = serve_in_background(server)
    port = server.server_address[1]
    print(f"upper-case server on 127.0.0.1:{port}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s, s.makefile("rb") as f:
        for word in ["hello", "socketserver", "straße"]:
            s.sendall(word.encode() + b"\n")
            print(word, "->", f.readline().decode().strip())
    stop_server(server, thread)
