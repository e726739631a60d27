#!/bin/bash
# Build the XSC glibc from Debian's source and package it: runs inside a build root (see
# build-glibc.sh, which prepares the root), or by hand on a Debian 12 host for experiments.
#
#   glibc-in-root.sh --dsc DSC --series SERIES --toolchain TCDIR --variant base|cfi-compat \
#                    --out OUTDIR [--suffix +xsc1] [--work /build/glibc] [--kernel-headers /usr/include]
#
# Steps:
#   1. dpkg-source -x DSC (applies Debian's own patch series), then the XSC series (SERIES and the
#      patches next to it, patch -p1 --fuzz=0: a hunk that does not apply exactly fails, naming it)
#   2. upstream configure + make with the bootstrap toolchain's gcc (TCDIR/bin/<triple>-gcc: the
#      variant's flags and the XSC ABI note on every link), Debian's directory layout (slibdir
#      /lib/<multiarch>, libdir /usr/lib/<multiarch>, rtlddir /lib64, multiarch headers) and
#      --with-pkgversion "XSC GLIBC <version><suffix> <variant>"; cfi-compat adds --enable-cet.
#   3. make install into a staging root, then two .debs built with dpkg-deb:
#        libc6      the run time: ld.so, every shared library, the gconv modules
#        libc6-dev  headers, start files, static libraries, linker scripts and .so links
#      and OUTDIR/sysroot: both trees plus the kernel's uapi headers (linux-libc-dev of the root):
#      what the XSC toolchain compiles and links against (gcc --sysroot).
# Whole logs go to stdout (configure, make -s, install): they are the action's log.
# Reproducible: fixed work path and -ffile-prefix-map, SOURCE_DATE_EPOCH from debian/changelog
# (as dpkg-buildpackage does), every mtime clamped to it, dpkg-deb --root-owner-group.
set -euo pipefail
dsc= series= tc= variant= out= suffix=+xsc1 work=/build/glibc kheaders=/usr/include
while [ $# -gt 0 ]; do
  case "$1" in
    --dsc) dsc=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --toolchain) tc=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --suffix) suffix=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --kernel-headers) kheaders=$2; shift 2 ;;
    *) echo "glibc-in-root.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in dsc series tc variant out; do [ -n "${!v}" ] || { echo "glibc-in-root.sh: --$v is required" >&2; exit 2; }; done
case $variant in base|cfi-compat) ;; *) echo "glibc-in-root.sh: --variant must be base or cfi-compat" >&2; exit 2 ;; esac
dsc=$(realpath "$dsc"); series=$(realpath "$series"); tc=$(realpath "$tc"); out=$(realpath -m "$out")
jobs=${XBUILD_CPUS:-2}
multiarch=x86_64-linux-gnu triple=x86_64-xsc-linux-gnu
cc=$tc/bin/$triple-gcc
[ -x "$cc" ] || { echo "glibc-in-root.sh: $cc is not an XSC toolchain's gcc" >&2; exit 2; }
step() { echo "[glibc] $(date +%T) $*"; }

