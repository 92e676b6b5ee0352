#!/usr/bin/env bash
# Stops the PostgreSQL scripts/services/pg-up.sh started (pg_ctl stop -m fast,
# then SIGKILL of the postmaster named in its pid file if it is still there
# after AIRLOCK_PG_GRACE seconds, default 5), then removes $AIRLOCK_PG_DIR
# (AIRLOCK_PG_KEEP=1 keeps it). Safe to run when nothing is up.
set -u
DIR=${AIRLOCK_PG_DIR:-/tmp/airlock-pg}
BIN=${AIRLOCK_PG_BIN:-/usr/lib/postgresql/15/bin}
GRACE=${AIRLOCK_PG_GRACE:-5}
stopped=0
if [[ -s $DIR/data/postmaster.pid ]]; then
  pid=$(head -n 1 "$DIR/data/postmaster.pid")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/data"; then
    if [[ $(id -un) == postgres ]]; then
      "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t "$GRACE" stop >/dev/null 2>&1
    else
      setpriv --reuid=postgres --regid=postgres --init-groups -- "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t "$GRACE" stop >/dev/null 2>&1
    fi
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    for ((t = 0; t < 40; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    stopped=1
  fi
fi
[[ ${AIRLOCK_PG_KEEP:-0} == 1 ]] || rm -rf "$DIR"
echo "pg-down: stopped $stopped server(s)"
