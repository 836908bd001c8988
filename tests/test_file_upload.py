"""File upload with size and checksum (9.20 3 文件上传) over real loopback TCP.

Most tests talk to the student's UploadServer with the suite's own uploader,
which frames the header by hand (4-byte "!I" length + JSON) and, like most
real clients, sends the header and the data in ONE sendall(): on loopback
they then arrive together, and a server that reads the header with one
recv(1024) loses file bytes (粘包). support.net.split_reads makes the other
legal extreme happen: every recv() of the server returns a few bytes.

The upload directory is tmp_path/"uploads"; a name that escapes it lands in
tmp_path (or another file the test names), where the test looks for it.
Ordering without sleeps: a reply means the server has finished that upload;
an EOF from the server means it has finished with the connection (the
exercise says: delete the temporary file FIRST, then close); stop() returning
means every handler has finished. Two tests judge upload() itself, against
the student's server and against a scripted fake server.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import socket
import struct


from support import net, prereq, servers
from support.threads import Stuck, in_background, run_threads
from support.student import fail

TOPIC = "file_upload"

HEADER = struct.Struct("!I")
MiB = 1024 * 1024
REPLY_BOUND = 3.0  # s: a reply comes in milliseconds; this only catches failures
STOP_BOUND = 3.0

TRAVERSAL = ("See 9.20 3 文件上传: the notes store an upload at os.path.join(BASE_DIR, 'yuan', "
             "filename), with the client's filename as it came. '../x' climbs out of the "
             "directory, and os.path.join(d, '/abs/x') IS '/abs/x': path traversal, a client "
             "could overwrite any file the server may write. The server must refuse every name "
             "that is not a plain file name (is_safe_name()) before it opens anything; don't "
             "repair it.")
STICKY = ("See 9.20 1 粘包 and 9.20 3 文件上传: the header is one framing message (recv_msg()); "
          "then the server must read EXACTLY size bytes, asking recv() each time for at most "
          "the bytes still "
          "missing (min(remaining, CHUNK)). The header and the data, or the end of one "
          "upload and the next header, may arrive in one recv(); a recv() may also return "
          "just a few bytes.")
ATOMIC = ("The server must write the data into a temporary file in the same directory "
          "(tempfile.mkstemp(dir=self.directory)) and os.replace() it onto the final name only "
          "when all size bytes arrived and the checksum matched; on every failure delete the "
          "temporary file (try/finally) before closing the connection. The notes write "
          "straight into the final file (9.20 3), so an interrupted upload leaves half a file.")
PROTOCOL = ("The reply must be one framing message holding the JSON {\"ok\": true} or "
            "{\"ok\": false, \"error\": \"...\"} (see exercises/file_upload.py and 9.20 3 "
            "文件上传).")




def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def header(name, data: bytes = b"", *, size=None, digest=None) -> bytes:
    return json.dumps({"name": name, "size": len(data) if size is None else size,
                       "sha256": sha(data) if digest is None else digest}).encode("utf-8")


def size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:g} MiB" + ("" if n % MiB == 0 else f" ({n} bytes)")
    return f"{n} byte" + ("" if n == 1 else "s")


def compare(got: bytes, want: bytes) -> str:
    if got == want:
        return ""
    if len(got) <= 40 and len(want) <= 40:
        return f"it holds {got!r}, expected {want!r}"
    at = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
    return f"it holds {size(len(got))}, expected {size(len(want))}; first difference at byte {at}"


def listing(directory) -> list[str]:
    return sorted(os.listdir(directory))







# --- the suite's own uploader ----------------------------------------------------


class Uploader:
    """A raw connection to the server that speaks the protocol by hand."""

    def __init__(self, port: int, timeout: float = REPLY_BOUND):
        self.sock = net.connect(port, timeout)
        self.last = ""

    def send(self, name, data: bytes = b"", *, send_data: bytes | None = None, **fields) -> None:
        """Header for (name, data) and then the data, in ONE sendall().

        send_data replaces the bytes actually sent (for lying headers)."""
        head = header(name, data, **fields)
        body = data if send_data is None else send_data
        self.last = (f"an upload {json.loads(head)!r}" if len(head) < 160
                     else f"an upload named {name!r} of {size(len(data))}")
        try:
            self.sock.sendall(frame(head) + body)
        except (BrokenPipeError, ConnectionResetError):
            fail(f"While the test was still sending {self.last} ({size(len(body))} of data), "
                 "the server closed the connection: it stopped reading before the upload's "
                 "`size` bytes were in (or its handler crashed). " + STICKY)

    def send_raw_header(self, raw: bytes) -> None:
        self.last = f"the header {raw[:100]!r}"
        self.sock.sendall(frame(raw))

    def _exact(self, n: int, doing: str) -> bytes:
        data = bytearray()
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except TimeoutError:
                fail(f"{doing}, the server sent {len(data)} of the {n} bytes of its reply and "
                     f"then nothing for {self.sock.gettimeout():.0f} s. {PROTOCOL}")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                fail(f"{doing}, the server closed the connection in the middle of its reply. "
                     + PROTOCOL)
            data += chunk
        return bytes(data)

    def reply(self, doing: str | None = None, hint: str = "") -> dict:
        """The next reply, checked for shape: {"ok": true} or {"ok": false, "error": str}."""
        doing = doing or f"After {self.last}"
        try:
            first = self.sock.recv(1, socket.MSG_PEEK)
        except TimeoutError:
            fail(f"{doing}, the test expected the server's reply, but none came within "
                 f"{self.sock.gettimeout():.0f} s. {hint or STICKY}")
        except ConnectionResetError:
            first = b""
        if not first:
            fail(f"{doing}, the server closed the connection without replying. Every upload "
                 "gets a reply, also a refused one ({\"ok\": false, \"error\": ...}); did the "
                 "handler thread crash? " + PROTOCOL)
        (n,) = HEADER.unpack(self._exact(4, doing))
        if n > MiB:
            fail(f"{doing}, the reply's length header announced {n} bytes: send the reply "
                 "with send_msg(). " + PROTOCOL)
        raw = self._exact(n, doing)
        try:
            reply = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            fail(f"{doing}, the server answered {raw[:80]!r}, which is not UTF-8 JSON. "
                 + PROTOCOL)
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool) or (
                not reply["ok"] and not (isinstance(reply.get("error"), str)
                                         and reply["error"].strip())):
            fail(f"{doing}, the server answered {reply!r}. {PROTOCOL} A refusal says why, in "
                 "a non-empty 'error'.")
        return reply

    def expect_closed(self, doing: str, hint: str) -> None:
        try:
            rest = self.sock.recv(1)
        except TimeoutError:
            fail(f"{doing}, the server should have closed the connection, but it was still "
                 f"open after {self.sock.gettimeout():.0f} s. {hint}")
        except ConnectionResetError:
            return
        if rest:
            fail(f"{doing}, the server sent more bytes ({rest!r}...) instead of closing the "
                 f"connection. {hint}")

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def expect_ok(u: Uploader, why: str = "", doing: str | None = None) -> None:
    reply = u.reply(doing)
    if not reply["ok"]:
        fail(f"{doing or 'After ' + u.last}, the server answered {reply!r}; expected "
             f"{{'ok': True}}: the header was right, the name safe, and exactly `size` "
             f"bytes with the right SHA-256 followed. {why or STICKY}")


def expect_refused(u: Uploader, why: str, doing: str | None = None) -> dict:
    reply = u.reply(doing)
    if reply["ok"]:
        fail(f"{doing or 'After ' + u.last}, the server answered {{'ok': True}}; expected a "
             f"refusal {{'ok': False, 'error': ...}}. {why}")
    return reply


def expect_stored(store, name: str, data: bytes, doing: str, why: str = STICKY) -> None:
    path = store / name
    if not path.is_file():
        fail(f"{doing}, the server answered ok, but the test found no {name!r} in the upload "
             f"directory (it holds {listing(store)}); each upload should be stored as "
             f"directory/name. See 9.20 3 文件上传.")
    got = path.read_bytes()
    if got != data:
        fail(f"{doing}, the server answered ok, but the stored {name!r} differs from the "
             f"upload: {compare(got, data)}. {why}")


# --- running a server ------------------------------------------------------------


def check_port(port) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        fail(f"UploadServer(directory).start() returned {port!r}; it must return the port "
             "the server listens on (listener.getsockname()[1]), an int such as 40512.")


class Running:
    """A started UploadServer: .server, .port, .store; .stop() with a bound."""

    def __init__(self, mod, store, **options):
        self.store = store
        self.server = mod.UploadServer(str(store), **options)
        self.port = self.server.start()
        self.stopped = False

    def stop(self) -> str | None:
        self.stopped = True
        return servers.stop_within(self.server.stop, self.port, STOP_BOUND)


@contextlib.contextmanager
def running(mod, tmp_path, **options):
    """start() is called here, in the test's thread: a stub fails with NotImplementedError."""
    store = tmp_path / "uploads"
    store.mkdir(exist_ok=True)
    r = Running(mod, store, **options)
    body_ok = False
    try:
        check_port(r.port)
        prereq.check_framing(mod, TOPIC)
        yield r
        body_ok = True
    finally:
        if not r.stopped:
            complaint = r.stop()
            if complaint and body_ok:
                fail(complaint)


