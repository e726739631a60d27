#!/bin/bash
# Build the XSC gcc run time, gcc 12's libgcc, for one arch and variant (the rule xsc_libgcc's
# LibgccBuild action, rules/libgcc.ts): the upstream gcc tarball from Debian's pinned
# gcc-12-source .deb, compiled by the variant's XSC bootstrap toolchain (Debian's cross gcc 12.2.0
# behind the XSC wrapper: the variant's flags and the XSC ABI note) against the XSC glibc sysroot.
#
#   build-libgcc.sh --source GCC-12-SOURCE.deb --toolchain BOOTSTRAP_TCDIR [--sysroot SYSROOT] \
#                   --arch aarch64 --variant base|cfi-compat --out OUTDIR
#
# Two stages, as gcc's own bootstrap of a new target:
#   static (no --sysroot)  before glibc exists: libgcc.a and the crt files (gcc configured
#                          --without-headers --with-newlib --disable-shared, i.e. inhibit_libc: no
#                          C library header is read, no unwinder needing one, no libgcc_s). What
#                          glibc links: -lgcc (its 128-bit long double arithmetic: __addtf3, ...),
#                          crtbeginS.o/crtendS.o around its other shared objects and programs.
#   full (--sysroot)       against the XSC glibc: everything below, what the final toolchain uses.
#
# OUTDIR gets what gcc installs in its library directory and Debian's libgcc-s1 in /lib/<gnu>:
#   crtbegin.o crtbeginS.o crtbeginT.o crtend.o crtendS.o crtfastmath.o
#   libgcc.a libgcc_eh.a libgcov.a libgcc_s.so.1 libgcc_s.so (gcc's linker script:
#   GROUP ( libgcc_s.so.1 -lgcc ))
#
# HOW (no xgcc, no cc1): libgcc needs from gcc's build tree only a handful of generated headers
# (tconfig.h, tm.h, options.h, insn-modes.h, insn-constants.h, auto-host.h, version.h) and
# libgcc.mvars. So gcc is configured for the target (Debian's options for its arm64 gcc, where they
# reach libgcc: threads, default PIE, shared), the build libiberty is built for the two generator
# programs (genmodes, genconstants), and `make -C gcc libgcc-support` makes those files with the
# driver, its specs and fixincludes marked as made (-o: libgcc is compiled by a finished gcc,
# Debian's cross gcc 12.2.0 of the same release, through the XSC wrapper, so gcc's own include/
# is not used). libgcc is then configured and built with CC = that wrapper + --sysroot=SYSROOT:
# every object (crtstuff included, whose rules ignore CFLAGS) gets the variant's flags from the
# wrapper, and libgcc_s.so.1 is linked by gcc with the XSC ABI note, the sysroot's start files and
# libc, and the crtbeginS.o/crtendS.o just built (libgcc links with -B./).
# Flags: CFLAGS="-g -O2" as Debian's gcc builds its target libraries; the wrapper adds
# -mbranch-protection=standard for aarch64 cfi-compat. Debian's own patch series is not applied:
# of the patches Debian applies for an arm64 target none changes aarch64's libgcc (the ones that
# touch libgcc/ are for ia64, kfreebsd and libunwind).
# Stripped as Debian's packages strip them (dh_strip): libgcc_s.so.1 --strip-unneeded, the
# archives --strip-debug; the crt files are compiled without debug information.
#
# CHECKS (the action fails, naming what is wrong):
#   both        libgcc_s.so.1 has SONAME libgcc_s.so.1, the XSC ABI note, and needs nothing but
#               libc.so.6
#   cfi-compat  every object carries the GNU property "AArch64 feature: BTI, PAC": each crt file,
#               each member of libgcc.a, libgcc_eh.a and libgcov.a, and libgcc_s.so.1 (readelf -n)
set -euo pipefail
src_deb= tc= sysroot= arch= variant= out=
while [ $# -gt 0 ]; do
  case "$1" in
    --source) src_deb=$2; shift 2 ;;
    --toolchain) tc=$2; shift 2 ;;
    --sysroot) sysroot=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build-libgcc.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in src_deb tc arch variant out; do [ -n "${!v}" ] || { echo "build-libgcc.sh: --${v/src_deb/source} is required" >&2; exit 2; }; done
