#!/usr/bin/env bash
# Runs every default test of KvCluster on a fresh machine: restores NuGet packages, builds, tests.
#   scripts/test.sh            the default suite (< 15 min on 2 cores)
#   scripts/test.sh --soak     also the long suites (Category=Soak): many more random sequences
# Prints a closing line "tests: N passed, M failed" and exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

filter="Category!=Soak"
if [[ "${1:-}" == "--soak" ]]; then
  filter=""
fi

command -v dotnet >/dev/null || { echo "dotnet SDK 10 is required (see global.json)" >&2; exit 1; }

# The KvServer tests run etcdctl 3.4.23 against kvserver, and compare with a real etcd 3.4.23.
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  echo "installing etcd-server and etcd-client (Debian) for the KvServer tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq etcd-server etcd-client >/dev/null
fi
# The NodeAgent tests run pods as real containers: runc and crun, with busybox-static for the built-in busybox image.
if ! command -v runc >/dev/null || ! command -v crun >/dev/null || [[ ! -x /bin/busybox ]]; then
  echo "installing runc, crun and busybox-static (Debian) for the NodeAgent tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq runc crun busybox-static >/dev/null
fi
# Debian's etcd package may start a system etcd on 2379; the tests use their own ports, but stop it anyway.
if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
# The ApiServer tests drive kubectl 1.32, which this machine image ships at /usr/bin/kubectl (Debian has no 1.32 package).
if ! command -v kubectl >/dev/null; then
  echo "warning: kubectl is not installed; the ApiServer kubectl tests will fail (they need kubectl 1.32 at /usr/bin/kubectl)" >&2
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet restore KvCluster.sln
dotnet build KvCluster.sln -c Release --no-restore
log=$(mktemp)
set +e
# One test project at a time (-m:1): the Raft and apiserver suites start many processes, and on 2 cores
# running them side by side made elections flap and timing-sensitive cluster tests fail.
dotnet test KvCluster.sln -c Release --no-build -m:1 ${filter:+--filter "$filter"} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
if [[ $status -ne 0 || "${failed:-0}" -ne 0 || "${passed:-0}" -eq 0 ]]; then
  exit 1
fi
