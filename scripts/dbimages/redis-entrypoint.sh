#!/bin/sh
# A stand-in for the official redis image's entrypoint: it runs the command
# it is given (redis-server and its flags) in /data.
set -eu
mkdir -p /data
cd /data
[ $# -gt 0 ] || set -- redis-server
exec "$@"
