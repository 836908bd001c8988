"""IP addresses, networks and ports (8.18 1.1 TCP/IP简介; 9.16 1 网络通信要素).

Pure computation: no sockets, no threads. Breadth comes from seeded random
inputs compared with Python's ipaddress module (the tests' oracle, never the
student's tool); depth from hand-picked edge cases: boundaries of every
range, every way text can be malformed, every rule of RFC 5952's canonical
form. Where the exercise's rules differ from ipaddress on purpose (a dotted
IPv4 tail or a %zone in IPv6 text, "private" meaning RFC 1918 only), the
tests check the exercise's rule, so code that only delegates to ipaddress
fails them by behaviour.
"""
from __future__ import annotations

import ipaddress
import random

from support.student import fail

TOPIC = "ip_addresses"

MAX4 = 2**32 - 1
MAX6 = 2**128 - 1

SEE_V4 = ("See 8.18 1.1 TCP/IP简介: an IPv4 address is a 32-bit integer, written as its 4 "
          "bytes in decimal, the most significant byte first.")
SEE_V6 = "See 8.18 1.1 TCP/IP简介: an IPv6 address is a 128-bit integer, 8 groups of 16 bits."
SEE_5952 = ("The canonical form (RFC 5952, in the exercise's docstring): lowercase, no leading "
            "zeros, the LONGEST run of two or more zero groups as '::' (the leftmost on a tie), "
            "a single zero group written '0'. See 8.18 1.1 TCP/IP简介 (IPv6 addresses).")
SEE_NET = "See 9.16 1 网络通信要素: IP地址 = 网络地址 + 主机地址."
RULES = ("The exact rules are in the docstring of exercises/ip_addresses.py; see 8.18 1.1 "
         "TCP/IP简介 for what the text stands for.")


# --- helpers ---------------------------------------------------------------------------



def attempt(fn, *args):
    """('ok', value) or ('raised', exception). The stub's NotImplementedError and a
    missing name (an AssertionError from the mod fixture) go straight through."""
    try:
        return "ok", fn(*args)
    except (NotImplementedError, AssertionError):
        raise
    except Exception as exc:  # noqa: BLE001 -- judged by the caller
        return "raised", exc


def call_text(name: str, *args) -> str:
    shown = (hex(a) if isinstance(a, int) and a > 65535 else repr(a) for a in args)
    return f"{name}({', '.join(shown)})"


def expect(mod, name: str, args: tuple, want, why: str = ""):
    """mod.name(*args) must return `want` (same type); fail with a sentence otherwise."""
    call = call_text(name, *args)
    kind, got = attempt(getattr(mod, name), *args)
    if kind == "raised":
        fail(f"{call} raised {type(got).__name__}({got}), expected {want!r}: the input is "
             f"valid. {why}")
    if got != want or type(got) is not type(want):
        shown = f"{got!r}" + ("" if got != want else f" (a {type(got).__name__})")
        fail(f"{call} returned {shown}, expected {want!r}. {why}")


def expect_value_error(mod, name: str, args: tuple, problem: str, why: str = "",
                       quote=None):
    """mod.name(*args) must raise ValueError whose message quotes the bad input
    (`quote`, by default the first argument)."""
    call = call_text(name, *args)
    kind, got = attempt(getattr(mod, name), *args)
    if kind == "ok":
        fail(f"{call} returned {got!r}, expected ValueError: {problem}. {why} {RULES}")
    if not isinstance(got, ValueError):
        fail(f"{call} raised {type(got).__name__}({got}), expected ValueError ({problem}). "
             f"Check the input and raise ValueError yourself, with a message that quotes it; "
             f"do not let an {type(got).__name__} escape from inside your code. {RULES}")
    bad = args[0] if quote is None else quote
    if isinstance(bad, str):
        forms, shown = (repr(bad), bad), repr(bad)
    else:
        forms, shown = (str(bad), hex(bad), f"{bad:#X}"), str(bad)
    if not any(form in str(got) for form in forms):
        fail(f"{call} raised ValueError({str(got)!r}): right type, but the message must quote "
             f"the bad input ({shown}) and say what is wrong, e.g. \"{shown}: {problem}\". {RULES}")


