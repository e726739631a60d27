#!/bin/bash
# Build the XSC glibc (the rule xsc_glibc's GlibcBuild action, rules/glibc.ts): Debian's pinned
# source, Debian's own patch series, the XSC series, compiled inside a fresh copy of the build root
# (glibc-make.sh, then glibc-install.sh).
#
#   build-glibc.sh --root ROOT.tar --toolchain TCDIR --dsc DSC --series SERIES --variant VARIANT \
#                  --version VERSION --out OUTDIR [--arch x86_64|aarch64] [--kernel-headers-deb FILE.deb]
#                  [--libgcc DIR] [--deb FILE.deb]...
#
# --arch aarch64 cross-compiles (the build root's cross gcc and binutils come in as --deb); its
# kernel uapi headers are Debian's linux-libc-dev of that arch (--kernel-headers-deb), unpacked
# into the root, instead of the root's own linux-libc-dev.
# --libgcc DIR: the XSC static libgcc (rules/libgcc.ts): its libgcc.a and crt files go into the
# toolchain's lib/ (its -B directory, searched before the compiler's own), so glibc's -lgcc and
# crtbeginS.o take them instead of the cross gcc's (aarch64's have no BTI, and glibc links with
# -z force-bti).
#
# OUTDIR receives root/ (make install: the whole glibc) and kernel-headers/ (linux-libc-dev of the
# root); package-glibc.sh makes the .debs and the sysroot from them. The whole build log is this
# command's output.
#
# INCREMENTAL, AND WHY THE RESULT IS STILL RIGHT (as the kernel's build.sh)
# XBUILD_PERSISTENT_DIR (outside the action key; without it a throw-away dir = a clean build)
# keeps tree/src (the patched source) and tree/obj (make's tree). Each run unpacks the .dsc
# (dpkg-source -x: Debian's series) and applies the XSC series in staging/ (a patch that does not
# apply fails here, naming it, before the tree is touched), then `rsync --checksum --delete`s
# staging/ into tree/src WITHOUT preserving times: unchanged files keep their mtime, changed ones
# get a new one, and make (with glibc's .d dependency files) rebuilds what the change reaches.
# Whatever ran before, src/ equals "source + both series" before make starts, so the result
# depends only on the inputs. The tree is only trusted with a marker naming everything else the
# make tree depends on (the .dsc, the root, the toolchain, glibc-make.sh, the variant and
# version); the marker is removed before the tree changes and rewritten when make has finished
# (successfully, or stopped by an ordinary error). `make install` (glibc-install.sh) runs after
# it from the kept tree every time, so a fix there needs no clean build. A missing or different marker (first build,
# kill -9, new inputs) wipes the tree: clean build. The tree is moved into the build root for the
# build (a rename: /build/glibc, always the same path, so make's dependency files stay valid) and
# moved back after it.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
debian=$here/../debian
root_tar= tc= dsc= series= variant= version= out= debs=() arch=x86_64 kdeb= libgcc=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root_tar=$2; shift 2 ;;
    --toolchain) tc=$2; shift 2 ;;
    --dsc) dsc=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --deb) debs+=("$2"); shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --kernel-headers-deb) kdeb=$(realpath "$2"); shift 2 ;;
    --libgcc) libgcc=$(realpath "$2"); shift 2 ;;
    *) echo "build-glibc.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in root_tar tc dsc series variant version out; do [ -n "${!v}" ] || { echo "build-glibc.sh: --${v%_tar} is required" >&2; exit 2; }; done
out=$(realpath -m "$out"); dsc=$(realpath "$dsc"); series=$(realpath "$series")
tc=$(realpath "$tc"); root_tar=$(realpath "$root_tar")
log() { echo "[glibc] $(date +%T) $*"; }
t0=$(date +%s)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xsc-glibc.XXXXXX")
work=${XBUILD_PERSISTENT_DIR:-$scratch/persistent}
mkdir -p "$work"
exec 9>"$work/.lock"
flock 9   # the engine already locks the persistent dir; this also protects standalone runs
rootdir=$PWD/root
cleanup() {
  # The tree goes back to the persistent dir whatever happened (a rename).
  if [ -d "$rootdir/build/glibc" ] && [ ! -e "$work/tree" ]; then mv "$rootdir/build/glibc" "$work/tree"; fi
  rm -rf "$rootdir" "$scratch"
}
trap cleanup EXIT

