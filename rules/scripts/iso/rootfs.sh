#!/usr/bin/env bash
# Assemble the XSC root filesystem as a gzip'd newc initramfs from a set of .deb files.
#
# Usage:
#   rootfs.sh --variant base|cfi-compat --run /usr/bin/hello [--allowlist FILE] \
#             --out OUT/initramfs.cpio.gz [--out-manifest OUT/rootfs.manifest] DEB...
#
# Every .deb is unpacked with `dpkg-deb -x` into one root (in the order given). A tiny /init
# (a shell script: the set must provide /bin/sh or /bin/busybox) prints the kernel banner,
# whether the CFI JIT allowlist is present, runs the --run program, then reboots, which ends
# QEMU -no-reboot (busybox reboot -f, else sysrq b, else /init exits and panic=-1 reboots;
# a tiny kernel has no ACPI, so a power-off would only halt).
# The base variant's root carries /etc/cfi/allowlist (from --allowlist); cfi-compat never does.
# Reproducible: file order sorted, owners 0:0, every mtime clamped to SOURCE_DATE_EPOCH,
# `cpio -H newc --reproducible`, `gzip -9n`.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

variant= run= allowlist= out= manifest=
debs=()
while [ $# -gt 0 ]; do
  case $1 in
    --variant) variant=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --allowlist) allowlist=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --out-manifest) manifest=$2; shift 2 ;;
    --*) die "rootfs.sh: unknown option '$1'" ;;
    *) debs+=("$1"); shift ;;
  esac
done
case $variant in base|cfi-compat) ;; *) die "rootfs.sh: --variant must be base or cfi-compat, got '$variant'" ;; esac
[ -n "$run" ] && [ -n "$out" ] || die "rootfs.sh: --run and --out are required"
[ ${#debs[@]} -gt 0 ] || die "rootfs.sh: no .deb given"
if [ "$variant" = cfi-compat ] && [ -n "$allowlist" ]; then
  die "rootfs.sh: the cfi-compat root never carries /etc/cfi/allowlist (the CFI JIT allowlist is a base-only feature)"
fi
if [ "$variant" = base ] && [ -z "$allowlist" ]; then
  die "rootfs.sh: the base root must carry /etc/cfi/allowlist: pass --allowlist FILE"
fi
sde=${SOURCE_DATE_EPOCH:-0}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xsc-rootfs.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
mkdir -p "$root"

for deb in "${debs[@]}"; do
  [ -f "$deb" ] || die "rootfs.sh: $deb does not exist"
  dpkg-deb -x "$deb" "$root" || die "rootfs.sh: dpkg-deb -x $deb failed"
done

# The program to run must be there, with its ELF interpreter and libraries, or the boot
# would fail far from the cause.
[ -x "$root$run" ] || die "rootfs.sh: $run is not in any of the .debs: $(printf '%s ' "${debs[@]##*/}")"
resolve() { # follow symlinks inside the root (absolute links point into the root, not the host)
  local p=$1 n=0
  while [ -L "$root$p" ] && [ $n -lt 20 ]; do
    local t; t=$(readlink "$root$p")
    case $t in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
    n=$((n + 1))
  done
  echo "$p"
}
if interp=$(readelf -lW "$root$run" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p') && [ -n "$interp" ]; then
  [ -e "$root$(resolve "$interp")" ] || die "rootfs.sh: $run needs the ELF interpreter $interp, which no .deb of the set provides (add libc6)"
  for lib in $(readelf -dW "$root$run" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    found=
    for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib /usr/lib; do
      [ -e "$root$(resolve "$d/$lib")" ] && { found=1; break; }
    done
    [ -n "$found" ] || die "rootfs.sh: $run needs $lib, which no .deb of the set provides"
  done
fi

if [ -e "$root/bin/sh" ]; then shell=/bin/sh
elif [ -x "$root/bin/busybox" ]; then shell="/bin/busybox sh"
else die "rootfs.sh: the set has no shell for /init (/bin/sh from dash, or /bin/busybox)"
fi

mkdir -p "$root"/{dev,proc,sys,tmp,etc,root}
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true   # else the kernel's built-in one serves
echo "$variant" > "$root/etc/xsc-variant"
if [ -n "$allowlist" ]; then
  mkdir -p "$root/etc/cfi"
  cp "$allowlist" "$root/etc/cfi/allowlist"
  chmod 644 "$root/etc/cfi/allowlist"
fi

cat > "$root/init" <<EOF
#!$shell
# XSC boot-test init: written by rules/scripts/iso/rootfs.sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
if [ -x /bin/busybox ]; then
  /bin/busybox mount -t proc proc /proc
  /bin/busybox mount -t sysfs sysfs /sys
fi
echo "xsc-init: started, root variant \$(read -r v < /etc/xsc-variant; echo "\$v")"
if [ -r /proc/version ]; then read -r banner < /proc/version; echo "xsc-init: kernel \$banner"; fi
if [ -e /etc/cfi/allowlist ]; then
  echo "xsc-init: CFI JIT allowlist present: /etc/cfi/allowlist"
else
  echo "xsc-init: no CFI JIT allowlist"
fi
echo "xsc-init: running $run"
$run
echo "xsc-init: $run exited with status \$?"
echo "xsc-init: done, rebooting (QEMU runs with -no-reboot, so this ends it)"
if [ -x /bin/busybox ]; then /bin/busybox reboot -f; fi
if [ -w /proc/sysrq-trigger ]; then echo b > /proc/sysrq-trigger; fi
exit 0
EOF
chmod 755 "$root/init"

find "$root" -exec touch -h -d "@$sde" {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z \
  | cpio --null --quiet -o -H newc --reproducible -R 0:0) | gzip -9n > "$out"
if [ -n "$manifest" ]; then
  (cd "$root" && find . | LC_ALL=C sort) > "$manifest"
fi
echo "[rootfs] $variant: ${#debs[@]} debs, $(find "$root" | wc -l) entries, $(stat -c %s "$out") bytes" >&2
