#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages, as CI builds and installs them: dpkg-buildpackage
# -us -uc -b in a clean copy of the tree (git's tracked and new files), lintian
# with no errors, then the three .debs installed with dpkg -i into a
# copy-on-write image of this system (an overlay over /, entered with chroot,
# so the host is not touched). There: the user and directories exist, the
# sample key is root:attlsd 0640, the service is enabled,
# /etc/attls/policy.yaml is the sample and a conffile; systemd-analyze verify
# accepts the installed units and its security exposure stays low; and since
# systemd cannot run as PID 1 here (nor systemd-run without it), the unit's
# own Exec lines run as systemd would run them (as User=/Group= with
# AmbientCapabilities=, CapabilityBoundingSet=, NoNewPrivileges=, UMask= and
# the RuntimeDirectory=/StateDirectory=/LogsDirectory= it makes; setpriv), in a
# new network namespace: ExecStartPre, ExecStart with $NOTIFY_SOCKET and
# $WATCHDOG_USEC (READY=1, watchdog fed), ExecStartPost, a TLS client through
# the sample policy to a plaintext backend, attlsctl through the default
# control socket, ExecReload, SIGTERM (STOPPING=1, exit 0), ExecStopPost. The
# mount and syscall sandboxing of the unit (ProtectSystem= etc.) cannot be
# run that way: when systemd-nspawn is there, the image is also booted with
# systemd as PID 1 in a container with only lo, where systemctl enable --now
# attlsd, curl, systemctl reload and stop run under the whole unit. Then a
# program built with pkg-config against
# libattlsquery-dev runs, an edited policy survives reinstalling, and purge
# removes it. Needs root (mount, chroot, unshare). Prints how long it took.
# Usage: tests/package/run.sh [--keep] [--debs DIR]
#   --keep      keep the scratch directory (build tree, logs, the image)
#   --debs DIR  install the .debs a previous run built in DIR (no build, no lintian)
set -u
src=$(cd "${ATTLS_SRCDIR:-$(dirname "$0")/../..}" && pwd)
keep=0 prebuilt=
while (($#)); do
	case $1 in
	--keep) keep=1 ;;
	--debs) prebuilt=$2; shift ;;
	*) echo "usage: $0 [--keep] [--debs DIR]"; exit 2 ;;
	esac
	shift
done
t0=$(date +%s)
say() { echo "package: $*"; }
fail() { echo "package: FAIL: $*"; exit 1; }
skip() { echo "package: SKIP: $*"; exit 77; }
((EUID == 0)) || skip "needs root (mount, chroot, unshare)"
for t in dpkg-buildpackage dh lintian unshare chroot setpriv python3 curl systemd-analyze; do
	command -v "$t" >/dev/null || skip "$t is missing (Debian packages: dpkg-dev debhelper lintian util-linux python3 curl systemd)"
done

work=$(mktemp -d /tmp/attls-package.XXXXXX)
root=$work/root
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null; done
	if ((keep)); then echo "package: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

if [[ -z $prebuilt ]]; then
	# 1. A clean copy: what git tracks plus new files, nothing built or ignored.
	mkdir -p "$work/attls"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$work/attls" -xf -
	else
		cp -a "$src/." "$work/attls/"
	fi
	say "building in $work/attls"
	(cd "$work/attls" && dpkg-buildpackage -us -uc -b -j2) >"$work/build.log" 2>&1 ||
		{ tail -40 "$work/build.log"; fail "dpkg-buildpackage failed (log: $work/build.log)"; }
	say "ok: built ($(($(date +%s) - t0)) s)"

	# 2. lintian: errors fail; warnings are shown.
	lintian --fail-on error --tag-display-limit 0 "$work"/attls_*.changes >"$work/lintian.log" 2>&1
	lrc=$?
	grep -E '^[EWI]:' "$work/lintian.log" | sed 's/^/  lintian: /'
	((lrc == 0)) || fail "lintian reports errors"
	say "ok: lintian: no errors ($(grep -c '^W:' "$work/lintian.log") warnings)"
	prebuilt=$work
fi
debs=("$prebuilt"/attlsd_*.deb "$prebuilt"/libattlsquery1_*.deb "$prebuilt"/libattlsquery-dev_*.deb)
for d in "${debs[@]}"; do [[ -f $d ]] || fail "no $d"; done