# --- 1. source: Debian's series (dpkg-source -x), then the XSC series -----------------------
staging=$work/staging
rm -rf "$staging"
dpkg-source --no-check -x "$dsc" "$staging" > /dev/null
n=0
while IFS= read -r line || [ -n "$line" ]; do
  n=$((n + 1))
  name=${line%%#*}; name=$(echo "$name" | xargs)
  [ -n "$name" ] || continue
  p=$(dirname "$series")/$name
  [ -f "$p" ] || { echo "error: $(basename "$series"):$n: glibc patch $name does not exist" >&2; exit 1; }
  if ! o=$(cd "$staging" && patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -r - < "$p" 2>&1); then
    echo "$o" >&2
    echo "error: glibc patch $name (series line $n) does not apply:" >&2
    echo "$o" | awk '/^patching file /{f=$3} /FAILED|Reversed|malformed|garbage|can.t find file/{print "  " (f?f": ":"") $0}' | head -5 >&2
    exit 1
  fi
  log "applied $name"
done < "$series"

# --- 2. is the kept tree trustworthy? -------------------------------------------------------
# (contents only: the paths of the inputs differ from one sandbox to the next)
id=$( { echo "arch $arch variant $variant version $version"; for f in "$dsc" "$root_tar" "$here/glibc-make.sh" ${kdeb:+"$kdeb"} ${libgcc:+"$libgcc"/*}; do sha256sum < "$f"; done
        (cd "$tc" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); } | sha256sum | cut -d' ' -f1)
marker=$work/tree-ok
if [ "$(cat "$marker" 2>/dev/null)" != "$id" ]; then
  [ -e "$work/tree" ] && log "no success marker for these inputs (first build, killed or failed build, new source, root or toolchain): building clean"
  rm -rf "$work/tree" "$marker"
fi
mkdir -p "$work/tree/src"
rm -f "$marker"
rsync -rlpD --checksum --delete "$staging/" "$work/tree/src/"
rm -rf "$staging"
log "source tree ready in $(( $(date +%s) - t0 )) s"

# --- 3. the build root ----------------------------------------------------------------------
rm -rf "$rootdir"; mkdir "$rootdir"
# Device nodes cannot be made in a user namespace; in-root.sh mounts its own /dev over them.
tar -xf "$root_tar" -C "$rootdir" --exclude='./dev/*'
mkdir -p "$rootdir/build/debs" "$rootdir/opt"
for d in "${debs[@]}"; do cp "$d" "$rootdir/build/debs/"; done
if compgen -G "$rootdir/build/debs/*.deb" >/dev/null; then
  "$debian/in-root.sh" "$rootdir" sh -c 'apt-get install -y -q --no-install-recommends -o Debug::NoLocking=1 -o APT::Sandbox::User=root /build/debs/*.deb > /build/dpkg.log 2>&1 || { tail -30 /build/dpkg.log; exit 1; }' \
    || { echo "build-glibc.sh: installing glibc's build dependencies failed" >&2; exit 1; }
fi
cp -a "$tc" "$rootdir/opt/xsc-toolchain"
chmod -R u+w "$rootdir/opt/xsc-toolchain"
if [ -n "$libgcc" ]; then
  [ -f "$libgcc/libgcc.a" ] && [ -f "$libgcc/crtbeginS.o" ] || { echo "build-glibc.sh: $libgcc has no libgcc.a or crtbeginS.o" >&2; exit 2; }
  cp "$libgcc"/* "$rootdir/opt/xsc-toolchain/lib/"
  log "libgcc.a and crt files: the XSC static libgcc's, not the cross gcc's ($(cd "$libgcc" && echo *))"
fi
cp "$here/glibc-make.sh" "$here/glibc-install.sh" "$rootdir/build/"
kheaders=()
if [ -n "$kdeb" ]; then
  dpkg-deb -x "$kdeb" "$rootdir/build/kernel-headers"
  dpkg-deb -f "$kdeb" Package Version Architecture | xargs > "$rootdir/build/kernel-headers/VERSION"
  kheaders=(--kernel-headers /build/kernel-headers/usr/include)
fi
mv "$work/tree" "$rootdir/build/glibc"
log "build root ready in $(( $(date +%s) - t0 )) s"

# --- 4. configure (new tree only), make; then make install ---------------------------------
set +e
XSC_PASS_ENV=XBUILD_CPUS "$debian/in-root.sh" "$rootdir" bash /build/glibc-make.sh \
  --work /build/glibc --toolchain /opt/xsc-toolchain --variant "$variant" --arch "$arch" "${kheaders[@]}" \
  --pkgversion "XSC GLIBC $version $variant"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  mv "$rootdir/build/glibc" "$work/tree"
  # An ordinary make error leaves a consistent tree (make deletes half-written targets).
  [ $rc -eq 10 ] && echo "$id" > "$marker"
  echo "build-glibc.sh: building glibc $version ($variant) failed (exit $rc)" >&2
  exit 1
fi
echo "$id" > "$marker"
set +e
XSC_PASS_ENV=XBUILD_CPUS "$debian/in-root.sh" "$rootdir" bash /build/glibc-install.sh --work /build/glibc --arch "$arch" "${kheaders[@]}"
rc=$?
set -e
mv "$rootdir/build/glibc" "$work/tree"
[ $rc -eq 0 ] || { echo "build-glibc.sh: installing glibc $version ($variant) failed (exit $rc)" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"
mv "$work/tree/stage/root" "$work/tree/stage/kernel-headers" "$out/"
log "done in $(( $(date +%s) - t0 )) s"
