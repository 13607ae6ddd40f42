#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (optional arguments)
# Control-socket access for a non-root user (issue 12): attlsd relays to a
# backend whose sockets it cannot see (another network namespace, as a remote
# host). A user who binds a listener on the backend's port in attlsd's own
# namespace used to pass the ownership check for that connection (the kernel's
# lookup fell back to the listener): QUERY gave away its rule and status and
# INIT reached it. Now only an ESTABLISHED socket with exactly the named
# 4-tuple counts: EACCES for QUERY and INIT, while root is still answered.
# POLICY is answered to root only; the user gets EACCES.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"
need_tool setpriv ss
user=nobody
id "$user" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$user" || t_skip "no user $user"
as_user() { setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups "$@"; }
# The user's python: a pyenv shim under /root is not theirs to run.
upy=/usr/bin/python3
as_user "$upy" -c '' 2>/dev/null || t_skip "no python3 that $user may run"

ns_setup
ns_attlsd "$NS_C" # attlsd beside the client; the backend's sockets are in $NS_S
sock=$T_TMP/attlsd.sock
policy=$(write_policy t82 <<EOF
settings:
  control_socket: "$sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  remote: { priority: 10, direction: Inbound, local_addr: 127.0.0.1, local_port: 7580, group: on, environment: server, backend: "$NS_SADDR:7581" }
EOF
)
chmod 0711 "$T_TMP"
mkdir -m 1777 "$T_TMP/pub"
# The backend (in $NS_S) writes the 4-tuple it sees, LOCAL REMOTE (the key
# of attlsd's registry), then holds the connection until $T_TMP/go.
ip netns exec "$NS_S" "$T_PY" -c 'import os, socket, sys, time
d = sys.argv[1]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7581)); s.listen(4); open(d + "/backend.ready", "w").write("up")
c, _ = s.accept()
f = lambda a: "%s:%d" % a[:2]
open(d + "/tuple.tmp", "w").write(f(c.getsockname()) + " " + f(c.getpeername()) + "\n")
os.rename(d + "/tuple.tmp", d + "/tuple")
end = time.monotonic() + 80
while not os.path.exists(d + "/go") and time.monotonic() < end: time.sleep(0.05)
c.recv(100); c.sendall(b"held\n"); c.close()' "$T_TMP" >"$T_TMP/backend.log" 2>&1 &
t_track $!
wait_file "$T_TMP/backend.ready" 10 || { cat "$T_TMP/backend.log"; t_fail "the backend did not start"; }
attlsd_start "$policy"
# Who may connect is the socket's mode and group; here everyone, so that the
# per-request check is what decides.
chmod 0666 "$sock"

# The client waits as long as the backend holds (netns.py's client gives up
# after 10 s, which a loaded machine can take before the queries are done).
timeout 90 ip netns exec "$NS_C" "$T_PY" -c 'import socket, ssl, sys
c = ssl.create_default_context(cafile=sys.argv[1])
s = c.wrap_socket(socket.create_connection(("127.0.0.1", 7580), timeout=80), server_hostname="localhost")
s.sendall(b"hello\n"); out = b""
while not out.endswith(b"\n"):
    d = s.recv(4096)
    if not d: break
    out += d
print(out.decode().strip())' "$T_PKI/ca.crt" >"$T_TMP/client.out" 2>&1 &
t_track $!
wait_file "$T_TMP/tuple" 15 || { cat "$T_TMP/client.out"; t_fail "the connection did not reach the backend"; }
read -r l r <"$T_TMP/tuple"
t_ok "the backend sees $l $r"

# The user's listener on the backend's port, in attlsd's namespace.
ip netns exec "$NS_C" setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
	"$upy" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").write("up"); time.sleep(60)' "${l##*:}" "$T_TMP/pub/listen" &
t_track $!
wait_file "$T_TMP/pub/listen" 10 || t_fail "$user could not listen on port ${l##*:}"
t_ok "$user listens on 0.0.0.0:${l##*:} in attlsd's namespace"

out=$(as_user "$upy" "$T_DIR/ctlraw.py" "$sock" "QUERY $l $r")
printf '%s\n' "$out" | sed "s/^/  QUERY as $user: /"
assert_match "$user, a listener on the backend's port: QUERY is EACCES" "^ERR EACCES" "$out"
assert_no_match "$user: nothing about the connection" "remote|^OK" "$out"
out=$(as_user "$upy" "$T_DIR/ctlraw.py" "$sock" "INIT $l $r")
assert_match "$user, the same connection: INIT is EACCES" "^ERR EACCES" "$out"
out=$("$T_PY" "$T_DIR/ctlraw.py" "$sock" "QUERY $l $r")
assert_match "root, the same 4-tuple: answered" "^OK [0-9]+ [0-9]+ [0-9]+ 0x030[34] .* remote [0-9A-F]{8}$" "$(head -1 <<<"$out")"

out=$(as_user "$upy" "$T_DIR/ctlraw.py" "$sock" "POLICY")
assert_match "$user: POLICY is EACCES" "^ERR EACCES the policy is for root" "$out"
assert_no_match "$user: no policy text" "server.key|remote" "$out"
out=$("$T_PY" "$T_DIR/ctlraw.py" "$sock" "POLICY")
assert_match "root: POLICY answered" "^OK" "$out"
assert_match "root: the effective policy" "remote" "$out"

touch "$T_TMP/go"
wait_until 15 grep -q '^held$' "$T_TMP/client.out" ||
	{ cat "$T_TMP/client.out"; t_fail "the held connection did not finish"; }
t_ok "the relayed connection finished normally"
attlsd_stop
t_done