# --- is_safe_name ------------------------------------------------------------------


SAFE = ["report.pdf", "a", ".hidden", "数据 2024.csv", "a..b", "...", "x" * 200, "name with spaces",
        "semi;colon", "-rf"]
UNSAFE = ["../escaped.txt", "a/../../escaped.txt", "/etc/passwd", "sub/x.txt", "..\\escaped.txt",
          "dir\\x.txt", "", ".", "..", "x\0y.txt", "./x", "x/"]


def test_is_safe_name_accepts_plain_names(mod):
    for name in SAFE:
        got = mod.is_safe_name(name)
        if got is not True:
            fail(f"is_safe_name({name!r}) returned {got!r}; expected True: it is a plain file "
                 "name (no '/', no '\\\\', no NUL, not '', '.' or '..'). Refuse only what is "
                 "unsafe: dots inside a name, spaces, non-ASCII and leading '-' are fine. "
                 "See 9.20 3 文件上传.")


def test_is_safe_name_rejects_traversal(mod):
    for name in UNSAFE + [None, 5, b"bytes.txt"]:
        got = mod.is_safe_name(name)
        if got is not False:
            fail(f"is_safe_name({name!r}) returned {got!r}; expected False. A safe name is a "
                 "str, not '', '.' or '..', and holds no '/', no '\\\\' and no NUL. "
                 + TRAVERSAL)


