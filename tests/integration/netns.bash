# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Network namespaces for the interception tests (t30-t39), sourced after lib.sh:
# a client namespace and a server namespace joined by a veth pair, with
# private addresses that exist only inside them. Everything is deleted on exit
# (deleting a namespace also deletes its nftables tables and routes).
#
#   ns_setup               creates $NS_C (10.77.N.1) and $NS_S (10.77.N.2)
#   ns_setup_v6            adds fd00:77:N::1 and ::2 (NS_CADDR6, NS_SADDR6)
#   ns_attlsd [NS]         makes attlsd_start run attlsd inside NS (default $NS_S)
#   ns_backend PORT ARGS   the plaintext backend (netns.py backend) inside $NS_S
#   ns_client ARGS         netns.py client inside $NS_C

need_tool ip nft
# Names of this test's own (the pid, and a random part in case a killed run left
# a namespace of a recycled pid behind): tests that use namespaces run
# concurrently with each other and with any other test (`make -j2 check`), as
# everything they create (addresses, veth ends, nftables tables, routes) lives
# inside their two namespaces.
NS_C=attls-c-$$-$RANDOM
NS_S=attls-s-$$-$RANDOM
NS_NET=10.77.$(($$ % 250)).
NS_CADDR=${NS_NET}1
NS_SADDR=${NS_NET}2
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}
[[ $ATTLSCTL == /* ]] || ATTLSCTL=$PWD/$ATTLSCTL

# t_cleanup takes the test's exit status from $?: keep it across ip netns del.
ns_cleanup() {
	local rc=$?
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	(exit "$rc")
	t_cleanup
}

ns_setup() {
	ip netns add "$NS_C" 2>/dev/null || t_skip "cannot create a network namespace here (not root, or namespaces are forbidden)"
	trap ns_cleanup EXIT
	ip netns add "$NS_S" || t_fail "cannot create a second network namespace"
	ip link add "vc$$" netns "$NS_C" type veth peer name "vs$$" netns "$NS_S" ||
		t_fail "cannot create a veth pair"
	ip -n "$NS_C" addr add "$NS_CADDR/24" dev "vc$$"
	ip -n "$NS_S" addr add "$NS_SADDR/24" dev "vs$$"
	ip -n "$NS_C" link set "vc$$" up
	ip -n "$NS_S" link set "vs$$" up
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set lo up
	t_ok "namespaces $NS_C ($NS_CADDR) and $NS_S ($NS_SADDR)"
}

# ns_setup_v6: after ns_setup, IPv6 ULAs $NS_CADDR6 / $NS_SADDR6 on the veth
# (nodad: usable at once, no duplicate address detection delay).
NS_NET6=fd00:77:$(printf '%x' $(($$ % 65536)))::
NS_CADDR6=${NS_NET6}1
NS_SADDR6=${NS_NET6}2
ns_setup_v6() {
	local i
	ip -n "$NS_C" addr add "$NS_CADDR6/64" dev "vc$$" nodad || t_fail "cannot add $NS_CADDR6"
	ip -n "$NS_S" addr add "$NS_SADDR6/64" dev "vs$$" nodad || t_fail "cannot add $NS_SADDR6"
	# No address may still be tentative (a link-local one gets DAD despite nodad).
	for ((i = 0; i < 100; i++)); do
		[[ -z $(ip -n "$NS_C" -6 addr show tentative; ip -n "$NS_S" -6 addr show tentative) ]] && break
		sleep 0.1
	done
	((i < 100)) || t_fail "IPv6 addresses still tentative after 10 s"
	t_ok "IPv6: $NS_CADDR6 and $NS_SADDR6"
}

# attlsd_start runs $ATTLSD; a wrapper puts it into the server namespace
# (ip netns exec execs, so the pid attlsd_start tracks is attlsd's).
ns_attlsd() {
	local real=$ATTLSD
	ATTLSD=$T_TMP/attlsd-in-ns
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "${1:-$NS_S}" "$real" >"$ATTLSD"
	chmod +x "$ATTLSD"
}

# ns_backend PORT [ARGS]: the unchanged plaintext server, on 0.0.0.0:PORT.
# NS_WRAP (words) runs before it (e.g. setpriv to another user; the ready
# file then goes to NS_READY_DIR, which that user can write).
ns_backend() {
	local port=$1 ready=${NS_READY_DIR:-$T_TMP}/backend.$1.ready i
	shift
	# shellcheck disable=SC2086
	ip netns exec "$NS_S" ${NS_WRAP:-} "$T_PY" "$T_DIR/netns.py" backend --port "$port" --ready "$ready" "$@" \
		>"$T_TMP/backend.$port.log" 2>&1 &
	t_track $!
	for ((i = 0; i < 300; i++)); do [[ -s $ready ]] && return 0; sleep 0.05; done
	cat "$T_TMP/backend.$port.log"
	t_fail "backend on port $port did not start"
}

ns_client() { timeout 30 ip netns exec "$NS_C" "$T_PY" "$T_DIR/netns.py" client "$@"; }

# ns_table_gone: no attls_intercept table and no rule of our mark left.
ns_nothing_left() {
	local mark=$1
	ip netns exec "$NS_S" nft list tables | grep -q attls_intercept && return 1
	ip -n "$NS_S" rule | grep -q "fwmark $(printf '0x%x' "$mark")" && return 1
	return 0
}
