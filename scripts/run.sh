#!/usr/bin/env bash
# Starts KvCluster's main job: a single-machine cluster — one KV member (kvserver, etcd's v3 API on
# 127.0.0.1:2379) and the Kubernetes API server (apiserver, HTTPS on 127.0.0.1:6443) storing its
# objects in it. Prints where admin.kubeconfig is; then `kubectl --kubeconfig <it> get ns` works.
# Ctrl-C stops both. Data lives in ./kvcluster.data (override: KVCLUSTER_DATA=/path scripts/run.sh).
# Extra arguments go to the apiserver (e.g. --secure-port 7443).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "dotnet SDK 10 is required (see global.json)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
data="${KVCLUSTER_DATA:-$PWD/kvcluster.data}"
mkdir -p "$data"

echo "[1/4] building kvserver and apiserver"
dotnet build src/KvServer -c Release -v quiet -nologo
dotnet build src/ApiServer -c Release -v quiet -nologo

echo "[2/4] starting the KV member (etcd v3 API on 127.0.0.1:2379, data $data/member, log $data/kvserver.log)"
dotnet src/KvServer/bin/Release/net10.0/kvserver.dll --name default --data-dir "$data/member" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 >"$data/kvserver.log" 2>&1 &
kv=$!
api=""
stop() {
  trap - INT TERM EXIT
  echo "stopping"
  [[ -n "$api" ]] && kill -TERM "$api" 2>/dev/null && wait "$api" 2>/dev/null || true
  kill -TERM "$kv" 2>/dev/null && wait "$kv" 2>/dev/null || true
}
trap stop INT TERM EXIT
for _ in $(seq 1 300); do
  curl -sf http://127.0.0.1:2379/health >/dev/null 2>&1 && break
  kill -0 "$kv" 2>/dev/null || { echo "kvserver exited; see $data/kvserver.log" >&2; exit 1; }
  sleep 0.2
done

echo "[3/4] starting the apiserver (store: the KV member)"
rm -f "$data/admin.kubeconfig"
dotnet src/ApiServer/bin/Release/net10.0/apiserver.dll --data-dir "$data" --etcd-servers http://127.0.0.1:2379 "$@" &
api=$!
for _ in $(seq 1 300); do
  [[ -f "$data/admin.kubeconfig" ]] && break
  kill -0 "$api" 2>/dev/null || { echo "apiserver exited" >&2; exit 1; }
  sleep 0.2
done
echo "[4/4] ready: kubectl --kubeconfig $data/admin.kubeconfig get ns   (Ctrl-C stops the cluster)"
wait "$api"