# --- uploads that work -----------------------------------------------------------------


def test_upload_round_trip(mod, tmp_path):
    data = b"hello, upload\n" * 100
    with running(mod, tmp_path) as r, Uploader(r.port) as u:
        stored = getattr(r.server, "port", None)
        if stored != r.port:
            fail(f"start() returned port {r.port} but server.port is {stored!r}: it should store "
                 "the real port in self.port as well (port=0 means 'any free port'). "
                 "See 9.20 3 文件上传.")
        u.send("hello.txt", data)
        expect_ok(u)
        expect_stored(r.store, "hello.txt", data, f"After {u.last}")
        if listing(r.store) != ["hello.txt"]:
            fail(f"After one upload, the test found in the upload directory "
                 f"{listing(r.store)}; expected "
                 "just ['hello.txt']: a temporary file must be renamed (os.replace) or deleted. "
                 + ATOMIC)
        newer = b"a newer version\n"
        u.send("hello.txt", newer)
        expect_ok(u, doing="After a second upload of 'hello.txt' on the same connection")
        expect_stored(r.store, "hello.txt", newer,
                      "After a second upload with the same name",
                      "An upload replaces an existing file of that name (os.replace).")


def test_zero_byte_file(mod, tmp_path):
    with running(mod, tmp_path) as r, Uploader(r.port) as u:
        u.send("empty.txt", b"")
        expect_ok(u, doing="After a header for an empty file (size 0: no data follows)",
                  why="size 0 means no data at all: don't wait for a recv() that returns less "
                      "than 1024 bytes, count the bytes. " + STICKY)
        expect_stored(r.store, "empty.txt", b"", "After an upload of 0 bytes")
        u.send("after-empty.txt", b"next")
        expect_ok(u, doing="After the empty file, an upload of 4 bytes on the same connection")
        expect_stored(r.store, "after-empty.txt", b"next", "After the empty file")


def test_multi_megabyte_file(mod, tmp_path):
    data = random.Random(7).randbytes(8 * MiB + 123)
    with running(mod, tmp_path) as r, Uploader(r.port, timeout=net.BOUND) as u:
        u.send("big.bin", data)
        expect_ok(u, doing=f"After an upload of {size(len(data))}")
        expect_stored(r.store, "big.bin", data, f"After an upload of {size(len(data))}")


# --- 粘包 ----------------------------------------------------------------------------------


def test_header_and_data_in_one_send(mod, tmp_path):
    data = bytes(range(256)) * 8  # 2048 bytes: the header and data share the first recv()
    with running(mod, tmp_path) as r, Uploader(r.port) as u:
        u.send("glued.bin", data)
        u.sock.shutdown(socket.SHUT_WR)  # everything is sent: a server short of bytes sees EOF
        doing = (f"The client sent the header and {size(len(data))} of data in ONE sendall() "
                 "(then half-closed its side); then")
        reply = u.reply(doing)
        if not reply["ok"]:
            fail(f"{doing} the server answered {reply!r}, though every byte had been sent. A "
                 "header read with one recv(1024) takes the first bytes of the file with it, "
                 "and they are missing from the data. " + STICKY)
        expect_stored(r.store, "glued.bin", data, doing.rstrip("; then"))


def test_two_uploads_back_to_back(mod, tmp_path):
    first, second = b"A" * 3000, b"B" * 1500
    with running(mod, tmp_path) as r, Uploader(r.port) as u:
        burst = frame(header("first.txt", first)) + first + frame(header("second.txt", second)) \
            + second
        u.sock.sendall(burst)  # one sendall: the end of one upload glued to the next header
        doing = ("The client sent two uploads (3000 and 1500 bytes) back to back in one "
                 "sendall(); for the first one,")
        reply = u.reply(doing, hint="Did the server read past the first upload's 3000 bytes "
                                    "and swallow the second header? " + STICKY)
        if not reply["ok"]:
            fail(f"{doing} the server answered {reply!r}. " + STICKY)
        second_doing = doing.replace("for the first one,", "for the second one,")
        reply = u.reply(second_doing, hint="After the first upload's 3000 bytes, the next "
                                           "bytes are the second header: the first upload must "
                                           "not read past its own size. " + STICKY)
        if not reply["ok"]:
            fail(f"{second_doing} the server answered {reply!r}. " + STICKY)
        expect_stored(r.store, "first.txt", first, "After two uploads sent back to back")
        expect_stored(r.store, "second.txt", second, "After two uploads sent back to back")