def v4_text(n: int) -> str:
    return ".".join(str(n >> s & 0xFF) for s in (24, 16, 8, 0))


def byte_order_hint(got, want: int) -> str:
    if isinstance(got, int) and got == int.from_bytes(want.to_bytes(4, "big"), "little"):
        return (" That is the right bytes in the wrong order (little-endian): the FIRST "
                "octet is the MOST significant byte, so number = number << 8 | octet.")
    return ""


def random_v4(rng: random.Random) -> int:
    kind = rng.random()
    if kind < 0.2:  # octets drawn from the edges: 0, 1, 9, 10, 99, 100, 199, 200, 255
        return int.from_bytes(bytes(rng.choice((0, 1, 9, 10, 99, 100, 199, 200, 254, 255))
                                    for _ in range(4)), "big")
    return rng.randrange(2**32)


def random_v6(rng: random.Random) -> int:
    """A 128-bit integer with plenty of zero groups (runs, ties, single zeros)."""
    p_zero = rng.choice((0.0, 0.3, 0.5, 0.7, 0.9))
    groups = []
    for _ in range(8):
        if rng.random() < p_zero:
            groups.append(0)
        else:
            groups.append(rng.choice((rng.randrange(1, 16), rng.randrange(1, 0x10000))))
    return int.from_bytes(b"".join(g.to_bytes(2, "big") for g in groups), "big")


def random_v6_text(rng: random.Random, number: int) -> str:
    """One of the many valid ways to write `number`: any case, optional leading
    zeros, and '::' for some (not necessarily the longest) run of zero groups."""
    groups = [number >> (16 * (7 - i)) & 0xFFFF for i in range(8)]
    words = []
    for g in groups:
        digits = format(g, "x")
        digits = "0" * rng.randrange(0, 4 - len(digits) + 1) + digits
        words.append(digits.upper() if rng.random() < 0.3 else digits)
    zeros = [i for i, g in enumerate(groups) if g == 0]
    if zeros and rng.random() < 0.8:
        i = rng.choice(zeros)
        j = i
        while j + 1 < 8 and groups[j + 1] == 0 and rng.random() < 0.7:
            j += 1
        return ":".join(words[:i]) + "::" + ":".join(words[j + 1:])
    return ":".join(words)


def is_mapped(number: int) -> bool:
    return number >> 32 == 0xFFFF  # ::ffff:0:0/96 -- Python 3.13 prints these dotted


# --- IPv4 -----------------------------------------------------------------------------

def test_ipv4_text_to_int_known_values(mod):
    for text, want in (("192.168.0.1", 3232235521), ("1.2.3.4", 0x01020304),
                       ("127.0.0.1", 0x7F000001), ("0.0.0.0", 0), ("255.255.255.255", MAX4),
                       ("10.0.0.255", 0x0A0000FF), ("123.123.123.123", 0x7B7B7B7B)):
        kind, got = attempt(mod.ipv4_to_int, text)
        if kind == "raised":
            fail(f"ipv4_to_int({text!r}) raised {type(got).__name__}({got}) on a valid "
                 f"address; expected {want} ({want:#010x}). {SEE_V4}")
        if got != want:
            shown = f"{got} ({got:#010x})" if isinstance(got, int) else repr(got)
            fail(f"ipv4_to_int({text!r}) returned {shown}, expected {want} ({want:#010x})."
                 f"{byte_order_hint(got, want)} {SEE_V4}")
    for number, want in ((3232235521, "192.168.0.1"), (0x01020304, "1.2.3.4"), (0, "0.0.0.0"),
                         (MAX4, "255.255.255.255"), (0x0A0000FF, "10.0.0.255")):
        kind, got = attempt(mod.int_to_ipv4, number)
        if kind == "raised":
            fail(f"int_to_ipv4({number:#010x}) raised {type(got).__name__}({got}); expected "
                 f"{want!r}. {SEE_V4}")
        if got != want:
            reversed_text = ".".join(reversed(want.split(".")))
            hint = (" That is the octets in reverse order: the most significant byte "
                    "(number >> 24) comes first." if got == reversed_text else "")
            fail(f"int_to_ipv4({number:#010x}) returned {got!r}, expected {want!r}.{hint} "
                 f"{SEE_V4}")


