#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One NTS-KE exchange (RFC 8915 section 4), for tests/vm/walk.sh.

  ntske.py HOST CAFILE [PORT]

TLS 1.3 with ALPN "ntske/1" to HOST:PORT (4460), the server's certificate
checked against CAFILE for HOST; the request asks for NTPv4 (Next Protocol
0) and AEAD_AES_SIV_CMAC_256 (15). Prints what the server answered and
exits 0 if it agreed on both and sent at least one cookie. Standard library
only: it runs in the test VM's minimal Debian.
"""
import socket
import ssl
import struct
import sys

END, NEXT_PROTO, ERROR, WARNING, AEAD, COOKIE = 0, 1, 2, 3, 4, 5
CRITICAL = 0x8000


def record(rtype, body, critical=False):
    return struct.pack("!HH", rtype | (CRITICAL if critical else 0), len(body)) + body


def main(host, cafile, port=4460):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["ntske/1"])
    req = (record(NEXT_PROTO, struct.pack("!H", 0), True) +
           record(AEAD, struct.pack("!H", 15)) +
           record(END, b"", True))
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(req)
            data = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
                # stop at the End of Message record
                off, done = 0, False
                while off + 4 <= len(data):
                    t, n = struct.unpack_from("!HH", data, off)
                    if off + 4 + n > len(data):
                        break
                    if t & ~CRITICAL == END:
                        done = True
                        break
                    off += 4 + n
                if done:
                    break
            version, alpn = tls.version(), tls.selected_alpn_protocol()
    proto = aead = None
    cookies, sizes, errors = 0, set(), []
    off = 0
    while off + 4 <= len(data):
        t, n = struct.unpack_from("!HH", data, off)
        body = data[off + 4:off + 4 + n]
        t &= ~CRITICAL
        if t == NEXT_PROTO and n >= 2:
            proto = struct.unpack("!H", body[:2])[0]
        elif t == AEAD and n >= 2:
            aead = struct.unpack("!H", body[:2])[0]
        elif t == COOKIE:
            cookies += 1
            sizes.add(n)
        elif t in (ERROR, WARNING):
            errors.append("%s %s" % ("error" if t == ERROR else "warning", body.hex()))
        elif t == END:
            break
        off += 4 + n
    print("NTS-KE with %s:%s: %s, ALPN %s, next protocol %s, AEAD %s, %d cookies of %s octets%s" % (
        host, port, version, alpn, proto, aead, cookies,
        ",".join(str(s) for s in sorted(sizes)) or "-",
        "; " + "; ".join(errors) if errors else ""))
    return 0 if proto == 0 and aead == 15 and cookies > 0 and not errors else 1


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
