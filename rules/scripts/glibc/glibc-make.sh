#!/bin/bash
# Configure and make the XSC glibc inside a build root (build-glibc.sh prepares it; glibc-install.sh
# installs the result).
#
#   glibc-make.sh --work /build/glibc --toolchain TCDIR --variant base|cfi-compat \
#                 --pkgversion "XSC GLIBC <version> <variant>" [--arch x86_64|aarch64]
#                 [--kernel-headers /usr/include]
#
# WORK holds src/ (Debian's source with Debian's and the XSC series applied, kept in sync by
# content by build-glibc.sh) and obj/ (make's tree, kept between runs: configure runs only when
# obj/ is new, so a patch edit recompiles what it changes and relinks). This script is what the
# kept tree depends on (build-glibc.sh's marker names its digest); installing is glibc-install.sh.
# Exit status: 0 built; 10 make failed on an ordinary build error (obj/ is consistent: make
# deletes half-written targets); anything else: the tree's state is unknown.
# configure: upstream, with the bootstrap toolchain's gcc (TCDIR/bin/<triple>-gcc: the variant's
# flags and the XSC ABI note on every link), Debian's directory layout (slibdir /lib/<multiarch>,
# libdir /usr/lib/<multiarch>, rtlddir /lib64 on x86_64 and /lib on aarch64), --with-pkgversion;
# cfi-compat: x86_64 adds --enable-cet (IBT+SHSTK); aarch64 has no such option in glibc 2.36: its
# configure turns BTI and PAC on when the compiler emits them by default, which the bootstrap
# wrapper's -mbranch-protection=standard does (BTI landing pads and signed return addresses in
# every object; ld.so then maps BTI-marked objects with PROT_BTI). Either way the result is checked
# in config.make / config.h. aarch64 is a cross build (--build x86_64-linux-gnu, --host aarch64).
# Whole logs go to stdout (configure, make -s).
set -euo pipefail
work= tc= variant= pkgversion= kheaders=/usr/include arch=x86_64
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --toolchain) tc=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --pkgversion) pkgversion=$2; shift 2 ;;
    --kernel-headers) kheaders=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    *) echo "glibc-make.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in work tc variant pkgversion; do [ -n "${!v}" ] || { echo "glibc-make.sh: --$v is required" >&2; exit 2; }; done
case $variant in base|cfi-compat) ;; *) echo "glibc-make.sh: --variant must be base or cfi-compat" >&2; exit 2 ;; esac
jobs=${XBUILD_CPUS:-2}
case $arch in
  x86_64) rtlddir=/lib64 cfi=--enable-cet arch_cflags= ;;
  # glibc links ld.so and libc.so with -lgcc, i.e. Debian's cross libgcc.a. With gcc 12's default
  # -moutline-atomics every atomic operation calls a libgcc helper (__aarch64_cas4_acq, ...), so
  # those Debian-built, unmarked objects would land in ld.so and libc.so.6: cfi-compat's ld.so link
  # fails (glibc links rtld with -z force-bti when BTI is on, and librtld.os loses the BTI
  # property), and base would ship Debian code inside the XSC C library. Inline atomics (LL/SC,
  # every ARMv8.0 CPU) take nothing from libgcc; the check after make proves it.
  aarch64) rtlddir=/lib cfi= arch_cflags=-mno-outline-atomics ;;
  *) echo "glibc-make.sh: --arch must be x86_64 or aarch64" >&2; exit 2 ;;
esac
multiarch=$arch-linux-gnu triple=$arch-xsc-linux-gnu
cc=$tc/bin/$triple-gcc
[ -x "$cc" ] || { echo "glibc-make.sh: $cc is not an XSC toolchain's gcc" >&2; exit 2; }
[ -f "$work/src/configure" ] || { echo "glibc-make.sh: $work/src is not a glibc source tree" >&2; exit 2; }
step() { echo "[glibc] $(date +%T) $*"; }
src=$work/src obj=$work/obj
t0=$(date +%s)
if [ ! -f "$obj/config.make" ]; then
  rm -rf "$obj" "$work/kheaders"
  # Kernel headers only (as Debian's debian/include): glibc's own headers come from its tree.
  mkdir -p "$work/kheaders"
  for h in linux asm-generic; do ln -s "$kheaders/$h" "$work/kheaders/$h"; done
  ln -s "$kheaders/$multiarch/asm" "$work/kheaders/asm"
  mkdir -p "$obj"; cd "$obj"
  cat > configparms <<C
CFLAGS = -pipe -O2 -ffile-prefix-map=$work=/usr/src/glibc${arch_cflags:+ $arch_cflags}
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
rtlddir = $rtlddir
C
  cet=
  [ "$variant" = cfi-compat ] && cet=$cfi
  step "configure ($pkgversion${cet:+, $cet})"
  CC=$cc CXX=: AUTOCONF=false MAKEINFO=: "$src/configure" \
    --host=$multiarch --build=x86_64-linux-gnu --prefix=/usr \
    --without-selinux --disable-crypt --enable-stackguard-randomization \
    --enable-stack-protector=strong --enable-multi-arch $cet \
    --with-headers="$work/kheaders" --enable-kernel=3.2 --disable-werror \
    --with-pkgversion="$pkgversion" --with-bugurl=no \
    || { echo "glibc-make.sh: configure failed (config.log follows)" >&2; tail -40 config.log >&2; rm -f config.make; exit 1; }
  if [ "$variant" = cfi-compat ]; then
    case $arch in
      x86_64) grep -q '^enable-cet = yes' config.make || { echo "glibc-make.sh: configure did not enable CET" >&2; rm -f config.make; exit 1; } ;;
      aarch64) { grep -q '^aarch64-bti = yes' config.make && grep -q '^#define HAVE_AARCH64_PAC_RET 1' config.h; } \
        || { echo "glibc-make.sh: configure did not turn on BTI and PAC (aarch64-bti in config.make, HAVE_AARCH64_PAC_RET in config.h)" >&2; rm -f config.make; exit 1; } ;;
    esac
  fi
else
  step "reusing the configured tree (an incremental make)"
fi
cd "$obj"
t1=$(date +%s)
step "make -j$jobs"
set +e
make -s -j"$jobs"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "glibc-make.sh: make failed (exit $rc)" >&2
  [ $rc -le 2 ] && exit 10
  exit $rc
fi
if [ -n "$arch_cflags" ]; then
  for so in elf/ld.so libc.so; do
    helpers=$("$multiarch-nm" "$obj/$so" | awk '$2 == "T" && $3 ~ /^__aarch64_(cas|swp|ldadd|ldclr|ldeor|ldset)/ {print $3}' | head -3 | xargs)
    [ -z "$helpers" ] || { echo "glibc-make.sh: $so holds libgcc's outline-atomics helpers ($helpers): Debian's libgcc.a was linked in" >&2; exit 1; }
  done
fi
t2=$(date +%s)
step "configure $((t1 - t0)) s, make $((t2 - t1)) s"