def test_ipv4_round_trip_matches_ipaddress(mod):
    rng = random.Random(4)
    numbers = [0, 1, 255, 256, 0x7F000001, 0x80000000, MAX4 - 1, MAX4]
    numbers += [random_v4(rng) for _ in range(3000)]
    for n in numbers:
        text = str(ipaddress.IPv4Address(n))
        kind, got = attempt(mod.int_to_ipv4, n)
        if kind == "raised" or got != text:
            shown = f"raised {type(got).__name__}({got})" if kind == "raised" else f"returned {got!r}"
            fail(f"int_to_ipv4({n}) {shown}, expected {text!r} (as ipaddress.IPv4Address({n}) "
                 f"writes it). {SEE_V4}")
        kind, back = attempt(mod.ipv4_to_int, text)
        if kind == "raised" or back != n:
            shown = f"raised {type(back).__name__}({back})" if kind == "raised" else f"returned {back!r}"
            fail(f"ipv4_to_int({text!r}) {shown}, expected {n}.{byte_order_hint(back, n)} "
                 f"{SEE_V4}")


def test_int_to_ipv4_rejects_out_of_range(mod):
    for number in (-1, 2**32, 2**40):
        expect_value_error(mod, "int_to_ipv4", (number,), "not in 0..2**32-1",
                           "An IPv4 address is a 32-bit unsigned integer.")


MALFORMED_V4 = [
    ("", "empty text"), ("1.2.3", "only 3 parts"), ("1.2.3.4.5", "5 parts"),
    ("127.1", "2 parts (inet_aton accepts this shorthand; the exercise does not)"),
    ("1..2.3", "an empty part"), ("1.2.3.", "an empty last part"), (".1.2.3", "an empty first part"),
    ("1.2.3.-1", "a negative octet"), ("a.b.c.d", "letters"), ("1.2.3.4 ", "a trailing space"),
    (" 1.2.3.4", "a leading space"), ("1.2.3. 4", "a space inside"), ("1.2.3.+4", "a sign"),
    ("1_0.1.1.1", "an underscore (int() accepts '1_0')"), ("1.2.3.0x1", "hex"),
    ("\u0661.2.3.4", "an Arabic-Indic digit (str.isdigit() and int() accept it)"),
    ("1.2.3.4/24", "a prefix"), ("1,2,3,4", "commas"),
]


def test_ipv4_rejects_malformed_text(mod):
    for text, problem in MALFORMED_V4:
        expect_value_error(mod, "ipv4_to_int", (text,), problem,
                           "Check every part yourself: exactly 4 parts, each 1-3 ASCII digits.")


def test_ipv4_rejects_octets_over_255(mod):
    rng = random.Random(255)
    cases = ["256.1.1.1", "1.2.3.256", "1.300.3.4", "999.999.999.999", "1.2.3.1000",
             "4294967296.0.0.0"]
    for _ in range(200):
        octets = [str(rng.randrange(256)) for _ in range(4)]
        octets[rng.randrange(4)] = str(rng.randrange(256, 1000))
        cases.append(".".join(octets))
    for text in cases:
        expect_value_error(mod, "ipv4_to_int", (text,), "an octet over 255",
                           "Each octet is one byte: 0 to 255. Without the check, "
                           "number << 8 | 256 spills into the neighbouring octet.")


