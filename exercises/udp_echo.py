"""Exercise: a UDP hello server and a client that retries (seed: 8.18 1.3 UDP编程).

The notes: "使用UDP协议时，不需要建立连接，只需要知道对方的IP地址和端口号，就可以
直接发数据包。但是，能不能到达就不知道了。" A UDP datagram travels alone: no
connection, no acknowledgement. It can be LOST, and on a real network it can
also arrive TWICE. The notes' client does sendto() and then s.recv(1024) with
no timeout: the first lost datagram makes it wait for ever. Build the server
as a class that can be started and stopped, and a client that survives loss
and duplicates.

Wire format (every datagram is UTF-8 text):

    client -> server   "ID NAME"               e.g. b"7 Michael"
    server -> client   "ID Hello, NAME!"       e.g. b"7 Hello, Michael!"

    ID is a request id: a decimal number the client chooses, with no spaces.
    NAME is everything after the FIRST space (it may contain spaces itself).
    The server copies ID into its answer unchanged.

The server (UDPHelloServer):
  - bind a SOCK_DGRAM socket to (host, port); no listen(), no accept();
  - loop: data, addr = sock.recvfrom(MAX_DATAGRAM), then
    sock.sendto(answer, addr): the reply goes to whoever sent the datagram,
    so any number of clients can use one server at the same time;
  - a datagram it cannot understand (empty, not UTF-8, no space in it) is
    dropped: no answer, no crash, and the next datagram is served as usual.
    Anyone can send anything to a UDP port; one bad datagram must not kill
    the server thread;
  - start() returns the real port at once (port=0: the kernel picks one);
    stop() ends the thread, closes the socket, and returns. On Linux,
    close() does NOT wake a thread blocked in recvfrom(): set a flag, then
    send one datagram to your own port (the loop wakes, sees the flag, ends).

The client (HelloClient), stop-and-wait:
  - hello(name) picks a NEW id (a counter: 1, 2, 3, ...), sends "ID NAME",
    and waits at most `timeout` seconds for the reply (sock.settimeout);
  - no reply in time: send THE SAME datagram again (same id); after
    `attempts` sends without an answer, raise TimeoutError;
  - a reply counts only if it carries the id of THIS request. Anything else
    (the duplicate of an earlier answer, another id, bytes that are not
    UTF-8) is ignored: keep waiting for the rest of this attempt's timeout.
    Compare the whole id: "17" is not "170";
  - return the text after "ID ", e.g. "Hello, Michael!".

Run the tests:   python -m grader udp_echo
"""
from __future__ import annotations

import socket
import threading
import time

MAX_DATAGRAM = 65535    # the largest UDP datagram: recvfrom(MAX_DATAGRAM) never cuts one
DEFAULT_TIMEOUT = 1.0   # seconds HelloClient waits for each reply
DEFAULT_ATTEMPTS = 5    # sends before HelloClient gives up with TimeoutError


class UDPHelloServer:
    """The notes' UDP server (8.18 1.3.1) as a class: one thread answers every datagram."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        """Remember where to listen. Nothing is opened until start()."""
        self.host = host
        self.port = port
        # TODO: whatever start() and stop() share: the socket, the thread,
        # a "stopping" flag (threading.Event).

    def start(self) -> int:
        """Bind the UDP socket, start the serving thread, return the real port at once.

        Store the real port in self.port too (sock.getsockname()[1]).
        """
        # TODO
        raise NotImplementedError("UDPHelloServer.start")

    def stop(self) -> None:
        """Wake the serving thread, join it, close the socket."""
        # TODO
        raise NotImplementedError("UDPHelloServer.stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class HelloClient:
    """A stop-and-wait client: request ids, a timeout per attempt, retries."""

    def __init__(self, server_addr, timeout: float = DEFAULT_TIMEOUT, attempts: int = DEFAULT_ATTEMPTS):
        """Open the client's UDP socket; server_addr is a (host, port) tuple."""
        self.server_addr = tuple(server_addr)
        self.timeout = timeout
        self.attempts = attempts
        # TODO: the socket (socket.SOCK_DGRAM) and the id counter
        raise NotImplementedError("HelloClient.__init__")

    def hello(self, name: str) -> str:
        """Ask the server to greet `name`; return e.g. "Hello, Michael!".

        Raises TimeoutError when `attempts` sends got no matching reply.
        """
        # TODO
        raise NotImplementedError("HelloClient.hello")

    def close(self) -> None:
        """Close the socket."""
        # TODO
        raise NotImplementedError("HelloClient.close")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
