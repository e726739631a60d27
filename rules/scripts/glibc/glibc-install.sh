#!/bin/bash
# Install the XSC glibc that glibc-make.sh built (inside the build root; build-glibc.sh runs both).
#
#   glibc-install.sh --work /build/glibc [--arch x86_64|aarch64] [--kernel-headers DIR/usr/include]
#
# Results, for package-glibc.sh:
#   WORK/stage/root            `make install` (install_root), with Debian's layout fixups: multiarch
#                              headers, the gconv module cache (made by the just-built iconvconfig
#                              through the just-built ld.so, as Debian does; cross (aarch64): by the
#                              root's iconvconfig of the same glibc version, as the cache's format
#                              is the same on both 64-bit little-endian arches), ld.so.conf.d, the
#                              empty compatibility archives
#   WORK/stage/kernel-headers  the kernel's uapi headers (usr/include/...), for the sysroot: the root's
#                              linux-libc-dev, or the --kernel-headers tree (Debian's linux-libc-dev
#                              of the target arch) when given
# Runs again from the kept tree after every make; the whole log goes to stdout.
set -euo pipefail
work= arch=x86_64 kheaders=
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --kernel-headers) kheaders=$2; shift 2 ;;
    *) echo "glibc-install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$work/obj/config.make" ] || { echo "glibc-install.sh: $work/obj is not a built glibc tree" >&2; exit 2; }
jobs=${XBUILD_CPUS:-2}
multiarch=$arch-linux-gnu
step() { echo "[glibc] $(date +%T) $*"; }
obj=$work/obj
cd "$obj"
t2=$(date +%s)
st=$work/stage
rm -rf "$st"; mkdir -p "$st/root"
step "make install"
make -s -j"$jobs" install_root="$st/root" install
r=$st/root
# As Debian's packaging does: gconv cache, multiarch header layout, ld.so.conf.d, empty
# compatibility archives.
if [ "$arch" = x86_64 ]; then iconvconfig=("$obj/elf/ld.so" --library-path "$obj" "$obj/iconv/iconvconfig"); else iconvconfig=(/usr/sbin/iconvconfig); fi
"${iconvconfig[@]}" --nostdlib --prefix="$r" -o "$r/usr/lib/$multiarch/gconv/gconv-modules.cache" "/usr/lib/$multiarch/gconv"
mkdir -p "$r/usr/include/$multiarch" "$r/etc/ld.so.conf.d"
for h in bits gnu sys fpu_control.h a.out.h ieee754.h; do mv "$r/usr/include/$h" "$r/usr/include/$multiarch/"; done
printf '# Multiarch support\n/usr/local/lib/%s\n/lib/%s\n/usr/lib/%s\n' "$multiarch" "$multiarch" "$multiarch" > "$r/etc/ld.so.conf.d/$multiarch.conf"
(cd "$r/usr/lib/$multiarch" && for a in libpthread_nonshared.a libanl.a; do [ -e "$a" ] || ar crD "$a"; done)
# The kernel's uapi headers of this root (linux-libc-dev), for the sysroot.
mkdir -p "$st/kernel-headers"
if [ -n "$kheaders" ]; then
  mkdir -p "$st/kernel-headers/usr"
  cp -a "$kheaders" "$st/kernel-headers/usr/include"
  cp "$kheaders/../../VERSION" "$st/kernel-headers/VERSION"   # written by build-glibc.sh
else
  dpkg-query -L linux-libc-dev | grep '^/usr/include/' | while read -r f; do if [ -f "$f" ]; then echo "${f#/}"; fi; done \
    | tar -C / --no-recursion -T - -cf - | tar -C "$st/kernel-headers" -xf -
  echo "linux-libc-dev $(dpkg-query -W -f '${Version}' linux-libc-dev)" > "$st/kernel-headers/VERSION"
fi
t3=$(date +%s)
step "make install and layout: $((t3 - t2)) s"
