#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# attlsctl filter export --nft, enforced by the kernel: the exported ruleset is
# loaded into a network namespace this test creates, a plain TCP server listens
# there on the policy's port, and peers from 127.0.0.1-.5 connect. For each, the
# kernel's verdict must be what `attlsctl explain` says attlsd would decide:
# permit, deny (reset), implicit deny, and time windows open and closed now.
# Port sets become anonymous nft sets: 127.0.0.1 is let in through one that holds
# the port, 127.0.0.3 stays out although one without it names that peer.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_tool nft
need_tool ip
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}
ns=attls-t13-$$
ip netns add "$ns" 2>/dev/null || t_skip "cannot create a network namespace here (not root?)"
trap 'ip netns del "$ns" 2>/dev/null; t_cleanup' EXIT
ip -n "$ns" link set lo up

windows() {
	"$T_PY" - <<'PY'
import datetime as d
n = d.datetime.now(d.timezone.utc)
for m in (-60, 60, 120, 180):
    print((n + d.timedelta(minutes=m)).strftime("%H:%M"), end=" ")
PY
}
read -r open_from open_to closed_from closed_to <<<"$(windows)"
port=7554
policy=$(write_policy t13 <<EOF
settings:
  filter_deny: reset
groups:
  grp-off: { enabled: Off }
ports:
  gw-ports: [1-22, $port, 8000-8010]
time_conditions:
  open-now: { time_of_day: "$open_from-$open_to", time_zone: UTC }
  closed-now: { time_of_day: "$closed_from-$closed_to", time_zone: UTC }
filters:
  deny-lab: { action: deny, source: 127.0.0.2 }
  local: { action: permit, source: 127.0.0.1, destination_port: gw-ports }
  not-gw: { action: permit, source: 127.0.0.3, destination_port: [22, 8000-8010] }
  in-window: { action: permit, source: 127.0.0.4, time_condition: open-now }
  out-of-window: { action: permit, source: 127.0.0.5, time_condition: closed-now }
rules:
  gw: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: grp-off, backend: "127.0.0.1:17554" }
EOF
)
# The machine's zone is what nft uses for meta hour; the windows are UTC.
TZ=UTC "$ATTLSCTL" filter export --nft "$policy" >"$T_TMP/rules.nft" || t_fail "export failed"
TZ=UTC ip netns exec "$ns" nft -f "$T_TMP/rules.nft" || { cat "$T_TMP/rules.nft"; t_fail "nft rejected the export"; }
grep -q "tcp dport { 1-22, $port, 8000-8010 }" "$T_TMP/rules.nft" ||
	{ cat "$T_TMP/rules.nft"; t_fail "the port set is not an nft set"; }
t_ok "exported ruleset loaded into namespace $ns"

ip netns exec "$ns" "$T_PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
open(sys.argv[2], "w").write("up")
while True:
    c, _ = s.accept(); c.sendall(b"hi"); c.close()
' "$port" "$T_TMP/srv.up" >/dev/null 2>&1 &
t_track $!
wait_file "$T_TMP/srv.up" 5 || t_fail "the test server did not start"

connect_from() { # SRC -> "open" or "refused"
	ip netns exec "$ns" "$T_PY" -c '
import socket, sys
s = socket.socket(); s.settimeout(3); s.bind((sys.argv[1], 0))
try:
    s.connect(("127.0.0.1", int(sys.argv[2])))
    print("open" if s.recv(2) == b"hi" else "refused")
except OSError:
    print("refused")
' "$1" "$port"
}
explain_verdict() { # SRC -> "open" or "refused"
	if "$ATTLSCTL" explain -f "$policy" --src "$1" --dst "127.0.0.1:$port" | grep -q "=> .*: permit"; then
		echo open
	else
		echo refused
	fi
}

for src in 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5; do
	want=$(explain_verdict "$src")
	assert_eq "$src: kernel agrees with attlsctl explain" "$want" "$(connect_from "$src")"
done
assert_eq "the explain verdicts are the expected ones" "open refused refused open refused" \
	"$(for s in 1 2 3 4 5; do explain_verdict 127.0.0.$s; done | tr '\n' ' ' | sed 's/ $//')"
ip netns exec "$ns" nft list table inet attls_filter | grep -q 'counter packets [1-9].*comment "filter deny-lab"' ||
	t_fail "the deny-lab counter did not count"
t_ok "nft counters count the denied peer"
t_done
