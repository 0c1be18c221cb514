#!/usr/bin/env bash
# The runtime's own floor for a pod-start burst: N `runc run -d` of a busybox container (the same
# busybox-static the node agent's built-in image uses), all launched at once, with no apiserver, no
# node agent, no overlay, no network namespace. Prints one line of JSON: how many started, and the
# latency of each from the common launch time to its `runc run -d` returning (p50, p90, p99, max ms),
# plus the CPU seconds the runc processes used. pod-start.sh runs it beside its own burst, so that the
# agent's figures can be read against what runc alone costs on the same machine, the same day.
#   bench/runc-floor.sh [N]
set -euo pipefail
n=${1:-100}
command -v runc >/dev/null && [[ -x /bin/busybox ]] || { echo "needs runc and busybox-static" >&2; exit 1; }
tmp=$(mktemp -d /tmp/runc-floor-XXXXXX)
state="$tmp/state"
cleanup() {
  for i in $(seq 1 "$n"); do runc --root "$state" delete -f "floor$i" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/bundle/rootfs/bin" "$state"
cp /bin/busybox "$tmp/bundle/rootfs/bin/busybox"
(cd "$tmp/bundle" && runc spec)
python3 - "$tmp/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/busybox", "sleep", "3600"]
c["process"]["terminal"] = False
json.dump(c, open(p, "w"))
PY
cpu() { awk '{print $14+$15+$16+$17}' /proc/$$/stat; }
c0=$(cpu)
t0=$(date +%s%N)
for i in $(seq 1 "$n"); do
  ( runc --root "$state" run -d -b "$tmp/bundle" "floor$i" </dev/null >/dev/null 2>"$tmp/err$i" && echo $(( ($(date +%s%N) - t0) / 1000 )) >"$tmp/lat$i" ) &
done
wait
c1=$(cpu)
python3 - "$tmp" "$n" "$(( c1 - c0 ))" <<'PY'
import glob, json, sys
tmp, n, ticks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lat = sorted(int(open(f).read()) / 1000 for f in glob.glob(tmp + "/lat*"))
def pct(q):
    return round(lat[min(len(lat) - 1, int(q * len(lat)))], 3) if lat else None
print(json.dumps({"containers": n, "started": len(lat), "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
                  "max_ms": round(lat[-1], 3) if lat else None, "cpu_seconds": ticks / 100}))
PY
