#!/usr/bin/env bash
# Make a bootable XSC ISO (GRUB): kernel + initramfs + an APT repository of the set's .debs.
#   x86_64:  BIOS (El Torito), GRUB from the host's grub-pc-bin
#   aarch64: UEFI (El Torito EFI image /efi.img holding EFI/BOOT/BOOTAA64.EFI), GRUB's arm64-efi
#            modules and kernel.img from --grub-deb (Debian's grub-efi-arm64-bin, arm64), unpacked
#            here and given to the host's grub-mkrescue with -d: nothing of the image is the host's
#            but grub-mkrescue's fonts and locales (grub-common, the same GRUB version)
#
# Usage:
#   iso.sh [--arch x86_64|aarch64] --variant base|cfi-compat --kernel bzImage|Image \
#          --initramfs initramfs.cpio.gz [--allowlist FILE] [--grub-deb grub-efi-arm64-bin.deb] \
#          --out OUT/xsc.iso [--out-audit OUT/iso.audit] DEB...
#
# Layout of the ISO:
#   /boot/bzImage (x86_64) or /boot/Image (aarch64), /boot/initramfs.cpio.gz,
#   /boot/grub/grub.cfg (serial console ttyS0 / ttyAMA0, no wait)
#   /etc/cfi/allowlist            base only (cfi-compat never carries it)
#   /repo/pool/*.deb, /repo/Packages(.gz), /repo/Release   apt: deb [trusted=yes] file:/…/repo ./
#   /xsc-variant
# Audit (after grub-mkrescue, from the ISO itself): every file is one of
#   kernel          /boot/bzImage or /boot/Image (the variant's KernelInfo image)
#   root            /boot/initramfs.cpio.gz (made and audited by rootfs.sh: every ELF XSC-marked)
#   set             /repo/pool/<deb>: exactly the .debs given (the audited package set)
#   rule            files this script writes: /repo/Packages(.gz), /repo/Release, /xsc-variant,
#                   /boot/grub/grub.cfg, /etc/cfi/allowlist (base)
#   bootloader      GRUB's own boot code and data that grub-mkrescue adds (/boot/grub/**, the
#                   El Torito image; /efi.img, /EFI/**, /System/**, /mach_kernel for EFI):
#                   firmware-level code (the host's grub-pc-bin on x86_64, --grub-deb on aarch64)
#                   that runs before the kernel and is never exec'd by it, so it is not XSC
#                   userland; its package and version are recorded in the audit
#   anything else fails the build, listed. OUT/iso.audit lists every file with its class.
# Byte-identical across builds and directories: every file mtime is SOURCE_DATE_EPOCH and
# grub-mkrescue's xorriso gets fixed volume dates and a fixed volume uuid (derived from
# SOURCE_DATE_EPOCH), so nothing of the build time or place enters the image.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

arch=x86_64 variant= kernel= initramfs= allowlist= grub_deb= out= audit=
debs=()
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --grub-deb) grub_deb=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --initramfs) initramfs=$2; shift 2 ;;
    --allowlist) allowlist=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --out-audit) audit=$2; shift 2 ;;
    --*) die "iso.sh: unknown option '$1'" ;;
    *) debs+=("$1"); shift ;;
  esac
done
case $variant in base|cfi-compat) ;; *) die "iso.sh: --variant must be base or cfi-compat, got '$variant'" ;; esac
case $arch in
  x86_64) kname=bzImage console=ttyS0
    [ -z "$grub_deb" ] || die "iso.sh: x86_64 boots through the host's grub-pc-bin; --grub-deb is for aarch64" ;;
  aarch64) kname=Image console=ttyAMA0
    [ -f "$grub_deb" ] || die "iso.sh: aarch64 needs --grub-deb (Debian's grub-efi-arm64-bin .deb), got '$grub_deb'" ;;
  *) die "iso.sh: --arch must be x86_64 or aarch64, got '$arch'" ;;
