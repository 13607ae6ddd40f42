# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Policy builder for the integration tests: a test states the keyrings, groups,
# environments and rules it is about as small fragments, and policy_file writes
# the YAML. Sourced by lib.sh.
#
#   policy_new                           start an empty policy
#   policy_standard                      ring1 (server.crt), grp-on (enabled), env-server
#                                        (Server, ring1): what most rules need
#   policy_settings 'KEY: VALUE'...      settings
#   policy_keyring NAME CERT [ITEM...]   certificate/key ${ATTLS_PKI}/CERT.crt/.key
#   policy_group NAME [ITEM...]          enabled: On unless an ITEM says otherwise
#   policy_env NAME ROLE KEYRING [ITEM...]
#   policy_rule NAME PORT ENV BACKEND [ITEM...]
#                                        Inbound, priority 100, 127.0.0.1:PORT, grp-on;
#                                        ENV or BACKEND "-": none
#   policy_add SECTION NAME [ITEM...]    any other entry (identity_maps, connections, ...)
#   policy_file [NAME]                   writes $T_TMP/NAME.yaml (default: the test's
#                                        name and a counter), prints its path
#
# An ITEM is one 'key: value' of the entry's flow mapping (values in flow style:
# "{ a: b }", "[ x, y ]"); an ITEM whose key is one a fragment fills in by default
# replaces that default. Keyring paths use ${ATTLS_PKI}, which attlsd and attlsctl
# expand from their environment (lib.sh exports it).

T_POLICY_N=0
declare -A T_POL
T_POL_SECS=()

policy_new() {
	T_POLICY_N=$((T_POLICY_N + 1))
	T_POL=()
	T_POL_SECS=()
}

# p_items DEFAULT... -- ITEM...: the defaults whose key no ITEM names, then the
# ITEMs, joined by ", ".
p_items() {
	local -a defs=() items=()
	local d i out=""
	while (($#)) && [[ $1 != -- ]]; do
		defs+=("$1")
		shift
	done
	shift
	items=("$@")
	for d in "${defs[@]}"; do
		for i in "${items[@]}"; do
			[[ ${i%%:*} == "${d%%:*}" ]] && continue 2
		done
		out+="${out:+, }$d"
	done
	for i in "${items[@]}"; do out+="${out:+, }$i"; done
	printf '%s' "$out"
}

# p_section SECTION LINE: appends LINE (already indented) to SECTION.
p_section() {
	[[ -v "T_POL[$1]" ]] || T_POL_SECS+=("$1")
	T_POL[$1]+="$2"$'\n'
}

policy_add() {
	local sec=$1 name=$2
	shift 2
	p_section "$sec" "  $name: { $(p_items -- "$@") }"
}

policy_settings() {
	local i
	for i; do p_section settings "  $i"; done
}

policy_keyring() {
	local name=$1 cert=$2
	shift 2
	p_section keyrings "  $name: { $(p_items "certificate: \"\${ATTLS_PKI}/$cert.crt\"" \
		"key: \"\${ATTLS_PKI}/$cert.key\"" -- "$@") }"
}

policy_group() {
	local name=$1
	shift
	p_section groups "  $name: { $(p_items 'enabled: On' -- "$@") }"
}

policy_env() {
	local name=$1 role=$2 ring=$3
	shift 3
	p_section environments "  $name: { $(p_items "handshake_role: $role" "keyring: $ring" -- "$@") }"
}

policy_rule() {
	local name=$1 port=$2 env=() be=()
	[[ $3 == - ]] || env=("environment: $3")
	[[ $4 == - ]] || be=("backend: \"$4\"")
	shift 4
	p_section rules "  $name: { $(p_items 'priority: 100' 'direction: Inbound' \
		'local_addr: 127.0.0.1' "local_port: $port" 'group: grp-on' "${env[@]}" \
		"${be[@]}" -- "$@") }"
}

policy_standard() {
	policy_keyring ring1 server
	policy_group grp-on
	policy_env env-server Server ring1
}

# policy_yaml: the policy as YAML on stdout.
policy_yaml() {
	local s
	for s in "${T_POL_SECS[@]}"; do
		printf '%s:\n%s' "$s" "${T_POL[$s]}"
	done
}

policy_file() {
	local f=$T_TMP/${1:-$T_NAME.$T_POLICY_N}.yaml
	policy_yaml >"$f"
	printf '%s\n' "$f"
}
