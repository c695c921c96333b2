#!/usr/bin/env bash
# ensure-docker.sh makes sure a Docker engine answers before `make run` starts
# Rivetr. Run as root on Debian/Ubuntu it installs Debian's docker.io and starts
# dockerd, as the common one-line installers do; otherwise it says what to do.
set -euo pipefail
say() { echo "rivetr: $*" >&2; }

docker info >/dev/null 2>&1 && exit 0

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Docker is not installed; installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq docker.io >/dev/null
  else
    say "Docker is not installed. Install it first:"
    say "  Debian/Ubuntu: sudo apt-get install docker.io   (or see https://docs.docker.com/engine/install/)"
    exit 1
  fi
fi

if [ "$(id -u)" != 0 ]; then
  say "Docker is installed but does not answer. Start it (sudo systemctl start docker)"
  say "and make sure your user may use it (sudo usermod -aG docker \$USER, then log in again)."
  exit 1
fi
say "starting dockerd"
if command -v systemctl >/dev/null 2>&1 && systemctl start docker 2>/dev/null; then
  :
else
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && exit 0; sleep 0.5; done
say "dockerd did not come up; see /var/log/dockerd.log"
exit 1
