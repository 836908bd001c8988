"""Real loopback sockets for the suites: port 0 only, every blocking call bounded.

    listener()           a listening socket on 127.0.0.1, port chosen by the kernel
    tcp_pair()           two connected TCP sockets (a real connection, not socketpair)
    fragmenting(sock)    the same connection, but recv() hands out at most k bytes
                         at a time: legal TCP behaviour that loopback rarely shows
    split_reads(k)       the same for every socket created inside the block,
                         including the ones the student's code creates itself
    connect(port)        a client socket with a timeout, so a silent server fails
                         the test instead of hanging it
    LineClient           a client of a line protocol, reading with a deadline
    wait_buffered(s, n)  return once n bytes sit in s's receive buffer (MSG_PEEK),
                         so a burst really arrives as one coalesced read
"""
from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time

HOST = "127.0.0.1"
BOUND = 5.0  # seconds any single blocking call in a test may take


def listener(backlog: int = 64) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(backlog)
    return sock


@contextlib.contextmanager
def tcp_pair(timeout: float = BOUND):
    """Yield (a, b): the two ends of one real loopback TCP connection."""
    with listener(1) as lst:
        a = socket.create_connection(lst.getsockname(), timeout=timeout)
        lst.settimeout(timeout)
        b, _ = lst.accept()
    b.settimeout(timeout)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


class FragmentingSocket(socket.socket):
    """A socket whose recv()/recv_into() return at most `next(sizes)` bytes.

    TCP may split a stream anywhere; on loopback it almost never does, so
    code that treats one recv() as one message passes by luck. This socket
    makes the splits happen. makefile() and recv_into() are covered too.
    """

    sizes = None  # an iterator of chunk sizes, set by fragmenting()
    _sizes_lock = threading.Lock()  # split_reads() shares one iterator between threads

    def _cap(self, n: int) -> int:
        if not n:
            return n
        with self._sizes_lock:  # a generator advanced by two threads at once raises ValueError
            size = next(self.sizes)
        return max(1, min(n, size))

    def recv(self, n, flags=0):
        return super().recv(self._cap(n), flags)

    def recv_into(self, buffer, nbytes=0, flags=0):
        n = nbytes or len(buffer)
        return super().recv_into(buffer, self._cap(n), flags)


def chunk_sizes(k: int | None = None, seed: int = 0, high: int = 4096):
    """Every chunk k bytes, or random sizes in 1..high from a seeded RNG."""
    rng = random.Random(seed)
    while True:
        yield k if k else rng.randint(1, high)


def fragmenting(sock: socket.socket, k: int | None = None, seed: int = 0, high: int = 4096):
    """Re-wrap `sock` (which is detached) so its reads are split into pieces."""
    timeout = sock.gettimeout()
    frag = FragmentingSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    frag.sizes = chunk_sizes(k, seed, high)
    frag.settimeout(timeout)
    return frag


@contextlib.contextmanager
def split_reads(k: int | None = None, seed: int = 0, high: int = 4096):
    """Inside the block, every new socket.socket (and every accepted one) is a
    FragmentingSocket: recv() and recv_into() return at most k bytes (or seeded
    random sizes). socket.create_connection() and accept() build their sockets
    through the module-level name, so they are covered too."""
    sizes = chunk_sizes(k, seed, high)

    class Splitting(FragmentingSocket):
        pass

    Splitting.sizes = sizes
    original = socket.socket
    socket.socket = Splitting
    try:
        yield
    finally:
        socket.socket = original


@contextlib.contextmanager
def refused_port():
    """A port on 127.0.0.1 that refuses connections (bound, never listening), for the block."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


def connect(port: int, timeout: float = BOUND) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def reset(sock: socket.socket) -> None:
    """Vanish abruptly: close with RST instead of FIN (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class LineClient:
    """A client for a newline-framed text protocol, with a bound on every read."""

    def __init__(self, port: int, timeout: float = BOUND):
        self.sock = connect(port, timeout)
        self.file = self.sock.makefile("rb")

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8"))

    def send_line(self, line: str) -> None:
        self.send(line + "\n")

    def read_line(self) -> str | None:
        """The next line without its newline; None when the server closed.

        Raises socket.timeout (TimeoutError) when nothing came within the bound.
        """
        raw = self.file.readline()
        if not raw:
            return None
        return raw.decode("utf-8").rstrip("\r\n")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def reset(self) -> None:
        """Vanish abruptly (RST). The file from makefile() keeps the descriptor
        alive, so it is closed first, or no RST would be sent."""
        self.file.close()
        reset(self.sock)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_buffered(sock: socket.socket, n: int) -> None:
    """Return once n bytes sit in sock's receive buffer (MSG_PEEK: nothing is consumed)."""
    deadline = time.monotonic() + BOUND
    while len(sock.recv(n, socket.MSG_PEEK)) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"test setup: {n} bytes never arrived in {BOUND:.0f} s")
