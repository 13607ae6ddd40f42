#!/bin/bash
# The generated parts of doc/ match what attlsd prints from its code tables.
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
ATTLSD=${ATTLSD:-$src/build/attlsd} exec bash "$src/contrib/gen-docs.sh" --check
