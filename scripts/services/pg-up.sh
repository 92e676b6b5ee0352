#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 (Debian's binaries, no systemd, no
# pg_ctlcluster) for airlock's tests and benchmarks: listening on 127.0.0.1
# only, all state under $AIRLOCK_PG_DIR, run as the `postgres` OS user,
# fsync off (the data is throwaway), one test role with password auth and
# one database it owns. Re-running while it is up only re-checks the role;
# after pg-down.sh with AIRLOCK_PG_KEEP=1 it restarts on the same data.
# Stop it with scripts/services/pg-down.sh.
#
# stdout: lines to eval, e.g. eval "$(scripts/services/pg-up.sh)":
#   export AIRLOCK_TEST_PG_URL=postgres://airlock:…@127.0.0.1:5433/airlock
# Progress goes to stderr.
#
# Settings (environment): AIRLOCK_PG_DIR (/tmp/airlock-pg), AIRLOCK_PG_PORT
# (5433), AIRLOCK_PG_BIN (/usr/lib/postgresql/15/bin).
# Debian package: postgresql (15, bookworm).
set -euo pipefail

DIR=${AIRLOCK_PG_DIR:-/tmp/airlock-pg}
PORT=${AIRLOCK_PG_PORT:-5433}
BIN=${AIRLOCK_PG_BIN:-/usr/lib/postgresql/15/bin}
ROLE=airlock
PASS=airlocktestpw
DB=airlock
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START=$(date +%s%N)

say() { printf 'pg-up [%5.1fs] %s\n' "$(awk -v n="$(( $(date +%s%N) - START ))" 'BEGIN{print n/1e9}')" "$*" >&2; }
fail() {
  say "FAILED: $*"
  [[ -f $DIR/log/postgres.log ]] && { echo "== last lines of $DIR/log/postgres.log" >&2; tail -n 15 "$DIR/log/postgres.log" >&2; }
  exit 1
}

[[ -x $BIN/initdb && -x $BIN/pg_ctl ]] || fail "PostgreSQL 15 is not installed in $BIN: apt-get install --no-install-recommends postgresql"
id postgres >/dev/null 2>&1 || fail "there is no 'postgres' OS user (it comes with Debian's postgresql-common)"

as_pg() {
  if [[ $(id -un) == postgres ]]; then "$@"; else setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; fi
}
psql_() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/run" -p "$PORT" -U postgres -d postgres "$@"; }
ready() { as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1 >/dev/null 2>&1; }
alive() {
  [[ -s $DIR/data/postmaster.pid ]] || return 1
  local pid; pid=$(head -n 1 "$DIR/data/postmaster.pid")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
role() {
  psql_ <<SQL >/dev/null
SELECT 'CREATE ROLE $ROLE LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE LOGIN PASSWORD '$PASS' CREATEDB;
SELECT 'CREATE DATABASE $DB OWNER $ROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB') \gexec
SQL
}
emit() { echo "export AIRLOCK_TEST_PG_URL=postgres://$ROLE:$PASS@127.0.0.1:$PORT/$DB"; }

if alive && ready; then
  role || fail "could not create the test role"
  say "already up on 127.0.0.1:$PORT ($DIR)"
  emit
  exit 0
fi
# A stopped server with its data (pg-down.sh with AIRLOCK_PG_KEEP=1, a
# crash): start it again on the same data, as a PostgreSQL restart does.
if [[ -s $DIR/data/PG_VERSION && -f $DIR/data/postgresql.conf ]] && ! alive; then
  in_use "$PORT" && fail "127.0.0.1:$PORT is taken by another process (set AIRLOCK_PG_PORT)"
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log/postgres.log" -w -t 30 start >/dev/null 2>&1 || fail "postgres did not restart"
  for ((i = 0; i < 100; i++)); do ready && break; sleep 0.1; done
  ((i < 100)) || fail "postgres does not answer on 127.0.0.1:$PORT"
  role || fail "could not create the test role"
  say "PostgreSQL restarted on 127.0.0.1:$PORT (existing data in $DIR)"
  emit
  exit 0
fi
[[ -d $DIR ]] && "$HERE/pg-down.sh" >&2
in_use "$PORT" && fail "127.0.0.1:$PORT is taken by another process (set AIRLOCK_PG_PORT)"
mkdir -p "$DIR"/{data,run,log}
chown -R postgres:postgres "$DIR"
chmod 0700 "$DIR/data"

as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >"$DIR/log/initdb.log" 2>&1 || fail "initdb ($(tail -n 3 "$DIR/log/initdb.log"))"
say "initdb done"

# Why the settings: loopback only; the socket in our own dir (not
# /var/run/postgresql); fsync/synchronous_commit/full_page_writes off because
# the data is throwaway and the tests must be quick on a loaded machine;
# enough connections for several replicas' pools plus the suites.
cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR/run'
max_connections = 200
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
CONF

as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log/postgres.log" -w -t 30 start >/dev/null 2>&1 || fail "postgres did not start"
for ((i = 0; i < 100; i++)); do ready && break; sleep 0.1; done
((i < 100)) || fail "postgres does not answer on 127.0.0.1:$PORT"
role || fail "could not create the test role"
say "PostgreSQL ready on 127.0.0.1:$PORT"
emit
