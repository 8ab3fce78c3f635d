#!/usr/bin/env bash
# Builds nightshift's eBPF programs and their loader helper into bpf/build/
# (git-ignored; objects are never committed):
#
#   fault.bpf.o    the tc fault program (clang -target bpf -O2 -g, with BTF)
#   empty.bpf.o    an empty tc program, the benchmarks' baseline
#   fault.skel.h   libbpf skeleton of fault.bpf.o (bpftool gen skeleton)
#   nsfault        the helper the TypeScript loader drives (libbpf, static)
#
# Idempotent: a stamp of the sources and tool versions skips a build whose
# inputs did not change. As root it also mounts bpffs at /sys/fs/bpf when
# missing (the loader does the same at run time).
#
# Usage: scripts/build-bpf.sh [--force]
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$REPO_ROOT/bpf
OUT=$SRC/build
CLANG=${CLANG:-$(command -v clang-14 || command -v clang || true)}
CC=${CC:-cc}

die() { echo "build-bpf: error: $*" >&2; exit 1; }

FORCE=0
for arg in "$@"; do
  case $arg in
    -f|--force) FORCE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (try --help)" ;;
  esac
done

[[ -n $CLANG ]] || die "clang not found (apt-get install clang)"
command -v bpftool >/dev/null || die "bpftool not found (apt-get install bpftool)"
[[ -f /usr/include/bpf/bpf_helpers.h ]] ||
  die "libbpf headers not found (apt-get install libbpf-dev)"
MULTIARCH=$($CC -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

if [[ $(id -u) == 0 ]] && ! mountpoint -q /sys/fs/bpf; then
  mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf &&
    echo "build-bpf: mounted bpffs at /sys/fs/bpf"
fi

mkdir -p "$OUT"
STAMP=$OUT/.stamp
want=$(cat "${BASH_SOURCE[0]}" "$SRC"/*.h "$SRC"/*.bpf.c "$SRC"/helper/*.[ch] \
  <($CLANG --version) <(bpftool version) | sha256sum | cut -d' ' -f1)
if ((!FORCE)) && [[ -f $STAMP && $(<"$STAMP") == "$want" && -x $OUT/nsfault ]]; then
  echo "build-bpf: up to date ($OUT)"
  exit 0
fi

BPF_FLAGS=(-target bpf -O2 -g -Wall -Werror -I"$SRC" -I/usr/include/"$MULTIARCH")
for prog in "$SRC"/*.bpf.c; do
  name=$(basename "$prog" .c)
  "$CLANG" "${BPF_FLAGS[@]}" -c "$prog" -o "$OUT/$name.o.tmp"
  mv -f "$OUT/$name.o.tmp" "$OUT/$name.o"
done
bpftool gen skeleton "$OUT/fault.bpf.o" name fault_bpf >"$OUT/fault.skel.h.tmp"
mv -f "$OUT/fault.skel.h.tmp" "$OUT/fault.skel.h"

"$CC" -O2 -g -Wall -Werror -I"$SRC" -I"$OUT" "$SRC"/helper/*.c \
  -Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic -o "$OUT/nsfault.tmp"
mv -f "$OUT/nsfault.tmp" "$OUT/nsfault"
echo "$want" >"$STAMP"
echo "build-bpf: built $(cd "$OUT" && ls *.o nsfault | tr '\n' ' ')in $OUT"
