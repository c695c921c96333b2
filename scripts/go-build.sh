#!/usr/bin/env bash
# go-build.sh runs `go build -v "$@"`, printing a line of progress every 100
# packages compiled instead of their names (a cold build compiles about
# 2,500, most of them the embedded Temporal server's); errors pass through.
set -uo pipefail
start=$(date +%s)
go build -v "$@" 2>&1 | awk -v start="$start" '
  /^[A-Za-z0-9._~\/-]+$/ { n++; if (n % 100 == 0) { printf "  %d packages compiled (%ds)\n", n, systime() - start; fflush() } ; next }
  { print; fflush() }'
exit "${PIPESTATUS[0]}"
