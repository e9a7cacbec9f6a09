#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_reply to corpus/reply/ next to this script.

One frame per file: what strata must answer, what it must pass to the kernel
and what it must drop, so that the fuzzer starts next to every branch of
strata_reply(). Documentation addresses only (RFC 5737, RFC 3849); the
service addresses match fuzz_reply.c: 192.0.2.1 and 2001:db8::1.

Run it again after changing a frame and commit the output; the files are
small and the build never regenerates them.
"""
import os
import struct

SVC4 = bytes([192, 0, 2, 1])
CLI4 = bytes([198, 51, 100, 7])
SVC6 = bytes.fromhex("20010db8000000000000000000000001")
CLI6 = bytes.fromhex("20010db8000100000000000000000007")
MAC_SRV = bytes.fromhex("020000000001")
MAC_CLI = bytes.fromhex("020000000002")
XMT = bytes.fromhex("e9a1b2c3deadbeef")  # the client's transmit timestamp


def csum(data):
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype, payload, vlan=None, dst=MAC_SRV):
    hdr = dst + MAC_CLI
    if vlan is not None:
        hdr += struct.pack("!HH", 0x8100, vlan)
    return hdr + struct.pack("!H", ethertype) + payload


def ip4(payload, proto=17, src=CLI4, dst=SVC4, options=b"", frag=0x4000):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload),
                      0x1234, frag, 64, proto, 0, src, dst) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ip6(payload, nexthdr=17, src=CLI6, dst=SVC6):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nexthdr, 64, src, dst) + payload


def udp(payload, src, dst, sport=50123, dport=123):
    n = 8 + len(payload)
    proto = 17
    pseudo = src + dst + (struct.pack("!BBH", 0, proto, n) if len(src) == 4
                          else struct.pack("!IxxxB", n, proto))
    c = csum(pseudo + struct.pack("!HHHH", sport, dport, n, 0) + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, n, c) + payload


def ntp(version=4, mode=3, tail=b"", xmt=XMT):
    """A client's request as chrony and ntpd send it: zeros, poll 6, a transmit time."""
    return struct.pack("!BBbb", version << 3 | mode, 0, 6, -20) + bytes(36) + xmt + tail


# The reply fuzz_reply.c's snapshot gives to a v4 request; keep in step with setup() there.
NTP_AT_RX = 0xE9A1B2C312345678
TX_DELAY_NS = 1000


def reply_ntp_without_org():
    rate = ((1 << 96) + 500000000) // 1000000000  # snap_map_set_rate(1 GHz): 2^-96 units per ns
    tx = NTP_AT_RX + (TX_DELAY_NS * rate >> 64)
    return (struct.pack("!BBbbIII", 4 << 3 | 4, 1, 6, -20, 0x10, 0x20, 0x47505300)
            + struct.pack("!QQQ", NTP_AT_RX - (16 << 32), NTP_AT_RX, tx))


def xmt_for_zero_csum(src, dst):
    """A request transmit time whose reply has a UDP checksum summing to 0, sent as 0xffff.

    The reply's origin is the request's transmit time, so its last 16 bits
    can cancel the sum of everything else in the reply.
    """
    pseudo = dst + src + (struct.pack("!BBH", 0, 17, 56) if len(src) == 4
                          else struct.pack("!IxxxB", 56, 17))
    # every word but the last of the origin, in any order: the sum commutes
    fixed = pseudo + struct.pack("!HHHH", 123, 50123, 56, 0) + reply_ntp_without_org() + XMT[:6]
    word = csum(fixed)  # ~sum: the word that brings the sum to 0xffff
    return XMT[:6] + struct.pack("!H", word)


def ef(ftype, length):
    """An RFC 7822 extension field of @length octets, value bytes counting up."""
    return struct.pack("!HH", ftype, length) + bytes(i & 0xFF for i in range(length - 4))


def v4(payload, **kw):
    return eth(0x0800, ip4(udp(payload, CLI4, SVC4, **kw)))


def v6(payload, **kw):
    return eth(0x86DD, ip6(udp(payload, CLI6, SVC6, **kw)))


