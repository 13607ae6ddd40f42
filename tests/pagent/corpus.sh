#!/bin/bash
# The pagent corpus: Policy Agent files written from IBM's documented grammar
# (tests/pagent/corpus/*.pagent and *.conf, their includes in NAME.d/). Each
# must import with 0 errors, load with `attlsd -t` given only key-ring folders
# (and the backends a "# import-options:" line gives), print the same
# effective policy (-T) when loaded directly, and survive the export round
# trip: import(export(YAML)) prints the same effective policy as YAML.
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
attlsd=${ATTLSD:-$src/attlsd}
attlsctl=${ATTLSCTL:-$src/attlsctl}
corpus=$src/tests/pagent/corpus
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/contrib/mkpki.sh" "$tmp/pki" >/dev/null || exit 1
# attlsd -t checks that its user (attlsd, after the privilege drop) can re-read
# the keys: as root, let that user's group traverse the folders (mkpki.sh gives
# it the keys, and cp -p below keeps that).
if [ "$(id -u)" = 0 ] && getent group attlsd >/dev/null; then
	chgrp attlsd "$tmp" && chmod 0750 "$tmp"
fi

bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -40; fail=$((fail + 1)); }

# Each ${ATTLS_KEYRING_X} becomes a folder with the test PKI's files: the
# ring's server.crt, server.key, ca.crt, and LABEL.crt/LABEL.key per label.
rings() { # yaml
	local v f dir
	for v in $(grep -o 'ATTLS_KEYRING_[A-Za-z0-9_]*' "$1" | sort -u); do
		dir=$tmp/rings/$v
		mkdir -p "$dir"
		chgrp -R --reference="$tmp" "$tmp/rings" && chmod 0750 "$tmp/rings" "$dir"
		cp -p "$tmp/pki/server.crt" "$tmp/pki/server.key" "$tmp/pki/ca.crt" "$dir/"
		export "$v=$dir"
	done
	grep -o '{ATTLS_KEYRING_[A-Za-z0-9_]*}/[^"]*\.\(crt\|key\)' "$1" | sort -u |
		while IFS= read -r f; do
			v=${f%%\}*}; v=${v#\{}
			dir=$tmp/rings/$v
			case $f in
			*.crt) cp -p "$tmp/pki/server.crt" "$dir/${f#*\}/}" ;;
			*.key) cp -p "$tmp/pki/server.key" "$dir/${f#*\}/}" ;;
			esac
		done
}

effective() { # file -> attlsd -T without its file name
	"$attlsd" -T -f "$1" 2>"$tmp/T.err" | sed '1s/^# effective policy from .*:/# effective policy from FILE:/'
}

check() { # top file, in the corpus folder
	local f=$1 name opts out
	name=$(basename "$f")
	opts=$(sed -n 's/^# import-options: //p' "$f")
	# shellcheck disable=SC2086 # the options are words
	"$attlsctl" import pagent $opts "$name" >"$tmp/$name.yaml" 2>"$tmp/err" ||
		{ bad "$name: import failed" "$(cat "$tmp/err")"; return; }
	grep -q ': error:' "$tmp/err" && { bad "$name: import errors" "$(cat "$tmp/err")"; return; }
	rings "$tmp/$name.yaml"
	out=$("$attlsd" -t -f "$tmp/$name.yaml" 2>&1) || { bad "$name: attlsd -t of the import" "$out"; return; }
	if [ -z "$opts" ]; then
		out=$("$attlsd" -t -f "$name" 2>&1) || { bad "$name: attlsd -t of the pagent file" "$out"; return; }
		[ "$(effective "$tmp/$name.yaml")" = "$(effective "$name")" ] ||
			{ bad "$name: -T of the import and of the pagent file differ" \
				"$(diff <(effective "$tmp/$name.yaml") <(effective "$name"))"; return; }
	fi
	[ -n "${NO_EXPORT:-}" ] && { echo "ok   corpus/$name (no export)"; pass=$((pass + 1)); return; }
	"$attlsctl" export pagent "$tmp/$name.yaml" >"$tmp/$name.back.pagent" 2>"$tmp/err" ||
		{ bad "$name: export failed" "$(cat "$tmp/err")"; return; }
	"$attlsctl" import pagent "$tmp/$name.back.pagent" >"$tmp/$name.back.yaml" 2>"$tmp/err" ||
		{ bad "$name: import of the export failed" "$(cat "$tmp/err")"; return; }
	[ "$(effective "$tmp/$name.back.yaml")" = "$(effective "$tmp/$name.yaml")" ] ||
		{ bad "$name: import(export()) differs" \
			"$(diff <(effective "$tmp/$name.yaml") <(effective "$tmp/$name.back.yaml"))"; return; }
	echo "ok   corpus/$name"
	pass=$((pass + 1))
}

cd "$corpus" || exit 1
for f in *.pagent *.conf; do
	[ -e "$f" ] && check "$f"
done
echo "pagent corpus: $pass passed, $fail failed"
[ $pass -ge 20 ] || { echo "the corpus has fewer than 20 passing files"; exit 1; }
[ $fail -eq 0 ]
