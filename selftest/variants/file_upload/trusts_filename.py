"""file_upload that trusts the client's file name, like the notes.

Bug: the server never checks the name (is_safe_name exists but is not called) and stores at os.path.join(directory, name), so '../x' or an absolute path writes outside the upload directory.
Caught by: test_path_traversal_names_are_rejected, test_upload_client_round_trip
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import string
import tempfile
import threading

import struct

# framing (9.20 1), inlined from solutions/framing.py: selftest grades this file alone.
HEADER = struct.Struct("!I")
MAX_MESSAGE_SIZE = 16 * 1024 * 1024


def recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 64 * 1024))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def send_msg(sock, payload):
    if len(payload) > MAX_MESSAGE_SIZE:
        raise ValueError("message too long")
    sock.sendall(HEADER.pack(len(payload)) + payload)


def recv_msg(sock):
    first = sock.recv(HEADER.size)
    if not first:
        return None
    (length,) = HEADER.unpack(first + recv_exactly(sock, HEADER.size - len(first)))
    if length > MAX_MESSAGE_SIZE:
        raise ValueError("message too long")
    return recv_exactly(sock, length)

MAX_SIZE = 1024 * 1024 * 1024
CHUNK = 1024 * 1024


class UploadError(Exception):
    """The server refused an upload; str(exc) is the server's "error" text."""


def is_safe_name(name) -> bool:
    """A plain file name: no directory part, not absolute, not '.'/'..', no NUL."""
    return (isinstance(name, str) and name not in ("", ".", "..")
            and not any(c in name for c in "/\\\0"))


class _BadHeader(ValueError):
    """The header cannot be trusted to say where the data ends: close the connection."""


def _parse_header(raw: bytes) -> tuple[str, int, str]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _BadHeader("the header is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise _BadHeader("the header is not a JSON object")
    name, size, digest = header.get("name"), header.get("size"), header.get("sha256")
    if not isinstance(name, str):
        raise _BadHeader('"name" must be a string')
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _BadHeader('"size" must be an integer >= 0')
    if not (isinstance(digest, str) and len(digest) == 64
            and all(c in string.hexdigits for c in digest)):
        raise _BadHeader('"sha256" must be 64 hex digits')
    return name, size, digest.lower()


class UploadServer:
    def __init__(self, directory, host: str = "127.0.0.1", port: int = 0, *,
                 max_size: int = MAX_SIZE):
        self.directory = os.fspath(directory)
        self.host = host
        self.port = port
        self.max_size = max_size
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards the three fields below
        self._stopping = False
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # --- one connection: uploads, one after another --------------------------

    def _serve(self, conn: socket.socket) -> None:
        try:
            while (raw := recv_msg(conn)) is not None:
                try:
                    name, size, digest = _parse_header(raw)
                except _BadHeader as exc:
                    self._reply(conn, f"bad header: {exc}")
                    return  # where would its data end? Close the connection.
                if size > self.max_size:  # refuse before reading a byte of it
                    self._reply(conn, f"{size} bytes is over the limit of {self.max_size} bytes")
                    return
                try:
                    error = self._receive(conn, name, size, digest)
                except OSError as exc:  # the client vanished mid-upload (or the disk failed)
                    self._reply(conn, f"upload of {name!r} failed: {exc}")  # if it still listens
                    return
                self._reply(conn, error)
        except (OSError, ValueError):
            pass  # the client vanished, broke a frame, or stop() shut us down
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _receive(self, conn: socket.socket, name: str, size: int, digest: str) -> str | None:
        """Exactly `size` bytes into a temp file, then os.replace(); None or an error text."""
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".upload-", suffix=".part")
        try:
            sha = hashlib.sha256()
            buf = memoryview(bytearray(CHUNK))  # one buffer, reused: recv_into() fills it
            with os.fdopen(fd, "wb") as f:
                remaining = size
                while remaining:
                    # Never ask for more than is missing: the next bytes belong to
                    # the next upload's header (粘包).
                    n = conn.recv_into(buf[:min(remaining, CHUNK)])
                    if not n:
                        raise ConnectionError(f"connection closed after {size - remaining} "
                                              f"of {size} bytes")
                    sha.update(buf[:n])
                    f.write(buf[:n])
                    remaining -= n
            if sha.hexdigest() != digest:
                return f"checksum mismatch for {name!r}: the data is not what the header says"
            os.replace(temp, os.path.join(self.directory, name))  # atomic, same directory
            temp = None
            return None
        finally:
            if temp is not None:  # every failure, including exceptions: no half files
                try:
                    os.unlink(temp)
                except FileNotFoundError:
                    pass

    def _discard(self, conn: socket.socket, size: int) -> None:
        while size:
            chunk = conn.recv(min(size, CHUNK))
            if not chunk:
                raise ConnectionError("connection closed in the middle of the data")
            size -= len(chunk)

    def _reply(self, conn: socket.socket, error: str | None) -> None:
        reply = {"ok": True} if error is None else {"ok": False, "error": error}
        try:
            send_msg(conn, json.dumps(reply).encode("utf-8"))
        except OSError:
            pass  # the client is gone: nobody to tell

    # --- lifecycle (as in tcp_server) ------------------------------------------

    def start(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"upload-accept-{self.port}", daemon=True)
        self._accept_thread.start()
        return self.port

    def stop(self) -> None:
        if self._accept_thread is None:
            return
        with self._lock:
            self._stopping = True
        try:  # wake accept(): close() alone does not, on Linux
            socket.create_connection(self._listener.getsockname(), timeout=5).close()
        except OSError:
            pass
        self._accept_thread.join()
        self._listener.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # a handler mid-upload sees EOF and cleans up
            except OSError:
                pass
        for t in threads:
            t.join()
        self._accept_thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                self._conns.add(conn)
                t = threading.Thread(target=self._serve, args=(conn,),
                                     name=f"upload-{addr[0]}:{addr[1]}", daemon=True)
                self._threads = [old for old in self._threads if old.is_alive()]
                self._threads.append(t)
            t.start()


def upload(port: int, path, name: str | None = None, *, host: str = "127.0.0.1",
           timeout: float | None = 30.0) -> None:
    """Upload the file at `path` as `name`; UploadError if the server refuses."""
    name = os.path.basename(path) if name is None else name
    with open(path, "rb") as f:
        sha, size = hashlib.sha256(), 0
        while chunk := f.read(CHUNK):  # size and checksum first: the header comes first
            sha.update(chunk)
            size += len(chunk)
        f.seek(0)
        header = {"name": name, "size": size, "sha256": sha.hexdigest()}
        with socket.create_connection((host, port), timeout=timeout) as sock:
            send_msg(sock, json.dumps(header).encode("utf-8"))
            try:
                if size:  # sendfile() refuses a count of 0
                    sock.sendfile(f, 0, size)  # the kernel copies file -> socket
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused early (too big): the reply, if it came, says why
            raw = recv_msg(sock)
    if raw is None:
        raise ConnectionError("the server closed the connection without a reply")
    reply = json.loads(raw.decode("utf-8"))
    if not reply.get("ok"):
        raise UploadError(reply.get("error") or "refused")


if __name__ == "__main__":
    import sys

    with tempfile.TemporaryDirectory() as store, UploadServer(store) as server:
        upload(server.port, sys.argv[0] if len(sys.argv) < 2 else sys.argv[1])
        for bad in ("../escape.py", "/etc/passwd"):
            try:
                upload(server.port, __file__, name=bad)
            except UploadError as exc:
                print(f"{bad!r} refused: {exc}")
        print("stored:", os.listdir(store))
