#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# settings.metrics_listen scraped by a real Prometheus (Debian's prometheus, started
# here on a free port): after 4 good handshakes, 3 clear-text connections (RC 5003)
# and 2 connections an IP filter denies, PromQL through Prometheus' HTTP API returns
# exactly those numbers; the alert rules of contrib/prometheus pass promtool.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
T_LIMIT=180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet-lib.sh"
need_tool prometheus promtool curl

promtool check rules "$T_TOP/contrib/prometheus/attls-alerts.yml" >"$T_TMP/promtool.out" 2>&1 ||
	t_fail "promtool check rules: $(cat "$T_TMP/promtool.out")"
t_ok "promtool accepts contrib/prometheus/attls-alerts.yml"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "metrics page $$" >"$docroot/index.html"
start_http_backend "$docroot"

read -r port mport pport < <(free_ports 3)
policy=$(write_policy t73 <<EOF
settings: { workers: 2, control_socket: "Off", metrics_listen: "127.0.0.1:$mport" }
filters:
  deny-lab: { action: deny, source: 127.0.0.2 }
  permit-local: { action: permit, source: 127.0.0.1, destination_port: $port }
keyrings:
  ring1: { certificate: $T_PKI/server.crt, key: $T_PKI/server.key }
groups:
  grp-on: { enabled: On }
environments:
  env1: { handshake_role: Server, keyring: ring1 }
rules:
  web: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $port,
         group: grp-on, environment: env1, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"
wait_tcp 127.0.0.1 "$mport" 10 || t_fail "nothing serves /metrics on $mport"

mkdir -p "$T_TMP/prom"
cat >"$T_TMP/prom/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$T_TOP/contrib/prometheus/attls-alerts.yml" ]
scrape_configs:
  - job_name: attlsd
    static_configs: [ { targets: [ "127.0.0.1:$mport" ] } ]
EOF
prometheus --config.file="$T_TMP/prom/prometheus.yml" --storage.tsdb.path="$T_TMP/prom/data" \
	--web.listen-address="127.0.0.1:$pport" >"$T_TMP/prometheus.log" 2>&1 &
t_track $!
wait_tcp 127.0.0.1 "$pport" 30 || t_fail "prometheus did not start: $(tail -5 "$T_TMP/prometheus.log")"

good=0
for i in 1 2 3 4; do
	[[ $(s_resume "$T_TMP/g$i" 127.0.0.1 "$port" 1_2) == New ]] && good=$((good + 1))
done
assert_eq "good handshakes" 4 "$good"
# Clear text on the TLS port (RC 5003), and connections from 127.0.0.2 (denied).
"$T_PY" - "$port" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for i in range(3):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"hello in clear text\r\n")
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
for i in range(2):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
        s.recv(100)
    except OSError:
        pass
    s.close()
EOF
n=$(grep -cE "$(rc_pattern 5003)" "$ATTLSD_LOG")
assert_eq "EZD1286I lines with RC 5003" 3 "$n"

# Each scrape is a second apart: ask Prometheus until it has seen them all, or
# 60 s have passed; prints "query TAB wanted TAB got" for each.
"$T_PY" - "$pport" >"$T_TMP/promql.out" <<'EOF'
import json, sys, time, urllib.parse, urllib.request
want = {
    'sum(attls_handshakes_total{rule="web",rc="0"})': "4",
    'sum(attls_handshakes_total{rule="web",rc="5003"})': "3",
    'sum(attls_handshakes_total{rc!="0",rc!="5003"}) or vector(0)': "0",
    'attls_connections_accepted_total{rule="web"}': "7",
    'attls_connections_active{rule="web"}': "0",
    'attls_ipfilter_decisions_total{filter="deny-lab",action="deny"}': "2",
    'attls_ipfilter_decisions_total{filter="permit-local",action="permit"}': "7",
    'attls_handshake_duration_seconds_count': "7",
    'attls_policy_last_reload_success': "1",
    'count(attls_keyring_certificate_not_after_seconds{keyring="ring1",label="default"} > time())': "1",
    'count(attls_bytes_total{rule="web",direction="in"} > 0)': "1",
}
def query(q):
    url = "http://127.0.0.1:%s/api/v1/query?" % sys.argv[1] + urllib.parse.urlencode({"query": q})
    try:
        r = json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
    except Exception as e:
        return "error: %s" % e
    return r[0]["value"][1] if len(r) == 1 else "%d results" % len(r)
deadline = time.monotonic() + 60
while True:
    got = {q: query(q) for q in want}
    if got == want or time.monotonic() > deadline:
        break
    time.sleep(0.5)
for q in want:
    print("%s\t%s\t%s" % (q, want[q], got[q]))
EOF
[[ -s $T_TMP/promql.out ]] || t_fail "no PromQL answers"
while IFS=$'\t' read -r q want have; do
	assert_eq "PromQL $q" "$want" "$have"
done <"$T_TMP/promql.out"
attlsd_alive
t_done
