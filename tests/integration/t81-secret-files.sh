#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Secret files: capture: all with key_log On. attlsd started under umask 000
# still makes capture_dir 0700 and its pcap and key log files 0600, warns
# loudly at start that key_log writes TLS secrets; a capture_dir that group or
# others may write, or that is a symlink, is refused at start. Files planted at
# the names the next connections will use are never followed or truncated: a
# symlink at the pcap's name (its target unchanged, no capture), a regular file
# there (its content unchanged), a symlink at the key log's name (its target
# unchanged); each is reported (ATL1292W).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r port <<<"$(free_port)"
cap=$T_TMP/cap
# policy_for DIR: the same rule with capture_dir DIR.
policy_for() {
	policy_new
	policy_settings "capture_dir: $1" "capture_max_files: 1000"
	policy_keyring ring1 server
	policy_group grp-on
	policy_env env-all Server ring1 'capture: all' 'key_log: On'
	policy_rule everything "$port" env-all "127.0.0.1:$BACKEND_PORT"
	policy_file
}

mkdir -m 775 "$T_TMP/groupw"
out=$("$ATTLSD" -t -f "$(policy_for "$T_TMP/groupw")" 2>&1) && t_fail "a group-writable capture_dir passed: $out"
assert_match "a group-writable capture_dir is refused" 'capture_dir .*groupw has mode 0775: group and others must not write' "$out"
mkdir -m 700 "$T_TMP/real"
ln -s "$T_TMP/real" "$T_TMP/link"
out=$("$ATTLSD" -t -f "$(policy_for "$T_TMP/link")" 2>&1) && t_fail "a symlink capture_dir passed: $out"
assert_match "a capture_dir that is a symlink is refused" 'capture_dir .*link: .*symlink' "$out"

old_umask=$(umask)
umask 000
attlsd_start "$(policy_for "$cap")"
umask "$old_umask"
assert_match "a loud warning at start while key_log is On" \
	'WARNING: key_log is On for 1 rule \(everything\): the TLS secrets' "$(cat "$ATTLSD_LOG")"
assert_eq "capture_dir made 0700 (umask 000)" 700 "$(stat -c %a "$cap")"

# connect: one good TLS 1.3 connection, written at its close.
connect() {
	tlsclient --ca "$T_PKI/ca.crt" --tls 1.3 --timeout 10 "127.0.0.1:$port" text:ping shut recv \
		>"$T_TMP/client.out" 2>&1 || { cat "$T_TMP/client.out"; t_fail "good client failed"; }
	wait_idle
}
connect
# The capture writer thread renames the pcap into place once its key log is written.
p_keys() {
	local k
	for k in "$cap"/*.keys; do [[ -f ${k%.keys}.pcap ]] && return 0; done
	return 1
}
wait_until 10 p_keys || t_fail "no key log written with its pcap"
keys=$(find "$cap" -name '*.keys' | head -n 1)
assert_eq "key log mode (umask 000)" 600 "$(stat -c %a "$keys")"
assert_eq "pcap mode (umask 000)" 600 "$(stat -c %a "${keys%.keys}.pcap")"
n=$((16#$(basename "$keys" | cut -d- -f1)))

# plant CONNID SUFFIX KIND(link|file) TARGET: at every name the capture of
# CONNID may get within the next 90 seconds (one process: the host may be busy).
plant() {
	"$T_PY" - "$cap" "$@" <<'EOF'
import os, sys, time
cap, connid, suffix, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
now = int(time.time())
for s in range(-1, 90):
    ts = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now + s))
    name = "%s/%08X-%s.%s" % (cap, connid, ts, suffix)
    if kind == "link":
        os.symlink(sys.argv[5], name)
    else:
        with open(name, "w") as f:
            f.write("existing %s\n" % ts)
EOF
}
echo precious >"$T_TMP/victim.pcap"
echo precious >"$T_TMP/victim.keys"
plant $((n + 1)) pcap link "$T_TMP/victim.pcap"
plant $((n + 2)) pcap file
plant $((n + 3)) keys link "$T_TMP/victim.keys"
warnings() { grep -c 'ATL1292W' "$ATTLSD_LOG"; }

w=$(warnings)
connect
wait_count "$ATTLSD_LOG" ATL1292W $((w + 1)) || t_fail "no ATL1292W for a symlink at the pcap's name"
assert_eq "a symlink at the pcap's name is not followed" precious "$(cat "$T_TMP/victim.pcap")"
t_ok "the symlink's target is untouched"
connect
wait_count "$ATTLSD_LOG" ATL1292W $((w + 2)) || t_fail "no ATL1292W for a file at the pcap's name"
bad=$(grep -L '^existing ' "$cap/$(printf '%08X' $((n + 2)))"-*.pcap || true)
[[ -z $bad ]] || t_fail "an existing file was overwritten: $bad"
t_ok "existing files at the pcap's name are not truncated"
connect
wait_count "$ATTLSD_LOG" ATL1292W $((w + 3)) || t_fail "no ATL1292W for a symlink at the key log's name"
assert_eq "a symlink at the key log's name is not followed" precious "$(cat "$T_TMP/victim.keys")"
t_ok "the key log's symlink target is untouched"
for f in "$cap/$(printf '%08X' "$n")"-* "$cap/$(printf '%08X' $((n + 3)))"-*.pcap; do
	[[ -L $f ]] || assert_eq "mode of $(basename "$f")" 600 "$(stat -c %a "$f")"
done
t_running "$ATTLSD_PID" || t_fail "attlsd died"
attlsd_stop
t_done
