#!/usr/bin/env bash
# Build an XSC Linux kernel image: Debian's linux-source + a quilt series + merged
# config fragments -> bzImage (x86_64) / Image (aarch64) and the final .config.
#
# Usage:
#   build.sh --source linux-source-6.1_6.1.192-3_all.deb \
#            --series kernel/patches/series \
#            --arch x86_64 --variant base \
#            --config kernel/configs/common.config --config kernel/configs/x86_64.config \
#            --config kernel/configs/base.config --config kernel/configs/x86_64-base.config \
#            --out-image OUT/bzImage --out-config OUT/kernel.config
#   Patches are the files the series names, next to the series file. --source is Debian's
#   linux-source-<version> .deb (its /usr/src/linux-source-*.tar.xz is extracted) or that .tar.xz.
#
# Environment: XBUILD_CPUS (make -j, default 2), SOURCE_DATE_EPOCH (build timestamp, default 0),
# XBUILD_PERSISTENT_DIR (incremental work dir; without it a throw-away dir is used = cold build).
#
# INCREMENTAL BUILD, AND WHY THE RESULT IS STILL CORRECT
# The work dir (XBUILD_PERSISTENT_DIR) is outside the action key: it is only a make cache.
#   pristine/<sha256 of source>/   the source extracted once (written to a temp name, then renamed)
#   src/                           pristine + the series applied; kept in sync by content
#   obj/                           make O=obj output tree (objects, .config, the image)
#   tree-ok                        marker: the tree is consistent (see below)
# Each run applies the whole series (patch -p1 --forward --fuzz=0: a hunk whose context does
# not match exactly fails, as with dpkg-source) to a fresh hard-linked copy of the pristine
# tree (staging/; GNU patch replaces a file rather than writing through the link, so pristine
# stays intact, which the run checks),
# then syncs staging/ into src/ with `rsync --checksum --delete` WITHOUT preserving times: a
# file whose content is unchanged keeps its old mtime, a changed, added or reverted file gets
# a fresh one, so make's mtime-based dependency check (plus Kbuild's per-command .cmd files
# and fixdep header dependencies) recompiles exactly what the content change affects.
# The engine keys this action by the content of every input (the source's digest, every patch,
# the series, each config fragment, this script, the host tools); whatever the key, src/ is
# made equal to "pristine + series" before make runs, so the image depends only on those
# inputs, never on which build ran before. A tree in an unknown state (a build killed with
# kill -9 or by a signal in the middle of the sync or of make, a different source) has no
# tree-ok marker: the marker is deleted just before src/ is touched and rewritten once make
# has finished (successfully, or stopped by an ordinary compile error: Kbuild's .DELETE_ON_ERROR
# removes half-written targets), and a run that finds it missing wipes src/ and obj/ and builds
# clean. A series that does not apply fails before src/ is touched and keeps the tree as it was.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[kernel] $*" >&2; }

source= series= arch= variant= out_image= out_config=
configs=()
while [ $# -gt 0 ]; do
  case $1 in
    --source) source=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --config) configs+=("$2"); shift 2 ;;
    --out-image) out_image=$2; shift 2 ;;
    --out-config) out_config=$2; shift 2 ;;
    *) die "build.sh: unknown argument '$1'" ;;
  esac
done
for v in source series arch variant out_image out_config; do
  [ -n "${!v}" ] || die "build.sh: missing --${v//_/-}"
done
[ ${#configs[@]} -gt 0 ] || die "build.sh: no --config fragment given"
[ -f "$source" ] || die "kernel source $source does not exist"
[ -f "$series" ] || die "patch series $series does not exist"

case $arch in
  x86_64) karch=x86_64 srcarch=x86 image_rel=arch/x86/boot/bzImage image_target=bzImage cross= cc= ;;
  # Debian's gcc-12-aarch64-linux-gnu installs only the versioned driver (no aarch64-linux-gnu-gcc).
  aarch64) karch=arm64 srcarch=arm64 image_rel=arch/arm64/boot/Image image_target=Image cross=aarch64-linux-gnu- cc=aarch64-linux-gnu-gcc-12 ;;
  *) die "unknown arch '$arch' (expected x86_64 or aarch64)" ;;
esac
case $variant in base|cfi-compat) ;; *) die "unknown variant '$variant' (expected base or cfi-compat)" ;; esac

