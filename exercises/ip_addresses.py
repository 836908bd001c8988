"""Exercise: IP addresses, networks and ports (seed: 8.18 1.1 TCP/IP简介; 9.16 1 网络通信要素).

The notes: "IP地址实际上是一个32位整数（称为IPv4），以字符串表示的IP地址如192.168.0.1
实际上是把32位整数按8位分组后的数字表示" -- an IPv4 address IS a 32-bit integer;
"192.168.0.1" is only its four bytes written in decimal, most significant
byte first (network byte order). "IPv6地址实际上是一个128位整数": eight groups
of 16 bits, written in hex, like 2001:0db8:85a3:0042:1000:8a2e:0370:7334.
And (9.16): "IP地址 = 网络地址 + 主机地址": the top bits name the network, the
rest the host; 127.0.0.1 is the loopback address; ports tell the programs on
one host apart.

You write the conversions yourself, with integer arithmetic (<<, >>, &, |).
Do NOT use the ipaddress module or socket.inet_aton/inet_pton: the rules
below differ from theirs on purpose, and the tests check those differences.

IPv4 text (ipv4_to_int, and every function that takes an IPv4 address):
  - exactly 4 parts separated by ".", each 1-3 ASCII digits 0-9, value 0-255;
  - no leading zeros: "0" is fine, "01", "00" and "010" are refused
    (socket.inet_aton("010.0.0.1") reads "010" as OCTAL 8 -- too ambiguous);
  - nothing else: no spaces, no signs ("+4"), no "_", no "0x", no non-ASCII
    digits (careful: int(" +1_0") == 10 and "١".isdigit() is True).
      ipv4_to_int("192.168.0.1") == 3232235521 == 0xC0A80001
      int_to_ipv4(0x7F000001) == "127.0.0.1"

IPv6 text (ipv6_to_int, expand_ipv6, compress_ipv6, and is_loopback/is_private
when the text contains ":"):
  - groups of 1-4 ASCII hex digits (either case) separated by ":";
  - "::" at most once; it stands for ONE OR MORE zero groups, so with "::"
    there are at most 7 written groups, without it exactly 8;
  - empty groups only through "::" (":1::" and "1::2:" are refused);
  - REFUSED although Python's ipaddress module accepts them:
      a dotted IPv4 tail   "::ffff:1.2.3.4"   (write it as "::ffff:102:304")
      a zone id            "fe80::1%eth0"
      ipv6_to_int("2001:db8::1") == 0x20010DB8000000000000000000000001

IPv6 output (int_to_ipv6, compress_ipv6): the canonical form of RFC 5952:
  - lowercase hex, no leading zeros in a group ("db8", not "0db8"; "0", not "0000");
  - the LONGEST run of two or more zero groups becomes "::"; on a tie, the
    leftmost run; a single zero group is written "0", never "::";
  - always plain hex groups, also for IPv4-mapped addresses.
      int_to_ipv6(0x20010DB8000000000001000000000001) == "2001:db8::1:0:0:1"
      expand_ipv6("2001:db8::1") == "2001:0db8:0000:0000:0000:0000:0000:0001"

Networks (IPv4 only): a prefix length p (0-32) splits an address into the
network part (the top p bits) and the host part (the other 32 - p bits):
      netmask(24) == "255.255.255.0"
      network_part("192.168.1.77", 24) == "192.168.1.0"
      host_part("192.168.1.77", 24) == 77

Special addresses:
  - loopback: IPv4 127.0.0.0/8 (all of it, not only 127.0.0.1); IPv6 ::1;
  - private: IPv4 RFC 1918 only -- 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16;
    IPv6 unique-local fc00::/7. Loopback, link-local (169.254/16, fe80::/10),
    documentation and other special ranges are NOT private here (the ipaddress
    module's is_private says True for many of them).

Ports: 0-1023 "well-known" (HTTP 80, HTTPS 443, SSH 22, DNS 53),
1024-49151 "registered" (e.g. 8080), 49152-65535 "dynamic".

Errors: every invalid input raises ValueError (not IndexError, not a bare
int() error), and its message quotes the input -- repr() of the text, or the
number -- and says what is wrong, e.g.
      ValueError: '01.2.3.4': octet '01' has a leading zero
The same for out-of-range numbers (int_to_ipv4(2**32)), prefix lengths
outside 0..32 and ports outside 0..65535.

Run the tests:   python -m grader ip_addresses
"""
from __future__ import annotations

