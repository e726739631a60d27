#!/bin/bash
# Build one Debian source package inside a fresh copy of the build root.
#
#   build-deb.sh --root ROOT.tar --toolchain TCDIR --dsc DSC --variant VARIANT --out OUTDIR
#                [--suffix +xsc1] [--jobs N] [--profiles stage1,nodoc] [--deb FILE.deb]... [--set-debs DIR]... [--set-deb FILE]...
#                [--expect PACKAGE]... [--host-arch arm64]
#
#   --deb       a pinned build dependency from the Debian archive (fetched by the engine)
#   --set-debs  .debs made by other packages of the set; each one whose package is named in
#               $XSC_SET_PACKAGES or is already installed in the root replaces Debian's
#   --expect    a binary package the build must make (from the lock); any difference between
#               the expected and the made set fails, naming the packages
#   --toolchain the XSC toolchain directory (rules/scripts/toolchain/make-toolchain.sh);
#               its flags.env decides CFLAGS/LDFLAGS, its bin/ wrappers are CC/CXX
#   --host-arch a cross build (Debian's way: `dpkg-buildpackage -a arm64` with the `cross` build
#               profile; the cross gcc and binutils come in as --deb). A set member of that arch
#               (the XSC glibc's libc6 included) is never installed in the root, whose own
#               Multi-Arch: same libraries (Debian's amd64 libc6) would have to match its version:
#               it is unpacked into the toolchain's sysroot, where the compiler and dpkg-shlibdeps
#               find it (an /etc/ld.so.conf.d entry), and its DEBIAN/shlibs goes into the root's
#               /etc/dpkg/shlibs.override, so the .debs depend on the XSC packages by the same
#               rules as Debian's (e.g. libc6 (>= 2.36)).
#
# Steps: a fresh ./root (an overlay on ROOT.tar unpacked once by xbuild, or ROOT.tar unpacked), install the build dependencies from local .debs with apt (no network),
# dpkg-source -x, add a changelog entry <version><suffix> dated like the previous entry (so
# SOURCE_DATE_EPOCH stays Debian's), then `dpkg-buildpackage -B -uc -us` with
# DEB_BUILD_OPTIONS="nocheck noddebs parallel=N" and DEB_BUILD_PROFILES=nobiarch, in new
# namespaces without network (in-root.sh), with the toolchain's native/ (gcc, cc -> the XSC
# wrappers) first in PATH. Set members installed as build-dependencies are also unpacked into the
# toolchain's sysroot (the compiler sees nothing else). OUTDIR receives the .deb files only; the
# whole dpkg-buildpackage output goes to stdout, which is the action's log.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
suffix=+xsc1 jobs=${XBUILD_CPUS:-1} profiles= debs=() setdirs=() setfiles=() expect=() root_tar= tc= dsc= variant= out= host_arch=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root_tar=$2; shift 2 ;;
    --toolchain) tc=$2; shift 2 ;;
    --dsc) dsc=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --suffix) suffix=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --deb) debs+=("$2"); shift 2 ;;
    --set-debs) setdirs+=("$2"); shift 2 ;;
    --set-deb) setfiles+=("$2"); shift 2 ;;
    --expect) expect+=("$2"); shift 2 ;;
    --host-arch) host_arch=$2; shift 2 ;;
    *) echo "build-deb.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in root_tar tc dsc variant out; do [ -n "${!v}" ] || { echo "build-deb.sh: --${v%_tar} is required" >&2; exit 2; }; done
out=$(realpath -m "$out"); mkdir -p "$out"
pkgname=$(basename "$dsc" .dsc)
t0=$(date +%s) t0ms=$(date +%s%3N)
rm -rf root .root-upper .root-work; mkdir root
# A fresh root for this build: an overlay (a private, writable upper directory) over the build root
# xbuild unpacked once per content and shows read-only at $XBUILD_UNPACKED (the action's `unpack`);
# without it (XBUILD_SANDBOX=none), the tarball unpacked here. Either way the same files (and the
# same .debs: checked, byte for byte). userxattr: in a user namespace overlayfs keeps its whiteouts'
# and opaque directories' marks in user.* xattrs; without it removing a directory of the root fails
# (EIO) and dpkg fails to unpack (EXDEV).
if [ -n "${XBUILD_UNPACKED:-}" ] && mkdir .root-upper .root-work \
   && mount -t overlay xsc-root -o "userxattr,lowerdir=$XBUILD_UNPACKED,upperdir=$PWD/.root-upper,workdir=$PWD/.root-work" root; then
  how="an overlay on the unpacked build root"
