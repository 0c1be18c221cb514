# Sourced by pod-start.sh and pod-start-cpu.sh. settle_cpu [max seconds, default 30]: waits until the
# machine has been at least 85 % idle over one second (the agent's teardown of deleted pods and the
# kernel's deferred network-namespace cleanup run for seconds after a deletion returns), and prints to
# stderr how long that took. Gives up after the maximum and says so.
settle_cpu() {
  local max=${1:-30} start=$SECONDS idle0 all0 idle1 all1 idle
  while (( SECONDS - start < max )); do
    read -r idle0 all0 < <(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    sleep 1
    read -r idle1 all1 < <(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    idle=$(( 100 * (idle1 - idle0) / (all1 - all0 > 0 ? all1 - all0 : 1) ))
    if (( idle >= 85 )); then
      echo "settled: ${idle}% idle after $(( SECONDS - start )) s" >&2
      return 0
    fi
  done
  echo "not settled after ${max} s (last second ${idle}% idle)" >&2
}
