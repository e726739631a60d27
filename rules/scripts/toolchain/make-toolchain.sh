#!/bin/bash
# Assemble an XSC toolchain directory: wrappers named by the target triple around the
# build root's pinned gcc 12 / binutils 2.40, the XSC ABI note, and (final stage) the XSC
# glibc sysroot.
#
#   make-toolchain.sh ARCH VARIANT OUTDIR [SYSROOT [LIBGCC]]
#
#   without SYSROOT  the bootstrap stage, which builds glibc itself: the variant's compile flags
#                    and the ABI note, no sysroot and no link gate (glibc's configure links test
#                    programs against the root's Debian start files, which have no CET marks)
#   with SYSROOT     the final stage every package uses: gcc --sysroot=<OUTDIR>/sysroot (the XSC
#                    glibc and kernel headers; nothing of the root's Debian libc is reachable), and
#                    for cfi-compat the link gate (x86_64: -z cet-report=error; aarch64: the BTI
#                    gate, gcc-lib/<gnu>/12/ld, below)
#   with LIBGCC      (final stage) an XSC gcc run time (rules/libgcc.ts: crtbegin*.o, crtend*.o,
#                    libgcc.a, libgcc_eh.a, libgcc_s.so.1, ...): copied into gcc-lib/ in place of
#                    the links to the compiler's own
#
# OUTDIR gets:
#   bin/<arch>-xsc-linux-gnu-{gcc,cc,g++,c++,cpp,ld,as,ar,ranlib,nm,strip,objcopy,objdump,readelf}
#   lib/xsc-abi-note.o  the XSC ABI note (section .note.xsc-abi, type SHT_NOTE, so the linker
#                       puts it in a PT_NOTE segment): owner "XSC", type NT_XSC_ABI = 1, a 4-byte
#                       descriptor = ABI version 1. Compiled with the variant's flags, so it carries
#                       the same CET marks as every other input.
#   lib/xsc-abi.specs   gcc specs: `*link: + %{!r:<the note>}`, so gcc adds the note to every link
#                       it drives (executables, shared objects, static, -nostdlib, -nostartfiles:
#                       glibc's own ld.so and libc.so.6 included) and never to -c/-S/-E or -r.
#   native/             gcc, cc, g++, c++, <gnu>-gcc, <gnu>-g++ -> the wrappers (first in a package
#                       build's PATH)
#   sysroot/            final stage: copy of SYSROOT
#   gcc-lib/<gnu>/12/   final stage: links to gcc's own files, GCC_EXEC_PREFIX of the wrappers (so
#                       that no path outside the sysroot holds a libc; see below); with LIBGCC its
#                       run time files are copies of LIBGCC's
#   flags.env           CFLAGS/LDFLAGS of the variant, sourced by build scripts
# The wrappers locate lib/ and sysroot/ relative to themselves, so the directory works wherever
# it is copied (inside a build root at /opt/xsc-toolchain, or under xbuild-out/ on the host).
set -euo pipefail
arch=$1 variant=$2 out=$3 sysroot=${4:-} libgcc=${5:-}
triple=$arch-xsc-linux-gnu
case "$arch/$variant" in
  x86_64/base)       cflags="" ; ldflags="" ; ld_gate="" ;;
  x86_64/cfi-compat) cflags="-fcf-protection=full" ; ldflags="-Wl,-z,cet-report=error" ; ld_gate="-z cet-report=error" ;;
  aarch64/base)      cflags="" ; ldflags="" ; ld_gate="" ;;
  aarch64/cfi-compat) cflags="-mbranch-protection=standard" ; ldflags="-Wl,-z,force-bti" ; ld_gate=bti ;;
  *) echo "make-toolchain.sh: unknown arch/variant $arch/$variant" >&2; exit 2 ;;
esac
stage=final
if [ -z "$sysroot" ]; then stage=bootstrap ldflags="" ld_gate=""; fi
[ -z "$libgcc" ] || [ -n "$sysroot" ] || { echo "make-toolchain.sh: LIBGCC needs SYSROOT (final stage only)" >&2; exit 2; }
gnu=$arch-linux-gnu
rm -rf "$out"; mkdir -p "$out/bin" "$out/lib"

# The ABI note. STAND-IN for the XSC ring-buffer syscall ABI (the user's kernel and glibc
# patches): the XSC kernel (CONFIG_XSC_ABI_ENFORCE) and the XSC ld.so refuse ELF files without it.
cat > "$out/lib/xsc-abi-note.c" <<'C'
/* The XSC ABI note, linked into every executable and shared object by the XSC toolchain. */
__asm__ (
  "\t.section .note.xsc-abi,\"a\",@note\n"
  "\t.p2align 2\n"
  "\t.long 4\n"            /* n_namesz: "XSC\0" */
  "\t.long 4\n"            /* n_descsz */
  "\t.long 1\n"            /* n_type: NT_XSC_ABI */
  "\t.asciz \"XSC\"\n"
  "\t.long 1\n"            /* XSC ABI version */
  "\t.previous\n");
