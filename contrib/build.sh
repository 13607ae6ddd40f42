#!/bin/bash
# Configures and builds attls out of tree in build/ (or in $BUILD_DIR, with extra
# configure arguments: contrib/build.sh --enable-sanitizers). $BUILD_TARGETS
# names make targets to build instead of everything (contrib/test.sh builds only
# the fuzz targets in its fuzzing build); $BUILD_JOBS is make's -j (nproc).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || ./bootstrap >/dev/null 2>&1
dir=${BUILD_DIR:-$top/build}
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$*" != "$(cat .attls-configure-args 2>/dev/null)" ]; then
	"$top/configure" --enable-werror "$@" >/dev/null
	echo "$*" > .attls-configure-args
fi
# shellcheck disable=SC2086
make -j"${BUILD_JOBS:-$(nproc)}" ${BUILD_TARGETS:-} >/dev/null
echo "build: $dir/${BUILD_TARGETS:-attlsd}"
