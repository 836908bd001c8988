"""udp_echo whose client decodes the reply with errors='replace'.

Bug: hello() decodes a reply that carries this request's id with errors='replace', so a datagram with the right id but bytes that are not UTF-8 is returned as text full of U+FFFD instead of being ignored.
Caught by: test_reply_with_another_id_is_ignored
"""
from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time

MAX_DATAGRAM = 65535
DEFAULT_TIMEOUT = 1.0   # seconds to wait for each reply
DEFAULT_ATTEMPTS = 5    # sends before giving up


def _answer(request: bytes) -> bytes | None:
    """The reply to one request datagram, or None if it is malformed."""
    try:
        text = request.decode("utf-8")
    except UnicodeDecodeError:
        return None
    rid, sep, name = text.partition(" ")
    if not sep or not rid:
        return None
    return f"{rid} Hello, {name}!".encode("utf-8")


class UDPHelloServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.port))  # no listen(), no accept(): UDP has no connections
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name=f"udp-hello-{self.port}", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        # close() does not wake a thread blocked in recvfrom() (Linux): send one
        # empty datagram to our own port; the loop wakes and sees the flag.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"", (self.host, self.port))
        self._thread.join()
        self._sock.close()
        self._thread = None

    def _serve(self) -> None:
        while True:
            try:
                data, addr = self._sock.recvfrom(MAX_DATAGRAM)
            except OSError:
                return
            if self._stopping.is_set():
                return
            # No thread per datagram (the notes start one): answering is
            # instant, and nothing here waits for a client.
            reply = _answer(data)
            if reply is None:
                continue  # malformed: drop it, keep serving
            with contextlib.suppress(OSError):  # the sender's port is gone: its problem
                self._sock.sendto(reply, addr)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class HelloClient:
    def __init__(self, server_addr, timeout: float = DEFAULT_TIMEOUT, attempts: int = DEFAULT_ATTEMPTS):
        self.server_addr = tuple(server_addr)
        self.timeout = timeout
        self.attempts = attempts
        self._ids = itertools.count(1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def hello(self, name: str) -> str:
        rid = str(next(self._ids))          # a new id for every call ...
        request = f"{rid} {name}".encode("utf-8")
        prefix = (rid + " ").encode("utf-8")
        for _ in range(self.attempts):
            self.sock.sendto(request, self.server_addr)  # ... the same datagram for every retry
            deadline = time.monotonic() + self.timeout
            while (left := deadline - time.monotonic()) > 0:
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(MAX_DATAGRAM)
                except TimeoutError:
                    break
                if not data.startswith(prefix):
                    continue  # a stale duplicate, another id, junk: not our answer
                return data[len(prefix):].decode("utf-8", "replace")  # BUG: junk comes back as text
        raise TimeoutError(f"no reply to {name!r} from {self.server_addr} after "
                           f"{self.attempts} attempts of {self.timeout} s")

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/udp_echo.py)
    with UDPHelloServer() as server, HelloClient(("127.0.0.1", server.port)) as client:
        for name in ["Michael", "Tracy", "Sarah"]:
            print(client.hello(name))
