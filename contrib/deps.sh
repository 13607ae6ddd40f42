#!/bin/bash
# Installs the Debian 12 packages attls needs to build, test and benchmark,
# and makes the system user attlsd that attlsd runs as.
# Only what is missing is installed; safe to run again.
set -eu
pkgs="autoconf automake libtool pkg-config make gcc clang libssl-dev libuv1-dev
libyaml-dev libpcap-dev libcmocka-dev libp11-kit-dev openssl curl python3 procps iproute2 nftables valgrind faketime
tzdata systemd systemd-container graphviz softhsm2 opensc libengine-pkcs11-openssl libsystemd-dev bash-completion
libhiredis-dev libmicrohttpd-dev libcap-dev libseccomp-dev redis-server prometheus debhelper lintian dpkg-dev fakeroot ssl-cert"
[ "${1:-}" = "--bench" ] && pkgs="$pkgs stunnel4 haproxy hitch"
# One dpkg-query for all of them (one per package took seconds on a busy machine);
# apt-get update runs only when something is missing.
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
	sed -n 's/ install ok installed$//p' | tr '\n' ' ')"
missing=""
for p in $pkgs; do
	case $installed in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "deps: all present"
# attlsd drops to user attlsd once started (doc/security.md); make it once, as
# make install and the Debian package do.
if ! getent passwd attlsd >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin attlsd
	echo "deps: made system user attlsd"
fi
