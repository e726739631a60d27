#!/bin/bash
# Install the XSC glibc that glibc-make.sh built (inside the build root; build-glibc.sh runs both).
#
#   glibc-install.sh --work /build/glibc
#
# Results, for package-glibc.sh:
#   WORK/stage/root            `make install` (install_root), with Debian's layout fixups: multiarch
#                              headers, the gconv module cache (made by the just-built iconvconfig
#                              through the just-built ld.so, as Debian does), ld.so.conf.d, the empty
#                              compatibility archives
#   WORK/stage/kernel-headers  the root's linux-libc-dev headers (usr/include/...), for the sysroot
# Runs again from the kept tree after every make; the whole log goes to stdout.
set -euo pipefail
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    *) echo "glibc-install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$work/obj/config.make" ] || { echo "glibc-install.sh: $work/obj is not a built glibc tree" >&2; exit 2; }
jobs=${XBUILD_CPUS:-2}
multiarch=x86_64-linux-gnu
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
"$obj/elf/ld.so" --library-path "$obj" "$obj/iconv/iconvconfig" --nostdlib --prefix="$r" -o "$r/usr/lib/$multiarch/gconv/gconv-modules.cache" "/usr/lib/$multiarch/gconv"
mkdir -p "$r/usr/include/$multiarch" "$r/etc/ld.so.conf.d"
for h in bits gnu sys fpu_control.h a.out.h ieee754.h; do mv "$r/usr/include/$h" "$r/usr/include/$multiarch/"; done
printf '# Multiarch support\n/usr/local/lib/%s\n/lib/%s\n/usr/lib/%s\n' "$multiarch" "$multiarch" "$multiarch" > "$r/etc/ld.so.conf.d/$multiarch.conf"
(cd "$r/usr/lib/$multiarch" && for a in libpthread_nonshared.a libanl.a; do [ -e "$a" ] || ar crD "$a"; done)
# The kernel's uapi headers of this root (linux-libc-dev), for the sysroot.
mkdir -p "$st/kernel-headers"
dpkg-query -L linux-libc-dev | grep '^/usr/include/' | while read -r f; do if [ -f "$f" ]; then echo "${f#/}"; fi; done \
  | (cd / && cpio -pdm --quiet "$st/kernel-headers")
echo "linux-libc-dev $(dpkg-query -W -f '${Version}' linux-libc-dev)" > "$st/kernel-headers/VERSION"
t3=$(date +%s)
step "make install and layout: $((t3 - t2)) s"
