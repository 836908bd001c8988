"""Sticky packets (9.20 1 粘包): length-prefixed messages over real loopback TCP.

The receiving tests build their frames by hand (4-byte "!I" length + payload)
and push them through a real connection, so recv_msg() is judged on its own;
the sending tests read the raw bytes send_msg() put on the wire. Loopback
hands a quick burst to a single recv() almost every time, so the tests make
TCP's other legal behaviours happen on purpose: support.net.fragmenting caps
each recv() at k bytes (1 byte, or seeded random sizes), and a coalesced
burst is waited for with MSG_PEEK until every byte sits in the receive buffer.

Hangs are bounded: a recv_msg() that reads a body the header should have made
it refuse meets a 3 s socket timeout and fails with a sentence, not with the
grader's per-test timeout.
"""
from __future__ import annotations

import contextlib
import hashlib
import random
import socket
import struct
import tracemalloc

import pytest

from support.limits import memory_cap
from support.net import BOUND, fragmenting, tcp_pair, wait_buffered
from support.threads import in_background

TOPIC = "framing"

HEADER = struct.Struct("!I")
MAX = 16 * 1024 * 1024  # MAX_MESSAGE_SIZE, as the exercise gives it
MiB = 1024 * 1024
HANG = 3.0  # seconds a read may wait where a correct recv_msg() never waits at all

SEE = "See 9.20 1 粘包: read the 4-byte length, then exactly that many bytes."
STREAM = "TCP is a byte stream: one recv() is not one message."


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


# --- helpers for this suite ---------------------------------------------------

@contextlib.contextmanager
def connection(k: int | None = None, seed: int | None = None, high: int = 4096):
    """(sender, receiver): one loopback TCP connection.

    With k or seed, the receiver's recv() hands out at most k bytes at a time
    (or seeded random sizes in 1..high): how TCP may legally split a stream.
    """
    with tcp_pair() as (a, b):
        if k is not None or seed is not None:
            b = fragmenting(b, k=k, seed=seed or 0, high=high)
        try:
            yield a, b
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            b.close()