def frames():
    mac_md5 = struct.pack("!I", 7) + bytes(range(16))
    mac_sha1 = struct.pack("!I", 8) + bytes(range(20))
    nts = ef(0x0104, 36) + ef(0x0204, 104) + ef(0x0404, 40)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_CLI, CLI4, bytes(6), SVC4)
    tcp = struct.pack("!HHIIBBHHH", 50123, 123, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    # mode 6 READSTAT and mode 7 MON_GETLIST_1 (monlist), both only headers
    control = struct.pack("!BBHHHHH", 2 << 3 | 6, 1, 1, 0, 0, 0, 0)
    private = struct.pack("!BBBB", 2 << 3 | 7, 0, 3, 42) + bytes(44)
    whole = ip4(udp(ntp(), CLI4, SVC4))
    return {
        "v4_ipv4": v4(ntp()),
        "v3_ipv4": v4(ntp(3)),
        "v2_ipv4": v4(ntp(2)),
        "v1_mode0_ipv4": v4(ntp(1, 0)),
        "v1_mode0_port123_ipv4": v4(ntp(1, 0), sport=123),
        "v4_ipv6": v6(ntp()),
        "v4_vlan_ipv4": eth(0x0800, ip4(udp(ntp(), CLI4, SVC4)), vlan=100),
        "v4_vlan_ipv6": eth(0x86DD, ip6(udp(ntp(), CLI6, SVC6)), vlan=100),
        # NOP, NOP, then a 4-slot record route (RFC 791), 24 octets of options
        "v4_ipv4_options": eth(0x0800, ip4(udp(ntp(), CLI4, SVC4),
                                           options=b"\x01\x01\x07\x13\x04" + bytes(19))),
        "v4_ef_unknown": v4(ntp(tail=ef(0x7777, 28))),
        # RFC 7822 section 7.5: a last field under 28 octets without a MAC is malformed
        "v4_ef_short_last": v4(ntp(tail=ef(0x7777, 16))),
        "v4_ef_two_ipv6": v6(ntp(tail=ef(0x7777, 16) + ef(0x7778, 32))),
        "v4_ef_mac_md5": v4(ntp(tail=ef(0x7777, 16) + mac_md5)),
        "v3_mac_md5": v4(ntp(3, tail=mac_md5)),
        "v4_mac_sha1_ipv6": v6(ntp(tail=mac_sha1)),
        "v4_nts": v4(ntp(tail=nts)),
        "v4_nts_ipv6": v6(ntp(tail=nts)),
        "mode6_control": v4(control),
        "mode7_private": v4(private),
        "v4_mode4_server": v4(ntp(4, 4)),
        "v4_csum_zero_ipv4": v4(ntp(xmt=xmt_for_zero_csum(CLI4, SVC4))),
        "v4_csum_zero_ipv6": v6(ntp(xmt=xmt_for_zero_csum(CLI6, SVC6))),
        "src_loopback_ipv6": eth(0x86DD, ip6(udp(ntp(), bytes(15) + b"\1", SVC6),
                                             src=bytes(15) + b"\1")),
        "src_ours_ipv6": eth(0x86DD, ip6(udp(ntp(), SVC6, SVC6), src=SVC6)),
        "udp_empty_ipv6": v6(b""),
        "l2_multicast": eth(0x0800, ip4(udp(ntp(), CLI4, SVC4)),
                            dst=bytes.fromhex("01005e000001")),
        "arp": eth(0x0806, arp, dst=b"\xff" * 6),
        "tcp_port123": eth(0x0800, ip4(tcp, proto=6)),
        "not_ours_ipv4": eth(0x0800, ip4(udp(ntp(), CLI4, bytes([192, 0, 2, 9])),
                                         dst=bytes([192, 0, 2, 9]))),
        "port124": v4(ntp(), dport=124),
        # the first fragment (more fragments) and the second (offset 24 octets)
        "frag_first": eth(0x0800, ip4(udp(ntp(), CLI4, SVC4)[:24], frag=0x2000)),
        "frag_second": eth(0x0800, ip4(udp(ntp(), CLI4, SVC4)[24:], frag=0x0003)),
        "frag_ipv6": eth(0x86DD, ip6(struct.pack("!BBHI", 17, 0, 1, 0x42)
                                     + udp(ntp(), CLI6, SVC6), nexthdr=44)),
        "trunc_ntp40": v4(ntp()[:40]),
        "trunc_frame": eth(0x0800, whole)[:60],
        "trunc_eth": eth(0x0800, whole)[:13],
    }


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "reply")
    os.makedirs(out, exist_ok=True)
    for name, frame in sorted(frames().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(frame)


if __name__ == "__main__":
    main()
