#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# capture: failures | all. A failed handshake (402 from openssl s_client) is
# written as a pcap named by CONNID in capture_dir and the cause line names it;
# python reads it back: linktype RAW, synthetic IPv4/TCP with the connection's
# real 4-tuple, and the client's ClientHello as the first TLS bytes. Oldest
# files go beyond capture_max_files. capture: all with key_log writes a good
# connection at its close, with an NSS key log next to it (warned at load).
# The capture writer thread writes each file soon after the cause line names
# it, so the test waits for the files.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p1 p2 <<<"$(free_ports 2)"
cap=$T_TMP/cap
policy_new
policy_settings "capture_dir: $cap" 'capture_max_files: 2'
policy_keyring ring1 server
policy_group grp-on
policy_env env-fail Server ring1 'capture: failures'
policy_env env-all Server ring1 'capture: all' 'key_log: On'
policy_rule fails "$p1" env-fail "127.0.0.1:$BACKEND_PORT"
policy_rule everything "$p2" env-all "127.0.0.1:$BACKEND_PORT"
policy=$(policy_file)
out=$("$ATTLSD" -t -f "$policy" 2>&1) || { echo "$out"; t_fail "policy check failed"; }
assert_match "key_log is warned at load" 'rule "everything" has key_log On' "$out"
attlsd_start "$policy"

# A good connection on the failures-only rule leaves no file.
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p1" text:ping shut recv >"$T_TMP/ok1" 2>&1 ||
	{ cat "$T_TMP/ok1"; t_fail "good client failed"; }
wait_idle # a failure would have been named in its cause line by now
assert_eq "files after a good connection with capture: failures" 0 "$(find "$cap" -name '*.pcap' 2>/dev/null | wc -l)"

sclient "$p1" -servername cap.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p1"
line=$(grep 'EZD1286I.*RC:  402' "$ATTLSD_LOG" | tail -n 1)
cause=$(grep 'ATL1288I.*RC:  402' "$ATTLSD_LOG" | tail -n 1)
connid=$(sed -n 's/.* CONNID: \([0-9A-F]*\) .*/\1/p' <<<"$line")
cport=$(sed -n 's/.* REMOTE: 127\.0\.0\.1\.\.\([0-9]*\) .*/\1/p' <<<"$line")
file=$(sed -n 's/.*handshake captured in \([^ ]*\.pcap\).*/\1/p' <<<"$cause")
assert_match "the cause line names the capture file" "handshake captured in $cap/$connid-[0-9T]+\.pcap" "$cause"
wait_until 10 test -f "$file" || t_fail "capture file $file does not exist"

"$T_PY" - "$file" "$cport" "$p1" <<'EOF' || t_fail "the pcap does not hold the ClientHello"
import struct, sys
data = open(sys.argv[1], "rb").read()
cport, sport = int(sys.argv[2]), int(sys.argv[3])
magic, vmaj, vmin, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
assert magic == 0xA1B2C3D4 and link == 101, (hex(magic), link)  # LINKTYPE_RAW
off, pkts = 24, []
while off < len(data):
    _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
    pkts.append(data[off + 16:off + 16 + caplen])
    off += 16 + caplen
streams = {}
for p in pkts:
    assert p[0] >> 4 == 4, "not IPv4"
    ihl = (p[0] & 15) * 4
    src, dst = p[12:16], p[16:20]
    assert src == dst == bytes([127, 0, 0, 1])
    sp, dp = struct.unpack(">HH", p[ihl:ihl + 4])
    thl = (p[ihl + 12] >> 4) * 4
    streams.setdefault((sp, dp), b"")
    streams[(sp, dp)] += p[ihl + thl:]
assert set(streams) == {(cport, sport), (sport, cport)}, streams.keys()
up = streams[(cport, sport)]
assert up[0] == 0x16 and up[5] == 1, "first client bytes are not a ClientHello"
assert b"cap.test" in up, "SNI not in the ClientHello"
down = streams[(sport, cport)]
assert down[:1] == b"\x15", "server's answer is not an alert"
print(f"t43: ok: {len(pkts)} packets, ClientHello of {len(up)} bytes from port {cport}, alert back")
EOF

# Rotation: three more failures, only capture_max_files (2) files remain. Files
# of the same second are ordered by name, which starts with the CONNID.
for i in 1 2 3; do
	sclient "$p1" -tls1_2 -cipher AES128-SHA
	expect_rc 402 "$p1"
done
# The newest is there and the oldest gone (the writer removes right after it writes).
last=$(sed -n 's/.*handshake captured in \([^ ]*\.pcap\).*/\1/p' <<<"$RC_CAUSE")
p_rotated() { [[ -f $last ]] && (($(find "$cap" -name '*.pcap' | wc -l) == 2)); }
wait_until 10 p_rotated || t_fail "the newest capture $last is not written, or old ones stay"
assert_eq "pcap files after 4 failures (capture_max_files: 2)" 2 "$(find "$cap" -name '*.pcap' | wc -l)"
[[ -f $file ]] && t_fail "the oldest capture $file was not removed"
t_ok "the oldest capture was removed"

# capture: all + key_log: a good TLS 1.3 connection is written at its close.
log_mark
tlsclient --ca "$T_PKI/ca.crt" --tls 1.3 --timeout 10 "127.0.0.1:$p2" text:ping shut recv >"$T_TMP/ok2" 2>&1 ||
	{ cat "$T_TMP/ok2"; t_fail "good client to the capture-all rule failed"; }
wait_idle
# The pcap appears (renamed into place) once its key log is complete.
p_keys() {
	local k
	for k in "$cap"/*.keys; do [[ -f ${k%.keys}.pcap ]] && return 0; done
	return 1
}
wait_until 10 p_keys || t_fail "no key log written with its pcap"
keys=$(find "$cap" -name '*.keys' | head -n 1)
assert_match "the key log is in NSS format" '^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$' "$(cat "$keys")"
assert_eq "key log mode" 600 "$(stat -c %a "$keys")"
[[ -f ${keys%.keys}.pcap ]] || t_fail "no pcap next to the key log"
expect_no_error
attlsd_stop
t_done
