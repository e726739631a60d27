#!/bin/bash
# Build glibc's startup objects with CET (IBT + SHSTK) from Debian's glibc source.
#
#   build-cet-startfiles.sh DSC OUTDIR   (runs inside a build root, see in-root.sh)
#
# Produces OUTDIR/{crt1.o,Scrt1.o,rcrt1.o,crti.o,crtn.o,gcrt1.o?,libc_nonshared.a}: the
# files a program links in from glibc besides libc.so.6 itself. They are compiled
# for real from the pinned source with --enable-cet and -fcf-protection=full; nothing
# is relabelled. Only csu/ and the four libc_nonshared members are built, not all of
# glibc (the rest of glibc is the pinned Debian libc6, which is CET-built upstream
# only where its own objects carry the marker).
#
# Invariants: the glibc version equals the build root's libc6 (checked below), so the
# startup code matches the libc.so.6 it runs with. Output is reproducible: file
# prefixes are mapped, archives are made with ar D (deterministic) mode.
set -euo pipefail
dsc=$(realpath "$1"); out=$(realpath -m "$2")
jobs=${XBUILD_CPUS:-1}
work=/build/glibc-cet
rm -rf "$work"; mkdir -p "$work" "$out"
dpkg-source --no-check -x "$dsc" "$work/src" >/dev/null
srcver=$(dpkg-parsechangelog -l "$work/src/debian/changelog" -S Version)
rootver=$(dpkg-query -W -f '${Version}' libc6)
if [ "$srcver" != "$rootver" ]; then
  echo "build-cet-startfiles: glibc source $srcver differs from the build root's libc6 $rootver ($dsc)" >&2
  exit 1
fi
# Kernel headers only (like Debian's debian/include): linux/, asm-generic/ and the
# multiarch asm/, so glibc's own headers come from its source tree.
mkdir -p "$work/kheaders"
ln -s /usr/include/linux /usr/include/asm-generic "$work/kheaders/"
ln -s /usr/include/x86_64-linux-gnu/asm "$work/kheaders/asm"
mkdir "$work/obj"; cd "$work/obj"
flags="-pipe -O2 -g -fcf-protection=full -ffile-prefix-map=$work=/usr/src/glibc-cet"
CC=gcc CXX=: AUTOCONF=false MAKEINFO=: CFLAGS="$flags" \
  "$work/src/configure" --host=x86_64-linux-gnu --build=x86_64-linux-gnu --prefix=/usr \
  --without-selinux --disable-crypt --enable-stackguard-randomization \
  --enable-stack-protector=strong --enable-multi-arch --enable-cet \
  --with-headers="$work/kheaders" --enable-kernel=3.2 --disable-werror \
  --with-pkgversion="Debian GLIBC $srcver XSC CET startfiles" >configure.log 2>&1 \
  || { tail -30 configure.log >&2; echo "build-cet-startfiles: configure failed" >&2; exit 1; }
grep -q '^enable-cet = yes' config.make || { echo "build-cet-startfiles: configure did not enable CET" >&2; exit 1; }
make -j"$jobs" csu/subdir_lib >make-csu.log 2>&1 || { tail -40 make-csu.log >&2; exit 1; }
# The members of libc_nonshared.a (see Makerules: static-only-routines of each subdir).
nonshared="stdlib/atexit.oS stdlib/at_quick_exit.oS nptl/pthread_atfork.oS debug/stack_chk_fail_local.oS"
for o in $nonshared; do
  d=${o%%/*}
  make -r -C "$work/src/$d" objdir="$work/obj" subdir="$d" -j"$jobs" "$work/obj/$o" >>make-nonshared.log 2>&1 \
    || { tail -40 make-nonshared.log >&2; echo "build-cet-startfiles: building $o failed" >&2; exit 1; }
done
for f in crt1.o Scrt1.o rcrt1.o crti.o crtn.o gcrt1.o grcrt1.o; do
  if [ -f "csu/$f" ]; then cp "csu/$f" "$out/$f"; fi
done
rm -f "$out/libc_nonshared.a"
(cd "$work/obj" && ar crD "$out/libc_nonshared.a" $nonshared)
for f in crt1.o Scrt1.o crti.o crtn.o libc_nonshared.a; do
  [ -f "$out/$f" ] || { echo "build-cet-startfiles: $f was not built" >&2; exit 1; }
done
echo "$srcver" > "$out/GLIBC_VERSION"
