#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Crafted NTP traffic for the integration tests (Python standard library only).

  ntp_probe.py send HOST KIND [--expect reply|none]
      send one UDP datagram of KIND to HOST:123 and check whether a reply comes
  ntp_probe.py raw IFACE DSTMAC KIND
      send one hand-made Ethernet frame of KIND on IFACE (AF_PACKET)
  ntp_probe.py srcmac IFACE HOST
      send one client request to HOST:123 and print the source MAC of the
      Ethernet frame its reply arrives in on IFACE, or "none" within 1 s
  ntp_probe.py listen HOST PORT OUTFILE SECONDS
      receive datagrams on HOST:PORT for at most SECONDS, append them to OUTFILE
  ntp_probe.py counter FILE NAME
      print counter NAME of the totals in stratactl --json counters output FILE
  ntp_probe.py measure HOST [N]
      N exchanges with HOST; print the offset (s) of the one with the least
      delay, its delay, the reply's leap indicator and stratum
  ntp_probe.py bound HOST LIMIT [MIN MAX] [--rootdist]
      prove from MIN to MAX (32 to 160) exchanges that HOST serves the kernel
      clock within LIMIT seconds, for a client that reads the same kernel
      clock (another namespace of this host); with --rootdist, fail if it
      is proven outside the root distance its replies announce too. Fails a
      reply whose server times fall outside its exchange; prints the proven
      interval
  ntp_probe.py leapserver HOST TO_MIDNIGHT SECONDS [anyday]
      answer on HOST:123 for SECONDS as a stratum-1 server whose clock reaches
      the end of the next 30 June or 31 December TO_MIDNIGHT seconds from now,
      announcing (LI 1) and then inserting a leap second there, as a real
      server around a leap does; with "anyday", the next UTC midnight but one
      instead, a day on which no leap second can end (a spurious announcement)
  ntp_probe.py liar HOST OFFSET SECONDS
      answer client requests on HOST:123 for SECONDS as a stratum-1 server whose
      clock is OFFSET seconds wrong (a falseticker for the tests)
  ntp_probe.py flood SRC HOST N RATE [--spoof]
      send N client requests from SRC to HOST:123, RATE a second (0: as fast as
      it can), and count the answers by kind: prints
      "sent=N reply=R kod_rate=K kod_deny=D kod_bad=B". A kiss-o'-death counts
      as RATE or DENY only if it passes the checks ntpd 4.2.8 applies to one
      (ntpd428_kod_check); the others are kod_bad, and the first one's reason
      goes to stderr. With --spoof the requests are raw IPv4 datagrams that
      only claim SRC as their source: their answers go to SRC, not here, and
      nothing is counted
  ntp_probe.py assoc SRC HOST N
      as one ntpd 4.2.8 client association: N requests from SRC to HOST:123,
      each sent when the previous was answered or 0.2 s passed, and each
      answer judged against the last request only (peer->aorg) and the last
      answer accepted (peer->xmt); prints "sent=N reply=R kod_rate=K
      kod_deny=D kod_bad=B" and the first refusal's reason on stderr
