#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the fuzz targets next to this script.

corpus/reply/: one frame per file: what strata must answer, what it must
pass to the kernel and what it must drop, so that the fuzzer starts next to
every branch of strata_reply(). Documentation addresses only (RFC 5737,
RFC 3849); the service addresses match fuzz_reply.c: 192.0.2.1 and
2001:db8::1.

corpus/ntpc/: scripts for fuzz_ntpc.c (a source configuration, then polls
with their replies, lost polls and clock steps): good samples, every kiss
code, every reason RFC 5905 section 8 gives to refuse a reply.

corpus/config/: configuration files for fuzz_config.c: the examples of
docs/config.md and of the tests, every directive, and the errors that the
parser checks before the words (characters, line length, comments).

corpus/poolreg/: inputs for fuzz_poolreg.c: registration messages of each
type (docs/pool.md "Protocol"), as fuzz_poolreg.c signs them and with their
MAC, truncated and broken; and registration sequences for its registrar
(register, refresh, replay, stale, deregister, lapse, unknown pool).

corpus/pooldns/: DNS queries for fuzz_pooldns.c's zone pool.test: A, AAAA,
SOA, ANY, TXT at the pools, the apex, an empty non-terminal, names inside
and outside the zone, other classes and opcodes, EDNS sizes and versions,
compression pointers, truncations and garbage.

