#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The part boundaries (src/PARTS) hold on this tree, and the checker catches
# what it exists to catch: a forbidden include, a private header, a cycle in
# the table, a loose file. Each planted violation runs on a copy of src/.
set -u
top=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$top/tests/arch/check-parts.py
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "arch: ok: $*"; }
bad() { echo "arch: FAIL: $*"; fails=$((fails + 1)); }

if out=$(python3 "$check" "$top"); then ok "$out"; else echo "$out"; bad "src/ violates src/PARTS"; fi

# plant NAME EXPECT EDIT: copy src/, apply EDIT (shell code run in the copy),
# and the check must fail with a line matching EXPECT.
plant() {
	local name=$1 expect=$2 edit=$3 out
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -r "$top/src" "$tmp/t/src" && mkdir -p "$tmp/t/include"
	(cd "$tmp/t" && eval "$edit")
	if out=$(python3 "$check" "$tmp/t"); then
		bad "planted $name: the check passed"
	elif grep -Eq -- "$expect" <<<"$out"; then
		ok "planted $name is caught: $(grep -E -- "$expect" <<<"$out" | head -1)"
	else
		echo "$out"; bad "planted $name: failed without a line matching '$expect'"
	fi
}

plant "policy -> proxy" 'src/policy/match.c:[0-9]+: #include "proxy/conn.h": part policy may not use part proxy' \
	'sed -i "0,/#include \"config.h\"/s//#include \"config.h\"\n#include \"proxy\/conn.h\"/" src/policy/match.c'
plant "private header" 'src/cli/ctl_policy.c:[0-9]+: .*schema.h is private to part policy' \
	'sed -i "0,/#include \"config.h\"/s//#include \"config.h\"\n#include \"policy\/schema.h\"/" src/cli/ctl_policy.c'
plant "cycle" 'the parts form a cycle: (common -> policy -> common|policy -> common -> policy)' \
	'sed -i "s/^common *| -  /common | policy /" src/PARTS'
plant "unknown part" 'tls/tls_ctx.c:[0-9]+: .*nosuch is not a part' \
	'sed -i "0,/#include \"config.h\"/s//#include \"config.h\"\n#include \"nosuch\/x.h\"/" src/tls/tls_ctx.c'
plant "loose file" 'src/stray.c: a source file outside any part' 'touch src/stray.c'
plant "folder not in the table" 'src/extra/: a folder that is not a part' 'mkdir src/extra'

((fails == 0)) || { echo "arch: $fails failure(s)"; exit 1; }
