#!/bin/bash
# Regenerates the parts of doc/ that come from code tables (policy keys from the
# schema, return codes from the RC table, a real log line per RC from the RC
# matrix's doc/rc-lines.tsv), between the GENERATED markers, and
# the man pages attls-policy(5), attlsd(8) and attlsctl(8), which make install
# installs.
# With --check, changes nothing and fails if the docs are out of date.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
attlsd=${ATTLSD:-$top/build/attlsd}
attlsctl=${ATTLSCTL:-$top/build/attlsctl}
check=0
[ "${1:-}" = "--check" ] && check=1
status=0
# regen FILE WHAT: replaces the block between the markers with `attlsd --WHAT`.
regen() {
	local file=$1 what=$2 new
	new=$(python3 - "$file" "$what" "$("$attlsd" --"$what")" <<'PY'
import sys
path, what, body = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
begin = "<!-- BEGIN GENERATED: attlsd --%s -->" % what
end = "<!-- END GENERATED -->"
i = text.index(begin) + len(begin)
j = text.index(end, i)
sys.stdout.write(text[:i] + "\n" + body.strip("\n") + "\n" + text[j:])
PY
)
	if [ $check = 1 ]; then
		if ! diff -u "$file" <(printf '%s' "$new") >/dev/null; then
			echo "$file is out of date: run contrib/gen-docs.sh"; status=1
		else
			echo "ok: $file matches attlsd --$what"
		fi
	else
		printf '%s' "$new" > "$file"
	fi
}
regen "$top/doc/policy.md" list-keys
regen "$top/doc/return-codes.md" list-rc
# One real line pair per RC, as the RC matrix (tests/integration/t90, t91, run
# with ATTLS_RC_LINES=doc/rc-lines.tsv) saw them: the first of each RC, in the
# table's order, into the block between the rc-lines markers.
rc_lines() {
	local file=$top/doc/return-codes.md new
	new=$(python3 - "$file" "$top/doc/rc-lines.tsv" "$("$attlsd" --list-rc)" <<'PY'
import re, sys
path, tsv, table = sys.argv[1:4]
order = [int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)]
seen = {}
for row in open(tsv):
    rc, ezd, cause = row.rstrip("\n").split("\t")
    seen.setdefault(int(rc), (ezd, cause))
body = []
for rc in order:
    if rc in seen:
        body += ["**RC %d**" % rc, "", "```", seen[rc][0], seen[rc][1], "```", ""]
text = open(path).read()
begin = "<!-- BEGIN GENERATED: rc-lines -->"
end = "<!-- END GENERATED -->"
i = text.index(begin) + len(begin)
j = text.index(end, i)
sys.stdout.write(text[:i] + "\n" + "\n".join(body).strip("\n") + "\n" + text[j:])
PY
)
	if [ $check = 1 ]; then
		if ! diff -u "$file" <(printf '%s' "$new") >/dev/null; then
			echo "$file is out of date: run contrib/gen-docs.sh"; status=1
		else
			echo "ok: $file matches doc/rc-lines.tsv"
		fi
	else
		printf '%s' "$new" > "$file"
	fi
}
rc_lines
# The man pages are generated whole: man_page FILE COMMAND...
man_page() {
	local file=$top/doc/$1
	shift
	if [ $check = 1 ]; then
		if "$@" | diff -u "$file" - >/dev/null; then
			echo "ok: $file matches ${*##*/}"
		else
			echo "$file is out of date: run contrib/gen-docs.sh"; status=1
		fi
	else
		"$@" >"$file"
	fi
}
man_page attls-policy.5 "$attlsd" --man
man_page attlsd.8 "$attlsd" --man8
man_page attlsctl.8 "$attlsctl" help --man
exit $status
