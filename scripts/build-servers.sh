#!/usr/bin/env bash
# Builds the real servers that the nightshift lab runs, from Go modules only,
# into ${NIGHTSHIFT_TOOLS:-<repo>/.tools}/bin:
#
#   temporal                  github.com/temporalio/cli/cmd/temporal   (go install)
#   coredns                   github.com/coredns/coredns               (go install; default plugins, incl. kubernetes)
#   kube-apiserver            k8s.io/kubernetes/cmd/...                (from tools/k8s, which pins the staging modules)
#   kube-controller-manager   "
#   kubectl                   "
#   etcd, etcdctl             go.etcd.io/etcd/{server,etcdctl}/v3      (from tools/etcd)
#   prometheus, promtool      github.com/prometheus/prometheus/cmd/... (from tools/prometheus-helm)
#   helm                      helm.sh/helm/v4/cmd/helm                 "
#   alertmanager, amtool      github.com/prometheus/alertmanager/cmd/... (from tools/alertmanager)
#
# Debian's etcd 3.4.23 is too old for Kubernetes >= 1.31, so etcd is built
# here too, in the 3.6 line that Kubernetes 1.36 is tested with.
#
# Neither web UI is built (that needs npm, and Elm for Alertmanager's): the
# module zips carry no UI assets. Prometheus serves its API and /-/ready, and
# answers the UI's pages with an error. Alertmanager embeds ui/app/dist, which
# its module zip lacks, so it is built from a temporary copy of the module with
# a one-page stand-in there, which says where the API is.
#
# Each binary gets a stamp file bin/.<name>.version; a binary whose stamp
# matches is not rebuilt, so a second run takes about a second.
#
# Usage: scripts/build-servers.sh [--force] [NAME...]
#   NAME     build only these (temporal coredns kube-apiserver
#            kube-controller-manager kubectl etcd etcdctl prometheus promtool
#            alertmanager amtool helm); default: all of them (helm is for
#            the chart's tests, test/deploy/helm.test.ts and
#            test/lab/helm-dry-run.test.ts; it shares tools/prometheus-helm
#            with Prometheus and is built after it, about 4 minutes cold)
#   --force  rebuild even when the stamp matches
#
# Note: /usr/bin/kubectl on some machines is an unrelated dispatcher; always
# call "$NIGHTSHIFT_TOOLS/bin/kubectl" explicitly.
set -euo pipefail

TEMPORAL_VERSION=v1.5.1   # later versions carry replace directives: go install refuses them
COREDNS_VERSION=v1.14.7
KUBE_VERSION=v1.36.3      # must match tools/k8s/go.mod (require + every replace)
ETCD_VERSION=v3.6.16      # must match tools/etcd/go.mod
PROMETHEUS_VERSION=v0.316.0  # Prometheus 3.16.0; must match tools/prometheus-helm/go.mod
# Service discovery: Kubernetes only (with file and HTTP, always in). The lab
# and deploy/prometheus use nothing else, and the cloud SDKs the other
# mechanisms pull in are most of a cold Prometheus build.
PROM_TAGS=remove_all_sd,enable_kubernetes_sd
HELM_VERSION=v4.3.2          # must match tools/prometheus-helm/go.mod
ALERTMANAGER_VERSION=v0.35.0 # must match tools/alertmanager/go.mod
# Bump when the way a binary is built changes (flags, ldflags), to force rebuilds.
RECIPE=1

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${NIGHTSHIFT_TOOLS:-$REPO_ROOT/.tools}
BIN_DIR=$TOOLS_DIR/bin
LOG_DIR=$TOOLS_DIR/logs
K8S_MOD_DIR=$REPO_ROOT/tools/k8s
ETCD_MOD_DIR=$REPO_ROOT/tools/etcd
PROM_MOD_DIR=$REPO_ROOT/tools/prometheus-helm
AM_MOD_DIR=$REPO_ROOT/tools/alertmanager

ALL_NAMES=(temporal coredns kube-apiserver kube-controller-manager kubectl etcd etcdctl
  prometheus promtool helm alertmanager amtool)
