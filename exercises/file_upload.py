"""Exercise: file upload with size and checksum (seed: 9.20 3 文件上传).

The notes' client sends a header "post|<size>|<name>" with one sendall(),
then the file in 1024-byte pieces. The server reads the header with one
conn.recv(1024), then loops `while has_received < size: conn.recv(1024)`, and
writes to os.path.join(BASE_DIR, 'yuan', filename). Four things go wrong:

1. 粘包 (9.20 1). The header and the first bytes of the file can arrive in ONE
   recv(1024): the server reads file bytes as part of the header, and they
   are missing from the file. And the last recv(1024) of one file can swallow
   the header of the next one. Frame the header (send_msg/recv_msg), then read
   EXACTLY `size` bytes: never ask recv() for more than is still missing, and
   never take "recv() returned less than 1024" to mean "the file is over".
2. PATH TRAVERSAL. The file name comes from the network. With
   os.path.join(BASE_DIR, name), the name "../../.bashrc" writes outside the
   directory, and os.path.join(BASE_DIR, "/etc/passwd") IS "/etc/passwd" (an
   absolute part throws away everything before it). A name from a client must
   be a plain file name. Refuse anything else; don't try to repair it.
3. INTERRUPTED UPLOADS. The notes write straight into the final file: a client
   that disconnects halfway leaves half a file under the real name, and an
   older file of that name is already destroyed. Write into a temporary file
   in the same directory (tempfile.mkstemp(dir=directory)); only when all
   `size` bytes arrived AND the checksum matches, os.replace() it onto the
   final name (atomic: anyone opening the name sees the old file or the whole
   new one, never half). On every failure, delete the temporary file.
4. CORRUPTION. The header carries the file's SHA-256 (hashlib.sha256); the
   server hashes the bytes as they arrive and refuses a mismatch.

Uses your framing topic: `from framing import recv_msg, send_msg` (your own
framing.py, from your folder). Finish the framing topic first (python -m grader
framing): until send_msg() and recv_msg() work, no test of this topic can pass.

Protocol. A connection carries any number of uploads, one after another,
until the client closes it (recv_msg() returns None where a header would be):

    client -> server   one framing message: UTF-8 JSON with exactly these fields
                           {"name": "report.pdf", "size": 12345, "sha256": "9f86d0..."}
                       (sha256: hashlib.sha256(data).hexdigest(), 64 hex digits)
                       then EXACTLY `size` raw bytes: the file (not framed)
    server -> client   one framing message: UTF-8 JSON
                           {"ok": true}
                       or  {"ok": false, "error": "why, in a few words"}

What the server does with each header:

  - malformed: not a UTF-8 JSON object, or a field missing or of the wrong
    type -- "name" not a string, "size" not an int >= 0 (true/false are not
    ints), "sha256" not 64 hex digits. The server cannot know how many bytes
    follow: reply {"ok": false, ...} and close the connection.
  - size > max_size: reply {"ok": false, ...} at once, WITHOUT reading the
    data (a header can announce a terabyte), and close the connection.
  - an unsafe name (is_safe_name() is False): read and throw away exactly
    `size` bytes, so that the stream stays in step, then reply
    {"ok": false, ...} and go on with the next upload.
  - otherwise: receive exactly `size` bytes into a temporary file in the
    directory, hashing them; if the SHA-256 differs from the header's (compare
    lower-case hex), delete the temporary file and reply {"ok": false, "error":
    "checksum mismatch ..."};
    else os.replace() it onto directory/name (an existing file of that name is
    replaced) and reply {"ok": true}. Both go on with the next upload.
  - the connection ends (EOF, or a reset) in the middle of the data: delete
    the temporary file FIRST, then reply {"ok": false, ...} if the client can
    still read it (it may have half-closed), then close the connection.

Thread per connection, as in tcp_server (8.18 1.2.2): uploads from different
clients run at the same time. stop() works like tcp_server's: wake the accept
thread, shut down every open connection, join every thread -- so after stop()
no upload is half done and no temporary file is left.

    server = UploadServer("/srv/uploads")
    port = server.start()       # listening, accept thread running; returns at once
    upload(port, "report.pdf")  # stored as /srv/uploads/report.pdf
    server.stop()

Run the tests:   python -m grader file_upload
"""
from __future__ import annotations

import hashlib  # noqa: F401  (you will need these)
import json  # noqa: F401
import os  # noqa: F401
import socket  # noqa: F401
import tempfile  # noqa: F401
import threading  # noqa: F401

from framing import recv_msg, send_msg  # noqa: F401  (your framing topic: 9.20 1 粘包)

MAX_SIZE = 1024 * 1024 * 1024  # 1 GiB: the default largest upload a server accepts
CHUNK = 1024 * 1024  # read and write the data in pieces of at most this many bytes


class UploadError(Exception):
    """The server refused an upload; str(exc) is the server's "error" text (given)."""


def is_safe_name(name) -> bool:
    r"""True if `name` may be used as a file name inside the upload directory.

    A safe name is a str, is not empty, is not "." or "..", and holds none of
    these characters: "/" (a directory, or an absolute path), "\\" (a directory
    on Windows) and "\0" (NUL, which no file name can hold). Everything else
    -- "report.pdf", ".hidden", "数据 2024.csv", "a..b" -- is safe. Anything that
    is not a str (None, 5, b"x.txt") is not safe: return False, don't raise.
    """
    # TODO
    raise NotImplementedError("is_safe_name")


class UploadServer:
    """Stores uploads in `directory`: checked names, exact sizes, checksums, no half files."""

    def __init__(self, directory, host: str = "127.0.0.1", port: int = 0, *,
                 max_size: int = MAX_SIZE):
        """Remember the settings. Nothing is opened until start().

        directory   an existing directory; every upload is stored right in it
        max_size    the largest upload accepted, in bytes
        """
        self.directory = os.fspath(directory)
        self.host = host
        self.port = port
        self.max_size = max_size
        # TODO: what start() and stop() share (as in tcp_server): the listening
        # socket, the accept thread, the open connections, the handler threads,
        # a "stopping" flag, and a threading.Lock guarding what threads share.

    def start(self) -> int:
        """Bind, listen, start the accept thread, and return the port at once.

        Store the real port in self.port too (listener.getsockname()[1]).
        Each connection gets a thread that loops: recv_msg() a header, check it,
        receive the data (the rules above), send_msg() the reply; until
        recv_msg() returns None. A client that vanishes ends only its own thread.
        """
        # TODO. Suggested helpers: one that checks a header, one that receives
        # `size` bytes into a temporary file and returns None or an error text.
        raise NotImplementedError("UploadServer.start")

    def stop(self) -> None:
        """Wake the accept thread, shut down every connection, join every thread."""
        # TODO
        raise NotImplementedError("UploadServer.stop")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def upload(port: int, path, name: str | None = None, *, host: str = "127.0.0.1",
           timeout: float | None = 30.0) -> None:
    """Upload the file at `path` to the server at (host, port), as `name`.

    name defaults to the file's own name (os.path.basename(path)). Compute the
    size and the SHA-256 first (read the file in CHUNK pieces: it may be
    bigger than memory), then connect (socket.create_connection((host, port),
    timeout=timeout)), send_msg() the JSON header, send exactly `size` bytes
    (sock.sendall() in pieces, or sock.sendfile(f, 0, size), which lets the
    kernel copy the file; it refuses size 0), recv_msg() the reply, and close.
    Returns None when the reply is {"ok": true}; raises UploadError(error) when
    the server refused; raises ConnectionError if the server closed without a
    reply.
    """
    # TODO
    raise NotImplementedError("upload")