def test_ipv4_rejects_leading_zeros(mod):
    for text in ("01.2.3.4", "1.2.3.04", "010.0.0.1", "1.00.3.4", "0127.0.0.1", "1.2.3.000"):
        expect_value_error(
            mod, "ipv4_to_int", (text,), "an octet with a leading zero",
            "socket.inet_aton('010.0.0.1') reads '010' as OCTAL (8.0.0.1), others as decimal: "
            "the exercise refuses leading zeros. A part longer than 1 character must not "
            "start with '0'.")
    for text, want in (("0.0.0.0", 0), ("10.0.0.0", 0x0A000000), ("100.200.0.9", 0x64C80009)):
        expect(mod, "ipv4_to_int", (text,), want,
               "A lone '0' is a valid octet, and so are 10, 100, 200 (zeros that are not "
               f"leading). {SEE_V4}")


# --- IPv6: text to int --------------------------------------------------------------------

def test_ipv6_text_to_int_known_values(mod):
    for text, want in (
            ("::", 0), ("::1", 1), ("1::", 1 << 112),
            ("2001:db8::1", 0x20010DB8000000000000000000000001),
            ("2001:0db8:85a3:0042:1000:8a2e:0370:7334", 0x20010DB885A3004210008A2E03707334),
            ("2001:DB8:85A3:42:1000:8A2E:370:7334", 0x20010DB885A3004210008A2E03707334),
            ("1:2:3:4:5:6:7::", 0x00010002000300040005000600070000),
            ("::1:2:3:4:5:6:7", 0x00000001000200030004000500060007),
            ("1:2:3:4::5:6:7", 0x00010002000300040000000500060007),
            ("0:0:0:0:0:0:0:0", 0), ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", MAX6),
            ("::ffff:102:304", 0xFFFF01020304)):
        kind, got = attempt(mod.ipv6_to_int, text)
        if kind == "raised":
            fail(f"ipv6_to_int({text!r}) raised {type(got).__name__}({got}) on a valid address; "
                 f"expected {want:#x}. '::' stands for one or more zero groups: count the groups "
                 f"on each side and fill the gap up to 8. {SEE_V6}")
        if got != want:
            shown = f"{got:#x}" if isinstance(got, int) else repr(got)
            fail(f"ipv6_to_int({text!r}) returned {shown}, expected {want:#x}. The first group "
                 f"is the most significant 16 bits; '::' is replaced by as many zero groups "
                 f"as make 8 in all. {SEE_V6}")


def test_ipv6_parse_matches_ipaddress(mod):
    rng = random.Random(6)
    for _ in range(2000):
        number = random_v6(rng)
        text = random_v6_text(rng, number)
        want = int(ipaddress.IPv6Address(text))
        kind, got = attempt(mod.ipv6_to_int, text)
        if kind == "raised":
            fail(f"ipv6_to_int({text!r}) raised {type(got).__name__}({got}), but it is a valid "
                 f"address ({expand(want)}). Groups may have 1-4 digits in either case; '::' "
                 f"may replace ANY run of zero groups (not only the longest), even at the start "
                 f"or end. {SEE_V6}")
        if got != want:
            shown = expand(got) if isinstance(got, int) and 0 <= got <= MAX6 else repr(got)
            fail(f"ipv6_to_int({text!r}) returned {shown} (written out in full), expected "
                 f"{expand(want)}. {SEE_V6}")


def expand(number: int) -> str:
    return ipaddress.IPv6Address(number).exploded


MALFORMED_V6 = [
    ("", "empty text"), ("1::2::3", "'::' twice"), ("::1::", "'::' twice"),
    ("1:2:3:4:5:6:7:8:9", "9 groups"), ("1:2:3:4:5:6:7", "only 7 groups and no '::'"),
    ("1:2:3:4::5:6:7:8", "8 written groups plus '::' (which stands for at least one more)"),
    ("::1:2:3:4:5:6:7:8", "8 written groups plus '::'"),
    ("12345::", "a group of 5 digits"), ("g::", "a non-hex digit"), ("::fg", "a non-hex digit"),
    (":1::", "a single ':' at the start"), ("1::2:", "a single ':' at the end"),
    (":::", "three colons"), ("1:::2", "three colons"), ("::0x1", "'0x' (int(x, 16) accepts it)"),
    ("::+f", "a sign (int(x, 16) accepts it)"), (" ::1", "a leading space"), ("::1 ", "a trailing space"),
    ("1:2:3:4:5:6:7:8:", "a trailing ':'"), ("1.2.3.4", "IPv4 text"),
    ("::\u0661", "an Arabic-Indic digit"),
]


