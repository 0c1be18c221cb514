#!/usr/bin/env bash
# `etcdctl check perf` against a fresh etcd 3.4.23 and a fresh kvserver, alternating (A B A B ...),
# each a single member on 127.0.0.1 with fsync on, data on the same disk. Writes a markdown table.
#   bench/check-perf.sh [loads (default "m l")] [rounds (default 2)]
set -euo pipefail
cd "$(dirname "$0")/.."
loads=${1:-"m l"}; rounds=${2:-2}
command -v etcd >/dev/null || { apt-get update -qq && apt-get install -y -qq etcd-server etcd-client >/dev/null; }
dotnet build src/KvServer -c Release -v quiet -nologo >/dev/null
out=bench/results/$(date -u +%F)-check-perf.md
port=23795; peer=23805
run() { # kind load -> prints "throughput slowest stddev verdict rss_kb"
  local kind=$1 load=$2 dir pid
  dir=$(mktemp -d /tmp/perf-$kind-XXXX)
  if [[ $kind == etcd ]]; then
    etcd --data-dir "$dir" --listen-client-urls http://127.0.0.1:$port --advertise-client-urls http://127.0.0.1:$port \
      --listen-peer-urls http://127.0.0.1:$peer --initial-advertise-peer-urls http://127.0.0.1:$peer \
      --initial-cluster default=http://127.0.0.1:$peer --log-level error --logger zap >"$dir.log" 2>&1 &
  else
    dotnet src/KvServer/bin/Release/net10.0/kvserver.dll --data-dir "$dir" --listen-client-urls http://127.0.0.1:$port --log-level warn >"$dir.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.1; done
  local res
  res=$(ETCDCTL_API=3 timeout 300 etcdctl --endpoints 127.0.0.1:$port check perf --load="$load" 2>&1 | tr '\r' '\n' | grep -v ' / ' || true)
  local rss; rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir" "$dir.log"
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
  echo "Versions: $(etcd --version | head -1), kvserver $(git rev-parse --short HEAD). Command: \`bench/check-perf.sh \"$loads\" $rounds\`."
  echo "Both single members on 127.0.0.1, fsync on, fresh data dirs, runs alternating etcd, kvserver, etcd, kvserver, ..."
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
