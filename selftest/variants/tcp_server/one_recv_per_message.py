"""tcp_server that takes one recv() as one line, like the notes.

Bug: the handler takes each recv(1024) as one line, as the notes do, so two lines in one chunk get one answer and a split line gets two.
Caught by: test_two_lines_in_one_send_get_two_replies, test_line_split_across_two_sends
"""
from __future__ import annotations

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
        try:
            socket.create_connection(self._listener.getsockname(), timeout=5).close()
        except OSError:
            pass
        self._accept_thread.join()
        self._listener.close()
        # No new handler can start now. shutdown() wakes a handler blocked in
        # readline() (it reads EOF); the handler itself then closes the socket.
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client is already gone
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
            conn.sendall((WELCOME + "\n").encode("utf-8"))
            while True:
                raw = conn.recv(1024)  # BUG: one recv() is taken as one line
                if not raw:
                    break
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


if __name__ == "__main__":
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
