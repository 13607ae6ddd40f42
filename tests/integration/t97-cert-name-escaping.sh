#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# The names of a peer's certificate in a cause line come from the peer: a
# server certificate whose SANs (DNS, email, URI) and CN carry a newline, CR,
# ANSI escapes, a NUL and non-ASCII bytes, met in the Client role as a name
# mismatch (5107), gives one well-formed ATL1288I line that shows every name
# whole, each byte outside printable ASCII as \xNN, and nothing raw in the log.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/matrix.sh"
need_tool openssl

# The SAN extension written byte by byte (DER): openssl's config syntax
# cannot carry a newline or a NUL in a name.
san=$("$T_PY" - <<'EOF'
def tlv(tag, b):
    n = len(b)
    ln = bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255])
    return bytes([tag]) + ln + b
names = [
    (0x82, b"evil\nATL9999I forged line"),
    (0x82, b"\x1b[31mred\x1b[0m.example"),
    (0x82, "b\u00fccher.example".encode()),
    (0x82, b"good.example\x00.evil.example"),
    (0x81, b"ops\r\n@example.com"),
    (0x86, "https://x.example/\u202e".encode()),
]
print(tlv(0x30, b"".join(tlv(t, v) for t, v in names)).hex().upper())
EOF
)
m_leaf evil-server ca '-algorithm EC -pkeyopt ec_paramgen_curve:P-256' $'attls-\e[1mcn' \
	"keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DER:$san"
openssl x509 -in "$M/evil-server.crt" -noout -ext subjectAltName >/dev/null 2>&1 ||
	t_fail "the test's certificate has no readable SAN extension"

start_backend sink
read -r p_evil s_evil <<<"$(free_ports 2)"
matrix_s_server "$s_evil" "$M/evil-server.crt" "$M/evil-server.key"
policy_new
policy_keyring ring client 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on
policy_env cli Client ring
policy_rule evil "$p_evil" cli "127.0.0.1:$s_evil"
attlsd_start "$(policy_file)"

# The rule connects to 127.0.0.1, which the certificate does not name: 5107,
# whose cause lists the certificate's names.
matrix_plain "$p_evil"
expect_rc 5107 "$p_evil"
has() { # WHAT TEXT: the cause line holds TEXT as it is (no pattern)
	[[ $RC_CAUSE == *"$2"* ]] || { echo "  expected: $2"; echo "  seen: $RC_CAUSE"; t_fail "$1"; }
	t_ok "$1"
}
has "a newline in a DNS name is \\x0a" 'DNS:evil\x0aATL9999I forged line'
has "ANSI escapes are \\x1b" 'DNS:\x1b[31mred\x1b[0m.example'
has "UTF-8 is its bytes" 'DNS:b\xc3\xbccher.example'
has "a NUL does not cut the name: all of it is shown" 'DNS:good.example\x00.evil.example'
has "an email SAN, CR LF escaped" 'email:ops\x0d\x0a@example.com'
has "a URI SAN with a bidi override" 'URI:https://x.example/\xe2\x80\xae'
has "the CN" 'CN attls-\x1b[1mcn (not used: SANs present)'

# The log itself: one line for the cause, no byte outside printable ASCII
# (and tab), no forged line.
if LC_ALL=C grep -qP '[^\t\x20-\x7e]' "$ATTLSD_LOG"; then
	LC_ALL=C grep -nP '[^\t\x20-\x7e]' "$ATTLSD_LOG" | cat -v | head -n 5
	t_fail "attlsd's log holds a byte outside printable ASCII"
fi
assert_eq "the forged text is inside the one cause line" 1 "$(grep -c 'ATL9999I forged line' "$ATTLSD_LOG")"
assert_match "and that line is the ATL1288I line" "ATL1288I TTLS Cause .*ATL9999I forged line" \
	"$(grep 'ATL9999I forged line' "$ATTLSD_LOG")"
attlsd_stop
t_done
