#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Opens many connections from one source address and holds them (the limits tests).

  holdconns.py [--src ADDR] [--mode silent|hello|tls] [--ca CA] [--n N]
               [--ready FILE] [--wait S] HOST:PORT

Each of N connections is opened from ADDR (any port) and then, by mode:
  silent  sends nothing;
  hello   sends the first 10 bytes of a real ClientHello (a handshake in progress);
  drip    slowloris: one more byte of a real ClientHello every second on each;
  tls     completes a TLS handshake and holds the session, sending nothing more.
After all N, waits S seconds (default 1) for attlsd to close refused ones, then
writes "held=K closed=C" to FILE (or stdout): K still open, C closed by the peer.
Then holds the open ones until SIGTERM; every SIGUSR1 rewrites FILE with the
counts of that moment.
"""
import argparse
import errno
import resource
import select
import signal
import socket
import ssl
import sys
import time


def hello_bytes():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def still_open(s):
    """False when the peer closed or reset the socket (nothing is read otherwise)."""
    p = select.poll()  # not select(): thousands of sockets go past FD_SETSIZE
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return True
    try:
        return socket.socket.recv(s, 1, socket.MSG_PEEK) != b""  # raw, under TLS too
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default="127.0.0.1")
    ap.add_argument("--mode", choices=("silent", "hello", "tls", "drip"), default="silent")
    ap.add_argument("--ca")
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--ready")
    ap.add_argument("--wait", type=float, default=1.0)
    ap.add_argument("target")
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    ctx = None
    if a.mode == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(a.ca)
    full_hello = hello_bytes()
    hello = full_hello[:10]
    # As many descriptors as this process may have: an attacker would.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for _ in range(a.n):
        try:
            s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        except OSError as e:
            if e.errno not in (errno.EMFILE, errno.ENFILE):
                raise
            # Out of descriptors: let go of the ones the server already
            # closed (refused) and go on, as a reconnecting attacker does.
            keep = [k for k in socks if still_open(k)]
            for k in socks:
                if k not in keep:
                    k.close()
            socks = keep
            try:
                s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
            except OSError:
                break  # every descriptor holds a live connection: held as many as can be
        s.bind((a.src, 0))
        s.settimeout(10)
        try:
            s.connect((host, int(port)))
            if a.mode == "hello":
                s.sendall(hello)
            elif a.mode == "tls":
                s = ctx.wrap_socket(s, server_hostname="localhost")
        except OSError:
            s.close()
            continue
        socks.append(s)
    time.sleep(a.wait)

    def report(*_):
        held = [s for s in socks if still_open(s)]
        text = "held=%d closed=%d\n" % (len(held), a.n - len(held))
        if a.ready:
            with open(a.ready + ".tmp", "w") as f:
                f.write(text)
            import os
            os.replace(a.ready + ".tmp", a.ready)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    report()
    signal.signal(signal.SIGUSR1, report)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.mode != "drip":
        while True:
            signal.pause()
    for k in range(len(full_hello)):
        for s in socks:
            try:
                s.send(full_hello[k:k + 1])
            except OSError:
                pass
        time.sleep(1)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
