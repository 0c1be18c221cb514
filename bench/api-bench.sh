#!/usr/bin/env bash
# The apiserver under apibench load: one apiserver (HTTPS, a free port, a fresh temporary data dir) on
# the embedded store, or with --store etcd on a single kvserver member started here; then, in order:
#   create  10,000 pods (~3 KiB each) by 16, 32 and 64 clients (three namespaces)
#   get     10,000 GETs of the last namespace's pods by name, 64 clients
#   list    that namespace's 10,000 pods, 5 rounds of consistent / cached (rv=0) / paged (limit=500) lists
#   watch   1,000 watchers of one namespace's configmaps, 200 configmap creates at 10/s and at 100/s
#           (HTTP/1.1, a connection per watcher), then at 100/s over HTTP/2
# records the servers' peak RSS (VmHWM), stops them, deletes the data dir, and writes
# bench/results/<date>-apiserver[-etcd].md (or --out FILE).
#   bench/api-bench.sh [--store embedded|etcd] [--quick] [--out FILE]
# --quick: a small run of every workload (500 pods, 2 rounds, 50 watchers, 50 events) to try the script.
set -euo pipefail
cd "$(dirname "$0")/.."

store=embedded quick=0 out=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --store) store=$2; shift 2 ;;
    --store=*) store=${1#*=}; shift ;;
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    *) echo "usage: $0 [--store embedded|etcd] [--quick] [--out FILE]" >&2; exit 2 ;;
  esac
done
[[ $store == embedded || $store == etcd ]] || { echo "--store: embedded or etcd" >&2; exit 2; }
if [[ $quick == 1 ]]; then
  pods=500 clients=16 rounds=2 watchers=50 events=50 rate=50
else
  pods=10000 clients=64 rounds=5 watchers=1000 events=200 rate=100
fi
suffix=$([[ $store == etcd ]] && echo "-etcd" || true)$([[ $quick == 1 ]] && echo "-quick" || true)
out=${out:-bench/results/$(date -u +%F)-apiserver$suffix.md}

echo "building (Release)" >&2
dotnet build src/ApiServer -c Release -v quiet -nologo >/dev/null
dotnet build bench/ApiBench -c Release -v quiet -nologo >/dev/null
if [[ $store == etcd ]]; then dotnet build src/KvServer -c Release -v quiet -nologo >/dev/null; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
hwm_mib() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

