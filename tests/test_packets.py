"""The protocol stack from raw bytes (9.26 1 互联网协议): Ethernet II, IPv4, UDP, TCP.

Pure computation: no sockets, no threads. Two kinds of input:

- CAPTURES: seven real-looking frames, as hex, with every field and checksum
  known. They were made with scapy 2.8.0, decoded again with dpkt 1.9.8 (an
  independent decoder), and every checksum was re-checked with the RFC 1071
  arithmetic below (ref_checksum, written differently from the usual fold
  loop: the one's complement sum is the plain sum modulo 0xFFFF). They cover
  IPv4 options (IHL 6 and IHL 15), odd payload lengths (DNS's 29 bytes),
  Ethernet padding of short frames, and TCP options.
- generated frames: the suite's own builder (struct, "!" formats) makes
  seeded random headers, with random options and odd and even lengths.

The suite never uses the student's builder to check the student's parser, or
the other way round: each is judged against the suite's own bytes.
"""
from __future__ import annotations

import random
import re
import struct

from support import student

TOPIC = "packets"

SEE = "See 9.26 1 互联网协议 (the layers of the stack)."
ORDER = ("Every multi-byte field is big-endian (network byte order): use '!' formats in "
         "struct ('!H', '!I'); '<H', '=H' or plain 'H' read the bytes backwards on x86.")
IHL = ("IHL (the low 4 bits of byte 0) counts 32-bit WORDS: the IPv4 header is IHL * 4 bytes, "
       "20 to 60, and the options sit between byte 20 and byte IHL*4. Do not assume 20.")
PADDING = ("Ethernet pads frames shorter than 60 bytes with zeros: the IPv4 payload ends at "
           "total_length, not at the end of the frame.")
RFC1071 = ("The Internet checksum (RFC 1071): sum the 16-bit big-endian words, fold every "
           "carry above bit 15 back in (while total >> 16: total = (total & 0xFFFF) + "
           "(total >> 16)), and return ~total & 0xFFFF. An odd last byte is padded with a zero "
           "byte AFTER it (it is the HIGH byte of its word).")
PSEUDO = ("The UDP checksum covers a 12-byte pseudo-header first: src IP (4), dst IP (4), a zero "
          "byte, protocol 17, the UDP length (2); then the UDP header with its checksum field "
          "counted as 0, then the data.")


# --- the captures (see the module docstring) ---------------------------------------------

CAPTURES = {
    # DNS query for example.com: 192.168.1.10:54321 -> 8.8.8.8:53, 29-byte (odd) payload
    "dns": "001a2b3c4d5e3c22fb1234560800450000391c46400040114cacc0a8010a08080808d4310035"
           "0025de3fabcd01000001000000000000076578616d706c6503636f6d0000010001",
    # TCP SYN to port 80, options MSS 1460, SACK permitted, timestamps, NOP, window scale 7
    "syn": "001a2b3c4d5e3c22fb12345608004500003c3a7b4000400608b4c0a8010a5db8d822c7380050"
           "5f3e2a1000000000a002faf053310000020405b40402080aa9e007990000000001030307",
    # the HTTP request: PSH+ACK, options NOP NOP timestamps (data offset 8), 37 bytes of data
    "get": "001a2b3c4d5e3c22fb1234560800450000593a7c400040060896c0a8010a5db8d822c7380050"
           "5f3e2a111b2c3d4e801801f6a42700000101080aa9e007b455eedf6a474554202f2048545450"
           "2f312e310d0a486f73743a206578616d706c652e636f6d0d0a0d0a",
    # the server's bare ACK: 54 bytes, padded to Ethernet's 60 with 6 zero bytes
    "ack_padded": "3c22fb123456001a2b3c4d5e0800450000280d21400038063e225db8d822c0a8010a0050c738"
                  "1b2c3d4e5f3e2a35501004000ad10000000000000000",
    # mDNS-style UDP with the IPv4 Router Alert option (IHL 6), 5-byte payload, padded frame
    "ra": "01005e0000fb3c22fb1234560800460000250001000001118215c0a8010ae00000fb9404000014e9"
          "14e9000d3ece6f64642121000000000000000000",
    # UDP with a Record Route option for 9 hops: the largest IPv4 header, IHL 15 = 60 bytes
    "rr": "001a2b3c4d5e3c22fb12345608004f0000484242000040110f3a0a0000010a00000207270400"
          "0000000000000000000000000000000000000000000000000000000000000000000000009c40"
          "0007000c70bb70696e67",
    # ICMP echo request (protocol 1): no UDP, no TCP; padded frame
    "ping": "001a2b3c4d5e3c22fb12345608004500002477aa40004001f16cc0a8010a080808080800543512"
            "340001616263646566676800000000000000000000",
}
FRAME = {name: bytes.fromhex(hexdump) for name, hexdump in CAPTURES.items()}

DNS_QUERY = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")
HTTP_GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"

