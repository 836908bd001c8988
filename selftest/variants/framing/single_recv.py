"""framing with the notes' 粘包 bug: one recv() taken as one whole message.

Bug: recv_msg() does one sock.recv(65536), drops the 4 header bytes and returns the rest as the message.
Caught by: test_recv_msg_byte_by_byte, test_recv_msg_random_fragments, test_recv_msg_coalesced, test_big_message_round_trip, test_max_size_message_is_accepted, test_empty_message_is_not_end_of_stream, test_peer_closing_mid_header_raises, test_peer_closing_mid_body_raises, test_absurd_length_header_is_rejected, test_length_just_over_limit_is_rejected
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
    data = sock.recv(65536)  # BUG: one recv() is not one message
    if not data:
        return None
    return data[HEADER.size:]


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