def test_ipv6_rejects_malformed_text(mod):
    for text, problem in MALFORMED_V6:
        expect_value_error(mod, "ipv6_to_int", (text,), problem,
                           "Each group is 1-4 ASCII hex digits; '::' at most once, standing for "
                           "one or more zero groups; 8 groups in all.")


def test_ipv6_rejects_what_ipaddress_accepts(mod):
    for text, problem in (("::ffff:1.2.3.4", "a dotted IPv4 tail"),
                          ("::ffff:127.0.0.1", "a dotted IPv4 tail"),
                          ("64:ff9b::192.0.2.33", "a dotted IPv4 tail"),
                          ("fe80::1%eth0", "a zone id"), ("::1%1", "a zone id")):
        expect_value_error(
            mod, "ipv6_to_int", (text,), problem,
            "Python's ipaddress module accepts this, the exercise does not (see its "
            "docstring): parse the groups yourself instead of calling ipaddress.")


# --- IPv6: int to text -------------------------------------------------------------------

CANONICAL = [  # (number, canonical text, the rule it checks)
    (0, "::", "all zeros"),
    (1, "::1", "a run at the start"),
    (1 << 112, "1::", "a run at the end"),
    (0x20010DB8000000000000000000000001, "2001:db8::1", "no leading zeros in 'db8'"),
    (0x20010DB8000000000001000000000001, "2001:db8::1:0:0:1",
     "two runs of equal length: the LEFTMOST becomes '::'"),
    (0x00010000000000020000000000000003, "1:0:0:2::3",
     "runs of 2 and 3 zero groups: the LONGEST becomes '::', even when it comes second"),
    (0x00010000000200000000000000000003, "1:0:2::3", "a single zero, then a run of 4: the run"),
    (0x20010DB8000000010001000100010001, "2001:db8:0:1:1:1:1:1",
     "a single zero group is written '0', never '::'"),
    (0x00000001000000010000000100000001, "0:1:0:1:0:1:0:1", "no run of two: no '::' at all"),
    (0x00000000000000010000000000000002, "::1:0:0:0:2", "two runs of 3: the leftmost"),
    (0x00010002000300040005000600070000, "1:2:3:4:5:6:7:0", "one trailing zero group stays '0'"),
    (0x000A000B000C000D000E000F00AB0CDE, "a:b:c:d:e:f:ab:cde", "lowercase, no leading zeros"),
    (0xFFFF01020304, "::ffff:102:304", "IPv4-mapped addresses are plain hex in this exercise"),
    (MAX6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "no zeros"),
]


def test_int_to_ipv6_canonical_form(mod):
    for number, want, rule in CANONICAL:
        kind, got = attempt(mod.int_to_ipv6, number)
        if kind == "raised":
            fail(f"int_to_ipv6({number:#x}) raised {type(got).__name__}({got}); expected "
                 f"{want!r}. {SEE_5952}")
        if got != want:
            fail(f"int_to_ipv6({number:#x}) (in full: {expand(number)}) returned {got!r}, "
                 f"expected {want!r} -- {rule}. {SEE_5952}")


def test_int_to_ipv6_matches_ipaddress(mod):
    rng = random.Random(5952)
    checked = 0
    while checked < 3000:
        number = random_v6(rng)
        if is_mapped(number):
            continue
        checked += 1
        want = ipaddress.IPv6Address(number).compressed
        kind, got = attempt(mod.int_to_ipv6, number)
        if kind == "raised" or got != want:
            shown = f"raised {type(got).__name__}({got})" if kind == "raised" else f"returned {got!r}"
            fail(f"int_to_ipv6({number:#x}) (in full: {expand(number)}) {shown}, expected "
                 f"{want!r} (ipaddress agrees). {SEE_5952}")


