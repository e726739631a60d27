#!/usr/bin/env bash
# Make a bootable (BIOS, GRUB) XSC ISO: kernel + initramfs + an APT repository of the set's .debs.
#
# Usage:
#   iso.sh --variant base|cfi-compat --kernel bzImage --initramfs initramfs.cpio.gz \
#          [--allowlist FILE] --out OUT/xsc.iso DEB...
#
# Layout of the ISO:
#   /boot/bzImage, /boot/initramfs.cpio.gz, /boot/grub/grub.cfg (serial console, no wait)
#   /etc/cfi/allowlist            base only (cfi-compat never carries it)
#   /repo/pool/*.deb, /repo/Packages(.gz), /repo/Release   apt: deb [trusted=yes] file:/…/repo ./
#   /xsc-variant
# Byte-identical across builds and directories: every file mtime is SOURCE_DATE_EPOCH and
# grub-mkrescue's xorriso gets fixed volume dates and a fixed volume uuid (derived from
# SOURCE_DATE_EPOCH), so nothing of the build time or place enters the image.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

variant= kernel= initramfs= allowlist= out=
debs=()
while [ $# -gt 0 ]; do
  case $1 in
    --variant) variant=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --initramfs) initramfs=$2; shift 2 ;;
    --allowlist) allowlist=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --*) die "iso.sh: unknown option '$1'" ;;
    *) debs+=("$1"); shift ;;
  esac
done
case $variant in base|cfi-compat) ;; *) die "iso.sh: --variant must be base or cfi-compat, got '$variant'" ;; esac
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
cp "$kernel" "$tree/boot/bzImage"
cp "$initramfs" "$tree/boot/initramfs.cpio.gz"
echo "$variant" > "$tree/xsc-variant"
if [ -n "$allowlist" ]; then
  mkdir -p "$tree/etc/cfi"
  cp "$allowlist" "$tree/etc/cfi/allowlist"
fi
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
if ! SOURCE_DATE_EPOCH=$sde grub-mkrescue -o "$scratch/out.iso" "$tree" -- \
     -volume_date all_file_dates "=$xdate" -volume_date c "=$xdate" -volume_date m "=$xdate" \
     -volume_date uuid "$uuid" > "$log" 2>&1; then
  cat "$log" >&2
  die "iso.sh: grub-mkrescue failed"
fi
mv "$scratch/out.iso" "$out"
echo "[iso] $variant: $(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -c1-16)" >&2