"""
import json
import os
import select
import socket
import struct
import sys
import time

def ntp(lvm=0x23, extra=b""):
    # leap 0, version 4, mode 3 by default; transmit timestamp random
    return bytes([lvm, 0, 6, 0]) + bytes(36) + os.urandom(8) + extra

KINDS = {
    "client": ntp(),
    "mode6": bytes([0x16, 0x02, 0x00, 0x01]) + bytes(8),   # ntpq readvar, RFC 9327
    "mode7": bytes([0x17, 0x00, 0x03, 0x2a]) + bytes(44),  # ntpdc monlist
    "short": ntp()[:20],
    "version0": ntp(lvm=0x03),
    "version5": ntp(lvm=0x2b),
    "mode1": ntp(lvm=0x21),  # symmetric active: w32time, a peer; answered in mode 2
    "mode1_nts": ntp(lvm=0x21, extra=struct.pack("!HH", 0x0104, 36) + b"strata-nts-uid-" + bytes(17)),
    # an extension field whose length (10) is below the minimum of 16 (RFC 7822)
    "bad_ext": ntp(extra=struct.pack("!HH", 0x2005, 10) + bytes(12)),
    # NTS-looking (RFC 8915 section 5.3: a Unique Identifier field), no cookie
    "nts_uid": ntp(extra=struct.pack("!HH", 0x0104, 36) + b"strata-nts-uid-" + bytes(17)),
}

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ipv4_udp(src, dst, sport, dport, payload, frag=0, bad_csum=False):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xFFFF) + udp[8:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, frag, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    c = csum(hdr) ^ (0x5555 if bad_csum else 0)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + udp

def cmd_send(host, kind, expect):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.sendto(KINDS[kind], (host, 123))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        data = None
    # RFC 5905 section 9.2, table 9: mode 2 answers mode 1, mode 4 the rest
    mode = 2 if KINDS[kind][0] & 7 == 1 else 4
    if expect == "reply" and (data is None or len(data) < 48 or data[0] & 7 != mode or
                              data[24:32] != KINDS[kind][40:48]):
        sys.exit("no valid reply to %s" % kind)
    if expect == "none" and data is not None:
        sys.exit("unexpected reply to %s: %d octets" % (kind, len(data)))

def cmd_raw(iface, dstmac, kind):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src = s.getsockname()[4]
    dst = bytes.fromhex(dstmac.replace(":", ""))
    payload = KINDS["client"]
    if kind == "bad_ip_csum":
        ip = ipv4_udp("192.0.2.2", "192.0.2.1", 40000, 123, payload, bad_csum=True)
    elif kind == "fragment":
        ip = ipv4_udp("192.0.2.2", "192.0.2.1", 40000, 123, payload, frag=0x2000)
    else:
        sys.exit("unknown raw kind " + kind)
    s.send(dst + src + b"\x08\x00" + ip)

def cmd_srcmac(iface, host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    cap.bind((iface, 0))
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    port = s.getsockname()[1]
    s.sendto(KINDS["client"], (host, 123))
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        r, _, _ = select.select([cap], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        f, addr = cap.recvfrom(2048)
        if addr[2] == socket.PACKET_OUTGOING or len(f) < 14:
            continue
        et = struct.unpack("!H", f[12:14])[0]
        if et == 0x0800 and len(f) >= 42 and f[23] == 17:
            udp = 14 + (f[14] & 15) * 4
        elif et == 0x86DD and len(f) >= 62 and f[20] == 17:
            udp = 54
        else:
            continue
        if len(f) >= udp + 4 and struct.unpack("!HH", f[udp:udp + 4]) == (123, port):
            print(f[6:12].hex(":"))
            return
    print("none")

def cmd_listen(host, port, out, seconds):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    end = time.time() + float(seconds)
    with open(out, "ab", buffering=0) as f:
        while time.time() < end:
            s.settimeout(max(0.01, end - time.time()))
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                break
            f.write(data + b"\n")

def cmd_counter(path, name):
    with open(path) as f:
        print(json.load(f)["total"][name])

NTP_EPOCH = 2208988800

def ntp_now(offset=0.0):
    t = time.time() + NTP_EPOCH + offset
    return struct.pack("!II", int(t) & 0xFFFFFFFF, int((t % 1) * 2**32))

def ntp_time(b):
    sec, frac = struct.unpack("!II", b)
    # the era that puts it closest to now (RFC 5905 section 6)
    now = time.time() + NTP_EPOCH
    t = sec + frac / 2**32
    return t + round((now - t) / 2**32) * 2**32

def cmd_measure(host, n):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    best = None
    for _ in range(int(n)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(1.0)
        req = ntp()
        t1 = time.time() + NTP_EPOCH
        s.sendto(req, (host, 123))
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            continue
        t4 = time.time() + NTP_EPOCH
        if len(data) < 48 or data[24:32] != req[40:48]:
            continue
        t2, t3 = ntp_time(data[32:40]), ntp_time(data[40:48])
        off = ((t2 - t1) + (t3 - t4)) / 2
        delay = (t4 - t1) - (t3 - t2)
        if best is None or delay < best[1]:
            best = (off, delay, data[0] >> 6, data[1])
        time.sleep(0.02)
    if best is None:
        sys.exit("no reply from " + host)
    print("%.9f %.9f %d %d" % best)

# How far from the kernel clock a server on this host serves, proven by the
# exchanges rather than estimated. A client's offset ((T2 - T1) + (T3 - T4)) / 2
# (RFC 5905 section 8) is off by half the difference of the two legs' delays,
# and on this shared 2-CPU machine either leg can wait a scheduler slice:
# milliseconds. But when client and server read one kernel clock and the server
# serves it off by E, the request leg T2 - T1 is its true delay plus E and the
# reply leg T4 - T3 its true delay minus E; delays are never negative, so E lies
# between minus the shortest reply leg and the shortest request leg, whatever
# the waits. More exchanges only narrow that interval: keep going (MIN to MAX)
# until both ends are under the limit. Every leg must be at least -SLACK, and
# T3 not before T2: a reply outside its own exchange is wrong outright. The
# slack, 50 us, is what a right server may show there: stratad re-anchors its
# maps every 31 ms, and a kernel clock slewed at its 500 ppm maximum moves
# 16 us in that time.
# With --rootdist, also the root distance each reply announces, root delay / 2
# + root dispersion (RFC 5905 7.3, A.5.5.2): the server's own bound on
# its error to the primary reference, here that same kernel clock. The
# smallest one announced must not be refuted: E proven beyond it fails.
BOUND_SLACK = 50000  # ns

def ntp_ns(b, near):
    """An NTP 32.32 timestamp in ns since 1900, in the era nearest near (ns)."""
    sec, frac = struct.unpack("!II", b)
    t = sec * 10**9 + (frac * 10**9 >> 32)
    era = 2**32 * 10**9
    return t + round((near - t) / era) * era

def short_ns(b):
    """An NTP 16.16 short (root delay, root dispersion) in ns."""
    return struct.unpack("!I", b)[0] * 10**9 >> 16

def host_clock_note():
    """What the host's wall clock did since the test began (lib.sh), if it moved."""
    ref = os.environ.get("STRATA_CLOCK_REF")
    if ref is None:
        return ""
    moved = (time.clock_gettime_ns(time.CLOCK_REALTIME) -
             time.clock_gettime_ns(time.CLOCK_MONOTONIC) - int(ref))
    if abs(moved) <= BOUND_SLACK:
        return ""
    return ("\nnote: the host's CLOCK_REALTIME moved %+.6f s against CLOCK_MONOTONIC "
            "since the test began, and no process of the test sets it: the clock this "
            "check shares with strata was moved from outside" % (moved / 1e9))

