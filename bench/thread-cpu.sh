#!/usr/bin/env bash
# CPU time a process's threads take over a window, summed by thread name (Linux truncates names to
# 15 characters), in clock ticks (usually 100 per second), largest first. The first line is the
# whole process's, from /proc/PID/stat, which also counts threads that ended during the window
# (the JIT starts and stops compiler threads); the lines below count the threads alive at its end.
#
# Usage: bench/thread-cpu.sh PID [SECONDS]      default: 30 seconds
set -euo pipefail
pid=$1
seconds=${2:-30}
[ -r "/proc/$pid/stat" ] || { echo "no process $pid" >&2; exit 2; }
hz=$(getconf CLK_TCK)
# utime + stime: the 12th and 13th fields after the ")" that closes the name (the name may hold
# spaces and parentheses, so it is cut off at the last ")").
ticks() {
  local line rest
  line=$(cat "$1" 2>/dev/null) || return 1
  rest=${line##*) }
  read -r -a f <<<"$rest"
  echo $((f[11] + f[12]))
}
snapshot() {
  for stat in /proc/"$pid"/task/*/stat; do
    line=$(cat "$stat" 2>/dev/null) || continue
    name=${line#*(}; name=${name%)*}
    t=$(ticks "$stat") || continue
    printf '%s\t%s\t%s\n' "${stat%/stat}" "${name//$'\t'/ }" "$t"
  done
}
process_before=$(ticks "/proc/$pid/stat")
before=$(snapshot)
sleep "$seconds"
process_after=$(ticks "/proc/$pid/stat") || { echo "process $pid ended during the window" >&2; exit 1; }
after=$(snapshot)
used=$((process_after - process_before))
awk -v used="$used" -v secs="$seconds" -v hz="$hz" 'BEGIN {
  printf "%d ticks in %d s, whole process (%.1f%% of one core)\n", used, secs, 100 * used / (secs * hz) }'
awk -F'\t' '
  NR == FNR { start[$1] = $3; next }
  { by[$2] += $3 - ($1 in start ? start[$1] : 0) }
  END { for (n in by) if (by[n] > 0) printf "%6d  %s\n", by[n], n }
' <(echo "$before") <(echo "$after") | sort -rn
