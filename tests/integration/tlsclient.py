#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Scriptable TLS (or raw TCP) client for the attlsd integration tests.

  tlsclient.py [options] HOST:PORT STEP...

TLS steps (default mode; the handshake happens first):
  send:N        send N random bytes (everything received meanwhile is counted)
  text:STR      send STR (\\r \\n \\t escapes allowed)
  shut          half-close: send close_notify, then shut the TCP write side (FIN)
  fin           shut the TCP write side (FIN) without close_notify (truncation)
  recv          read until the peer's close_notify or EOF
  recvn:N       read until N bytes in total have been received
  sleep:S       wait S seconds while still reading
  waitfile:PATH keep reading until PATH exists (at most 120 s): lets a test
                hold a connection open until an event it controls
  close         close the TCP socket (FIN) without close_notify
  rst           reset the connection (SO_LINGER 0)
Raw steps (--raw: no TLS at all):
  hello         send a complete TLS ClientHello
  hello:N       send only the first N bytes of a ClientHello
  text:STR, shut (TCP SHUT_WR), recv (until EOF/RST), sleep:S, close, rst

Prints key=value lines: handshake, version, cipher, sent, sent_sha256, received,
received_sha256, first_line, eof (close_notify|tcp_eof|reset|alert|none), error.
Exit status: 0 all steps done, 1 a step failed, 2 the handshake failed, 3 timeout.
"""
import argparse
import codecs
import hashlib
import os
import select
import socket
import ssl
import struct
import sys
import time

CHUNK = 64 * 1024


class Timeout(Exception):
    pass


class Client:
    def __init__(self, a):
        self.a = a
        self.deadline = time.monotonic() + a.timeout
        host, _, port = a.target.rpartition(":")
        host = host.strip("[]")
        self.sock = socket.create_connection((host, int(port)), timeout=a.timeout)
        self.sock.setblocking(True)
        self.sent = 0
        self.sent_hash = hashlib.sha256()
        self.rcvd = 0
        self.rcvd_hash = hashlib.sha256()
        self.first = b""
        self.eof = None  # why our read side ended
        self.error = None
        self.wbuf = bytearray()
        self.obj = None
        self.tcp_wr_shut = False
        if not a.raw:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if a.ca:
                ctx.load_verify_locations(a.ca)
                ctx.check_hostname = bool(a.servername)
            else:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            if a.cert:
                ctx.load_cert_chain(a.cert, a.key)
            if a.tls == "1.2":
                ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            elif a.tls == "1.3":
                ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
            if a.ciphers:
                ctx.set_ciphers(a.ciphers)
            self.inc = ssl.MemoryBIO()
            self.out = ssl.MemoryBIO()
            self.obj = ctx.wrap_bio(self.inc, self.out, server_side=False,
                                    server_hostname=a.servername or None)

    # ---- low level
    def remaining(self):
        r = self.deadline - time.monotonic()
        if r <= 0:
            raise Timeout()
        return r

    def account_rx(self, data):
        self.rcvd += len(data)
        self.rcvd_hash.update(data)
        if len(self.first) < 200:
            self.first += data[:200]

    def account_tx(self, data):
        self.sent += len(data)
        self.sent_hash.update(data)

    def pull_tls(self):
        """Move TLS output into the socket write buffer."""
        if self.obj is not None:
            data = self.out.read()
            if data:
                self.wbuf += data

    def drain_app(self):
        """Decrypt whatever application data is available."""
        if self.obj is None or self.eof:
            return
        while True:
            try:
                data = self.obj.read(CHUNK)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLZeroReturnError:
                self.eof = "close_notify"
                return
            except ssl.SSLEOFError:
                self.eof = "tcp_eof"
                return
            except ssl.SSLError as e:
                self.eof = "alert"
                self.error = "%s" % (e.reason or e)
                return
            if not data:
                self.eof = "close_notify"
                return
            self.account_rx(data)

    def io(self, timeout):
        """One round of select(): flush the write buffer, read what arrives."""
        self.pull_tls()
        wl = [self.sock] if self.wbuf else []
        rl = [self.sock] if self.eof is None else []
        if not rl and not wl:
            return
        r, w, _ = select.select(rl, wl, [], min(timeout, self.remaining()))
        if w:
            try:
                n = self.sock.send(self.wbuf[:1 << 20])
            except (BrokenPipeError, ConnectionResetError) as e:
                raise StepError("send: %s" % e.strerror)
            del self.wbuf[:n]
        if r:
            try:
                data = self.sock.recv(1 << 20)
            except ConnectionResetError:
                self.eof = "reset"
                if self.obj is not None:
                    self.inc.write_eof()
                return
            if self.obj is None:
                if data:
                    self.account_rx(data)
                else:
                    self.eof = "tcp_eof"
            else:
                if data:
                    self.inc.write(data)
                else:
                    self.inc.write_eof()
                self.drain_app()
                if not data and self.eof is None:
                    self.eof = "tcp_eof"
            self.pull_tls()

    def flush(self):
        while self.wbuf:
            self.io(1.0)

    # ---- TLS
    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.pull_tls()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.pull_tls()
                self.flush()
                r, _, _ = select.select([self.sock], [], [], self.remaining())
                if r:
                    try:
                        data = self.sock.recv(1 << 16)
                    except ConnectionResetError:
                        data = b""
                        self.eof = "reset"
                    if data:
                        self.inc.write(data)
                    else:
                        self.inc.write_eof()

    def write(self, data):
        if self.obj is None:
            self.wbuf += data
        else:
            self.obj.write(data)
            self.pull_tls()
        self.account_tx(data)

    # ---- steps
    def step(self, s):
        name, _, arg = s.partition(":")
        if name == "send":
            n = int(arg)
            while n > 0:
                if len(self.wbuf) < 4 * CHUNK:
                    data = os.urandom(min(n, CHUNK))
                    self.write(data)
                    n -= len(data)
                else:
                    self.io(1.0)
            self.flush()
        elif name == "text":
            self.write(codecs.decode(arg, "unicode_escape").encode("latin-1"))
            self.flush()
        elif name == "hello":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            o = ctx.wrap_bio(inc, out, server_hostname="localhost")
            try:
                o.do_handshake()
            except ssl.SSLWantReadError:
                pass
            ch = out.read()
            if arg:
                ch = ch[:int(arg)]
            self.wbuf += ch
            self.account_tx(ch)
            self.flush()
        elif name == "shut":
            if self.obj is not None:
                try:
                    self.obj.unwrap()
                except ssl.SSLWantReadError:
                    pass  # close_notify is queued; the peer's comes later
                except ssl.SSLError as e:
                    raise StepError("close_notify: %s" % e)
                self.pull_tls()
            self.flush()
            self.sock.shutdown(socket.SHUT_WR)
            self.tcp_wr_shut = True
        elif name == "fin":
            self.flush()
            self.sock.shutdown(socket.SHUT_WR)
            self.tcp_wr_shut = True
        elif name == "recv":
            while self.eof is None:
                self.io(1.0)
        elif name == "recvn":
            n = int(arg)
            while self.rcvd < n and self.eof is None:
                self.io(1.0)
            if self.rcvd < n:
                raise StepError("recvn: got %d bytes, then %s" % (self.rcvd, self.eof))
        elif name == "sleep":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end:
                if self.eof is None or self.wbuf:
                    self.io(max(0.0, min(0.1, end - time.monotonic())))
                else:
                    time.sleep(0.05)
        elif name == "waitfile":
            end = time.monotonic() + 120
            while not os.path.exists(arg):
                if time.monotonic() > end:
                    raise StepError("waitfile: %s did not appear within 120 s" % arg)
                if self.eof is None or self.wbuf:
                    self.io(0.1)
                else:
                    time.sleep(0.05)
        elif name == "close":
            self.sock.close()
        elif name == "rst":
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        else:
            raise StepError("unknown step %r" % s)

    def summary(self):
        out = []
        if self.obj is not None:
            out.append("version=%s" % self.obj.version())
            c = self.obj.cipher()
            out.append("cipher=%s" % (c[0] if c else None))
        out.append("sent=%d" % self.sent)
        out.append("sent_sha256=%s" % self.sent_hash.hexdigest())
        out.append("received=%d" % self.rcvd)
        out.append("received_sha256=%s" % self.rcvd_hash.hexdigest())
        out.append("first_line=%s" % self.first.split(b"\n")[0].decode("latin-1").rstrip("\r"))
        out.append("eof=%s" % (self.eof or "none"))
        if self.error:
            out.append("error=%s" % self.error)
        return "\n".join(out)


class StepError(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target")
    ap.add_argument("steps", nargs="*")
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--servername", default="localhost")
    ap.add_argument("--tls", choices=["1.2", "1.3"])
    ap.add_argument("--ciphers")
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()

    try:
        c = Client(a)
    except OSError as e:
        print("handshake=failed\nerror=connect: %s" % (e.strerror or e))
        return 2
    status = 0
    try:
        if c.obj is not None:
            try:
                c.handshake()
                print("handshake=ok")
            except ssl.SSLError as e:
                c.error = "handshake: %s" % (e.reason or e)
                print("handshake=failed")
                status = 2
            except OSError as e:
                c.error = "handshake: %s" % (e.strerror or e)
                print("handshake=failed")
                status = 2
        if status == 0:
            for s in a.steps:
                c.step(s)
    except Timeout:
        c.error = "timeout"
        status = 3
    except (StepError, OSError) as e:
        c.error = str(e)
        status = 1
    print(c.summary())
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
