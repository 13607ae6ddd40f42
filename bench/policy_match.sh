#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds bench/policy_match against the tree's libattls_policy.a and runs it.
# Arguments go to the program: [-l lookups] [-s seed] [N...] (default 10 1000 10000).
# The allocator is wrapped to measure the index's heap use exactly.
# ATTLS_BUILDDIR: the configured build tree (default: in-tree); CC, CFLAGS as usual.
set -e
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
top=${ATTLS_BUILDDIR:-$src}
make -C "$top" libattls_policy.a >/dev/null
mkdir -p "$here/bin"
# shellcheck disable=SC2046,SC2086
${CC:-cc} ${CFLAGS:--O2 -g} -std=gnu11 -Wall -Wextra -Werror \
	-I"$top" -I"$src/src" $(pkg-config --cflags yaml-0.1) \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	-o "$here/bin/policy_match" "$here/policy_match.c" "$top/libattls_policy.a" \
	$(pkg-config --libs yaml-0.1)
exec "$here/bin/policy_match" "$@"
