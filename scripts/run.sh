#!/usr/bin/env bash
# Starts KvCluster's main job: a single-machine cluster — one KV member (kvserver, etcd's v3 API on
# 127.0.0.1:2379), the Kubernetes API server (apiserver, HTTPS on 127.0.0.1:6443) storing its
# objects in it, the controllers (controllers: the scheduler, which binds pending pods to nodes), and one
# node agent (nodeagent, node "local", runc) that runs the pods bound to it.
# Prints where admin.kubeconfig is; then `kubectl --kubeconfig <it> get no` works.
# Ctrl-C stops all four. Data lives in ./kvcluster.data (override: KVCLUSTER_DATA=/path scripts/run.sh).
# Extra arguments go to the apiserver (e.g. --secure-port 7443).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "dotnet SDK 10 is required (see global.json)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
data="${KVCLUSTER_DATA:-$PWD/kvcluster.data}"
mkdir -p "$data"

# The node agent runs containers with runc; the built-in busybox image comes from busybox-static.
if ! command -v runc >/dev/null || [[ ! -x /bin/busybox ]]; then
  echo "[0/6] installing runc and busybox-static (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc busybox-static >/dev/null
fi

echo "[1/6] building kvserver, apiserver, controllers and nodeagent"
dotnet build src/KvServer -c Release -v quiet -nologo
dotnet build src/ApiServer -c Release -v quiet -nologo
dotnet build src/Controllers -c Release -v quiet -nologo
dotnet build src/NodeAgent -c Release -v quiet -nologo

echo "[2/6] starting the KV member (etcd v3 API on 127.0.0.1:2379, data $data/member, log $data/kvserver.log)"
dotnet src/KvServer/bin/Release/net10.0/kvserver.dll --name default --data-dir "$data/member" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 >"$data/kvserver.log" 2>&1 &
kv=$!
api=""
ctl=""
agent=""
stop() {
  trap - INT TERM EXIT
  echo "stopping"
  [[ -n "$agent" ]] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  [[ -n "$ctl" ]] && kill -TERM "$ctl" 2>/dev/null && wait "$ctl" 2>/dev/null || true
  [[ -n "$api" ]] && kill -TERM "$api" 2>/dev/null && wait "$api" 2>/dev/null || true
  kill -TERM "$kv" 2>/dev/null && wait "$kv" 2>/dev/null || true
}
trap stop INT TERM EXIT
for _ in $(seq 1 300); do
  curl -sf http://127.0.0.1:2379/health >/dev/null 2>&1 && break
  kill -0 "$kv" 2>/dev/null || { echo "kvserver exited; see $data/kvserver.log" >&2; exit 1; }
  sleep 0.2
done

echo "[3/6] starting the apiserver (store: the KV member)"
rm -f "$data/admin.kubeconfig"
dotnet src/ApiServer/bin/Release/net10.0/apiserver.dll --data-dir "$data" --etcd-servers http://127.0.0.1:2379 "$@" &
api=$!
for _ in $(seq 1 300); do
  [[ -f "$data/admin.kubeconfig" ]] && break
  kill -0 "$api" 2>/dev/null || { echo "apiserver exited" >&2; exit 1; }
  sleep 0.2
done
echo "[4/6] starting the controllers (the scheduler; health and metrics on http://127.0.0.1:10259, log $data/controllers.log)"
dotnet src/Controllers/bin/Release/net10.0/controllers.dll --kubeconfig "$data/admin.kubeconfig" --port 10259 >"$data/controllers.log" 2>&1 &
ctl=$!
echo "[5/6] starting the node agent (node \"local\", runc, root $data/node, log $data/nodeagent.log)"
dotnet src/NodeAgent/bin/Release/net10.0/nodeagent.dll --kubeconfig "$data/admin.kubeconfig" --node-name local \
  --root-dir "$data/node" --container-runtime runc --port 10250 >"$data/nodeagent.log" 2>&1 &
agent=$!
for _ in $(seq 1 300); do
  grep -q "registered node local\|node local already registered" "$data/nodeagent.log" 2>/dev/null && break
  kill -0 "$agent" 2>/dev/null || { echo "nodeagent exited; see $data/nodeagent.log" >&2; exit 1; }
  sleep 0.2
done
echo "[6/6] ready: kubectl --kubeconfig $data/admin.kubeconfig get no   (Ctrl-C stops the cluster)"
echo "      pods are scheduled onto node \"local\" (image busybox is built in)"
wait "$api"
