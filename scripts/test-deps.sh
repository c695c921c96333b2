#!/usr/bin/env bash
# test-deps.sh installs (when run as root on Debian) and starts what `make test`
# needs: a running dockerd, a static busybox (for the test app images), Chromium
# (for the dashboard's browser tests), a PostgreSQL server on
# 127.0.0.1:${RIVETR_TEST_PG_PORT:-55432} for the store tests, and the
# database images of the managed-database tests (scripts/db-images.sh), and
# Pebble with its mock DNS (the ACME tests start their own instances).
# It is idempotent: what is installed and running is left alone.
set -euo pipefail

PG_PORT="${RIVETR_TEST_PG_PORT:-55432}"
PG_DIR="${RIVETR_TEST_PG_DIR:-/tmp/rivetr-test-pg}"

say() { echo "test-deps: $*" >&2; }

static_busybox() {
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}
pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
static_busybox || need+=(busybox-static)
[ -n "$(pg_bin)" ] || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v pebble-challtestsrv >/dev/null 2>&1 || need+=(pebble) # ACME test CA and its mock DNS
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    say "missing ${need[*]}: install them (Debian: sudo apt-get install ${need[*]}) and run again"
    exit 1
  fi
fi

# dockerd
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    say "dockerd is not running and I am not root: start it (sudo systemctl start docker)"
    exit 1
  fi
  say "starting dockerd"
  nohup dockerd >/var/log/rivetr-test-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { say "dockerd did not start; see /var/log/rivetr-test-dockerd.log"; exit 1; }
fi

# PostgreSQL on loopback, trust auth, its own data dir.
bin="$(pg_bin)"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    say "initialising PostgreSQL in $PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    as_pg "'$bin/initdb' -D '$PG_DIR' -U postgres -A trust >/dev/null"
  fi
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "'$bin/pg_ctl' -D '$PG_DIR' -l '$PG_DIR/server.log' -w -o \"-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1\" start >/dev/null"
fi
# versitygw, the S3-compatible server the backup tests store to (built from
# the Go module proxy into .tools/bin, once).
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$ROOT/.tools/bin/versitygw" ]; then
  say "building versitygw (S3-compatible server for the backup tests) into .tools/bin"
  GOBIN="$ROOT/.tools/bin" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

# Database images for the managed-database tests (debootstrap; minutes, once).
"$(dirname "$0")/db-images.sh"

echo "postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
