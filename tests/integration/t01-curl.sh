#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# curl --cacert through attlsd to an unmodified plaintext python3 -m http.server.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
need_tool curl

docroot=$T_TMP/www
mkdir -p "$docroot"
random_file "$docroot/blob" $((3 * 1024 * 1024 + 17))
echo "hello from the plaintext backend $$" >"$docroot/index.html"
start_http_backend "$docroot"

port=$(free_port)
# The keyring paths use ${ATTLS_PKI}, which attlsd expands from its environment.
policy_new
policy_settings 'idle_timeout: 30'
policy_keyring ring1 server
policy_group grp-on 'trace: 2'
policy_env env-server Server ring1 'tls_v1_2: On' 'tls_v1_3: On'
policy_rule web "$port" env-server "127.0.0.1:$HTTP_PORT" 'priority: 1000'
attlsd_start "$(policy_file)"

CURL=(timeout 20 curl -sS --fail --cacert "$T_PKI/ca.crt" --resolve "localhost:$port:127.0.0.1")

# 1. Small page by host name, body checked.
body=$("${CURL[@]}" "https://localhost:$port/index.html") || t_fail "curl https://localhost:$port/index.html failed"
assert_eq "index.html body through attlsd" "$(cat "$docroot/index.html")" "$body"

# 2. By IP address (IP SAN), TLS 1.2 and TLS 1.3 explicitly, 3 MiB body by SHA-256.
for v in 1.2 1.3; do
	"${CURL[@]}" -v --tlsv$v --tls-max $v -o "$T_TMP/blob.$v" "https://127.0.0.1:$port/blob" 2>"$T_TMP/curl.$v.err" ||
		{ cat "$T_TMP/curl.$v.err"; t_fail "curl --tlsv$v https://127.0.0.1:$port/blob failed"; }
	assert_match "curl negotiated TLSv$v" "SSL connection using TLSv$v" "$(cat "$T_TMP/curl.$v.err")"
	assert_eq "blob (TLS $v) SHA-256" "$(sha256_of "$docroot/blob")" "$(sha256_of "$T_TMP/blob.$v")"
done

# 3. Several concurrent requests.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"${CURL[@]}" -o "$T_TMP/par.$i" "https://localhost:$port/blob" 2>"$T_TMP/par.$i.err" &
	pids+=($!)
	t_track $!
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { cat "$T_TMP/par.$((i + 1)).err"; t_fail "concurrent curl #$((i + 1)) failed"; }
done
for i in 1 2 3 4 5 6 7 8; do
	[[ $(sha256_of "$T_TMP/par.$i") == "$(sha256_of "$docroot/blob")" ]] ||
		t_fail "concurrent download #$i: SHA-256 mismatch ($(stat -c %s "$T_TMP/par.$i") bytes)"
done
t_ok "8 concurrent 3 MiB downloads intact"

# 4. The backend really got plaintext HTTP from attlsd.
n=$(grep -c '"GET /blob HTTP/1.1" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "GET /blob requests seen by http.server" 10 "$n"
expect_no_error

# 5. A wrong trust anchor must fail on the client side (the server cert is checked).
if timeout 20 curl -sS --cacert "$T_PKI/untrusted-ca.crt" --resolve "localhost:$port:127.0.0.1" \
	-o /dev/null "https://localhost:$port/" 2>/dev/null; then
	t_fail "curl accepted the server certificate with the wrong CA file"
fi
t_ok "curl rejects the server certificate against a foreign CA"
wait_idle
log_mark # that connection may legitimately be logged as a failed handshake

# 6. Still serving; no failed connection logged for a good request; clean stop.
"${CURL[@]}" -o /dev/null "https://localhost:$port/" || t_fail "curl after the negative check failed"
expect_no_error
attlsd_stop
exit 0
