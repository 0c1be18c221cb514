#!/usr/bin/env bash
# Pod start latency on one node agent: an apiserver (embedded store, a free port, a fresh temporary
# data dir) and one nodeagent (runc, node "bench-node"), then apibench podstart:
#   0) the reference: bench/runc-floor.sh N, runc alone starting N busybox containers at once
#   1) --pods N created all at once (8 clients), kept running: the agent's RSS with N pods is read
#   2) and 3) the same N pods again, created at 10 and at 25 pods/s
# Before each run the machine settles (bench/settle.sh: a second at least 85 % idle, 30 s at most), so a
# run does not pay for the teardown of the one before it (runc delete, unmounts, the kernel's deferred
# network-namespace cleanup go on for seconds after the API objects are gone).
# Each reports create → Running (seen through a watch) p50/p90/p99/max, then deletes its pods. Writes
# bench/results/<date>-pod-start.md (or --out FILE) with the machine, the commands and the agent's
# peak RSS (VmHWM).   bench/pod-start.sh [--pods 100] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
pods=100 out=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --pods) pods=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--pods N] [--out FILE]" >&2; exit 2 ;;
  esac
done
out=${out:-bench/results/$(date -u +%F)-pod-start.md}
command -v runc >/dev/null && [[ -x /bin/busybox ]] || { echo "needs runc and busybox-static (apt-get install -y runc busybox-static)" >&2; exit 1; }

echo "building (Release)" >&2
dotnet build src/ApiServer -c Release -v quiet -nologo >/dev/null
dotnet build src/NodeAgent -c Release -v quiet -nologo >/dev/null
dotnet build bench/ApiBench -c Release -v quiet -nologo >/dev/null

echo "reference: $pods bare runc containers at once (bench/runc-floor.sh)" >&2
floor=$(bash bench/runc-floor.sh "$pods")

tmp=$(mktemp -d /tmp/pod-start-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
api="" agent=""
cleanup() {
  [[ -n "$agent" ]] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  [[ -n "$api" ]] && kill -TERM "$api" 2>/dev/null && wait "$api" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
dotnet src/ApiServer/bin/Release/net10.0/apiserver.dll --data-dir "$tmp/api" --secure-port "$port" >"$tmp/api.log" 2>&1 &
api=$!
for _ in $(seq 1 300); do [[ -f "$tmp/api/admin.kubeconfig" ]] && break; sleep 0.2; done
kubeconfig="$tmp/api/admin.kubeconfig"
dotnet src/NodeAgent/bin/Release/net10.0/nodeagent.dll --kubeconfig "$kubeconfig" --node-name bench-node --root-dir "$tmp/node" \
  --container-runtime runc --port 0 >"$tmp/agent.log" 2>&1 &
agent=$!
for _ in $(seq 1 300); do grep -q "registered node bench-node" "$tmp/agent.log" && break; sleep 0.2; done

bench() { dotnet bench/ApiBench/bin/Release/net10.0/apibench.dll podstart --kubeconfig "$kubeconfig" --node bench-node --pods "$pods" --timeout-seconds 120 "$@"; }
source bench/settle.sh
settle_cpu
echo "run 1: $pods pods at once" >&2
burst=$(bench --namespace burst --clients 8 --keep --json "$tmp/burst.json")
rss_running=$(awk '/VmRSS/ {print $2}' /proc/$agent/status)
runc_rss=$({ ps -C runc -o rss= || true; } | awk '{s+=$1} END {print s+0}')
kubectl --kubeconfig "$kubeconfig" delete pods --all -n burst --wait=true >/dev/null
settle_cpu
echo "run 2: $pods pods at 10/s" >&2
paced=$(bench --namespace paced --rate 10 --json "$tmp/paced.json")
settle_cpu
echo "run 3: $pods pods at 25/s" >&2
faster=$(bench --namespace faster --rate 25 --json "$tmp/faster.json")
hwm=$(awk '/VmHWM/ {print $2}' /proc/$agent/status)

j() { python3 -c "import json,sys; d=json.load(open('$1')); print(d['$2'])"; }
mkdir -p "$(dirname "$out")"
{
  echo "# Pod start latency on one node agent (runc) — $(date -u +%F)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), runc $(runc --version | awk 'NR==1 {print $3}'); apiserver on the embedded store and the node agent on the same machine."
  echo "Command: \`bench/pod-start.sh --pods $pods\` (apibench podstart: create → pod Running seen through a watch; image busybox, present; each run starts once the machine has settled after the one before, bench/settle.sh)."
  echo
  echo "| run | pods Running | p50 ms | p90 ms | p99 ms | max ms | target p99 | Kubernetes SLO p99 |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for run in burst paced faster; do
    f="$tmp/$run.json"
    label=$(case $run in burst) echo "all at once (8 clients)" ;; paced) echo "10 pods/s" ;; *) echo "25 pods/s" ;; esac)
    p99=$(j "$f" start_p99_ms)
    verdict=$(python3 -c "print('PASS' if $p99 <= 300 else 'MISS')")
    echo "| $label | $(j "$f" running)/$pods | $(j "$f" start_p50_ms) | $(j "$f" start_p90_ms) | $p99 | $(j "$f" start_max_ms) | <= 300 ($verdict) | 5000 |"
  done
  fj() { python3 -c "import json; print(json.loads('$floor')['$1'])"; }
  echo "| reference: runc alone, $pods busybox containers at once (\`bench/runc-floor.sh $pods\`: no apiserver, no agent, no overlay, no network namespace; $(fj cpu_seconds) CPU s) | $(fj started)/$pods | $(fj p50_ms) | $(fj p90_ms) | $(fj p99_ms) | $(fj max_ms) | | |"
  echo
  python3 -c "
agent, floor = $(j "$tmp/burst.json" start_p99_ms), $(fj p99_ms)
print(f'All at once vs runc alone, same machine, same run: p99 {agent / floor:.2f}x ({agent:,.0f} vs {floor:,.0f} ms).'
      + (' The 300 ms target is below what runc by itself needs to start $pods containers together on this machine.' if floor > 300 else ''))"
  echo
  echo "Node agent memory: RSS with $pods pods running $((rss_running / 1024)) MiB; peak RSS over the runs (VmHWM) $((hwm / 1024)) MiB. Containers run detached (\`runc run -d\`, the agent is their subreaper), so no runtime process stays per container: runc processes left with $pods pods running: $((runc_rss / 1024)) MiB."
  echo
  echo '```'
  echo "$burst"
  echo "$paced"
  echo "$faster"
  echo '```'
} >"$out"
cat "$out"
