#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Slow TCP peers for the endpoint tests (pool_slow.sh), bounded in time.

  slow_peer.py reader HOST PORT SECONDS
      keep up to 8 peers connected that ask GET /metrics and take their
      answer at about 6 KiB/s each (2 KiB every 0.3 s, a 4 KiB receive
      buffer): each read comes within the 1 s a blocking sender waits, so a
      server without an overall deadline per connection is held for as long
      as the answer lasts. A new one joins every 0.5 s, the oldest leaves.
  slow_peer.py silent HOST PORT N SECONDS
      keep N peers connected that never send: each one the server closes is
      replaced at once. Prints how many connections it made.
"""
import socket
import sys
import time


def connect(host, port, rcvbuf=0):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    if rcvbuf:
        # before connect(): the window offered in the handshake follows it
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(1)
    s.connect((host, port))
    s.setblocking(False)
    return s


def closed(s):
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def cmd_reader(host, port, seconds):
    end = time.monotonic() + float(seconds)
    peers, joined = [], 0.0
    while time.monotonic() < end:
        if time.monotonic() - joined >= 0.5:
            joined = time.monotonic()
            try:
                s = connect(host, int(port), 2048)
                s.send(b"GET /metrics HTTP/1.0\r\n\r\n")
                peers.append(s)
            except OSError:
                pass
            if len(peers) > 8:
                peers.pop(0).close()
        for s in list(peers):
            try:
                if s.recv(2048) == b"":
                    peers.remove(s)
                    s.close()
            except BlockingIOError:
                pass
            except OSError:
                peers.remove(s)
                s.close()
        time.sleep(0.3)
    for s in peers:
        s.close()


def cmd_silent(host, port, n, seconds):
    end = time.monotonic() + float(seconds)
    peers, made = [], 0
    while time.monotonic() < end:
        peers = [s for s in peers if not closed(s) or s.close()]
        while len(peers) < int(n):
            try:
                peers.append(connect(host, int(port)))
                made += 1
            except OSError:
                break
        time.sleep(0.1)
    for s in peers:
        s.close()
    print(made)


if __name__ == "__main__":
    {"reader": cmd_reader, "silent": cmd_silent}[sys.argv[1]](*sys.argv[2:])
