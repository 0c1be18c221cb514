#!/usr/bin/env bash
# Many jepsen-lite runs in a row, and a table of their outcomes:
#   bash jepsen-lite/soak.sh [--runs 20] [--time 5m] [--target kvcluster|etcd] [--nodes 3] [--workloads register,set,watch] [--nemesis kill,pause,partition] [--binary FILE] [--out FILE]
# --binary runs a given kvserver.dll (e.g. a copy, so that rebuilding the repository during a long soak does not change what is tested).
# Run i uses seed i and the workloads in turn. Each run's directory (history, member logs, report) is
# kept under jepsen-lite/runs/soak-<date>/; the table goes to jepsen-lite/results/<date>-soak-<target>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20 time=5m target=kvcluster nodes=3 workloads=register,set,watch nemesis=kill,pause,partition out="" binary=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --time) time=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --nemesis) nemesis=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --binary) binary=(--binary "$2"); shift 2 ;;
    *) echo "usage: $0 [--runs N] [--time 5m] [--target kvcluster|etcd] [--nodes N] [--workloads register,set,watch] [--nemesis kill,pause,partition] [--binary FILE] [--out FILE]" >&2; exit 2 ;;
  esac
done
date=$(date -u +%F)
out=${out:-jepsen-lite/results/$date-soak-$target.md}
dir=jepsen-lite/runs/soak-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$dir" "$(dirname "$out")"
dotnet build jepsen-lite -c Release -v quiet -nologo >/dev/null
[[ $target == kvcluster ]] && dotnet build src/KvServer -c Release -v quiet -nologo >/dev/null
IFS=, read -r -a wl <<<"$workloads"
{
  echo "# jepsen-lite soak: $runs runs of $time, $target × $nodes, nemesis $nemesis ($date)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr). KvCluster $(git rev-parse --short HEAD)."
  echo "Command: \`bash jepsen-lite/soak.sh --runs $runs --time $time --target $target --nodes $nodes --workloads $workloads --nemesis $nemesis ${binary[*]}\`"
  echo
  echo "| run | seed | workload | exit | summary |"
  echo "| --- | --- | --- | --- | --- |"
} >"$out"
valid=0
for i in $(seq 1 "$runs"); do
  w=${wl[$(((i - 1) % ${#wl[@]}))]}
  echo "== run $i/$runs: $w, seed $i" >&2
  set +e
  line=$(dotnet jepsen-lite/bin/Release/net10.0/jepsen-lite.dll run --target "$target" --nodes "$nodes" --time "$time" \
    --workload "$w" --nemesis "$nemesis" --seed "$i" --out "$dir/$i-$w" "${binary[@]}" 2>"$dir/$i-$w.progress")
  code=$?
  set -e
  [[ $code == 0 ]] && valid=$((valid + 1))
  echo "$line" >&2
  echo "| $i | $i | $w | $code | ${line//|/\\|} |" >>"$out"
done
echo >>"$out"
echo "$valid of $runs runs valid." >>"$out"
echo "$valid of $runs runs valid; table in $out" >&2
[[ $valid == "$runs" ]]