# Every field of every capture, as the exercise's dataclasses should hold them.
ETH_WANT = {
    "dns": dict(dst="00:1a:2b:3c:4d:5e", src="3c:22:fb:12:34:56", ethertype=0x0800),
    "ack_padded": dict(dst="3c:22:fb:12:34:56", src="00:1a:2b:3c:4d:5e", ethertype=0x0800),
    "ra": dict(dst="01:00:5e:00:00:fb", src="3c:22:fb:12:34:56", ethertype=0x0800),
}
IP_WANT = {
    "dns": dict(version=4, ihl=5, tos=0, total_length=57, identification=0x1C46, flags=2,
                fragment_offset=0, ttl=64, protocol=17, checksum=0x4CAC, src="192.168.1.10",
                dst="8.8.8.8", options=b""),
    "syn": dict(version=4, ihl=5, total_length=60, identification=0x3A7B, flags=2, ttl=64,
                protocol=6, checksum=0x08B4, src="192.168.1.10", dst="93.184.216.34", options=b""),
    "get": dict(version=4, ihl=5, total_length=89, identification=0x3A7C, flags=2, ttl=64,
                protocol=6, checksum=0x0896, src="192.168.1.10", dst="93.184.216.34", options=b""),
    "ack_padded": dict(ihl=5, total_length=40, identification=0x0D21, ttl=56, protocol=6,
                       checksum=0x3E22, src="93.184.216.34", dst="192.168.1.10", options=b""),
    "ra": dict(version=4, ihl=6, tos=0, total_length=37, identification=1, flags=0,
               fragment_offset=0, ttl=1, protocol=17, checksum=0x8215, src="192.168.1.10",
               dst="224.0.0.251", options=bytes.fromhex("94040000")),
    "rr": dict(version=4, ihl=15, total_length=72, identification=0x4242, flags=0, ttl=64,
               protocol=17, checksum=0x0F3A, src="10.0.0.1", dst="10.0.0.2",
               options=bytes.fromhex("072704") + bytes(37)),
    "ping": dict(ihl=5, total_length=36, protocol=1, checksum=0xF16C, src="192.168.1.10",
                 dst="8.8.8.8"),
}
UDP_WANT = {
    "dns": dict(src_port=54321, dst_port=53, length=37, checksum=0xDE3F, payload=DNS_QUERY),
    "ra": dict(src_port=5353, dst_port=5353, length=13, checksum=0x3ECE, payload=b"odd!!"),
    "rr": dict(src_port=40000, dst_port=7, length=12, checksum=0x70BB, payload=b"ping"),
}
TCP_WANT = {
    "syn": dict(src_port=51000, dst_port=80, seq=0x5F3E2A10, ack=0, data_offset=10, flags=0x02,
                window=64240, checksum=0x5331, urgent=0,
                options=bytes.fromhex("020405b40402080aa9e007990000000001030307"), payload=b""),
    "get": dict(src_port=51000, dst_port=80, seq=0x5F3E2A11, ack=0x1B2C3D4E, data_offset=8,
                flags=0x18, window=502, checksum=0xA427, urgent=0,
                options=bytes.fromhex("0101080aa9e007b455eedf6a"), payload=HTTP_GET),
    "ack_padded": dict(src_port=80, dst_port=51000, seq=0x1B2C3D4E, ack=0x5F3E2A35,
                       data_offset=5, flags=0x10, window=1024, checksum=0x0AD1, options=b"",
                       payload=b""),
}
WHAT = {
    "dns": "the DNS query capture (UDP, IHL 5, 29-byte payload)",
    "syn": "the TCP SYN capture (data offset 10: 20 bytes of TCP options)",
    "get": "the HTTP GET capture (TCP, data offset 8, 37 bytes of data)",
    "ack_padded": "the bare-ACK capture (54 bytes padded to 60 by Ethernet)",
    "ra": "the Router Alert capture (IPv4 options, IHL 6; UDP payload b'odd!!'; padded frame)",
    "rr": "the Record Route capture (IPv4 options, IHL 15: a 60-byte IP header)",
    "ping": "the ICMP echo capture (protocol 1; padded frame)",
}


def ip_packet(name: str) -> bytes:
    return FRAME[name][14:]


def ip_payload(name: str) -> bytes:
    """The transport bytes of a capture: after the IP header, up to total_length."""
    ihl = IP_WANT[name]["ihl"]
    return ip_packet(name)[ihl * 4:IP_WANT[name]["total_length"]]


# --- the suite's own reference code --------------------------------------------------------

def ref_checksum(data: bytes) -> int:
    """RFC 1071 by the modulo route: the one's complement sum of the words is their
    plain sum mod 0xFFFF (0xFFFF rather than 0 for a non-zero sum)."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    folded = total % 0xFFFF or (0xFFFF if total else 0)
    return ~folded & 0xFFFF


def addr(text: str) -> bytes:
    return bytes(int(p) for p in text.split("."))


def pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    return addr(src) + addr(dst) + bytes([0, proto]) + length.to_bytes(2, "big")


def build_ip(src: str, dst: str, proto: int, payload: bytes, *, options: bytes = b"",
             ident: int = 0, ttl: int = 64, flags: int = 2, frag: int = 0, tos: int = 0) -> bytes:
    assert len(options) % 4 == 0 and len(options) <= 40
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 4 << 4 | ihl, tos, total, ident, flags << 13 | frag,
                         ttl, proto, 0, addr(src), addr(dst)) + options
    header = header[:10] + ref_checksum(header).to_bytes(2, "big") + header[12:]
    return header + payload


def build_udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    segment = struct.pack("!HHHH", sport, dport, length, 0) + payload
    checksum = ref_checksum(pseudo(src, dst, 17, length) + segment) or 0xFFFF
    return segment[:6] + checksum.to_bytes(2, "big") + segment[8:]


def build_tcp(src: str, dst: str, sport: int, dport: int, payload: bytes, *, seq: int, ack: int,
              flags: int, window: int, options: bytes = b"", urgent: int = 0) -> bytes:
    offset = 5 + len(options) // 4
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0,
                          urgent) + options + payload
    checksum = ref_checksum(pseudo(src, dst, 6, len(segment)) + segment)
    return segment[:16] + checksum.to_bytes(2, "big") + segment[18:]


def build_frame(ip: bytes, dst: str = "00:1a:2b:3c:4d:5e", src: str = "3c:22:fb:12:34:56",
                ethertype: int = 0x0800) -> bytes:
    frame = bytes.fromhex(dst.replace(":", "") + src.replace(":", "")) + ethertype.to_bytes(2, "big") + ip
    return frame + bytes(max(0, 60 - len(frame)))  # Ethernet's minimum frame (without FCS)


def random_ip(rng: random.Random) -> str:
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def random_options(rng: random.Random, words: int) -> bytes:
    """`words` 32-bit words of plausible options: NOPs, a Router Alert, random bytes, EOL."""
    raw = bytearray()
    while len(raw) < words * 4:
        kind = rng.random()
        if kind < 0.3:
            raw += b"\x01"
        elif kind < 0.5:
            raw += b"\x94\x04\x00\x00"
        else:
            raw += bytes([rng.randrange(256)])
    return bytes(raw[:words * 4])


# --- helpers for messages ------------------------------------------------------------------


def fail(msg: str):
    student.fail(msg, " " + SEE, unless=r"9\.26\ 1")


def attempt(fn, *args, **kwargs):
    """('ok', value) or ('raised', exception); the stub's NotImplementedError and a
    missing name (AssertionError from the mod fixture) go straight through."""
    try:
        return "ok", fn(*args, **kwargs)
    except (NotImplementedError, AssertionError):
        raise
    except Exception as exc:  # noqa: BLE001 -- judged by the caller
        return "raised", exc


def swapped_numbers(args) -> set[int]:
    """16-bit words (at even offsets) of the byte strings in `args`, read little-endian,
    that are not also some word's big-endian value."""
    big, little = set(), set()
    for arg in args:
        if isinstance(arg, (bytes, bytearray)):
            for i in range(0, min(len(arg), 80) - 1, 2):
                big.add(int.from_bytes(arg[i:i + 2], "big"))
                little.add(int.from_bytes(arg[i:i + 2], "little"))
    return little - big


