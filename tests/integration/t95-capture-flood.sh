#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317 # (predicates run by wait_until)
# Capture under a flood (issue 13): 200 failing handshakes (Python ssl offering
# only a suite our RSA key cannot serve, RC 402) on a rule with capture:
# failures write exactly settings.capture_max_per_minute pcaps, from the
# capture writer thread; the first capture skipped is logged with its CONNID,
# the rest are counted in one ATL1292I line; the cause line of a skipped one
# says why; good clients are served throughout; a written pcap is valid. Then
# capture_dir on a full tmpfs (root only): one ATL1292W warning for the lot, no
# partial file, good clients still served.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p1 p2 <<<"$(free_ports 2)"
cap=$T_TMP/cap
policy_new
policy_settings "capture_dir: $cap" 'capture_max_files: 1000' 'capture_max_per_minute: 20'
policy_keyring ring1 server
policy_group grp-on
policy_env env-fail Server ring1 'capture: failures'
policy_rule flood "$p1" env-fail "127.0.0.1:$BACKEND_PORT"
policy_rule other "$p2" env-fail "127.0.0.1:$BACKEND_PORT"
policy=$(policy_file)
attlsd_start "$policy"

# flood PORT N GOODPORT: N failing handshakes from 8 threads while one thread
# loops good connections (verified, "ping" echoed) until the flood is over.
flood() {
	"$T_PY" - "$1" "$2" "$3" "$T_PKI/ca.crt" <<'EOF'
import socket, ssl, sys, threading, time
port, n, good_port, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
bad = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
bad.check_hostname, bad.verify_mode = False, ssl.CERT_NONE
bad.maximum_version = ssl.TLSVersion.TLSv1_2
bad.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")  # our key is RSA: RC 402
good = ssl.create_default_context(cafile=ca)
lock, left = threading.Lock(), [n]
res = {"failed": 0, "completed": 0, "unreachable": 0, "good_ok": 0, "good_err": 0}
deadline = time.monotonic() + 60  # a dead attlsd must not hang the test
done = threading.Event()

def one_bad():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            try:
                bad.wrap_socket(s).close()
                return "completed"
            except (ssl.SSLError, OSError):
                return "failed"
    except OSError:
        return "unreachable"  # attlsd is gone: counted, and the test fails

def flooder():
    while True:
        with lock:
            if not left[0]:
                return
            left[0] -= 1
        r = one_bad()
        with lock:
            res[r] += 1

def gooder():
    while (not done.is_set() or not res["good_ok"]) and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", good_port), timeout=10) as s:
                with good.wrap_socket(s, server_hostname="localhost") as t:
                    t.sendall(b"ping")
                    ok = t.recv(4) == b"ping"
                    t.unwrap()  # close_notify: a clean end, no RC line
        except (ssl.SSLError, OSError):
            ok = False
        res["good_ok" if ok else "good_err"] += 1

g = threading.Thread(target=gooder)
g.start()
ts = [threading.Thread(target=flooder) for _ in range(8)]
for t in ts:
    t.start()
for t in ts:
    t.join()
done.set()
g.join()
print(" ".join(f"{k}={v}" for k, v in res.items()))
EOF
}

pcaps() { find "$1" -name '*.pcap' 2>/dev/null | wc -l; }
p_pcaps() { (($(pcaps "$1") == $2)); }

# The good clients use the rule of the flood: its worker is the one busy.
out=$(flood "$p1" 200 "$p1") || t_fail "flood client failed: $out"
t_log "flood: $out"
assert_match "200 failing handshakes, all refused" '^failed=200 completed=0 ' "$out"
assert_match "good clients served during the flood, none failed" 'good_ok=[1-9][0-9]* good_err=0$' "$out"
wait_idle 30
wait_until 10 p_pcaps "$cap" 20 || t_fail "expected 20 pcaps, found $(pcaps "$cap")"
t_ok "capture_max_per_minute: 20 pcaps for 200 failures"
assert_eq "the first skipped capture is logged once, with its CONNID" 1 \
	"$(grep -Ec 'ATL1292I TTLS Capture CONNID: [0-9A-F]{8} not captured: settings.capture_max_per_minute \(20\) reached' "$ATTLSD_LOG")"
assert_match "the first cause lines name their captures" "handshake captured in $cap/[0-9A-F]{8}-[0-9T]+\.pcap" \
	"$(grep 'ATL1288I.*RC:  402' "$ATTLSD_LOG" | head -n 1)"

# The quota is attlsd's, not the rule's: a failure on the other rule (its own
# aggregation key, so its lines are logged) is not captured either, and says so.
log_mark
sclient "$p2" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p2"
assert_match "a skipped capture's cause line says why" \
	'handshake not captured: settings.capture_max_per_minute \(20\) reached' "$RC_CAUSE"

