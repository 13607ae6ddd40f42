#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# doc/architecture.md's generated sections, doc/architecture.dot and .svg match
# src/PARTS and the files of src/ (contrib/gen-arch.sh --check), and the check
# catches what it exists to catch: a new file, a file without a first comment,
# a changed arrow, a stale picture. Each planted change runs on a copy.
set -u
top=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
gen=$top/contrib/gen-arch.sh
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "arch-doc: ok: $*"; }
bad() { echo "arch-doc: FAIL: $*"; fails=$((fails + 1)); }

if out=$(bash "$gen" --check "$top"); then ok "$out"; else echo "$out"; bad "the docs differ from the tree"; fi

# plant NAME EXPECT EDIT: copy what the generator reads, apply EDIT (shell code
# run in the copy), and the check must fail with a line matching EXPECT.
plant() {
	local name=$1 expect=$2 edit=$3 out
	rm -rf "$tmp/t" && mkdir -p "$tmp/t/doc" && cp -r "$top/src" "$top/include" "$tmp/t/" &&
		cp "$top"/doc/architecture.* "$tmp/t/doc/"
	(cd "$tmp/t" && eval "$edit")
	if out=$(bash "$gen" --check "$tmp/t"); then
		bad "planted $name: the check passed"
	elif grep -Eq -- "$expect" <<<"$out"; then
		ok "planted $name is caught: $(grep -E -- "$expect" <<<"$out" | head -1)"
	else
		echo "$out"; bad "planted $name: failed without a line matching '$expect'"
	fi
}

plant "new file" 'architecture.md differs: \+- `src/proxy/stray.c`: Planted\.' \
	'printf "/* SPDX-License-Identifier: Apache-2.0 */\n/* Planted. Not real. */\n" >src/proxy/stray.c'
plant "file without a comment" 'src/host/bare.h: no first comment' 'printf "#define X 1\n" >src/host/bare.h'
plant "changed first sentence" 'architecture.md differs: -- `src/policy/match.c`' \
	'sed -i "2s|.*|/* Something else. */|" src/policy/match.c'
plant "new arrow" 'architecture.dot differs: \+	"cli" -> "control";' \
	'sed -i "s/^cli *| query /cli | control query /" src/PARTS'
plant "stale picture" 'architecture.svg does not draw cli->query' \
	'sed -i "s|<title>cli&#45;&gt;query</title>|<title>gone</title>|" doc/architecture.svg'

((fails == 0)) || { echo "arch-doc: $fails failure(s)"; exit 1; }