def call(what: str, fn, *args, hint: str = "", **kwargs):
    """fn(*args) on valid input: its value, or a failure naming the exception."""
    kind, got = attempt(fn, *args, **kwargs)
    if kind == "raised":
        if isinstance(got, struct.error):
            hint = (" struct.error usually means a format that does not match the bytes given: "
                    "count the bytes of each field, and slice the header out first." + hint)
        elif isinstance(got, ValueError):
            numbers = {int(n) for n in re.findall(r"\d+", str(got)) if int(n) >= 256}
            if numbers & swapped_numbers(args):
                hint = (f" A number in that message is a 16-bit field read with its bytes "
                        f"swapped. {ORDER}" + hint)
            elif not hint:
                hint = (" A valid input was refused: check the length checks (header lengths "
                        "are in 32-bit words: multiply by 4) and the byte order.")
        fail(f"{what} raised {type(got).__name__}({got}) on valid input, which it should "
             f"accept.{hint} {SEE}")
    return got


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def an(name: str) -> str:
    return ("an " if name[:1].upper() in "AEIOU" else "a ") + name


def checksum_diagnosis(got, data: bytes) -> str:
    """Name the usual mistake whose result `got` is, for RFC 1071 over `data`."""
    if not isinstance(got, int):
        return ""
    padded = data + b"\x00" * (len(data) % 2)
    words = struct.unpack(f"!{len(padded) // 2}H", padded)
    if got == ~sum(words) & 0xFFFF and sum(words) > 0xFFFF:
        return (" That is the complement of the sum with its carries DROPPED: add every carry "
                "above bit 15 back into the sum (end-around carry).")
    if len(data) % 2 and got in (ref_checksum(data[:-1]), ref_checksum(data[:-1]) or 0xFFFF):
        return " That leaves out the odd last byte: it still counts, as the high byte of a word."
    if len(data) % 2 and got in (ref_checksum(data[:-1] + b"\x00" + data[-1:]),
                                 ref_checksum(data[:-1] + b"\x00" + data[-1:]) or 0xFFFF):
        return (" That counts the odd last byte as the LOW byte of its word; it is the HIGH "
                "byte (pad with a zero byte after it, not before).")
    swapped = struct.unpack(f"<{len(padded) // 2}H", padded)
    total = sum(swapped)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    if got == ~total & 0xFFFF != ref_checksum(data):
        return f" That sums the words little-endian. {ORDER}"
    return ""


def udp_diagnosis(got, src: str, dst: str, segment: bytes) -> str:
    zeroed = segment[:6] + b"\0\0" + segment[8:]
    if isinstance(got, int) and got in (ref_checksum(zeroed), ref_checksum(zeroed) or 0xFFFF):
        return " That is the checksum of the UDP datagram alone, without the pseudo-header."
    as_is = ref_checksum(pseudo(src, dst, 17, len(segment)) + segment)
    if segment[6:8] != b"\0\0" and isinstance(got, int) and got in (as_is, as_is or 0xFFFF):
        return (" That counts the checksum field as it is in the datagram; it must be counted "
                "as 0 (the sender computes the checksum before filling it in).")
    return checksum_diagnosis(got, pseudo(src, dst, 17, len(segment)) + zeroed)


SIZES = {"ethertype": 2, "total_length": 2, "identification": 2, "checksum": 2, "src_port": 2,
         "dst_port": 2, "length": 2, "window": 2, "urgent": 2, "seq": 4, "ack": 4}


def show(data: bytes) -> str:
    return data.hex(" ") if data else 'b""'


def describe_bytes(got: bytes, want: bytes) -> str:
    if len(got) <= 24 and len(want) <= 24:
        return f"{show(got)} ({len(got)} bytes), expected {show(want)} ({len(want)} bytes)"
    diff = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return (f"{len(got)} bytes, expected {len(want)}" +
            (f"; first difference at offset {diff}" if got[:len(want)] != want[:len(got)] else
             "; one is a prefix of the other"))


def field_hint(layer: str, field: str, got, want, extra: str) -> str:
    if isinstance(got, int) and isinstance(want, int) and field in SIZES:
        n = SIZES[field]
        if 0 <= got < 1 << (8 * n) and got == int.from_bytes(want.to_bytes(n, "big"), "little") != want:
            return f" That is the right bytes in the wrong order. {ORDER}"
    if isinstance(got, (bytes, bytearray)) and isinstance(want, bytes):
        got = bytes(got)
        if field == "payload" and layer == "IPv4" and len(got) > len(want) and got.startswith(want):
            return f" The extra bytes at the end are Ethernet padding. {PADDING}"
        if field == "payload" and len(got) > len(want) and got.endswith(want):
            return (f" The {len(got) - len(want)} extra bytes at the start are the header's "
                    f"options: the header is longer than 20 bytes here. "
                    + (IHL if layer == "IPv4" else "The TCP data offset (the high 4 bits of "
                       "byte 12) counts 32-bit words, like IHL: the payload starts at "
                       "data_offset * 4."))
        if field == "payload" and len(got) < len(want) and want.endswith(got):
            return " It starts too late: check the header length."
        if field == "options" and not got and want:
            return " " + (IHL if layer == "IPv4" else
                          "The TCP options are bytes 20 .. data_offset * 4 (data offset: the "
                          "high 4 bits of byte 12, in 32-bit words).")
    if field in ("flags", "fragment_offset") and layer == "IPv4":
        return (" Bytes 6-7, read as one '!H': flags = value >> 13 (3 bits), fragment_offset = "
                "value & 0x1FFF (13 bits).")
    if field in ("version", "ihl"):
        return " Byte 0: version = byte >> 4, ihl = byte & 0x0F."
    if field == "data_offset":
        return " Byte 12: data_offset = byte >> 4 (32-bit words)."
    if field in ("dst", "src") and layer == "Ethernet":
        return " MACs are written as six lowercase two-digit hex bytes joined by ':'."
    return extra


