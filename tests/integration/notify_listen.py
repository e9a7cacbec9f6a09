#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""systemd's side of sd_notify(3), for the tests.

notify_listen.py PATH LOG [CMD]

Binds a datagram socket at PATH with mode 0777, as /run/systemd/notify is
(a daemon that dropped to its user still sends to it), and appends each
datagram to LOG as one line: the sender's PID and UID from SO_PASSCRED (what
NotifyAccess=main checks), then the datagram's fields separated by '|'.
With CMD, when the first READY=1 arrives, runs it with sh -c and appends
"CMD-AT-READY RC": the state of the system at the moment the daemon said it
was ready. Runs until killed.
"""
import os
import socket
import struct
import subprocess
import sys

path, log = sys.argv[1], sys.argv[2]
cmd = sys.argv[3] if len(sys.argv) > 3 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
os.chmod(path, 0o777)
ready = False
with open(log, "a", buffering=1) as out:
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = uid = -1
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, _ = struct.unpack("iII", data[:12])
        fields = msg.decode(errors="replace").split("\n")
        out.write("%d %d %s\n" % (pid, uid, "|".join(fields)))
        if cmd is not None and not ready and "READY=1" in fields:
            ready = True
            rc = subprocess.call(["sh", "-c", cmd])
            out.write("CMD-AT-READY %d\n" % rc)
