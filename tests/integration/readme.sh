#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make check: tests/integration/README.md is current with the header comments of the tests and helpers (gen-readme.sh --check).
exec bash "$(dirname "$0")/gen-readme.sh" --check