# Written by a thread of its own, never half: no .part is left, mode 0600.
grep -qx capwriter /proc/"$ATTLSD_PID"/task/*/comm || t_fail "no capture writer thread"
t_ok "a capwriter thread writes the captures"
assert_eq "partial files left" 0 "$(find "$cap" -name '*.part' | wc -l)"
file=$(find "$cap" -name '*.pcap' | head -n 1)
assert_eq "capture file mode" 600 "$(stat -c %a "$file")"
"$T_PY" - "$file" <<'EOF' || t_fail "$file is not a valid pcap of a ClientHello"
import struct, sys
data = open(sys.argv[1], "rb").read()
magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
assert magic == 0xA1B2C3D4 and link == 101, (hex(magic), link)  # LINKTYPE_RAW
off, payload = 24, []
while off < len(data):
    _, _, caplen, length = struct.unpack("<IIII", data[off:off + 16])
    assert caplen == length and off + 16 + caplen <= len(data), "cut packet"
    p = data[off + 16:off + 16 + caplen]
    ihl, thl = (p[0] & 15) * 4, (p[(p[0] & 15) * 4 + 12] >> 4) * 4
    if len(p) > ihl + thl:
        payload.append(p[ihl + thl:])
    off += 16 + caplen
assert payload and payload[0][0] == 0x16 and payload[0][5] == 1, "no ClientHello first"
print(f"t95: ok: {sys.argv[1]}: {len(payload)} TLS segments, ClientHello first")
EOF
if command -v tcpdump >/dev/null; then
	n=$(tcpdump -nr "$file" 2>/dev/null | wc -l)
	((n >= 4)) || t_fail "tcpdump -r $file reads $n packets"
	t_ok "tcpdump -r reads $n packets"
fi

# Stopping drains the queue and logs the counts: 181 skipped (180 of the
# flood, 1 of the other rule): the first of each 60 s logged with its CONNID
# (one, unless this test took more than a minute), the others counted.
attlsd_stop
assert_eq "pcaps after the stop" 20 "$(pcaps "$cap")"
counted=$(sed -En 's/.*ATL1292I TTLS Capture: ([0-9]+) more captures not written in [0-9]+ s: settings\.capture_max_per_minute was reached.*/\1/p' "$ATTLSD_LOG" |
	awk '{ n += $1 } END { print n + 0 }')
first=$(grep -Ec 'ATL1292I TTLS Capture CONNID: [0-9A-F]{8} not captured: settings\.capture_max_per_minute' "$ATTLSD_LOG")
((counted > 0)) || t_fail "no ATL1292I count line for the skipped captures"
assert_eq "skipped captures, logged and counted" 181 "$((first + counted))"

# ---- a full disk under capture_dir ----
[[ $(id -u) == 0 ]] || { t_ok "(a full tmpfs needs root: skipped)"; t_done; }
full=$T_TMP/full
mkdir -p "$full"
mount -t tmpfs -o size=64k tmpfs "$full" || { t_ok "(cannot mount a tmpfs here: skipped)"; t_done; }
# (t_cleanup reads the test's exit status from $?: umount must not change it)
trap 't95_rc=$?; umount "$full" 2>/dev/null; (exit "$t95_rc"); t_cleanup' EXIT
head -c 1M /dev/zero >"$full/fill" 2>/dev/null
[[ $(stat -c %s "$full/fill") -lt 1048576 ]] || t_fail "the tmpfs did not fill"
policy_new
policy_settings "capture_dir: $full/cap" 'capture_max_per_minute: 0'
policy_keyring ring1 server
policy_group grp-on
policy_env env-fail Server ring1 'capture: failures'
policy_rule flood "$p1" env-fail "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
out=$(flood "$p1" 30 "$p1") || t_fail "flood client failed: $out"
t_log "disk full: $out"
assert_match "30 failing handshakes on a full disk" '^failed=30 completed=0 ' "$out"
assert_match "good clients served with the disk full" 'good_ok=[1-9][0-9]* good_err=0$' "$out"
wait_idle 30
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p1" text:ping shut recv >"$T_TMP/ok" 2>&1 ||
	{ cat "$T_TMP/ok"; t_fail "good client after the disk filled failed"; }
t_ok "a good client is served after the failures"
attlsd_stop
assert_eq "ATL1292W warnings naming a connection" 1 \
	"$(grep -Ec 'ATL1292W TTLS Capture CONNID: [0-9A-F]{8} cannot write .*No space left on device; nothing of it was kept' "$ATTLSD_LOG")"
assert_match "the other failures are counted" \
	'ATL1292W TTLS Capture: 29 more captures not written in [0-9]+ s: they could not be written' \
	"$(cat "$ATTLSD_LOG")"
assert_eq "files left in the full capture_dir" "" "$(ls -A "$full/cap")"
umount "$full"
t_done