def test_upload_arriving_in_small_pieces(mod, tmp_path):
    data = random.Random(3).randbytes(50_000)
    with running(mod, tmp_path) as r:
        with net.split_reads(seed=11, high=700):  # every recv() of the server: 1..700 bytes
            with Uploader(r.port) as u:
                u.send("pieces.bin", data)
                doing = ("The upload (50000 bytes) reached the server in pieces: every recv() "
                         "returned between 1 and 700 bytes, as TCP may legally do; then")
                reply = u.reply(doing)
                if not reply["ok"]:
                    fail(f"{doing} the server answered {reply!r}. A recv() that returns fewer "
                         "than 1024 bytes does NOT mean the file is over: count the bytes "
                         "until you have `size` of them. " + STICKY)
        expect_stored(r.store, "pieces.bin", data, "After an upload that arrived in pieces")


# --- checks the server makes ----------------------------------------------------------------


def test_checksum_mismatch_is_rejected(mod, tmp_path):
    good, bad = b"version 1\n" * 50, bytearray(b"version 2\n" * 50)
    with running(mod, tmp_path) as r, Uploader(r.port) as u:
        u.send("doc.txt", good)
        expect_ok(u)
        corrupt = bytes(bad)
        bad[100] ^= 0x01  # one bit flipped on the way
        u.send("doc.txt", corrupt, send_data=bytes(bad))
        doing = ("After an upload of 'doc.txt' whose data (500 bytes) had one bit flipped, so "
                 "that its SHA-256 differs from the header's")
        reply = expect_refused(u, "Hash the bytes as they arrive (hashlib.sha256(); "
                                  "update() per chunk) and compare hexdigest() with the "
                                  "header's sha256 before you keep the file.", doing)
        if "sha" not in reply["error"].lower() and "checksum" not in reply["error"].lower():
            fail(f"{doing}, the server answered {reply!r}: say what was wrong (e.g. 'checksum "
                 "mismatch'), so the client knows to send it again. See 9.20 3 文件上传.")
        if listing(r.store) != ["doc.txt"]:
            fail(f"{doing}, the test found in the upload directory {listing(r.store)}; "
                 f"expected just the "
                 "old ['doc.txt']: delete the temporary file of a refused upload. " + ATOMIC)
        expect_stored(r.store, "doc.txt", good, doing,
                      "A refused upload must leave the old file of that name untouched. "
                      + ATOMIC)
        u.send("later.txt", b"fine")
        expect_ok(u, doing="After the refused upload, a good one on the same connection",
                  why="After a checksum mismatch all `size` bytes were read: the stream is in "
                      "step, so the connection goes on.")