def bound_fail(msg):
    sys.exit(msg + host_clock_note())

def cmd_bound(host, limit, nmin, nmax, rootdist):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    epoch = NTP_EPOCH * 10**9
    limit = round(float(limit) * 1e9)
    nmin, nmax = int(nmin), int(nmax)
    req_leg = rep_leg = lam = None
    sent = got = 0

    while sent < nmax and (sent < nmin or req_leg is None or
                           max(req_leg, rep_leg) >= limit):
        sent += 1
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(1.0)
            req = ntp()
            t1 = time.time_ns() + epoch
            s.sendto(req, (host, 123))
            try:
                data = s.recv(2048)
            except socket.timeout:
                continue
            t4 = time.time_ns() + epoch
        if len(data) < 48 or data[24:32] != req[40:48]:
            sys.exit("%s: a reply that does not answer its request" % host)
        got += 1
        t2, t3 = ntp_ns(data[32:40], t1), ntp_ns(data[40:48], t1)
        if t2 - t1 < -BOUND_SLACK or t4 - t3 < -BOUND_SLACK or t3 < t2:
            bound_fail("%s: served time outside the exchange: T2-T1 %+.6f s, T3-T2 %+.6f s, "
                     "T4-T3 %+.6f s" % (host, (t2 - t1) / 1e9, (t3 - t2) / 1e9,
                                         (t4 - t3) / 1e9))
        req_leg = t2 - t1 if req_leg is None else min(req_leg, t2 - t1)
        rep_leg = t4 - t3 if rep_leg is None else min(rep_leg, t4 - t3)
        if rootdist:
            l = short_ns(data[4:8]) // 2 + short_ns(data[8:12])
            lam = l if lam is None else min(lam, l)
        time.sleep(0.02)
    if got < max(1, sent // 2):
        bound_fail("%s: only %d of %d requests answered" % (host, got, sent))
    if req_leg + rep_leg < -BOUND_SLACK:
        bound_fail("%s: no time fits every exchange: E >= %+.6f s and E <= %+.6f s" %
                 (host, -rep_leg / 1e9, req_leg / 1e9))
    print("%d exchanges: %s serves between %+.6f and %+.6f s of the kernel clock "
          "(limit %.6f s%s)" % (got, host, -rep_leg / 1e9, req_leg / 1e9, limit / 1e9,
                                 "" if lam is None else
                                 "; root distance it announces: %.6f s" % (lam / 1e9)))
    if lam is not None and (-rep_leg > lam or req_leg < -lam):
        bound_fail("%s: its time is proven outside the root distance it announces" % host)
    if max(req_leg, rep_leg) >= limit:
        bound_fail("%s: not proven within %.6f s" % (host, limit / 1e9))
    sys.exit(0)

def cmd_liar(host, offset, seconds):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 123))
    end = time.time() + float(seconds)
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            req, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        if len(req) < 48 or req[0] & 7 != 3:
            continue
        rx = ntp_now(float(offset))
        hdr = bytes([(req[0] & 0x38) | 4, 1, req[2], 0xEC]) + bytes(8) + b"GPS\0"
        s.sendto(hdr + rx + req[40:48] + rx + ntp_now(float(offset)), addr)

