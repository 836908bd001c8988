"""str, bytes and split UTF-8 (9.20 2 编码) over real loopback TCP.

How each promise of the exercise is checked:

- characters cut by recv(): the text (Chinese, emoji with a skin-tone
  modifier, "\\r\\n") is sent over a real connection and the receiving
  socket's recv() is capped on purpose, so the stream is cut after EVERY
  byte position in turn (2 reads, the first ending at the cut), and one byte
  at a time. Loopback alone would hand the whole text to one recv();
- streaming: the peer keeps the connection open, so code that waits for the
  end of the stream meets a short socket timeout and fails with a sentence;
- the GBK/UTF-8 mismatch of 9.19 2: GBK bytes read as UTF-8 must raise
  UnicodeDecodeError, never come back quietly shortened or replaced;
- byte counts: the raw bytes send_text() put on the wire are read back and
  the header's number compared with the body's length in BYTES.

Nothing sleeps; every read has a bound.
"""
from __future__ import annotations

import contextlib
import itertools
import random
import socket


from support.net import BOUND, fragmenting, tcp_pair, wait_buffered
from support import student

TOPIC = "text_encoding"

SEE = "See 9.20 2 编码: str -> bytes is encode(), bytes -> str is decode()."
SPLIT = ("recv() may cut the stream inside a character: keep ONE incremental decoder for the "
         "whole stream, codecs.getincrementaldecoder(encoding)(errors), which holds the "
         "unfinished bytes until the next chunk completes them. " + SEE)
MISMATCH = ("See 9.19 2 远程执行命令: the server's output was GBK, so the client had to decode it "
            "with str(server_response, 'gbk'); and 9.20 2 编码.")
POLICY = ("The module's errors policy: 'strict' raises, 'replace' and 'backslashreplace' keep "
          "every bad byte visible, anything else (above all 'ignore') raises ValueError.")
HANG = 2.0  # s a read may wait where a correct implementation never waits

# 1-, 3- and 4-byte UTF-8 characters, an emoji with a skin-tone modifier (two
# code points), a "\r\n" line ending, an empty line, a last line without "\n".
# 46 bytes: the tests cut after every one of them in turn.
TEXT = "hi 世界\r\n你好，朋友 👋🏽\n\nlast 🎉"
LINES = ["hi 世界", "你好，朋友 👋🏽", "", "last 🎉"]
DATA = TEXT.encode("utf-8")



def fail(msg: str):
    student.fail(msg, " " + SEE, unless=r"\b9\.(19|20|22) ")


def hexs(data: bytes, limit: int = 16) -> str:
    shown = data[:limit].hex(" ")
    return shown + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def char_at(text: str, encoding: str, offset: int):
    """(char, its encoded bytes, how many of them come before `offset`)."""
    pos = 0
    for ch in text:
        enc = ch.encode(encoding)
        if pos <= offset < pos + len(enc):
            return ch, enc, offset - pos
        pos += len(enc)
    return None, b"", 0


def describe_cut(text: str, encoding: str, cut: int) -> str:
    ch, enc, inside = char_at(text, encoding, cut)
    if ch is None or inside == 0:
        return f"cut after byte {cut} (between two characters)"
    return (f"cut after byte {cut}, INSIDE {ch!r}, whose {encoding} bytes are "
            f"{enc[:inside].hex(' ')} | {enc[inside:].hex(' ')}")


# --- sockets whose reads are cut where the test says -----------------------------

@contextlib.contextmanager
def receiving(data: bytes, sizes=None):
    """A receiving socket with `data` already sent to it, then EOF.

    `sizes`: the caps of its successive recv() calls (then no cap): the test decides
    exactly where the stream is cut. All of `data` waits in the receive buffer
    first, so each capped recv() returns exactly its cap.
    """
    with tcp_pair() as (a, b):
        if data:
            a.sendall(data)
            wait_buffered(b, len(data))
        a.shutdown(socket.SHUT_WR)
        if sizes is not None:
            b = fragmenting(b, k=65536)
            b.sizes = itertools.chain(sizes, itertools.repeat(65536))
        try:
            yield b
        finally:
            b.close()


