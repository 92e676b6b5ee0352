#!/bin/sh
# Installs airlock from this unpacked bundle, with no network and no compiler.
#   ./install.sh [--prefix DIR] [--systemd] [--data-dir DIR] [--listen HOST:PORT]
#                [--systemd-dir DIR] [--no-verify]
# Puts the code in PREFIX/lib/airlock and an `airlock` wrapper in PREFIX/bin
# (PREFIX defaults to /usr/local). --systemd also writes airlock.service for
# `airlock serve` (into --systemd-dir, default /etc/systemd/system) and never
# starts it. Checks first: every file against SHA256SUMS, Node.js >= 20, the
# architecture, the Node ABI and the glibc the native module was built for.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=/usr/local
SYSTEMD=0
SYSTEMD_DIR=/etc/systemd/system
DATA_DIR=/var/lib/airlock
LISTEN=0.0.0.0:5000
VERIFY=1

die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) need_arg "$@"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --systemd) SYSTEMD=1; shift ;;
    --systemd-dir) need_arg "$@"; SYSTEMD_DIR=$2; shift 2 ;;
    --systemd-dir=*) SYSTEMD_DIR=${1#*=}; shift ;;
    --data-dir) need_arg "$@"; DATA_DIR=$2; shift 2 ;;
    --data-dir=*) DATA_DIR=${1#*=}; shift ;;
    --listen) need_arg "$@"; LISTEN=$2; shift 2 ;;
    --listen=*) LISTEN=${1#*=}; shift ;;
    --no-verify) VERIFY=0; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case $PREFIX in /*) ;; *) PREFIX=$(pwd)/$PREFIX ;; esac

info() { sed -n "s/^$1=//p" "$HERE/BUILD-INFO"; }
[ -f "$HERE/BUILD-INFO" ] || die "BUILD-INFO is missing: run install.sh from the unpacked bundle"
VERSION=$(info version)
BUILD_ARCH=$(info arch)
BUILD_ABI=$(info node_abi)
BUILD_NODE=$(info node)
BUILD_GLIBC=$(info glibc)
NEED_GLIBC=$(info native_glibc)

if [ "$VERIFY" = 1 ]; then
  command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils); pass --no-verify to skip the checksum check"
  (cd "$HERE" && sha256sum --quiet --strict -c SHA256SUMS) >&2 || die "the bundle does not match SHA256SUMS: unpack it again from a verified archive"
fi

NODE=$(command -v node 2>/dev/null) || die "Node.js >= 20 is required and 'node' is not on PATH"
NODE_VERSION=$("$NODE" -p 'process.versions.node' 2>/dev/null) || die "$NODE does not run"
case $NODE_VERSION in
  [2-9][0-9].*|[1-9][0-9][0-9]*) ;;
  *) die "Node.js >= 20 is required; $NODE is $NODE_VERSION" ;;
esac
[ "${NODE_VERSION%%.*}" -ge 20 ] || die "Node.js >= 20 is required; $NODE is $NODE_VERSION"
HOST_ARCH=$("$NODE" -p 'process.arch')
[ "$HOST_ARCH" = "$BUILD_ARCH" ] || die "this bundle is for $BUILD_ARCH; this host is $HOST_ARCH: use airlock-$VERSION-linux-$HOST_ARCH.tar.gz"

SERVER_CMDS="airlock serve, user, robot, gc and cert"
HOST_ABI=$("$NODE" -p 'process.versions.modules')
if [ "$HOST_ABI" != "$BUILD_ABI" ]; then
  warn "the native SQLite module was built for Node.js $BUILD_NODE (ABI $BUILD_ABI); this host has Node.js $NODE_VERSION (ABI $HOST_ABI), so it will not load: $SERVER_CMDS will fail; the mirroring commands work. Use Node.js ${BUILD_NODE%%.*}, or build the bundle with this Node.js (npm run bundle)"
fi

# "glibc 2.36" (getconf) or "ldd (Debian GLIBC 2.36-9) 2.36" (ldd): the version.
HOST_GLIBC=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed -n 's/^glibc \([0-9][0-9.]*\).*/\1/p')
[ -n "$HOST_GLIBC" ] || HOST_GLIBC=$(ldd --version 2>/dev/null | sed -n '1s/.* \([0-9][0-9]*\.[0-9][0-9.]*\)$/\1/p')
# ver_lt A B: true when version A < B.
ver_lt() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -t. -k1,1n -k2,2n -k3,3n | head -n1)" = "$1" ]; }
if [ -z "$HOST_GLIBC" ]; then
  warn "no glibc found on this host (musl?); the native SQLite module needs glibc >= $NEED_GLIBC: $SERVER_CMDS will fail; the mirroring commands work"
elif ver_lt "$HOST_GLIBC" "$NEED_GLIBC"; then
  warn "this host has glibc $HOST_GLIBC, lower than the $NEED_GLIBC the native SQLite module needs (built on glibc $BUILD_GLIBC): it will not load, so $SERVER_CMDS will fail; the mirroring commands (image, release, catalog, login, logout, pull-secret) work. Build the bundle on a host with glibc <= $HOST_GLIBC"
elif ver_lt "$HOST_GLIBC" "$BUILD_GLIBC"; then
  echo "glibc $HOST_GLIBC is lower than the build host's $BUILD_GLIBC; the native module needs only $NEED_GLIBC, so it loads"
fi

LIB=$PREFIX/lib/airlock
mkdir -p "$PREFIX/bin" "$PREFIX/lib" || die "cannot create $PREFIX/bin or $PREFIX/lib"
rm -rf "$LIB.new"
cp -R "$HERE/lib/airlock" "$LIB.new"
rm -rf "$LIB"
mv "$LIB.new" "$LIB"
cat > "$PREFIX/bin/airlock.new" <<WRAPPER
#!/bin/sh
# airlock $VERSION, installed by install.sh
exec node "$LIB/dist/src/cli/main.js" "\$@"
WRAPPER
chmod 755 "$PREFIX/bin/airlock.new"
mv "$PREFIX/bin/airlock.new" "$PREFIX/bin/airlock"
echo "installed airlock $VERSION: $PREFIX/bin/airlock (code in $LIB)"
case :$PATH: in *:"$PREFIX/bin":*) ;; *) echo "note: $PREFIX/bin is not on PATH" ;; esac

if [ "$SYSTEMD" = 1 ]; then
  STATE_LINE=
  [ "$DATA_DIR" = /var/lib/airlock ] && STATE_LINE=StateDirectory=airlock
  mkdir -p "$SYSTEMD_DIR" || die "cannot create $SYSTEMD_DIR"
  cat > "$SYSTEMD_DIR/airlock.service" <<UNIT
[Unit]
Description=airlock OCI mirror registry
After=network-online.target
Wants=network-online.target

[Service]
ExecStart="$NODE" "$LIB/dist/src/cli/main.js" serve --listen "$LISTEN" --data-dir "$DATA_DIR"
Restart=on-failure
$STATE_LINE

[Install]
WantedBy=multi-user.target
UNIT
  echo "wrote $SYSTEMD_DIR/airlock.service (serve --listen $LISTEN --data-dir $DATA_DIR); not started."
  echo "start it with: systemctl daemon-reload && systemctl enable --now airlock"
fi
