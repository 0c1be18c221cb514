#!/usr/bin/env bash
# Leader fail-over time of a 3-member kvserver cluster on 127.0.0.1: kill -9 the leader, time until
# both survivors name the same new leader (polled every 10 ms with etcdctl endpoint status), restart
# the killed member, repeat.   bench/failover.sh [rounds (default 10)] [heartbeat ms (50)] [election ms (500)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}; hb=${2:-50}; el=${3:-500}
dotnet build src/KvServer -c Release -v quiet -nologo >/dev/null
base=24500; ic=""; for i in 0 1 2; do ic+="${ic:+,}m$i=http://127.0.0.1:$((base + 10 * i + 1))"; done
declare -a pids
start() { local i=$1 c=$((base + 10 * $1)) p=$((base + 10 * $1 + 1))
  dotnet src/KvServer/bin/Release/net10.0/kvserver.dll --name m$i --data-dir /tmp/failover-m$i --listen-client-urls http://127.0.0.1:$c \
    --advertise-client-urls http://127.0.0.1:$c --listen-peer-urls http://127.0.0.1:$p --initial-advertise-peer-urls http://127.0.0.1:$p \
    --initial-cluster "$ic" --initial-cluster-token failover --heartbeat-interval "$hb" --election-timeout "$el" --log-level warn >>/tmp/failover-m$i.log 2>&1 &
  pids[$i]=$!; }
leader_of() { ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$((base + 10 * $1))" --command-timeout 1s endpoint status -w json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["leader"])' 2>/dev/null || echo 0; }
index_of() { ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$((base + 10 * $1))" endpoint status -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["member_id"])'; }
rm -rf /tmp/failover-m*; for i in 0 1 2; do start $i; done
trap 'kill ${pids[@]} 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do [[ $(leader_of 0) != 0 ]] && break; sleep 0.1; done
declare -A ids; for i in 0 1 2; do ids[$(index_of $i)]=$i; done
times=()
for r in $(seq 1 "$rounds"); do
  l=${ids[$(leader_of 0)]}
  others=(); for i in 0 1 2; do [[ $i != "$l" ]] && others+=("$i"); done
  t0=$(date +%s%N); kill -9 "${pids[$l]}"; wait "${pids[$l]}" 2>/dev/null || true
  while true; do
    a=$(leader_of "${others[0]}"); b=$(leader_of "${others[1]}")
    if [[ $a != 0 && $a == "$b" && ${ids[$a]:-x} != "$l" ]]; then break; fi
    sleep 0.01
  done
  ms=$(( ($(date +%s%N) - t0) / 1000000 )); times+=("$ms")
  echo "round $r: killed m$l, new leader m${ids[$a]} after $ms ms"
  start "$l"; for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$((base + 10 * l))/health" >/dev/null && break; sleep 0.1; done
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "fail-over ms over %d rounds (heartbeat '"$hb"' ms, election timeout '"$el"' ms): min %d, median %d, max %d\n", NR, a[1], a[int((NR+1)/2)], a[NR]}'
