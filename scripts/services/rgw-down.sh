#!/usr/bin/env bash
# Stops the cluster scripts/services/rgw-up.sh started: only the processes
# named in its pid files whose command line holds its ceph.conf, SIGTERM then
# SIGKILL after AIRLOCK_RGW_GRACE seconds (default 3; the data is
# throwaway), then removes $AIRLOCK_RGW_DIR (AIRLOCK_RGW_KEEP=1 keeps it).
# Safe to run when nothing is up.
set -u
DIR=${AIRLOCK_RGW_DIR:-/tmp/airlock-rgw}
GRACE=${AIRLOCK_RGW_GRACE:-3}
pids=()
for f in "$DIR"/run/*.pid; do
  [[ -s $f ]] || continue
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || continue
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/ceph.conf"; then pids+=("$pid"); fi
done
if ((${#pids[@]} > 0)); then
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((t = 0; t < GRACE * 20; t++)); do
    left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    ((left)) || break
    sleep 0.05
  done
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
  for ((t = 0; t < 40; t++)); do
    left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    ((left)) || break
    sleep 0.05
  done
fi
[[ ${AIRLOCK_RGW_KEEP:-0} == 1 ]] || rm -rf "$DIR"
echo "rgw-down: stopped ${#pids[@]} process(es)"
