#!/usr/bin/env bash
# bench-traefik.sh builds Traefik from its module source into bench/.bin
# for the TLS benchmark (no Traefik binary can be fetched here). Its go.mod
# has replace lines, so it is built inside its own module, not with
# `go install`. The first build takes several minutes; later runs keep it.
set -euo pipefail
version=${TRAEFIK_VERSION:-v3.6.12}
out=${1:-bench/.bin/traefik}
[ -x "$out" ] && exit 0
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
echo "bench-traefik: building Traefik $version from its module source (several minutes the first time)" >&2
dir=$(go mod download -json "github.com/traefik/traefik/v3@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
src=$(mktemp -d)
trap 'chmod -R u+w "$src"; rm -rf "$src"' EXIT
cp -r "$dir/." "$src" && chmod -R u+w "$src"
mkdir -p "$(dirname "$out")"
(cd "$src" && go build -trimpath -o "$OLDPWD/$out.tmp" ./cmd/traefik)
mv "$out.tmp" "$out"
echo "$version" > "$out.version"   # a build from source calls itself "dev"
