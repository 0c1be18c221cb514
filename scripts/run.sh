#!/usr/bin/env bash
# Starts KvCluster's main job on the embedded default. Until the etcd-compatible server lands, that
# is the storage engine's demo: a tour of the MVCC engine, then a load with progress, on ./.kvdemo-data.
# Extra arguments go to kvdemo, e.g. scripts/run.sh --keys 1000000 --data-dir /tmp/kv
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "dotnet SDK 10 is required (see global.json)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet run --project src/KvDemo -c Release -- "$@"