esac
[ -f "$kernel" ] || die "iso.sh: kernel image '$kernel' does not exist"
[ -f "$initramfs" ] || die "iso.sh: initramfs '$initramfs' does not exist"
[ -n "$out" ] || die "iso.sh: --out is required"
if [ "$variant" = cfi-compat ] && [ -n "$allowlist" ]; then
  die "iso.sh: the cfi-compat ISO never carries /etc/cfi/allowlist (base-only feature)"
fi
[ "$variant" = cfi-compat ] || [ -n "$allowlist" ] || die "iso.sh: the base ISO must carry /etc/cfi/allowlist: pass --allowlist FILE"

sde=${SOURCE_DATE_EPOCH:-0}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xsc-iso.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tree=$scratch/tree
mkdir -p "$tree/boot/grub" "$tree/repo/pool"
cp "$kernel" "$tree/boot/$kname"
cp "$initramfs" "$tree/boot/initramfs.cpio.gz"
echo "$variant" > "$tree/xsc-variant"
if [ -n "$allowlist" ]; then
  mkdir -p "$tree/etc/cfi"
  cp "$allowlist" "$tree/etc/cfi/allowlist"
fi
if [ "$arch" = x86_64 ]; then
  cat > "$tree/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry "XSC ($variant)" {
  linux /boot/bzImage console=ttyS0 panic=-1 xsc.variant=$variant
  initrd /boot/initramfs.cpio.gz
}
EOF
else
  # UEFI: GRUB's console is the firmware's, which AAVMF puts on the serial port. A kernel GRUB
  # cannot load powers the machine off (instead of waiting for a key), so a boot test fails at once.
  cat > "$tree/boot/grub/grub.cfg" <<EOF
set timeout=0
menuentry "XSC ($variant, $arch)" {
  echo "XSC GRUB: loading /boot/$kname ($variant, $arch)"
  if linux /boot/$kname console=$console panic=-1 xsc.variant=$variant; then
    initrd /boot/initramfs.cpio.gz
  else
    echo "XSC GRUB: cannot load /boot/$kname, powering off"
    halt
  fi
}
EOF
fi

# APT repository of the set (apt accepts it as: deb [trusted=yes] file:<mount>/repo ./)
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || die "iso.sh: $deb does not exist"
  cp "$deb" "$tree/repo/pool/"
done
(cd "$tree/repo" && dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null > Packages \
  && gzip -9nk Packages \
  && apt-ftparchive -o APT::FTPArchive::Release::Origin=XSC -o APT::FTPArchive::Release::Label=XSC \
       -o APT::FTPArchive::Release::Suite="xsc-$variant" release . > "$scratch/Release" \
  && sed -i "s/^Date: .*/Date: $(LC_ALL=C date -u -d "@$sde" '+%a, %d %b %Y %H:%M:%S UTC')/" "$scratch/Release" \
  && mv "$scratch/Release" Release) || die "iso.sh: making the APT repository failed"

find "$tree" -exec touch -h -d "@$sde" {} +
uuid=$(TZ=UTC date -d "@$sde" +%Y%m%d%H%M%S00)   # 16 digits: grub-mkrescue's volume uuid format
# xorriso reads "-volume_date all_file_dates =0" as "off": the files grub-mkrescue adds itself
# (modules, fonts, locales) would then keep the current time. Epoch 0 is given as 1 second.
xdate=$sde
[ "$xdate" -gt 0 ] || xdate=1
mkdir -p "$(dirname "$out")"
log=$scratch/grub-mkrescue.log
grub_dir=()
if [ -n "$grub_deb" ]; then
  # GRUB's arm64-efi platform directory (modules, kernel.img, modinfo.sh) from the pinned .deb.
  grub_ver="$(dpkg-deb -f "$grub_deb" Package) $(dpkg-deb -f "$grub_deb" Version) $(dpkg-deb -f "$grub_deb" Architecture)"
  [ "$(dpkg-deb -f "$grub_deb" Architecture)" = arm64 ] || die "iso.sh: --grub-deb $grub_deb is not an arm64 .deb ($grub_ver)"
  dpkg-deb -x "$grub_deb" "$scratch/grub" || die "iso.sh: dpkg-deb -x $grub_deb failed"
  platform=$scratch/grub/usr/lib/grub/arm64-efi
  [ -f "$platform/kernel.img" ] && [ -f "$platform/modinfo.sh" ] || die "iso.sh: $grub_deb has no usr/lib/grub/arm64-efi (kernel.img, modinfo.sh): not grub-efi-arm64-bin?"
  grub_dir=(-d "$platform")
  # grub-mkrescue formats the EFI boot image (/efi.img) with mformat, which picks a random FAT
  # volume serial: a wrapper first in PATH gives it one derived from SOURCE_DATE_EPOCH. (The FAT
  # entries' dates already come from SOURCE_DATE_EPOCH, through mtools.)
  mkdir -p "$scratch/bin"
  printf '#!/bin/sh\nexec /usr/bin/mformat -N %08x "$@"\n' "$(( (sde ^ 0x58534321) & 0xffffffff ))" > "$scratch/bin/mformat"
  chmod 755 "$scratch/bin/mformat"
  PATH=$scratch/bin:$PATH
