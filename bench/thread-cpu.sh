#!/usr/bin/env bash
# CPU time a process's threads take over a window, summed by thread name (Linux truncates names to
# 15 characters), in clock ticks (usually 100 per second), largest first.
#
# Usage: bench/thread-cpu.sh PID [SECONDS]      default: 30 seconds
set -euo pipefail
pid=$1
seconds=${2:-30}
snapshot() {
  for stat in /proc/"$pid"/task/*/stat; do
    # Fields after the ")" that closes the name: utime and stime are the 12th and 13th.
    line=$(cat "$stat" 2>/dev/null) || continue
    name=${line#*(}; name=${name%)*}
    rest=${line##*) }
    read -r -a f <<<"$rest"
    echo "${stat%/stat}|$name|$((f[11] + f[12]))"
  done
}
before=$(snapshot)
sleep "$seconds"
after=$(snapshot)
awk -F'|' -v secs="$seconds" -v hz="$(getconf CLK_TCK)" '
  NR == FNR { start[$1] = $3; next }
  { used = $3 - ($1 in start ? start[$1] : 0); by[$2] += used; total += used }
  END {
    printf "%d ticks in %d s over all threads (%.1f%% of one core)\n", total, secs, 100 * total / (secs * hz)
    for (n in by) if (by[n] > 0) printf "%6d  %s\n", by[n], n
  }' <(echo "$before") <(echo "$after") | { read -r head; echo "$head"; sort -rn; }
