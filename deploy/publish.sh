#!/usr/bin/env bash
# The release build of the silo and the api, laid out as the container image holds it:
#
#   deploy/publish.sh OUT_DIR      ->  OUT_DIR/silo/, OUT_DIR/api/, OUT_DIR/entrypoint.sh
#
# Framework-dependent (the image's base has the ASP.NET Core runtime) and for this machine's
# Linux runtime only (RUNTIME, default linux-x64 or linux-arm64 by `uname -m`), which leaves out
# the native libraries of other systems (about 240 MB per program).
# The Dockerfile runs exactly this; deploy/run-published.sh runs it and then starts the outputs
# through OUT_DIR/entrypoint.sh, as the image's entrypoints do.
set -euo pipefail
(($# == 1)) || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
case ${RUNTIME:-$(uname -m)} in
  x86_64 | amd64 | linux-x64) runtime=linux-x64 ;;
  aarch64 | arm64 | linux-arm64) runtime=linux-arm64 ;;
  *) echo "publish: unsupported machine '${RUNTIME:-$(uname -m)}'; set RUNTIME to a .NET runtime identifier" >&2; exit 2 ;;
esac
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
for project in silo/Cluster.Silo.csproj api/Cluster.Api.csproj; do
  name=$(dirname "$project")
  rm -rf "${out:?}/$name"
  dotnet publish "$root/$project" -c Release -r "$runtime" --self-contained false -o "$out/$name" -nologo
done
install -m 755 "$root/deploy/entrypoint.sh" "$out/entrypoint.sh"
echo "publish: silo and api for $runtime in $out"