C
"$gnu-gcc-12" $cflags -c -o "$out/lib/xsc-abi-note.o" "$out/lib/xsc-abi-note.c"
rm "$out/lib/xsc-abi-note.c"
printf '*link:\n+ %%{!r:%%:find-file(xsc-abi-note.o)}\n\n' > "$out/lib/xsc-abi.specs"

# aarch64 cfi-compat's link gate, the linker gcc runs (gcc-lib/<gnu>/12/ld) and <triple>-ld:
# binutils' ld with -z force-bti, which marks the output BTI even when an input lacks the BTI
# property and only warns about it, naming the input (binutils 2.40 has no -z bti-report=error).
# That warning, and only that one, fails the link and removes the output; other warnings stay
# warnings (--fatal-warnings would also fail every program that uses mktemp or tmpnam: glibc's
# link-time warnings, e.g. busybox).
bti_gate() {
  cat <<G
#!/bin/sh
# XSC $arch-$variant link gate (make-toolchain.sh): ld -z force-bti; an input without BTI fails the link.
log=\$(mktemp "\${TMPDIR:-/tmp}/xsc-ld.XXXXXX") || exit 1
/usr/bin/$gnu-ld "\$@" -z force-bti 2>"\$log"
rc=\$?
cat "\$log" >&2
if [ \$rc -eq 0 ] && grep -q 'BTI turned on by -z force-bti' "\$log"; then
  out= prev=
  for a in "\$@"; do
    [ "\$prev" = -o ] && out=\$a
    case \$a in -o?*) out=\${a#-o} ;; --output=*) out=\${a#--output=} ;; esac
    prev=\$a
  done
  [ -z "\$out" ] || rm -f "\$out"
  echo "XSC $variant link gate: an input above has no BTI property (-mbranch-protection=standard): the link fails\${out:+, \$out removed}" >&2
  rc=1
fi
rm -f "\$log"
exit \$rc
G
}

sysroot_arg= exec_prefix=
if [ -n "$sysroot" ]; then
  [ -f "$sysroot/usr/include/stdio.h" ] && [ -e "$sysroot/usr/lib/$gnu/libc.so" ] \
    || { echo "make-toolchain.sh: $sysroot is not an XSC glibc sysroot (no usr/include/stdio.h, usr/lib/$gnu/libc.so)" >&2; exit 2; }
  cp -a "$sysroot" "$out/sysroot"
  sysroot_arg='--sysroot="$tc/sysroot"'
  # A native gcc also searches paths relative to its own directory that --sysroot does not move
  # (/usr/lib/gcc/<gnu>/12/../../../<gnu>/ = the root's Debian libc: its start files, libc.so,
  # every -dev library). GCC_EXEC_PREFIX pointing at gcc-lib/, a real directory of links to
  # gcc's own files, makes those relative paths land inside this toolchain, where nothing is:
  # the sysroot is then the only place libraries and start files come from.
  # Native (x86_64): Debian's gcc-12 in /usr/lib/gcc; cross (aarch64): gcc-12-<arch>-linux-gnu
  # in /usr/lib/gcc-cross, whose target libraries (Debian's libc6-<arch>-cross) sit in /usr/<gnu>/lib.
  case $arch in
    x86_64) gcclib=/usr/lib/gcc/$gnu/12 libgcc_s=/lib/$gnu/libgcc_s.so.1 ;;
    *) gcclib=/usr/lib/gcc-cross/$gnu/12 libgcc_s=/usr/$gnu/lib/libgcc_s.so.1 ;;
  esac
  [ -d "$gcclib" ] || { echo "make-toolchain.sh: $gcclib (gcc 12) not found" >&2; exit 2; }
  mkdir -p "$out/gcc-lib/$gnu/12"
  for f in "$gcclib"/*; do ln -s "$f" "$out/gcc-lib/$gnu/12/${f##*/}"; done
  # gcc's libgcc_s.so names libgcc_s.so.1 (Debian's libgcc-s1: gcc's run time, part of the
  # compiler, not of glibc). Linked --as-needed, so C programs do not depend on it; one that does
  # fails the image's closure check, as no XSC libgcc-s1 package is built yet.
  ln -s "$libgcc_s" "$out/gcc-lib/$gnu/12/libgcc_s.so.1"
  if [ -n "$libgcc" ]; then
    # The XSC gcc run time replaces the compiler's: copies, as the toolchain directory moves
    # (into build roots) without the libgcc directory beside it.
    for f in crtbegin.o crtbeginS.o crtbeginT.o crtend.o crtendS.o libgcc.a libgcc_eh.a libgcc_s.so libgcc_s.so.1; do
      [ -f "$libgcc/$f" ] || { echo "make-toolchain.sh: $libgcc is not an XSC libgcc (no $f)" >&2; exit 2; }
    done
    for f in "$libgcc"/*; do
      rm -f "$out/gcc-lib/$gnu/12/${f##*/}"
      cp "$f" "$out/gcc-lib/$gnu/12/${f##*/}"
    done
  fi
  # A cross gcc finds its assembler and linker in /usr/<gnu>/bin through the same relative paths
  # GCC_EXEC_PREFIX moves; without these links it would run the build machine's own `as`.
  if [ "$arch" != x86_64 ]; then
    for t in as ld ld.bfd; do
      if [ "$t" != as ] && [ "$ld_gate" = bti ]; then bti_gate > "$out/gcc-lib/$gnu/12/$t"; chmod 0755 "$out/gcc-lib/$gnu/12/$t"
      else ln -s "/usr/bin/$gnu-$t" "$out/gcc-lib/$gnu/12/$t"; fi
    done
  fi
  exec_prefix='GCC_EXEC_PREFIX="$tc/gcc-lib/" '