def leap_midnight(after):
    """The end of the first 30 June or 31 December after Unix time @after."""
    import calendar
    y = time.gmtime(after).tm_year
    for t in (calendar.timegm((y, 7, 1, 0, 0, 0)), calendar.timegm((y + 1, 1, 1, 0, 0, 0))):
        if t > after + 86400:
            return t
    return calendar.timegm((y + 1, 7, 1, 0, 0, 0))

def cmd_leapserver(host, to_midnight, seconds, anyday=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 123))
    start = time.time()
    # a UTC midnight in the future; strata believes upstream leap bits only
    # on the last day of June or December, so the real kind ends one of those
    midnight = leap_midnight(start)
    if anyday == "anyday":
        midnight = (int(start) // 86400 + 2) * 86400
        if time.gmtime(midnight - 1)[1:3] in ((6, 30), (12, 31)):
            midnight += 86400
    shift = midnight - (start + float(to_midnight))

    def now():
        # the server's clock; after the leap it repeats one second (RFC 5905 figure 9)
        t = time.time() + shift
        return (t - 1 if t >= midnight + 1 else min(t, midnight + 0.999999)), t < midnight

    end = start + float(seconds)
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            req, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        if len(req) < 48 or req[0] & 7 != 3:
            continue
        t, before = now()
        li = 1 if before else 0
        stamp = struct.pack("!II", int(t + NTP_EPOCH) & 0xFFFFFFFF, int((t % 1) * 2**32))
        hdr = bytes([li << 6 | (req[0] & 0x38) | 4, 1, req[2], 0xEC]) + bytes(8) + b"GPS\0"
        t2, _ = now()
        xmt = struct.pack("!II", int(t2 + NTP_EPOCH) & 0xFFFFFFFF, int((t2 % 1) * 2**32))
        s.sendto(hdr + stamp + req[40:48] + stamp + xmt, addr)

ZERO_TS = bytes(8)

def ntpd428_kod_check(data, aorg, last_xmt=None):
    """None if ntpd 4.2.8 honours the server-mode answer @data as a KoD, else
    why it does not, in the words of its log. @aorg is the transmit timestamp
    of the request it answers (ntpd's peer->aorg), @last_xmt the transmit
    timestamp of the last answer accepted (peer->xmt).

    These are the checks of ntp 4.2.8's ntpd/ntp_proto.c receive() on a
    server packet whose kiss_code_check() finds a kiss code (mode 4, leap 3,
    stratum 0, a RATE, DENY, RSTR or X... refid), in its order; only a KoD
    that passes them all reaches the RATE handling (poll raised, burst
    cancelled) or is counted as a KoD at all."""
    if data[0] & 7 != 4 or data[0] >> 6 != 3 or data[1] != 0:
        return "not a KoD: mode %d leap %d stratum %d" % (data[0] & 7, data[0] >> 6, data[1])
    code = data[12:16]
    if code not in (b"RATE", b"DENY", b"RSTR") and code[:1] != b"X":
        return "not a KoD: kiss code %r" % code
    org, rec, xmt = data[24:32], data[32:40], data[40:48]
    if xmt == ZERO_TS:
        return "Unexpected zero transmit timestamp in KoD"
    if last_xmt is not None and xmt == last_xmt:
        return "Duplicate xmit"
    if org == ZERO_TS or rec == ZERO_TS:
        return "KoD packet has a zero org or rec timestamp.  Ignoring."
    if xmt != org or xmt != rec:
        return "KoD packet has inconsistent xmt/org/rec timestamps.  Ignoring."
    if org != aorg:
        return "flip 0 KoD origin timestamp does not match - ignoring."
    return None

FIRST_BAD = []

def answer_kind(data, sent):
    """The kind of answer @data is to one of the requests in @sent, or None.
    A KoD is judged as ntpd 4.2.8 would if it had sent the request that
    @data's origin names."""
    if len(data) < 48 or data[0] & 7 != 4 or data[24:32] not in sent:
        return None
    if data[1] == 0:
        why = ntpd428_kod_check(data, data[24:32])
        if why is not None:
            if not FIRST_BAD:
                FIRST_BAD.append("%s KoD: %s" % (data[12:16].decode("ascii", "replace"), why))
            return "kod_bad"
        code = data[12:16]
        return {b"RATE": "kod_rate", b"DENY": "kod_deny"}.get(code, "kod_other")
    return "reply"

def cmd_flood(src, host, n, rate, spoof):
    n, rate = int(n), float(rate)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    if spoof:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((src, 0))
    s.setblocking(False)
    counts = {"reply": 0, "kod_rate": 0, "kod_deny": 0, "kod_other": 0, "kod_bad": 0}
    sent = set()

    def drain(until):
        while True:
            wait = until - time.time()
            r, _, _ = select.select([] if spoof else [s], [], [], max(0.0, wait))
            if not r:
                if wait <= 0:
                    return
                continue
            try:
                data = s.recv(2048)
            except BlockingIOError:
                continue
            kind = answer_kind(data, sent)
            if kind is not None:
                counts[kind] += 1

    start = time.time()
    for i in range(n):
        req = ntp()
        sent.add(req[40:48])
        if spoof:
            sport = 1024 + (i * 7919) % 60000
            s.sendto(ipv4_udp(src, host, sport, 123, req), (host, 0))
        else:
            s.sendto(req, (host, 123))
        due = start + (i + 1) / rate if rate > 0 else 0
        drain(due)
        if time.time() - start > 60:
            break  # bounded whatever the rate
    drain(time.time() + 1.0)
    if FIRST_BAD:
        print("ntpd 4.2.8 would ignore: " + FIRST_BAD[0], file=sys.stderr)
    print("sent=%d reply=%d kod_rate=%d kod_deny=%d kod_bad=%d" %
          (len(sent), counts["reply"], counts["kod_rate"], counts["kod_deny"],
           counts["kod_bad"]))

def cmd_assoc(src, host, n):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    counts = {"reply": 0, "kod_rate": 0, "kod_deny": 0, "kod_other": 0, "kod_bad": 0}
    last_xmt = None
    sent = 0
    end = time.time() + 30  # bounded whatever happens
    for _ in range(int(n)):
        if time.time() > end:
            break
        req = ntp()
        s.sendto(req, (host, 123))
        sent += 1
        until = time.time() + 0.2
        while True:
            r, _, _ = select.select([s], [], [], max(0.0, until - time.time()))
            if not r:
                break
            data = s.recv(2048)
            # receive(): an answer to anything but the last request is bogus
            if len(data) < 48 or data[0] & 7 != 4 or data[24:32] != req[40:48]:
                continue
            if data[1] == 0:
                why = ntpd428_kod_check(data, req[40:48], last_xmt)
                if why is not None:
                    if not FIRST_BAD:
                        FIRST_BAD.append("%s KoD: %s" %
                                         (data[12:16].decode("ascii", "replace"), why))
                    counts["kod_bad"] += 1
                    break
                kind = {b"RATE": "kod_rate", b"DENY": "kod_deny"}.get(data[12:16], "kod_other")
            else:
                kind = "reply"
            counts[kind] += 1
            last_xmt = data[40:48]
            break
    if FIRST_BAD:
        print("ntpd 4.2.8 would ignore: " + FIRST_BAD[0], file=sys.stderr)
    print("sent=%d reply=%d kod_rate=%d kod_deny=%d kod_bad=%d" %
          (sent, counts["reply"], counts["kod_rate"], counts["kod_deny"], counts["kod_bad"]))

def main(argv):
    if len(argv) in (4, 6) and argv[1] == "send" and argv[3] in KINDS:
        expect = "reply"
        if len(argv) == 6:
            if argv[4] != "--expect" or argv[5] not in ("reply", "none"):
                sys.exit(__doc__)
            expect = argv[5]
        cmd_send(argv[2], argv[3], expect)
    elif len(argv) == 5 and argv[1] == "raw":
        cmd_raw(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "srcmac":
        cmd_srcmac(argv[2], argv[3])
    elif len(argv) == 6 and argv[1] == "listen":
        cmd_listen(*argv[2:])
    elif len(argv) in (3, 4) and argv[1] == "measure":
        cmd_measure(argv[2], argv[3] if len(argv) == 4 else 8)
    elif len(argv) >= 4 and argv[1] == "bound":
        rest = [a for a in argv[4:] if a != "--rootdist"]
        if len(rest) not in (0, 2):
            sys.exit(__doc__)
        cmd_bound(argv[2], argv[3], *(rest or (32, 160)), "--rootdist" in argv[4:])
    elif len(argv) in (5, 6) and argv[1] == "leapserver":
        cmd_leapserver(*argv[2:])
    elif len(argv) == 5 and argv[1] == "liar":
        cmd_liar(*argv[2:])
    elif len(argv) in (6, 7) and argv[1] == "flood":
        if len(argv) == 7 and argv[6] != "--spoof":
            sys.exit(__doc__)
        cmd_flood(argv[2], argv[3], argv[4], argv[5], len(argv) == 7)
    elif len(argv) == 5 and argv[1] == "assoc":
        cmd_assoc(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "counter":
        cmd_counter(argv[2], argv[3])
    else:
        sys.exit(__doc__)

if __name__ == "__main__":
    main(sys.argv)
