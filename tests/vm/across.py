#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""NTP requests across an operation (tests/vm/walk.sh).

  across.py SRC HOST STOPFILE UPFILE

From SRC, one client request to HOST:123 every 0.1 s until STOPFILE exists
(at most 120 s), then 3 s for the last answers. UPFILE is made once the
first answer came. Prints one line: "sent=N answered=A lost=L strata=S:C,...
(first lost at +T s)", where an answer is a reply whose origin timestamp is a
request's transmit timestamp (RFC 5905 section 8) and a lost request is one
never answered; strata counts the answers by stratum, in the order first
seen. Standard library only: it runs in the test VM's minimal Debian.
"""
import os
import select
import socket
import sys
import time


def main(src, host, stopfile, upfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    pending = {}  # transmit timestamp -> time sent (since start)
    strata = {}
    answered = 0
    up = False
    start = time.monotonic()
    stop_at = None
    n = 0
    while True:
        now = time.monotonic()
        if stop_at is None and (os.path.exists(stopfile) or now - start > 120):
            stop_at = now + 3.0
        if stop_at is not None and (now >= stop_at or not pending):
            break
        if stop_at is None and now >= start + n * 0.1:
            req = bytearray(48)
            req[0] = 0x23  # leap 0, version 4, mode 3 (client)
            xmt = os.urandom(8)
            req[40:48] = xmt
            s.sendto(bytes(req), (host, 123))
            pending[xmt] = now - start
            n += 1
        r, _, _ = select.select([s], [], [], 0.02)
        if not r:
            continue
        data = s.recv(2048)
        if len(data) < 48 or (data[0] & 7) != 4:
            continue
        org = data[24:32]
        if org not in pending:
            continue  # a duplicate or a stray
        del pending[org]
        answered += 1
        st = data[1]
        strata[st] = strata.get(st, 0) + 1
        if not up:
            open(upfile, "w").close()
            up = True
    lost = len(pending)
    line = "sent=%d answered=%d lost=%d strata=%s" % (
        n, answered, lost, ",".join("%d:%d" % kv for kv in strata.items()) or "none")
    if lost:
        line += " (first lost at +%.1f s)" % min(pending.values())
    print(line)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
