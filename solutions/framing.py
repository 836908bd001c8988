"""Sticky packets (粘包): length-prefixed messages over TCP.

Seed: 9.20 1 粘包. TCP delivers a byte stream: one recv() may hold two
messages, half of one, or a single byte. So every message carries its length:

    [ 4-byte length, "!I" (big-endian) ][ exactly that many payload bytes ]

    send_msg    check the size, then ONE sendall() of header + payload
    recv_msg    read the 4-byte header, check the length, read exactly that
    recv_exactly  the loop that turns "up to n bytes" recv() into "exactly n"

Ends of a conversation: EOF before a header byte is a clean end (None);
EOF anywhere inside a message is a broken message (ConnectionError).
"""
from __future__ import annotations

import socket
import struct

HEADER = struct.Struct("!I")  # the length prefix: 4 bytes, unsigned, network byte order
MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # 16 MiB: longer messages are refused (ValueError)

CHUNK = 64 * 1024  # never ask recv() for more than this, nor for more than we need


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """Exactly n bytes from sock; ConnectionError if the peer closes first."""
    buf = bytearray()  # the bytes of these n collected so far
    while len(buf) < n:
        # Ask only for what is still missing: the bytes after these n belong
        # to the next message and must stay in the socket for the next call.
        chunk = sock.recv(min(n - len(buf), CHUNK))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def send_msg(sock: socket.socket, payload: bytes) -> None:
    """Send one message: HEADER (the payload's length), then the payload."""
    if len(payload) > MAX_MESSAGE_SIZE:
        raise ValueError(f"message of {len(payload)} bytes is over the limit "
                         f"of {MAX_MESSAGE_SIZE} bytes")
    # One sendall() rather than two: a small write followed by another write
    # waits for the peer's delayed ACK (Nagle), about 40 ms per message.
    sock.sendall(HEADER.pack(len(payload)) + payload)


def recv_msg(sock: socket.socket) -> bytes | None:
    """The next message's payload; None if the peer closed between messages."""
    first = sock.recv(HEADER.size)
    if not first:
        return None  # EOF before any header byte: the conversation is over
    header = first + recv_exactly(sock, HEADER.size - len(first))  # EOF now: broken
    (length,) = HEADER.unpack(header)
    if length > MAX_MESSAGE_SIZE:  # check BEFORE reading: the header may lie
        raise ValueError(f"header announces {length} bytes, over the limit "
                         f"of {MAX_MESSAGE_SIZE} bytes")
    return recv_exactly(sock, length)


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/framing.py)
    # Demo: three messages sent back to back come out as three messages.
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname()) as client:
            conn, _ = server.accept()
            with conn:
                for text in ("hello", "", "粘包"):
                    send_msg(client, text.encode("utf-8"))
                client.shutdown(socket.SHUT_WR)  # clean end: recv_msg -> None
                while (message := recv_msg(conn)) is not None:
                    print(f"message of {len(message)} bytes: {message.decode('utf-8')!r}")