MAX_IPV4 = 2**32 - 1   # the largest IPv4 address as an integer: 255.255.255.255
MAX_IPV6 = 2**128 - 1  # the largest IPv6 address: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff


# --- IPv4 -----------------------------------------------------------------------------

def ipv4_to_int(text: str) -> int:
    """'192.168.0.1' -> 3232235521 (0xC0A80001): the first octet is the MOST significant.

    Raises ValueError (quoting `text`) unless `text` follows the IPv4 rules above:
    4 parts, ASCII digits only, 0-255, no leading zeros.
    """
    # TODO: split on ".", check every part, then number = number << 8 | octet.
    raise NotImplementedError("ipv4_to_int")


def int_to_ipv4(number: int) -> str:
    """3232235521 -> '192.168.0.1'. ValueError unless 0 <= number <= MAX_IPV4."""
    # TODO: take the four bytes with >> and & 0xFF, most significant first.
    raise NotImplementedError("int_to_ipv4")


# --- IPv6 -----------------------------------------------------------------------------

def ipv6_to_int(text: str) -> int:
    """'2001:db8::1' -> 0x20010DB8000000000000000000000001.

    Raises ValueError (quoting `text`) unless `text` follows the IPv6 rules
    above (no dotted IPv4 tail, no %zone, "::" at most once, 1-4 hex digits
    per group, 8 groups in all).
    """
    # TODO: split on "::" first; each side into groups; fill the gap with zeros.
    raise NotImplementedError("ipv6_to_int")


def int_to_ipv6(number: int) -> str:
    """0x20010DB8000000000000000000000001 -> '2001:db8::1' (RFC 5952 canonical form).

    ValueError unless 0 <= number <= MAX_IPV6.
    """
    # TODO: eight 16-bit groups; find the longest run (length >= 2, leftmost
    # on ties) of zero groups; write it as "::".
    raise NotImplementedError("int_to_ipv6")


def compress_ipv6(text: str) -> str:
    """Any valid IPv6 text -> its canonical form: '2001:0DB8:0:0:0::1' -> '2001:db8::1'."""
    # TODO
    raise NotImplementedError("compress_ipv6")


def expand_ipv6(text: str) -> str:
    """Any valid IPv6 text -> 8 groups of 4 lowercase hex digits.

    expand_ipv6("::1") == "0000:0000:0000:0000:0000:0000:0000:0001"
    """
    # TODO
    raise NotImplementedError("expand_ipv6")


# --- network part and host part (IPv4) ---------------------------------------------------

def netmask(prefix: int) -> str:
    """The mask with `prefix` one-bits at the top: 24 -> '255.255.255.0', 0 -> '0.0.0.0'.

    ValueError unless 0 <= prefix <= 32.
    """
    # TODO
    raise NotImplementedError("netmask")


def network_part(address: str, prefix: int) -> str:
    """The address with its host bits set to zero: ('192.168.1.77', 24) -> '192.168.1.0'."""
    # TODO: address & mask
    raise NotImplementedError("network_part")


def host_part(address: str, prefix: int) -> int:
    """The host bits as an integer: ('192.168.1.77', 24) -> 77, ('10.1.2.3', 8) -> 66051."""
    # TODO: address & ~mask (keep it to 32 bits)
    raise NotImplementedError("host_part")


# --- special addresses and ports ------------------------------------------------------

def is_loopback(address: str) -> bool:
    """True for IPv4 127.0.0.0/8 and IPv6 ::1. The text is IPv6 if it contains ':'."""
    # TODO
    raise NotImplementedError("is_loopback")


def is_private(address: str) -> bool:
    """True for RFC 1918 IPv4 (10/8, 172.16/12, 192.168/16) and IPv6 fc00::/7 only."""
    # TODO
    raise NotImplementedError("is_private")


def port_kind(port: int) -> str:
    """'well-known' (0-1023), 'registered' (1024-49151) or 'dynamic' (49152-65535).

    ValueError unless 0 <= port <= 65535.
    """
    # TODO
    raise NotImplementedError("port_kind")
