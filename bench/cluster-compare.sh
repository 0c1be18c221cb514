#!/usr/bin/env bash
# 3-member (or MEMBERS=1: single-member) etcd 3.4.23 vs kvserver on 127.0.0.1 (fsync on for both, fresh
# data dirs), the same kvbench load against each, alternating (etcd, kvserver, etcd, kvserver, ...). Writes a table.
#   bench/cluster-compare.sh [rounds (default 3)] [kvbench args (default: put, 100 conns, 500 clients)]
#   MEMBERS=1 bench/cluster-compare.sh …   one member each (file <date>-1-member…md)
#   WARMUP=N bench/cluster-compare.sh …   first N untimed puts on each fresh cluster (both servers alike)
#   OUT=FILE bench/cluster-compare.sh …     writes FILE instead
#   KVSERVER_ENV="NAME=value …" bench/cluster-compare.sh …   extra environment for kvserver only (see members.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/members.sh
rounds=${1:-3}
load=${2:-"put --conns 100 --clients 500 --total 60000 --key-size 8 --val-size 256 --key-space-size 100000"}
command -v etcd >/dev/null || { apt-get update -qq && apt-get install -y -qq etcd-server etcd-client >/dev/null; }
dotnet build src/KvServer -c Release -v quiet -nologo >/dev/null
dotnet build bench/KvBench -c Release -v quiet -nologo >/dev/null
workload=${load%% *}
members=${MEMBERS:-3}
[[ $members == 1 || $members == 3 ]] || { echo "MEMBERS must be 1 or 3" >&2; exit 2; }
topology=$([[ $members == 1 ]] && echo "1-member" || echo "3-members")
# One file per workload: <date>-3-members.md for put, <date>-3-members-<workload>[-<consistency>].md otherwise.
suffix=$([[ $workload == put ]] || echo "-$workload")
[[ $load =~ --consistency\ ([ls]) ]] && suffix+="-${BASH_REMATCH[1]}"
out=${OUT:-bench/results/$(date -u +%F)-$topology$suffix${WARMUP:+-warm}.md}
run() { # kind -> prints "req/s p50 p99 p999 max errors rss_mib"
  local kind=$1 pids eps base
  base=$([[ $kind == etcd ]] && echo 24300 || echo 24400)
  pids=$(start_members "$kind" "$members" $base $((base + 1)) /tmp/cmp-$kind- cmp-$kind)
  eps=$(member_endpoints "$members" $base)
  wait_healthy "$members" $base
  if [[ ${WARMUP:-0} -gt 0 ]]; then # the same untimed put load first, on both servers alike
    dotnet bench/KvBench/bin/Release/net10.0/kvbench.dll put --conns 100 --clients 500 --total "$WARMUP" --key-size 8 --val-size 256 \
      --key-space-size 100000 --endpoints "$eps" >/dev/null 2>&1
  fi
  local cpu0 cpu1
  cpu0=$(cpu_ticks $pids)
  /usr/bin/time -f "%U %S" -o /tmp/cmp-$kind.time \
    dotnet bench/KvBench/bin/Release/net10.0/kvbench.dll $load --endpoints "$eps" --json /tmp/cmp-$kind.json >/dev/null
  cpu1=$(cpu_ticks $pids)
  local rss=0 p
  for p in $pids; do rss=$((rss + $(awk '/VmHWM/ {print $2}' /proc/$p/status))); done
  for p in $pids; do kill "$p"; done
  # Not our children (started in a subshell): poll until they are gone.
  for p in $pids; do for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  rm -rf /tmp/cmp-$kind-m*
  # CPU seconds during the load: the members' (from /proc, clock ticks) and kvbench's own (user + system).
  python3 -c "import json;d=json.load(open('/tmp/cmp-$kind.json'));c=sum(map(float,open('/tmp/cmp-$kind.time').read().split()[-2:]));s=($cpu1-$cpu0)/$(getconf CLK_TCK);print(d['requests_per_second'],d['p50_ms'],d['p99_ms'],d['p999_ms'],d['max_ms'],d['errors'],$rss//1024,round(s,1),round(c,1),round(s*1e6/max(1,d['total'])))"
}
cpu_ticks() { # pids -> utime + stime of all, in clock ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done
  echo $t
}
{
  echo "# $members member(s): etcd 3.4.23 vs kvserver ($(date -u +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); disk: $(df -h /tmp | awk 'NR==2 {print $1}')."
  echo "Versions: $(etcd --version | head -1), kvserver $(git rev-parse --short HEAD). Command: \`${KVSERVER_ENV:+KVSERVER_ENV=\"$KVSERVER_ENV\" }${MEMBERS:+MEMBERS=$MEMBERS }bench/cluster-compare.sh $rounds \"$load\"\`."
  echo "Each cluster: $members member(s) on 127.0.0.1, default heartbeat/election timeouts, fsync on, fresh data dirs; kvbench spreads its"
  echo "connections over all client URLs. Rounds alternate etcd, kvserver. Peak RSS is the sum over the members.${WARMUP:+ Each cluster took $WARMUP untimed puts (the same load) before the measured run.}"
  echo
  echo "| round | server | requests/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | peak RSS ($members member(s)) | CPU s, members | CPU s, kvbench | members' CPU µs per request |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} >"$out"
rm -f /tmp/cmp-summary.txt
for r in $(seq 1 "$rounds"); do
  for kind in etcd kvserver; do
    read -r rps p50 p99 p999 max errors rss cpu client per < <(run $kind)
    echo "| $r | $kind | $rps | $p50 | $p99 | $p999 | $max | $errors | $rss MiB | $cpu | $client | $per |" | tee -a "$out"
    echo "$kind $rps $p99" >>/tmp/cmp-summary.txt
  done
done
# Ratios of the medians over the rounds (kvserver / etcd for throughput, etcd / kvserver for p99: > 1 is better).
python3 - "$out" <<'PY' | tee -a "$out"
import statistics, sys
rows = [l.split() for l in open("/tmp/cmp-summary.txt")]
med = lambda kind, i: statistics.median(float(r[i]) for r in rows if r[0] == kind)
e, k = med("etcd", 1), med("kvserver", 1)
ep, kp = med("etcd", 2), med("kvserver", 2)
print(f"\nMedians: etcd {e:,.0f} requests/s, p99 {ep:.1f} ms; kvserver {k:,.0f} requests/s, p99 {kp:.1f} ms. "
      f"Throughput ratio kvserver/etcd **{k / e:.2f}x**; p99 kvserver {'below' if kp < ep else 'above'} etcd's ({kp / ep:.2f}x).")
PY
rm -f /tmp/cmp-summary.txt
echo "written $out"