def check_fields(obj, want: dict, layer: str, what: str, extra: str = "") -> None:
    if obj is None:
        fail(f"{what} returned None, expected a {layer} header. {SEE}")
    for field, value in want.items():
        if not hasattr(obj, field):
            fail(f"{what} returned {type(obj).__name__} without the field {field!r}: return "
                 f"the {layer} dataclass given in the exercise. {SEE}")
        got = getattr(obj, field)
        if got == value and type(got) is type(value):
            continue
        if got == value:
            fail(f"{what}: {layer}.{field} came back as a {type(got).__name__}, expected "
                 f"{type(value).__name__} ({value!r}).")
        if isinstance(value, bytes) and isinstance(got, (bytes, bytearray)):
            shown = describe_bytes(bytes(got), value)
        elif isinstance(value, int) and isinstance(got, int) and field not in ("ttl", "ihl", "version"):
            shown = f"{got} ({got:#x}), expected {value} ({value:#x})"
        else:
            shown = f"{got!r}, expected {value!r}"
        fail(f"{what}: {layer}.{field} came back as {shown}."
             f"{field_hint(layer, field, got, value, extra)} "
             f"{SEE}")


def expect_value_error(what: str, fn, *args, why: str = "", quote: str | None = None) -> None:
    kind, got = attempt(fn, *args)
    if kind == "ok":
        shown = (an(type(got).__name__) if got is not None and not isinstance(got, (bool, int, str))
                 else repr(got))
        fail(f"{what} returned {shown}, expected ValueError: {why}")
    if isinstance(got, struct.error):
        fail(f"{what} raised struct.error({got}), expected ValueError: {why} Check the length "
             f"before unpacking, and raise ValueError yourself.")
    if not isinstance(got, ValueError):
        fail(f"{what} raised {type(got).__name__}({got}), expected ValueError: {why}")
    if quote is not None and repr(quote) not in str(got) and (not quote or quote not in str(got)):
        fail(f"{what} raised ValueError({str(got)!r}); the message should name the input "
             f"({quote!r}), e.g. \"unknown protocol {quote!r}\".")


# --- the Internet checksum --------------------------------------------------------------------

WIKIPEDIA_HEADER = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")  # checksum field 0


def test_internet_checksum_known_values(mod):
    cases = [
        (bytes.fromhex("0001f203f4f5f6f7"), 0x220D, "RFC 1071's own example (section 3)"),
        (WIKIPEDIA_HEADER, 0xB861, "the classic IPv4 header example, checksum field zeroed"),
        (WIKIPEDIA_HEADER[:10] + b"\xb8\x61" + WIKIPEDIA_HEADER[12:], 0,
         "the same header WITH its checksum: a valid header checksums to 0"),
        (b"", 0xFFFF, "no data: the sum is 0, its complement 0xFFFF"),
        (b"\x00\x01", 0xFFFE, "one word 0x0001"),
        (b"\xff\xff\x00\x01", 0xFFFE,
         "0xFFFF + 0x0001 = 0x10000: the carry is folded back in, giving 0x0001"),
        (b"\x01", 0xFEFF, "one odd byte: padded AFTER it, so the word is 0x0100"),
    ]
    for data, want, why in cases:
        got = call(f"internet_checksum(bytes.fromhex({data.hex()!r}))", mod.internet_checksum, data)
        if got != want:
            shown = f"{got:#06x}" if isinstance(got, int) else repr(got)
            fail(f"internet_checksum(bytes.fromhex({data.hex()!r})) returned {shown}, expected "
                 f"{want:#06x}: {why}.{checksum_diagnosis(got, data)} {RFC1071}")


def test_internet_checksum_folds_carries(mod):
    rng = random.Random(1071)
    for _ in range(200):
        length = 2 * rng.randrange(1, 300)
        # many high bytes: every sum carries out of bit 15, often more than once
        data = bytes(rng.choice((0xFF, 0xFE, 0x80, rng.randrange(256))) for _ in range(length))
        want = ref_checksum(data)
        got = call(f"internet_checksum() on {length} bytes", mod.internet_checksum, data)
        if got != want:
            words = struct.unpack(f"!{length // 2}H", data)
            hint = checksum_diagnosis(got, data)
            fail(f"internet_checksum() on {length} bytes (seeded, mostly 0xFF bytes, so the "
                 f"word sum {sum(words):#x} carries past 16 bits) returned "
                 f"{got if not isinstance(got, int) else hex(got)}, expected {want:#06x}.{hint} "
                 f"{RFC1071}")


def test_internet_checksum_odd_lengths(mod):
    rng = random.Random(3)
    lengths = [1, 3, 5, 7, 9, 19, 21] + [2 * rng.randrange(0, 400) + 1 for _ in range(100)]
    for length in lengths:
        data = bytes(rng.randrange(256) for _ in range(length))
        want = ref_checksum(data)
        got = call(f"internet_checksum() on {plural(length, 'byte')}", mod.internet_checksum, data)
        if got != want:
            hint = checksum_diagnosis(got, data)
            fail(f"internet_checksum() on {plural(length, 'byte')} (an odd length) returned "
                 f"{got if not isinstance(got, int) else hex(got)}, expected {want:#06x}.{hint} "
                 f"{RFC1071}")


# --- parsing, layer by layer --------------------------------------------------------------------

def test_parse_ethernet_header(mod):
    for name, want in ETH_WANT.items():
        eth = call(f"parse_ethernet() on {WHAT[name]}", mod.parse_ethernet, FRAME[name])
        check_fields(eth, {**want, "payload": FRAME[name][14:]}, "Ethernet",
                     f"parse_ethernet() on {WHAT[name]}",
                     " Ethernet II: dst MAC (6 bytes), src MAC (6), EtherType (2); the payload "
                     "is everything after byte 14.")
    expect_value_error("parse_ethernet() on 13 bytes", mod.parse_ethernet, FRAME["dns"][:13],
                       why="an Ethernet header needs 14 bytes.")


def test_parse_ipv4_header_fields(mod):
    for name in ("dns", "syn", "ack_padded", "ping"):
        ip = call(f"parse_ipv4() on {WHAT[name]}", mod.parse_ipv4, ip_packet(name))
        check_fields(ip, {**IP_WANT[name], "payload": ip_payload(name)}, "IPv4",
                     f"parse_ipv4() on the IP packet of {WHAT[name]}")
    rng = random.Random(791)
    for _ in range(300):
        fields = dict(ident=rng.randrange(65536), ttl=rng.randrange(256), tos=rng.randrange(256),
                      flags=rng.randrange(8), frag=rng.randrange(8192))
        src, dst, proto = random_ip(rng), random_ip(rng), rng.choice((1, 6, 17, 47, 89))
        payload = rng.randbytes(rng.randrange(0, 100))
        packet = build_ip(src, dst, proto, payload, **fields)
        ip = call("parse_ipv4() on a generated packet", mod.parse_ipv4, packet)
        want = dict(version=4, ihl=5, tos=fields["tos"], total_length=len(packet),
                    identification=fields["ident"], flags=fields["flags"],
                    fragment_offset=fields["frag"], ttl=fields["ttl"], protocol=proto,
                    checksum=int.from_bytes(packet[10:12], "big"), src=src, dst=dst,
                    options=b"", payload=payload)
        check_fields(ip, want, "IPv4", f"parse_ipv4() on a generated packet ({src} -> {dst}, "
                     f"protocol {proto}, flags {fields['flags']}, fragment offset "
                     f"{fields['frag']}, bytes 0-19: {packet[:20].hex(' ')})")


