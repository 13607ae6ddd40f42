#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A STARTTLS-style line protocol for the ApplicationControlled test (t46).

server: a plaintext application behind attlsd. It greets with the query
answer for its own connection; on "STARTTLS" it answers "OK go" and then
starts TLS through attlsd (`attlsctl init --fd N`: the command inherits the
socket) - unless --mode says otherwise:
  init     INIT right after "OK go" (the client's hello usually races it)
  late     INIT 0.5 s after "OK go" (the client's hello is surely first)
  noinit   never INIT (but user nobody tries: EACCES, written to READY.nobody)
  refused  INIT at accept, before anything (the rule has it Off: EACCES)
After TLS the application keeps speaking clear text on its socket:
  STATUS   -> "STATUS init=...|query=...|again=..." (again: a second INIT)
  ECHO x   -> "ECHO x"
  LONG x   -> "LEN n" (n = len(x))
  BIG n    -> n bytes "b", then "\n"

client: the peer. Reads the greeting in clear, says STARTTLS, reads "OK go",
does TLS (Python ssl), then LONG / BIG / ECHO / STATUS over TLS; prints
key=value lines. --tls-first: TLS from the first byte (a rule without
application_controlled).

tlspeer / appclient: the same protocol under a Client-role rule: the local
application (appclient) speaks clear text to attlsd and calls INIT after
"OK go"; the remote server (tlspeer) does TLS itself."""
import argparse
import os
import socket
import ssl
import subprocess
import sys
import threading
import time


def readline_raw(sock):
    """One line, byte by byte: nothing past the newline is consumed, so TLS
    can start right after it."""
    out = b""
    while not out.endswith(b"\n"):
        b = sock.recv(1)
        if not b:
            break
        out += b
    return out.decode(errors="replace").rstrip("\r\n")


class Lines:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def readline(self):
        while b"\n" not in self.buf:
            b = self.sock.recv(65536)
            if not b:
                out, self.buf = self.buf, b""
                return out.decode(errors="replace")
            self.buf += b
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace")


def run(cmd, fds=()):
    p = subprocess.run(cmd, capture_output=True, text=True, pass_fds=fds, timeout=30)
    text = (p.stdout + p.stderr).strip().replace("\n", ";")
    return "rc=%d:%s" % (p.returncode, text)


def tuple_of(conn):
    l, r = conn.getsockname(), conn.getpeername()
    return ["%s:%d" % l[:2], "%s:%d" % r[:2]]


def serve(conn, a):
    ctl = [a.attlsctl]
    query = lambda: run(ctl + ["query", "-s", a.socket] + tuple_of(conn))
    init = lambda: run(ctl + ["init", "-s", a.socket, "--fd", str(conn.fileno())],
                       (conn.fileno(),))
    state = {"init": "-"}
    with conn:
        if a.mode == "refused":
            state["init"] = init()
        conn.sendall(("220 ready init=%s|query=%s\n" % (state["init"], query())).encode())
        lines = Lines(conn)
        while True:
            line = lines.readline()
            if not line:
                return
            if line == "STARTTLS":
                conn.sendall(b"OK go\n")
                if a.mode == "late":
                    time.sleep(0.5)
                if a.mode == "noinit":
                    # Another user may not start TLS on our connection.
                    # The raw answer, so that it shows which check refused.
                    raw = ("import socket,sys; s=socket.socket(socket.AF_UNIX); "
                           "s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()); "
                           "print(s.recv(400).decode().strip())")
                    other = run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                                 "--clear-groups", sys.executable, "-c", raw, a.socket,
                                 "INIT %s %s\n" % tuple(tuple_of(conn))])
                    with open(a.ready + ".nobody", "w") as f:
                        f.write(other + "\n")
                if a.mode in ("init", "late"):
                    state["init"] = init()
                    # For a client that must act only after INIT returned.
                    with open(a.ready + ".init", "a") as f:
                        f.write(state["init"] + "\n")
            elif line == "STATUS":
                again = init()
                conn.sendall(("STATUS init=%s|query=%s|again=%s\n"
                              % (state["init"], query(), again)).encode())
            elif line.startswith("ECHO "):
                conn.sendall((line + "\n").encode())
            elif line.startswith("LONG "):
                conn.sendall(("LEN %d\n" % (len(line) - 5)).encode())
            elif line.startswith("BIG "):
                conn.sendall(b"b" * int(line[4:]) + b"\n")


def listen_forever(ready, handler, *args):
    """Listens on a free loopback port, writes it to 'ready' atomically, and
    serves each connection with handler(conn, *args) in its own thread."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(ready + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(ready + ".tmp", ready)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handler, args=(c,) + args, daemon=True).start()


def server(a):
    listen_forever(a.ready, serve, a)


def close_tls(s):
    """Ends the TLS data with close_notify: attlsd resets the other side of a
    TLS peer's bare FIN (possible truncation)."""
    try:
        s.unwrap()
    except (OSError, ValueError, ssl.SSLError):
        pass


def client(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    s = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    if a.tls_first:
        s = ctx.wrap_socket(s, server_hostname="localhost")
        print("tls=%s" % s.version())
        print("greeting=%s" % Lines(s).readline())
        close_tls(s)
        return 0
    print("greeting=%s" % readline_raw(s))
    s.sendall(b"STARTTLS\n")
    print("proceed=%s" % readline_raw(s))
    if a.clear_after:
        # Clear text where attlsd, after INIT, waits for a TLS hello (RC 5003):
        # sent once the application says INIT returned (file a.clear_after).
        for _ in range(600):
            if os.path.exists(a.clear_after):
                break
            time.sleep(0.05)
        try:
            s.sendall(b"HELLO in clear\n")
            print("after=%r" % s.recv(100))
        except OSError as e:
            print("after=%s" % e)
        return 4
    t0 = time.monotonic()
    try:
        s = ctx.wrap_socket(s, server_hostname="localhost")
    except (OSError, ssl.SSLError) as e:
        print("handshake_error=%s" % e)
        print("handshake_ms=%d" % ((time.monotonic() - t0) * 1000))
        return 3
    print("tls=%s" % s.version())
    lines = Lines(s)
    s.sendall(b"LONG " + b"a" * 65536 + b"\n")
    print("long=%s" % lines.readline())
    s.sendall(b"BIG 200000\n")
    big = lines.readline()
    print("big=%d" % (len(big) if big == "b" * len(big) else -1))
    s.sendall(b"ECHO hello over tls\n")
    print("echo=%s" % lines.readline())
    s.sendall(b"STATUS\n")
    print("status=%s" % lines.readline())
    close_tls(s)
    return 0


def tlspeer_serve(conn, ctx):
    with conn:
        conn.sendall(b"220 remote ready\n")
        if readline_raw(conn) != "STARTTLS":
            return
        conn.sendall(b"OK go\n")
        t = ctx.wrap_socket(conn, server_side=True)
        lines = Lines(t)
        while True:
            line = lines.readline()
            if not line:
                # attlsd's close_notify (the application closed): answer
                # with ours, as a correct TLS peer does, before the FIN.
                close_tls(t)
                return
            if line == "VERSION":
                t.sendall(("VERSION %s\n" % t.version()).encode())
            elif line.startswith("ECHO "):
                t.sendall((line + "\n").encode())
            elif line.startswith("LONG "):
                t.sendall(("LEN %d\n" % (len(line) - 5)).encode())
            elif line.startswith("BIG "):
                t.sendall(b"b" * int(line[4:]) + b"\n")


def tlspeer(a):
    """The remote STARTTLS server of a Client-role rule: it does TLS itself."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    listen_forever(a.ready, tlspeer_serve, ctx)


def appclient(a):
    """The local application of a Client-role rule: clear text only; it asks
    attlsd to start TLS toward the server once the server said "OK go"."""
    s = socket.create_connection(("127.0.0.1", a.port), timeout=30)
    print("greeting=%s" % readline_raw(s))
    s.sendall(b"STARTTLS\n")
    print("proceed=%s" % readline_raw(s))
    print("init=%s" % run([a.attlsctl, "init", "-s", a.socket, "--fd", str(s.fileno())],
                          (s.fileno(),)))
    lines = Lines(s)
    s.sendall(b"VERSION\n")
    print("version=%s" % lines.readline())
    s.sendall(b"LONG " + b"a" * 65536 + b"\n")
    print("long=%s" % lines.readline())
    s.sendall(b"BIG 200000\n")
    big = lines.readline()
    print("big=%d" % (len(big) if big == "b" * len(big) else -1))
    print("query=%s" % run([a.attlsctl, "query", "-s", a.socket] + tuple_of(s)))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("server")
    sp.add_argument("--ready", required=True)
    sp.add_argument("--attlsctl", required=True)
    sp.add_argument("--socket", required=True)
    sp.add_argument("--mode", choices=["init", "late", "noinit", "refused"], default="init")
    cp = sub.add_parser("client")
    cp.add_argument("--port", type=int, required=True)
    cp.add_argument("--ca", required=True)
    cp.add_argument("--tls-first", action="store_true")
    cp.add_argument("--timeout", type=float, default=30)
    cp.add_argument("--clear-after", metavar="FILE")
    tp = sub.add_parser("tlspeer")
    tp.add_argument("--ready", required=True)
    tp.add_argument("--cert", required=True)
    tp.add_argument("--key", required=True)
    ac = sub.add_parser("appclient")
    ac.add_argument("--port", type=int, required=True)
    ac.add_argument("--attlsctl", required=True)
    ac.add_argument("--socket", required=True)
    a = ap.parse_args()
    return {"server": server, "client": client, "tlspeer": tlspeer,
            "appclient": appclient}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
