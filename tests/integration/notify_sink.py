#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""systemd's end of $NOTIFY_SOCKET for tests: binds a datagram socket and
writes each message it receives as one line "SECONDS STATE" (monotonic time,
newlines in a message as " | ") to the report file, until killed."""
import os
import socket
import sys
import time

path, report, ready = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
# Like systemd's /run/systemd/notify: attlsd writes to it after dropping root.
os.chmod(path, 0o666)
open(ready, "w").close()
with open(report, "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode(errors="replace").strip("\n")
        out.write("%.3f %s\n" % (time.monotonic(), msg.replace("\n", " | ")))
