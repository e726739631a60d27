#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) to build the XSC distribution with xbuild:
# the Debian tools the rules call (build roots, kernel, ISO, QEMU) and the npm dependencies
# (which also compiles xbuild), then makes sure the Debian lock can be built from today.
# Nothing is downloaded from anywhere but Debian's archive (through this machine's apt
# configuration) and the npm registry.
#
# Tools only: no input of the build comes from the host's installed packages. Sources, the
# build root's packages, build dependencies and the kernel's linux-source are pinned in
# packages/debian.lock.json and fetched by the build itself.
#
# Debian's archive keeps only current versions and bookworm-security moves every week, so a
# committed lock goes stale: `xbuild lock ensure` asks the archive about every pin and, when one
# is no longer served, rewrites the lock with what the archive serves now (it says which pins
# moved; the workspace then differs from git).
#   scripts/setup.sh [--tools-only]    (--tools-only: the Debian tools, not npm ci nor the lock check)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
tools_only=0
[ "${1:-}" = --tools-only ] && tools_only=1
PACKAGES=(
  # build roots and Debian package builds
  mmdebstrap uidmap dpkg-dev apt-utils binutils
  # kernel: its build dependencies (the source itself is a pinned fetch)
  bc flex bison libelf-dev libssl-dev cpio make gcc patch rsync xz-utils
  # ISO and boot test
  xorriso grub-pc-bin grub-common mtools qemu-system-x86 busybox-static
  # aarch64: the cross kernel's compiler and the UEFI boot test (QEMU's virt machine, AAVMF)
  gcc-12-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm qemu-efi-aarch64
  # aarch64 XSC libgcc (rules/libgcc.ts): gcc's configure needs GMP, MPFR and MPC, and its
  # generator programs are C++ (the source is the pinned gcc-12-source)
  g++ libgmp-dev libmpfr-dev libmpc-dev
  # xbuild itself (bubblewrap: every action's sandbox)
  util-linux bubblewrap curl ca-certificates
)
need=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Actions that unpack a root filesystem (uidRange: Debian package builds, build roots) are root
# of a user namespace mapping 65,536 uids to root's subordinate range; the other actions run as
# its first uid.
bash scripts/setup-subuids.sh
[ $tools_only = 1 ] && exit 0
npm ci --no-audit --no-fund
node bin/xbuild.js lock ensure
