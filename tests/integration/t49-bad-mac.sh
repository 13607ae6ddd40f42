#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# RC 411 (a record failed its integrity check) with a real client and a real
# alteration in transit: a relay between openssl s_client and attlsd forwards
# the handshake untouched and flips one bit inside the client's first encrypted
# record (TLS 1.3: its Finished; TLS 1.2: the first application data), so
# attlsd's record decryption fails. Asserts the EZD1286I line, the cause line,
# that nothing reached the backend, and that attlsd serves the next client.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

start_backend echo
read -r p_srv p_mitm <<<"$(free_ports 2)"
policy_new
policy_keyring ring server
policy_group grp-on
policy_env srv Server ring 'tls_v1_2: On' 'tls_v1_3: On'
policy_rule srv "$p_srv" srv "127.0.0.1:$BACKEND_PORT" 'priority: 1'
attlsd_start "$(policy_file)"

# relay: one connection at a time; flips a bit in the first client record of
# type 23 (application_data, i.e. encrypted) and reports it in $T_TMP/relay.log.
cat >"$T_TMP/relay.py" <<'EOF'
import select, socket, sys
lport, dport, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(8)


class Tamper:
    """Forwards the client's bytes record by record; flips one bit in the
    middle of the first record of type 23 (encrypted)."""

    def __init__(self, s):
        self.s, self.buf, self.flipped = s, b"", False

    def feed(self, d):
        if self.flipped:
            self.s.sendall(d)
            return
        self.buf += d
        while len(self.buf) >= 5 and not self.flipped:
            n = 5 + int.from_bytes(self.buf[3:5], "big")
            if len(self.buf) < n:
                return
            rec, self.buf = bytearray(self.buf[:n]), self.buf[n:]
            if rec[0] == 23:
                rec[5 + (n - 5) // 2] ^= 0x01
                self.flipped = True
                with open(log, "a") as f:
                    f.write("flipped a bit in a %d-byte record\n" % n)
            self.s.sendall(bytes(rec))
        if self.flipped and self.buf:
            self.s.sendall(self.buf)
            self.buf = b""


while True:
    c, _ = ls.accept()
    # Connect upstream only once the client speaks: a probe that connects
    # and closes (wait_tcp) must not reach attlsd.
    first = c.recv(65536) if select.select([c], [], [], 20)[0] else b""
    if not first:
        c.close()
        continue
    s = socket.create_connection(("127.0.0.1", dport))
    t = Tamper(s)
    t.feed(first)
    done, back = False, b""
    while not done:
        r, _, _ = select.select([c, s], [], [], 20)
        if not r:
            break
        for x in r:
            try:
                d = x.recv(65536)
            except OSError:
                d = b""
            if not d:
                done = True
                break
            if x is s:
                c.sendall(d)
                if t.flipped:  # what attlsd sent back: record types
                    back += d
                    while len(back) >= 5 and len(back) >= 5 + int.from_bytes(back[3:5], "big"):
                        n = 5 + int.from_bytes(back[3:5], "big")
                        with open(log, "a") as f:
                            f.write("attlsd sent a record of type %d\n" % back[0])
                        back = back[n:]
            else:
                t.feed(d)
    c.close()
    s.close()
EOF
"$T_PY" "$T_TMP/relay.py" "$p_mitm" "$p_srv" "$T_TMP/relay.log" &
t_track $!
wait_tcp 127.0.0.1 "$p_mitm" 10 || t_fail "the tampering relay did not start"

for v in tls1_3 tls1_2; do
	log_mark
	sclient -o "$T_TMP/out.$v" -s 'secret payload\n' "$p_mitm" -"$v" -CAfile "$T_PKI/ca.crt" \
		-servername localhost -quiet
	expect_rc 411 "$p_srv"
	grep -q "flipped" "$T_TMP/relay.log" 2>/dev/null || t_fail "$v: the relay altered nothing"
	cause=$(grep "ATL1288I.* RC:  411 " "$ATTLSD_LOG" | tail -n 1)
	assert_match "$v: the cause line says the record failed its integrity check" \
		'RC:  411 .*integrity' "$cause"
	# In the handshake (TLS 1.3 Finished) the cause line names the alert we
	# sent; either way the relay must see attlsd send an alert record back
	# (TLS 1.2: type 21; TLS 1.3 hides it in an encrypted record of type 23).
	alert_type=21
	if [[ $v == tls1_3 ]]; then
		assert_match "$v: the cause line says we sent the alert" 'we sent alert bad record mac' "$cause"
		alert_type=23
	fi
	wait_report "$T_TMP/relay.log" "attlsd sent a record of type $alert_type" 5 >/dev/null ||
		t_fail_soft "$v: attlsd sent no alert record after the altered one: $(cat "$T_TMP/relay.log")"
	rm -f "$T_TMP/relay.log"
done
# attlsd still serves an honest client directly.
sclient -o "$T_TMP/direct" -s 'ping\n' -u '^ping$' -x "$p_srv" -CAfile "$T_PKI/ca.crt" -servername localhost -quiet
assert_match "a direct client is served after the altered ones" '^ping$' "$(cat "$T_TMP/direct")"
wait_report "$BACKEND_REPORT" 'received=5 ' >/dev/null || t_fail "the direct client's 5 bytes did not reach the backend"
# The TLS 1.2 connection reached the backend (its handshake was intact) but
# its altered record must not have: every other backend connection got 0 bytes.
n=$(grep -c '^done .* received=0 ' "$BACKEND_REPORT" || true)
m=$(grep -c '^done ' "$BACKEND_REPORT" || true)
assert_eq "backend connections that received nothing besides the direct one" "$((m - 1))" "$n"
((m >= 2)) || t_fail "the TLS 1.2 connection never reached the backend ($m connections): the alteration hit the handshake"
t_done