fi
compile_wrapper() { # name real-tool
  cat > "$out/bin/$triple-$1" <<W
#!/bin/sh
# XSC $arch-$variant ($stage): $2 with the variant's flags and the XSC ABI note (make-toolchain.sh)
tc=\$(dirname "\$(readlink -f "\$0")")/..
${exec_prefix:+export }${exec_prefix}
exec $2 -B"\$tc/lib/" -specs="\$tc/lib/xsc-abi.specs" $sysroot_arg $cflags "\$@" $ldflags
W
}
# Absolute paths: native/ below puts gcc, cc, ... first in PATH, pointing at these wrappers.
compile_wrapper gcc "/usr/bin/$gnu-gcc-12"
compile_wrapper cc "/usr/bin/$gnu-gcc-12"
compile_wrapper g++ "/usr/bin/$gnu-g++-12"
compile_wrapper c++ "/usr/bin/$gnu-g++-12"
cat > "$out/bin/$triple-cpp" <<W
#!/bin/sh
tc=\$(dirname "\$(readlink -f "\$0")")/..
${exec_prefix:+export }${exec_prefix}
exec /usr/bin/$gnu-cpp-12 $sysroot_arg "\$@"
W
if [ "$ld_gate" = bti ]; then ld_cmd="\"\$tc/gcc-lib/$gnu/12/ld\"" ld_gate=; else ld_cmd=/usr/bin/$gnu-ld; fi
cat > "$out/bin/$triple-ld" <<W
#!/bin/sh
tc=\$(dirname "\$(readlink -f "\$0")")/..
exec $ld_cmd ${sysroot:+--sysroot="\$tc/sysroot"} "\$@" $ld_gate
W
for t in as ar ranlib nm strip objcopy objdump readelf; do
  printf '#!/bin/sh\nexec /usr/bin/%s-%s "$@"\n' "$gnu" "$t" > "$out/bin/$triple-$t"
done
chmod 0755 "$out"/bin/*
# native/: the names a build may call the compiler by without honouring CC (busybox's Makefile
# runs $(CROSS_COMPILE)gcc, for one), all pointing at the XSC wrappers. A package build puts this
# directory first in PATH, so the only C compiler in the build root is the variant's.
# A cross toolchain (aarch64 on this x86_64 machine) takes only the target's triplet names: plain
# gcc and cc stay the build machine's compiler, for the build tools a package compiles and runs
# during its build (dash's mknodes, busybox's fixdep); they run on the build machine, never reach an
# image, and Debian's cross builds compile them the same way.
mkdir -p "$out/native"
if [ "$arch" = x86_64 ]; then gcc_names=(gcc cc "$gnu-gcc") gxx_names=(g++ c++ "$gnu-g++"); else gcc_names=("$gnu-gcc") gxx_names=("$gnu-g++"); fi
for n in "${gcc_names[@]}"; do ln -s "../bin/$triple-gcc" "$out/native/$n"; done
for n in "${gxx_names[@]}"; do ln -s "../bin/$triple-g++" "$out/native/$n"; done
cat > "$out/flags.env" <<E
XSC_TRIPLE=$triple
XSC_VARIANT=$variant
XSC_STAGE=$stage
XSC_CFLAGS='$cflags'
XSC_LDFLAGS='$ldflags'
E
