#!/bin/bash
# Package the XSC glibc (the rule xsc_glibc's GlibcPackage action): the install tree that
# build-glibc.sh made -> libc6 and libc6-dev .debs and the toolchain's sysroot.
#
#   package-glibc.sh --install DIR --variant base|cfi-compat --version VERSION --out OUTDIR [--arch x86_64|aarch64]
#
# DIR holds root/ (make install) and kernel-headers/. OUTDIR receives
#   libc6_<v>_<debarch>.deb      the run time, what an image ships (as Debian's libc6.install):
#                                ld.so (/lib64 link on amd64, /lib on arm64), every shared library,
#                                the gconv modules, ld.so.conf.d; DEBIAN/shlibs as Debian's libc6
#                                (every soname -> `libc6 (>= <upstream version>)`: what
#                                dpkg-shlibdeps makes a package built against it depend on)
#   libc6-dev_<v>_<debarch>.deb  headers, start files, static archives, linker scripts and .so links
#                            (as Debian's libc-dev.install)
#   sysroot/                 both packages' files plus the kernel's uapi headers: what the final
#                            toolchain's gcc --sysroot sees (and nothing of the root's Debian libc)
# Reproducible: every mtime is SOURCE_DATE_EPOCH, dpkg-deb --root-owner-group, sorted file lists.
set -euo pipefail
inst= variant= version= out= arch=x86_64
while [ $# -gt 0 ]; do
  case "$1" in
    --install) inst=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    *) echo "package-glibc.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in inst variant version out; do [ -n "${!v}" ] || { echo "package-glibc.sh: --$v is required" >&2; exit 2; }; done
inst=$(realpath "$inst"); out=$(realpath -m "$out")
st=$inst/root
case $arch in
  x86_64) debarch=amd64 rtld=lib64/ld-linux-x86-64.so.2 ;;
  aarch64) debarch=arm64 rtld=lib/ld-linux-aarch64.so.1 ;;
  *) echo "package-glibc.sh: --arch must be x86_64 or aarch64" >&2; exit 2 ;;
esac
multiarch=$arch-linux-gnu
[ -x "$st/lib/$multiarch/libc.so.6" ] || { echo "package-glibc.sh: $st is not a glibc install tree (no lib/$multiarch/libc.so.6)" >&2; exit 2; }
sde=${SOURCE_DATE_EPOCH:-0}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xsc-glibc-pkg.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$out"
mkdeb() { # name description depends pattern...
  local name=$1 desc=$2 deps=$3; shift 3
  local d=$scratch/$name
  mkdir -p "$d/DEBIAN"
  # Each pattern is a glob relative to the install root; directories are taken whole.
  (cd "$st" && for g in "$@"; do for x in $g; do if [ -e "$x" ] || [ -L "$x" ]; then find "$x"; fi; done; done \
     | LC_ALL=C sort -u | cpio -pdm --quiet "$d")
  local size; size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
  {
    echo "Package: $name"
    echo "Source: glibc ($version)"
    echo "Version: $version"
    echo "Architecture: $debarch"
    echo "Maintainer: XSC Build <build@xsc.invalid>"
    echo "Installed-Size: $size"
    if [ -n "$deps" ]; then echo "Depends: $deps"; fi
    echo "Multi-Arch: same"
    echo "Section: libs"
    echo "Priority: optional"
    echo "Description: $desc"
    echo " Debian's glibc source with the XSC patch series, built with the XSC $variant"
    echo " toolchain (XSC GLIBC $version $variant)."
  } > "$d/DEBIAN/control"
  if [ "$name" = libc6 ]; then
    # As Debian's libc6: each shared library's soname -> this package at the upstream version.
    (cd "$d" && find lib "${rtld%/*}" -maxdepth 2 -name '*.so.*' ! -type d 2>/dev/null | sed 's|.*/||' | LC_ALL=C sort -u \
      | sed -n 's/^\(.*\)\.so\.\([0-9][0-9]*\)$/\1 \2/p' | while read -r lib ver; do echo "$lib $ver libc6 (>= ${version%%-*})"; done) > "$d/DEBIAN/shlibs"
  fi
  find "$d" -exec touch -h -d "@$sde" {} +
  dpkg-deb --root-owner-group -Zxz --build "$d" "$out/${name}_${version}_$debarch.deb" > /dev/null
  echo "package-glibc.sh: $name: $(find "$d" -path "$d/DEBIAN" -prune -o ! -type d -print | wc -l) files, $(stat -c %s "$out/${name}_${version}_$debarch.deb") bytes"
}
mkdeb libc6 "GNU C Library: Shared libraries (XSC $variant)" "" \
  "etc/ld.so.conf.d" "$rtld" "lib/$multiarch/*.so*" "usr/lib/$multiarch/gconv"
mkdeb libc6-dev "GNU C Library: Development Libraries and Header Files (XSC $variant)" "libc6 (= $version), linux-libc-dev" \
  "usr/include" "usr/lib/$multiarch/*.o" "usr/lib/$multiarch/*.so" "usr/lib/$multiarch/*.a" "usr/lib/$multiarch/audit"
sys=$out/sysroot
rm -rf "$sys"; mkdir -p "$sys"
for p in libc6 libc6-dev; do dpkg-deb -x "$out/${p}_${version}_$debarch.deb" "$sys"; done
(cd "$inst/kernel-headers" && find usr -print0 | LC_ALL=C sort -z | cpio -0pdm --quiet "$sys")
find "$sys" -exec touch -h -d "@$sde" {} +
echo "package-glibc.sh: sysroot: $(find "$sys" ! -type d | wc -l) files ($(cat "$inst/kernel-headers/VERSION") headers)"