# 3. Where each file went: the library and its -dev split as Debian does.
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
expect_in() { # DEB REGEX...
	local deb=$1 re
	shift
	for re in "$@"; do contents "$deb" | grep -Eq "^$re$" || fail "${deb##*/} has no $re"; done
}
expect_in "${debs[0]}" /usr/sbin/attlsd /usr/sbin/attlsctl /lib/systemd/system/attlsd.service \
	/lib/systemd/system/attlsd.socket /usr/lib/sysusers.d/attlsd.conf /usr/lib/tmpfiles.d/attlsd.conf \
	/etc/attls/policy.yaml /etc/logrotate.d/attlsd /usr/share/bash-completion/completions/attlsctl \
	'/usr/share/man/man8/attlsd.8.gz' '/usr/share/man/man8/attlsctl.8.gz' '/usr/share/man/man5/attls-policy.5.gz'
expect_in "${debs[1]}" '/usr/lib/[^/]*/libattlsquery.so.1'
expect_in "${debs[2]}" '/usr/lib/[^/]*/libattlsquery.so' '/usr/lib/[^/]*/libattlsquery.a' \
	'/usr/lib/[^/]*/pkgconfig/libattlsquery.pc' /usr/include/attls/attlsquery.h
contents "${debs[1]}" | grep -q 'libattlsquery.so$' && fail "the runtime library package has the .so link"
say "ok: attlsd, libattlsquery1 (the .so.1) and libattlsquery-dev (header, .so, .a, .pc) hold what they should"

# 4. A copy-on-write image of this system to install into.
mkdir -p "$work/cow" "$root"
mount -t tmpfs tmpfs "$work/cow" && mounts+=("$work/cow") || fail "cannot mount a tmpfs"
mkdir -p "$work/cow/upper" "$work/cow/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/cow/upper,workdir=$work/cow/work" "$root" &&
	mounts+=("$root") || skip "overlayfs over / is not available here"
# What chroot needs inside; systemd-nspawn (7b) mounts its own.
aux_mount() {
	local m
	for m in proc dev run tmp; do
		case $m in
		proc) mount -t proc proc "$root/proc" ;;
		dev) mount --rbind /dev "$root/dev" ;;
		*) mount -t tmpfs tmpfs "$root/$m" ;;
		esac && mounts+=("$root/$m") || fail "cannot mount $root/$m"
	done
}
aux_umount() {
	local m
	for m in tmp run dev proc; do umount -l "$root/$m" || fail "cannot unmount $root/$m"; done
}
aux_mount
in_root() { chroot "$root" "$@"; }
in_root dpkg-query -W attlsd >/dev/null 2>&1 && in_root dpkg --purge attlsd libattlsquery-dev libattlsquery1 >/dev/null 2>&1
# A clean machine has no user attlsd; this one may (the integration tests
# make it): remove it from the image, which the host does not see. The user
# databases are copied up into the image first, so that a test on the host
# making the user while this runs does not show through the overlay.
in_root touch /etc/passwd /etc/group /etc/shadow /etc/gshadow || fail "cannot copy up the user databases"
if in_root getent passwd attlsd >/dev/null; then in_root userdel -f attlsd || fail "userdel attlsd in the image"; fi
if in_root getent group attlsd >/dev/null; then in_root groupdel attlsd || fail "groupdel attlsd in the image"; fi
mkdir -p "$root/var/tmp/debs"
cp "${debs[@]}" "$root/var/tmp/debs/"
names=("${debs[@]##*/}")
in_root dpkg -i "${names[@]/#//var/tmp/debs/}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
say "ok: dpkg -i of the three packages"

# 5. What the maintainer scripts did.
in_root getent passwd attlsd | grep -q ':/var/lib/attlsd:/usr/sbin/nologin$' || fail "no system user attlsd"
# owner PATH "USER:GROUP MODE": what stat says of PATH in the image.
owner() {
	[[ $(in_root stat -c '%U:%G %a' "$1" 2>/dev/null) == "$2" ]] ||
		fail "$1: $(in_root stat -c '%U:%G %a' "$1" 2>&1), not $2"
}
# The directories as tmpfiles.d makes them: as the unit's *Directory= will.
owner /run/attlsd "attlsd:attlsd 755"
for d in /var/lib/attlsd /var/lib/attlsd/capture /var/log/attlsd; do owner $d "attlsd:attlsd 750"; done
[[ $(readlink "$root/run/attlsd.sock") == /run/attlsd/control.sock ]] || fail "/run/attlsd.sock does not link to /run/attlsd/control.sock"
owner /etc/attls "root:attlsd 750"
owner /etc/attls/policy.yaml "root:attlsd 640"
owner /etc/attls/sample.key "root:attlsd 640"
owner /etc/attls/sample.crt "root:root 644"
in_root openssl x509 -in /etc/attls/sample.crt -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' ||
	fail "the sample certificate does not name 127.0.0.1"