case "$arch/$variant" in
  aarch64/base|aarch64/cfi-compat) ;;
  *) echo "build-libgcc.sh: $arch/$variant: only aarch64 (base, cfi-compat) is supported" >&2; exit 2 ;;
esac
stage=full
[ -n "$sysroot" ] || stage=static
src_deb=$(realpath "$src_deb"); tc=$(realpath "$tc"); out=$(realpath -m "$out")
[ $stage = static ] || sysroot=$(realpath "$sysroot")
gnu=$arch-linux-gnu triple=$arch-xsc-linux-gnu
[ -x "$tc/bin/$triple-gcc" ] || { echo "build-libgcc.sh: $tc is not an XSC $arch toolchain (no bin/$triple-gcc)" >&2; exit 2; }
[ $stage = static ] || { [ -f "$sysroot/usr/include/stdio.h" ] && [ -e "$sysroot/usr/lib/$gnu/libc.so" ]; } \
  || { echo "build-libgcc.sh: $sysroot is not an XSC glibc sysroot (no usr/include/stdio.h, usr/lib/$gnu/libc.so)" >&2; exit 2; }
jobs=${XBUILD_CPUS:-2}
t0=$(date +%s)
log() { echo "[libgcc] $(date +%T) +$(( $(date +%s) - t0 ))s $*"; }
# A fixed path (not mktemp's): it ends up in the objects' debug information before stripping and
# in libgcc.mvars; the same inputs then give the same bytes.
work=${TMPDIR:-/tmp}/xsc-libgcc-$arch-$variant-$stage
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# --- 1. the upstream tarball out of Debian's gcc-12-source ------------------------------------
dpkg-deb --fsys-tarfile "$src_deb" | tar -x -C "$work" --wildcards './usr/src/gcc-*/gcc-*.tar.*'
tarball=$(find "$work/usr/src" -name 'gcc-*.tar.*' ! -name 'gcc-*-doc*' | head -1)
[ -n "$tarball" ] || { echo "build-libgcc.sh: no gcc tarball in $src_deb (expected usr/src/gcc-12/gcc-12.*.tar.xz)" >&2; exit 1; }
# Only what configure, the generators and libgcc read: not the testsuite nor the other languages'
# front ends and run-time libraries.
tar -xf "$tarball" -C "$work" \
  --exclude='*/gcc/testsuite' --exclude='*/gcc/ada' --exclude='*/gcc/d' --exclude='*/gcc/go' \
  --exclude='*/gcc/fortran' --exclude='*/gcc/m2' --exclude='*/gcc/jit' --exclude='*/gcc/po' \
  --exclude='*/libstdc++-v3' --exclude='*/libgo' --exclude='*/libphobos' --exclude='*/libgfortran' \
  --exclude='*/libsanitizer' --exclude='*/libada' --exclude='*/gnattools' --exclude='*/libgomp' \
  --exclude='*/libobjc' --exclude='*/libffi' --exclude='*/libquadmath' --exclude='*/libatomic' \
  --exclude='*/libitm' --exclude='*/libvtv' --exclude='*/zlib' --exclude='*/gotools' --exclude='*/libcc1'
rm -rf "$work/usr" "$tarball"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'gcc-*')
[ -f "$src/libgcc/libgcc2.c" ] || { echo "build-libgcc.sh: $tarball holds no gcc source tree" >&2; exit 1; }
log "gcc source $(cat "$src/gcc/BASE-VER") unpacked"

# --- 2. gcc configured for the target; the headers libgcc includes, and libgcc.mvars ----------
obj=$work/obj
mkdir -p "$obj"
gcc_opts=(
  --build=x86_64-linux-gnu --host=x86_64-linux-gnu --target="$gnu"
  --prefix=/usr --with-gcc-major-version-only
  --enable-languages=c --disable-bootstrap --disable-multilib --disable-nls --disable-werror
  --enable-default-pie --enable-linker-build-id
  --enable-gnu-unique-object --enable-fix-cortex-a53-843419 --enable-checking=release
  --disable-lto --disable-plugin --without-isl --without-zstd
)
if [ $stage = full ]; then
  gcc_opts+=(--with-sysroot="$sysroot" --enable-shared --enable-threads=posix)
  libgcc_opts=(--with-sysroot="$sysroot" --enable-shared --enable-threads=posix)
  cc="$tc/bin/$triple-gcc --sysroot=$sysroot"
