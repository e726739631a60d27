#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) to build the XSC distribution with xbuild:
# the Debian tools the rules call (build roots, kernel, ISO, QEMU) and the npm dependencies
# (which also compiles xbuild). Nothing is downloaded from anywhere but Debian's archive
# (through this machine's apt configuration) and the npm registry.
#   scripts/setup.sh [--tools-only]    (--tools-only: the Debian tools, not npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
tools_only=0
[ "${1:-}" = --tools-only ] && tools_only=1
PACKAGES=(
  # build roots and Debian package builds
  mmdebstrap uidmap dpkg-dev apt-utils binutils
  # kernel: Linux 6.1 source and its build dependencies
  linux-source-6.1 bc flex bison libelf-dev libssl-dev cpio make gcc patch rsync xz-utils
  # ISO and boot test
  xorriso grub-pc-bin grub-common mtools qemu-system-x86 busybox-static
  # xbuild itself
  util-linux curl ca-certificates
)
need=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
[ $tools_only = 1 ] || npm ci --no-audit --no-fund
