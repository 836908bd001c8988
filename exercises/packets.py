"""Exercise: the protocol stack -- Ethernet, IPv4, UDP and TCP from raw bytes (seed: 9.26 1 互联网协议).

The notes: "互联网的本质就是一系列的协议" -- the Internet is a stack of protocols,
"tcp/ip四层": each layer wraps the one above it. A frame on the wire is

    [ Ethernet header | [ IPv4 header | [ UDP/TCP header | [ application data ] ] ] ]
      link              internet         transport          application

Here you take such a frame apart, byte by byte, with the struct module, check
its checksums, and build a UDP/IPv4 packet yourself.

Every multi-byte field is big-endian: NETWORK byte order, "!" in struct
("!H" is 2 bytes, "!I" 4). "<H", "=H" or plain "H" on x86 read the bytes
backwards. Layouts (byte offsets):

  Ethernet II (14 bytes; ETHERNET_HEADER is given):
    0 dst MAC (6) | 6 src MAC (6) | 12 EtherType (2): 0x0800 = IPv4
    payload = everything after byte 14.

  IPv4 (20 bytes + options):
    0 version (high 4 bits) | IHL (low 4 bits) | 1 TOS | 2 total length (2)
    4 identification (2) | 6 flags (top 3 bits) + fragment offset (low 13 bits) (2)
    8 TTL | 9 protocol (6 TCP, 17 UDP, 1 ICMP) | 10 header checksum (2)
    12 source address (4) | 16 destination address (4)
    20 options: (IHL - 5) * 4 bytes.
    IHL counts 32-bit WORDS: the header is IHL * 4 bytes (20..60), NOT always 20.
    payload = bytes IHL*4 .. total_length. A frame shorter than 60 bytes is
    padded by Ethernet, so bytes after total_length are padding, not payload.

  UDP (8 bytes): 0 src port | 2 dst port | 4 length (header + data) | 6 checksum
    payload = bytes 8 .. length.

  TCP (20 bytes + options):
    0 src port | 2 dst port | 4 sequence number (4) | 8 acknowledgment number (4)
    12 data offset (high 4 bits of the byte, in 32-bit words) | 13 flags (the
    8 bits CWR ECE URG ACK PSH RST SYN FIN; SYN = 0x02, ACK = 0x10)
    14 window (2) | 16 checksum (2) | 18 urgent pointer (2)
    20 options: (data offset - 5) * 4 bytes; payload = bytes data_offset*4 .. end.

  Addresses come back as text: MACs as "aa:bb:cc:dd:ee:ff" (lowercase, two
  digits each), IPv4 addresses dotted ("192.168.1.10").

The Internet checksum (RFC 1071), used by IPv4, UDP and TCP:
  1. read the data as 16-bit big-endian words; if the length is odd, pad with
     ONE zero byte at the END (the last byte is the HIGH byte of its word);
  2. add them up; fold every carry above bit 15 back into the low 16 bits
     (while total >> 16: total = (total & 0xFFFF) + (total >> 16));
  3. return the one's complement: ~total & 0xFFFF.
  A header that carries a correct checksum sums to 0xFFFF, so
  internet_checksum(header) == 0 means "valid".
      internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D   (RFC 1071's example)

The UDP checksum covers a 12-byte pseudo-header that is never sent,
    src address (4) | dst address (4) | zero (1) | protocol 17 (1) | UDP length (2)
then the UDP header (its checksum field counted as 0) and the data. A
computed checksum of 0 is sent as 0xFFFF: 0 in the field means "no checksum".

The TCP/IP four layers (LAYERS, top down): "application", "transport",
"internet" (the notes' 网络层, network layer) and "link" (网络接口层/数据链路层).
layer_of() knows exactly these protocols (any letter case):
    application: HTTP HTTPS FTP SMTP DNS SSH Telnet DHCP
    transport:   TCP UDP
    internet:    IP IPv4 IPv6 ICMP
    link:        Ethernet ARP Wi-Fi PPP    (ARP finds the MAC for an IP on one
                                            link; RFC 1122 puts it in the link layer)

Errors: malformed input raises ValueError (not struct.error, not IndexError):
too short for its header, IP version not 4, IHL or data offset < 5 or longer
than the data, a total length / UDP length outside header size .. len(data),
an EtherType other than IPv4 in parse_frame, an unknown protocol name.

Run the tests:   python -m grader packets
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


# The parsed headers (given: return these). `payload` is always bytes.

@dataclass(frozen=True)
class Ethernet:
    dst: str          # "00:1a:2b:3c:4d:5e"
    src: str
    ethertype: int    # 0x0800 for IPv4
    payload: bytes    # frame[14:]


@dataclass(frozen=True)
class IPv4:
    version: int          # 4
    ihl: int              # header length in 32-bit words (5..15)
    tos: int
    total_length: int     # header + payload, in bytes
    identification: int
    flags: int            # the top 3 bits of bytes 6-7 (DF = 2, MF = 1)
    fragment_offset: int  # the low 13 bits of bytes 6-7
    ttl: int
    protocol: int         # PROTO_TCP, PROTO_UDP, ...
    checksum: int         # the header checksum as found in the packet
    src: str              # "192.168.1.10"
    dst: str
    options: bytes        # bytes 20 .. ihl*4 (b"" when ihl == 5)
    payload: bytes        # bytes ihl*4 .. total_length


@dataclass(frozen=True)
class UDP:
    src_port: int
    dst_port: int
    length: int       # header + data, in bytes
    checksum: int     # as found in the datagram
    payload: bytes    # bytes 8 .. length


@dataclass(frozen=True)
class TCP:
    src_port: int
    dst_port: int
    seq: int
    ack: int
    data_offset: int  # header length in 32-bit words (5..15)
    flags: int        # byte 13: CWR ECE URG ACK PSH RST SYN FIN
    window: int
    checksum: int
    urgent: int
    options: bytes    # bytes 20 .. data_offset*4
    payload: bytes    # bytes data_offset*4 .. end


# --- parsing, one layer at a time --------------------------------------------------------

def parse_ethernet(frame: bytes) -> Ethernet:
    """The Ethernet II header of `frame`. ValueError if shorter than 14 bytes."""
    # TODO: ETHERNET_HEADER.unpack_from(frame); format each MAC as "aa:bb:..".
    raise NotImplementedError("parse_ethernet")


def parse_ipv4(packet: bytes) -> IPv4:
    """The IPv4 header of `packet` (the Ethernet payload), options and payload.

    ValueError if shorter than 20 bytes, version != 4, IHL < 5 or IHL*4 >
    len(packet), or total_length outside IHL*4 .. len(packet).
    """
    # TODO: unpack the fixed 20 bytes with a "!..." format, then use IHL.
    raise NotImplementedError("parse_ipv4")


def parse_udp(segment: bytes) -> UDP:
    """The UDP header of `segment` (the IPv4 payload) and its data.

    ValueError if shorter than 8 bytes or the length field is outside 8 .. len(segment).
    """
    # TODO
    raise NotImplementedError("parse_udp")


def parse_tcp(segment: bytes) -> TCP:
    """The TCP header of `segment` (the IPv4 payload), its options and data.

    ValueError if shorter than 20 bytes, data offset < 5, or data_offset*4 > len(segment).
    """
    # TODO
    raise NotImplementedError("parse_tcp")


def parse_frame(frame: bytes) -> tuple[Ethernet, IPv4, UDP | TCP | None]:
    """All the way up: (ethernet, ipv4, transport).

    transport is a UDP for protocol 17, a TCP for protocol 6, None for any
    other protocol (ICMP, ...). ValueError if the EtherType is not IPv4, or
    from any layer's parser.
    """
    # TODO: each layer parses the payload of the one below.
    raise NotImplementedError("parse_frame")


# --- the Internet checksum ---------------------------------------------------------------

def internet_checksum(data: bytes) -> int:
    """RFC 1071 over `data` (any length, odd too): a 16-bit int."""
    # TODO: pad, sum the "!H" words, fold the carries, complement.
    raise NotImplementedError("internet_checksum")


def verify_ipv4_checksum(packet: bytes) -> bool:
    """True if the IPv4 header at the start of `packet` (IHL*4 bytes, options
    included, payload excluded) carries a correct header checksum.

    ValueError if `packet` does not hold a complete header (IHL < 5 or too short).
    """
    # TODO
    raise NotImplementedError("verify_ipv4_checksum")


def udp_checksum(src_ip: str, dst_ip: str, segment: bytes) -> int:
    """The checksum `segment` (a whole UDP datagram: header + data) should carry
    when sent from src_ip to dst_ip. Whatever is in its checksum field now
    counts as 0. Returns 0xFFFF instead of 0. ValueError if shorter than 8 bytes.
    """
    # TODO: pseudo-header + segment with bytes 6-7 zeroed.
    raise NotImplementedError("udp_checksum")


def verify_udp_checksum(src_ip: str, dst_ip: str, segment: bytes) -> bool:
    """True if the checksum field of `segment` is right (or 0: "no checksum").

    ValueError if shorter than 8 bytes.
    """
    # TODO
    raise NotImplementedError("verify_udp_checksum")


# --- building a packet -------------------------------------------------------------------

def build_udp_packet(src_ip: str, dst_ip: str, src_port: int, dst_port: int, payload: bytes,
                     *, ttl: int = 64, identification: int = 0) -> bytes:
    """A complete IPv4 packet carrying one UDP datagram, exactly:

    IPv4 header, 20 bytes (no options): version 4, IHL 5, TOS 0,
        total length = 20 + 8 + len(payload), the given identification,
        flags DF with fragment offset 0 (bytes 6-7 = 0x4000), the given ttl,
        protocol 17, a correct header checksum, src, dst;
    UDP header: src_port, dst_port, length = 8 + len(payload), a correct
        checksum (pseudo-header included; 0xFFFF if it computes to 0);
    then the payload.

    ValueError if a port is outside 0..65535 or the packet would be longer
    than 65535 bytes.
    """
    # TODO: build the UDP datagram, checksum it, then the IP header, checksum it.
    raise NotImplementedError("build_udp_packet")


# --- which layer? ------------------------------------------------------------------------

def layer_of(protocol: str) -> str:
    """The TCP/IP layer (one of LAYERS) of a protocol, e.g. "HTTP" -> "application".

    Knows exactly the protocols listed in the module docstring, in any letter
    case; ValueError (quoting the name) for any other.
    """
    # TODO: a dict from lowercase name to layer.
    raise NotImplementedError("layer_of")
