#!/usr/bin/env bash
# bench-deps.sh installs (as root on Debian) the load generator and the
# reverse proxies the benchmarks compare against: wrk, nginx and Caddy, and
# Debian's docker-compose (the stack benchmark's baseline).
set -euo pipefail
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "bench-deps: missing ${need[*]}: install them (Debian: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
