#!/usr/bin/env bash
# Where the CPU goes when N pods start at once on one node agent: CPU seconds of the apiserver, the
# agent and the whole machine (from /proc) during one apibench podstart burst (after a 10-pod warm-up).
#   bench/pod-start-cpu.sh [N] [runc|crun]      BENCH_FLAGS="--rate 10": apibench flags for the measured run
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/pod-cpu-XXXXXX); port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet src/ApiServer/bin/Release/net10.0/apiserver.dll --data-dir "$tmp/api" --secure-port "$port" >"$tmp/api.log" 2>&1 & api=$!
for _ in $(seq 1 300); do [[ -f "$tmp/api/admin.kubeconfig" ]] && break; sleep 0.2; done
dotnet src/NodeAgent/bin/Release/net10.0/nodeagent.dll --kubeconfig "$tmp/api/admin.kubeconfig" --node-name bench-node --root-dir "$tmp/node" --container-runtime "${2:-runc}" --port 0 >"$tmp/agent.log" 2>&1 & agent=$!
for _ in $(seq 1 300); do grep -q "registered node bench-node" "$tmp/agent.log" && break; sleep 0.2; done
ticks() { awk '{print $14+$15+$16+$17}' /proc/$1/stat; }
own() { awk '{print $14+$15}' /proc/$1/stat; }
tot() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
dotnet bench/ApiBench/bin/Release/net10.0/apibench.dll podstart --kubeconfig "$tmp/api/admin.kubeconfig" --node bench-node --pods 10 --namespace warm 2>/dev/null | tail -2
source bench/settle.sh
settle_cpu
a0=$(ticks $api); g0=$(ticks $agent); o0=$(own $agent); t0=$(tot)
/usr/bin/time -f "%U %S" -o "$tmp/client.cpu" dotnet bench/ApiBench/bin/Release/net10.0/apibench.dll podstart --kubeconfig "$tmp/api/admin.kubeconfig" --node bench-node --pods "${1:-100}" --namespace burst --keep ${BENCH_FLAGS:-} 2>/dev/null | tail -3
a1=$(ticks $api); g1=$(ticks $agent); o1=$(own $agent); t1=$(tot)
echo "apiserver $(( (a1-a0) ))cs agent $(( (g1-g0) ))cs (its own $(( o1-o0 ))cs, the rest its children: runtime, mounts) apibench $(awk '{printf "%.0f", ($1+$2)*100}' "$tmp/client.cpu")cs total $(( (t1-t0) ))cs (centiseconds)"
kill $agent; wait $agent 2>/dev/null || true; kill $api; wait $api 2>/dev/null || true; rm -rf $tmp