def test_parse_ipv4_with_options(mod):
    for name in ("ra", "rr"):
        ip = call(f"parse_ipv4() on {WHAT[name]}", mod.parse_ipv4, ip_packet(name))
        check_fields(ip, {**IP_WANT[name], "payload": ip_payload(name)}, "IPv4",
                     f"parse_ipv4() on the IP packet of {WHAT[name]}")
    rng = random.Random(15)
    for _ in range(200):
        words = rng.randrange(0, 11)
        options = random_options(rng, words)
        src, dst = random_ip(rng), random_ip(rng)
        payload = rng.randbytes(rng.randrange(0, 60))
        packet = build_ip(src, dst, 17, payload, options=options, ident=rng.randrange(65536))
        ip = call(f"parse_ipv4() on a generated packet with IHL {5 + words}", mod.parse_ipv4, packet)
        check_fields(ip, dict(ihl=5 + words, total_length=len(packet), src=src, dst=dst,
                              options=options, payload=payload), "IPv4",
                     f"parse_ipv4() on a generated packet with IHL {5 + words} "
                     f"({len(options)} bytes of options)")


def test_parse_ipv4_drops_ethernet_padding(mod):
    for name in ("ack_padded", "ra", "ping"):
        packet = ip_packet(name)
        ip = call(f"parse_ipv4() on {WHAT[name]}", mod.parse_ipv4, packet)
        want = ip_payload(name)
        check_fields(ip, {"total_length": IP_WANT[name]["total_length"], "payload": want}, "IPv4",
                     f"parse_ipv4() on the IP packet of {WHAT[name]}: {len(packet)} bytes after "
                     f"the Ethernet header, of which total_length = "
                     f"{IP_WANT[name]['total_length']} are the IP packet", PADDING)


def test_parse_udp_header(mod):
    for name, want in UDP_WANT.items():
        udp = call(f"parse_udp() on the UDP datagram of {WHAT[name]}", mod.parse_udp,
                   ip_payload(name))
        check_fields(udp, want, "UDP", f"parse_udp() on the UDP datagram of {WHAT[name]}")
    udp = call("parse_udp() on a datagram followed by 3 stray bytes", mod.parse_udp,
               ip_payload("rr") + b"xyz")
    check_fields(udp, UDP_WANT["rr"], "UDP", "parse_udp() on the Record Route capture's datagram "
                 "followed by 3 stray bytes", " The UDP payload is bytes 8 .. length (the length "
                 "field), whatever follows.")


def test_parse_tcp_with_options(mod):
    for name, want in TCP_WANT.items():
        tcp = call(f"parse_tcp() on the TCP segment of {WHAT[name]}", mod.parse_tcp,
                   ip_payload(name))
        check_fields(tcp, want, "TCP", f"parse_tcp() on the TCP segment of {WHAT[name]}")
    rng = random.Random(793)
    for _ in range(200):
        words = rng.randrange(0, 11)
        options = random_options(rng, words)
        payload = rng.randbytes(rng.randrange(0, 50))
        fields = dict(seq=rng.randrange(2**32), ack=rng.randrange(2**32), flags=rng.randrange(256),
                      window=rng.randrange(65536), urgent=rng.randrange(65536))
        segment = build_tcp("10.0.0.1", "10.0.0.2", rng.randrange(65536), rng.randrange(65536),
                            payload, options=options, **fields)
        tcp = call("parse_tcp() on a generated segment", mod.parse_tcp, segment)
        want = dict(src_port=int.from_bytes(segment[0:2], "big"),
                    dst_port=int.from_bytes(segment[2:4], "big"), seq=fields["seq"],
                    ack=fields["ack"], data_offset=5 + words, flags=fields["flags"],
                    window=fields["window"], checksum=int.from_bytes(segment[16:18], "big"),
                    urgent=fields["urgent"], options=options, payload=payload)
        check_fields(tcp, want, "TCP", f"parse_tcp() on a generated segment with data offset "
                     f"{5 + words} (bytes 0-19: {segment[:20].hex(' ')})")


def test_parse_frame_known_captures(mod):
    for name in CAPTURES:
        what = f"parse_frame() on {WHAT[name]}"
        hint = (f" The transport header starts right after the IPv4 header, which is "
                f"{IP_WANT[name]['ihl'] * 4} bytes here. {IHL}" if IP_WANT[name]["ihl"] > 5 else "")
        result = call(what, mod.parse_frame, FRAME[name], hint=hint)
        if not isinstance(result, tuple) or len(result) != 3:
            fail(f"{what} returned {type(result).__name__} {result!r:.100}, expected a tuple "
                 f"(ethernet, ipv4, transport). {SEE}")
        eth, ip, transport = result
        check_fields(eth, {"ethertype": 0x0800, "payload": FRAME[name][14:]}, "Ethernet", what)
        check_fields(ip, {**IP_WANT[name], "payload": ip_payload(name)}, "IPv4", what)
        if name in UDP_WANT:
            if type(transport).__name__ != "UDP":
                fail(f"{what} returned {type(transport).__name__} as the transport, expected a "
                     f"UDP (protocol 17). Parse the transport from ip.payload: the bytes after "
                     f"the IHL*4-byte header. {SEE}")
            check_fields(transport, UDP_WANT[name], "UDP", what)
        elif name in TCP_WANT:
            if type(transport).__name__ != "TCP":
                fail(f"{what} returned {type(transport).__name__} as the transport, expected a "
                     f"TCP (protocol 6). {SEE}")
            check_fields(transport, TCP_WANT[name], "TCP", what)
        elif transport is not None:
            fail(f"{what} returned a {type(transport).__name__} as the transport, expected None: "
                 f"protocol {IP_WANT[name]['protocol']} (ICMP) is neither UDP (17) nor TCP (6).")
    arp = build_frame(bytes(28), ethertype=0x0806)
    expect_value_error("parse_frame() on an ARP frame (EtherType 0x0806)", mod.parse_frame, arp,
                       why="parse_frame() only goes up through IPv4 (EtherType 0x0800).")


