"""ip_addresses that hands every question to Python's ipaddress module.

Bug: every function delegates to the ipaddress module, whose rules differ from the exercise's: it accepts a dotted IPv4 tail and a %zone in IPv6 text, and its is_private is True for loopback, link-local and documentation addresses.
Caught by: test_ipv6_rejects_what_ipaddress_accepts, test_is_private_means_rfc1918_only
"""
from __future__ import annotations

import ipaddress

MAX_IPV4 = 2**32 - 1
MAX_IPV6 = 2**128 - 1


def ipv4_to_int(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def int_to_ipv4(number: int) -> str:
    try:
        return str(ipaddress.IPv4Address(number))
    except ipaddress.AddressValueError as exc:
        raise ValueError(f"{number!r}: {exc}") from None


def ipv6_to_int(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def int_to_ipv6(number: int) -> str:
    try:
        return ipaddress.IPv6Address(number).compressed
    except ipaddress.AddressValueError as exc:
        raise ValueError(f"{number!r}: {exc}") from None


def compress_ipv6(text: str) -> str:
    return ipaddress.IPv6Address(text).compressed


def expand_ipv6(text: str) -> str:
    return ipaddress.IPv6Address(text).exploded


def _interface(address: str, prefix: int) -> ipaddress.IPv4Interface:
    if not 0 <= prefix <= 32:
        raise ValueError(f"prefix length {prefix!r} is out of range 0..32")
    return ipaddress.IPv4Interface(f"{ipaddress.IPv4Address(address)}/{prefix}")


def netmask(prefix: int) -> str:
    return str(_interface("0.0.0.0", prefix).netmask)


def network_part(address: str, prefix: int) -> str:
    return str(_interface(address, prefix).network.network_address)


def host_part(address: str, prefix: int) -> int:
    iface = _interface(address, prefix)
    return int(iface.ip) & int(iface.hostmask)


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def is_private(address: str) -> bool:
    return ipaddress.ip_address(address).is_private


def port_kind(port: int) -> str:
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port!r} is out of range 0..65535")
    if port < 1024:
        return "well-known"
    return "registered" if port < 49152 else "dynamic"
