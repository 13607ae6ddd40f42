#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A rule on a local port range without intercept: attlsd listens on every port
# of it and relays each to its own plaintext server at port + N ("backend:
# 127.0.0.1:+N"), as an imported LocalPortRange gateway needs. curl and
# openssl s_client reach each port and get that port's backend; attlsctl policy
# show prints the expansion; a SIGHUP reload that shrinks the range closes the
# port that left (refused) while the others keep serving on their sockets.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool curl
need_tool openssl

# Three consecutive free ports, and the three at + offset for the backends.
offset=1000
read -r base <<<"$("$T_PY" - "$offset" <<'EOF'
import random, socket, sys
off = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 50000)
    socks = []
    try:
        for p in [base + i for i in range(3)] + [base + off + i for i in range(3)]:
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
EOF
)"
[[ -n $base ]] || t_fail "no run of 3 free ports (and 3 at +$offset) found"
p=("$base" $((base + 1)) $((base + 2)))
for i in 0 1 2; do
	b=$((p[i] + offset))
	mkdir -p "$T_TMP/www$i"
	echo "backend $b" >"$T_TMP/www$i/whoami"
	"$T_PY" -m http.server --bind 127.0.0.1 --directory "$T_TMP/www$i" "$b" \
		>"$T_TMP/http.$b.log" 2>&1 &
	t_track $!
	wait_tcp 127.0.0.1 "$b" 10 || t_fail "http.server did not start on port $b"
done

policy=$T_TMP/t54.yaml
write_range() { # HIGHEST-PORT
	cat >"$policy" <<EOF
settings: { control_socket: "$T_TMP/ctl.sock", idle_timeout: 30 }
keyrings:
  ring: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  grp-on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: ring }
rules:
  gateway:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: ${p[0]}-$1
    group: grp-on
    environment: server
    backend: "127.0.0.1:+$offset"
EOF
}
get() { # PORT: the body curl gets from /whoami over TLS, or "failed"
	curl -sS --max-time 10 --cacert "$T_PKI/ca.crt" "https://localhost:$1/whoami" 2>/dev/null ||
		echo failed
}

write_range "${p[2]}"
"$ATTLSD" -t -f "$policy" 2>"$T_TMP/check.err" ||
	{ cat "$T_TMP/check.err"; t_fail "attlsd -t rejects a rule on ${p[0]}-${p[2]}"; }
grep -q "policy OK (1 rules, 3 listeners)" "$T_TMP/check.err" ||
	{ cat "$T_TMP/check.err"; t_fail "attlsd -t did not derive 3 listeners"; }
t_ok "attlsd -t: one rule on ${p[0]}-${p[2]}, 3 listeners"
attlsd_start "$policy"
for i in 0 1 2; do
	assert_eq "curl to ${p[i]} reaches its own backend" "backend $((p[i] + offset))" "$(get "${p[i]}")"
done
sclient -o "$T_TMP/whoami" -s 'GET /whoami HTTP/1.0\r\nHost: localhost\r\n\r\n' "${p[1]}" \
	-CAfile "$T_PKI/ca.crt" -verify_return_error -quiet -ign_eof
out=$(cat "$T_TMP/whoami")
assert_match "openssl s_client to ${p[1]} reaches its own backend" "backend $((p[1] + offset))" "$out"

ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}
show=$("$ATTLSCTL" policy show -s "$T_TMP/ctl.sock")
for i in 0 1 2; do
	assert_match "policy show: listener ${p[i]} -> $((p[i] + offset))" \
		"listener: +127\\.0\\.0\\.1:${p[i]} -> 127\\.0\\.0\\.1:$((p[i] + offset))" "$show"
done

# Shrink the range: the port that left is closed, the others still serve on
# the sockets they had (one per worker, the same inodes before and after).
listen_inodes() { # PORT: inodes of the listening sockets on 127.0.0.1:PORT
	"$T_PY" - "$1" <<'EOF'
import sys
want = "0100007F:%04X" % int(sys.argv[1])
with open("/proc/net/tcp") as f:
    next(f)
    rows = [l.split() for l in f]
print(" ".join(sorted(r[9] for r in rows if r[1] == want and r[3] == "0A")))
EOF
}
before0=$(listen_inodes "${p[0]}")
[[ -n $before0 ]] || t_fail "no listening socket found for ${p[0]} in /proc/net/tcp"
write_range "${p[1]}"
log_mark
kill -HUP "$ATTLSD_PID"
wait_report "$ATTLSD_LOG" "policy reloaded from .*: 1 rules, 2 listeners" 10 >/dev/null ||
	{ tail -20 "$ATTLSD_LOG"; t_fail "after SIGHUP: no reload with 2 listeners"; }
# The workers apply the new listeners on their own threads: wait for the close.
wait_until 5 port_refused 127.0.0.1 "${p[2]}" || t_fail "port ${p[2]} still accepts after the range shrank"
t_ok "after the reload port ${p[2]} refuses connections"
for i in 0 1; do
	assert_eq "after the reload curl to ${p[i]} still reaches its backend" \
		"backend $((p[i] + offset))" "$(get "${p[i]}")"
done
log_since_mark | grep -q "cannot listen" && t_fail "the reload re-bound a port that stayed"
assert_eq "port ${p[0]} kept its listening sockets across the reload" "$before0" "$(listen_inodes "${p[0]}")"
attlsd_alive
attlsd_stop
t_done
