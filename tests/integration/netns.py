#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Peers for the interception tests (tests/integration/netns.bash).

  netns.py backend --port P --ready FILE [--bind ADDR] [--query CMD] [--tls-cert CRT --tls-key KEY]
      Plaintext server on ADDR:P (default 0.0.0.0; "::" takes IPv6 and IPv4). Per connection it reads one line and
      answers "peer=ADDR got=LINE"; with --query it first runs CMD with its own
      connection's LOCAL and REMOTE (addr:port, as it sees them) appended and
      adds "query=<output, ; for newlines>".
  netns.py client HOST:PORT [--tls CAFILE [--cert CRT --key KEY]] [--name NAME] [--line TEXT]
      Connects, optionally does TLS (verifying against CAFILE and NAME), sends
      one line, prints the answer and, with TLS, "tls=VERSION".
"""
import argparse
import socket
import ssl
import subprocess
import sys
import threading


def fmt(addr):
    host, port = addr[0], addr[1]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def close_tls(s):
    """A TLS peer ends its data with close_notify (attlsd resets the other side
    of a connection whose TLS peer closes without it: possible truncation)."""
    if isinstance(s, ssl.SSLSocket):
        try:
            s.unwrap()
        except (OSError, ValueError):
            pass


def serve(c, args):
    try:
        c.settimeout(10)
        if args.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            c = ctx.wrap_socket(c, server_side=True)
        line = b""
        while not line.endswith(b"\n"):
            d = c.recv(1000)
            if not d:
                break
            line += d
        out = "peer=%s got=%s" % (c.getpeername()[0], line.decode().strip())
        if args.query:
            cmd = args.query.split() + [fmt(c.getsockname()), fmt(c.getpeername())]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            out += " query=" + (r.stdout + r.stderr).strip().replace("\n", ";")
        c.sendall(out.encode() + b"\n")
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
        close_tls(c)
    except OSError as e:
        sys.stdout.write("error=%s\n" % e)
    finally:
        c.close()


def backend(args):
    s = socket.socket(socket.AF_INET6 if ":" in args.bind else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.bind, args.port))
    s.listen(64)
    open(args.ready, "w").write("up")
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, args), daemon=True).start()


def client(args):
    host, _, port = args.target.rpartition(":")
    s = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
    tls = None
    if args.tls:
        ctx = ssl.create_default_context(cafile=args.tls)
        if args.cert:
            ctx.load_cert_chain(args.cert, args.key)
        s = ctx.wrap_socket(s, server_hostname=args.name)
        tls = s.version()
    s.sendall(args.line.encode() + b"\n")
    out = b""
    while not out.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            break
        out += d
    close_tls(s)
    print(out.decode().strip())
    if tls:
        print("tls=%s" % tls)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("backend")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--ready", required=True)
    b.add_argument("--bind", default="0.0.0.0")
    b.add_argument("--query")
    b.add_argument("--tls-cert")
    b.add_argument("--tls-key")
    c = sub.add_parser("client")
    c.add_argument("target")
    c.add_argument("--tls")
    c.add_argument("--name", default="localhost")
    c.add_argument("--line", default="hello")
    c.add_argument("--cert")
    c.add_argument("--key")
    args = ap.parse_args()
    try:
        backend(args) if args.cmd == "backend" else client(args)
    except (OSError, ssl.SSLError) as e:
        print("error=%s" % e)
        sys.exit(1)


main()