else
  gcc_opts+=(--without-headers --with-newlib --disable-shared --disable-threads)
  libgcc_opts=(--disable-shared --disable-threads --with-newlib)
  cc="$tc/bin/$triple-gcc"
fi
(cd "$obj" && "$src/configure" "${gcc_opts[@]}" > "$work/configure.log" 2>&1) \
  || { tail -30 "$work/configure.log"; echo "build-libgcc.sh: configuring gcc failed" >&2; exit 1; }
make -C "$obj" -j"$jobs" configure-gcc all-build-libiberty > "$work/gcc-prep.log" 2>&1 \
  || { tail -30 "$work/gcc-prep.log"; echo "build-libgcc.sh: configuring gcc/ or building the build libiberty failed" >&2; exit 1; }
log "gcc configured for $gnu"
make -C "$obj/gcc" -j"$jobs" -o 'xgcc' -o specs -o stmp-int-hdrs \
  libgcc-support tm.h options.h insn-modes.h insn-modes-inline.h insn-constants.h version.h > "$work/gcc-headers.log" 2>&1 \
  || { tail -30 "$work/gcc-headers.log"; echo "build-libgcc.sh: making gcc's headers for libgcc failed" >&2; exit 1; }
mkdir -p "$obj/gcc/include"   # libgcc copies unwind.h there for the xgcc it does not use
log "libgcc-support: $(cd "$obj/gcc" && echo tconfig.h tm.h options.h insn-modes.h insn-constants.h libgcc.mvars)"

# --- 3. libgcc, compiled by the XSC bootstrap toolchain ----------------------------------------
lib=$obj/$gnu/libgcc
mkdir -p "$lib"
bin() { echo "$tc/bin/$triple-$1"; }
(cd "$lib" && CC="$cc" CFLAGS="-g -O2" AR=$(bin ar) RANLIB=$(bin ranlib) NM=$(bin nm) AS=$(bin as) LD=$(bin ld) \
   "$src/libgcc/configure" --srcdir="$src/libgcc" --with-cross-host=x86_64-linux-gnu --prefix=/usr \
     "${libgcc_opts[@]}" --disable-multilib --enable-default-pie \
     --with-gcc-major-version-only --with-target-subdir="$gnu" \
     --build=x86_64-linux-gnu --host="$gnu" --target="$gnu" > "$work/libgcc-configure.log" 2>&1) \
  || { tail -30 "$work/libgcc-configure.log"; tail -40 "$lib/config.log" 2>/dev/null; echo "build-libgcc.sh: configuring libgcc failed" >&2; exit 1; }
targets=(all)
if [ $stage = static ]; then
  # No C library yet: no threads (libgcc's configure asks the compiler for its thread model, and
  # Debian's cross gcc says posix, so the single-threaded gthr is put in place by hand) and no
  # unwinder in libgcc.a (it reads <link.h>; glibc's shared objects unwind through libgcc_s, which
  # the full stage builds). What is left is the arithmetic and CPU helpers glibc links.
  rm -f "$lib/gthr-default.h"; cp "$src/libgcc/gthr-single.h" "$lib/gthr-default.h"   # (a link to gthr-posix.h)
  targets=(libgcc.a crtbegin.o crtbeginS.o crtbeginT.o crtend.o crtendS.o LIB2ADDEH= LIB2ADDEHSTATIC= LIB2ADDEHSHARED=)
fi
make -C "$lib" -j"$jobs" "${targets[@]}" > "$work/libgcc-make.log" 2>&1 \
  || { grep -E 'error|Error' "$work/libgcc-make.log" | head -20; tail -20 "$work/libgcc-make.log"; echo "build-libgcc.sh: building libgcc failed" >&2; exit 1; }