def every_byte(n: int):
    return itertools.repeat(1, n)


def recv_pieces(sock: socket.socket, sizes, log: list):
    """The chunks of a stream, as the test reads them off `sock`."""
    for n in sizes:
        chunk = sock.recv(n)
        if not chunk:
            return
        log.append(chunk)
        yield chunk


def read_to_eof(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


# --- to_bytes / to_str ---------------------------------------------------------------

def test_to_bytes_and_to_str_round_trip(mod):
    for text, encoding in ((TEXT, "utf-8"), ("你好，世界", "gbk"), ("", "utf-8"), ("abc", "ascii")):
        want = text.encode(encoding)
        got = mod.to_bytes(text, encoding)
        if type(got) is not bytes or got != want:
            fail(f"to_bytes({short(text)}, {encoding!r}) returned {short(got)}, expected the "
                 f"{len(want)} bytes {hexs(want)}. {SEE}")
        back = mod.to_str(want, encoding)
        if isinstance(back, str) and back.startswith(("b'", 'b"')) and text:
            fail(f"to_str({hexs(want)}, {encoding!r}) returned {short(back)}: that is str(data) "
                 f"without an encoding, the repr of the bytes. Decode them: "
                 f"data.decode(encoding), or str(data, encoding) as the notes do. {SEE}")
        if type(back) is not str or back != text:
            fail(f"to_str(<the {encoding} bytes of {short(text)}>, {encoding!r}) returned "
                 f"{short(back)}, expected {short(text)}. {SEE}")
    got = mod.to_bytes("你")
    if got != "你".encode("utf-8"):
        fail(f"to_bytes('你') with the default encoding returned {short(got)}, expected "
             f"e4 bd a0: the default must be ENCODING = 'utf-8'.")
    back = mod.to_str(bytearray("好".encode("utf-8")))
    if back != "好":
        fail(f"to_str(bytearray(b'\\xe5\\xa5\\xbd')) returned {short(back)}, expected '好': "
             f"it should accept a bytearray as well as bytes.")


def test_wrong_type_is_refused(mod):
    for call, arg, why in (
        (mod.to_bytes, "你好".encode("utf-8"), "bytes are already encoded; only a str can be encoded"),
        (mod.to_str, "你好", "a str is already decoded; only bytes can be decoded"),
    ):
        name = call.__name__ if hasattr(call, "__name__") else "the function"
        try:
            got = call(arg)
        except TypeError:
            continue
        except (AttributeError, UnicodeError) as exc:
            fail(f"{name}({short(arg)}) raised {type(exc).__name__}({exc}); expected TypeError: "
                 f"{why}. Check isinstance() first and raise TypeError with a sentence. {SEE}")
        fail(f"{name}({short(arg)}) returned {short(got)}; expected TypeError: {why}. "
             f"Python 3 keeps str and bytes apart (Python3中只有两种数据类型 str byte). {SEE}")


def test_gbk_bytes_decoded_as_utf8_fail_loudly(mod):
    gbk = "你好，世界".encode("gbk")
    try:
        got = mod.to_str(gbk)
    except UnicodeDecodeError:
        pass
    else:
        fail(f"to_str(<the GBK bytes of '你好，世界': {hexs(gbk)}>) with the default UTF-8 "
             f"returned {short(got)} instead of raising UnicodeDecodeError. These bytes are not "
             f"UTF-8; the only honest answer is an error (errors='strict', the default), not "
             f"text with characters missing or replaced. {MISMATCH}")
    got = mod.to_str(gbk, "gbk")
    if got != "你好，世界":
        fail(f"to_str(<the GBK bytes of '你好，世界'>, 'gbk') returned {short(got)}, expected "
             f"'你好，世界'. {MISMATCH}")
    try:
        mod.to_bytes("🎉", "gbk")
    except UnicodeEncodeError:
        pass
    else:
        fail("to_bytes('🎉', 'gbk') returned normally; it should raise UnicodeEncodeError: GBK "
             "has no emoji, and a "
             "character that cannot be encoded must not be replaced by '?' or dropped. " + SEE)


def test_replace_policies_keep_bad_bytes_visible(mod):
    bad = "ok ".encode("utf-8") + "你好".encode("gbk") + b" end"
    for errors in ("replace", "backslashreplace"):
        want = bad.decode("utf-8", errors)
        try:
            got = mod.to_str(bad, "utf-8", errors)
        except (UnicodeDecodeError, ValueError) as exc:
            fail(f"to_str({hexs(bad)}, 'utf-8', {errors!r}) raised {type(exc).__name__}({exc}); "
                 f"{errors!r} is allowed and must decode, making each bad byte visible. {POLICY}")
        if got != want:
            fail(f"to_str({hexs(bad)}, 'utf-8', {errors!r}) returned {short(got)}, expected "
                 f"{short(want)} (what bytes.decode('utf-8', {errors!r}) gives). {POLICY}")


def test_ignore_is_refused(mod):
    bad = "你好".encode("gbk")
    calls = [
        ("to_str(data, 'utf-8', 'ignore')", lambda: mod.to_str(bad, "utf-8", "ignore")),
        ("list(decode_chunks([data], 'utf-8', 'ignore'))",
         lambda: list(mod.decode_chunks([bad], "utf-8", "ignore"))),
    ]
    for what, call in calls:
        try:
            got = call()
        except ValueError as exc:
            if isinstance(exc, UnicodeDecodeError):
                fail(f"{what} raised UnicodeDecodeError: it decoded before looking at errors. "
                     f"It should refuse errors='ignore' with ValueError first. {POLICY}")
            continue
        fail(f"{what} with the GBK bytes {hexs(bad)} returned {short(got)} instead of raising "
             f"ValueError. errors='ignore' throws bytes away without a trace: the reader never "
             f"learns that the peer used another encoding. {POLICY} {MISMATCH}")
    with receiving(bad + b"\n") as sock:
        what = "list(read_lines(sock, 'utf-8', 'ignore'))"
        try:
            got = list(mod.read_lines(sock, "utf-8", "ignore"))
        except ValueError as exc:
            if isinstance(exc, UnicodeDecodeError):
                fail(f"{what} raised UnicodeDecodeError: it should refuse errors='ignore' with "
                     f"ValueError before reading. {POLICY}")
        else:
            fail(f"{what} with the GBK bytes {hexs(bad)} on the socket returned {short(got)} "
                 f"instead of raising ValueError. {POLICY}")


# --- decode_chunks ---------------------------------------------------------------------

def decode_all(mod, chunks, how: str, text: str, encoding: str = "utf-8") -> None:
    """Run decode_chunks over `chunks`; fail with a sentence unless it gives `text`."""
    log: list = []
    try:
        pieces = list(mod.decode_chunks(chunks(log), encoding))
    except UnicodeDecodeError as exc:
        fail(f"decode_chunks() over a stream {how} raised UnicodeDecodeError({exc}); expected "
             f"{short(text)}: the bytes were valid {encoding}. The chunks were "
             f"{', '.join(c.hex(' ') for c in log[:6])}{' ...' if len(log) > 6 else ''}. "
             f"Decoding each chunk on its own fails when a chunk ends inside a character. "
             f"{SPLIT}")
    bad = [p for p in pieces if not isinstance(p, str)]
    if bad:
        fail(f"decode_chunks() {how} produced a {type(bad[0]).__name__} ({short(bad[0])}); it "
             f"should yield str pieces. {SEE}")
    got = "".join(pieces)
    if got != text:
        lost = len(text) - len(got)
        extra = (f" {lost} character(s) are missing: were bytes dropped (errors='ignore')?"
                 if lost > 0 else "")
        if "\ufffd" in got:
            extra = " It contains U+FFFD '�': the cut character was decoded in halves."
        fail(f"decode_chunks() over a stream {how} gave {short(got)}, expected "
             f"{short(text)}.{extra} {SPLIT}")


def test_decode_chunks_every_cut_position(mod):
    with tcp_pair() as (a, b):
        for cut in range(1, len(DATA)):
            a.sendall(DATA)
            wait_buffered(b, len(DATA))  # all of it waits: recv(cut) returns exactly cut bytes
            decode_all(mod, lambda log: recv_pieces(b, [cut, len(DATA) - cut], log),
                       f"of {len(DATA)} bytes in 2 recv() chunks, "
                       f"{describe_cut(TEXT, 'utf-8', cut)}", TEXT)
        a.sendall(DATA)
        wait_buffered(b, len(DATA))
        decode_all(mod, lambda log: recv_pieces(b, every_byte(len(DATA)), log),
                   "read 1 byte per recv()", TEXT)
    gbk_text = "中文，GBK 编码"
    gbk = gbk_text.encode("gbk")
    with receiving(gbk, every_byte(len(gbk))) as sock:
        decode_all(mod, lambda log: recv_pieces(sock, itertools.repeat(4096), log),
                   "of GBK bytes read 1 byte per recv(), decode_chunks(chunks, 'gbk')",
                   gbk_text, "gbk")


def test_decode_chunks_yields_as_it_goes(mod):
    first, rest = "你".encode("utf-8") + "好".encode("utf-8")[:1], "好".encode("utf-8")[1:] + "!".encode()
    with tcp_pair() as (a, b):
        b.settimeout(HANG)
        a.sendall(first)
        wait_buffered(b, len(first))
        log: list = []
        gen = None
        try:
            gen = iter(mod.decode_chunks(recv_pieces(b, itertools.repeat(4096), log)))
            piece = next(gen)
            while piece == "":
                piece = next(gen)
        except TimeoutError:
            fail(f"The peer sent {first.hex(' ')} ('你' and the first byte of '好') and waited for "
                 f"an answer. decode_chunks() should have yielded '你' at once, but after "
                 f"{HANG:.0f} s it was still reading, waiting for the end of the stream. Yield "
                 f"the text each chunk "
                 f"completes as soon as that chunk is read: a chat client shows text as it "
                 f"arrives. {SPLIT}")
        except StopIteration:
            fail("The stream was still open, but decode_chunks() stopped without yielding "
                 "anything; expected '你' first. " + SPLIT)
        except UnicodeDecodeError as exc:
            fail(f"decode_chunks() raised UnicodeDecodeError({exc}) on a chunk that ends inside "
                 f"'好' ({first.hex(' ')}); expected '你', with the incomplete '好' kept in the "
                 f"decoder. {SPLIT}")
        if piece != "你":
            fail(f"After one chunk {first.hex(' ')} ('你' and the first byte of '好'), "
                 f"decode_chunks() gave {short(piece)}, expected '你' (the incomplete '好' "
                 f"stays in the decoder until its other bytes arrive). {SPLIT}")
        a.sendall(rest)
        a.shutdown(socket.SHUT_WR)
        try:
            tail = "".join(gen)
        finally:
            getattr(gen, "close", lambda: None)()
        if tail != "好!":
            fail(f"After the peer sent the rest ({rest.hex(' ')}) and closed, decode_chunks() "
                 f"gave {short(tail)}, expected '好!'. {SPLIT}")


def test_decode_chunks_truncated_end_is_an_error(mod):
    data = "ok 世".encode("utf-8")[:-1]  # the stream ends after e4 b8 of 世 (e4 b8 96)
    story = (f"The peer sent {data.hex(' ')} ('ok ' and the first 2 of the 3 bytes of '世') "
             f"and closed")
    with receiving(data) as sock:
        try:
            got = "".join(mod.decode_chunks(recv_pieces(sock, itertools.repeat(4096), [])))
        except UnicodeDecodeError:
            pass
        else:
            fail(f"{story}; decode_chunks() (strict) gave {short(got)} without an error. The "
                 f"last character is unfinished: at the end of the stream call "
                 f"decoder.decode(b'', final=True), which raises for leftover bytes (with "
                 f"'replace' it gives '\\ufffd'). Leftover bytes must never vanish. {POLICY}")
    for errors, want in (("replace", "ok \ufffd"), ("backslashreplace", "ok \\xe4\\xb8")):
        with receiving(data) as sock:
            try:
                got = "".join(mod.decode_chunks(recv_pieces(sock, itertools.repeat(4096), []),
                                                "utf-8", errors))
            except (UnicodeDecodeError, ValueError) as exc:
                fail(f"{story}; decode_chunks(chunks, 'utf-8', {errors!r}) raised "
                     f"{type(exc).__name__}({exc}); expected {short(want)}. {errors!r} is "
                     f"allowed: pass it to the "
                     f"incremental decoder. {POLICY}")
            if got != want:
                fail(f"{story}; decode_chunks(chunks, 'utf-8', {errors!r}) gave {short(got)}, "
                     f"expected {short(want)}: at the end, decoder.decode(b'', final=True) "
                     f"turns the unfinished bytes into what {errors!r} makes of them. {POLICY}")


# --- read_lines ----------------------------------------------------------------------------

def lines_of(mod, sock, how: str, want: list, encoding: str = "utf-8") -> None:
    try:
        got = list(mod.read_lines(sock, encoding))
    except UnicodeDecodeError as exc:
        fail(f"read_lines() over a stream {how} raised UnicodeDecodeError({exc}); expected "
             f"{short(want, 160)}: the bytes were valid {encoding} lines. {SPLIT}")
    except TimeoutError:
        fail(f"read_lines() over a stream {how} was still reading {BOUND:.0f} s after the peer "
             f"had closed. recv() returning b'' means the peer closed: it should yield the "
             f"last line (if any) and stop.")
    if got != want:
        why = SPLIT
        if [g.rstrip("\r") for g in got if isinstance(g, str)] == want:
            why = ("The lines kept their '\\r': a line ending '\\r\\n' is removed whole "
                   "(line.removesuffix('\\r') after splitting at '\\n').")
        elif got == want[:-1]:
            why = ("The last line had no newline: the peer closed right after it. Yield what is "
                   "left when recv() returns b''.")
        elif any(isinstance(g, str) and "\ufffd" in g for g in got):
            why = "A line contains U+FFFD '�': a character cut by recv() was decoded in halves. " + SPLIT
        elif any(isinstance(g, bytes) for g in got):
            why = "read_lines() yields str lines, decoded, not bytes. " + SEE
        fail(f"read_lines() over a stream {how} gave {short(got, 160)}, expected "
             f"{short(want, 160)}. {why}")


def test_read_lines_split_mid_character(mod):
    for cut in range(1, len(DATA)):
        with receiving(DATA, [cut]) as sock:
            lines_of(mod, sock, f"of {len(DATA)} bytes {describe_cut(TEXT, 'utf-8', cut)}", LINES)
    with receiving(DATA, every_byte(len(DATA))) as sock:
        lines_of(mod, sock, "read 1 byte per recv()", LINES)
    rng = random.Random(5)
    lines = ["".join(rng.choice("ab 中文字符😀é\t") for _ in range(rng.randrange(40)))
             for _ in range(30)]
    data = "".join(line + rng.choice(("\n", "\r\n")) for line in lines).encode("utf-8")
    for seed in (1, 2):
        sizes = [random.Random(seed).randint(1, 7) for _ in range(len(data))]
        with receiving(data, sizes) as sock:
            lines_of(mod, sock, f"of 30 random lines read in random pieces of 1..7 bytes "
                                f"(seed {seed})", lines)


def test_read_lines_crlf_empty_and_last_line(mod):
    cases = [
        (b"a\r\nb\n\nc", ["a", "b", "", "c"], "b'a\\r\\nb\\n\\nc'"),
        ("最后一行".encode("utf-8"), ["最后一行"], "'最后一行' with no newline"),
        (b"x\r\n", ["x"], "b'x\\r\\n'"),
        (b"\n", [""], "one empty line b'\\n'"),
        (b"", [], "nothing at all (the peer closed at once)"),
    ]
    for data, want, what in cases:
        for sizes, how in ((None, "in one piece"), (every_byte(len(data)), "1 byte per recv()")):
            with receiving(data, sizes) as sock:
                lines_of(mod, sock, f"{what}, then EOF, read {how}", want)


def test_read_lines_yields_before_eof(mod):
    with tcp_pair() as (a, b):
        b.settimeout(HANG)
        a.sendall("第一 line\r\n".encode("utf-8"))
        gen = None
        try:
            for number, line, want in ((1, "第一 line\r\n", "第一 line"), (2, "second\n", "second")):
                if number == 2:
                    a.sendall(line.encode("utf-8"))
                try:
                    if gen is None:  # inside the try: an eager read_lines() blocks right here
                        gen = iter(mod.read_lines(b))
                    got = next(gen)
                except TimeoutError:
                    fail(f"The peer sent line {number} {line!r} and kept the connection open, "
                         f"waiting for an answer; read_lines() should have yielded it at once, "
                         f"but after {HANG:.0f} s it was still reading. Yield each line as "
                         f"soon as its '\\n' has arrived; "
                         f"do not read until the peer closes.")
                except StopIteration:
                    fail(f"The connection was still open, but read_lines() stopped before line "
                         f"{number} {line!r}. It should stop only when recv() returns b''.")
                if got != want:
                    hint = (" A line ending '\\r\\n' is removed whole." if got == want + "\r"
                            else "")
                    fail(f"The peer sent line {number} {line!r}; read_lines() yielded "
                         f"{short(got)}, expected {want!r}.{hint}")
            a.shutdown(socket.SHUT_WR)
            try:
                extra = list(gen)
            except TimeoutError:
                fail(f"After 2 lines the peer closed; read_lines() was still reading "
                     f"{HANG:.0f} s later. recv() returning b'' means the peer closed: it "
                     f"should stop.")
            if extra:
                fail(f"After 2 lines the peer closed; read_lines() gave {short(extra)} more, "
                     f"expected nothing.")
        finally:
            getattr(gen, "close", lambda: None)()


def test_read_lines_wrong_encoding_fails_loudly(mod):
    gbk = "你好\n世界\n".encode("gbk")
    with receiving(gbk) as sock:
        try:
            got = list(mod.read_lines(sock))
        except UnicodeDecodeError:
            pass
        else:
            why = "The bytes that were not UTF-8 vanished (errors='ignore'?)"
            if any("\ufffd" in g for g in got if isinstance(g, str)):
                why = "They became U+FFFD '�' although nobody asked for errors='replace'"
            fail(f"The peer sent the GBK bytes of '你好\\n世界\\n' ({hexs(gbk)}); read_lines(sock) "
                 f"with the default UTF-8 gave {short(got)} instead of raising "
                 f"UnicodeDecodeError. {why}: the reader never learns that the peer used "
                 f"another encoding. With the default errors='strict', decoding must fail "
                 f"loudly. {POLICY} {MISMATCH}")
    with receiving(gbk, every_byte(len(gbk))) as sock:
        lines_of(mod, sock, "of GBK bytes read 1 byte per recv(), read_lines(sock, 'gbk')",
                 ["你好", "世界"], "gbk")


# --- send_text / recv_text ----------------------------------------------------------------

def wire_of(mod, text: str, *encoding) -> bytes:
    with tcp_pair() as (a, b):
        mod.send_text(a, text, *encoding)
        a.shutdown(socket.SHUT_WR)
        return read_to_eof(b)


def frame(text: str, encoding: str = "utf-8") -> bytes:
    body = text.encode(encoding)
    return f"{len(body)} {encoding}\n".encode("ascii") + body


def test_send_text_header_counts_bytes(mod):
    for text, encoding in (("你好，世界 🎉", "utf-8"), ("中文", "gbk"), ("", "utf-8"), ("plain", "utf-8")):
        args = (encoding,) if encoding != "utf-8" else ()
        call = f"send_text(sock, {text!r}{', ' + repr(encoding) if args else ''})"
        wire = wire_of(mod, text, *args)
        want = frame(text, encoding)
        if wire == want:
            continue
        body = text.encode(encoding)
        head, sep, rest = wire.partition(b"\n")
        fields = head.split()
        if sep and fields and fields[0].isdigit() and int(fields[0]) == len(text) != len(body):
            fail(f"{call} sent the header {head + sep!r}, expected "
                 f"{f'{len(body)} {encoding}'.encode() + sep!r}: {len(text)} is len(text), the "
                 f"number of CHARACTERS. The body is {len(body)} bytes in {encoding} ('你' alone is "
                 f"{len('你'.encode(encoding))} bytes), so the reader stops early, in the middle "
                 f"of a character, and takes the rest for the next header. Count "
                 f"len(text.encode({encoding!r})). {SEE}")
        header = want[:len(want) - len(body)]
        fail(f"{call} wrote {hexs(wire, 24)} to the wire; expected the header "
             f"{header!r} followed by the {len(body)} body bytes "
             f"{hexs(body)}. The header is f'{{byte count}} {{encoding}}\\n' in ASCII. {SEE}")


def test_send_text_refuses_unencodable(mod):
    with tcp_pair() as (a, b):
        try:
            mod.send_text(a, "GBK has no 🎉", "gbk")
        except UnicodeEncodeError:
            pass
        else:
            fail("send_text(sock, 'GBK has no 🎉', 'gbk') returned normally; it should raise "
                 "UnicodeEncodeError: GBK cannot encode the emoji, and sending '?' instead loses "
                 "it. " + SEE)
        a.sendall(b"MARK")
        a.shutdown(socket.SHUT_WR)
        wire = read_to_eof(b)
    if wire != b"MARK":
        fail(f"send_text(sock, 'GBK has no 🎉', 'gbk') raised UnicodeEncodeError, but only after "
             f"sending {short(wire[:-4])}; it should raise before sending anything: a header "
             f"without its body leaves the reader stuck. Encode first, then send.")


def recv_one(mod, rfile, what: str):
    try:
        return mod.recv_text(rfile)
    except UnicodeDecodeError as exc:
        fail(f"recv_text() on {what} raised UnicodeDecodeError({exc}); expected the text. "
             f"Decode the body with the "
             f"encoding its header declares, not always UTF-8. {MISMATCH}")
    except TimeoutError:
        fail(f"recv_text() on {what} was still reading after {BOUND:.0f} s: it should read "
             f"exactly the "
             f"number of bytes the header declares (rfile.read(n)), no more.")


def test_recv_text_uses_declared_encoding(mod):
    messages = [("中文", "gbk"), ("中文 🎉", "utf-8"), ("", "utf-8"), ("世界", "gbk"), ("ok", "ascii")]
    wire = b"".join(frame(t, e) for t, e in messages)
    for sizes, how in ((None, "in one piece"), (every_byte(len(wire)), "1 byte per recv()")):
        with receiving(wire, sizes) as sock, sock.makefile("rb") as rfile:
            for i, (text, encoding) in enumerate(messages, 1):
                what = (f"message {i} of {len(messages)} ({frame(text, encoding)!r}, arriving {how})")
                got = recv_one(mod, rfile, what)
                if got != text:
                    fail(f"recv_text() on {what} returned {short(got)}, expected {text!r}: the "
                         f"header declares {len(text.encode(encoding))} bytes of {encoding}. "
                         f"{MISMATCH}")
            end = recv_one(mod, rfile, "a stream that the peer closed after the last message")
            if end is not None:
                fail(f"After the last message the peer closed; recv_text() returned "
                     f"{short(end)}, expected None.")
    lie = "你好世".encode("gbk")  # 6 bytes, declared as UTF-8
    with receiving(f"{len(lie)} utf-8\n".encode() + lie) as sock, sock.makefile("rb") as rfile:
        try:
            got = mod.recv_text(rfile)
        except UnicodeDecodeError:
            return
        fail(f"A message declared 'utf-8' but its 6 body bytes were GBK ({lie.hex(' ')}); "
             f"recv_text() returned {short(got)} instead of raising UnicodeDecodeError. Decode "
             f"strictly: wrong bytes must fail loudly, not turn into '�' or vanish. {MISMATCH}")


def test_recv_text_peer_closing_mid_message_raises(mod):
    for data, what in ((b"10 utf-8\n" + "你好".encode("utf-8"), "a header announcing 10 bytes, "
                        "then only 6"), (b"10 utf", "half a header")):
        with receiving(data) as sock, sock.makefile("rb") as rfile:
            try:
                got = mod.recv_text(rfile)
            except ConnectionError:
                continue
            except (UnicodeDecodeError, ValueError) as exc:
                fail(f"The peer sent {what} ({data!r}) and closed; recv_text() raised "
                     f"{type(exc).__name__}({exc}); expected ConnectionError: a message cut "
                     f"short by the peer is a ConnectionError. Check that rfile.read(n) "
                     f"returned all n bytes (and "
                     f"that the header ended with '\\n').")
            fail(f"The peer sent {what} ({data!r}) and closed; recv_text() returned "
                 f"{short(got)} instead of raising ConnectionError. rfile.read(n) returns fewer "
                 f"than n bytes only when the peer closed: check its length.")


def test_text_round_trip_chinese_and_emoji(mod):
    messages = [("你好，世界", "utf-8"), ("emoji 👋🏽🎉 and é", "utf-8"), ("中文", "gbk"),
                ("", "utf-8"), ("9.20 2 编码: str >>> bytes", "utf-8"), ("再见", "gbk")]
    for seed in (3, 4):
        with tcp_pair() as (a, b):
            for text, encoding in messages:
                mod.send_text(a, text, encoding)
            a.shutdown(socket.SHUT_WR)
            sock = fragmenting(b, seed=seed, high=5)
            with sock, sock.makefile("rb") as rfile:
                for i, (text, encoding) in enumerate(messages, 1):
                    what = (f"send_text() then recv_text(), message {i} of {len(messages)} "
                            f"({text!r} in {encoding}), read in pieces of 1..5 bytes")
                    try:
                        got = mod.recv_text(rfile)
                    except (UnicodeDecodeError, ValueError, ConnectionError) as exc:
                        fail(f"{what}: recv_text() raised {type(exc).__name__}({exc}); expected "
                             f"{text!r}. Check "
                             f"both ends: send_text()'s header must count the body's BYTES "
                             f"(with len(text) the reader stops inside a character and reads "
                             f"the rest as the next header), and recv_text() must decode with "
                             f"the encoding the header declares. {SEE}")
                    if got != text:
                        fail(f"{what}: got {short(got)}, expected {text!r}. Check that the "
                             f"header counts BYTES and names the encoding used. {SEE}")