MALFORMED = [  # (function, input, what is wrong with it)
    ("parse_ipv4", lambda: ip_packet("dns")[:19], "19 bytes (an IPv4 header needs at least 20)"),
    ("parse_ipv4", lambda: b"\x65" + ip_packet("dns")[1:], "a header whose version is 6"),
    ("parse_ipv4", lambda: b"\x44" + ip_packet("dns")[1:], "a header with IHL 4 (16 bytes, under 20)"),
    ("parse_ipv4", lambda: ip_packet("rr")[:50], "50 bytes with IHL 15 (a 60-byte header)"),
    ("parse_ipv4", lambda: ip_packet("dns")[:2] + (200).to_bytes(2, "big") + ip_packet("dns")[4:],
     "57 bytes with total_length 200"),
    ("parse_ipv4", lambda: ip_packet("dns")[:2] + (12).to_bytes(2, "big") + ip_packet("dns")[4:],
     "a header with total_length 12 (shorter than the header itself)"),
    ("parse_udp", lambda: ip_payload("dns")[:7], "7 bytes (a UDP header needs 8)"),
    ("parse_udp", lambda: ip_payload("rr")[:4] + (40).to_bytes(2, "big") + ip_payload("rr")[6:],
     "12 bytes with UDP length 40"),
    ("parse_udp", lambda: ip_payload("rr")[:4] + (6).to_bytes(2, "big") + ip_payload("rr")[6:],
     "a datagram with UDP length 6 (shorter than its own header)"),
    ("parse_tcp", lambda: ip_payload("syn")[:19], "19 bytes (a TCP header needs at least 20)"),
    ("parse_tcp", lambda: ip_payload("syn")[:30], "30 bytes with data offset 10 (a 40-byte header)"),
    ("parse_tcp", lambda: ip_payload("ack_padded")[:12] + b"\x40" + ip_payload("ack_padded")[13:],
     "a header with data offset 4 (16 bytes, under 20)"),
    ("parse_frame", lambda: FRAME["dns"][:30], "a frame cut off inside the IPv4 header"),
    ("parse_frame", lambda: FRAME["syn"][:40], "a frame cut off inside the TCP header"),
    ("parse_ethernet", lambda: b"", "an empty frame"),
]


def test_parsers_reject_malformed_input(mod):
    for name, make, problem in MALFORMED:
        expect_value_error(f"{name}() given {problem}", getattr(mod, name), make(),
                           why=("malformed input must be refused with ValueError, before any "
                                "field is trusted. Check each length before you unpack or slice."))


# --- verifying and computing checksums ---------------------------------------------------------

def test_verify_ipv4_checksum(mod):
    for name in CAPTURES:
        ok = call(f"verify_ipv4_checksum() on {WHAT[name]}", mod.verify_ipv4_checksum,
                  ip_packet(name))
        if ok is not True:
            hint = f" {IHL} The checksum covers the options too." if IP_WANT[name]["ihl"] > 5 else ""
            fail(f"verify_ipv4_checksum() on the IP packet of {WHAT[name]} returned {ok!r}, "
                 f"expected True: its header checksum "
                 f"{IP_WANT[name]['checksum']:#06x} is correct (internet_checksum over the "
                 f"IHL*4 header bytes is 0).{hint} {RFC1071}")
    for name, offset, where in (("dns", 8, "the TTL"), ("dns", 15, "the source address"),
                                ("rr", 30, "a Record Route option byte"),
                                ("ra", 21, "a Router Alert option byte")):
        packet = bytearray(ip_packet(name))
        packet[offset] ^= 0x01
        ok = call("verify_ipv4_checksum() on a corrupted packet", mod.verify_ipv4_checksum,
                  bytes(packet))
        if ok is not False:
            hint = (f" The checksum covers the whole header, options included: {IHL}"
                    if offset >= 20 else "")
            fail(f"verify_ipv4_checksum() returned {ok!r} for the IP packet of {WHAT[name]} "
                 f"with one bit of {where} (byte {offset}) flipped, expected False.{hint} "
                 f"{RFC1071}")
    packet = bytearray(ip_packet("dns"))
    packet[40] ^= 0xFF  # in the payload: not covered by the header checksum
    ok = call("verify_ipv4_checksum() on a packet with a changed payload byte",
              mod.verify_ipv4_checksum, bytes(packet))
    if ok is not True:
        fail(f"verify_ipv4_checksum() returned {ok!r} for {WHAT['dns']} with a payload byte "
             f"changed, expected True: the IPv4 checksum covers the header only (IHL*4 bytes). "
             f"{RFC1071}")
    expect_value_error("verify_ipv4_checksum() on 10 bytes", mod.verify_ipv4_checksum,
                       ip_packet("dns")[:10], why="10 bytes do not hold an IPv4 header.")


def test_udp_checksum_with_pseudo_header(mod):
    for name in UDP_WANT:
        ip = IP_WANT[name]
        segment = ip_payload(name)
        want = UDP_WANT[name]["checksum"]
        got = call(f"udp_checksum({ip['src']!r}, {ip['dst']!r}, <datagram of {WHAT[name]}>)",
                   mod.udp_checksum, ip["src"], ip["dst"], segment)
        if got != want:
            hint = udp_diagnosis(got, ip["src"], ip["dst"], segment)
            fail(f"udp_checksum({ip['src']!r}, {ip['dst']!r}, datagram) for {WHAT[name]} "
                 f"returned {got if not isinstance(got, int) else hex(got)}, expected "
                 f"{want:#06x} (the value in the captured datagram).{hint} {PSEUDO}")
    rng = random.Random(768)
    for _ in range(200):
        src, dst = random_ip(rng), random_ip(rng)
        segment = build_udp(src, dst, rng.randrange(65536), rng.randrange(65536),
                            rng.randbytes(rng.randrange(0, 80)))
        want = int.from_bytes(segment[6:8], "big")
        got = call("udp_checksum() on a generated datagram", mod.udp_checksum, src, dst, segment)
        if got != want:
            fail(f"udp_checksum({src!r}, {dst!r}, datagram) on a generated {len(segment)}-byte "
                 f"datagram returned {got if not isinstance(got, int) else hex(got)}, expected "
                 f"{want:#06x}.{udp_diagnosis(got, src, dst, segment)} {PSEUDO}")