rm -rf "$work"; mkdir -p "$work" "$out"
t0=$(date +%s)
# --- 1. source: Debian's series, then ours -------------------------------------------------
dpkg-source --no-check -x "$dsc" "$work/src" > /dev/null
src=$work/src
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
export SOURCE_DATE_EPOCH=${XSC_SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l "$src/debian/changelog" -S Timestamp)}
n=0
while IFS= read -r line || [ -n "$line" ]; do
  n=$((n + 1))
  name=${line%%#*}; name=$(echo "$name" | xargs)
  [ -n "$name" ] || continue
  p=$(dirname "$series")/$name
  [ -f "$p" ] || { echo "glibc-in-root.sh: $(basename "$series"):$n: patch $name does not exist" >&2; exit 1; }
  if ! o=$(cd "$src" && patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -r - < "$p" 2>&1); then
    echo "$o" >&2
    echo "error: glibc patch $name (series line $n) does not apply:" >&2
    echo "$o" | awk '/^patching file /{f=$3} /FAILED|Reversed|malformed|garbage|can.t find file/{print "  " (f?f": ":"") $0}' | head -5 >&2
    exit 1
  fi
  step "applied $name"
done < "$series"
pkgversion="XSC GLIBC $ver$suffix $variant"

# --- 2. configure + make -------------------------------------------------------------------
# Kernel headers only (as Debian's debian/include): glibc's own headers come from its tree.
mkdir -p "$work/kheaders"
for h in linux asm-generic; do ln -s "$kheaders/$h" "$work/kheaders/$h"; done
ln -s "$kheaders/$multiarch/asm" "$work/kheaders/asm"
mkdir -p "$work/obj"; cd "$work/obj"
cat > configparms <<EOF
CFLAGS = -pipe -O2 -ffile-prefix-map=$work=/usr/src/glibc
ASFLAGS = -pipe -O2
BUILD_CC = gcc
LDFLAGS =
BASH := /bin/bash
KSH := /bin/bash
SHELL := /bin/bash
LIBGD = no
bindir = /usr/bin
datadir = /usr/share
complocaledir = /usr/lib/locale
sysconfdir = /etc
libexecdir = /usr/lib
rootsbindir = /sbin
includedir = /usr/include
docdir = /usr/share/doc
mandir = /usr/share/man
sbindir = /usr/sbin
vardbdir = /var/lib/misc
libdir = /usr/lib/$multiarch
slibdir = /lib/$multiarch
rtlddir = /lib64
install_root = $work/stage
EOF
cet=
[ "$variant" = cfi-compat ] && cet=--enable-cet
step "configure ($pkgversion${cet:+, $cet})"
CC=$cc CXX=: AUTOCONF=false MAKEINFO=: "$src/configure" \
  --host=$multiarch --build=$multiarch --prefix=/usr \
  --without-selinux --disable-crypt --enable-stackguard-randomization \
  --enable-stack-protector=strong --enable-multi-arch $cet \
  --with-headers="$work/kheaders" --enable-kernel=3.2 --disable-werror \
  --with-pkgversion="$pkgversion" --with-bugurl="https://xsc.invalid/bugs" \
  || { echo "glibc-in-root.sh: configure failed (config.log follows)" >&2; tail -40 config.log >&2; exit 1; }
if [ "$variant" = cfi-compat ]; then
  grep -q '^enable-cet = yes' config.make || { echo "glibc-in-root.sh: configure did not enable CET" >&2; exit 1; }
fi
t1=$(date +%s)
step "make -j$jobs"
make -s -j"$jobs"
t2=$(date +%s)
step "make install"
make -s -j"$jobs" install
st=$work/stage
# As Debian's packaging does: gconv cache, multiarch header layout, ld.so.conf.d, empty
# compatibility archives.
elf/iconvconfig --nostdlib --prefix="$st" -o "$st/usr/lib/$multiarch/gconv/gconv-modules.cache" "/usr/lib/$multiarch/gconv"
mkdir -p "$st/usr/include/$multiarch" "$st/etc/ld.so.conf.d"
for h in bits gnu sys fpu_control.h a.out.h ieee754.h; do mv "$st/usr/include/$h" "$st/usr/include/$multiarch/"; done
printf '# Multiarch support\n/usr/local/lib/%s\n/lib/%s\n/usr/lib/%s\n' "$multiarch" "$multiarch" "$multiarch" > "$st/etc/ld.so.conf.d/$multiarch.conf"
(cd "$st/usr/lib/$multiarch" && for a in libpthread_nonshared.a libanl.a; do [ -e "$a" ] || ar crD "$a"; done)
t3=$(date +%s)

# --- 3. packages and sysroot ---------------------------------------------------------------
mkdeb() { # name description depends files...
  local name=$1 desc=$2 deps=$3; shift 3
  local d=$work/pkg/$name
  rm -rf "$d"; mkdir -p "$d/DEBIAN"
  # Each pattern is a glob relative to the staging root; directories are taken whole.
  (cd "$st" && for g in "$@"; do for x in $g; do if [ -e "$x" ] || [ -L "$x" ]; then find "$x"; fi; done; done \
     | LC_ALL=C sort -u | cpio -pdm --quiet "$d")
  local size; size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
  {
    echo "Package: $name"
    echo "Source: glibc ($ver)"
    echo "Version: $ver$suffix"
    echo "Architecture: amd64"
    echo "Maintainer: XSC Build <build@xsc.invalid>"
    echo "Installed-Size: $size"
    [ -n "$deps" ] && echo "Depends: $deps"
    echo "Multi-Arch: same"
    echo "Section: libs"
    echo "Priority: optional"
    echo "Description: $desc"
    echo " Built from Debian's glibc $ver source with the XSC $variant toolchain"
    echo " and the XSC patch series ($pkgversion)."
  } > "$d/DEBIAN/control"
  find "$d" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz --build "$d" "$out/${name}_${ver}${suffix}_amd64.deb" > /dev/null
  echo "[glibc] $name: $(find "$d" -not -path '*/DEBIAN*' -type f | wc -l) files, $(stat -c %s "$out/${name}_${ver}${suffix}_amd64.deb") bytes"
}
cd "$st"
# Debian's libc6.install / libc-dev.install, with what the runtime needs only.
mkdeb libc6 "GNU C Library: Shared libraries (XSC $variant)" "" \
  "etc/ld.so.conf.d" "lib64/ld-linux-x86-64.so.2" "lib/$multiarch/*.so*" "usr/lib/$multiarch/gconv"
mkdeb libc6-dev "GNU C Library: Development Libraries and Header Files (XSC $variant)" "libc6 (= $ver$suffix), linux-libc-dev" \
  "usr/include" "usr/lib/$multiarch/*.o" "usr/lib/$multiarch/*.so" "usr/lib/$multiarch/*.a" "usr/lib/$multiarch/audit"
# The sysroot: both packages' files plus the kernel's uapi headers (everything linux-libc-dev
# installs in this root), so nothing of the root's own libc is reachable through --sysroot.
sys=$out/sysroot
rm -rf "$sys"; mkdir -p "$sys"
dpkg-deb -x "$out/libc6_${ver}${suffix}_amd64.deb" "$sys"
dpkg-deb -x "$out/libc6-dev_${ver}${suffix}_amd64.deb" "$sys"
if dpkg-query -L linux-libc-dev > "$work/kfiles" 2>/dev/null; then
  grep '^/usr/include/' "$work/kfiles" | while read -r f; do if [ -f "$f" ]; then echo "${f#/}"; fi; done | (cd / && cpio -pdm --quiet "$sys")
else
  for h in linux asm-generic; do cp -a "$kheaders/$h" "$sys/usr/include/"; done
  cp -a "$kheaders/$multiarch/asm" "$sys/usr/include/$multiarch/"
fi
find "$sys" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
echo "$ver$suffix $variant" > "$out/GLIBC_VERSION"
t4=$(date +%s)
step "done: configure $((t1 - t0)) s, make $((t2 - t1)) s, install $((t3 - t2)) s, packages $((t4 - t3)) s, total $((t4 - t0)) s"
