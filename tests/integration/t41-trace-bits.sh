#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Trace bits decide exactly which messages a connection produces. Per rule, one
# good TLS connection and one clear-text connection (RC 5003):
#   trace 2:  EZD1286I only
#   trace 6:  + EZD1281I (mapping, both connections)
#   trace 14: + EZD1282I (start, the TLS one) and EZD1283I (Connection Init,
#             two Connection Close)
#   trace 18: EZD1286I, EZD1282I and EZD1284I flow lines, no EZD1281I/EZD1283I
#   trace 34: EZD1285I hex dumps of the decrypted data; warned at load
# attlsd runs with -d: bits 8-32 are syslog debug, as on z/OS.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
traces=(2 6 14 18 34)
read -r -a ports <<<"$(free_ports ${#traces[@]})"
policy_new
policy_keyring ring1 server
policy_env env1 Server ring1
for i in "${!traces[@]}"; do
	policy_group "g${traces[i]}" "trace: ${traces[i]}"
	policy_rule "r${traces[i]}" "${ports[i]}" env1 "127.0.0.1:$BACKEND_PORT" "group: g${traces[i]}"
done
policy_file t41 >/dev/null

out=$("$ATTLSD" -t -f "$T_TMP/t41.yaml" 2>&1) || { echo "$out"; t_fail "policy check failed"; }
assert_match "trace 32 is warned at load" 'rule "r34" has Trace 32: decrypted application data is logged' "$out"
assert_no_match "trace 14 is not warned" 'rule "r14" has Trace 32' "$out"

attlsd_start "$T_TMP/t41.yaml" -d

# count MSGID: lines of that message since the mark.
count() { log_since_mark | grep -c "$1 "; }

for i in "${!traces[@]}"; do
	t=${traces[i]} p=${ports[i]}
	tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p" text:ping-$t shut recv >"$T_TMP/ok.$t" 2>&1 ||
		{ cat "$T_TMP/ok.$t"; t_fail "good client to port $p failed"; }
	tlsclient --raw --timeout 10 "127.0.0.1:$p" 'text:GET / HTTP/1.0\r\n\r\n' recv >"$T_TMP/clear.$t" 2>&1 || true
	wait_report "$ATTLSD_LOG" "RULE: r$t RC: 5003" 5 >/dev/null || t_fail "no 5003 for trace $t"
	wait_idle # both connections have ended: all their lines are written
	seen="1286=$(count EZD1286I) 1287=$(count EZD1287I) 1281=$(count EZD1281I) 1282=$(count EZD1282I) 1283=$(count EZD1283I) 1284=$(( $(count EZD1284I) > 0 )) 1285=$(( $(count EZD1285I) > 0 ))"
	case $t in
	2) want="1286=1 1287=0 1281=0 1282=0 1283=0 1284=0 1285=0" ;;
	6) want="1286=1 1287=0 1281=2 1282=0 1283=0 1284=0 1285=0" ;;
	14) want="1286=1 1287=0 1281=2 1282=1 1283=3 1284=0 1285=0" ;;
	18) want="1286=1 1287=0 1281=0 1282=1 1283=0 1284=1 1285=0" ;;
	34) want="1286=1 1287=0 1281=0 1282=0 1283=0 1284=0 1285=1" ;;
	esac
	assert_eq "messages with trace $t" "$want" "$seen"
	case $t in
	14)
		l=$(log_since_mark | grep 'EZD1283I' | grep 'Connection Init')
		assert_match "EZD1283I Connection Init fields" \
			'EZD1283I TTLS Event GRPID: [0-9A-F]{8} ENVID: [0-9A-F]{8} CONNID: [0-9A-F]{8} RC:    0 Connection Init PROTOCOL: TLSv1\.[23] CIPHER: [0-9A-F]{4} TLS_[A-Z0-9_]+ HSTIME: [0-9]+ms USERID: \S+ PEER: ' "$l"
		l=$(log_since_mark | grep 'EZD1282I')
		assert_match "EZD1282I fields" 'EZD1282I TTLS Start GRPID: [0-9A-F]{8} ENVID: [0-9A-F]{8} CONNID: [0-9A-F]{8} Initial Handshake ACTIONS: g14 env1 \*\*N/A\*\* HS_SERVER' "$l"
		;;
	18)
		l=$(log_since_mark | grep 'EZD1284I' | tail -n 1)
		assert_match "EZD1284I fields" 'EZD1284I TTLS Flow GRPID: [0-9A-F]{8} ENVID: [0-9A-F]{8} CONNID: [0-9A-F]{8} RC:    0 Call SSL_accept- ' "$l"
		;;
	34)
		l=$(log_since_mark | grep -A1 'EZD1285I' | head -n 2 | tr '\n' ' ')
		# "ping-34" is 70 69 6E 67 2D 33 34
		assert_match "EZD1285I dumps the decrypted bytes" 'EZD1285I TTLS Data CONNID: [0-9A-F]{8} RECV DECRYPTED 7 +0000: 70 69 6E 67 2D 33 34' "$l"
		;;
	esac
	# Without Trace 32, no payload byte appears in any line.
	[[ $t == 34 ]] || assert_no_match "no payload logged with trace $t" 'ping-|70 69 6E 67' "$(log_since_mark)"
	log_mark
done

attlsd_stop
t_done
