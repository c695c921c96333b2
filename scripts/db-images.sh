#!/usr/bin/env bash
# db-images.sh builds the database images the tests run, since no registry
# can be reached: one Debian bookworm root made by debootstrap with
# PostgreSQL, MariaDB and Redis from Debian's packages, imported once
# (rivetr-test/dbbase), and three small images on top whose entrypoints
# honour the official images' environment variables:
#   rivetr-test/postgres:15  (POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB)
#   rivetr-test/mariadb:10   (MARIADB_ROOT_PASSWORD, MARIADB_USER, …)
#   rivetr-test/redis:7      (the command: redis-server …)
# MongoDB is not packaged by Debian, so there is no image for it.
# It is idempotent: images that exist are left alone. Needs root, debootstrap
# and dockerd (scripts/test-deps.sh installs and starts them).
set -euo pipefail
cd "$(dirname "$0")"
say() { echo "db-images: $*" >&2; }
BASE=rivetr-test/dbbase:bookworm
MIRROR="${RIVETR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

have() { docker image inspect "$1" >/dev/null 2>&1; }
if have rivetr-test/postgres:15 && have rivetr-test/mariadb:10 && have rivetr-test/redis:7; then
  exit 0
fi
if ! have "$BASE"; then
  command -v debootstrap >/dev/null || { say "debootstrap is missing (apt-get install debootstrap)"; exit 1; }
  root="$(mktemp -d /tmp/rivetr-dbroot.XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  say "debootstrap bookworm with postgresql, mariadb-server and redis-server into $root (a few minutes)"
  debootstrap --variant=minbase --include=postgresql-15,mariadb-server,redis-server bookworm "$root" "$MIRROR" >/tmp/rivetr-debootstrap.log 2>&1 ||
    { say "debootstrap failed; see /tmp/rivetr-debootstrap.log"; tail -n 20 /tmp/rivetr-debootstrap.log >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # The packages' own clusters and data are not wanted: each container initialises its own.
  rm -rf "$root"/var/lib/postgresql/* "$root"/var/lib/mysql/* "$root"/etc/postgresql/*
  say "importing $BASE"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BASE" >/dev/null
fi
build() { # tag entrypoint port volume [cmd]
  local ctx; ctx="$(mktemp -d)"
  cp "$2" "$ctx/entrypoint.sh"
  {
    echo "FROM $BASE"
    echo "COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh"
    echo "EXPOSE $3"
    echo "VOLUME $4"
    echo 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
    [ -n "${5:-}" ] && echo "CMD $5"
  } >"$ctx/Dockerfile"
  docker build -q -t "$1" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "built $1"
}
have rivetr-test/postgres:15 || build rivetr-test/postgres:15 dbimages/postgres-entrypoint.sh 5432 /var/lib/postgresql/data
have rivetr-test/mariadb:10 || build rivetr-test/mariadb:10 dbimages/mariadb-entrypoint.sh 3306 /var/lib/mysql
have rivetr-test/redis:7 || build rivetr-test/redis:7 dbimages/redis-entrypoint.sh 6379 /data '["redis-server"]'
