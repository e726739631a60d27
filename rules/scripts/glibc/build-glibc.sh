#!/bin/bash
# Build the XSC glibc inside a fresh copy of the build root (the rule xsc_glibc, rules/glibc.ts).
#
#   build-glibc.sh --root ROOT.tar --toolchain TCDIR --dsc DSC --series SERIES --variant VARIANT \
#                  --out OUTDIR [--suffix +xsc1] [--deb FILE.deb]...
#
# Unpacks the root, installs the pinned build-dependency .debs with apt from local files (no
# network), copies the source, the XSC series and its patches and the bootstrap toolchain in, and
# runs glibc-in-root.sh there (in-root.sh: no network, own namespaces). OUTDIR receives
# libc6_<v>_amd64.deb, libc6-dev_<v>_amd64.deb and sysroot/. The whole build log is this
# command's output.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
debian=$here/../debian
root_tar= tc= dsc= series= variant= out= suffix=+xsc1 debs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root_tar=$2; shift 2 ;;
    --toolchain) tc=$2; shift 2 ;;
    --dsc) dsc=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --suffix) suffix=$2; shift 2 ;;
    --deb) debs+=("$2"); shift 2 ;;
    *) echo "build-glibc.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in root_tar tc dsc series variant out; do [ -n "${!v}" ] || { echo "build-glibc.sh: --${v%_tar} is required" >&2; exit 2; }; done
out=$(realpath -m "$out"); mkdir -p "$out"
t0=$(date +%s)
rm -rf root; mkdir root
tar -xf "$root_tar" -C root
mkdir -p root/build/debs root/build/in root/build/patches root/opt
for d in "${debs[@]}"; do cp "$d" root/build/debs/; done
if compgen -G 'root/build/debs/*.deb' >/dev/null; then
  "$debian/in-root.sh" root sh -c 'apt-get install -y -q --no-install-recommends -o Debug::NoLocking=1 -o APT::Sandbox::User=root /build/debs/*.deb > /build/dpkg.log 2>&1 || { tail -30 /build/dpkg.log; exit 1; }' \
    || { echo "build-glibc.sh: installing glibc's build dependencies failed" >&2; exit 1; }
fi
cp "$dsc" root/build/in/
for f in $(awk '/^Files:/{x=1;next} /^[^ ]/{x=0} x{print $3}' "$dsc"); do cp "$(dirname "$dsc")/$f" root/build/in/; done
cp "$series" root/build/patches/series
while IFS= read -r line || [ -n "$line" ]; do
  name=${line%%#*}; name=$(echo "$name" | xargs)
  [ -n "$name" ] || continue
  set -- $name
  [ -f "$(dirname "$series")/$1" ] || { echo "build-glibc.sh: $series names $1, which does not exist" >&2; exit 1; }
  cp "$(dirname "$series")/$1" root/build/patches/
done < "$series"
cp -a "$tc" root/opt/xsc-toolchain
chmod -R u+w root/opt/xsc-toolchain
cp "$here/glibc-in-root.sh" root/build/
echo "build-glibc.sh: root ready in $(( $(date +%s) - t0 )) s"
XSC_PASS_ENV=XBUILD_CPUS "$debian/in-root.sh" root bash /build/glibc-in-root.sh \
  --dsc "/build/in/$(basename "$dsc")" --series /build/patches/series --toolchain /opt/xsc-toolchain \
  --variant "$variant" --suffix "$suffix" --out /build/out
rm -rf "$out/sysroot"
cp -a root/build/out/*.deb root/build/out/sysroot "$out/"
rm -rf root
echo "build-glibc.sh: done in $(( $(date +%s) - t0 )) s"