corpus/ntske/: NTS-KE streams for fuzz_ntske.c (first octet: 0 a client's
request, 1 a server's answer): what chrony, NTPsec and strata send, and
each reason RFC 8915 section 4 gives to refuse one.

corpus/nts/: NTS requests for fuzz_nts.c (first octet: bit 0 asks the
harness to seal the cookies and the authenticator, bit 2 leaves the
authenticator alone, bit 1 picks AEAD 17 over 15; then the NTP payload): good requests with 0 to 7 placeholders,
encrypted fields, short and long nonces, and each drop and NAK of RFC 8915
section 5.7.

Run it again after changing a seed and commit the output; the files are
small and the build never regenerates them.
"""
import hashlib
import hmac
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
        # symmetric active (w32time, a peer): answered in mode 2; never with NTS
        "v4_mode1_ipv4": v4(ntp(4, 1), sport=123),
        "v3_mode1_ipv6": v6(ntp(3, 1)),
        "v4_mode1_mac_md5": v4(ntp(4, 1, tail=mac_md5)),
        "v4_mode1_nts": v4(ntp(4, 1, tail=nts)),
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


# --- fuzz_ntpc.c -------------------------------------------------------------
# Keep in step with fuzz_ntpc.c: the op octet and the record layouts.
ACT_POLL, ACT_DUP, ACT_TIMEOUT, ACT_STEP = 0, 1, 2, 3
OP_ORIGIN, OP_RELTIME, OP_ONTIME, OP_PADDED = 4, 8, 16, 32
GOOD = OP_ORIGIN | OP_RELTIME | OP_ONTIME


def ntpc_cfg(minpoll=6, maxpoll=10, iburst=False, prefer=False, noselect=False, era1=False):
    """The 3 header octets: poll limits stored as (N + 8) % 28."""
    flags = iburst | prefer << 1 | noselect << 2 | era1 << 3
    return bytes([(minpoll + 8) % 28, (maxpoll + 8) % 28, flags])


def rel(sec):
    """A time relative to T1 (OP_RELTIME) in NTP 32.32 units, modulo 2^64."""
    return round(sec * 2**32) & (2**64 - 1)


def server_reply(offset=0.0005, rtt=0.002, leap=0, version=4, mode=4, stratum=2, poll=6,
                 precision=-20, root_delay=0.01, root_disp=0.005, refid=b"\xc0\x00\x02\x0b",
                 t2=None, t3=None, org=0):
    """A server reply whose receive and transmit times are relative to T1."""
    if t2 is None:
        t2 = rel(rtt / 2 - 0.0001 + offset)
    if t3 is None:
        t3 = (t2 + rel(0.0002)) & (2**64 - 1)
    return (struct.pack("!BBbbII4sQQQQ", leap << 6 | version << 3 | mode, stratum, poll,
                        precision, round(root_delay * 65536), round(root_disp * 65536), refid,
                        t2, org, t2, t3))


def poll(pkt, rtt=0.002, op=GOOD, action=ACT_POLL, length=None):
    rec = bytes([op | action | (OP_PADDED if length is not None else 0)])
    if length is not None:
        rec += bytes([length])
    return rec + struct.pack("!i", round(rtt * 2**28)) + pkt


def timeout(ms=64000):
    return bytes([ACT_TIMEOUT]) + struct.pack("!H", ms)


def step(sec):
    return bytes([ACT_STEP]) + struct.pack("!i", round(sec * 65536))


def kiss(code, poll=10):
    return server_reply(stratum=0, leap=3, poll=poll, refid=code, t2=0, t3=0)


def ntpc_seeds():
    good = poll(server_reply())
    jitter = b"".join(poll(server_reply(offset=1e-5 * (i % 3 - 1))) for i in range(12))
    return {
        "sample": ntpc_cfg() + good,
        "iburst_samples": ntpc_cfg(iburst=True) + good * 6,
        "poll_rises": ntpc_cfg(minpoll=4, maxpoll=8) + jitter,
        "spike": ntpc_cfg(minpoll=4, maxpoll=8) + jitter + poll(server_reply(offset=0.8)),
        "kod_rate": ntpc_cfg(iburst=True) + good + poll(kiss(b"RATE", 12)) + good,
        "kod_rate_maxpoll": ntpc_cfg(minpoll=9, maxpoll=10) + poll(kiss(b"RATE", 17)),
        "kod_deny": ntpc_cfg() + good + poll(kiss(b"DENY")) + good,
        "kod_rstr": ntpc_cfg() + poll(kiss(b"RSTR")),
        "kod_other": ntpc_cfg() + poll(kiss(b"INIT")) + good,
        "unsync_leap3": ntpc_cfg() + poll(server_reply(leap=3)),
        "stratum16": ntpc_cfg() + poll(server_reply(stratum=16)),
        "t2_zero": ntpc_cfg() + poll(server_reply(t2=0), op=OP_ORIGIN),
        "t3_before_t2": ntpc_cfg() + poll(server_reply(t3=rel(-0.001))),
        "root_distance": ntpc_cfg() + poll(server_reply(root_delay=2.0, root_disp=0.6)),
        "negative_delay": ntpc_cfg() + poll(server_reply(), rtt=-0.01),
        "origin_mismatch": ntpc_cfg() + poll(server_reply(org=0x1234), op=OP_RELTIME) + good,
        "duplicate": ntpc_cfg() + good + poll(server_reply(), action=ACT_DUP),
        "late_reply": ntpc_cfg() + timeout(100) + poll(server_reply(), action=ACT_DUP),
        "short_47": ntpc_cfg() + poll(server_reply()[:47], length=47),
        "extension_field": ntpc_cfg() + poll(server_reply() + struct.pack("!HH", 0x7777, 28)
                                             + bytes(24), length=48 + 28),
        "mode3": ntpc_cfg() + poll(server_reply(mode=3)),
        "version0": ntpc_cfg() + poll(server_reply(version=0)),
        "version1": ntpc_cfg() + poll(server_reply(version=1)),
        "version5": ntpc_cfg() + poll(server_reply(version=5)),
        "unreachable_backoff": ntpc_cfg(minpoll=-2, maxpoll=3) + good + timeout(1000) * 10
        + good,
        "clock_step": ntpc_cfg() + good * 2 + step(-0.25) + good,
        "era_rollover": ntpc_cfg(minpoll=0, maxpoll=0, era1=True) + good * 4,
        "big_offset": ntpc_cfg() + poll(server_reply(offset=-3000.0)),
        "precision_max": ntpc_cfg() + poll(server_reply(precision=127)),
        "poll_limits": ntpc_cfg(minpoll=-6, maxpoll=17, noselect=True, prefer=True) + good,
        "poll_beyond": ntpc_cfg(minpoll=19, maxpoll=-8) + good,
    }


# --- fuzz_config.c -----------------------------------------------------------
DOCS_PUBLIC = """# /etc/stratad.conf
listen xdp eth1 address 203.0.113.10 address 2001:db8:100::10
server ntp1.example.net iburst
server ntp2.example.net iburst
pool pool.example.org iburst maxsources 4
minsources 2
driftfile /var/lib/strata/drift
leapfile /usr/share/zoneinfo/leap-seconds.list
local stratum 10        # after the holdover, rather than unsynchronised
metrics 127.0.0.1:11123
"""

DOCS_SYSTEM = """# /etc/strata/strata.conf

# the addresses clients send their requests to, by interface
listen xdp eth0 address 192.0.2.1 address 2001:db8::123
listen xdp eth1 address 198.51.100.7

refclock system        # serve the host clock

metrics 127.0.0.1:11123 # Prometheus scrapes http://127.0.0.1:11123/metrics
control /run/strata/stratad.sock
"""

BASE = "listen xdp s0 address 192.0.2.1\n"


def config_seeds():
    many = "".join("server 198.51.100.%d\n" % i for i in range(1, 17))
    return {
        "docs_public": DOCS_PUBLIC,
        "docs_system": DOCS_SYSTEM,
        "test_local": "listen xdp s0 address 192.0.2.1 address 2001:db8::1\nlocal stratum 5\n"
        "control /tmp/strata-test/ctl.sock\n",
        "test_upstream": BASE + "".join("server 192.0.2.1%d iburst minpoll -2 maxpoll -2\n" % i
                                        for i in range(1, 5)) + "minsources 2\nholdover 3\n",
        "test_pool": BASE + "pool pool.strata.test iburst maxsources 4 minpoll -2 maxpoll -2\n",
        "test_refclock": BASE + "refclock phc CLOCK_TAI poll -3 offset -37\nrefclock system\n"
        "holdover 60\n",
        "test_dpdk": "listen dpdk net_af_xdp0,iface=s0,queue_count=2 address 192.0.2.1 "
        "address 2001:db8::1\nlocal stratum 5\n",
        "two_interfaces": "listen xdp eth0 address 192.0.2.1\nlisten xdp eth1 address "
        "198.51.100.1\nlisten dpdk 0000:01:00.0 address 2001:db8::2\nxdpmode generic\n"
        "refclock system\n",
        "servers_all_options": BASE + "server 198.51.100.1 iburst minpoll 4 maxpoll 8 prefer\n"
        "server ntp1.example.org noselect minpoll -2 maxpoll -2\nserver 2001:db8::123\n"
        "refclock phc /dev/ptp0 poll 0 offset -37 prefer\n",
        "sixteen_sources": BASE + many,
        "eight_addresses": "listen xdp eth0" + "".join(" address 192.0.2.%d" % i
                                                      for i in range(1, 9))
        + "".join(" address 2001:db8::%x" % i for i in range(1, 9)) + "\nrefclock system\n",
        "metrics_ipv6": BASE + "refclock system\nmetrics [::1]:11123\n",
        "allow_deny": BASE + "local stratum 10\nallow 192.0.2.0/24\nallow 2001:db8::/32\n"
        "deny 198.51.100.0/24 kod\ndeny 203.0.113.7\ndeny 2001:db8:bad::/48\n",
        "deny_all": BASE + "local stratum 10\ndeny all kod\nallow 192.0.2.128/25\n",
        "allow_all": BASE + "local stratum 10\nallow all\ndeny 198.51.100.0/24\n",
        "acl_same_prefix": BASE + "local stratum 10\nallow all\ndeny 0.0.0.0/0\n",
        "acl_host_bits": BASE + "local stratum 10\ndeny 192.0.2.77/24 kod\n",
        "ratelimit": BASE + "local stratum 10\nratelimit interval 3 burst 8 leak 2 kod\n",
        "ratelimit_bare": BASE + "local stratum 10\nratelimit\n",
        "ratelimit_limits": BASE + "local stratum 10\nratelimit interval -4 burst 255 leak 16\n",
        "register": BASE + "local stratum 2\nregister pool.strata.test via 192.0.2.53 key "
        "/etc/strata/pool.key\nregister pool.example.net via [2001:db8::53]:4460 key /k\n"
        "register pool.example.net via registrar.example.net:4461 key /k\n",
        "user": BASE + "local stratum 10\nuser _strata\n",
        "user_root": BASE + "local stratum 10\nuser root\n",
        "docs_acl": BASE + "local stratum 10\nallow 192.0.2.0/24\nallow 2001:db8::/32\n"
        "deny 192.0.2.128/25 kod\nratelimit interval 3 burst 8 leak 2 kod\n",
        "public_hardened": DOCS_PUBLIC + "user _strata\nratelimit interval 4 burst 4 leak 3\n"
        "deny all\nallow 198.51.100.0/24\n",
        # the checks before the words
        "dos_line_ends": BASE.replace("\n", "\r\n") + "refclock system\r\n",
        "nul_byte": BASE + "refclock\0system\n",
        "utf8_comment": BASE + "refclock system # the host clock, disciplined by chronyd \u2713\n",
        "comment_in_word": BASE + "refclock system#x\n",
        "long_line": BASE + "refclock system" + " " * 1010 + "\n",
        "no_final_newline": BASE + "local stratum 15",
        "no_time_source": BASE,
        "errors_whole_file": "# nothing\n\n\t\n",
        "broadcast_address": "listen xdp s0 address 255.255.255.255\nrefclock system\n",
        "duplicate_address": BASE + "listen xdp s1 address 192.0.2.1\nrefclock system\n",
        "once_twice": BASE + "refclock system\nxdpmode native\nxdpmode generic\n",
        "unknown_directive": BASE + "refclock system\nrestrict default kod nomodify\n",
    }


POOL_KEY = b"strata-pool fuzz key, 32 octets\0"  # fuzz_poolreg.c's key
T0 = 1700000000 * 10**9  # fuzz_poolreg.c's REAL0


def preg(mtype, pool, addrs, time_ns=T0, nonce=0x0123456789ABCDEF, lifetime=0, status=0):
    """A registration message without its MAC; addrs are 4- or 16-octet strings."""
    name = pool.encode()
    body = b"SPRG" + struct.pack(">BBBBQQIB3x", 1, mtype, status, len(addrs), time_ns, nonce,
                                 lifetime, len(name)) + name
    for a in addrs:
        body += bytes([4 if len(a) == 4 else 6]) + a
    return body


def signed(body):
    return body + hmac.new(POOL_KEY, body, hashlib.sha256).digest()


def record(body, step=0, rel=None, probe=0, clone=False):
    """A record of a registration sequence: rel sets time_ns to our clock + rel s (even, -32..30);
    without it, probe bit 0 puts every address in service first, bit 1 every other one out, and
    clone applies the message to 70 other first addresses too."""
    flags = step
    if rel is not None:
        flags |= 4 | ((rel // 2 + 16) << 3)
    else:
        flags |= probe << 3 | (0x20 if clone else 0)
    return bytes([flags]) + struct.pack(">H", len(body)) + body


def poolreg_seeds():
    a1, a2 = bytes([198, 51, 100, 10]), bytes([198, 51, 100, 11])
    v6 = bytes.fromhex("20010db8000200000000000000000010")
    reg = preg(1, "ntp.pool.test", [a1, v6], lifetime=600)
    reg16 = preg(1, "ntp.pool.test",
                 [bytes.fromhex("20010db80003000000000000000000%02x" % i) for i in range(16)],
                 lifetime=86400)
    long_name = ".".join(["a" * 63] * 3 + ["b" * 61])
    dereg = preg(2, "ntp.pool.test", [a1])
    ack = preg(3, "ntp.pool.test", [], status=2)
    seeds = {
        "msg_register": b"\0" + reg,
        "msg_register_mac": b"\0" + signed(reg),
        "msg_register16_v6": b"\0" + reg16,
        "msg_register_long_name": b"\0" + preg(1, long_name, [a1], lifetime=1),
        "msg_deregister": b"\0" + dereg,
        "msg_deregister_mac": b"\0" + signed(dereg),
        "msg_ack": b"\0" + ack,
        "msg_ack_mac": b"\0" + signed(ack),
        "msg_ack_addr": b"\0" + preg(3, "eu.pool.test", [a2], status=1),
        "msg_bad_mac": b"\0" + signed(reg)[:-1] + b"\0",
        "msg_trunc_hdr": b"\0" + reg[:31],
        "msg_trunc_addr": b"\0" + reg[:-3],
        "msg_trailing": b"\0" + reg + b"\0",
        "msg_bad_version": b"\0" + reg[:4] + b"\2" + reg[5:],
        "msg_bad_family": b"\0" + reg[:-17] + b"\5" + reg[-16:],
        "msg_zero_lifetime": b"\0" + preg(1, "ntp.pool.test", [a1]),
        "msg_lifetime_dereg": b"\0" + preg(2, "ntp.pool.test", [a1], lifetime=5),
        "msg_no_addr": b"\0" + preg(1, "ntp.pool.test", [], lifetime=5),
        "msg_bad_name": b"\0" + preg(1, "ntp..pool.test", [a1], lifetime=5),
        "msg_empty": b"\0",
    }
    r = lambda m, **kw: record(m, rel=kw.pop("rel", 0), **kw)
    regv = preg(1, "ntp.pool.test", [a1, a2, v6, a1], lifetime=60)
    seeds.update({
        "seq_register_refresh_deregister": b"\x80" + r(regv) + r(regv, step=1, rel=2)
        + r(preg(1, "ntp.pool.test", [a1, v6], lifetime=60), step=1, rel=4)
        + r(dereg, step=1, rel=6),
        "seq_replay": b"\x80" + r(regv) + r(dereg, step=1, rel=2) + record(b"")
        + r(regv, step=1, rel=-30),
        "seq_stale": b"\x80" + r(regv, rel=-32) + r(regv, rel=30) + record(regv),
        "seq_lapse": b"\x80" + r(preg(1, "eu.pool.test", [a2], lifetime=30)) + r(regv, step=2)
        + r(regv, step=3) + r(preg(1, "eu.pool.test", [a2], lifetime=3000), step=3, rel=2),
        "seq_unknown_pool": b"\x80" + r(preg(1, "nosuch.pool.test", [a1], lifetime=9))
        + r(preg(1, "NTP.Pool.Test", [a1], lifetime=9), rel=2),
        "seq_ack": b"\x80" + r(ack) + r(dereg, rel=2),
        "seq_static_first": b"\x80" + r(preg(1, "ntp.pool.test", [bytes([192, 0, 2, 1])],
                                              lifetime=9))
        + r(preg(2, "ntp.pool.test", [bytes([192, 0, 2, 1])]), rel=2),
        "seq_many": b"\x80" + b"".join(
            r(preg(1, "eu.pool.test", [bytes([198, 51, 100, i])], lifetime=100 + i))
            for i in range(19)),
        "seq_16": b"\x80" + r(reg16) + r(reg16[:-17 * 8], step=1, rel=2),
        "seq_served_refresh": b"\x80" + r(regv) + record(
            preg(1, "ntp.pool.test", [a1, v6], lifetime=60, time_ns=T0 + 10**9), step=1, probe=1),
        "seq_served_deregister": b"\x80" + r(regv) + record(
            preg(2, "ntp.pool.test", [a1], time_ns=T0 + 10**9), step=1, probe=1),
        "seq_out_refresh": b"\x80" + r(regv) + record(
            preg(1, "ntp.pool.test", [a1, a2, v6], lifetime=60, time_ns=T0 + 10**9), step=1,
            probe=3),
        "seq_served_lapse": b"\x80" + r(preg(1, "eu.pool.test", [a2], lifetime=30)) + record(
            preg(1, "eu.pool.test", [a2, a1], lifetime=30, time_ns=T0 + 10**9), step=1, probe=1)
        + record(b"", step=3),
        "seq_fill_members": b"\x80" + record(preg(1, "ntp.pool.test", [a1, v6], lifetime=100),
                                              clone=True)
        + record(preg(2, "ntp.pool.test", [a1], time_ns=T0 + 10**9), step=1, clone=True),
        "seq_lifetime_max": b"\x80" + r(preg(1, "eu.pool.test", [v6], lifetime=0xFFFFFFFF))
        + record(b"", step=3) + r(preg(1, "eu.pool.test", [v6], lifetime=86401), rel=2),
        "seq_fill_replay": b"\x80" + record(preg(1, "eu.pool.test", [a1], lifetime=100),
                                             clone=True)
        + record(preg(1, "eu.pool.test", [bytes([198, 51, 100, 200])], lifetime=100), clone=True)
        + record(preg(1, "eu.pool.test", [v6], lifetime=100), clone=True),
    })
    return seeds


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split(".") if name not in (".", "") else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(name, qtype=1, qclass=1, qid=0x1234, flags=0x0100, edns=None, edns_ver=0,
              qdcount=1, extra=b""):
    an = 0
    ar = 1 if edns is not None else 0
    hdr = struct.pack(">HHHHHH", qid, flags, qdcount, an, 0, ar)
    q = dns_name(name) + struct.pack(">HH", qtype, qclass) if qdcount else b""
    opt = b""
    if edns is not None:
        # RFC 6891 section 6.1.2: root owner, type OPT, class = UDP size, TTL = ext rcode,
        # version, flags (DO)
        opt = b"\0" + struct.pack(">HHBBHH", 41, edns, 0, edns_ver, 0, 0)
    return hdr + q + opt + extra


def pooldns_seeds():
    A, NS, SOA, TXT, AAAA, ANY = 1, 2, 6, 16, 28, 255
    seeds = {
        "a_ntp": dns_query("ntp.pool.test"),
        "aaaa_ntp": dns_query("ntp.pool.test", AAAA),
        "any_ntp": dns_query("ntp.pool.test", ANY),
        "txt_ntp": dns_query("ntp.pool.test", TXT),
        "a_ntp_case_dot": dns_query("NtP.POOL.test."),
        "aaaa_big": dns_query("big.eu.pool.test", AAAA),
        "aaaa_big_edns1232": dns_query("big.eu.pool.test", AAAA, edns=1232),
        "aaaa_big_edns700": dns_query("big.eu.pool.test", AAAA, edns=700),
        "aaaa_big_edns4096": dns_query("big.eu.pool.test", AAAA, edns=4096),
        "aaaa_big_edns100": dns_query("big.eu.pool.test", AAAA, edns=100),
        "any_big": dns_query("big.eu.pool.test", ANY),
        "any_big_edns700": dns_query("big.eu.pool.test", ANY, edns=700),
        "a_big": dns_query("big.eu.pool.test", A),
        "soa_apex": dns_query("pool.test", SOA),
        "any_apex": dns_query("pool.test", ANY),
        "ns_apex": dns_query("pool.test", NS),
        "a_ent": dns_query("eu.pool.test"),
        "a_nxdomain": dns_query("nosuch.pool.test"),
        "a_below_pool": dns_query("x.ntp.pool.test"),
        "a_outside": dns_query("ntp.example.net"),
        "a_parent": dns_query("test"),
        "a_root": dns_query("."),
        "a_suffix_only": dns_query("xpool.test"),
        "a_escaped_dot": bytes.fromhex("12340100000100000000000008") + b"ntp.pool" + dns_name(
            "test") + b"\0\1\0\1",
        "class_ch": dns_query("ntp.pool.test", qclass=3),
        "class_any": dns_query("ntp.pool.test", qclass=255),
        "edns_v1": dns_query("ntp.pool.test", edns=1232, edns_ver=1),
        "opcode_notify": dns_query("pool.test", SOA, flags=0x2000),
        "opcode_update": dns_query("pool.test", SOA, flags=0x2800),
        "qd0": dns_query("", qdcount=0),
        "qd2": dns_query("ntp.pool.test", qdcount=2) + dns_name("pool.test") + b"\0\6\0\1",
        "response": dns_query("ntp.pool.test", flags=0x8100),
        "runt": dns_query("ntp.pool.test")[:11],
        "header_only": dns_query("ntp.pool.test")[:12],
        "trunc_name": dns_query("ntp.pool.test")[:20],
        "trunc_type": dns_query("ntp.pool.test")[:-2],
        "trailing": dns_query("ntp.pool.test") + b"\xde\xad",
        "pointer_loop": bytes.fromhex("123401000001000000000000c00c00010001"),
        "pointer_fwd": bytes.fromhex("123401000001000000000000c01200010001") + dns_name("pool.test"),
        "label_64": dns_query("a" * 63 + ".pool.test")[:12] + b"\x40" + b"a" * 64
        + dns_name("pool.test") + b"\0\1\0\1",
        "long_name": dns_query(".".join(["b" * 63] * 3 + ["c" * 50]) + ".pool.test"),
        "garbage": bytes(range(0, 256, 7)),
        "zeros": bytes(40),
    }
    return seeds


def ke_rec(rtype, body=b"", critical=True):
    """An NTS-KE record (RFC 8915 section 4)."""
    return struct.pack("!HH", rtype | (0x8000 if critical else 0), len(body)) + body


KE_END = ke_rec(0)
KE_NTP = ke_rec(1, b"\0\0")


def ntske_seeds():
    req = lambda *recs: b"\0" + b"".join(recs)
    resp = lambda *recs: b"\1" + b"".join(recs)
    cookies = b"".join(ke_rec(5, bytes([i]) * 104, False) for i in range(8))
    seeds = {
        "req_chrony": req(KE_NTP, ke_rec(4, b"\0\x0f"), KE_END),
        "req_both": req(KE_NTP, ke_rec(4, b"\0\x11\0\x0f"), KE_END),
        "req_noncritical_aead": req(KE_NTP, ke_rec(4, b"\0\x1e\0\x0f", False), KE_END),
        "req_server_port": req(ke_rec(6, b"ntp.example.net", False), ke_rec(7, b"\0\x7b", False),
                               KE_NTP, ke_rec(4, b"\0\x0f"), KE_END),
        "req_unknown": req(ke_rec(0x1234, b"abc", False), KE_NTP, ke_rec(4, b"\0\x0f"), KE_END),
        "req_unknown_critical": req(ke_rec(0x1234, b"abc"), KE_NTP, ke_rec(4, b"\0\x0f"), KE_END),
        "req_no_ntp": req(ke_rec(1, b"\x80\x01"), ke_rec(4, b"\0\x0f"), KE_END),
        "req_no_aead": req(KE_NTP, ke_rec(4, b"\0\x01"), KE_END),
        "req_error": req(ke_rec(2, b"\0\0"), KE_END),
        "req_partial": req(KE_NTP, ke_rec(4, b"\0\x0f"))[:-1],
        "req_after_end": req(KE_NTP, ke_rec(4, b"\0\x0f"), KE_END, ke_rec(0x4444, b"x")),
        "resp_strata": resp(KE_NTP, ke_rec(4, b"\0\x0f"), cookies,
                            ke_rec(6, b"ntp.example.net"), KE_END),
        "resp_17": resp(KE_NTP, ke_rec(4, b"\0\x11"), ke_rec(5, bytes(168), False), KE_END),
        "resp_port_warning": resp(ke_rec(3, b"\0\x05"), KE_NTP, ke_rec(4, b"\0\x0f"),
                                  ke_rec(7, b"\x01\x02"), cookies, KE_END),
        "resp_error": resp(ke_rec(2, b"\0\x02"), KE_END),
        "resp_no_cookie": resp(KE_NTP, ke_rec(4, b"\0\x0f"), KE_END),
    }
    return seeds


def nts_ef(ftype, body):
    body += bytes(-len(body) % 4)
    return struct.pack("!HH", ftype, 4 + len(body)) + body


def nts_auth(nonce_len=16, pt_len=0, extra=0):
    """An authenticator of zeros: fuzz_nts.c fills in the tag (flag bit 0)."""
    n = nonce_len + (-nonce_len % 4)
    c = 16 + pt_len
    body = struct.pack("!HH", nonce_len, c) + bytes(range(1, n + 1)) + bytes(c + (-c % 4) + extra)
    return struct.pack("!HH", 0x0404, 4 + len(body)) + body


def nts_req(flag=1, cookie_len=104, ph=0, uid=True, cookies=1, auth=None, after=b"",
            before=b"", key_id=b""):
    p = ntp() + before
    if uid:
        p += nts_ef(0x0104, bytes(range(32)))
    for _ in range(cookies):
        p += nts_ef(0x0204, key_id + bytes(cookie_len - len(key_id)))
    for _ in range(ph):
        p += nts_ef(0x0304, bytes(cookie_len))
    p += nts_auth() if auth is None else auth
    return bytes([flag]) + p + after


def nts_seeds():
    seeds = {}
    for ph in range(8):
        seeds["ok15_ph%d" % ph] = nts_req(ph=ph)
    seeds["ok17"] = nts_req(flag=3, cookie_len=168, ph=2)
    seeds["ok17_ph7"] = nts_req(flag=3, cookie_len=168, ph=7)
    seeds["encrypted_fields"] = nts_req(auth=nts_auth(pt_len=40))
    seeds["short_nonce_padded"] = nts_req(auth=nts_auth(nonce_len=5, extra=8))
    seeds["short_nonce"] = nts_req(auth=nts_auth(nonce_len=12))
    seeds["long_nonce"] = nts_req(auth=nts_auth(nonce_len=33))
    seeds["unknown_ef"] = nts_req(before=nts_ef(0x1234, bytes(12)))
    seeds["nak_auth"] = nts_req(flag=5)
    seeds["nak_key"] = nts_req(flag=0, key_id=b"\x12\x34\x56\x78")
    seeds["nak_cookie"] = nts_req(flag=0, key_id=b"\x5f\x3a\x9c\x01")
    seeds["nak_cookie_len"] = nts_req(cookie_len=100, ph=1, key_id=b"\x5f\x3a\x9c\x00")
    seeds["no_uid"] = nts_req(uid=False)
    seeds["no_cookie"] = nts_req(cookies=0, ph=1)
    seeds["two_cookies"] = nts_req(cookies=2)
    seeds["ef_after_auth"] = nts_req(after=nts_ef(0x2222, bytes(12)))
    seeds["placeholder_length"] = nts_req(ph=1)[:-40 - 108] + nts_ef(0x0304, bytes(100)) \
        + nts_auth()
    seeds["plain"] = b"\1" + ntp()
    return seeds


def write(sub, files):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", sub)
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(files.items()):
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    write("reply", frames())
    write("ntpc", ntpc_seeds())
    write("config", config_seeds())
    write("poolreg", poolreg_seeds())
    write("pooldns", pooldns_seeds())
    write("ntske", ntske_seeds())
    write("nts", nts_seeds())


if __name__ == "__main__":
    main()
