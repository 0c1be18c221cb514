#!/usr/bin/env bash
# `etcdctl check perf` against a fresh etcd 3.4.23 and a fresh kvserver, alternating (A B A B ...),
# each a single member on 127.0.0.1 with fsync on, data on the same disk. Writes a markdown table.
#   bench/check-perf.sh [loads (default "m l")] [rounds (default 2)]
#   MEMBERS=3 bench/check-perf.sh …   3-member clusters of each instead (file <date>-check-perf-3-members.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/members.sh
loads=${1:-"m l"}; rounds=${2:-2}
command -v etcd >/dev/null || { apt-get update -qq && apt-get install -y -qq etcd-server etcd-client >/dev/null; }
dotnet build src/KvServer -c Release -v quiet -nologo >/dev/null
members=${MEMBERS:-1}
[[ $members == 1 || $members == 3 ]] || { echo "MEMBERS must be 1 or 3" >&2; exit 2; }
suffix=""
[[ $members == 3 ]] && suffix="-3-members"
out=bench/results/$(date -u +%F)-check-perf$suffix.md
# Client ports 23795, 23805, 23815; peer ports 100 above.
port=23795; peer=23895
run() { # kind load -> prints "throughput slowest stddev verdict rss_kb" (peak RSS summed over the members)
  local kind=$1 load=$2 dir pids
  dir=$(mktemp -d /tmp/perf-$kind-XXXX)
  pids=$(start_members "$kind" "$members" $port $peer "$dir/" perf)
  wait_healthy "$members" $port
  local res
  res=$(ETCDCTL_API=3 timeout 300 etcdctl --endpoints "$(member_endpoints "$members" $port)" check perf --load="$load" 2>&1 | tr '\r' '\n' | grep -v ' / ' || true)
  local rss=0 pid
  for pid in $pids; do rss=$((rss + $(awk '/VmHWM/ {print $2}' /proc/$pid/status))); done
  for pid in $pids; do kill $pid; done
  # Not our children (started in a subshell): poll until they are gone.
  for pid in $pids; do for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; done
  rm -rf "$dir"
  local tp slow sd verdict
  tp=$(grep -o 'Throughput[^0-9]*[0-9]* writes/s' <<<"$res" | grep -o '[0-9]* writes' | cut -d' ' -f1)
  slow=$(grep -o 'request took[^0-9]*[0-9.]*s' <<<"$res" | grep -o '[0-9.]*s$')
  sd=$(grep -o 'Stddev[^0-9]*[0-9.]*s' <<<"$res" | grep -o '[0-9.]*s$')
  verdict=$(grep -xE 'PASS|FAIL' <<<"$res" | tail -1)
  echo "$tp ${slow:-?} ${sd:-?} ${verdict:-?} $rss"
}
{
  echo "# etcdctl check perf: etcd 3.4.23 vs kvserver ($(date -u +%F))"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); disk: $(df -h /tmp | awk 'NR==2 {print $1}')."
  echo "Versions: $(etcd --version | head -1), kvserver $(git rev-parse --short HEAD). Command: \`${MEMBERS:+MEMBERS=$MEMBERS }bench/check-perf.sh \"$loads\" $rounds\`."
  echo "Both ${suffix:+3-member clusters (etcdctl given all three endpoints; peak RSS summed)}${suffix:-single members} on 127.0.0.1, fsync on, fresh data dirs, runs alternating etcd, kvserver, etcd, kvserver, ..."
  echo
  echo "| load | round | server | writes/s | slowest request | stddev | verdict | peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} >"$out"
for load in $loads; do
  for r in $(seq 1 "$rounds"); do
    for kind in etcd kvserver; do
      read -r tp slow sd verdict rss < <(run $kind "$load")
      echo "| $load | $r | $kind | $tp | $slow | $sd | $verdict | $((rss / 1024)) MiB |" | tee -a "$out"
    done
  done
done
echo "written $out"
