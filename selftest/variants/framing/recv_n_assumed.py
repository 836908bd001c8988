"""framing whose recv_exactly() trusts recv(n) to return n bytes.

Bug: recv_exactly() calls sock.recv(n) once, with no loop, as if recv(n) always returned n bytes.
Caught by: test_recv_exactly_collects_fragments, test_recv_msg_byte_by_byte, test_recv_msg_random_fragments, test_big_message_round_trip, test_max_size_message_is_accepted, test_peer_closing_mid_body_raises, test_recv_exactly_raises_when_peer_closes_early
"""
from __future__ import annotations

import socket
import struct

HEADER = struct.Struct("!I")  # the length prefix: 4 bytes, unsigned, network byte order
MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # 16 MiB: longer messages are refused (ValueError)

CHUNK = 64 * 1024  # never ask recv() for more than this, nor for more than we need


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """Exactly n bytes from sock; ConnectionError if the peer closes first."""
    if n == 0:
        return b""
    data = sock.recv(n)  # BUG: recv(n) returns UP TO n bytes
    if not data:
        raise ConnectionError(f"connection closed after 0 of {n} bytes")
    return data


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


if __name__ == "__main__":
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