[[ -L $root/etc/systemd/system/multi-user.target.wants/attlsd.service ]] || fail "attlsd.service is not enabled"
[[ -e $root/etc/systemd/system/sockets.target.wants/attlsd.socket ]] && fail "attlsd.socket was enabled"
cmp -s "$root/etc/attls/policy.yaml" "$src/contrib/sample-policy.yaml" || fail "/etc/attls/policy.yaml is not the sample"
in_root dpkg-query -W -f='${Conffiles}\n' attlsd | grep -q '/etc/attls/policy.yaml' || fail "the policy is not a conffile"
say "ok: user attlsd, its directories, the sample key (root:attlsd 0640), attlsd.service enabled, the sample policy as a conffile"

# 6. The installed units verify.
out=$(in_root systemd-analyze verify --man=no /lib/systemd/system/attlsd.service /lib/systemd/system/attlsd.socket 2>&1)
[[ -z $out ]] || { echo "$out"; fail "systemd-analyze verify of the installed units"; }
say "ok: systemd-analyze verify: attlsd.service and attlsd.socket"
# The hardening stays: systemd's exposure score (0 best, 10 worst; installed,
# the unit scored 2.0 when it got User=attlsd, 6.4 as root) must not pass 3.0.
in_root systemd-analyze security --offline=yes --no-pager /lib/systemd/system/attlsd.service >"$work/security.log" 2>&1
score=$(sed -n 's/^→ Overall exposure level for attlsd.service: \([0-9.]*\).*/\1/p' "$work/security.log")
[[ -n $score ]] || { cat "$work/security.log"; fail "no exposure score from systemd-analyze security"; }
awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }' || { grep '✗' "$work/security.log"; fail "exposure $score > 3.0"; }
say "ok: systemd-analyze security: exposure $score"
# The packaged no-intercept.conf drop-in takes CAP_NET_ADMIN away (systemd
# merges capability lists across files unless a drop-in resets them).
dropin=$root/etc/systemd/system/attlsd.service.d
mkdir -p "$dropin"
cp "$root/usr/share/doc/attlsd/examples/no-intercept.conf" "$dropin/" || fail "no examples/no-intercept.conf"
systemd-analyze security --offline=yes --no-pager --root="$root" attlsd.service >"$work/security2.log" 2>&1
grep -q '✓ CapabilityBoundingSet=~CAP_NET_ADMIN' "$work/security2.log" ||
	{ grep 'NET_ADMIN\|Overall' "$work/security2.log"; fail "with no-intercept.conf the unit still has CAP_NET_ADMIN"; }
rm -r "$dropin"
say "ok: with the no-intercept.conf drop-in the bounding set has no CAP_NET_ADMIN"

