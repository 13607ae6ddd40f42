# SPDX-License-Identifier: Apache-2.0
"""Raw control-socket client for t82/t83: one request line, the whole answer.

  ctlraw.py SOCKET LINE            sends LINE, prints the answer
  ctlraw.py SOCKET --hold N READY RELEASE
      opens N connections and sends nothing on them (they hold a slot each),
      then one more connection per second part: prints what the extra ones
      were answered ("extra=ANSWER"), writes READY, and keeps the N open until
      RELEASE exists (at most 4 s: attlsd drops an idle client after 5 s).
"""
import os
import socket
import sys
import time


def ask(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    if line is not None:
        s.sendall(line.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    return out.decode(errors="replace")


def hold(path, n, ready, release):
    held = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        held.append(s)
    # The server accepts in order: a request on the held ones would be answered,
    # so ask on fresh ones, which the cap refuses without reading a line.
    for _ in range(3):
        print("extra=" + ask(path, "POLICY").strip())
    sys.stdout.flush()
    open(ready, "w").write("held\n")
    end = time.monotonic() + 4
    while not os.path.exists(release) and time.monotonic() < end:
        time.sleep(0.02)
    for s in held:
        s.close()


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[2] == "--hold":
        hold(sys.argv[1], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        sys.stdout.write(ask(sys.argv[1], sys.argv[2]))