def test_path_traversal_names_are_rejected(mod, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    names = ["../escaped.txt", "a/../../escaped2.txt", str(tmp_path / "escaped3.txt"),
             str(outside), "..\\escaped4.txt", "a/inside.txt", "", ".", "..", "x\0y.txt"]
    with running(mod, tmp_path) as r, Uploader(r.port) as u:
        (r.store / "a").mkdir()  # so that "a/../../x" resolves, as it would on a real server
        data = b"attacker's bytes"
        for name in names:
            u.send(name, data)
            doing = f"After an upload named {name!r}"
            reply = u.reply(doing, hint="For an unsafe name, read and throw away exactly `size` "
                                        "bytes, then reply {'ok': false, ...}. " + TRAVERSAL)
            escaped = sorted(set(listing(tmp_path)) - {"uploads", "outside.txt"})
            if escaped or outside.read_bytes() != b"precious":
                where = ", ".join(str(tmp_path / e) for e in escaped) or str(outside)
                fail(f"{doing}, the server wrote {where}: OUTSIDE its upload directory "
                     f"{r.store}. " + TRAVERSAL)
            if reply["ok"]:
                fail(f"{doing}, the server answered {{'ok': True}} (the upload directory now "
                     f"holds {listing(r.store)}); expected {{'ok': False, 'error': ...}}: "
                     f"{name!r} is not a plain file name. " + TRAVERSAL)
            if listing(r.store) != ["a"] or listing(r.store / "a"):
                fail(f"{doing}, the server refused it but left {listing(r.store)} in the "
                     "upload directory: it should refuse the name before it creates any file. "
                     + TRAVERSAL)
        u.send("fine.txt", b"ok")
        expect_ok(u, doing="After the refused names, an upload named 'fine.txt' on the same "
                           "connection",
                  why="A refused name's data must still be read (and thrown away) exactly, so "
                      "that the next header is where the client put it. " + STICKY)


def test_oversized_upload_is_refused_at_once(mod, tmp_path):
    limit = MiB
    with running(mod, tmp_path, max_size=limit) as r:
        with Uploader(r.port) as u:
            u.send("huge.bin", b"", size=limit + 1, digest="0" * 64, send_data=b"")
            doing = ("On a server with max_size = 1 MiB, after a header announcing 1 MiB + 1 "
                     "byte (and no data yet)")
            reply = u.reply(doing, hint="Compare size with self.max_size right after the "
                                        "header, and refuse at once, without waiting for (or "
                                        "storing) the data: a header can announce a terabyte.")
            if reply["ok"]:
                fail(f"{doing}, the server answered {{'ok': True}}; expected a refusal. "
                     "Compare size with self.max_size right after the header. See 9.20 3 "
                     "文件上传.")
            u.expect_closed(f"{doing}, after its refusal",
                            "After refusing a size, the server cannot tell where the data "
                            "would end: close the connection.")
            if listing(r.store):
                fail(f"{doing}, the test found in the upload directory {listing(r.store)}; "
                     f"expected it "
                     "empty. " + ATOMIC)
        data = bytes(limit)
        with Uploader(r.port) as u:
            u.send("just-fits.bin", data)
            expect_ok(u, doing="After an upload of exactly max_size = 1 MiB",
                      why="The limit itself is allowed: refuse only size > max_size.")


MALFORMED = [
    b"post|5|a.txt",  # the notes' header
    b"\xff\xfe",
    b"[1, 2]",
    json.dumps({"name": "a.txt", "size": 5}).encode(),
    json.dumps({"name": "a.txt", "size": -1, "sha256": "0" * 64}).encode(),
    json.dumps({"name": "a.txt", "size": "5", "sha256": "0" * 64}).encode(),
    json.dumps({"name": "a.txt", "size": True, "sha256": "0" * 64}).encode(),
    json.dumps({"name": "a.txt", "size": 1.5, "sha256": "0" * 64}).encode(),
    json.dumps({"name": "a.txt", "size": 5, "sha256": "abc"}).encode(),
    json.dumps({"name": "a.txt", "size": 5, "sha256": "z" * 64}).encode(),
    json.dumps({"name": 5, "size": 5, "sha256": "0" * 64}).encode(),
]


def test_malformed_header_is_refused(mod, tmp_path):
    with running(mod, tmp_path) as r:
        for raw in MALFORMED:
            with Uploader(r.port) as u:
                u.send_raw_header(raw)
                doing = f"After the header {raw!r} (and no data)"
                hint = ("A malformed header (not a JSON object; name not a string; size not an "
                        "int >= 0; sha256 not 64 hex digits) gets a reply {'ok': false, ...} at "
                        "once, and then the server closes the connection: it cannot know how "
                        "many data bytes would follow.")
                reply = u.reply(doing, hint=hint)
                if reply["ok"]:
                    fail(f"{doing}, the server answered {{'ok': True}}. {hint}")
                u.expect_closed(f"{doing}, after the refusal", hint)
        if listing(r.store):
            fail(f"After malformed headers, the test found in the upload directory "
                 f"{listing(r.store)}; "
                 "expected it empty. " + ATOMIC)


# --- interrupted uploads ------------------------------------------------------------------


def test_interrupted_upload_leaves_no_file(mod, tmp_path):
    v1 = b"the complete old report\n" * 100
    v2 = random.Random(5).randbytes(200_000)
    with running(mod, tmp_path) as r:
        with Uploader(r.port) as u:
            u.send("report.txt", v1)
            expect_ok(u)
        for name, what in (("report.txt", "a new version of the existing 'report.txt'"),
                           ("fresh.txt", "a new file 'fresh.txt'")):
            with Uploader(r.port) as u:
                u.send(name, v2, send_data=v2[:50_000])
                u.sock.shutdown(socket.SHUT_WR)  # the client gives up: EOF after 50000 bytes
                doing = (f"A client uploading {what} ({size(len(v2))}) sent only 50000 bytes "
                         "and closed its side")
                try:
                    first = u.sock.recv(1, socket.MSG_PEEK)
                except TimeoutError:
                    fail(f"{doing}; the server neither answered nor closed the connection "
                         f"within {REPLY_BOUND:.0f} s. recv() returning b'' is the end: the server "
                         "should delete the temporary file, then close. " + ATOMIC)
                except ConnectionResetError:
                    first = b""
                if first:
                    reply = u.reply(doing)
                    if reply["ok"]:
                        fail(f"{doing}; the server answered {{'ok': True}} to an upload that "
                             f"was cut short. Count the bytes: only `size` of them complete "
                             f"an upload. " + STICKY)
                    u.expect_closed(f"{doing}; after its refusal",
                                    "Then close the connection. See 9.20 3 文件上传.")
            left = listing(r.store)
            if "fresh.txt" in left:
                fail(f"{doing}; after the server closed the connection, the upload directory "
                     f"holds {left}: 'fresh.txt' is a half file under the final name. "
                     + ATOMIC)
            extra = [n for n in left if n != "report.txt"]
            if extra:
                fail(f"{doing}; after the server closed the connection, the upload directory "
                     f"holds {left}: {', '.join(map(repr, extra))} should not be there (a "
                     f"temporary file must be deleted when an upload fails, before the "
                     f"connection is closed). " + ATOMIC)
            got = (r.store / "report.txt").read_bytes()
            if got != v1:
                fail(f"{doing}; afterwards 'report.txt' must still be the old, complete version "
                     f"({size(len(v1))}), but {compare(got, v1)}: the unfinished upload "
                     "destroyed it. " + ATOMIC)


def test_reset_mid_upload_leaves_no_file(mod, tmp_path):
    announced, sent = 8 * MiB, 4 * MiB
    data = bytes(range(256)) * (sent // 256)
    with running(mod, tmp_path) as r:
        with Uploader(r.port) as u:
            u.send("done.txt", b"complete")
            expect_ok(u)
        u = Uploader(r.port)
        try:
            # A small send buffer: sendall() of 4 MiB can only finish once the server
            # has read most of it, so the upload has surely begun at the server.
            u.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
            u.send("gone.bin", b"", size=announced, digest="0" * 64, send_data=data)
        except TimeoutError:
            fail(f"A client announced an upload of 8 MiB and sent 4 MiB of it; the server read "
                 f"none of it for {REPLY_BOUND:.0f} s. It should read the data as it arrives. "
                 + STICKY)
        finally:
            net.reset(u.sock)  # then vanish abruptly (RST) in the middle of the data
        complaint = r.stop()  # stop() joins every handler: its cleanup is over
        if complaint:
            fail(complaint + " (A client had vanished in the middle of an upload.)")
        left = listing(r.store)
        if left != ["done.txt"]:
            fail(f"A client vanished (connection reset) after 4 MiB of the 8 MiB of 'gone.bin'; "
                 f"after stop() returned, the test found in the upload directory {left}, "
                 f"expected just "
                 f"['done.txt']. A reset raises ConnectionResetError in recv(): the same "
                 f"cleanup applies (try/finally). " + ATOMIC)


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_uploads(mod, tmp_path):
    slow = random.Random(1).randbytes(300_000)
    quick = b"quick" * 1000
    with running(mod, tmp_path) as r:
        with Uploader(r.port) as a:
            a.send("slow.bin", slow, send_data=slow[:100_000])  # A stops in the middle
            with Uploader(r.port, timeout=2.0) as b:
                b.send("quick.bin", quick)
                try:
                    b.sock.recv(1, socket.MSG_PEEK)
                except TimeoutError:
                    fail("Client A sent the first 100000 of 300000 bytes and paused; client B "
                         "then sent a whole upload of 5000 bytes and waited 2 s for a reply "
                         "that never came (it should come at once): your server serves one "
                         "connection at a time. Give "
                         "every accepted connection its own threading.Thread (8.18 1.2.2), so "
                         "one slow upload never holds up the others. See 9.20 3 文件上传.")
                expect_ok(b, doing="While client A's upload was paused halfway, client B's "
                                   "whole upload")
            expect_stored(r.store, "quick.bin", quick, "While client A's upload was paused")
            a.sock.sendall(slow[100_000:])
            expect_ok(a, doing="Client A then sent the rest of its data; its reply")
            expect_stored(r.store, "slow.bin", slow, "After client A finished")

        files = {f"file{i}.bin": random.Random(100 + i).randbytes(200_000) for i in range(6)}
        same = [random.Random(200 + i).randbytes(150_000) for i in range(2)]
        jobs = [(n, d) for n, d in files.items()] + [("same.bin", d) for d in same]

        def one(name, data):
            with Uploader(r.port) as u:
                u.send(name, data)
                return u.reply(f"While {len(jobs)} clients uploaded at once, the upload of "
                               f"{name!r}")

        try:
            replies = run_threads([lambda n=n, d=d: one(n, d) for n, d in jobs],
                                  what="uploader")
        except Stuck as exc:
            fail(f"{len(jobs)} clients uploaded at once; some were still waiting for a reply "
                 f"after {net.BOUND:.0f} s, where each should get one at once. Give every "
                 f"connection a thread of its own. {exc}")
        for (name, _), reply in zip(jobs, replies):
            if not reply["ok"]:
                fail(f"While {len(jobs)} clients uploaded at once, the upload of {name!r} got "
                     f"{reply!r}. Every connection needs its own temporary file "
                     f"(tempfile.mkstemp gives each a unique name) and its own hash. "
                     + ATOMIC)
        for name, data in files.items():
            expect_stored(r.store, name, data, f"While {len(jobs)} clients uploaded at once")
        got = (r.store / "same.bin").read_bytes()
        if got not in same:
            fail(f"Two clients uploaded different contents under the same name 'same.bin' at "
                 f"once; the stored file ({size(len(got))}) is neither of them, but a mix. "
                 + ATOMIC)
        left = listing(r.store)
        if len(left) != len(files) + 3:
            fail(f"After all uploads finished, the test found in the upload directory {left}: "
                 f"temporary "
                 "files must be renamed or deleted. " + ATOMIC)



def test_stop_with_idle_client_connected(mod, tmp_path):
    with running(mod, tmp_path) as r:
        with Uploader(r.port) as u:
            u.send("before-stop.txt", b"stored before stop()")
            expect_ok(u)
            complaint = r.stop()  # the client stays connected, idle between two uploads
            if complaint:
                fail(complaint + " (A client was connected and idle, between two uploads, "
                     "when stop() was called.)")
            u.sock.settimeout(REPLY_BOUND)
            try:
                rest = u.sock.recv(1)
            except TimeoutError:
                fail("stop() returned while a client was connected and idle, but its "
                     "connection was still open: stop() must shut down every open connection "
                     "(conn.shutdown(socket.SHUT_RDWR) wakes the handler in recv_msg()). "
                     "See 9.20 3 文件上传.")
            except ConnectionResetError:
                rest = b""
            if rest:
                fail(f"After stop(), the idle client read {rest!r}; expected the connection to "
                     "be closed (an empty read). See 9.20 3 文件上传.")
        expect_stored(r.store, "before-stop.txt", b"stored before stop()",
                      "After an upload and then stop()", "stop() must not touch finished uploads.")
        try:
            probe = socket.create_connection((net.HOST, r.port), timeout=REPLY_BOUND)
        except ConnectionRefusedError:
            return
        probe.close()
        fail(f"After stop() returned, a new client could still connect to port {r.port}: stop() "
             "should close the listening socket and end the accept thread. See 9.20 3 文件上传.")

# --- the client: upload() -------------------------------------------------------------------


def call_upload(mod, port, path, what: str, **kw):
    try:
        return mod.upload(port, str(path), timeout=net.BOUND, **kw)
    except NotImplementedError:
        raise
    except mod.UploadError as exc:
        fail(f"{what} raised UploadError({exc}) against a server that accepts it; it should "
             "return None. (If the server tests fail too, fix the server first.) " + STICKY)
    except TimeoutError:
        fail(f"{what} was still waiting after {net.BOUND:.0f} s. It should send the header with "
             "send_msg(), then exactly `size` bytes, then recv_msg() the reply. (If the "
             "server tests fail too, fix the server first.) " + STICKY)
    except ConnectionError as exc:
        fail(f"{what} raised {type(exc).__name__}({exc}): the server closed the connection "
             "instead of replying, so it did not understand the upload. upload() should send "
             "the header with "
             "send_msg() (a framing message), then exactly `size` bytes. (If the server "
             "tests fail too, fix the server first.) " + STICKY)


def test_upload_client_round_trip(mod, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    files = {"hello.txt": b"hello\n", "empty.bin": b"",
             "big.bin": random.Random(4).randbytes(3 * MiB + 5)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    with running(mod, tmp_path) as r:
        call_upload(mod, r.port, src / "hello.txt", "upload(port, 'src/hello.txt')")
        expect_stored(r.store, "hello.txt", b"hello\n", "After upload(port, 'src/hello.txt')",
                      "upload() sends the header, then exactly the file's bytes.")
        for name in ("empty.bin", "big.bin"):
            call_upload(mod, r.port, src / name, f"upload(port, 'src/{name}')")
            expect_stored(r.store, name, files[name], f"After upload(port, 'src/{name}')",
                          "upload() sends the header, then exactly the file's bytes.")
        call_upload(mod, r.port, src / "hello.txt", "upload(port, 'src/hello.txt', "
                    "name='renamed.txt')", name="renamed.txt")
        expect_stored(r.store, "renamed.txt", b"hello\n",
                      "After upload(port, 'src/hello.txt', name='renamed.txt')",
                      "The name parameter, when given, is the name sent in the header.")
        try:
            mod.upload(r.port, str(src / "hello.txt"), name="../evil.txt", timeout=net.BOUND)
        except mod.UploadError as exc:
            if not str(exc).strip():
                fail("upload(..., name='../evil.txt') raised UploadError with an empty "
                     "message; it should pass the server's 'error' text to UploadError. "
                     "See 9.20 3 文件上传.")
        except TimeoutError:
            fail("upload(..., name='../evil.txt') was still waiting after "
                 f"{net.BOUND:.0f} s for the server's refusal, which it should have read at "
                 "once with recv_msg(). " + STICKY)
        else:
            if (tmp_path / "evil.txt").exists():
                fail("upload(port, path, name='../evil.txt') returned normally: your own "
                     "UploadServer, which this test runs, accepted the name and wrote "
                     "evil.txt OUTSIDE its upload directory; it should have refused it. Fix "
                     "the server first (test_path_traversal_names_are_rejected). " + TRAVERSAL)
            if any("evil" in n for n in listing(r.store)):
                fail("upload(port, path, name='../evil.txt') returned normally: your own "
                     "UploadServer, which this test runs, accepted the name and stored "
                     f"{[n for n in listing(r.store) if 'evil' in n]} in the upload directory; "
                     "it should have refused it, not repaired it. Fix the server first "
                     "(test_path_traversal_names_are_rejected). " + TRAVERSAL)
            fail("upload(port, path, name='../evil.txt') returned normally, but the server "
                 "refused the name ({'ok': false, ...}); upload() must then raise "
                 "UploadError(error). See 9.20 3 文件上传.")
        if (tmp_path / "evil.txt").exists():
            fail("upload(..., name='../evil.txt') raised UploadError, but evil.txt was written "
                 "outside the upload directory all the same: the server must refuse the name "
                 "before it creates any file. " + TRAVERSAL)


@contextlib.contextmanager
def fake_server(reply: bytes | None, seen: dict):
    """One connection: read the header frame and exactly `size` data bytes, then reply
    (None: close without replying), then read to EOF."""
    with net.listener(1) as lst:
        lst.settimeout(net.BOUND)

        def exact(conn, n):
            data = bytearray()
            while len(data) < n and (chunk := conn.recv(min(n - len(data), 1 << 20))):
                data += chunk
            return bytes(data)

        def serve():
            conn, _ = lst.accept()
            with conn:
                conn.settimeout(net.BOUND)
                head = exact(conn, 4)
                if len(head) < 4 or HEADER.unpack(head)[0] > MiB:  # not a framed header
                    seen["unframed"] = head + conn.recv(200)
                    return
                raw = exact(conn, HEADER.unpack(head)[0])
                seen["raw"] = raw
                try:
                    h = json.loads(raw.decode("utf-8"))
                    n = h["size"]
                    seen["header"] = h
                except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                    return
                if isinstance(n, int) and 0 <= n <= 64 * MiB:
                    seen["data"] = exact(conn, n)
                if reply is not None:
                    conn.sendall(frame(reply))
                    try:
                        seen["after"] = exact(conn, 1 << 20)  # until the client closes
                    except TimeoutError:
                        seen["open"] = True

        with in_background(serve, lst, "fake server"):
            yield lst.getsockname()[1]


def test_upload_client_wire_format(mod, tmp_path):
    data = random.Random(6).randbytes(300_000)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    seen: dict = {}
    raised = None
    with fake_server(b'{"ok": true}', seen) as port:
        try:
            mod.upload(port, str(path), timeout=net.BOUND)
        except NotImplementedError:
            raise
        except Exception as exc:  # judged below, after what reached the server
            raised = exc
    want = {"name": "photo.jpg", "size": len(data), "sha256": sha(data)}
    if "unframed" in seen:
        fail(f"upload() sent {seen['unframed'][:60]!r}...: the header without the 4-byte "
             "length in front of it, as the notes send 'post|size|name'. Then the server "
             "cannot tell where the header ends and the file begins (粘包). It should send the "
             "header with send_msg(). " + STICKY)
    if seen.get("header") != want:
        shown = seen.get("header", seen.get("raw", seen.get("unframed", b""))[:120])
        fail(f"upload(port, '.../photo.jpg') of {size(len(data))} sent the header {shown!r}; "
             f"expected one framing message holding the JSON {want!r} (name: the file's "
             "basename; sha256: hashlib.sha256(data).hexdigest()). See 9.20 3 文件上传.")
    got = seen.get("data", b"")
    if got != data:
        fail(f"After its header, upload() sent data that differs from the file: "
             f"{compare(got, data).replace('it holds', 'got')}. It should send exactly the "
             f"file's bytes. " + STICKY)
    if seen.get("after"):
        fail(f"After its upload, upload() sent {size(len(seen['after']))} more; expected "
             "exactly `size` data bytes, then nothing. " + STICKY)
    if raised is not None:
        fail(f"upload() sent a correct upload, and the server answered {{'ok': true}}; yet "
             f"upload() raised {type(raised).__name__}({raised}). On ok, it should return "
             f"None. See 9.20 3 文件上传.")
    if seen.get("open"):
        fail(f"After the server's reply, upload() kept the connection open for "
             f"{net.BOUND:.0f} s: it should close it when the upload is done (with "
             f"socket...: ). See 9.20 3 文件上传.")

    seen = {}
    with fake_server(b'{"ok": false, "error": "disk full"}', seen) as port:
        try:
            mod.upload(port, str(path), timeout=net.BOUND)
        except mod.UploadError as exc:
            if "disk full" not in str(exc):
                fail(f"The server answered {{'ok': false, 'error': 'disk full'}}; upload() "
                     f"raised UploadError({str(exc)!r}), which should carry the server's "
                     "error text. See 9.20 3 文件上传.")
        else:
            fail("The server answered {'ok': false, 'error': 'disk full'}; upload() returned "
                 "normally instead of raising UploadError('disk full'). See 9.20 3 文件上传.")

    seen = {}
    with fake_server(None, seen) as port:
        try:
            mod.upload(port, str(path), timeout=net.BOUND)
        except ConnectionError:
            return
        except TimeoutError:
            fail(f"The server read the upload and closed without a reply; upload() was "
                 f"still waiting after {net.BOUND:.0f} s. recv_msg() returns None at the end "
                 "of the stream: it should raise ConnectionError. See 9.20 3 文件上传.")
        except mod.UploadError as exc:
            fail(f"The server read the upload and closed without a reply; upload() raised "
                 f"UploadError({exc}). No reply is not a refusal: it should raise "
                 "ConnectionError. See 9.20 3 文件上传.")
    fail("The server read the upload and closed the connection without a reply; upload() "
         "returned normally, as if it had succeeded; it should raise ConnectionError. "
         "See 9.20 3 文件上传.")
