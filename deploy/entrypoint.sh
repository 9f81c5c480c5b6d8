#!/bin/sh
# Starts one program of the published cluster, as the container image does:
#
#   entrypoint.sh silo|api [ARGS...]
#
# Runs ROLE/Cluster.Silo.dll or ROLE/Cluster.Api.dll beside this script (the layout that
# deploy/publish.sh writes and the image holds), in its own folder so its appsettings.json is
# read, with ARGS passed on (e.g. --urls, --config FILE, --Cluster:SiloPort 11112).
# Cluster__AdvertisedAddress=auto is replaced by this host's first IP address, which is what a
# container needs: other silos reach it there (Kubernetes hosting sets it from the pod instead).
# exec: the program gets SIGTERM itself and drains (Cluster:DrainTimeoutSeconds).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
role=${1:-}
case $role in
  silo) dll=Cluster.Silo.dll ;;
  api) dll=Cluster.Api.dll ;;
  *)
    echo "usage: $0 silo|api [ARGS...]" >&2
    exit 2
    ;;
esac
shift

if [ "${Cluster__AdvertisedAddress:-}" = auto ]; then
  address=$(hostname -i 2>/dev/null | awk '{print $1}')
  if [ -z "$address" ]; then
    echo "entrypoint: Cluster__AdvertisedAddress=auto, but this host's address could not be found" >&2
    exit 2
  fi
  Cluster__AdvertisedAddress=$address
  export Cluster__AdvertisedAddress
fi

cd "$here/$role"
exec dotnet "$dll" "$@"
