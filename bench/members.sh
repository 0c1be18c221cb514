# Sourced by cluster-compare.sh and check-perf.sh: N members of etcd 3.4.23 or of kvserver on 127.0.0.1,
# started with etcd's flags (one member alone is a standalone kvserver).
#   start_members KIND N CLIENT_BASE PEER_BASE DIR_PREFIX TOKEN   prints each member's pid
#     member i: client port CLIENT_BASE + 10 i, peer port PEER_BASE + 10 i, data dir DIR_PREFIXm<i>, log DIR_PREFIXm<i>.log
#   member_endpoints N CLIENT_BASE                                 prints 127.0.0.1:a,127.0.0.1:b,…
#   wait_healthy N CLIENT_BASE                                     waits (20 s at most) for every member's /health
# KVSERVER_ENV="NAME=value …": extra environment for the kvserver members only (e.g. a GC setting to compare).
start_members() {
  local kind=$1 n=$2 client=$3 peer=$4 prefix=$5 token=$6 ic="" i
  for i in $(seq 0 $((n - 1))); do ic+="${ic:+,}m$i=http://127.0.0.1:$((peer + 10 * i))"; done
  for i in $(seq 0 $((n - 1))); do
    local c=$((client + 10 * i)) p=$((peer + 10 * i)) dir=${prefix}m$i
    rm -rf "$dir"
    local flags=(--name m$i --data-dir "$dir" --listen-client-urls http://127.0.0.1:$c --advertise-client-urls http://127.0.0.1:$c
      --listen-peer-urls http://127.0.0.1:$p --initial-advertise-peer-urls http://127.0.0.1:$p --initial-cluster "$ic"
      --initial-cluster-token "$token")
    if [[ $kind == etcd ]]; then
      etcd "${flags[@]}" --log-level error --logger zap >"$dir.log" 2>&1 &
    else
      # shellcheck disable=SC2086 # KVSERVER_ENV is a list of NAME=value words
      env ${KVSERVER_ENV:-} dotnet src/KvServer/bin/Release/net10.0/kvserver.dll "${flags[@]}" --log-level warn >"$dir.log" 2>&1 &
    fi
    echo $!
  done
}

member_endpoints() {
  local n=$1 client=$2 eps="" i
  for i in $(seq 0 $((n - 1))); do eps+="${eps:+,}127.0.0.1:$((client + 10 * i))"; done
  echo "$eps"
}

wait_healthy() {
  local n=$1 client=$2 ok i
  for _ in $(seq 1 200); do
    ok=0; for i in $(seq 0 $((n - 1))); do curl -sf http://127.0.0.1:$((client + 10 * i))/health >/dev/null && ok=$((ok + 1)); done
    [[ $ok == "$n" ]] && return 0; sleep 0.1
  done
}