def test_udp_checksum_odd_length_payload(mod):
    rng = random.Random(29)
    for length in [1, 3, 29] + [2 * rng.randrange(0, 300) + 1 for _ in range(100)]:
        src, dst = random_ip(rng), random_ip(rng)
        segment = build_udp(src, dst, rng.randrange(65536), 53, rng.randbytes(length))
        want = int.from_bytes(segment[6:8], "big")
        got = call(f"udp_checksum() on a datagram with a {length}-byte payload", mod.udp_checksum,
                   src, dst, segment)
        if got != want:
            fail(f"udp_checksum({src!r}, {dst!r}, datagram) with a {length}-byte payload (an odd "
                 f"length) returned {got if not isinstance(got, int) else hex(got)}, expected "
                 f"{want:#06x}.{udp_diagnosis(got, src, dst, segment)} The last byte is the HIGH byte of a word padded with zero; the "
                 f"pad byte is not sent and not counted in the UDP length. {RFC1071}")


def zero_sum_datagram() -> tuple[str, str, bytes]:
    """A datagram whose checksum computes to 0: the last two payload bytes are
    chosen so that the one's complement sum is 0xFFFF."""
    src, dst = "10.1.2.3", "10.3.2.1"
    head = struct.pack("!HHHH", 4000, 5000, 8 + 6, 0) + b"zero"
    partial = pseudo(src, dst, 17, 14) + head + b"\0\0"
    # the sum with x as the last word: S + x; we need it to be 0xFFFF (complement 0)
    s = (~ref_checksum(partial)) & 0xFFFF  # the one's complement sum so far
    x = (0xFFFF - s) % 0xFFFF or 0xFFFF
    segment = head + x.to_bytes(2, "big")
    assert ref_checksum(pseudo(src, dst, 17, 14) + segment) == 0
    return src, dst, segment


def test_udp_checksum_zero_is_sent_as_ffff(mod):
    src, dst, segment = zero_sum_datagram()
    got = call("udp_checksum() on a datagram whose checksum computes to 0", mod.udp_checksum,
               src, dst, segment)
    if got != 0xFFFF:
        fail(f"udp_checksum({src!r}, {dst!r}, datagram) returned "
             f"{got if not isinstance(got, int) else hex(got)} for a datagram whose checksum "
             f"computes to 0x0000, expected 0xffff: a 0 in the checksum field means 'no "
             f"checksum', so a computed 0 is sent as 0xFFFF (RFC 768; the same number in one's "
             f"complement). {PSEUDO}")
    packet = call("build_udp_packet() for that datagram", mod.build_udp_packet, src, dst, 4000,
                  5000, segment[8:])
    if isinstance(packet, (bytes, bytearray)) and bytes(packet[26:28]) != b"\xff\xff":
        fail(f"build_udp_packet({src!r}, {dst!r}, 4000, 5000, {segment[8:]!r}) wrote "
             f"{bytes(packet[26:28]).hex(' ')} as the UDP checksum, expected ff ff: this "
             f"datagram's checksum computes to 0, which is sent as 0xFFFF.")


def test_verify_udp_checksum(mod):
    for name in UDP_WANT:
        ip = IP_WANT[name]
        ok = call(f"verify_udp_checksum() on {WHAT[name]}", mod.verify_udp_checksum, ip["src"],
                  ip["dst"], ip_payload(name))
        if ok is not True:
            fail(f"verify_udp_checksum({ip['src']!r}, {ip['dst']!r}, datagram) on {WHAT[name]} "
                 f"returned {ok!r}, expected True: its checksum is correct. {PSEUDO}")
    ip = IP_WANT["dns"]
    for what, segment, src, dst, want in (
            ("one payload bit flipped", ip_payload("dns")[:20] + bytes([ip_payload("dns")[20] ^ 1])
             + ip_payload("dns")[21:], ip["src"], ip["dst"], False),
            ("the last (odd) payload byte changed", ip_payload("dns")[:-1] + b"\x02",
             ip["src"], ip["dst"], False),
            ("a different destination address (the pseudo-header)", ip_payload("dns"),
             ip["src"], "8.8.4.4", False),
            ("checksum field 0 ('no checksum')", ip_payload("dns")[:6] + b"\0\0" + ip_payload("dns")[8:],
             ip["src"], ip["dst"], True)):
        ok = call(f"verify_udp_checksum() with {what}", mod.verify_udp_checksum, src, dst, segment)
        if ok is not want:
            fail(f"verify_udp_checksum({src!r}, {dst!r}, datagram) on the DNS capture's datagram "
                 f"with {what} returned {ok!r}, expected {want}. {PSEUDO} A checksum field of 0 "
                 f"means the sender computed none: accept it.")
    src, dst, segment = zero_sum_datagram()
    segment = segment[:6] + b"\xff\xff" + segment[8:]
    ok = call("verify_udp_checksum() on a datagram carrying 0xFFFF", mod.verify_udp_checksum,
              src, dst, segment)
    if ok is not True:
        fail(f"verify_udp_checksum() returned {ok!r} for a datagram whose checksum computes to 0 "
             f"and which carries 0xFFFF (as RFC 768 says to send it), expected True.")
    expect_value_error("verify_udp_checksum() on 5 bytes", mod.verify_udp_checksum, "1.2.3.4",
                       "5.6.7.8", b"\x00" * 5, why="5 bytes do not hold a UDP header.")


# --- building a packet ---------------------------------------------------------------------------

def explain_packet(got: bytes, want: bytes) -> str:
    names = ["version/IHL", "TOS", "total length", "total length", "identification",
             "identification", "flags/fragment offset", "flags/fragment offset", "TTL",
             "protocol", "IP header checksum", "IP header checksum"] + ["source address"] * 4 + \
            ["destination address"] * 4 + ["UDP source port"] * 2 + ["UDP destination port"] * 2 + \
            ["UDP length"] * 2 + ["UDP checksum"] * 2
    if len(got) != len(want):
        return f"{len(got)} bytes, expected {len(want)} (20 IP + 8 UDP + the payload)"
    diff = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
    field = names[diff] if diff < len(names) else "the payload"
    start = diff - diff % 2 if diff < 28 else diff
    return (f"the first difference is at byte {diff}, in the {field}: got "
            f"{got[start:start + 2].hex(' ')}, expected {want[start:start + 2].hex(' ')}")


