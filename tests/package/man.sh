#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The installed man pages render without warnings (man -l), and list every
# subcommand and option that --help lists: every option of `attlsd --help` is
# in attlsd(8); every subcommand of `attlsctl --help` is in attlsctl(8), with
# every option its `attlsctl SUBCOMMAND --help` lists in its own section; and
# `attlsctl help SUBCOMMAND` says the same as `attlsctl SUBCOMMAND --help`.
# (tests/docs.sh checks that doc/*.[58] are what the binaries generate now.)
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ATTLSD=${ATTLSD:-$src/build/attlsd}
ATTLSCTL=${ATTLSCTL:-$src/build/attlsctl}
command -v man >/dev/null || { echo "man: SKIP: man-db is not installed"; exit 77; }
fails=0
fail() { echo "man: FAIL: $*"; fails=$((fails + 1)); }

render() { # PAGE: plain text, one very long line per paragraph, no hyphenation
	MANWIDTH=1000 man -E ascii --nh --nj --warnings -l "$1" 2>"$tmp/warn" | col -b
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in attls-policy.5 attlsd.8 attlsctl.8; do
	render "$src/doc/$page" >"$tmp/$page.txt"
	[[ -s $tmp/warn ]] && { cat "$tmp/warn"; fail "$page: man -l warns"; }
	grep -q "^NAME" "$tmp/$page.txt" || fail "$page does not render (no NAME section)"
	echo "man: ok: $page renders ($(wc -l <"$tmp/$page.txt") lines, no warnings)"
done

"$ATTLSD" --help >"$tmp/attlsd.help" || fail "attlsd --help failed"
"$ATTLSCTL" --help >"$tmp/attlsctl.help" || fail "attlsctl --help failed"
for sub in $(sed -n 's/^\(Usage: \|       \)attlsctl \([a-z]*\).*/\2/p' "$tmp/attlsctl.help"); do
	"$ATTLSCTL" "$sub" --help >"$tmp/sub.$sub" || fail "attlsctl $sub --help: exit status $?"
	"$ATTLSCTL" help "$sub" | cmp -s - "$tmp/sub.$sub" || fail "attlsctl help $sub differs from attlsctl $sub --help"
	echo "$sub" >>"$tmp/subs"
done
[[ $(wc -l <"$tmp/subs") -ge 10 ]] || fail "attlsctl --help lists only $(wc -l <"$tmp/subs") subcommands"

python3 - "$tmp" <<'PY' || fails=$((fails + 1))
import re, sys, os
tmp = sys.argv[1]
bad = 0
def opts(text):
    """Option words of --help lines ("  -f, --policy FILE   ...")."""
    found = []
    for line in text.splitlines():
        m = re.match(r"\s+(-\w, )?(--?[\w-]+)", line)
        if m and line.lstrip().startswith("-"):
            found += [w.rstrip(",") for w in (m.group(1) or "").split()] + [m.group(2)]
    return found
def check(what, words, page_text):
    global bad
    for w in words:
        if not re.search(r"(^|[\s\[(|])" + re.escape(w) + r"([\s,=\]|)]|$)", page_text, re.M):
            print("man: FAIL: %s: %s is not in the man page" % (what, w)); bad += 1
    print("man: ok: %s: %d options, all in the man page" % (what, len(words))) if not bad else None

d8 = open(os.path.join(tmp, "attlsd.8.txt")).read()
check("attlsd(8)", opts(open(os.path.join(tmp, "attlsd.help")).read()), d8)

c8 = open(os.path.join(tmp, "attlsctl.8.txt")).read()
synopsis = c8.split("\nDESCRIPTION")[0]
commands = c8.split("\nCOMMANDS\n")[1].split("\nFILES\n")[0]
# One section per subcommand: a 3-space-indented heading line.
sections = {}
for part in re.split(r"\n(?=   \S)", "\n" + commands):
    head = part.strip().split()[0] if part.strip() else ""
    sections.setdefault(head, "")
    sections[head] += part
for sub in open(os.path.join(tmp, "subs")).read().split():
    if not re.search(r"^\s*attlsctl " + sub + r"\b", synopsis, re.M):
        print("man: FAIL: attlsctl(8): SYNOPSIS has no attlsctl %s" % sub); bad += 1
    if sub not in sections:
        print("man: FAIL: attlsctl(8): COMMANDS has no section for %s" % sub); bad += 1
        continue
    check("attlsctl(8) %s" % sub, opts(open(os.path.join(tmp, "sub." + sub)).read().split("\nOptions:\n")[-1].split("\nExit status:")[0]), sections[sub])
sys.exit(1 if bad else 0)
PY

# A page without an option must be caught: drop --workers from a copy.
grep -v 'workers' "$src/doc/attlsd.8" >"$tmp/broken.8"
render "$tmp/broken.8" | grep -q -- '--workers' && fail "the broken copy still has --workers"
if ((fails)); then
	echo "man: $fails failure(s)"
	exit 1
fi
echo "man: ok: every subcommand and option of --help is in the man pages"