# What setup builds: a cold machine's setup and tests must fit in 75 minutes.
DEFAULT_NAMES=(temporal coredns kube-apiserver kube-controller-manager kubectl etcd etcdctl
  prometheus promtool helm alertmanager amtool)

die() { echo "build-servers: error: $*" >&2; exit 1; }
note() { echo "build-servers: $*"; }

# ---- arguments ---------------------------------------------------------------
FORCE=0
WANT=()
for arg in "$@"; do
  case $arg in
    -f|--force) FORCE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$arg' (try --help)" ;;
    *)
      ok=0
      for n in "${ALL_NAMES[@]}"; do [[ $n == "$arg" ]] && ok=1; done
      ((ok)) || die "unknown server '$arg'; known: ${ALL_NAMES[*]}"
      WANT+=("$arg")
      ;;
  esac
done
((${#WANT[@]})) || WANT=("${DEFAULT_NAMES[@]}")

# ---- preconditions -----------------------------------------------------------
command -v go >/dev/null 2>&1 || {
  [[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH
}
command -v go >/dev/null 2>&1 || die "Go is not installed (need go >= 1.26 on PATH or at /usr/local/go/bin)"
go_version=$(go env GOVERSION) || die "'go env GOVERSION' failed"
if [[ $go_version =~ ^go1\.([0-9]+) ]]; then
  ((BASH_REMATCH[1] >= 26)) || die "need Go >= 1.26 (Kubernetes $KUBE_VERSION and etcd $ETCD_VERSION require it); found $go_version"
fi

grep -q "^require k8s.io/kubernetes $KUBE_VERSION\$" "$K8S_MOD_DIR/go.mod" 2>/dev/null ||
  die "tools/k8s/go.mod does not require k8s.io/kubernetes $KUBE_VERSION (KUBE_VERSION in this script and the module disagree)"
kube_minor=${KUBE_VERSION#v1.}; kube_minor=${kube_minor%%.*}
if grep -E '^\s+k8s\.io/[a-z-]+ => ' "$K8S_MOD_DIR/go.mod" | grep -vq " v0\.$kube_minor\.${KUBE_VERSION##*.}\$"; then
  die "tools/k8s/go.mod has a k8s.io replace line not pinned to v0.$kube_minor.${KUBE_VERSION##*.}"
fi
grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION\$" "$ETCD_MOD_DIR/go.mod" 2>/dev/null ||
  die "tools/etcd/go.mod does not require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
grep -q "github.com/prometheus/prometheus $PROMETHEUS_VERSION\$" "$PROM_MOD_DIR/go.mod" 2>/dev/null ||
  die "tools/prometheus-helm/go.mod does not require github.com/prometheus/prometheus $PROMETHEUS_VERSION"
grep -q "helm.sh/helm/v4 $HELM_VERSION\$" "$PROM_MOD_DIR/go.mod" 2>/dev/null ||
  die "tools/prometheus-helm/go.mod does not require helm.sh/helm/v4 $HELM_VERSION"
grep -q "github.com/prometheus/alertmanager $ALERTMANAGER_VERSION\$" "$AM_MOD_DIR/go.mod" 2>/dev/null ||
  die "tools/alertmanager/go.mod does not require github.com/prometheus/alertmanager $ALERTMANAGER_VERSION"

mkdir -p "$BIN_DIR" "$LOG_DIR" || die "cannot create $BIN_DIR or $LOG_DIR"

# One build at a time per tools dir (several scripts may call this at once).
exec 9>"$BIN_DIR/.build-servers.lock"
if ! flock -n 9; then
  note "another build-servers.sh is running on $BIN_DIR; waiting for it"
  flock 9
fi

# Temporary outputs, removed on any exit (a failed build leaves nothing behind).
CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT

export CGO_ENABLED=0
COMMON_FLAGS=(-trimpath -buildvcs=false)
STRIP="-s -w"

# ---- helpers -----------------------------------------------------------------
now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

stamp_file() { echo "$BIN_DIR/.$1.version"; }

# up_to_date NAME WANTED_STAMP [MODULE VERSION]
# True when the binary exists and its stamp says WANTED_STAMP. A binary without
# a stamp that `go install MODULE@VERSION` produced (say, by another script) is
# adopted: its build info names the module and version as its main module.
up_to_date() {
  local name=$1 want=$2 module=${3:-} version=${4:-}
  local bin=$BIN_DIR/$name stamp
  stamp=$(stamp_file "$name")
  [[ -x $bin ]] || return 1
  ((FORCE)) && return 1
  if [[ -f $stamp ]]; then
    [[ $(<"$stamp") == "$want" ]]
    return
  fi
  [[ -n $module ]] || return 1
  if go version -m "$bin" 2>/dev/null | grep -qE "^\s+mod\s+${module//./\\.}\s+${version//./\\.}(\s|$)"; then
    echo "$want" >"$stamp"
    ADOPTED=1
    return 0
  fi
  return 1
}

# run_build NAME LOG -- COMMAND...: runs COMMAND with output in LOG; on
# failure prints the log's tail and exits.
run_build() {
  local name=$1 log=$2; shift 3
  if ! "$@" >"$log" 2>&1; then
    echo "build-servers: error: building $name failed: $(printf '%q ' "$@")" >&2
    echo "---- last lines of $log ----" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# finish NAME TMPBIN STAMP START [NOTE]
finish() {
  local name=$1 tmp=$2 want=$3 start=$4 extra=${5:-}
  [[ -x $tmp ]] || die "building $name produced no binary at $tmp"
  mv -f "$tmp" "$BIN_DIR/$name"
  echo "$want" >"$(stamp_file "$name")"
  printf '%-24s built %s in %ss%s\n' "$name" "${want#* }" "$(elapsed "$start")" "$extra"
}

present() { printf '%-24s already present (%s)%s\n' "$1" "${2#* }" "${3:-}"; }

# go_install NAME MODULE VERSION PKG LDFLAGS: `go install PKG@VERSION`
# into a temporary GOBIN, then moved into place.
go_install() {
  local name=$1 module=$2 version=$3 pkg=$4 ldflags=$5
  local want="$name $module@$version recipe=$RECIPE"
  ADOPTED=0
  if up_to_date "$name" "$want" "$module" "$version"; then
    if ((ADOPTED)); then
      present "$name" "$want" ", adopted an existing 'go install' build"
    else
      present "$name" "$want"
    fi
    return
  fi
  local start tmpdir log=$LOG_DIR/build-$name.log
  start=$(now)
  tmpdir=$(mktemp -d "$BIN_DIR/.tmp-$name.XXXXXX")
  CLEANUP+=("$tmpdir")
  run_build "$name" "$log" -- env GOBIN="$tmpdir" \
    go install "${COMMON_FLAGS[@]}" -ldflags "$ldflags" "$pkg@$version"
  finish "$name" "$tmpdir/$(basename "$pkg")" "$want" "$start"
}

# mod_build NAME MODDIR MODULE VERSION PKG LDFLAGS [GOFLAG...]: `go build PKG`
# inside one of our pinning modules (tools/k8s, tools/etcd, ...).
mod_build() {
  local name=$1 moddir=$2 module=$3 version=$4 pkg=$5 ldflags=$6
  local extra=("${@:7}")
  local want="$name $module@$version recipe=$RECIPE"
  # Build tags (BUILD_TAGS=...) are part of what was built: a change rebuilds.
  if [[ -n ${BUILD_TAGS:-} ]]; then
    want+=" tags=$BUILD_TAGS"
    extra+=(-tags "$BUILD_TAGS")
  fi
  if up_to_date "$name" "$want"; then
    present "$name" "$want"
    return
  fi
  local start tmp=$BIN_DIR/.tmp-$name.$$ log=$LOG_DIR/build-$name.log
  start=$(now)
  CLEANUP+=("$tmp")
  run_build "$name" "$log" -- env -C "$moddir" \
    go build "${COMMON_FLAGS[@]}" "${extra[@]}" -ldflags "$ldflags" -o "$tmp" "$pkg"
  finish "$name" "$tmp" "$want" "$start"
}

kube_ldflags() {
  local major=${KUBE_VERSION#v}; major=${major%%.*}
  local date flags="$STRIP" p
  # The release time of k8s.io/kubernetes as the build date: reproducible.
  date=$(env -C "$K8S_MOD_DIR" go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null) || date=""
  [[ -n $date ]] || date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # component-base/version feeds --version and the API server's /version;
  # client-go/pkg/version feeds `kubectl version`'s client half.
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$kube_minor"
    flags+=" -X $p.gitTreeState=clean -X $p.gitCommit= -X $p.buildDate=$date"
  done
  echo "$flags"
}

# module_info MODDIR MODULE: prints "DIR TIME" of MODULE as MODDIR resolves it,
# downloading it first; TIME is its release time (for a reproducible build date).
module_info() {
  env -C "$1" go mod download "$2" >/dev/null 2>&1 || true
  env -C "$1" go list -m -f '{{.Dir}} {{if .Time}}{{.Time.UTC.Format "20060102-15:04:05"}}{{end}}' "$2" 2>/dev/null
}

# prom_ldflags MODDIR MODULE: the -X flags that Prometheus and Alertmanager
# releases set (promu), so `--version` and /api/v1/status/buildinfo say the
# release. The version is the module's VERSION file (v0.316.0 is Prometheus
# 3.16.0); the revision is unknown here (module zips carry no git data).
prom_ldflags() {
  local dir date version p=github.com/prometheus/common/version
  read -r dir date < <(module_info "$1" "$2") || true
  [[ -n ${dir:-} && -f $dir/VERSION ]] || die "cannot read the VERSION file of $2 (go mod download failed?)"
  version=$(<"$dir/VERSION")
  [[ -n ${date:-} ]] || date=$(date -u +%Y%m%d-%H:%M:%S)
  echo "$STRIP -X $p.Version=$version -X $p.Branch=HEAD -X $p.BuildUser=nightshift -X $p.BuildDate=$date"
}

# alertmanager_modfile: copies the Alertmanager module to a temporary folder with a
# stand-in for its web UI in ui/app/dist (which ui/web.go embeds and the module
# zip lacks), and sets AM_MODFILE to a go.mod for tools/alertmanager that
# replaces the module with that copy. Only the ui package's contents differ, so
# every other package's compile is shared with amtool's through the build
# cache. The copy is removed when the script exits.
alertmanager_modfile() {
  local dir src=$BIN_DIR/.tmp-alertmanager-noui page sub
  local copy=$src/alertmanager@$ALERTMANAGER_VERSION
  read -r dir _ < <(module_info "$AM_MOD_DIR" github.com/prometheus/alertmanager) || true
  [[ -d ${dir:-} ]] || die "github.com/prometheus/alertmanager $ALERTMANAGER_VERSION is not in the module cache (go mod download failed?)"
  rm -rf "$src"
  mkdir -p "$src"
  CLEANUP+=("$src")
  cp -r "$dir" "$copy"
  chmod -R u+w "$copy"
  # elm's page is served at /, mantine's at /ui/.
  for sub in elm:. mantine:..; do
    page="<!doctype html><title>Alertmanager</title><p>Alertmanager ${ALERTMANAGER_VERSION#v} built by"
    page+=" nightshift without its web UI (it needs npm and Elm). The API is at"
    page+=" <a href=\"${sub#*:}/api/v2/status\">api/v2/</a>; amtool talks to it.</p>"
    mkdir -p "$copy/ui/app/dist/${sub%:*}"
    printf '%s\n' "$page" | gzip -9n >"$copy/ui/app/dist/${sub%:*}/index.html.gz"
  done
  cp "$AM_MOD_DIR/go.mod" "$src/go.mod"
  cp "$AM_MOD_DIR/go.sum" "$src/go.sum"
  printf '\nreplace github.com/prometheus/alertmanager %s => %s\n' "$ALERTMANAGER_VERSION" "$copy" \
    >>"$src/go.mod"
  AM_MODFILE=$src/go.mod
}

# ---- the servers -------------------------------------------------------------
build_one() {
  case $1 in
    temporal)
      local t="" p
      while read -r p; do
        [[ $(realpath "$p") == "$(realpath -m "$BIN_DIR/temporal")" ]] && continue
        t=$p; break
      done < <(type -ap temporal || true)
      if [[ -n $t ]]; then
        printf '%-24s not built: using %s from PATH (%s)\n' temporal "$t" \
          "$("$t" --version 2>/dev/null | head -n1 || echo 'version unknown')"
        return
      fi
      go_install temporal github.com/temporalio/cli "$TEMPORAL_VERSION" \
        github.com/temporalio/cli/cmd/temporal \
        "$STRIP -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_VERSION#v}"
      ;;
    coredns)
      go_install coredns github.com/coredns/coredns "$COREDNS_VERSION" \
        github.com/coredns/coredns "$STRIP"
      ;;
    kube-apiserver|kube-controller-manager|kubectl)
      KUBE_LDFLAGS=${KUBE_LDFLAGS:-$(kube_ldflags)}
      mod_build "$1" "$K8S_MOD_DIR" k8s.io/kubernetes "$KUBE_VERSION" \
        "k8s.io/kubernetes/cmd/$1" "$KUBE_LDFLAGS"
      ;;
    etcd)
      mod_build etcd "$ETCD_MOD_DIR" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" \
        go.etcd.io/etcd/server/v3 "$STRIP"
      ;;
    etcdctl)
      mod_build etcdctl "$ETCD_MOD_DIR" go.etcd.io/etcd/etcdctl/v3 "$ETCD_VERSION" \
        go.etcd.io/etcd/etcdctl/v3 "$STRIP"
      ;;
    prometheus|promtool)
      PROM_LDFLAGS=${PROM_LDFLAGS:-$(prom_ldflags "$PROM_MOD_DIR" github.com/prometheus/prometheus)}
      BUILD_TAGS=$PROM_TAGS mod_build "$1" "$PROM_MOD_DIR" github.com/prometheus/prometheus "$PROMETHEUS_VERSION" \
        "github.com/prometheus/prometheus/cmd/$1" "$PROM_LDFLAGS"
      ;;
    helm)
      mod_build helm "$PROM_MOD_DIR" helm.sh/helm/v4 "$HELM_VERSION" helm.sh/helm/v4/cmd/helm \
        "$STRIP -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
      ;;
    amtool)
      AM_LDFLAGS=${AM_LDFLAGS:-$(prom_ldflags "$AM_MOD_DIR" github.com/prometheus/alertmanager)}
      mod_build amtool "$AM_MOD_DIR" github.com/prometheus/alertmanager "$ALERTMANAGER_VERSION" \
        github.com/prometheus/alertmanager/cmd/amtool "$AM_LDFLAGS"
      ;;
    alertmanager)
      AM_LDFLAGS=${AM_LDFLAGS:-$(prom_ldflags "$AM_MOD_DIR" github.com/prometheus/alertmanager)}
      AM_MODFILE=""
      if ! up_to_date alertmanager "alertmanager github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION recipe=$RECIPE"; then
        alertmanager_modfile
      fi
      mod_build alertmanager "$AM_MOD_DIR" github.com/prometheus/alertmanager "$ALERTMANAGER_VERSION" \
        github.com/prometheus/alertmanager/cmd/alertmanager "$AM_LDFLAGS" ${AM_MODFILE:+"-modfile=$AM_MODFILE"}
      ;;
  esac
}

KUBE_LDFLAGS="" PROM_LDFLAGS="" AM_LDFLAGS=""
for name in "${WANT[@]}"; do
  build_one "$name"
done

for name in "${WANT[@]}"; do
  if [[ $name == etcd ]]; then
    note "etcd for the lab: $BIN_DIR/etcd (etcd ${ETCD_VERSION#v}, built from go.etcd.io/etcd;" \
      "Debian's etcd 3.4 is too old for Kubernetes $KUBE_VERSION)"
  fi
done