else
  [ -z "${XBUILD_UNPACKED:-}" ] || echo "build-deb.sh: warning: no overlay on $XBUILD_UNPACKED (mount failed above): unpacking $root_tar instead" >&2
  # Device nodes cannot be made in a user namespace; in-root.sh mounts its own /dev over them.
  tar -xf "$root_tar" -C root --exclude='./dev/*'
  how="tar -xf $(basename "$root_tar")"
fi
echo "build-deb.sh: build root ready in $(( $(date +%s%3N) - t0ms )) ms ($how)"
mkdir -p root/build/debs root/opt
cp -a "$tc" root/opt/xsc-toolchain
chmod -R u+w root/opt/xsc-toolchain; chmod 0755 root/opt/xsc-toolchain/bin/*
for d in "${debs[@]}"; do
  # A build-machine tool's Depends may reach a library the set builds and this build installs
  # (XSC_SET_PACKAGES): the set's .deb replaces Debian's (pool file names are <package>_...).
  p=$(basename "$d"); p=${p%%_*}
  if [ -z "$host_arch" ] && [[ " ${XSC_SET_PACKAGES:-} " == *" $p "* ]]; then continue; fi
  cp "$d" root/build/debs/
done
# Set packages replace Debian's when a build-dep names them or the root already has them.
installed=" $(XSC_PASS_ENV= "$here/in-root.sh" root dpkg-query -W -f '${Package} ' ) ${XSC_SET_PACKAGES:-} "
setall=("${setfiles[@]}")
for dir in "${setdirs[@]}"; do for f in "$dir"/*.deb; do [ -e "$f" ] && setall+=("$f"); done; done
if [ -n "$host_arch" ]; then
  gnu=$(. "$tc/flags.env"; echo "${XSC_TRIPLE/-xsc-/-}")   # aarch64-xsc-linux-gnu -> aarch64-linux-gnu
  mkdir -p root/etc/dpkg root/etc/ld.so.conf.d
  # (lib/ itself too: aarch64's ld.so is /lib/ld-linux-aarch64.so.1, which binaries using the
  # stack protector need: __stack_chk_guard lives in it.)
  printf '/opt/xsc-toolchain/sysroot/lib\n/opt/xsc-toolchain/sysroot/lib/%s\n/opt/xsc-toolchain/sysroot/usr/lib/%s\n' "$gnu" "$gnu" > root/etc/ld.so.conf.d/zz-xsc-sysroot.conf
fi
for f in "${setall[@]}"; do
  p=$(dpkg-deb -f "$f" Package)
  if [ -n "$host_arch" ] && [ "$(dpkg-deb -f "$f" Architecture)" = "$host_arch" ]; then
    # A cross build's target library: into the sysroot, its shlibs into the override (see above).
    case " ${XSC_SET_PACKAGES:-} " in
      *" $p "*)
        echo "build-deb.sh: from the set ($host_arch, into the sysroot): $(basename "$f")"
        dpkg-deb -x "$f" root/opt/xsc-toolchain/sysroot
        dpkg-deb --ctrl-tarfile "$f" | tar -xOf - ./shlibs 2>/dev/null >> root/etc/dpkg/shlibs.override || true ;;
    esac
    continue
  fi
  {
    case "$installed" in
      *" $p "*)
        cp "$f" root/build/debs/; echo "build-deb.sh: from the set: $(basename "$f")"
        # The XSC toolchain compiles and links against its sysroot only: a set member's headers
        # and libraries must be there too (a Debian library never is).
        dpkg-deb -x "$f" root/opt/xsc-toolchain/sysroot ;;
    esac
  }
done
if compgen -G 'root/build/debs/*.deb' >/dev/null; then
  "$here/in-root.sh" root sh -c 'apt-get install -y -q --no-install-recommends -o Debug::NoLocking=1 -o APT::Sandbox::User=root /build/debs/*.deb > /build/dpkg-install.log 2>&1 || { tail -30 /build/dpkg-install.log; exit 1; }' \
    || { echo "build-deb.sh: installing the build dependencies of $pkgname failed" >&2; exit 1; }
fi
t1=$(date +%s)
# Source: copy the .dsc and its files next to each other, unpack, add the XSC entry.
mkdir -p root/build/in
cp "$dsc" root/build/in/
for f in $(awk '/^Files:/{x=1;next} /^[^ ]/{x=0} x{print $3}' "$dsc"); do cp "$(dirname "$dsc")/$f" root/build/in/; done
"$here/in-root.sh" root dpkg-source --no-check -x "/build/in/$(basename "$dsc")" /build/src > /dev/null
ch=root/build/src/debian/changelog
src=$(dpkg-parsechangelog -l "$ch" -S Source)
ver=$(dpkg-parsechangelog -l "$ch" -S Version)
date=$(dpkg-parsechangelog -l "$ch" -S Date)
{ printf '%s (%s%s) UNRELEASED; urgency=medium\n\n' "$src" "$ver" "$suffix"
  printf '  * XSC %s rebuild with the %s toolchain.\n\n' "$variant" "$(. "$tc/flags.env"; echo "$XSC_TRIPLE")"
  printf ' -- XSC Build <build@xsc.invalid>  %s\n\n' "$date"
  cat "$ch"; } > "$ch.new"
mv "$ch.new" "$ch"
# The toolchain's flags, through dpkg-buildflags' maintainer-append variables.
. "$tc/flags.env"
export DEB_BUILD_OPTIONS="nocheck noddebs parallel=$jobs" DEB_BUILD_PROFILES="nobiarch${host_arch:+ cross}${profiles:+ ${profiles//,/ }}"
# A cross build leaves them to the wrappers (which add them to every compile and link): a package
# that compiles its build tools with the build machine's cc and its CFLAGS (dash's mknodes) must
# not get the target's -mbranch-protection and -z force-bti.
if [ -z "$host_arch" ]; then
  export DEB_CFLAGS_MAINT_APPEND="$XSC_CFLAGS" DEB_CXXFLAGS_MAINT_APPEND="$XSC_CFLAGS"
  export DEB_LDFLAGS_MAINT_APPEND="$XSC_LDFLAGS"
fi
export CC=$XSC_TRIPLE-gcc CXX=$XSC_TRIPLE-g++
export XSC_PASS_ENV="DEB_BUILD_OPTIONS DEB_BUILD_PROFILES DEB_CFLAGS_MAINT_APPEND DEB_CXXFLAGS_MAINT_APPEND DEB_LDFLAGS_MAINT_APPEND CC CXX"
# native/ first: gcc, cc, ... are the XSC wrappers, so a build that ignores CC still compiles
# with the variant's toolchain against the XSC sysroot.
cat > root/build/run.sh <<R
set -e
export PATH=/opt/xsc-toolchain/native:/opt/xsc-toolchain/bin:\$PATH
cd /build/src
dpkg-buildpackage -B -uc -us${host_arch:+ -a $host_arch}
R
# dpkg-buildpackage's whole output is this action's log (xbuild keeps it, failed or not).
echo "build-deb.sh: ===== dpkg-buildpackage -B${host_arch:+ -a $host_arch} $src $ver$suffix ($variant) ====="
if ! "$here/in-root.sh" root bash /build/run.sh 2>&1; then
  echo "build-deb.sh: dpkg-buildpackage failed for $src $ver$suffix ($variant); its whole output is above" >&2
  exit 1
fi
echo "build-deb.sh: ===== dpkg-buildpackage done ====="
made=$(for f in root/build/*.deb; do dpkg-deb -f "$f" Package; done | sort | xargs)
if [ ${#expect[@]} -gt 0 ]; then
  want=$(printf '%s\n' "${expect[@]}" | sort | xargs)
  if [ "$made" != "$want" ]; then
    echo "build-deb.sh: $src $ver$suffix made the packages [$made] but the lock expects [$want]; run `xbuild lock update`" >&2
    exit 1
  fi
fi
cp root/build/*.deb "$out/"
t2=$(date +%s)
echo "build-deb.sh: $src $ver$suffix ($variant): deps $((t1-t0))s, build $((t2-t1))s; $(ls "$out" | tr '\n' ' ')"
if mountpoint -q root; then umount root; rm -rf .root-upper .root-work; fi
rm -rf root