# 7. The unit's Exec lines, run as systemd would (${ATTLS_POLICY} expanded,
# "-" ignored, $MAINPID; as User=, Group= with the unit's capabilities,
# NoNewPrivileges= and UMask=, after making its *Directory= as systemd does),
# in a new network namespace inside the image.
cat >"$root/tmp/exec-lines.sh" <<'EOF'
set -u
unit=/lib/systemd/system/attlsd.service
policy=$(sed -n 's/^Environment=ATTLS_POLICY=//p' $unit)
val() { sed -n "s/^$1=//p" $unit | tail -1; }
line() { val "$1" | sed "s|^-||; s|\${ATTLS_POLICY}|$policy|g; s|\$MAINPID|$MAINPID|g"; }
die() { echo "exec-lines: FAIL: $*"; exit 1; }
# CAP_A CAP_B -> +a,+b (setpriv's names)
caps() { local c out=; for c in $1; do c=${c#CAP_}; out+=",+${c,,}"; done; echo "${out#,}"; }
user=$(val User) group=$(val Group)
[[ $user == attlsd && $group == attlsd ]] || die "the unit runs as ${user:-root}:${group:-root}, not attlsd:attlsd"
amb=$(caps "$(val AmbientCapabilities)") bnd=$(caps "$(val CapabilityBoundingSet)")
[[ $(val NoNewPrivileges) == yes ]] || die "NoNewPrivileges= is not yes"
as_unit=(setpriv --reuid="$user" --regid="$group" --init-groups --inh-caps="-all,$amb"
	--ambient-caps="-all,$amb" --bounding-set="-all,$bnd" --no-new-privs)
umask "$(val UMask)"
# dirs DIRECTIVE BASE: what systemd makes of RuntimeDirectory= etc. at start.
dirs() {
	local d mode
	mode=$(val "${1}Mode")
	for d in $(val "$1"); do install -d -o "$user" -g "$group" -m "${mode:-0755}" "$2/$d" || die "$1=$d"; done
}
dirs RuntimeDirectory /run
dirs StateDirectory /var/lib
dirs LogsDirectory /var/log
wait_for() { # FILE REGEX
	local i
	for ((i = 0; i < 200; i++)); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
ip link set lo up
MAINPID= sink= http=
trap 'kill $MAINPID $sink $http 2>/dev/null' EXIT
"${as_unit[@]}" $(line ExecStartPre) >/tmp/pre.log 2>&1 || { cat /tmp/pre.log; die "ExecStartPre: $(line ExecStartPre)"; }
echo "exec-lines: ok: ExecStartPre: $(line ExecStartPre)"
python3 -c '
import socket, sys, time
import os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/run/notify.sock")
os.chmod("/run/notify.sock", 0o666)  # as systemd does: the unit user sends to it
open("/run/notify.up", "w").close()
with open("/run/notify.log", "a", buffering=1) as f:
    while True: f.write(s.recv(4096).decode().replace("\n", " | ") + "\n")' &
sink=$!
for ((i = 0; i < 200; i++)); do [[ -e /run/notify.up ]] && break; sleep 0.05; done
[[ -e /run/notify.up ]] || die "the notify socket did not come up"
mkdir -p /tmp/www && echo "hello from the plaintext backend" >/tmp/www/index.html
python3 -m http.server --bind 127.0.0.1 --directory /tmp/www 8080 >/tmp/http.log 2>&1 &
http=$!
for ((i = 0; i < 200; i++)); do (: >/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done
(: >/dev/tcp/127.0.0.1/8080) 2>/dev/null || { cat /tmp/http.log; die "the plaintext backend did not start"; }
# setpriv execs ExecStart: $! is attlsd's PID, as $MAINPID would be.
NOTIFY_SOCKET=/run/notify.sock WATCHDOG_USEC=3000000 "${as_unit[@]}" $(line ExecStart) 2>/tmp/attlsd.log &
MAINPID=$!
wait_for /run/notify.log '^READY=1' || { cat /tmp/attlsd.log; die "no READY=1 from ExecStart: $(line ExecStart)"; }
echo "exec-lines: ok: ExecStart: READY=1 ($(grep -m1 STATUS= /run/notify.log))"
# Still the unit's user, with no capability outside its bounding set.
st=/proc/$MAINPID/status
[[ $(awk '/^Uid:/ { print $2 }' $st) == "$(id -u attlsd)" ]] || die "attlsd runs as uid $(awk '/^Uid:/ { print $2 }' $st)"
cap() { capsh --decode="$(awk -v f="$1:" '$1 == f { print $2 }' $st)" | sed 's/.*=//'; }
bset=$(cap CapBnd)
for c in $(cap CapEff | tr , ' '); do [[ ,$bset, == *",$c,"* ]] || die "attlsd has $c, outside the bounding set $bset"; done
echo "exec-lines: ok: attlsd runs as attlsd, CapEff=$(cap CapEff) CapBnd=$bset NoNewPrivs=$(awk '/^NoNewPrivs:/ { print $2 }' $st)"
"${as_unit[@]}" $(line ExecStartPost) >/tmp/post.log 2>&1 || { cat /tmp/post.log; die "ExecStartPost: $(line ExecStartPost)"; }
echo "exec-lines: ok: ExecStartPost: $(line ExecStartPost)"
# The sample certificate names localhost and 127.0.0.1; it is its own CA.
out=$(curl -sS --max-time 20 --cacert /etc/attls/sample.crt "https://localhost:8443/" 2>&1)
[[ $out == "hello from the plaintext backend" ]] || { cat /tmp/attlsd.log; die "TLS through the sample policy: $out"; }
echo "exec-lines: ok: curl https://localhost:8443/ through the sample policy reaches the plaintext backend"
# attlsctl's default socket, /run/attlsd.sock, links to the policy's.
out=$(attlsctl connections 2>&1) || die "attlsctl connections through /run/attlsd.sock: $out"
echo "exec-lines: ok: attlsctl connections through /run/attlsd.sock -> $(readlink /run/attlsd.sock)"
wait_for /run/notify.log '^WATCHDOG=1' || die "the watchdog is not fed"
echo "exec-lines: ok: WATCHDOG=1 (WATCHDOG_USEC=3000000)"
"${as_unit[@]}" $(line ExecReload) || die "ExecReload: $(line ExecReload)"
wait_for /run/notify.log '^RELOADING=1' || die "no RELOADING=1 after ExecReload"
wait_for /run/notify.log 'STATUS=policy generation 1' || die "no STATUS after the reload"
echo "exec-lines: ok: ExecReload: $(line ExecReload): RELOADING=1, READY=1, policy generation 1"
kill -TERM "$MAINPID"
for ((i = 0; i < 200; i++)); do kill -0 "$MAINPID" 2>/dev/null || break; sleep 0.05; done
wait "$MAINPID"
rc=$?
((rc == 0)) || die "attlsd exited with $rc after SIGTERM"
grep -q '^STOPPING=1' /run/notify.log || die "no STOPPING=1"
echo "exec-lines: ok: SIGTERM (KillSignal): STOPPING=1, exit 0"
"${as_unit[@]}" $(line ExecStopPost) >/tmp/stoppost.log 2>&1 || { cat /tmp/stoppost.log; die "ExecStopPost"; }
nft list tables | grep -q attls && die "ExecStopPost left an nft table"
echo "exec-lines: ok: ExecStopPost: $(line ExecStopPost)"
EOF
unshare --net chroot "$root" bash /tmp/exec-lines.sh || fail "the unit's Exec lines (above)"

# 7b. With systemd-nspawn (Debian systemd-container) systemd does run as
# PID 1 here, in a container: boot the image with a private network (only
# lo) into a target that pulls in nothing but a checker, which does what an
# admin does: systemctl enable --now attlsd, a client call, reload, stop;
# all under the unit's real sandbox. Without systemd-nspawn: said, skipped.
if command -v systemd-nspawn >/dev/null; then
	cat >"$root/etc/systemd/system/attls-check.target" <<'UNIT'
[Unit]
Description=tests/package/run.sh: attlsd installed from its package
Requires=basic.target
After=basic.target
Wants=attls-check.service
UNIT
	cat >"$root/etc/systemd/system/attls-check.service" <<'UNIT'
[Unit]
Description=tests/package/run.sh: systemctl enable --now attlsd, and use it
After=basic.target
[Service]
Type=oneshot
ExecStart=/bin/bash /var/tmp/attls-check.sh
UNIT
	cat >"$root/var/tmp/attls-check.sh" <<'CHECK'
set -u
exec >/var/tmp/attls-check.out 2>&1
end() { echo "$1" >/var/tmp/attls-check.done; systemctl poweroff --no-block; exit 0; }
bad() {
	echo "boot: FAIL: $*"
	systemctl status attlsd --no-pager -l; journalctl -u attlsd --no-pager | tail -30
	end fail
}
prop() { systemctl show -p "$1" --value attlsd; }
systemctl enable --now attlsd || bad "systemctl enable --now attlsd"
[[ $(systemctl is-active attlsd) == active ]] || bad "attlsd.service is $(systemctl is-active attlsd)"
pid=$(prop MainPID)
st=/proc/$pid/status
[[ $(awk '/^Uid:/ { print $2 }' $st) == "$(id -u attlsd)" ]] || bad "attlsd (pid $pid) does not run as attlsd"
eff=$(capsh --decode="$(awk '/^CapEff:/ { print $2 }' $st)" | sed 's/.*=//')
for c in ${eff//,/ }; do
	[[ $c == cap_net_bind_service || $c == cap_net_admin ]] || bad "attlsd has $c"
done
echo "boot: ok: systemctl enable --now attlsd: active, uid attlsd, CapEff=$eff, $(grep -E '^(NoNewPrivs|Seccomp):' $st | tr -s '\t\n' '  ')"
echo "boot: ok: status: $(prop StatusText)"
mkdir -p /var/tmp/www && echo "hello from the plaintext backend" >/var/tmp/www/index.html
python3 -m http.server --bind 127.0.0.1 --directory /var/tmp/www 8080 >/var/tmp/http.log 2>&1 &
for ((i = 0; i < 100; i++)); do (: >/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.1; done
out=$(curl -sS --max-time 20 --cacert /etc/attls/sample.crt https://localhost:8443/ 2>&1)
[[ $out == "hello from the plaintext backend" ]] || bad "curl through the sample policy: $out"
echo "boot: ok: curl https://localhost:8443/ through the sample policy reaches the plaintext backend"
attlsctl connections >/dev/null 2>&1 || bad "attlsctl connections: $(attlsctl connections 2>&1)"
echo "boot: ok: attlsctl connections (the default control socket)"
systemctl reload attlsd || bad "systemctl reload attlsd"
for ((i = 0; i < 100; i++)); do [[ $(prop StatusText) == *"generation 1"* ]] && break; sleep 0.1; done
[[ $(prop StatusText) == *"generation 1"* ]] || bad "after systemctl reload: status $(prop StatusText)"
echo "boot: ok: systemctl reload attlsd: $(prop StatusText)"
systemctl stop attlsd
[[ $(prop Result) == success ]] || bad "systemctl stop attlsd: result $(prop Result)"
echo "boot: ok: systemctl stop attlsd: inactive, result success"
end ok
CHECK
	aux_umount
	timeout 300 systemd-nspawn -q -D "$root" --boot --private-network --register=no --keep-unit \
		-- systemd.unit=attls-check.target >"$work/boot.log" 2>&1
	aux_mount
	sed 's/^/  /' "$root/var/tmp/attls-check.out" 2>/dev/null
	[[ $(cat "$root/var/tmp/attls-check.done" 2>/dev/null) == ok ]] ||
		{ tail -30 "$work/boot.log"; fail "attlsd under systemd in systemd-nspawn (above)"; }
	say "ok: systemd as PID 1 (systemd-nspawn): systemctl enable --now attlsd, curl, reload, stop"
	rm -f "$root/etc/systemd/system/attls-check.target" "$root/etc/systemd/system/attls-check.service"
else
	say "skipped: systemd as PID 1 (no systemd-nspawn: Debian systemd-container)"
fi

# 8. The -dev package: a program built with pkg-config against it runs.
cat >"$root/tmp/q.c" <<'EOF'
#include <stdio.h>
#include <attls/attlsquery.h>
int main(void) { printf("%s\n", attls_query_policy_name(1)); return 0; }
EOF
in_root sh -c 'cc -o /tmp/q /tmp/q.c $(pkg-config --cflags --libs libattlsquery) && /tmp/q' >"$work/q.out" 2>&1 ||
	{ cat "$work/q.out"; fail "a program built with pkg-config --libs libattlsquery"; }
in_root ldd /tmp/q | grep -Eq 'libattlsquery\.so\.1 => (/usr)?/lib/' || fail "/tmp/q is not linked to the installed libattlsquery.so.1"
say "ok: pkg-config libattlsquery: a program builds, links libattlsquery.so.1 and runs ($(cat "$work/q.out"))"

# 9. The admin's policy survives reinstalling; purge removes it and the unit.
echo "# edited by the admin" >>"$root/etc/attls/policy.yaml"
in_root dpkg -i "/var/tmp/debs/${names[0]}" >"$work/dpkg2.log" 2>&1 || { cat "$work/dpkg2.log"; fail "reinstall"; }
grep -q "edited by the admin" "$root/etc/attls/policy.yaml" || fail "reinstalling replaced the edited policy"
in_root dpkg --purge attlsd libattlsquery-dev libattlsquery1 >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
[[ -e $root/etc/attls/policy.yaml || -e $root/lib/systemd/system/attlsd.service ]] && fail "purge left files"
[[ -e $root/etc/attls/sample.key || -e $root/etc/attls ]] && fail "purge left the sample key or /etc/attls"
say "ok: an edited policy survives reinstalling; purge removes it, the sample key and /etc/attls"
say "ok: all done in $(($(date +%s) - t0)) s"