else
  grub_ver=$(dpkg-query -W -f '${Package} ${Version}' grub-pc-bin 2>/dev/null || echo 'grub-pc-bin (version unknown)')
fi
if ! SOURCE_DATE_EPOCH=$sde grub-mkrescue "${grub_dir[@]}" -o "$scratch/out.iso" "$tree" -- \
     -volume_date all_file_dates "=$xdate" -volume_date c "=$xdate" -volume_date m "=$xdate" \
     -volume_date uuid "$uuid" > "$log" 2>&1; then
  cat "$log" >&2
  die "iso.sh: grub-mkrescue failed"
fi

# --- audit: every file of the ISO, by class -------------------------------------------------
declare -A setdebs=()
for deb in "${debs[@]}"; do setdebs[/repo/pool/${deb##*/}]=1; done
xorriso -indev "$scratch/out.iso" -find / -type f 2>/dev/null | sed -n "s/^'\(.*\)'$/\1/p" | LC_ALL=C sort > "$scratch/files"
[ -s "$scratch/files" ] || die "iso.sh: could not list the files of the ISO with xorriso"
bad=() n=0
declare -A count=()
: > "$scratch/audit"
while IFS= read -r f; do
  n=$((n + 1))
  case $f in
    "/boot/$kname") c=kernel ;;
    /boot/initramfs.cpio.gz) c=root ;;
    /repo/Packages|/repo/Packages.gz|/repo/Release|/xsc-variant|/boot/grub/grub.cfg) c=rule ;;
    /etc/cfi/allowlist) [ -n "$allowlist" ] && c=rule || c= ;;
    /repo/pool/*) [ -n "${setdebs[$f]+x}" ] && c=set || c= ;;
    /boot/grub/*|/efi.img|/EFI/*|/System/*|/mach_kernel) c=bootloader ;;
    *) c= ;;
  esac
  if [ -z "$c" ]; then bad+=("$f"); continue; fi
  count[$c]=$(( ${count[$c]:-0} + 1 ))
  printf '%-10s %s\n' "$c" "$f" >> "$scratch/audit"
done < "$scratch/files"
[ ${#bad[@]} -eq 0 ] || die "iso.sh: the ISO holds files that are neither the kernel, the audited root, the set's .debs, this script's own files nor GRUB's boot code:
$(printf '  %s\n' "${bad[@]}")"
[ "${count[set]:-0}" -eq "${#setdebs[@]}" ] || die "iso.sh: the ISO's /repo/pool holds ${count[set]:-0} of the ${#setdebs[@]} .debs of the set"
summary="[audit] $variant ISO: $n files: kernel ${count[kernel]:-0}, audited root ${count[root]:-0}, set .debs ${count[set]:-0}, written by iso.sh ${count[rule]:-0}, GRUB boot code ${count[bootloader]:-0} ($grub_ver, bootloader: not XSC userland)"
echo "$summary" >> "$scratch/audit"
echo "$summary" >&2
if [ -n "$audit" ]; then mkdir -p "$(dirname "$audit")"; cp "$scratch/audit" "$audit"; fi
mv "$scratch/out.iso" "$out"
echo "[iso] $arch $variant: $(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -c1-16)" >&2
