"""IP addresses, networks and ports, by hand.

Seed: 8.18 1.1 TCP/IP简介 ("IP地址实际上是一个32位整数"; IPv6 "是一个128位整数")
and 9.16 1 网络通信要素 (IP地址 = 网络地址 + 主机地址; 127.0.0.1; 端口号).

    text  -> int   parse strictly, one rule per kind of mistake, each a ValueError
    int   -> text  IPv4: four octets, most significant first (network byte order)
                   IPv6: RFC 5952 canonical form (longest zero run becomes "::")
    prefix         the network part is the top `prefix` bits, the host part the rest

Nothing here calls the ipaddress module: the exercise's rules differ from it on
purpose (no dotted IPv4 tail or %zone in IPv6 text; "private" means RFC 1918).
"""
from __future__ import annotations

MAX_IPV4 = 2**32 - 1
MAX_IPV6 = 2**128 - 1

_DIGITS = frozenset("0123456789")  # str.isdigit() would also pass "²" and "١"
_HEX = frozenset("0123456789abcdefABCDEF")  # int(x, 16) would also pass "0x1", "+f", " f"


# --- IPv4 -----------------------------------------------------------------------------

def ipv4_to_int(text: str) -> int:
    """'192.168.0.1' -> 3232235521: four octets, the first one most significant."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"{text!r}: expected 4 decimal octets separated by '.', got {len(parts)} parts")
    number = 0
    for part in parts:
        if not part:
            raise ValueError(f"{text!r}: empty octet")
        if not set(part) <= _DIGITS:
            raise ValueError(f"{text!r}: octet {part!r} is not a decimal number 0-255")
        if len(part) > 1 and part[0] == "0":
            # inet_aton() would read "010" as octal 8: refuse the ambiguity
            raise ValueError(f"{text!r}: octet {part!r} has a leading zero")
        if len(part) > 3 or int(part) > 255:
            raise ValueError(f"{text!r}: octet {part!r} is over 255")
        number = number << 8 | int(part)  # shift the earlier octets up: big-endian
    return number


def int_to_ipv4(number: int) -> str:
    """3232235521 -> '192.168.0.1'."""
    if not 0 <= number <= MAX_IPV4:
        raise ValueError(f"{number!r} is not a 32-bit IPv4 address (0..{MAX_IPV4})")
    return ".".join(str(number >> shift & 0xFF) for shift in (24, 16, 8, 0))


# --- IPv6 -----------------------------------------------------------------------------

def _groups(text: str, piece: str) -> list[int]:
    """The 16-bit groups of one side of '::' ('' -> no groups)."""
    if not piece:
        return []
    groups = []
    for group in piece.split(":"):
        if not group:
            raise ValueError(f"{text!r}: empty group (a single ':' at the start or end, or ':::')")
        if "." in group:
            raise ValueError(f"{text!r}: dotted IPv4 tail {group!r} is not supported")
        if len(group) > 4 or not set(group) <= _HEX:
            raise ValueError(f"{text!r}: group {group!r} is not 1-4 hex digits")
        groups.append(int(group, 16))
    return groups


def ipv6_to_int(text: str) -> int:
    """'2001:db8::1' -> 0x20010db8000000000000000000000001."""
    if "%" in text:
        raise ValueError(f"{text!r}: zone ids ('%...') are not supported")
    if text.count("::") > 1:
        raise ValueError(f"{text!r}: '::' may appear only once")
    if "::" in text:
        head, tail = text.split("::")
        left, right = _groups(text, head), _groups(text, tail)
        if len(left) + len(right) > 7:  # '::' stands for at least one zero group
            raise ValueError(f"{text!r}: too many groups for '::' to stand for any zeros")
        groups = left + [0] * (8 - len(left) - len(right)) + right
    else:
        groups = _groups(text, text)
        if len(groups) != 8:
            raise ValueError(f"{text!r}: expected 8 groups, got {len(groups)}")
    number = 0
    for group in groups:
        number = number << 16 | group
    return number


def int_to_ipv6(number: int) -> str:
    """RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as '::'."""
    if not 0 <= number <= MAX_IPV6:
        raise ValueError(f"{number!r} is not a 128-bit IPv6 address (0..2**128-1)")
    groups = [number >> (16 * (7 - i)) & 0xFFFF for i in range(8)]
    best_start, best_len = -1, 1  # a run must beat length 1: one zero group stays "0"
    start = None
    for i, group in enumerate(groups + [1]):  # the sentinel closes a trailing run
        if group == 0 and start is None:
            start = i
        elif group != 0 and start is not None:
            if i - start > best_len:  # strictly longer: the leftmost run wins ties
                best_start, best_len = start, i - start
            start = None
    text = [format(g, "x") for g in groups]
    if best_start < 0:
        return ":".join(text)
    left = ":".join(text[:best_start])
    right = ":".join(text[best_start + best_len:])
    return f"{left}::{right}"


def compress_ipv6(text: str) -> str:
    """Any valid IPv6 text -> its canonical (RFC 5952) form."""
    return int_to_ipv6(ipv6_to_int(text))


def expand_ipv6(text: str) -> str:
    """Any valid IPv6 text -> eight groups of four lowercase hex digits."""
    number = ipv6_to_int(text)
    return ":".join(format(number >> (16 * (7 - i)) & 0xFFFF, "04x") for i in range(8))


# --- network part and host part ---------------------------------------------------------

def _mask(prefix: int) -> int:
    if not 0 <= prefix <= 32:
        raise ValueError(f"prefix length {prefix!r} is out of range 0..32")
    return (MAX_IPV4 << (32 - prefix)) & MAX_IPV4  # `prefix` one-bits, then zeros


def netmask(prefix: int) -> str:
    """24 -> '255.255.255.0'."""
    return int_to_ipv4(_mask(prefix))


def network_part(address: str, prefix: int) -> str:
    """('192.168.1.77', 24) -> '192.168.1.0': the host bits set to zero."""
    return int_to_ipv4(ipv4_to_int(address) & _mask(prefix))


def host_part(address: str, prefix: int) -> int:
    """('192.168.1.77', 24) -> 77: the bits the mask leaves out."""
    return ipv4_to_int(address) & ~_mask(prefix) & MAX_IPV4


# --- special addresses and ports ------------------------------------------------------

def _in(number: int, base: int, prefix: int, bits: int) -> bool:
    return number >> (bits - prefix) == base >> (bits - prefix)


def is_loopback(address: str) -> bool:
    """127.0.0.0/8 for IPv4, ::1 for IPv6."""
    if ":" in address:
        return ipv6_to_int(address) == 1
    return _in(ipv4_to_int(address), 127 << 24, 8, 32)


def is_private(address: str) -> bool:
    """RFC 1918 (10/8, 172.16/12, 192.168/16) for IPv4; fc00::/7 for IPv6."""
    if ":" in address:
        return _in(ipv6_to_int(address), 0xFC00 << 112, 7, 128)
    n = ipv4_to_int(address)
    return (_in(n, 10 << 24, 8, 32) or _in(n, 172 << 24 | 16 << 16, 12, 32)
            or _in(n, 192 << 24 | 168 << 16, 16, 32))


def port_kind(port: int) -> str:
    """'well-known' (0-1023), 'registered' (1024-49151) or 'dynamic' (49152-65535)."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port!r} is out of range 0..65535")
    if port < 1024:
        return "well-known"
    return "registered" if port < 49152 else "dynamic"


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/ip_addresses.py)
    for text in ("192.168.0.1", "127.0.0.1"):
        print(f"{text:>15} = {ipv4_to_int(text):>10}  loopback={is_loopback(text)} private={is_private(text)}")
    print("the notes' IPv6:", compress_ipv6("2001:0db8:85a3:0042:1000:8a2e:0370:7334"))
    print("2001:db8:0:0:1:0:0:1 ->", compress_ipv6("2001:db8:0:0:1:0:0:1"))
    print("192.168.1.77/24: network", network_part("192.168.1.77", 24), "host", host_part("192.168.1.77", 24))
    print("port 80 is", port_kind(80), "- port 8080 is", port_kind(8080))