exec_root=$PWD
abspath() { case $1 in /*) echo "$1" ;; *) echo "$exec_root/$1" ;; esac; }
source=$(abspath "$source"); series=$(abspath "$series")
out_image=$(abspath "$out_image"); out_config=$(abspath "$out_config")
for i in "${!configs[@]}"; do configs[$i]=$(abspath "${configs[$i]}"); done

cpus=${XBUILD_CPUS:-2}
sde=${SOURCE_DATE_EPOCH:-0}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xsc-kernel.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
work=${XBUILD_PERSISTENT_DIR:-$scratch/work}
mkdir -p "$work"
exec 9>"$work/.lock"
flock 9   # the engine already locks the persistent dir; this also protects standalone runs

# --- 1. pristine source, extracted once per source content --------------------------------
# (The engine checked the source's SHA-256 against its pin before this ran: it is an input.)
t0=$(date +%s)
sha=$(sha256sum "$source" | cut -d' ' -f1)
pristine=$work/pristine/$sha
if [ ! -d "$pristine" ]; then
  log "extracting $(basename "$source") (sha256 ${sha:0:12}) into the persistent work dir"
  rm -rf "$work/pristine"
  mkdir -p "$work/pristine/$sha.tmp"
  case $source in
    *.deb)
      # The .deb holds /usr/src/linux-source-<version>.tar.xz: stream it out, never written whole.
      dpkg-deb --fsys-tarfile "$source" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' \
        | tar -xJ -C "$work/pristine/$sha.tmp" --strip-components=1 \
        || die "$(basename "$source") holds no usr/src/linux-source-*.tar.xz (is it Debian's linux-source .deb?)" ;;
    *) tar -xf "$source" -C "$work/pristine/$sha.tmp" --strip-components=1 ;;
  esac
  [ -f "$work/pristine/$sha.tmp/Makefile" ] || die "$(basename "$source") did not unpack to a kernel source tree"
  mv "$work/pristine/$sha.tmp" "$pristine"
fi

# --- 2. is the incremental tree trustworthy? ---------------------------------------------
marker=$work/tree-ok
if [ "$(cat "$marker" 2>/dev/null)" != "source $sha arch $arch" ]; then
  [ -e "$work/src" ] && log "no success marker for this tree (first build, killed or failed build, new source): building clean"
  rm -rf "$work/src" "$work/obj" "$marker"
fi
mkdir -p "$work/src" "$work/obj"

# --- 3. apply the series to a hard-linked copy of pristine --------------------------------
staging=$work/staging
rm -rf "$staging"
cp -al "$pristine" "$staging"
patch_dir=$(dirname "$series")
touch "$scratch/before-patching"
n=0
while IFS= read -r line || [ -n "$line" ]; do
  n=$((n + 1))
  name=${line%%#*}; name=$(echo "$name" | xargs)   # quilt series: comments and blank lines
  [ -n "$name" ] || continue
  set -- $name
  name=$1; level=${2:--p1}
  p=$patch_dir/$name
  [ -f "$p" ] || die "$(basename "$series"):$n: patch $name listed in the series does not exist"
  if ! outp=$(cd "$staging" && patch "$level" --forward --batch --fuzz=0 --no-backup-if-mismatch -r - < "$p" 2>&1); then
    echo "$outp" >&2
    failed=$(echo "$outp" | awk '/^patching file /{f=$3} /FAILED|Reversed|malformed|garbage|Only garbage|can.t find file/{print (f?f": ":"") $0}' | head -5)
    die "kernel patch $name (series line $n) does not apply:
$failed"
  fi
  log "applied $name"
done < "$series"
# A file changed by patching that still shares its inode with pristine/ was written through
# the hard link: pristine is then corrupt. GNU patch never does this; check rather than trust.
written_through=$(find "$staging" -type f -links +1 -newer "$scratch/before-patching" -print -quit)
if [ -n "$written_through" ]; then
  rm -rf "$work/pristine" "$staging"
  die "patching wrote through a hard link into the pristine tree (${written_through#"$staging"/}); it was removed, run again"
fi

# --- 4. sync staging -> src by content (only changed files get a new mtime) ---------------
# From here on the tree changes: drop the marker until it is consistent again. (A series that
# does not apply fails above, before src/ is touched, so fixing it does not cost a clean build.)
rm -f "$marker"
rsync -rlpD --checksum --delete "$staging/" "$work/src/"
rm -rf "$staging"
t1=$(date +%s)
log "source tree ready in $((t1 - t0)) s"

# --- 5. config: tinyconfig + fragments, merged with merge_config.sh ------------------------
KBUILD_BUILD_TIMESTAMP=$(LC_ALL=C date -u -d "@$sde")
export KBUILD_BUILD_TIMESTAMP KBUILD_BUILD_USER=xsc KBUILD_BUILD_HOST=xsc KBUILD_BUILD_VERSION=1
mk=(make -C "$work/src" O="$work/obj" ARCH="$karch" ${cross:+CROSS_COMPILE=$cross} ${cc:+CC=$cc} -s)
src=$work/src
# `make tinyconfig`'s fragments: the generic ones, and the arch's own where it has one (x86 does,
# arm64 does not).
tiny=("$src/kernel/configs/tiny-base.config" "$src/kernel/configs/tiny.config")
[ -f "$src/arch/$srcarch/configs/tiny.config" ] && tiny+=("$src/arch/$srcarch/configs/tiny.config")
(cd "$scratch" && KCONFIG_CONFIG="$scratch/merged.config" "$src/scripts/kconfig/merge_config.sh" -m \
   "${tiny[@]}" "${configs[@]}") > "$scratch/merge.log" \
   || { cat "$scratch/merge.log" >&2; die "merge_config.sh failed"; }
[ -f "$work/obj/.config" ] && cp -p "$work/obj/.config" "$scratch/previous.config"
"${mk[@]}" KCONFIG_ALLCONFIG="$scratch/merged.config" allnoconfig > "$scratch/config.log" 2>&1 \
  || { cat "$scratch/config.log" >&2; die "make allnoconfig with the merged fragments failed"; }
if [ -f "$scratch/previous.config" ] && cmp -s "$scratch/previous.config" "$work/obj/.config"; then
  touch -r "$scratch/previous.config" "$work/obj/.config"   # same config: keep make's view unchanged
fi

# Every option a fragment asks for must really be set: Kconfig silently drops an option whose
# dependencies are unmet (e.g. CONFIG_CFI_JIT_ALLOWLIST together with CONFIG_X86_KERNEL_IBT).
bad=0
for frag in "${configs[@]}"; do
  ln=0
  while IFS= read -r l || [ -n "$l" ]; do
    ln=$((ln + 1))
    if [[ $l =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
      opt=${BASH_REMATCH[1]}; want="$l"
    elif [[ $l =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      opt=${BASH_REMATCH[1]}; want="# $opt is not set"
    else
      continue
    fi
    got=$(grep -E "^($opt=|# $opt is not set$)" "$work/obj/.config" || true)
    if [ "$want" = "# $opt is not set" ] && [ -z "$got" ]; then continue; fi   # absent = not set
    if [ "$got" != "$want" ]; then
      echo "error: ${frag#"$exec_root"/}:$ln: $opt: asked for '$want', the merged .config has '${got:-<absent: dependencies not met>}'" >&2
      bad=1
    fi
  done < "$frag"
done
[ $bad = 0 ] || die "kernel config for $arch-$variant does not have the options its fragments ask for"
grep -qx "CONFIG_XSC_VARIANT=\"$variant\"" "$work/obj/.config" \
  || die "the config fragments set CONFIG_XSC_VARIANT to something other than \"$variant\""
if [ "$variant" = cfi-compat ] && grep -qx 'CONFIG_CFI_JIT_ALLOWLIST=y' "$work/obj/.config"; then
  die "CONFIG_CFI_JIT_ALLOWLIST=y in a cfi-compat kernel: only the base variant may carry the CFI JIT allowlist"
fi
t2=$(date +%s)
log "config merged and checked in $((t2 - t1)) s"

# --- 6. make -------------------------------------------------------------------------------
set +e
"${mk[@]}" -j"$cpus" "$image_target" > "$scratch/make.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  tail -n 60 "$scratch/make.log" >&2
  if [ $rc -le 2 ]; then
    # make stopped on an ordinary build error: Kbuild declares .DELETE_ON_ERROR
    # (scripts/Kbuild.include), so no half-written target survives and make can continue from
    # this tree once the error is fixed. A killed make (rc > 128) leaves no marker.
    echo "source $sha arch $arch" > "$marker"
  fi
  die "make $image_target failed for $arch-$variant (exit $rc)"
fi
t3=$(date +%s)
log "make $image_target took $((t3 - t2)) s"

mkdir -p "$(dirname "$out_image")" "$(dirname "$out_config")"
cp "$work/obj/$image_rel" "$out_image"
cp "$work/obj/.config" "$out_config"
echo "source $sha arch $arch" > "$marker"
log "done: $(stat -c %s "$out_image") bytes, total $((t3 - t0)) s"
