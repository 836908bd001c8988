"""The protocol stack, from raw bytes: Ethernet II, IPv4, UDP and TCP headers.

Seed: 9.26 1 互联网协议 (the layers: tcp/ip四层 -- link, internet, transport,
application). Each layer's header is a fixed layout of big-endian fields
("!" in struct: network byte order), and its payload is the next layer:

    Ethernet: dst(6) src(6) type(2)                      -> payload is IPv4 if type 0x0800
    IPv4:     ver|ihl ... protocol ... src(4) dst(4) [options: (ihl - 5) * 4 bytes]
              payload = bytes ihl*4 .. total_length (Ethernet may pad short frames)
    UDP:      sport dport length checksum                -> payload = bytes 8 .. length
    TCP:      sport dport seq ack offset|flags ... [options: (offset - 5) * 4 bytes]

The Internet checksum (RFC 1071): the one's complement of the one's complement
sum of the 16-bit big-endian words, an odd last byte padded with a zero byte
AFTER it, every carry out of bit 15 added back in. UDP's checksum also covers
a pseudo-header (src, dst, 0, 17, UDP length) that is never sent.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17

ETHERNET_HEADER = struct.Struct("!6s6sH")  # dst MAC, src MAC, EtherType: 14 bytes

LAYERS = ("application", "transport", "internet", "link")  # the TCP/IP four layers, top down

_IPV4 = struct.Struct("!BBHHHBBH4s4s")  # the fixed 20 bytes; options follow when IHL > 5
_UDP = struct.Struct("!HHHH")
_TCP = struct.Struct("!HHIIBBHHH")  # the fixed 20 bytes; options follow when offset > 5
_PSEUDO = struct.Struct("!4s4sBBH")  # src, dst, zero, protocol, UDP length


@dataclass(frozen=True)
class Ethernet:
    dst: str
    src: str
    ethertype: int
    payload: bytes


@dataclass(frozen=True)
class IPv4:
    version: int
    ihl: int
    tos: int
    total_length: int
    identification: int
    flags: int
    fragment_offset: int
    ttl: int
    protocol: int
    checksum: int
    src: str
    dst: str
    options: bytes
    payload: bytes


@dataclass(frozen=True)
class UDP:
    src_port: int
    dst_port: int
    length: int
    checksum: int
    payload: bytes


@dataclass(frozen=True)
class TCP:
    src_port: int
    dst_port: int
    seq: int
    ack: int
    data_offset: int
    flags: int
    window: int
    checksum: int
    urgent: int
    options: bytes
    payload: bytes


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def _ip(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _ip_bytes(text: str) -> bytes:
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and int(p) <= 255 for p in parts):
        raise ValueError(f"{text!r} is not a dotted-quad IPv4 address")
    return bytes(int(p) for p in parts)


# --- parsing, one layer at a time --------------------------------------------------------

def parse_ethernet(frame: bytes) -> Ethernet:
    if len(frame) < ETHERNET_HEADER.size:
        raise ValueError(f"Ethernet frame of {len(frame)} bytes is shorter than its 14-byte header")
    dst, src, ethertype = ETHERNET_HEADER.unpack_from(frame)
    return Ethernet(_mac(dst), _mac(src), ethertype, bytes(frame[ETHERNET_HEADER.size:]))


def parse_ipv4(packet: bytes) -> IPv4:
    if len(packet) < _IPV4.size:
        raise ValueError(f"IPv4 packet of {len(packet)} bytes is shorter than 20 bytes")
    (ver_ihl, tos, total_length, ident, flags_frag, ttl, proto, checksum,
     src, dst) = _IPV4.unpack_from(packet)
    version, ihl = ver_ihl >> 4, ver_ihl & 0x0F
    if version != 4:
        raise ValueError(f"IP version {version}, expected 4")
    header_len = ihl * 4  # IHL counts 32-bit words: the options make it 20..60 bytes
    if ihl < 5 or len(packet) < header_len:
        raise ValueError(f"IHL {ihl} ({header_len} bytes) does not fit a packet of {len(packet)} bytes")
    if not header_len <= total_length <= len(packet):
        raise ValueError(f"total length {total_length} outside {header_len}..{len(packet)}")
    return IPv4(version, ihl, tos, total_length, ident, flags_frag >> 13, flags_frag & 0x1FFF,
                ttl, proto, checksum, _ip(src), _ip(dst),
                bytes(packet[_IPV4.size:header_len]),
                bytes(packet[header_len:total_length]))  # drop the link layer's padding


def parse_udp(segment: bytes) -> UDP:
    if len(segment) < _UDP.size:
        raise ValueError(f"UDP datagram of {len(segment)} bytes is shorter than 8 bytes")
    src_port, dst_port, length, checksum = _UDP.unpack_from(segment)
    if not _UDP.size <= length <= len(segment):
        raise ValueError(f"UDP length {length} outside 8..{len(segment)}")
    return UDP(src_port, dst_port, length, checksum, bytes(segment[_UDP.size:length]))


def parse_tcp(segment: bytes) -> TCP:
    if len(segment) < _TCP.size:
        raise ValueError(f"TCP segment of {len(segment)} bytes is shorter than 20 bytes")
    (src_port, dst_port, seq, ack, offset_byte, flags, window, checksum,
     urgent) = _TCP.unpack_from(segment)
    offset = offset_byte >> 4  # also in 32-bit words, like IHL
    if offset < 5 or len(segment) < offset * 4:
        raise ValueError(f"data offset {offset} does not fit a segment of {len(segment)} bytes")
    return TCP(src_port, dst_port, seq, ack, offset, flags, window, checksum, urgent,
               bytes(segment[_TCP.size:offset * 4]), bytes(segment[offset * 4:]))


def parse_frame(frame: bytes) -> tuple[Ethernet, IPv4, UDP | TCP | None]:
    eth = parse_ethernet(frame)
    if eth.ethertype != ETHERTYPE_IPV4:
        raise ValueError(f"EtherType {eth.ethertype:#06x} is not IPv4 (0x0800)")
    ip = parse_ipv4(eth.payload)
    if ip.protocol == PROTO_UDP:
        return eth, ip, parse_udp(ip.payload)
    if ip.protocol == PROTO_TCP:
        return eth, ip, parse_tcp(ip.payload)
    return eth, ip, None


# --- the Internet checksum ---------------------------------------------------------------

def internet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data = bytes(data) + b"\x00"  # the odd last byte is the HIGH byte of its word
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:  # fold the carries back in (end-around carry)
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def verify_ipv4_checksum(packet: bytes) -> bool:
    header_len = (packet[0] & 0x0F) * 4 if packet else 0
    if header_len < _IPV4.size or len(packet) < header_len:
        raise ValueError(f"no complete IPv4 header (IHL says {header_len} bytes) in "
                         f"{len(packet)} bytes")
    return internet_checksum(packet[:header_len]) == 0  # the sum over a good header is 0xFFFF


def _pseudo_header(src_ip: str, dst_ip: str, length: int) -> bytes:
    return _PSEUDO.pack(_ip_bytes(src_ip), _ip_bytes(dst_ip), 0, PROTO_UDP, length)


def udp_checksum(src_ip: str, dst_ip: str, segment: bytes) -> int:
    if len(segment) < _UDP.size:
        raise ValueError(f"UDP datagram of {len(segment)} bytes is shorter than 8 bytes")
    zeroed = bytes(segment[:6]) + b"\x00\x00" + bytes(segment[8:])  # the field counts as 0
    checksum = internet_checksum(_pseudo_header(src_ip, dst_ip, len(segment)) + zeroed)
    return checksum or 0xFFFF  # 0 on the wire means "no checksum", so 0 is sent as 0xFFFF


def verify_udp_checksum(src_ip: str, dst_ip: str, segment: bytes) -> bool:
    if len(segment) < _UDP.size:
        raise ValueError(f"UDP datagram of {len(segment)} bytes is shorter than 8 bytes")
    if segment[6:8] == b"\x00\x00":
        return True  # the sender did not compute one (allowed over IPv4)
    return internet_checksum(_pseudo_header(src_ip, dst_ip, len(segment)) + bytes(segment)) == 0


# --- building a packet -------------------------------------------------------------------

def build_udp_packet(src_ip: str, dst_ip: str, src_port: int, dst_port: int, payload: bytes,
                     *, ttl: int = 64, identification: int = 0) -> bytes:
    for port in (src_port, dst_port):
        if not 0 <= port <= 0xFFFF:
            raise ValueError(f"port {port} is out of range 0..65535")
    udp_length = _UDP.size + len(payload)
    total_length = _IPV4.size + udp_length
    if total_length > 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes makes a {total_length}-byte packet "
                         f"(max 65535)")
    segment = _UDP.pack(src_port, dst_port, udp_length, 0) + bytes(payload)
    checksum = udp_checksum(src_ip, dst_ip, segment)
    segment = segment[:6] + checksum.to_bytes(2, "big") + segment[8:]
    header = _IPV4.pack(0x45, 0, total_length, identification, 0x4000,  # DF, offset 0
                        ttl, PROTO_UDP, 0, _ip_bytes(src_ip), _ip_bytes(dst_ip))
    header = header[:10] + internet_checksum(header).to_bytes(2, "big") + header[12:]
    return header + segment


# --- which layer? ------------------------------------------------------------------------

_LAYER_OF = {
    **dict.fromkeys(("http", "https", "ftp", "smtp", "dns", "ssh", "telnet", "dhcp"),
                    "application"),
    **dict.fromkeys(("tcp", "udp"), "transport"),
    **dict.fromkeys(("ip", "ipv4", "ipv6", "icmp"), "internet"),
    **dict.fromkeys(("ethernet", "arp", "wi-fi", "ppp"), "link"),
}


def layer_of(protocol: str) -> str:
    try:
        return _LAYER_OF[protocol.lower()]
    except KeyError:
        raise ValueError(f"unknown protocol {protocol!r}") from None


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/packets.py)
    packet = build_udp_packet("192.168.1.10", "8.8.8.8", 54321, 53, b"hello, stack")
    frame = bytes.fromhex("001a2b3c4d5e 3c22fb123456 0800") + packet
    eth, ip, udp = parse_frame(frame)
    print(f"{layer_of('Ethernet'):>11}: {eth.src} -> {eth.dst}, type {eth.ethertype:#06x}")
    print(f"{layer_of('IP'):>11}: {ip.src} -> {ip.dst}, ttl {ip.ttl}, checksum {ip.checksum:#06x} "
          f"ok={verify_ipv4_checksum(eth.payload)}")
    print(f"{layer_of('UDP'):>11}: {udp.src_port} -> {udp.dst_port}, checksum {udp.checksum:#06x} "
          f"ok={verify_udp_checksum(ip.src, ip.dst, ip.payload)}")
    print(f"{layer_of('DNS'):>11}: {udp.payload!r}")
