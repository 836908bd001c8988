"""Exercise: sticky packets -- length-prefixed messages over TCP (seed: 9.20 1 粘包).

The notes: "连续两次或多次发送信息，有可能出现错误，这种现象叫做粘包现象"
(send two or more times in a row and things can go wrong: 粘包, sticky
packets). Their fix -- pause between two sends with a conn.recv(1024) --
only makes the problem rarer. The real cause: TCP carries a stream of
BYTES, not messages. The receiver's recv() may return

  - two messages glued together (two sendall() calls, one recv()),
  - half a message (one sendall(), the bytes spread over two recv() calls),
  - one single byte, or anything in between.

So the sender must mark where each message ends, and the receiver must read
exactly one message at a time. The notes' file upload (9.20 3) already does
half of it: it sends the size first ("post|<size>|<name>"), then reads until
it has that many bytes. Here you do it properly, with a binary header.

Protocol: every message on the wire is

    +---------------------------+----------------------------------+
    | length: 4 bytes, unsigned | payload: exactly `length` bytes  |
    | int, network byte order   |                                  |
    | (big-endian): HEADER "!I" |                                  |
    +---------------------------+----------------------------------+

    send_msg(sock, b"abc")  puts  b"\\x00\\x00\\x00\\x03abc"  on the wire
    send_msg(sock, b"")     puts  b"\\x00\\x00\\x00\\x00"     (a legal empty message)

Rules:
  - recv(n) returns AT MOST n bytes: 1 is legal, n is legal, anything between
    is legal. recv() returning b"" means the peer closed the connection.
  - A peer that closes BETWEEN messages ends the conversation normally:
    recv_msg() returns None. A peer that closes in the MIDDLE of a message
    (inside the 4 header bytes, or inside the payload) broke it: raise
    ConnectionError.
  - An empty message (b"") and the end of the stream (None) are different
    things. Keep them apart.
  - Never trust the header: a corrupt or hostile peer can announce 4 GB.
    Messages longer than MAX_MESSAGE_SIZE are refused with ValueError:
    send_msg() refuses before sending anything, recv_msg() refuses right after
    reading the header, BEFORE reading or allocating the body.

Run the tests:   python -m grader framing
"""
from __future__ import annotations

import socket
import struct

HEADER = struct.Struct("!I")  # the length prefix: 4 bytes, unsigned, network byte order
MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # 16 MiB: longer messages are refused (ValueError)


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """Read and return exactly `n` bytes from `sock`.

    recv() may return fewer bytes than asked for, so call it in a loop until
    you have all n, asking each time for at most the bytes still missing (do
    not read past the n bytes: they belong to the next message).

    n == 0 returns b"" at once.
    If the peer closes the connection (recv() returns b"") before n bytes have
    arrived, raise ConnectionError with a message saying how many of the n
    bytes arrived, e.g. "connection closed after 3 of 10 bytes".
    """
    # TODO: a loop around sock.recv(), collecting the pieces.
    raise NotImplementedError("recv_exactly")


def send_msg(sock: socket.socket, payload: bytes) -> None:
    """Send one message: the 4-byte HEADER with len(payload), then the payload.

    Use sendall(): send() may send only part of what it was given.
    An empty payload is a legal message (just the header, length 0).
    If len(payload) > MAX_MESSAGE_SIZE, raise ValueError and send nothing.
    """
    # TODO: check the size, pack the header with HEADER.pack(...), sendall.
    raise NotImplementedError("send_msg")


def recv_msg(sock: socket.socket) -> bytes | None:
    """Receive one message sent by send_msg() and return its payload.

    Returns None if the peer closed the connection cleanly between messages
    (end of stream before the first header byte).
    Raises ConnectionError if the peer closed in the middle of the header or
    in the middle of the payload.
    Raises ValueError if the header announces more than MAX_MESSAGE_SIZE
    bytes -- before reading (or allocating room for) the body.
    """
    # TODO: read the header (careful: EOF here can be normal), unpack the
    # length, check it against MAX_MESSAGE_SIZE, then read exactly that many.
    raise NotImplementedError("recv_msg")