def read_to_eof(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


def read_raw(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n and (chunk := sock.recv(n - len(data))):
        data += chunk
    return bytes(data)


def size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:g} MiB" + ("" if n % MiB == 0 else f" ({n} bytes)")
    return f"{n} byte" + ("" if n == 1 else "s")


def a_message(n: int) -> str:
    return "an empty message" if n == 0 else f"a message of {size(n)}"


def first_difference(got: bytes, want: bytes) -> int:
    step = 65536
    for start in range(0, min(len(got), len(want)), step):
        if got[start:start + step] != want[start:start + step]:
            for i in range(start, min(start + step, len(got), len(want))):
                if got[i] != want[i]:
                    return i
    return min(len(got), len(want))


def byte_order_hint(error: str, length: int) -> str:
    """If the student's error text shows the header read little-endian, say so."""
    header = HEADER.pack(length)
    wrong = struct.unpack("<I", header)[0]
    if wrong != length and str(wrong) in error:
        return (f" Your code read the header {header.hex(' ')} as {wrong}: that is "
                f"little-endian ('<I', or native 'I'). The protocol uses network byte order: "
                f"HEADER = struct.Struct('!I') gives {length}.")
    return (f" The header was {header.hex(' ')} ({length} in network byte order): unpack it "
            f"with HEADER ('!I'), from the first 4 bytes of the message (not after bytes that "
            f"an earlier call left over or skipped).")


def explain_wrong(got, want: bytes, after: bytes, number: int, how: str) -> str:
    """Why `got` is not message #number (`want`); `after` is the stream that followed it."""
    head = f"recv_msg() call #{number} ({how}; {a_message(len(want))} expected) "
    if got is None:
        return (head + f"returned None (end of stream), but the peer had sent "
                f"{a_message(len(want))} and the connection was still open. None means only: "
                f"the peer closed the connection before the first header byte. An empty "
                f"message is b''. {SEE}")
    if not isinstance(got, (bytes, bytearray)):
        return head + f"returned a {type(got).__name__}, expected the payload as bytes. {SEE}"
    if got == want:
        return head + (f"returned the right payload, but as a {type(got).__name__}: it should "
                       f"return bytes. {SEE}")
    got = bytes(got)
    extra = len(got) - len(want)
    if extra > 0 and got.startswith(want) and after.startswith(got[len(want):]):
        whole, offset = 0, 0
        while offset + 4 <= extra:  # count the frames swallowed whole
            (length,) = HEADER.unpack(after[offset:offset + 4])
            if offset + 4 + length > extra:
                break
            offset += 4 + length
            whole += 1
        if whole:
            glued = f"the next {whole} message{'s' if whole > 1 else ''} (headers included)"
            glued += " and part of another" if offset < extra else ""
        else:
            glued = "part of the next message"
        return (head + f"returned {size(len(got))}: {a_message(len(want))} with {glued} "
                f"glued on, where the peer had sent separate messages. {STREAM} {SEE}")
    if len(got) < len(want) and want.startswith(got):
        start = "an empty message b''" if not got else f"only the first {size(len(got))}"
        return (head + f"returned {start} where the peer had sent {a_message(len(want))}. "
                f"recv(n) returns UP TO n bytes; keep reading until you have all of them. "
                f"{STREAM} {SEE}")
    if extra > 0 and got.startswith(want):
        return (head + f"returned {size(len(got))} where the peer had sent "
                f"{a_message(len(want))}: it read {size(extra)} past the end of the message. "
                f"{SEE}")
    if len(got) == len(want) + 4 and got[4:] == want:
        return (head + f"returned the 4 header bytes with the payload ({size(len(got))}); "
                f"return only the payload. {SEE}")
    if len(got) != len(want):
        return (head + f"returned {size(len(got))} where the peer had sent "
                f"{a_message(len(want))}. {SEE}")
    return (head + f"returned {size(len(got))} as expected, but they differ from the bytes "
            f"sent from offset {first_difference(got, want)} on. {SEE}")


def recv_expecting(mod, sock, want: bytes, after: bytes, number: int, how: str):
    """Call recv_msg(sock) and fail with a sentence unless it returns `want`."""
    head = f"recv_msg() call #{number} ({how}; {a_message(len(want))} expected)"
    try:
        got = mod.recv_msg(sock)
    except struct.error as exc:
        pytest.fail(f"{head} crashed unpacking the header: struct.error({exc}). The header was "
                    f"shorter than 4 bytes because recv(4) returned fewer. recv(n) returns UP TO "
                    f"n bytes: loop in recv_exactly() until you have all of them. {SEE}",
                    pytrace=False)
    except ValueError as exc:
        pytest.fail(f"{head} raised ValueError({exc}) on a valid message."
                    f"{byte_order_hint(str(exc), len(want))} {SEE}", pytrace=False)
    except ConnectionError as exc:
        pytest.fail(f"{head} raised {type(exc).__name__}({exc}), but every byte of the message "
                    f"had been sent.{byte_order_hint(str(exc), len(want))} {SEE}",
                    pytrace=False)
    except TimeoutError:
        pytest.fail(f"{head} was still waiting after {BOUND:.0f} s although every byte of the "
                    f"message had been sent: it wanted more bytes than the message has (a "
                    f"wrong length, or bytes already consumed by an earlier call). {SEE}",
                    pytrace=False)
    if got != want or type(got) is not bytes:
        pytest.fail(explain_wrong(got, want, after, number, how), pytrace=False)


def receive_all(mod, sock, payloads: list[bytes], how: str) -> None:
    frames = [frame(p) for p in payloads]
    for i, want in enumerate(payloads):
        recv_expecting(mod, sock, want, b"".join(frames[i + 1:]), i + 1, how)


class _Spinning(BaseException):
    """recv() kept returning b'' (a BaseException: `except Exception` must not hide it)."""


class EmptyReadCounter:
    """Stands in for a socket whose peer has closed: recv() gives b'' at once, every
    time, so a loop that never checks for b'' spins. After SPIN empty reads in a row
    the test stops it and says so, instead of waiting for the grader's time-out."""

    SPIN = 1000

    def __init__(self, sock):
        self._sock, self.empty = sock, 0

    def recv(self, n, *flags):
        data = self._sock.recv(n, *flags)
        self.empty = 0 if data else self.empty + 1
        if self.empty >= self.SPIN:
            raise _Spinning()
        return data

    def __getattr__(self, name):
        return getattr(self._sock, name)


def spin_message(call: str) -> str:
    return (f"{call}: recv() returned b'' {EmptyReadCounter.SPIN} times in a row and your loop "
            f"kept calling it. Once the peer has closed, recv() returns b'' at once, every time: "
            f"a loop that does not check for b'' spins for ever. It should stop there and raise "
            f"ConnectionError. {SEE}")


def expect_connection_error(mod, sock, what: str, length: int) -> None:
    """recv_msg(sock) must raise ConnectionError: the peer closed inside a message."""
    head = f"The peer sent {what}, then closed the connection; recv_msg()"
    try:
        got = mod.recv_msg(EmptyReadCounter(sock))
    except ConnectionError:
        return
    except _Spinning:
        pytest.fail(spin_message(head), pytrace=False)
    except struct.error as exc:
        pytest.fail(f"{head} crashed with struct.error({exc}) unpacking a short header. A "
                    f"close inside a message is a broken message: it should raise ConnectionError "
                    f"(recv_exactly() does, when recv() returns b'' too early). {SEE}",
                    pytrace=False)
    except ValueError as exc:
        pytest.fail(f"{head} raised ValueError({exc}), expected ConnectionError."
                    f"{byte_order_hint(str(exc), length)} {SEE}", pytrace=False)
    except TimeoutError:
        pytest.fail(f"{head} was still waiting after {BOUND:.0f} s: recv() returning b'' means "
                    f"the peer closed; it should stop reading and raise ConnectionError. {SEE}",
                    pytrace=False)
    if got is None:
        pytest.fail(f"{head} returned None, as for a clean end between messages. A close in "
                    f"the middle of a message broke it: it should raise ConnectionError. Only EOF "
                    f"before the first header byte is a clean end. {SEE}", pytrace=False)
    shown = f"{size(len(got))} ({bytes(got)[:16]!r})" if got else "b''"
    pytest.fail(f"{head} returned {shown} as if that were a message. The message was cut "
                f"short: raise ConnectionError instead of returning what arrived (b'' from "
                f"recv() means the peer closed). {SEE}", pytrace=False)


def expect_end(mod, sock, what: str) -> None:
    """The peer closed cleanly after `what`: recv_msg(sock) must return None."""
    head = f"{what}, the peer closed the connection; recv_msg()"
    try:
        got = mod.recv_msg(sock)
    except (ConnectionError, struct.error) as exc:
        pytest.fail(f"{head} raised {type(exc).__name__}({exc}), expected None. The peer "
                    f"closed BETWEEN messages (recv() returned b'' before the first header "
                    f"byte): that is the normal end of the conversation, not an error. Only a "
                    f"close inside a message is a ConnectionError. {SEE}", pytrace=False)
    except TimeoutError:
        pytest.fail(f"{head} was still waiting after {BOUND:.0f} s: recv() returning b'' means "
                    f"the peer closed; it should return None. {SEE}", pytrace=False)
    if got is not None:
        extra = (" An empty message (a header saying 0) and the end of the stream (recv() "
                 "returns b'' before any header byte) are different things: return None "
                 "for the end." if got == b"" else "")
        pytest.fail(f"{head} returned {got!r}, expected None.{extra} {SEE}", pytrace=False)


def reject_header(mod, length: int, label: str) -> None:
    """The peer sends only a header announcing `length` bytes and waits: ValueError, at once."""
    with connection() as (a, b):
        a.sendall(HEADER.pack(length))
        b.settimeout(HANG)
        head = (f"The peer sent only a header announcing {label} ({length} bytes, over "
                f"MAX_MESSAGE_SIZE = 16 MiB) and kept the connection open; recv_msg()")
        fix = ("Check the length against MAX_MESSAGE_SIZE right after unpacking the header, "
               "and raise ValueError before reading or allocating the body. A corrupt or "
               "hostile header must not make you wait for, or allocate, gigabytes. " + SEE)
        was_tracing = tracemalloc.is_tracing()
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            with memory_cap():
                got = mod.recv_msg(b)
        except ValueError:
            got = ValueError
        except TimeoutError:
            pytest.fail(f"{head} was still waiting for the body after {HANG:.0f} s: it tried "
                        f"to read a {label} body instead of rejecting the header. {fix}",
                        pytrace=False)
        except MemoryError:
            pytest.fail(f"{head} raised MemoryError: it tried to allocate a {label} body "
                        f"instead of rejecting the header. {fix}", pytrace=False)
        except ConnectionError as exc:
            pytest.fail(f"{head} raised {type(exc).__name__}({exc}), but the connection was "
                        f"open and the header complete; an over-long length is a ValueError. "
                        f"{fix}", pytrace=False)
        finally:
            peak = tracemalloc.get_traced_memory()[1] - base
            if not was_tracing:
                tracemalloc.stop()
        if got is not ValueError:
            shown = "None" if got is None else a_message(len(got))
            pytest.fail(f"{head} returned {shown} instead of raising ValueError. {fix}",
                        pytrace=False)
        if peak > MiB:
            pytest.fail(f"{head} raised ValueError, but only after allocating {size(peak)} of "
                        f"memory. {fix}", pytrace=False)


def round_trip(mod, payloads: list[bytes], what: str) -> None:
    """send_msg() each payload in a sender thread; recv_msg() them here, compare by hash."""
    with connection() as (a, b):
        b.settimeout(HANG)  # a pause this long mid-message means the rest is not coming

        def sender():
            for p in payloads:
                try:
                    mod.send_msg(a, p)
                except ValueError as exc:
                    pytest.fail(f"send_msg() raised ValueError({exc}) for a payload of "
                                f"{size(len(p))}; it should have sent it: only payloads over "
                                f"MAX_MESSAGE_SIZE = 16 MiB are refused (a payload of exactly 16 "
                                f"MiB is allowed: compare with >, not >=). {SEE}",
                                pytrace=False)

        with in_background(sender, a, "sender"):
            for i, want in enumerate(payloads):
                how = f"{what}, message {i + 1} of {len(payloads)}"
                try:
                    got = mod.recv_msg(b)
                except ValueError as exc:
                    pytest.fail(f"recv_msg() raised ValueError({exc}) for {a_message(len(want))} "
                                f"({how}); it should have returned it: only lengths over "
                                f"MAX_MESSAGE_SIZE = 16 MiB are refused (compare with >, not "
                                f">=). {SEE}", pytrace=False)
                except ConnectionError as exc:
                    pytest.fail(f"recv_msg() ({how}) raised {type(exc).__name__}({exc}) while "
                                f"the sender was still connected; expected "
                                f"{a_message(len(want))}. {SEE}", pytrace=False)
                except TimeoutError:
                    pytest.fail(f"recv_msg() ({how}) expected {a_message(len(want))}, but got "
                                f"nothing more for {HANG:.0f} s: the message never arrived "
                                f"complete. Does "
                                f"send_msg() use sendall()? send() may send only part of a big "
                                f"buffer. {SEE}", pytrace=False)
                if got is None or type(got) is not bytes or len(got) != len(want) or (
                        hashlib.sha256(got).digest() != hashlib.sha256(want).digest()):
                    rest = b"".join(frame(p) for p in payloads[i + 1:])
                    pytest.fail(explain_wrong(got, want, rest, i + 1, how), pytrace=False)


# --- recv_exactly ---------------------------------------------------------------

def test_recv_exactly_collects_fragments(mod):
    data = bytes(random.Random(3).randrange(256) for _ in range(1000))
    for k, seed, how in ((1, None, "1 byte per recv()"),
                         (None, 7, "in random pieces of 1..97 bytes")):
        with connection(k=k, seed=seed, high=97) as (a, b):
            a.sendall(data + b"TAIL")
            try:
                got = mod.recv_exactly(b, 1000)
            except TimeoutError:
                pytest.fail(f"recv_exactly(sock, 1000) was still waiting after {BOUND:.0f} s "
                            f"with 1004 bytes sent ({how}); it should have returned the first "
                            f"1000 at once. {SEE}", pytrace=False)
            if got != data:
                n = len(got) if isinstance(got, (bytes, bytearray)) else None
                if n is not None and n > 1000:
                    why = ("it read past the 1000 bytes. Never ask recv() for more than the "
                           "bytes still missing: the rest belongs to the next message.")
                else:
                    why = ("recv(n) returns UP TO n bytes: loop until you have n, asking each "
                           "time for the bytes still missing.")
                pytest.fail(f"recv_exactly(sock, 1000) with 1004 bytes arriving {how} returned "
                            f"{'a ' + type(got).__name__ if n is None else size(n)}, expected "
                            f"exactly the first 1000: {why} {SEE}", pytrace=False)
            tail = mod.recv_exactly(b, 4)
            if tail != b"TAIL":
                pytest.fail(f"After recv_exactly(sock, 1000), recv_exactly(sock, 4) returned "
                            f"{tail!r}, expected b'TAIL' (the 4 bytes sent after the 1000): the "
                            f"first call read past its 1000 bytes. Never ask recv() for more "
                            f"than the bytes still missing: the rest belongs to the next "
                            f"message. {SEE}", pytrace=False)
            if type(got) is not bytes:
                pytest.fail(f"recv_exactly() returned a {type(got).__name__}; it should return "
                            f"bytes. {SEE}", pytrace=False)


def test_recv_exactly_zero_bytes_returns_empty(mod):
    with connection() as (a, b):
        b.settimeout(HANG)
        try:
            got = mod.recv_exactly(b, 0)
        except TimeoutError:
            pytest.fail(f"recv_exactly(sock, 0) was still waiting for data after {HANG:.0f} s: "
                        f"asking for 0 bytes must return b'' at once, without reading. {SEE}",
                        pytrace=False)
        except ConnectionError as exc:
            pytest.fail(f"recv_exactly(sock, 0) raised {type(exc).__name__}({exc}) on an open "
                        f"connection: 0 of 0 bytes is complete; it should return b''. (recv(0) "
                        f"returns b'' too, which does NOT mean the peer closed.) {SEE}",
                        pytrace=False)
        if got != b"" or type(got) is not bytes:
            pytest.fail(f"recv_exactly(sock, 0) returned {got!r}, expected b''. {SEE}",
                        pytrace=False)
        a.sendall(b"xyz")
        after = mod.recv_exactly(b, 3)
        if after != b"xyz":
            pytest.fail(f"recv_exactly(sock, 0) then recv_exactly(sock, 3) returned {after!r}, "
                        f"expected b'xyz'. {SEE}", pytrace=False)


def test_recv_exactly_raises_when_peer_closes_early(mod):
    for sent, n in ((b"12345", 10), (b"", 4)):
        with connection() as (a, b):
            a.sendall(sent)
            a.shutdown(socket.SHUT_WR)
            head = (f"The peer sent {size(len(sent))} and closed; recv_exactly(sock, {n})")
            try:
                got = mod.recv_exactly(EmptyReadCounter(b), n)
            except _Spinning:
                pytest.fail(spin_message(head), pytrace=False)
            except ConnectionError as exc:
                text = str(exc)
                if str(len(sent)) not in text or str(n) not in text:
                    pytest.fail(f"{head} raised ConnectionError({text!r}); its message should "
                                f"say how many of the {n} bytes arrived, e.g. 'connection closed "
                                f"after {len(sent)} of {n} bytes'. {SEE}", pytrace=False)
                continue
            except TimeoutError:
                pytest.fail(f"{head} was still waiting after {BOUND:.0f} s. recv() returning "
                            f"b'' means the peer closed: it should stop and raise "
                            f"ConnectionError. {SEE}", pytrace=False)
            pytest.fail(f"{head} returned {got!r} instead of raising ConnectionError. recv() "
                        f"returning b'' means the peer closed before all {n} bytes came: "
                        f"raise ConnectionError('connection closed after {len(sent)} of {n} "
                        f"bytes'). {SEE}", pytrace=False)


# --- recv_msg: the stream may be split or glued anywhere --------------------------

MIXED = [b"hello", b"", b"x", bytes(range(256)), "粘包".encode("utf-8"), b"\0" * 4, b"bye" * 100]


def test_recv_msg_byte_by_byte(mod):
    with connection(k=1) as (a, b):
        a.sendall(b"".join(frame(p) for p in MIXED))
        receive_all(mod, b, MIXED, "every recv() returned 1 byte")


def test_recv_msg_random_fragments(mod):
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        payloads = [rng.randbytes(rng.choice((0, 1, 3, 4, 5, rng.randrange(900))))
                    for _ in range(30)]
        with connection(seed=seed, high=300) as (a, b):
            a.sendall(b"".join(frame(p) for p in payloads))
            receive_all(mod, b, payloads, f"random recv() sizes 1..300, seed {seed}")


def test_recv_msg_coalesced(mod):
    payloads = [b"ping", b"pong", b"ping", b"a longer message: " + b"z" * 50]
    burst = b"".join(frame(p) for p in payloads)
    with connection() as (a, b):
        a.sendall(burst)  # ONE sendall: four messages, one burst of bytes
        wait_buffered(b, len(burst))  # all of it waits in b's buffer: one recv() gets it all
        receive_all(mod, b, payloads, f"all {len(payloads)} messages sent in one sendall()")


# --- sizes ----------------------------------------------------------------------

def test_big_message_round_trip(mod):
    big = random.Random(8).randbytes(8 * MiB)
    round_trip(mod, [big, b"after the big one"], "8 MiB of random bytes, then a small message")


def test_max_size_message_is_accepted(mod):
    round_trip(mod, [bytes(range(256)) * (MAX // 256)], "exactly MAX_MESSAGE_SIZE = 16 MiB")


def test_absurd_length_header_is_rejected(mod):
    reject_header(mod, 0xFFFFFFFF, "4 GB")


def test_length_just_over_limit_is_rejected(mod):
    reject_header(mod, MAX + 1, "16 MiB + 1 byte")


def test_send_msg_rejects_oversized_payload(mod):
    with connection() as (a, b):
        a.settimeout(HANG)
        head = "send_msg(sock, payload) with a payload of 16 MiB + 1 byte (MAX_MESSAGE_SIZE + 1)"
        try:
            mod.send_msg(a, bytes(MAX + 1))
        except ValueError:
            pass
        except TimeoutError:
            pytest.fail(f"{head} was still sending after {HANG:.0f} s (nobody was reading): it "
                        f"must check len(payload) against MAX_MESSAGE_SIZE and raise ValueError "
                        f"before sending anything. {SEE}", pytrace=False)
        else:
            pytest.fail(f"{head} returned without raising ValueError; it should check "
                        f"len(payload) against MAX_MESSAGE_SIZE before sending. {SEE}",
                        pytrace=False)
        a.sendall(b"MARK")  # TCP keeps order: whatever send_msg() sent comes before this
        first = read_raw(b, 4)
        if first != b"MARK":
            pytest.fail(f"{head} raised ValueError, but only after putting bytes on the wire "
                        f"(the peer read {first.hex(' ')} before the test's own next bytes): "
                        f"it must check the size before sending anything. {SEE}", pytrace=False)


# --- the two ends of a conversation ----------------------------------------------

def test_empty_message_is_not_end_of_stream(mod):
    with connection() as (a, b):
        a.sendall(frame(b"") + frame(b"x") + frame(b""))
        a.shutdown(socket.SHUT_WR)
        receive_all(mod, b, [b"", b"x", b""], "three messages b'', b'x', b''")
        expect_end(mod, b, "After the three messages b'', b'x', b''")


def test_clean_eof_returns_none(mod):
    with connection() as (a, b):
        a.shutdown(socket.SHUT_WR)
        expect_end(mod, b, "Without sending anything")
    with connection() as (a, b):
        a.sendall(frame(b"last words"))
        a.shutdown(socket.SHUT_WR)
        receive_all(mod, b, [b"last words"], "one message, then the peer closed")
        expect_end(mod, b, "After one message (which recv_msg() returned)")


def test_peer_closing_mid_header_raises(mod):
    with connection() as (a, b):
        a.sendall(HEADER.pack(10)[:2])
        a.shutdown(socket.SHUT_WR)
        expect_connection_error(mod, b, "2 of the 4 header bytes (00 00)", 10)


def test_peer_closing_mid_body_raises(mod):
    with connection() as (a, b):
        a.sendall(HEADER.pack(10) + b"abcd")
        a.shutdown(socket.SHUT_WR)
        expect_connection_error(mod, b, "a header announcing 10 bytes, then only 4 of them",
                                10)


# --- the bytes on the wire -----------------------------------------------------------

def test_send_msg_wire_format(mod):
    payloads = [b"abc", b"", bytes(300)]
    want = b"".join(frame(p) for p in payloads)
    with connection() as (a, b):
        for p in payloads:
            mod.send_msg(a, p)
        a.shutdown(socket.SHUT_WR)
        wire = read_to_eof(b)
    if wire == want:
        return
    calls = "send_msg(sock, b'abc'), send_msg(sock, b''), send_msg(sock, bytes(300))"
    if wire[:4] in (struct.pack("<I", 3), struct.pack("<Q", 3)[:4]):
        pytest.fail(f"{calls} wrote {wire[:7].hex(' ')} first to the wire, expected "
                    f"{want[:7].hex(' ')}: the length is little-endian (host byte order, "
                    f"'<I', '=I' or 'I'). The protocol says network byte order: pack with "
                    f"HEADER = struct.Struct('!I'). {SEE}", pytrace=False)
    offset = first_difference(wire, want)
    pytest.fail(f"{calls} wrote {size(len(wire))} to the wire, expected {size(len(want))}: "
                f"each message as a 4-byte big-endian length ('!I') followed by the payload. "
                f"First difference at byte {offset}: got {wire[offset:offset + 8].hex(' ')}, "
                f"expected {want[offset:offset + 8].hex(' ')}. {SEE}", pytrace=False)
