"""Variant: recv_text() always decodes UTF-8.

Bug: recv_text() ignores the encoding the header declares and decodes every body as UTF-8, so a GBK message raises UnicodeDecodeError.
Caught by: test_recv_text_uses_declared_encoding, test_text_round_trip_chinese_and_emoji
"""
from __future__ import annotations

import codecs
import socket
from collections.abc import Iterable, Iterator
from typing import BinaryIO

ENCODING = "utf-8"  # the default encoding of every function here
ALLOWED_ERRORS = ("strict", "replace", "backslashreplace")  # the errors policy; nothing else

CHUNK = 4096


def _check_errors(errors: str) -> None:
    if errors not in ALLOWED_ERRORS:
        raise ValueError(f"errors={errors!r} is not allowed: use one of {ALLOWED_ERRORS} "
                         f"(bad bytes must raise or stay visible, never vanish)")


def to_bytes(text: str, encoding: str = ENCODING) -> bytes:
    """str -> bytes (编码), strict."""
    if not isinstance(text, str):
        raise TypeError(f"to_bytes() encodes a str, got {type(text).__name__}")
    return text.encode(encoding)  # strict: UnicodeEncodeError, never "?"


def to_str(data: bytes, encoding: str = ENCODING, errors: str = "strict") -> str:
    """bytes -> str (解码), under the errors policy."""
    _check_errors(errors)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"to_str() decodes bytes, got {type(data).__name__}")
    return bytes(data).decode(encoding, errors)


def decode_chunks(chunks: Iterable[bytes], encoding: str = ENCODING,
                  errors: str = "strict") -> Iterator[str]:
    """Decode a stream of chunks with one incremental decoder; yield text as it comes."""
    _check_errors(errors)
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    for chunk in chunks:
        text = decoder.decode(chunk)  # an unfinished character stays inside the decoder
        if text:
            yield text
    tail = decoder.decode(b"", final=True)  # bytes left over now are an error
    if tail:
        yield tail


def read_lines(sock: socket.socket, encoding: str = ENCODING,
               errors: str = "strict") -> Iterator[str]:
    """The lines arriving on sock, decoded, without "\\n" or "\\r\\n"."""
    _check_errors(errors)
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    pending = ""  # decoded text of the line not finished yet
    while True:
        chunk = sock.recv(CHUNK)
        pending += decoder.decode(chunk, final=not chunk)  # b"": the peer closed
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
        if not chunk:
            break
    if pending:
        yield pending  # a last line without "\n"


def send_text(sock: socket.socket, text: str, encoding: str = ENCODING) -> None:
    """One message: b"<byte count> <encoding>\\n" + body."""
    body = to_bytes(text, encoding)  # encode first: a failure sends nothing
    header = f"{len(body)} {encoding}\n".encode("ascii")  # BYTES, not len(text)
    sock.sendall(header + body)


def recv_text(rfile: BinaryIO) -> str | None:
    """The next message's text, decoded with the encoding its header declares."""
    header = rfile.readline()
    if not header:
        return None  # closed between messages
    if not header.endswith(b"\n"):
        raise ConnectionError(f"connection closed inside a header: {header!r}")
    size, encoding = header.decode("ascii").split()
    size = int(size)
    body = rfile.read(size)
    if len(body) < size:
        raise ConnectionError(f"connection closed after {len(body)} of {size} body bytes")
    return body.decode(ENCODING)  # BUG: the header said which encoding


if __name__ == "__main__":
    # Demo: a line cut inside "世" by one-byte reads still comes out whole.
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname()) as client:
            conn, _ = server.accept()
            with conn:
                client.sendall("hello 世界\r\n你好 🎉\nno newline".encode("utf-8"))
                client.shutdown(socket.SHUT_WR)
                for line in read_lines(conn):
                    print(repr(line))
    gbk = "你好".encode("gbk")
    print("GBK bytes", gbk.hex(" "), "as gbk:", to_str(gbk, "gbk"))
    try:
        to_str(gbk)
    except UnicodeDecodeError as exc:
        print("as utf-8:", exc)