def test_compress_and_expand_ipv6(mod):
    cases = [("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
             ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
             ("0:0:1::", "0:0:1::"), ("0:0::1:0:0:0", "::1:0:0:0"),
             ("2001:0db8:85a3:0042:1000:8a2e:0370:7334", "2001:db8:85a3:42:1000:8a2e:370:7334"),
             ("::0:1", "::1"), ("1:0::", "1::"), ("FE80::0001", "fe80::1")]
    rng = random.Random(7)
    for _ in range(300):
        n = random_v6(rng)
        if not is_mapped(n):
            cases.append((random_v6_text(rng, n), ipaddress.IPv6Address(n).compressed))
    for text, want in cases:
        expect(mod, "compress_ipv6", (text,), want, SEE_5952)
        full = ipaddress.IPv6Address(text).exploded
        expect(mod, "expand_ipv6", (text,), full,
               f"Expanded means all 8 groups, each as exactly 4 lowercase hex digits. {SEE_V6}")
    expect_value_error(mod, "compress_ipv6", ("1::2::3",), "'::' twice",
                       "compress_ipv6 parses its input with the same rules as ipv6_to_int.")
    expect_value_error(mod, "expand_ipv6", ("1:2:3",), "only 3 groups and no '::'",
                       "expand_ipv6 parses its input with the same rules as ipv6_to_int.")


def test_int_to_ipv6_rejects_out_of_range(mod):
    for number in (-1, 2**128):
        expect_value_error(mod, "int_to_ipv6", (number,), "not in 0..2**128-1",
                           "An IPv6 address is a 128-bit unsigned integer.")


# --- network part, host part -------------------------------------------------------------

def test_netmask_every_prefix(mod):
    for prefix in range(33):
        want = str(ipaddress.IPv4Network(f"0.0.0.0/{prefix}").netmask)
        kind, got = attempt(mod.netmask, prefix)
        if kind == "raised":
            fail(f"netmask({prefix}) raised {type(got).__name__}({got}), expected {want!r}: "
                 f"every prefix length from 0 to 32 is valid. {SEE_NET}")
        if got != want:
            fail(f"netmask({prefix}) returned {got!r}, expected {want!r}: the top {prefix} "
                 f"bit(s) set, the other {32 - prefix} clear. Check the first and the last bit "
                 f"of the mask (an off-by-one), and that the top bit is 1 << 31. {SEE_NET}")
    for prefix in (-1, 33, 64):
        expect_value_error(mod, "netmask", (prefix,), "a prefix length outside 0..32",
                           "An IPv4 address has 32 bits.")


def test_network_and_host_parts(mod):
    known = [("192.168.1.77", 24, "192.168.1.0", 77), ("10.1.2.3", 8, "10.0.0.0", 66051),
             ("172.16.5.4", 12, "172.16.0.0", 0x504), ("172.31.255.255", 12, "172.16.0.0", 0xFFFFF),
             ("192.168.1.77", 32, "192.168.1.77", 0), ("192.168.1.77", 0, "0.0.0.0", 0xC0A8014D),
             ("192.168.1.77", 25, "192.168.1.0", 77), ("192.168.1.200", 25, "192.168.1.128", 72),
             ("255.255.255.255", 31, "255.255.255.254", 1)]
    rng = random.Random(24)
    for _ in range(500):
        n, prefix = random_v4(rng), rng.randrange(33)
        iface = ipaddress.IPv4Interface((n, prefix))
        known.append((v4_text(n), prefix, str(iface.network.network_address),
                      n & int(iface.hostmask)))
    for address, prefix, net, host in known:
        expect(mod, "network_part", (address, prefix), net,
               f"The network part keeps the top {prefix} bits (address & mask) and sets the "
               f"host bits to zero. {SEE_NET}")
        expect(mod, "host_part", (address, prefix), host,
               f"The host part is the low {32 - prefix} bits as an integer (address & ~mask, "
               f"kept to 32 bits). {SEE_NET}")
    for prefix in (-1, 33):
        for name in ("network_part", "host_part"):
            expect_value_error(mod, name, ("1.2.3.4", prefix), "a prefix length outside 0..32",
                               "An IPv4 address has 32 bits.", quote=prefix)
    expect_value_error(mod, "network_part", ("1.2.3.256", 24), "an octet over 255",
                       "network_part parses its address with the same rules as ipv4_to_int.")


# --- special addresses, ports ------------------------------------------------------------

def test_loopback_addresses(mod):
    for address, want in (("127.0.0.1", True), ("127.255.255.255", True), ("127.0.0.0", True),
                          ("127.10.20.30", True), ("126.255.255.255", False),
                          ("128.0.0.0", False), ("0.0.0.0", False), ("192.168.0.1", False),
                          ("::1", True), ("0:0:0:0:0:0:0:1", True), ("::", False),
                          ("::2", False), ("1::", False), ("::ffff:7f00:1", False)):
        expect(mod, "is_loopback", (address,), want,
               "Loopback is all of 127.0.0.0/8 for IPv4 (the notes' 127.0.0.1 is one of them) "
               "and exactly ::1 for IPv6. See 9.16 1 网络通信要素 (本地回环地址).")
    expect_value_error(mod, "is_loopback", ("127.0.0.256",), "an octet over 255",
                       "is_loopback parses its address with the same rules as ipv4_to_int.")


def test_is_private_means_rfc1918_only(mod):
    for address, want, why in (
            ("10.0.0.0", True, "10.0.0.0/8"), ("10.255.255.255", True, "10.0.0.0/8"),
            ("9.255.255.255", False, "just below 10.0.0.0/8"), ("11.0.0.0", False, "just above 10/8"),
            ("172.16.0.0", True, "172.16.0.0/12"), ("172.31.255.255", True, "172.16.0.0/12 ends here"),
            ("172.15.255.255", False, "just below 172.16/12"), ("172.32.0.0", False, "just above 172.16/12"),
            ("192.168.0.0", True, "192.168.0.0/16"), ("192.168.255.255", True, "192.168.0.0/16"),
            ("192.167.255.255", False, "just below 192.168/16"), ("192.169.0.0", False, "just above"),
            ("8.8.8.8", False, "a public address"),
            ("127.0.0.1", False, "loopback is not RFC 1918 private (ipaddress says True)"),
            ("169.254.1.1", False, "link-local is not RFC 1918 private (ipaddress says True)"),
            ("0.0.0.0", False, "0.0.0.0 is not RFC 1918 private (ipaddress says True)"),
            ("fc00::1", True, "fc00::/7"), ("fdff:ffff::1", True, "fc00::/7"),
            ("fe00::1", False, "just above fc00::/7"), ("fbff::1", False, "just below fc00::/7"),
            ("::1", False, "loopback, not unique-local (ipaddress says True)"),
            ("fe80::1", False, "link-local, not unique-local (ipaddress says True)"),
            ("2001:db8::1", False, "documentation, not unique-local (ipaddress says True)")):
        expect(mod, "is_private", (address,), want,
               f"{address}: {why}. In this exercise private means RFC 1918 (10/8, 172.16/12, "
               f"192.168/16) and IPv6 fc00::/7 only, compared bit by bit with the prefix "
               f"(not ipaddress's is_private). {SEE_NET}")


def test_port_kinds(mod):
    for port, want in ((0, "well-known"), (22, "well-known"), (80, "well-known"),
                       (443, "well-known"), (1023, "well-known"), (1024, "registered"),
                       (8080, "registered"), (49151, "registered"), (49152, "dynamic"),
                       (65535, "dynamic")):
        expect(mod, "port_kind", (port,), want,
               "Well-known 0-1023, registered 1024-49151, dynamic 49152-65535: check both ends "
               "of each range. See 9.16 1 网络通信要素 (端口号) and 8.18 1.2.1 (port 80).")
    for port in (-1, 65536, 100000):
        expect_value_error(mod, "port_kind", (port,), "a port outside 0..65535",
                           "A port number is 16 bits.")
