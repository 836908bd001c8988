"""Exercise: str, bytes and UTF-8 split across recv() calls (seed: 9.20 2 编码).

The notes:

    - Python3中只有两种数据类型 str byte
    - 由str>>>bytes:  编码（encode方法）
    - 由bytes>>>str:  解码（decode方法）

A socket carries bytes; your program thinks in str. Every conversation
needs an encoding, agreed by both sides, and three things go wrong again
and again:

1. One character is NOT one byte. In UTF-8 "a" is 1 byte, "你" is 3 bytes,
   "🎉" is 4 bytes. len(text) counts characters; a length on the wire must
   count bytes: len(text.encode("utf-8")).

2. recv() may cut the stream anywhere -- also in the MIDDLE of a character.
   "世" is e4 b8 96; one recv() may end after e4 b8 and the next one start
   with 96. chunk.decode("utf-8") on each chunk then raises
   UnicodeDecodeError (or, with errors="ignore", silently loses the
   character). An incremental decoder keeps the incomplete bytes until the
   rest arrives:

       decoder = codecs.getincrementaldecoder("utf-8")("strict")
       decoder.decode(b"\\xe4\\xb8")           -> ""    (keeps e4 b8)
       decoder.decode(b"\\x96!")               -> "世!"
       decoder.decode(b"", final=True)        -> ""    (raises if bytes are left)

3. Both sides must use the SAME encoding. In 9.19 2 远程执行命令 the server
   sends the raw output of a Windows shell, which is GBK on a Chinese
   Windows, and the client decodes it with str(server_response, "gbk"). A
   client that decodes it as UTF-8 gets UnicodeDecodeError -- that is the
   good outcome. The bad outcome is a policy that hides the problem:
   errors="ignore" drops the bytes it cannot decode without a trace.
   (The other way round is worse still: UTF-8 bytes decoded as GBK often
   "succeed" and give 乱码 (mojibake). That is why send_text() below
   DECLARES the encoding on the wire instead of letting the reader guess.)

The errors policy of this module (every function with an `errors`
parameter follows it):

    "strict"            (the default) invalid or incomplete bytes raise
                        UnicodeDecodeError
    "replace"           each bad sequence becomes U+FFFD (the visible "�")
    "backslashreplace"  each bad byte becomes a visible escape such as \\xd6
    anything else       (notably "ignore", which drops bytes silently)
                        raises ValueError, before anything is read or decoded

    These names are the ones bytes.decode() and codecs already understand;
    ALLOWED_ERRORS lists them. Data is never dropped silently.

The wire format of send_text()/recv_text(): one header line in ASCII, then
the body:

    b"<number of BYTES in the body> <encoding>\\n" + body

    send_text(sock, "你好")           sends  b"6 utf-8\\n" + "你好".encode("utf-8")
    send_text(sock, "你好", "gbk")    sends  b"4 gbk\\n"   + "你好".encode("gbk")
    send_text(sock, "")              sends  b"0 utf-8\\n"

Run the tests:   python -m grader text_encoding
"""
from __future__ import annotations

import codecs  # noqa: F401  (codecs.getincrementaldecoder is the tool for split characters)
import socket
from collections.abc import Iterable, Iterator
from typing import BinaryIO

ENCODING = "utf-8"  # the default encoding of every function here
ALLOWED_ERRORS = ("strict", "replace", "backslashreplace")  # the errors policy; nothing else


def to_bytes(text: str, encoding: str = ENCODING) -> bytes:
    """Encode `text` (a str) into bytes with `encoding` (str -> bytes: 编码).

    Strict: a character the encoding cannot represent (an emoji in GBK)
    raises UnicodeEncodeError; it is never replaced by "?".
    A `text` that is not a str (bytes are already encoded!) raises TypeError.
    """
    # TODO: check the type, then encode.
    raise NotImplementedError("to_bytes")


def to_str(data: bytes, encoding: str = ENCODING, errors: str = "strict") -> str:
    """Decode `data` (bytes or bytearray) into a str (bytes -> str: 解码).

    `errors` follows the module's policy: "strict" raises UnicodeDecodeError
    on bytes that are not valid in `encoding`; "replace" and
    "backslashreplace" make every bad byte visible; any other value raises
    ValueError. A `data` that is a str (already decoded) raises TypeError.

    Careful: str(data) without an encoding gives "b'...'", the repr of the
    bytes, not their text.
    """
    # TODO: check errors against ALLOWED_ERRORS, check the type, then decode.
    raise NotImplementedError("to_str")


def decode_chunks(chunks: Iterable[bytes], encoding: str = ENCODING,
                  errors: str = "strict") -> Iterator[str]:
    """Decode a stream that arrives in pieces; yield the text as it comes.

    `chunks` is any iterable of bytes, e.g. the successive results of
    sock.recv(). A chunk may end in the middle of a character: keep its
    incomplete bytes until the next chunk completes them (use one incremental
    decoder for the whole stream, not one decode() per chunk).

    - Yield the text each chunk completes, as soon as that chunk has been
      read (do not wait for the end of the stream).
    - When `chunks` is exhausted, tell the decoder that the stream is over
      (final=True): bytes of an unfinished character left at the end are an
      error like any other (strict: UnicodeDecodeError; "replace": "\\ufffd").
    - `errors` follows the module's policy (ValueError for "ignore").
    """
    # TODO: codecs.getincrementaldecoder(encoding)(errors), a loop, a final flush.
    raise NotImplementedError("decode_chunks")


def read_lines(sock: socket.socket, encoding: str = ENCODING,
               errors: str = "strict") -> Iterator[str]:
    """Yield the lines of text arriving on `sock`, as str, until the peer closes.

    - A line ends with "\\n"; "\\r\\n" also counts as one line ending. Yield
      each line WITHOUT its ending. Empty lines are yielded as "".
    - A last line without a newline, before the peer closes, is yielded too.
    - Yield each line as soon as its "\\n" has arrived: the peer may keep the
      connection open and wait for an answer.
    - recv() may cut anywhere, also inside a multi-byte character and between
      "\\r" and "\\n".
    - Bytes that are not valid in `encoding` follow `errors`; strict raises
      UnicodeDecodeError. An unfinished character when the peer closes is
      an error too.
    - The socket belongs to the caller: do not close it.
    """
    # TODO: recv() in a loop, decode incrementally (or split bytes at b"\\n"
    #   first), keep the unfinished line for the next round.
    raise NotImplementedError("read_lines")


def send_text(sock: socket.socket, text: str, encoding: str = ENCODING) -> None:
    """Send `text` as one message: the header line, then the encoded body.

    The header is f"{number of bytes of the body} {encoding}\\n" in ASCII; the
    length counts BYTES, not characters. If `text` cannot be encoded in
    `encoding`, raise UnicodeEncodeError and send nothing at all.
    """
    # TODO: encode first (so nothing is sent on failure), then ONE sendall().
    raise NotImplementedError("send_text")


def recv_text(rfile: BinaryIO) -> str | None:
    """Receive one message sent by send_text() and return its text.

    `rfile` is a binary file over the connection, e.g. sock.makefile("rb"):
    rfile.readline() reads the header line, rfile.read(n) reads n bytes (it
    returns fewer only if the peer closed).

    - Returns None if the peer closed before the first byte of a header.
    - Decodes the body with the encoding the HEADER declares, strictly (a
      body that is not valid in it raises UnicodeDecodeError).
    - Raises ConnectionError if the peer closed in the middle of a message.
    """
    # TODO: readline(), split it into the byte count and the encoding,
    #   read exactly that many bytes, decode them with the declared encoding.
    raise NotImplementedError("recv_text")
