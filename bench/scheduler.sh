#!/usr/bin/env bash
# The scheduler in the pod start path: an apiserver (embedded store, a free port, a fresh temporary data dir),
# the controllers (the scheduler) and three node agents on the hollow runtime (simulated containers: what is
# measured is the control plane, not runc), then apibench podstart, each run once the machine has settled:
#   1) the reference, same run: --pods N created at once with spec.nodeName set (no scheduling)
#   2) the same N pods at once without nodeName: the scheduler binds each (their spread over the nodes is counted)
#   3) N pods at 50 pods/s without nodeName
# Reports create → Running (seen through a watch) p50/p90/p99/max, the ratio of 2) to 1), and the scheduler's
# own attempt latency from its /metrics. Writes bench/results/<date>-scheduler.md (or --out FILE).
#   bench/scheduler.sh [--pods 300] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
pods=300 out=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --pods) pods=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--pods N] [--out FILE]" >&2; exit 2 ;;
  esac
done
out=${out:-bench/results/$(date -u +%F)-scheduler.md}

echo "building (Release)" >&2
for p in src/ApiServer src/Controllers src/NodeAgent bench/ApiBench; do dotnet build "$p" -c Release -v quiet -nologo >/dev/null; done

tmp=$(mktemp -d /tmp/scheduler-bench-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics_port=$(free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
echo "starting the apiserver, the controllers and 3 hollow node agents" >&2
dotnet src/ApiServer/bin/Release/net10.0/apiserver.dll --data-dir "$tmp/api" --secure-port "$port" >"$tmp/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [[ -f "$tmp/api/admin.kubeconfig" ]] && break; sleep 0.2; done
kubeconfig="$tmp/api/admin.kubeconfig"
dotnet src/Controllers/bin/Release/net10.0/controllers.dll --kubeconfig "$kubeconfig" --port "$metrics_port" >"$tmp/controllers.log" 2>&1 &
pids=($! "${pids[@]}")
for n in 1 2 3; do
  dotnet src/NodeAgent/bin/Release/net10.0/nodeagent.dll --kubeconfig "$kubeconfig" --node-name "node-$n" --root-dir "$tmp/node-$n" \
    --container-runtime hollow --max-pods 1000 --port 0 >"$tmp/agent-$n.log" 2>&1 &
  pids=($! "${pids[@]}")
done
for n in 1 2 3; do
  for _ in $(seq 1 300); do grep -q "registered node node-$n" "$tmp/agent-$n.log" && break; sleep 0.2; done
done
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$metrics_port/readyz" >/dev/null && break; sleep 0.2; done

bench() { dotnet bench/ApiBench/bin/Release/net10.0/apibench.dll podstart --kubeconfig "$kubeconfig" --pods "$pods" --timeout-seconds 120 "$@"; }
source bench/settle.sh
settle_cpu
echo "run 1: $pods pods at once, bound by their spec (node-1)" >&2
bound=$(bench --namespace bound --node node-1 --clients 8 --json "$tmp/bound.json")
settle_cpu
echo "run 2: $pods pods at once, scheduled" >&2
scheduled=$(bench --namespace scheduled --node "" --clients 8 --keep --json "$tmp/scheduled.json")
spread=$(kubectl --kubeconfig "$kubeconfig" get pods -n scheduled -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort | uniq -c | awk '{printf "%s%s: %s", sep, $2, $1; sep=", "}')
kubectl --kubeconfig "$kubeconfig" delete pods --all -n scheduled --wait=true >/dev/null
settle_cpu
echo "run 3: $pods pods at 50/s, scheduled" >&2
paced=$(bench --namespace paced --node "" --rate 50 --json "$tmp/paced.json")
metrics=$(curl -sf "http://127.0.0.1:$metrics_port/metrics")
attempts=$(echo "$metrics" | awk '/^scheduler_schedule_attempts_total\{result="scheduled"\}/ {print $2}')
mean_ms=$(echo "$metrics" | awk '/^scheduler_scheduling_attempt_duration_seconds_sum\{result="scheduled"\}/ {s=$2} /^scheduler_scheduling_attempt_duration_seconds_count\{result="scheduled"\}/ {c=$2} END {printf "%.1f", c ? s / c * 1000 : 0}')

j() { python3 -c "import json,sys; d=json.load(open('$1')); print(d['$2'])"; }
mkdir -p "$(dirname "$out")"
{
  echo "# The scheduler in the pod start path (hollow nodes) — $(date -u +%F)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); apiserver on the embedded store, the controllers (scheduler) and 3 node agents on the hollow runtime, all on this machine."
  echo "Command: \`bench/scheduler.sh --pods $pods\` (apibench podstart: create → pod Running seen through a watch; each run starts once the machine has settled, bench/settle.sh)."
  echo
  echo "| run | pods Running | p50 ms | p90 ms | p99 ms | max ms | Kubernetes SLO p99 |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for run in bound scheduled paced; do
    f="$tmp/$run.json"
    label=$(case $run in bound) echo "reference: at once, spec.nodeName set (no scheduling)" ;; scheduled) echo "at once, scheduled" ;; *) echo "50 pods/s, scheduled" ;; esac)
    echo "| $label | $(j "$f" running)/$pods | $(j "$f" start_p50_ms) | $(j "$f" start_p90_ms) | $(j "$f" start_p99_ms) | $(j "$f" start_max_ms) | 5000 |"
  done
  echo
  python3 -c "
b, s = $(j "$tmp/bound.json" start_p99_ms), $(j "$tmp/scheduled.json" start_p99_ms)
b50, s50 = $(j "$tmp/bound.json" start_p50_ms), $(j "$tmp/scheduled.json" start_p50_ms)
print(f'Scheduled vs bound by spec, at once, same run: p50 {s50 / b50:.2f}x ({s50:,.0f} vs {b50:,.0f} ms), p99 {s / b:.2f}x ({s:,.0f} vs {b:,.0f} ms).')"
  echo
  echo "Spread of the $pods pods scheduled at once over the 3 equal nodes: $spread."
  echo "The scheduler's attempts that bound a pod: $attempts; mean attempt (filter, score, bind) $mean_ms ms (scheduler_scheduling_attempt_duration_seconds)."
  echo
  echo '```'
  echo "$bound"
  echo "$scheduled"
  echo "$paced"
  echo '```'
} >"$out"
cat "$out"
