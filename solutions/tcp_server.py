"""A threaded TCP hello server: one thread per connection, one line per message.

Seed: 8.18 1.2.2 服务器. The notes' server, made into a class that can be
started and stopped:

    accept thread     accept() in a loop; each connection gets its own thread
    handler threads   send "Welcome!\\n", then answer each line NAME with
                      "Hello, NAME!\\n" until "exit" or the client goes away
    stop()            wake the accept thread, shut every open connection
                      down, join every thread

TCP is a byte stream (粘包): one recv() can hold two lines, or half of one.
conn.makefile("rb").readline() keeps the leftover bytes between calls, so a
line is exactly one line however the bytes arrived.
"""
from __future__ import annotations

import contextlib
import socket
import threading

WELCOME = "Welcome!"


class HelloServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._lock = threading.Lock()          # guards the three fields below
        self._stopping = False
        self._conns: set[socket.socket] = set()  # connections still being served
        self._threads: list[threading.Thread] = []  # handler threads started

    # --- lifecycle -------------------------------------------------------

    def start(self) -> int:
        """Bind, listen, start the accept thread; return the real port at once."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]  # port 0 -> the one the kernel chose
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"hello-accept-{self.port}", daemon=True)
        self._accept_thread.start()
        return self.port

    def stop(self) -> None:
        """Close everything this server opened and join every thread it started."""
        if self._accept_thread is None:
            return
        with self._lock:
            self._stopping = True
        # close() does not wake a thread blocked in accept() (on Linux): connect
        # once ourselves so accept() returns, and the loop sees _stopping.
        with contextlib.suppress(OSError):
            socket.create_connection(self._listener.getsockname(), timeout=5).close()
        self._accept_thread.join()
        self._listener.close()
        # No new handler can start now. shutdown() wakes a handler blocked in
        # readline() (it reads EOF); the handler itself then closes the socket.
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            with contextlib.suppress(OSError):  # OSError: the client is already gone
                conn.shutdown(socket.SHUT_RDWR)
        for t in threads:
            t.join()
        self._accept_thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- threads ---------------------------------------------------------

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:  # stop()'s wake-up call, or a late client
                    conn.close()
                    return
                self._conns.add(conn)
                # A thread per connection (8.18 1.2.2): accept() goes straight back
                # to waiting, so one slow client never holds up the others.
                t = threading.Thread(target=self._serve, args=(conn, addr),
                                     name=f"hello-{addr[0]}:{addr[1]}", daemon=True)
                self._threads = [old for old in self._threads if old.is_alive()]
                self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket, addr) -> None:
        try:
            with conn.makefile("rb") as rfile:
                conn.sendall((WELCOME + "\n").encode("utf-8"))
                for raw in rfile:  # one readline() per turn: exactly one line
                    if not raw.endswith(b"\n"):
                        break  # the client closed in the middle of a line
                    name = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if name == "exit":
                        break
                    conn.sendall(f"Hello, {name}!\n".encode("utf-8"))
        except OSError:
            pass  # the client vanished (reset) or stop() shut us down
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/tcp_server.py)
    with HelloServer() as server:
        print(f"Listening on 127.0.0.1:{server.port}")
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            f = s.makefile("rb")
            print(f.readline().decode().strip())
            for name in ["Michael", "Tracy", "Sarah"]:
                s.sendall(name.encode() + b"\n")
                print(f.readline().decode().strip())
            s.sendall(b"exit\n")
            print("server closed:", f.readline() == b"")
            f.close()
