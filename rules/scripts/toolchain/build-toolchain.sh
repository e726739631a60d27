#!/bin/bash
# Make an XSC toolchain directory for one arch and variant.
#
#   build-toolchain.sh --root ROOT.tar --arch ARCH --variant VARIANT --out OUTDIR
#                      [--glibc-dsc DSC --deb FILE.deb...]      (cfi-compat only)
#
# base: triple-named wrappers only (make-toolchain.sh). cfi-compat: first builds glibc's
# startup objects with CET inside a fresh copy of the build root (apt installs the pinned local
# .debs given with --deb: gawk, bison, python3 and their dependencies; no network), then
# the wrappers, whose -B directory holds those objects.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
debian=$here/../debian
root_tar= arch= variant= out= dsc= debs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root_tar=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --glibc-dsc) dsc=$2; shift 2 ;;
    --deb) debs+=("$2"); shift 2 ;;
    *) echo "build-toolchain.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m "$out")
# The rule (rules/toolchain.ts) announces the variant's flags to every consumer; they must be
# the flags the wrappers really pass.
check_flags() {
  [ -n "${XSC_EXPECT_CFLAGS+x}" ] || return 0
  local got_c got_l
  got_c=$(. "$out/flags.env"; echo "$XSC_CFLAGS"); got_l=$(. "$out/flags.env"; echo "$XSC_LDFLAGS")
  if [ "$got_c" != "$XSC_EXPECT_CFLAGS" ] || [ "$got_l" != "$XSC_EXPECT_LDFLAGS" ]; then
    echo "build-toolchain.sh: $arch-$variant wrappers use CFLAGS='$got_c' LDFLAGS='$got_l', but rules/toolchain.ts announces CFLAGS='$XSC_EXPECT_CFLAGS' LDFLAGS='$XSC_EXPECT_LDFLAGS'" >&2
    exit 1
  fi
}
if [ "$variant" = base ]; then
  bash "$here/make-toolchain.sh" "$arch" "$variant" "$out"
  check_flags
  exit 0
fi
[ -n "$dsc" ] && [ -n "$root_tar" ] || { echo "build-toolchain.sh: cfi-compat needs --root and --glibc-dsc" >&2; exit 2; }
rm -rf root; mkdir root
# Device nodes cannot be made in a user namespace; in-root.sh mounts its own /dev over them.
tar -xf "$root_tar" -C root --exclude='./dev/*'
mkdir -p root/build/debs root/build/in
for d in "${debs[@]}"; do cp "$d" root/build/debs/; done
if compgen -G 'root/build/debs/*.deb' >/dev/null; then
  "$debian/in-root.sh" root sh -c 'apt-get install -y -q --no-install-recommends -o Debug::NoLocking=1 -o APT::Sandbox::User=root /build/debs/*.deb > /build/dpkg.log 2>&1 || { tail -30 /build/dpkg.log; exit 1; }'
fi
cp "$dsc" root/build/in/
for f in $(awk '/^Files:/{x=1;next} /^[^ ]/{x=0} x{print $3}' "$dsc"); do cp "$(dirname "$dsc")/$f" root/build/in/; done
cp "$here/build-cet-startfiles.sh" root/build/
XSC_PASS_ENV=XBUILD_CPUS "$debian/in-root.sh" root bash /build/build-cet-startfiles.sh "/build/in/$(basename "$dsc")" /build/startfiles
bash "$here/make-toolchain.sh" "$arch" "$variant" "$out" root/build/startfiles
check_flags
rm -rf root