dir=$(mktemp -d /tmp/apibench.XXXXXX)
api_pid="" kv_pid=""
stop() { # pid -> SIGTERM, then wait up to 20 s, then SIGKILL
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$api_pid"
  stop "$kv_pid"
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port=$(free_port)
etcd_flags=() kv_cmd=()
if [[ $store == etcd ]]; then
  kv_port=$(free_port) peer_port=$(free_port)
  kv_cmd=(dotnet src/KvServer/bin/Release/net10.0/kvserver.dll --name default --data-dir "$dir/kv"
    --listen-client-urls "http://127.0.0.1:$kv_port" --advertise-client-urls "http://127.0.0.1:$kv_port"
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port"
    --initial-cluster "default=http://127.0.0.1:$peer_port" --log-level warn)
  "${kv_cmd[@]}" >"$dir/kvserver.log" 2>&1 &
  kv_pid=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$kv_port/health" >/dev/null && break
    kill -0 "$kv_pid" 2>/dev/null || { cat "$dir/kvserver.log" >&2; echo "kvserver exited" >&2; exit 1; }
    sleep 0.1
  done
  etcd_flags=(--etcd-servers "http://127.0.0.1:$kv_port")
fi

api_cmd=(dotnet src/ApiServer/bin/Release/net10.0/apiserver.dll --data-dir "$dir/api" --secure-port "$port" "${etcd_flags[@]}")
"${api_cmd[@]}" >"$dir/apiserver.log" 2>&1 &
api_pid=$!
kubeconfig=$dir/api/admin.kubeconfig
for _ in $(seq 1 600); do
  [[ -s $kubeconfig ]] && break
  kill -0 "$api_pid" 2>/dev/null || { cat "$dir/apiserver.log" >&2; echo "apiserver exited" >&2; exit 1; }
  sleep 0.1
done
[[ -s $kubeconfig ]] || { echo "apiserver not ready after 60 s" >&2; exit 1; }
echo "apiserver pid $api_pid on https://127.0.0.1:$port ($store store), data dir $dir" >&2

bench=(dotnet bench/ApiBench/bin/Release/net10.0/apibench.dll)
# Runs in order. Creates at three concurrencies (the target is a throughput at a latency: >= 2,000/s
# with p99 <= 50 ms at some concurrency), each into its own namespace; get and list use the pods of
# the last one. Watches: one event at a time (10/s: each event's fan-out to every watcher is measured
# alone), then 100 events/s over HTTP/1.1 (a connection per watcher) and over HTTP/2 (client-go's default).
runs=(create-16 create-32 create-64 get list watch-10 watch-100 watch-100-h2)
declare -A cmd rc hwm
cmd[create-16]="create --total $pods --clients $((clients / 4)) --body-bytes 3072 --namespace apibench-c16"
cmd[create-32]="create --total $pods --clients $((clients / 2)) --body-bytes 3072 --namespace apibench-c32"
cmd[create-64]="create --total $pods --clients $clients --body-bytes 3072 --namespace apibench"
cmd[get]="get --total $pods --clients $clients --namespace apibench"
cmd[list]="list --pods $pods --rounds $rounds --namespace apibench"
cmd[watch-10]="watch --watchers $watchers --events $events --rate $((rate / 10)) --namespace apibench-watch10"
cmd[watch-100]="watch --watchers $watchers --events $events --rate $rate --namespace apibench-watch100"
cmd[watch-100-h2]="watch --watchers $watchers --events $events --rate $rate --http2 --namespace apibench-watch100h2"
for w in "${runs[@]}"; do
  echo "== apibench ${cmd[$w]}" >&2
  # shellcheck disable=SC2086 # the flags are meant to split
  "${bench[@]}" ${cmd[$w]} --kubeconfig "$kubeconfig" --json "$dir/$w.json" | tee "$dir/$w.txt" >&2 && rc[$w]=0 || rc[$w]=$?
  hwm[$w]=$(hwm_mib "$api_pid")
done
api_hwm=$(hwm_mib "$api_pid")
kv_hwm=$([[ -n $kv_pid ]] && hwm_mib "$kv_pid" || echo "")
server_version=$(curl -s --cacert "$dir/api/pki/ca.crt" "https://127.0.0.1:$port/version" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["gitVersion"], d["goVersion"])' 2>/dev/null || echo "?")
stop "$api_pid"
stop "$kv_pid"

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench 2>/dev/null || echo "+uncommitted changes")
disk=$(df -hT /tmp | awk 'NR == 2 {print $1 " (" $2 ", " $3 ")"}')
rota=$(lsblk -dno ROTA "$(df /tmp | awk 'NR == 2 {print $1}')" 2>/dev/null | head -1 | tr -d ' ' || true)
mkdir -p "$(dirname "$out")"
export RUNS="${runs[*]}"
for w in "${runs[@]}"; do
  v=${w^^}; v=${v//-/_}
  export "CMD_$v=${cmd[$w]}" "RC_$v=${rc[$w]}" "HWM_$v=${hwm[$w]}"
done
DATE=$(date -u +%F) DIR=$dir STORE=$store QUICK=$quick OUT=$out PORT=$port API_HWM=$api_hwm KV_HWM=$kv_hwm \
  API_CMD="${api_cmd[*]}" KV_CMD="${kv_cmd[*]}" MACHINE="$(nproc) cores ($(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); disk: $disk${rota:+, rotational=$rota}" \
  VERSIONS="KvCluster $commit; apiserver /version: $server_version; .NET SDK $(dotnet --version)" \
  python3 - <<'EOF'
import json, os
e = os.environ
runs = e["RUNS"].split()
def var(prefix, w):
    return e[prefix + "_" + w.upper().replace("-", "_")]
d = {}
for w in runs:
    try:
        d[w] = json.load(open(f"{e['DIR']}/{w}.json"))
    except (OSError, ValueError):
        d[w] = None

def mark(ok):
    return "**PASS**" if ok else "**MISS**"

def n(x):
    return f"{x:,.0f}" if isinstance(x, (int, float)) and x >= 100 else str(x)

rows = []
for w in (r for r in runs if r.startswith("create")):
    c = d[w]
    if c:
        ok = c["requests_per_second"] >= 2000 and c["p99_ms"] <= 50 and c["errors"] == 0
        rows.append(("create: %s pods of %s B, %s clients" % (n(c["total"]), c["body_bytes"], c["clients"]),
                     f"{n(c['requests_per_second'])} creates/s; p50 {c['p50_ms']} / p90 {c['p90_ms']} / p99 {c['p99_ms']} / p99.9 {c['p999_ms']} / max {c['max_ms']} ms; {c['errors']} errors",
                     f"≥ 2,000 creates/s with p99 ≤ 50 ms: {mark(ok)}",
                     "mutating API calls, single object: p99 ≤ 1 s"))
g = d["get"]
if g:
    rows.append(("get: %s GETs by name, %s clients" % (n(g["total"]), g["clients"]),
                 f"{n(g['requests_per_second'])} gets/s; p50 {g['p50_ms']} / p90 {g['p90_ms']} / p99 {g['p99_ms']} / p99.9 {g['p999_ms']} / max {g['max_ms']} ms; {g['errors']} errors",
                 "—",
                 "read-only, scope=resource: p99 ≤ 1 s"))
l = d["list"]
if l:
    for mode, what in (("consistent", "no resourceVersion"), ("cached", "resourceVersion=0"), ("paged", f"limit={l['page_size']}, all pages")):
        m = l[mode]
        ok = m["p50_ms"] <= 300 and m["items"] >= l["pods"]
        rows.append((f"list {n(l['pods'])} pods, {mode} ({what})",
                     f"p50 {m['p50_ms']} ms, max {m['max_ms']} ms over {l['rounds']} rounds; {n(m['items'])} items, {m['bytes'] / 1048576:.1f} MiB" + (f", {m['pages']} page(s)" if "pages" in m else ""),
                     f"≤ 300 ms (p50): {mark(ok)}",
                     "read-only, scope=namespace: p99 ≤ 30 s (historically 5 s)"))
for w in (r for r in runs if r.startswith("watch")):
    wt = d[w]
    if wt:
        dl = wt["deliveries"]
        ok = dl["p99_ms"] <= 100 and wt["errors"] == 0
        rows.append((f"watch: {n(wt['events'])} configmap {wt['op']}s at {wt['rate']:g}/s to {n(wt['established'])}/{n(wt['watchers'])} watchers over {'HTTP/2' if wt['http2'] else 'HTTP/1.1'}",
                     f"delivery p50 {dl['p50_ms']} / p99 {dl['p99_ms']} / max {dl['max_ms']} ms ({n(dl['received'])} of {n(dl['expected'])} deliveries, {dl['missed']} missed); "
                     f"last watcher p99 {wt['fanout_complete']['p99_ms']} ms; writes p99 {wt['writes']['p99_ms']} ms; watches opened in {wt['open_seconds']} s; {wt['errors']} errors",
                     f"p99 ≤ 100 ms, none missed: {mark(ok)}",
                     "watch latency: an SLI only (WIP), no SLO"))

quick = e["QUICK"] == "1"
store = "embedded store (src/Kv in the apiserver process)" if e["STORE"] == "embedded" else "etcd store: one kvserver member started by the script (--etcd-servers)"
lines = [
    f"# apiserver under apibench load{' (quick run, reduced sizes)' if quick else ''} ({e['DATE']})",
    "",
    f"Machine: {e['MACHINE']}.",
    f"Versions: {e['VERSIONS']}.",
    f"Store: {store}. One apiserver on 127.0.0.1 over HTTPS (its own CA), fresh data dir; apibench on the same machine",
    "(its CPU use competes with the server's on these cores). Workloads run in this order against the same server.",
    "",
    "Commands (`bench/api-bench.sh" + (" --store etcd" if e["STORE"] == "etcd" else "") + (" --quick" if quick else "") + "`):",
    "",
]
if e.get("KV_CMD"):
    lines.append("    " + e["KV_CMD"].replace(e["DIR"], "$DIR"))
lines.append("    " + e["API_CMD"].replace(e["DIR"], "$DIR"))
for w in runs:
    lines.append(f"    dotnet bench/ApiBench/bin/Release/net10.0/apibench.dll {var('CMD', w)} --kubeconfig $DIR/api/admin.kubeconfig --json $DIR/{w}.json")
lines += [
    "",
    "| workload | KvCluster | target | Kubernetes SLO (reference) |",
    "| --- | --- | --- | --- |",
]
lines += [f"| {a} | {b} | {c_} | {s} |" for a, b, c_, s in rows]
hwm = f"apiserver peak RSS (VmHWM): {e['API_HWM']} MiB (after " + ", ".join(f"{w} {var('HWM', w)}" for w in runs) + " MiB)"
if e.get("KV_HWM"):
    hwm += f"; kvserver peak RSS: {e['KV_HWM']} MiB"
lines += ["", hwm + "."]
failed = [w for w in runs if var("RC", w) != "0"]
if failed:
    lines += ["", "apibench exited non-zero (errors, or it could not run) for: " + ", ".join(failed) + "."]
lines += [
    "",
    "Notes: latencies are client-side, from just before the request is sent until its whole response is read;",
    "a list's time ends when its body is received (not parsed); a paged list's time is the sum of its pages.",
    "Watch delivery is the time from the write's send to the watcher reading the event line, for every (watcher, event).",
    "Kubernetes' SLOs (sig-scalability/slos/api_call_latency.md) are per cluster-day, measured inside the apiserver",
    "(excluding webhooks and priority & fairness queueing); shown for scale, not as the same measurement.",
]
for w in runs:
    if d[w]:
        lines += ["", f"<details><summary>apibench {w} JSON</summary>", "", "```json", json.dumps(d[w]), "```", "", "</details>"]
open(e["OUT"], "w").write("\n".join(lines) + "\n")
print("\n".join(f"| {a} | {b} | {c_} |" for a, b, c_, _ in rows))
EOF
echo "written $out" >&2
