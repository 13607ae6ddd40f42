#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (optional arguments)
# The control socket's file and its clients (issue 12): a regular file or a
# symlink at control_socket is neither removed nor followed (attlsd serves no
# query API and says why); a stale socket is replaced; the socket is born
# mode 0660. A non-root user who opens many idle clients gets ERR EBUSY past
# 16 of them, with one log line however many are refused, while root is still
# answered.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool setpriv
user=nobody
id "$user" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$user" || t_skip "no user $user"
as_user() { setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups "$@"; }
# The user's python: a pyenv shim under /root is not theirs to run.
upy=/usr/bin/python3
as_user "$upy" -c '' 2>/dev/null || t_skip "no python3 that $user may run"

start_backend echo
read -r port <<<"$(free_ports 1)"
sock=$T_TMP/attlsd.sock
mkpolicy() {
	write_policy "t83.$1" <<EOF
settings:
  control_socket: "$2"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  r: { priority: 10, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: on, environment: server, backend: "127.0.0.1:$BACKEND_PORT" }
EOF
}

# A regular file at the path: kept, byte for byte.
echo "not a socket" >"$T_TMP/file"
attlsd_start "$(mkpolicy file "$T_TMP/file")"
# (logged before EZZ4250I, so before attlsd_start's mark)
grep -Eq "control_socket .*/file exists and is not a socket; no query API" "$ATTLSD_LOG" ||
	t_fail "no warning for a regular file at control_socket"
attlsd_stop
assert_match "a regular file at control_socket is left as it was" "^not a socket$" "$(cat "$T_TMP/file")"

# A symlink at the path: neither removed nor followed.
echo "target" >"$T_TMP/target"
chmod 0644 "$T_TMP/target"
ln -s "$T_TMP/target" "$T_TMP/link"
attlsd_start "$(mkpolicy link "$T_TMP/link")"
grep -Eq "control_socket .*/link exists and is not a socket" "$ATTLSD_LOG" || t_fail "no warning for a symlink"
attlsd_stop
[[ -L $T_TMP/link ]] || t_fail "the symlink at control_socket was removed"
assert_match "the symlink's target is untouched" "^644 target$" \
	"$(stat -c %a "$T_TMP/target") $(cat "$T_TMP/target")"

# A stale socket (its server gone without unlinking it) is replaced.
"$T_PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
[[ -S $sock ]] || t_fail "could not leave a stale socket"
chmod 0711 "$T_TMP"
attlsd_start "$(mkpolicy sock "$sock")"
grep -Eq "control socket .*: queries served" "$ATTLSD_LOG" || t_fail "a stale socket was not replaced"
assert_match "the socket is born 0660" "^660$" "$(stat -c %a "$sock")"
assert_match "root: served" "^OK" "$("$T_PY" "$T_DIR/ctlraw.py" "$sock" POLICY)"

# Many idle clients of one user: the 17th and later are refused at once.
chmod 0666 "$sock" # everyone may connect: the cap is what decides
mkdir -m 1777 "$T_TMP/pub"
log_mark
as_user "$upy" "$T_DIR/ctlraw.py" "$sock" --hold 16 "$T_TMP/pub/held" "$T_TMP/pub/release" \
	>"$T_TMP/hold.out" 2>&1 &
hold=$!
t_track "$hold"
wait_file "$T_TMP/pub/held" 5 || { cat "$T_TMP/hold.out"; t_fail "$user could not open its clients"; }
sed 's/^/  /' "$T_TMP/hold.out"
assert_match "$user's 17th client: ERR EBUSY" "^extra=ERR EBUSY too many control-socket clients" "$(head -1 "$T_TMP/hold.out")"
assert_match "all three extra clients refused" "^3$" "$(grep -c '^extra=ERR EBUSY' "$T_TMP/hold.out")"
# Root, while the user holds its 16: answered.
assert_match "root, meanwhile: answered" "^OK" "$("$T_PY" "$T_DIR/ctlraw.py" "$sock" POLICY)"
touch "$T_TMP/pub/release"
wait "$hold"
wait_log "control socket: client uid [0-9]+ refused: 16 clients served" 5 || t_fail "no log line for the refusal"
assert_match "one log line for three refusals" "^1$" "$(log_since_mark | grep -c 'control socket: client uid')"
# The user's slots are free again once its clients have gone.
wait_until 5 sh -c "'$T_PY' '$T_DIR/ctlraw.py' '$sock' 'QUERY 127.0.0.1:1 127.0.0.1:2' | grep -q ENOTCONN" ||
	t_fail "root's query after the release"
out=$(as_user "$upy" "$T_DIR/ctlraw.py" "$sock" "QUERY 127.0.0.1:1 127.0.0.1:2")
assert_match "$user after the release: served again (EACCES, not EBUSY)" "^ERR EACCES" "$out"
attlsd_stop
t_done