def test_build_udp_packet_exact_bytes(mod):
    # The DNS capture's IP packet, rebuilt: same addresses, ports, id 0x1c46, TTL 64, DF.
    want = ip_packet("dns")[:57]
    got = call("build_udp_packet('192.168.1.10', '8.8.8.8', 54321, 53, <the DNS query>, "
               "identification=0x1c46)", mod.build_udp_packet, "192.168.1.10", "8.8.8.8", 54321,
               53, DNS_QUERY, identification=0x1C46)
    if not isinstance(got, (bytes, bytearray)) or bytes(got) != want:
        shown = (explain_packet(bytes(got), want) if isinstance(got, (bytes, bytearray))
                 else f"a {type(got).__name__}")
        fail(f"build_udp_packet('192.168.1.10', '8.8.8.8', 54321, 53, <29-byte DNS query>, "
             f"identification=0x1c46) should rebuild the 57-byte IP packet of the DNS capture "
             f"byte for byte; {shown}. IP header: 45 00, total length, id, 40 00 (DF), "
             f"TTL, 11 (UDP), checksum, addresses; UDP: ports, length, checksum (odd payload: "
             f"pad for the sum only). {ORDER} {SEE}")
    want = build_ip("10.0.0.1", "10.0.0.2", 17, build_udp("10.0.0.1", "10.0.0.2", 1, 65535, b""),
                    ident=65535, ttl=255)
    got = call("build_udp_packet('10.0.0.1', '10.0.0.2', 1, 65535, b'', ttl=255, "
               "identification=65535)", mod.build_udp_packet, "10.0.0.1", "10.0.0.2", 1, 65535,
               b"", ttl=255, identification=65535)
    if not isinstance(got, (bytes, bytearray)) or bytes(got) != want:
        shown = (explain_packet(bytes(got), want) if isinstance(got, (bytes, bytearray))
                 else f"a {type(got).__name__}")
        fail(f"build_udp_packet('10.0.0.1', '10.0.0.2', 1, 65535, b'', ttl=255, "
             f"identification=65535) returned {shown}; expected {want.hex(' ')}. {SEE}")


def test_build_udp_packet_round_trip(mod):
    rng = random.Random(9026)
    for i in range(200):
        src, dst = random_ip(rng), random_ip(rng)
        sport, dport = rng.randrange(65536), rng.randrange(65536)
        payload = rng.randbytes(rng.choice((0, 1, 2, 3, rng.randrange(1400))))
        ident, ttl = rng.randrange(65536), rng.randrange(1, 256)
        want = build_ip(src, dst, 17, build_udp(src, dst, sport, dport, payload), ident=ident,
                        ttl=ttl)
        got = call(f"build_udp_packet() for a {len(payload)}-byte payload", mod.build_udp_packet,
                   src, dst, sport, dport, payload, ttl=ttl, identification=ident)
        if not isinstance(got, (bytes, bytearray)) or bytes(got) != want:
            shown = (explain_packet(bytes(got), want) if isinstance(got, (bytes, bytearray))
                     else f"a {type(got).__name__}")
            checks = ""
            if isinstance(got, (bytes, bytearray)) and len(got) >= 28:
                got = bytes(got)
                ip_ok = ref_checksum(got[:20]) == 0
                udp_ok = ref_checksum(pseudo(src, dst, 17, len(got) - 20) + got[20:]) == 0
                checks = (f" (IP header checksum {'valid' if ip_ok else 'WRONG'}, UDP checksum "
                          f"{'valid' if udp_ok else 'WRONG'})")
            fail(f"build_udp_packet({src!r}, {dst!r}, {sport}, {dport}, <{len(payload)} bytes>, "
                 f"ttl={ttl}, identification={ident}): {shown}{checks}. The IP checksum covers "
                 f"the 20-byte header only; the UDP checksum the pseudo-header, the UDP header "
                 f"and the data. {SEE}")


def test_build_udp_packet_rejects_bad_input(mod):
    for args, why in ((("1.2.3.4", "5.6.7.8", 65536, 53, b""), "source port 65536 (max 65535)"),
                      (("1.2.3.4", "5.6.7.8", 53, -1, b""), "destination port -1"),
                      (("1.2.3.4", "5.6.7.8", 53, 53, bytes(65508)),
                       "a 65508-byte payload: 20 + 8 + 65508 = 65536 bytes, over 65535")):
        expect_value_error(f"build_udp_packet() with {why}", mod.build_udp_packet, *args,
                           why="a 16-bit field cannot hold it; refuse it instead of wrapping "
                               "around or letting struct.error escape.")
    got = call("build_udp_packet() with a 65507-byte payload (exactly 65535 in all)",
               mod.build_udp_packet, "1.2.3.4", "5.6.7.8", 53, 53, bytes(65507))
    if not isinstance(got, (bytes, bytearray)) or len(got) != 65535:
        fail(f"build_udp_packet() with a 65507-byte payload returned "
             f"{len(got) if isinstance(got, (bytes, bytearray)) else type(got).__name__} bytes, "
             f"expected a 65535-byte packet: that is the largest legal size.")


# --- layers ---------------------------------------------------------------------------------------

LAYER_WANT = {
    "HTTP": "application", "https": "application", "FTP": "application", "SMTP": "application",
    "DNS": "application", "ssh": "application", "Telnet": "application", "DHCP": "application",
    "TCP": "transport", "udp": "transport",
    "IP": "internet", "IPv4": "internet", "IPV6": "internet", "ICMP": "internet",
    "Ethernet": "link", "ARP": "link", "Wi-Fi": "link", "ppp": "link",
}


def test_layer_of_common_protocols(mod):
    layers = mod.LAYERS
    for protocol, want in LAYER_WANT.items():
        got = call(f"layer_of({protocol!r})", mod.layer_of, protocol)
        if got != want:
            hint = ""
            if got in ("network", "网络层"):
                hint = (" In the TCP/IP four-layer model the exercise uses, the network layer is "
                        "called 'internet' (LAYERS).")
            elif got in ("data link", "datalink", "physical"):
                hint = " The four-layer model merges data link and physical into 'link'."
            fail(f"layer_of({protocol!r}) returned {got!r}, expected {want!r}. The four layers "
                 f"(LAYERS = {layers!r}): application protocols talk to programs (HTTP, DNS, "
                 f"...), transport protocols to ports (TCP, UDP), internet protocols route "
                 f"between hosts (IP, ICMP), link protocols move frames on one link (Ethernet, "
                 f"ARP).{hint} {SEE}")


def test_layer_of_unknown_protocol_raises(mod):
    for name in ("QUIC-ish", "", "HTTP/2", "tcpip"):
        expect_value_error(f"layer_of({name!r})", mod.layer_of, name,
                           why="the exercise lists exactly which protocols layer_of() knows; "
                               "any other name is a ValueError, not a guess or None.",
                           quote=name)
