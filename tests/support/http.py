"""A local HTTP/1.1 server on 127.0.0.1, port 0, that can dribble its answers.

    with HTTPServer({"/": Response(200, b"hello")}, dribble=7) as server:
        url = server.url("/")          # http://127.0.0.1:PORT/
        ...
        server.requests                # raw request heads received, in order

Each route maps a path to a Response (status, body, headers) or to a callable
``(request_head) -> Response``. Unknown paths get 404. With ``dribble=k`` the
response goes out in k-byte sends with TCP_NODELAY; with ``split_at=n`` in
two sends, cut at byte n (e.g. inside the header). Loopback may still join
the pieces: to make the *client* see them apart every time, run it inside
``support.net.split_reads()``, which caps every recv() of every socket.
``gate`` (a threading.Event)
makes the server hold every response until the test sets it (stop() sets it),
which lets a test prove that requests were in flight at the same time without
sleeping; a CountingGate opens by itself once n requests wait together.
The connection is closed after each response (``Connection: close``).
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

HOST = "127.0.0.1"
GIVE_UP = 3.0  # seconds a CountingGate waits for the other requests
REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 500: "Internal Server Error"}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)

    def encode(self) -> bytes:
        head = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Status')}"]
        headers = {"Content-Length": str(len(self.body)), "Connection": "close", **self.headers}
        head += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


class CountingGate(threading.Event):
    """An HTTPServer gate that opens by itself once `n` requests wait at the same time.

    If they do not all come within `give_up` seconds of one another, it opens
    anyway, for good (a sequential client then finishes, and the test can say
    why it failed). `on_all`, if given, is called once, when the n-th arrives;
    with hold=True the gate then stays shut (until set() or give_up).
    """

    def __init__(self, n: int, give_up: float = GIVE_UP, on_all=None, hold: bool = False):
        super().__init__()
        self.n = n
        self.give_up = give_up
        self.on_all = on_all
        self.hold = hold
        self.arrived = 0
        self._count = threading.Lock()

    def wait(self, timeout=None):
        with self._count:
            self.arrived += 1
            everyone = self.arrived == self.n
        if everyone:
            if not self.hold:
                self.set()
            if self.on_all is not None:
                self.on_all()
        limit = self.give_up if timeout is None else min(self.give_up, timeout)
        if not super().wait(limit):
            self.set()  # gave up: let everyone through from now on
        return True


class HTTPServer:
    def __init__(self, routes: dict, dribble: int | None = None, split_at: int | None = None,
                 gate: threading.Event | None = None, bound: float = 5.0):
        self.routes = routes
        self.dribble = dribble
        self.split_at = split_at
        self.gate = gate
        self.bound = bound
        self.requests: list[bytes] = []
        self.in_flight = 0          # requests received and not yet answered
        self.peak_in_flight = 0     # the most at one time
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._accept = threading.Thread(target=self._accept_loop, name="http-accept", daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._stopping.is_set():
                conn.close()
                return
            t = threading.Thread(target=self._serve, args=(conn,), name="http-conn", daemon=True)
            with self._lock:
                self._conns.add(conn)
                self._threads.append(t)
            t.start()

    def _read_head(self, conn) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        return data

    def _serve(self, conn):
        try:
            conn.settimeout(self.bound)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            head = self._read_head(conn)
            if not head:
                return
            with self._lock:
                self.requests.append(head)
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                if self.gate is not None:
                    self.gate.wait(self.bound)
                path = head.split(b" ", 2)[1].decode("latin-1") if head.count(b" ") >= 2 else "/"
                route = self.routes.get(path, Response(404, b"not found\n"))
                response = route(head) if callable(route) else route
                self._send(conn, response.encode())
            finally:
                with self._lock:
                    self.in_flight -= 1
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _send(self, conn, data: bytes):
        pieces = []
        if self.split_at is not None:
            pieces = [data[: self.split_at], data[self.split_at:]]
        elif self.dribble:
            pieces = [data[i: i + self.dribble] for i in range(0, len(data), self.dribble)]
        else:
            pieces = [data]
        for piece in pieces:
            conn.sendall(piece)

    def start(self) -> "HTTPServer":
        self._accept.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self.gate is not None:  # held responses go out, so their threads end
            self.gate.set()
        try:  # wake accept(): close() alone does not on Linux
            socket.create_connection((HOST, self.port), timeout=1).close()
        except OSError:
            pass
        self._accept.join(self.bound)
        self._sock.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in threads:
            t.join(self.bound)

    def __enter__(self) -> "HTTPServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
