#!/usr/bin/env bash
# Starts KvCluster's main job on the embedded default: one KV member (kvserver) speaking etcd's v3 API
# on 127.0.0.1:2379, data in ./default.etcd. Use it with etcdctl (ETCDCTL_API=3 etcdctl put a 1).
# Extra arguments are etcd's flags, e.g. scripts/run.sh --data-dir /tmp/kv --listen-client-urls http://127.0.0.1:12379
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "dotnet SDK 10 is required (see global.json)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/KvServer -c Release -v quiet -nologo
exec dotnet src/KvServer/bin/Release/net10.0/kvserver.dll "$@"
