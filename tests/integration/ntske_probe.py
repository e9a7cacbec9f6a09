#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""An NTS-KE client for the integration tests (RFC 8915 section 4).

    ntske_probe.py HOST PORT --ca CA.pem [--aead 15,17] [--no-alpn] [--tls12]
                   [--name NAME] [--critical TYPE]
        one session: prints a JSON line (aead, cookies, their lengths, the
        error, the server name, the certificate's SHA-256), exit 0 when the
        answer has cookies, 2 for an Error record, 1 when TLS failed
    ntske_probe.py HOST PORT --hold N --seconds S
        N TCP connections that send nothing, held S seconds (or until the
        server closes them): prints how many the server closed and how soon

The certificate is checked against the CA for HOST (an IP address: its
subjectAltName IP entry). Every wait is bounded.
"""
import argparse
import hashlib
import json
import socket
import ssl
import struct
import sys
import time

ALPN = "ntske/1"


def record(rtype, body, critical=True):
    return struct.pack(">HH", rtype | (0x8000 if critical else 0), len(body)) + body


def request(aeads, extra=None):
    # Next Protocol NTPv4, AEAD algorithms in order of preference, End of Message
    return (record(1, struct.pack(">H", 0)) +
            record(4, b"".join(struct.pack(">H", a) for a in aeads)) +
            (record(extra, b"\0\0") if extra is not None else b"") +
            record(0, b""))


def parse(data):
    out = {"next_protocol": None, "aead": None, "cookies": 0, "cookie_len": [],
           "error": None, "warning": None, "server": None, "port": None, "end": False,
           "critical_unknown": []}
    pos = 0
    while pos + 4 <= len(data):
        t, n = struct.unpack(">HH", data[pos:pos + 4])
        body = data[pos + 4:pos + 4 + n]
        if len(body) < n:
            break
        crit, t = bool(t & 0x8000), t & 0x7fff
        if t == 0:
            out["end"] = True
            break
        if t == 1:
            out["next_protocol"] = [v for (v,) in struct.iter_unpack(">H", body)]
        elif t == 2:
            out["error"] = struct.unpack(">H", body)[0]
        elif t == 3:
            out["warning"] = struct.unpack(">H", body)[0]
        elif t == 4:
            out["aead"] = struct.unpack(">H", body)[0]
        elif t == 5:
            out["cookies"] += 1
            out["cookie_len"].append(n)
        elif t == 6:
            out["server"] = body.decode("ascii", "replace")
        elif t == 7:
            out["port"] = struct.unpack(">H", body)[0]
        elif crit:
            out["critical_unknown"].append(t)
        pos += 4 + n
    return out


def session(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    if a.tls12:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if not a.no_alpn:
        ctx.set_alpn_protocols([ALPN])
    res = {}
    try:
        with socket.create_connection((a.host, a.port), timeout=a.timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=a.name or a.host) as s:
                res["alpn"] = s.selected_alpn_protocol()
                res["version"] = s.version()
                res["cert_sha256"] = hashlib.sha256(s.getpeercert(True)).hexdigest()
                s.sendall(request([int(x) for x in a.aead.split(",")], a.critical))
                data = b""
                while True:
                    try:
                        chunk = s.recv(4096)
                    except ssl.SSLZeroReturnError:
                        break
                    if not chunk:
                        break
                    data += chunk
                    if parse(data)["end"]:
                        break
    except (OSError, ssl.SSLError) as e:
        res["tls_error"] = str(e)
        print(json.dumps(res))
        return 1
    res.update(parse(data))
    print(json.dumps(res))
    if res["error"] is not None:
        return 2
    return 0 if res["cookies"] > 0 and res["end"] else 1


def hold(a):
    socks = []
    start = time.monotonic()
    closed = {}
    for i in range(a.hold):
        try:
            s = socket.create_connection((a.host, a.port), timeout=2)
        except OSError:  # reset at once: refused at the limit
            s = socket.socket()
            closed[i] = time.monotonic() - start
        s.setblocking(False)
        socks.append(s)
    while time.monotonic() - start < a.seconds and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                if s.recv(4096) == b"":
                    closed[i] = time.monotonic() - start
            except BlockingIOError:
                pass
            except OSError:  # a reset: refused at the limit
                closed[i] = time.monotonic() - start
        time.sleep(0.05)
    for s in socks:
        s.close()
    print(json.dumps({"held": len(socks), "closed": len(closed),
                      "max_s": round(max(closed.values()), 2) if closed else None}))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--ca")
    p.add_argument("--aead", default="15,17")
    p.add_argument("--name", help="the name to check the certificate for (default HOST)")
    p.add_argument("--critical", type=int, help="add a critical record of this type")
    p.add_argument("--no-alpn", action="store_true")
    p.add_argument("--tls12", action="store_true")
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--hold", type=int, default=0)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    return hold(a) if a.hold else session(a)


if __name__ == "__main__":
    sys.exit(main())