log "libgcc built ($(grep -c -- ' -c ' "$work/libgcc-make.log") compilations)"

# --- 4. the outputs ------------------------------------------------------------------------------
FILES=(crtbegin.o crtbeginS.o crtbeginT.o crtend.o crtendS.o crtfastmath.o libgcc.a libgcc_eh.a libgcov.a libgcc_s.so.1)
ARCHIVES=(libgcc.a libgcc_eh.a libgcov.a)
[ $stage = static ] && FILES=(crtbegin.o crtbeginS.o crtbeginT.o crtend.o crtendS.o libgcc.a) ARCHIVES=(libgcc.a)
rm -rf "$out"; mkdir -p "$out"
for f in "${FILES[@]}"; do
  [ -f "$lib/$f" ] || { echo "build-libgcc.sh: libgcc's build made no $f" >&2; exit 1; }
  cp "$lib/$f" "$out/$f"
done
if [ $stage = full ]; then
  cp "$lib/libgcc_s.so" "$out/libgcc_s.so"   # the linker script gcc installs
  grep -q 'GROUP ( libgcc_s.so.1 -lgcc )' "$out/libgcc_s.so" || { echo "build-libgcc.sh: libgcc_s.so is not gcc's linker script:" >&2; cat "$out/libgcc_s.so" >&2; exit 1; }
  "$(bin strip)" --strip-unneeded "$out/libgcc_s.so.1"
fi
for a in "${ARCHIVES[@]}"; do "$(bin strip)" --strip-debug --enable-deterministic-archives "$out/$a"; done
chmod 0644 "$out"/*

# --- 5. checks -----------------------------------------------------------------------------------
readelf=$(bin readelf)
if [ $stage = full ]; then
so=$out/libgcc_s.so.1
soname=$("$readelf" -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libgcc_s.so.1 ] || { echo "build-libgcc.sh: libgcc_s.so.1 has SONAME '$soname'" >&2; exit 1; }
needed=$("$readelf" -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | xargs)
[ "$needed" = libc.so.6 ] || { echo "build-libgcc.sh: libgcc_s.so.1 needs '$needed' (expected libc.so.6 only)" >&2; exit 1; }
"$readelf" -n "$so" | grep -Eq '^\s+XSC\s+0x00000004' \
  || { echo "build-libgcc.sh: libgcc_s.so.1 lacks the XSC ABI note (was it linked through $tc/bin/$triple-gcc?)" >&2; exit 1; }
fi
if [ "$variant" = cfi-compat ]; then
  # readelf -n of an archive prints "File: a.a(member.o)" before each member's notes.
  bad=$(for f in "${FILES[@]}"; do
    case $f in
      *.a) "$readelf" -n "$out/$f" | awk -v a="$f" '
             /^File: /{ if (m != "" && !ok) print m; m = $2; ok = 0 }
             /AArch64 feature: BTI, PAC/{ ok = 1 }
             END{ if (m != "" && !ok) print m }'
           [ "$("$(bin ar)" t "$out/$f" | wc -l)" = "$("$readelf" -n "$out/$f" | grep -c '^File: ')" ] || echo "$f (readelf -n did not list every member)" ;;
      *) "$readelf" -n "$out/$f" | grep -q 'AArch64 feature: BTI, PAC' || echo "$f" ;;
    esac
  done)
  if [ -n "$bad" ]; then
    echo "build-libgcc.sh: $arch cfi-compat: these objects lack the GNU property 'AArch64 feature: BTI, PAC':" >&2
    echo "$bad" | sed 's/^/  /' >&2
    exit 1
  fi
  n=$(for a in "${ARCHIVES[@]}"; do "$(bin ar)" t "$out/$a"; done | wc -l)
  log "BTI, PAC on every object: ${#FILES[@]} files, $n archive members"
fi
( cd "$out" && for f in *; do printf '  %-14s %8s bytes\n' "$f" "$(stat -c %s "$f")"; done )
log "done: gcc $(cat "$src/gcc/BASE-VER") libgcc for $gnu ($variant, $stage stage) in $out"
