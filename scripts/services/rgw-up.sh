#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster (one mon, one BlueStore OSD on a
# sparse file, one radosgw) for airlock's tests and benchmarks: every daemon
# on 127.0.0.1 only, all state under $AIRLOCK_RGW_DIR, no systemd, no auth
# inside the cluster, one S3 user. Re-running while it is up only re-checks
# the user. Stop it with scripts/services/rgw-down.sh.
#
# stdout: lines to eval, e.g. eval "$(scripts/services/rgw-up.sh)":
#   export AIRLOCK_TEST_S3_ENDPOINT=http://127.0.0.1:7480
#   export AIRLOCK_TEST_S3_ACCESS_KEY=… AIRLOCK_TEST_S3_SECRET_KEY=… AIRLOCK_TEST_S3_REGION=us-east-1
# Progress goes to stderr.
#
# Settings (environment): AIRLOCK_RGW_DIR (/tmp/airlock-rgw), AIRLOCK_RGW_PORT
# (7480), AIRLOCK_RGW_MON_PORT (3300), AIRLOCK_RGW_OSD_PORTS (6800-6899),
# AIRLOCK_RGW_INSTALL (1: apt-get the Debian packages when missing),
# AIRLOCK_RGW_NODELAY (1: the beast frontend sets TCP_NODELAY; 0: it does not).
# Debian packages: ceph-mon ceph-osd radosgw ceph-common (16.2, bookworm).
set -euo pipefail

DIR=${AIRLOCK_RGW_DIR:-/tmp/airlock-rgw}
PORT=${AIRLOCK_RGW_PORT:-7480}
MON_PORT=${AIRLOCK_RGW_MON_PORT:-3300}
OSD_PORTS=${AIRLOCK_RGW_OSD_PORTS:-6800-6899}
NODELAY=${AIRLOCK_RGW_NODELAY:-1}
FRONTEND="beast endpoint=127.0.0.1:$PORT"
[[ $NODELAY == 1 ]] && FRONTEND+=" tcp_nodelay=1"
ACCESS=airlocktest
SECRET=airlocktestsecret0123456789
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START=$(date +%s%N)

say() { printf 'rgw-up [%5.1fs] %s\n' "$(awk -v n="$(( $(date +%s%N) - START ))" 'BEGIN{print n/1e9}')" "$*" >&2; }
fail() {
  say "FAILED: $*"
  for f in "$DIR"/log/*.log; do [[ -f $f ]] && { echo "== last lines of $f" >&2; tail -n 15 "$f" >&2; }; done
  exit 1
}

if ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph >/dev/null; then
  [[ ${AIRLOCK_RGW_INSTALL:-1} == 1 ]] || fail "Ceph is not installed: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common"
  say "installing ceph-mon ceph-osd radosgw ceph-common"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >&2; } ||
    fail "apt-get install of the Ceph packages failed"
fi

CONF=$DIR/ceph.conf
ENDPOINT=http://127.0.0.1:$PORT
alive() { [[ -s $DIR/run/$1.pid ]] && kill -0 "$(cat "$DIR/run/$1.pid")" 2>/dev/null; }
answering() { python3 - "$ENDPOINT/" <<'PY' >/dev/null 2>&1
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
PY
}
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
user() {
  if radosgw-admin -c "$CONF" user info --uid=airlock >/dev/null 2>&1; then
    radosgw-admin -c "$CONF" key create --uid=airlock --key-type=s3 --access-key="$ACCESS" --secret-key="$SECRET" >/dev/null
  else
    radosgw-admin -c "$CONF" user create --uid=airlock --display-name=airlock --access-key="$ACCESS" --secret-key="$SECRET" >/dev/null
  fi
}
emit() {
  echo "export AIRLOCK_TEST_S3_ENDPOINT=$ENDPOINT"
  echo "export AIRLOCK_TEST_S3_ACCESS_KEY=$ACCESS"
  echo "export AIRLOCK_TEST_S3_SECRET_KEY=$SECRET"
  echo "export AIRLOCK_TEST_S3_REGION=us-east-1"
}

if alive mon.a && alive osd.0 && alive client.rgw && answering; then
  user
  say "already up at $ENDPOINT ($DIR)"
  emit
  exit 0
fi
[[ -d $DIR ]] && "$HERE/rgw-down.sh" >&2
for p in "$MON_PORT" "$PORT"; do in_use "$p" && fail "127.0.0.1:$p is taken by another process (set AIRLOCK_RGW_PORT / AIRLOCK_RGW_MON_PORT)"; done
mkdir -p "$DIR"/{run,log,mon.a,osd.0,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)

# Why the less obvious settings: paxos intervals make each map change take
# milliseconds instead of a second (radosgw creates several pools at start);
# radosgw's mon client defaults to 'secure' mode, which auth=none cannot
# give, so it would hunt for a monitor forever without 'crc'; the rgw gc
# settings free deleted objects' space within a minute instead of hours;
# tcp_nodelay=1: without it RGW 16's beast frontend leaves Nagle on, and a
# response with a body waits for the client's delayed ACK on a keep-alive
# connection (200 sequential 1000-byte GetObject: 48-49 ms each without,
# 4.3-4.6 ms with; scripts/services/rgw-get-latency.mjs, 2026-12-03).
cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = ${OSD_PORTS%-*}
ms bind port max = ${OSD_PORTS#*-}
auth cluster required = none
auth service required = none
auth client required = none
mon warn on insecure global id reclaim allowed = false
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
crash dir = $DIR/crash
exporter sock dir = $DIR/run
log to stderr = false
mon data = $DIR/mon.\$id
osd data = $DIR/osd.\$id
keyring = $DIR/keyring
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
paxos propose interval = 0.05
paxos min wait = 0.01
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 21474836480
bluestore fsck on mount = false
osd memory target = 1073741824
osd op num shards = 2
osd op num threads per shard = 1
[client.rgw]
ms mon client mode = crc
rgw frontends = $FRONTEND
rgw data = $DIR/rgw
rgw enable usage log = false
rgw thread pool size = 64
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF

CEPH=(ceph -c "$CONF" --connect-timeout 10)
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" >&2 || fail "ceph-mon --mkfs"
ceph-mon -c "$CONF" -i a 2>>"$DIR/log/mon.a.err" || fail "ceph-mon did not start"
for ((i = 0; i < 100; i++)); do "${CEPH[@]}" mon stat >/dev/null 2>&1 </dev/null && break; sleep 0.2; done
((i < 100)) || fail "the monitor does not answer"
say "mon up on v2:127.0.0.1:$MON_PORT"

OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
[[ $("${CEPH[@]}" osd new "$OSD_UUID") == 0 ]] || fail "ceph osd new did not give id 0"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs ($(tail -n 3 "$DIR/log/osd-mkfs.out"))"
ceph-osd -c "$CONF" -i 0 2>>"$DIR/log/osd.0.err" || fail "ceph-osd did not start"
for ((i = 0; i < 200; i++)); do
  up=$("${CEPH[@]}" osd stat -f json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["num_up_osds"])' 2>/dev/null || true)
  [[ $up == 1 ]] && break
  sleep 0.2
done
((i < 200)) || fail "osd.0 is not up"
say "osd.0 up"

radosgw -c "$CONF" -n client.rgw 2>>"$DIR/log/client.rgw.err" || fail "radosgw did not start"
for ((i = 0; i < 300; i++)); do answering && break; sleep 0.2; done
((i < 300)) || fail "radosgw does not answer on $ENDPOINT"
user
say "S3 ready at $ENDPOINT"
emit
