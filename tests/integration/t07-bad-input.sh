#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Bad input: attlsd -t accepts a good policy (0) and rejects bad ones (1); startup
# fails with exit status 1 and a message naming file:line or the offending path for
# malformed YAML, an unknown key, a missing policy / certificate file, a key that does
# not match its certificate (like RC 428) and a listen port that is already in use.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

start_backend echo
busy_port=$BACKEND_PORT # held by backend.py for the port-in-use case
read -r port unused_backend <<<"$(free_ports 2)"

# policy_text CERT KEY LISTENPORT: a complete, valid policy.
policy_text() {
	cat <<EOF
settings:
  workers: 1
keyrings:
  ring1:
    certificate: $1
    key: $2
    trusted_ca: $T_PKI/ca.crt
groups:
  grp-on: { enabled: On }
environments:
  env-server:
    handshake_role: Server
    keyring: ring1
    tls_v1_2: On
    tls_v1_3: On
rules:
  web:
    priority: 100
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: $3
    group: grp-on
    environment: env-server
    backend: 127.0.0.1:$unused_backend
EOF
}

# run OUT ARGS...: attlsd ARGS, bounded; sets ST to its exit status.
run() {
	local out=$1
	shift
	timeout 10 "$ATTLSD" "$@" >"$out" 2>&1
	ST=$?
	((ST != 124)) || { cat "$out"; t_fail "attlsd $* did not exit within 10 s"; }
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$out"; then
		cat "$out"
		t_fail "sanitizer report from attlsd $*"
	fi
}

# expect_reject NAME ERE [-t]: policy $T_TMP/NAME.yaml must be rejected with status 1
# and a message matching ERE, both by "attlsd -t" (when -t given) and at startup.
expect_reject() {
	local name=$1 re=$2 check=${3:-} f=$T_TMP/$1.yaml out
	if [[ $check == -t ]]; then
		run "$T_TMP/$name.t.out" -t -f "$f"
		out=$(cat "$T_TMP/$name.t.out")
		assert_eq "$name: attlsd -t exit status" 1 "$ST"
		assert_match "$name: attlsd -t message names the problem" "$re" "$out"
		t_log "  attlsd -t said: $(head -n 3 <<<"$out")"
	fi
	run "$T_TMP/$name.run.out" -F -f "$f"
	out=$(cat "$T_TMP/$name.run.out")
	assert_eq "$name: startup exit status" 1 "$ST"
	assert_match "$name: startup message names the problem" "$re" "$out"
	assert_no_match "$name: no EZZ4250I on failed startup" 'EZZ4250I' "$out"
	t_log "  startup said: $(grep -v '^ *$' <<<"$out" | head -n 3)"
}

# 1. A good policy passes -t and -T.
policy_text "$T_PKI/server.crt" "$T_PKI/server.key" "$port" >"$T_TMP/good.yaml"
run "$T_TMP/good.out" -t -f "$T_TMP/good.yaml"
[[ $ST == 0 ]] || cat "$T_TMP/good.out"
assert_eq "good policy: attlsd -t exit status" 0 "$ST"
run "$T_TMP/good.T.out" -T -f "$T_TMP/good.yaml"
[[ $ST == 0 ]] || cat "$T_TMP/good.T.out"
assert_eq "good policy: attlsd -T exit status" 0 "$ST"
assert_match "attlsd -T prints the rule" 'web' "$(cat "$T_TMP/good.T.out")"

# 2. Malformed YAML: a sequence item inside a mapping on line 4.
printf 'settings:\n  workers: 1\n  idle_timeout: 30\n - oops\nrules: {}\n' >"$T_TMP/bad-yaml.yaml"
expect_reject bad-yaml 'bad-yaml\.yaml:4(:[0-9]+)?:' -t

# 3. Unknown key on line 16 (tls_v1_4 in the environment).
policy_text "$T_PKI/server.crt" "$T_PKI/server.key" "$port" |
	sed 's/^    tls_v1_3: On$/    tls_v1_3: On\n    tls_v1_4: On/' >"$T_TMP/unknown-key.yaml"
assert_eq "unknown-key.yaml: line 16 is the unknown key" "    tls_v1_4: On" "$(sed -n 16p "$T_TMP/unknown-key.yaml")"
expect_reject unknown-key 'unknown-key\.yaml:16(:[0-9]+)?:.*tls_v1_4' -t

# 4. Missing policy file.
run "$T_TMP/nofile.t.out" -t -f "$T_TMP/does-not-exist.yaml"
assert_eq "missing policy file: attlsd -t exit status" 1 "$ST"
assert_match "missing policy file: message names the path" 'does-not-exist\.yaml' "$(cat "$T_TMP/nofile.t.out")"
run "$T_TMP/nofile.out" -F -f "$T_TMP/does-not-exist.yaml"
assert_eq "missing policy file: startup exit status" 1 "$ST"
assert_match "missing policy file: startup message names the path" 'does-not-exist\.yaml' "$(cat "$T_TMP/nofile.out")"

# 5. Missing certificate file ("-t" checks the keys too, per attlsd --help).
policy_text "$T_TMP/missing-server.crt" "$T_PKI/server.key" "$port" >"$T_TMP/missing-cert.yaml"
expect_reject missing-cert 'missing-server\.crt' -t

# 6. Key that does not match the certificate (RC 428 on z/OS).
policy_text "$T_PKI/server.crt" "$T_PKI/client.key" "$port" >"$T_TMP/key-mismatch.yaml"
expect_reject key-mismatch '(client\.key|server\.crt).*(428|match)|(428|match).*(client\.key|server\.crt)' -t

# 7. Listen port already in use.
policy_text "$T_PKI/server.crt" "$T_PKI/server.key" "$busy_port" >"$T_TMP/port-busy.yaml"
expect_reject port-busy "(^|[^0-9])$busy_port([^0-9]|$)"
port_refused 127.0.0.1 "$port" || t_fail "something listens on $port after all the failed starts"

exit 0
