#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plaintext TCP backend for the attlsd integration tests.

Modes (one thread per connection, serves until killed):
  echo         send back everything received; on EOF shut the write side, close.
  sink         read until EOF, then reply "received COUNT SHA256\\n" followed by
               --bytes random bytes, shut the write side and close.
  source       send --bytes random bytes, shut the write side (FIN), then read
               until EOF and close.
  early-close  send "HELLO\\n" plus --bytes random bytes, shut the write side at
               once, then read until EOF and close (reverse half-close).
  reset        send --bytes random bytes, then reset the connection (SO_LINGER 0):
               a backend that aborts (or crashes) mid-response.
  blackhole    listen(0) and fill the accept queue from inside so that further
               SYNs are dropped and connects to the port time out. Never accepts.

--ready FILE gets the port once listening. --report FILE gets one line per event:
  accept conn=N peer=HOST:PORT
  done conn=N mode=M received=COUNT received_sha256=HEX sent=COUNT sent_sha256=HEX end=eof|reset|error:...
"""
import argparse
import hashlib
import os
import socket
import struct
import sys
import threading
import time

CHUNK = 256 * 1024
lock = threading.Lock()
args = None


def report(line):
    if not args.report:
        return
    with lock:
        with open(args.report, "a") as f:
            f.write(line + "\n")


class Stats:
    def __init__(self):
        self.rx = 0
        self.tx = 0
        self.rx_hash = hashlib.sha256()
        self.tx_hash = hashlib.sha256()
        self.end = "eof"

    def send(self, conn, data):
        conn.sendall(data)
        self.tx += len(data)
        self.tx_hash.update(data)

    def send_random(self, conn, n):
        while n > 0:
            data = os.urandom(min(n, CHUNK))
            self.send(conn, data)
            n -= len(data)

    def recv_until_eof(self, conn, on_data=None):
        while True:
            # A slow reader takes small bites, so the kernel's buffer fills
            # and the proxy in front has to hold back (backpressure).
            bite = max(1024, min(CHUNK, args.read_rate // 16)) if args.read_rate else CHUNK
            try:
                data = conn.recv(bite)
            except ConnectionResetError:
                self.end = "reset"
                return False
            if not data:
                return True
            self.rx += len(data)
            self.rx_hash.update(data)
            if on_data:
                on_data(data)
            if args.read_rate:
                time.sleep(len(data) / args.read_rate)  # a slow reader


def serve(conn, peer, n):
    st = Stats()
    report("accept conn=%d peer=%s:%d" % (n, peer[0], peer[1]))
    try:
        if args.mode == "echo":
            if st.recv_until_eof(conn, lambda d: st.send(conn, d)):
                conn.shutdown(socket.SHUT_WR)
        elif args.mode == "sink":
            if st.recv_until_eof(conn):
                if args.delay:
                    time.sleep(args.delay)
                st.send(conn, b"received %d %s\n" % (st.rx, st.rx_hash.hexdigest().encode()))
                st.send_random(conn, args.bytes)
                conn.shutdown(socket.SHUT_WR)
        elif args.mode == "source":
            st.send_random(conn, args.bytes)
            conn.shutdown(socket.SHUT_WR)
            st.recv_until_eof(conn)
        elif args.mode == "reset":
            st.send_random(conn, args.bytes)
            st.end = "reset_sent"
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif args.mode == "early-close":
            st.send(conn, b"HELLO\n")
            st.send_random(conn, args.bytes)
            conn.shutdown(socket.SHUT_WR)
            st.recv_until_eof(conn)
    except OSError as e:
        st.end = "error:" + (e.strerror or str(e)).replace(" ", "_")
    finally:
        conn.close()
    report("done conn=%d mode=%s received=%d received_sha256=%s sent=%d sent_sha256=%s end=%s"
           % (n, args.mode, st.rx, st.rx_hash.hexdigest(), st.tx, st.tx_hash.hexdigest(), st.end))


def blackhole(lsock, port):
    fillers = []
    for _ in range(16):
        c = socket.socket(lsock.family)
        c.setblocking(False)
        try:
            c.connect((args.host, port))
        except BlockingIOError:
            pass
        fillers.append(c)
        time.sleep(0.05)
        try:
            c.getpeername()
        except OSError:
            # This SYN was dropped: the accept queue is full.
            return fillers
    sys.exit("blackhole: could not fill the accept queue")


def main():
    global args
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["echo", "sink", "source", "early-close", "reset", "blackhole"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0, help="sink: wait before replying")
    ap.add_argument("--read-rate", type=int, default=0,
                    help="echo/sink/source: read at most this many bytes per second (a slow reader)")
    ap.add_argument("--ready")
    ap.add_argument("--report")
    args = ap.parse_args()

    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    lsock = socket.socket(fam)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    port = lsock.getsockname()[1]
    if args.mode == "blackhole":
        lsock.listen(0)
        keep = blackhole(lsock, port)
    else:
        lsock.listen(128)
    if args.ready:
        tmp = args.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.ready)
    if args.mode == "blackhole":
        while True:
            time.sleep(3600)
        del keep
    n = 0
    while True:
        conn, peer = lsock.accept()
        n += 1
        threading.Thread(target=serve, args=(conn, peer, n), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
