#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The RC table of src/common/rc.c holds every return code src/ can emit, each
# named by its rc.h constant; and the checker catches what it exists to catch:
# each planted violation (a literal where an RC goes, a code missing from the
# table) runs on a copy of src/ and must fail with its own line.
set -u
top=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$top/tests/rc/check-rc.py
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "rc: ok: $*"; }
bad() { echo "rc: FAIL: $*"; fails=$((fails + 1)); }

if out=$(python3 "$check" "$top"); then ok "$out"; else echo "$out"; bad "src/ emits an RC by literal or outside the table"; fi

# plant NAME EXPECT EDIT: copy src/, apply EDIT (shell code run in the copy;
# it must change the copy), and the check must fail with a line matching EXPECT.
plant() {
	local name=$1 expect=$2 edit=$3 out
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -r "$top/src" "$tmp/t/src"
	(cd "$tmp/t" && eval "$edit")
	if diff -r "$top/src" "$tmp/t/src" >/dev/null; then
		bad "planted $name: the edit did not apply (the code it edits changed?)"
	elif out=$(python3 "$check" "$tmp/t"); then
		bad "planted $name: the check passed"
	elif grep -Eq -- "$expect" <<<"$out"; then
		ok "planted $name is caught: $(grep -E -- "$expect" <<<"$out" | head -1)"
	else
		echo "$out"; bad "planted $name: failed without a line matching '$expect'"
	fi
}

# append FILE: C code from stdin added to the end of FILE in the copy.
append() { cat >>"$1"; }

plant "literal assigned to rc" \
	'src/cli/triage_replay.c:[0-9]+: RC 6001 as a literal for rc: use RC_INTERNAL' \
	'sed -i "0,/\trc = RC_INTERNAL;/s//\trc = 6001;/" src/cli/triage_replay.c'
plant "literal returned by an RC function" \
	'src/cli/triage_replay.c:[0-9]+: RC 401 as a literal returned by check_dates\(\): use RC_BAD_DATE' \
	'sed -i "0,/return RC_BAD_DATE;/s//return 401;/" src/cli/triage_replay.c'
plant "literal passed to ezd_error" \
	'src/runtime/runtime.c:[0-9]+: RC 406 as a literal passed where an RC goes: use RC_IO_ERROR' \
	'append src/runtime/runtime.c <<<$'"'"'static void\nplanted(const struct conn *c)\n{\n\tezd_error(c, 406, "Initial Handshake", "planted");\n}'"'"
plant "literal in a ?: arm passed to conn_finish" \
	'src/runtime/runtime.c:[0-9]+: RC 5102 as a literal passed where an RC goes: use RC_BACKEND_TIMEOUT' \
	'append src/runtime/runtime.c <<<$'"'"'static void\nplanted(struct conn *c, int e)\n{\n\tconn_finish(c, CONN_END_BACKEND_FAILED,\n\t\t    e == 110 ? 5102 : RC_BACKEND_FAILED, "planted");\n}'"'"
plant "case label of a switch on rc" \
	'src/runtime/runtime.c:[0-9]+: RC 5104 as a literal in a case of a switch on an rc: use RC_HANDSHAKE_TIMEOUT' \
	'append src/runtime/runtime.c <<<$'"'"'static int\nplanted(int rc)\n{\n\tswitch (rc) {\n\tcase 5104:\n\t\treturn 1;\n\t}\n\treturn 0;\n}'"'"
plant "comparison with a field named *_rc" \
	'src/runtime/runtime.c:[0-9]+: RC 412 as a literal for policy_rc: use RC_UNSUPPORTED' \
	'append src/runtime/runtime.c <<<$'"'"'static bool\nplanted(const struct tls_diag *d)\n{\n\treturn d->policy_rc == 412;\n}'"'"
plant "literal in a variable passed where an RC goes" \
	'src/runtime/runtime.c:[0-9]+: RC 402 as a literal for code, which planted\(\) uses as an RC: use RC_NO_CIPHERS' \
	'append src/runtime/runtime.c <<<$'"'"'static void\nplanted(struct conn *c)\n{\n\tint code = 402;\n\n\tconn_finish(c, CONN_END_HANDSHAKE_FAILED, code, "planted");\n}'"'"
plant "literal in a field passed where an RC goes" \
	'src/runtime/runtime.c:[0-9]+: RC 431 as a literal for planted_code, which holds an RC: use RC_CERT_REVOKED' \
	'append src/runtime/runtime.c <<<$'"'"'static void\nplanted(struct conn *c, struct x *x)\n{\n\tx->planted_code = 431;\n\tconn_finish(c, CONN_END_HANDSHAKE_FAILED, x->planted_code, "planted");\n}'"'"
plant "literal returned by a function whose result becomes an rc" \
	'src/runtime/runtime.c:[0-9]+: RC 411 as a literal returned by pick\(\): use RC_BAD_MAC' \
	'append src/runtime/runtime.c <<<$'"'"'static int\npick(void)\n{\n\treturn 411;\n}\n\nstatic void\nplanted(int *rc)\n{\n\t*rc = pick();\n}'"'"
plant "literal in a table column of RCs" \
	'src/runtime/runtime.c:[0-9]+: RC 417 as a literal in a table column of RCs: use RC_SELF_SIGNED' \
	'append src/runtime/runtime.c <<<$'"'"'static const struct {\n\tint v, rc;\n} planted[] = {\n\t{ 10, RC_BAD_DATE },\n\t{ 18, 417 },\n};'"'"
plant "a code that is not in the table" \
	'src/runtime/runtime.c:[0-9]+: RC 999 as a literal for rc is not in the table' \
	'append src/runtime/runtime.c <<<$'"'"'static void\nplanted(int *rc)\n{\n\t*rc = 999;\n}'"'"
plant "a constant missing from the table" \
	'RC_BAD_V3_CIPHER \(422\) is not in the table of src/common/rc.c' \
	'python3 -c "import re; p=\"src/common/rc.c\"; s=open(p).read(); open(p,\"w\").write(re.sub(r\"\t\{ RC_BAD_V3_CIPHER,.*?\},\n\", \"\", s, flags=re.S))"'
plant "a new constant used but not in the table" \
	'src/runtime/runtime.c:[0-9]+: RC_PLANTED \(4242\) is not in the table of src/common/rc.c' \
	'sed -i "s/^\tRC_INTERNAL = 6001,/&\n\tRC_PLANTED = 4242,/" src/common/rc.h &&
	 append src/runtime/runtime.c <<<$'"'"'static int\nplanted(void)\n{\n\treturn RC_PLANTED;\n}'"'"
plant "a literal in the table" \
	'src/common/rc.c:[0-9]+: table entry 411: use RC_BAD_MAC' \
	'sed -i "s/{ RC_BAD_MAC,/{ 411,/" src/common/rc.c'

((fails == 0)) || { echo "rc: $fails failure(s)"; exit 1; }
