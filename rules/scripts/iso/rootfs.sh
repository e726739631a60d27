#!/usr/bin/env bash
# Assemble the XSC root filesystem as a gzip'd newc initramfs from the variant's package set, and
# audit it: nothing in it may come from anywhere but an XSC .deb of that set.
#
# Usage:
#   rootfs.sh [--arch x86_64|aarch64] --variant base|cfi-compat --run /usr/bin/hello [--allowlist FILE] \
#             [--root-package NAME]... --out OUT/initramfs.cpio.gz \
#             [--out-manifest OUT/rootfs.manifest] [--out-audit OUT/rootfs.audit] DEB...
#
# DEB... is the whole set (what the ISO's /repo holds); --root-package names the binary packages
# unpacked into the root (default: all of them). Each is unpacked with `dpkg-deb -x`.
#
# The audit (fails listing every offending path, nothing is written):
#   - every .deb is an XSC build (version suffix +xsc<N>) for the arch (Debian's amd64 or arm64, or all)
#   - every file, link and device of the root comes from exactly one .deb of the set
#     (manifest: path -> .deb), or is one of the files this script writes itself: /init,
#     /etc/xsc-variant, /etc/xsc-set, /etc/cfi/allowlist (base), /dev/console, and the empty
#     mount points /dev /proc /sys /tmp /root /cdrom /foreign
#   - every ELF file is for the arch (readelf's Machine: X86-64, AArch64), carries the XSC ABI note
#     (owner XSC, type 1, version 1), and its ELF interpreter and NEEDED libraries are files of the
#     root (so audited too)
#   - cfi-compat: every ELF file carries the arch's CFI marking (GNU property note): x86_64
#     "x86 feature: IBT, SHSTK", aarch64 "AArch64 feature: BTI, PAC"
#   It prints "[audit] <variant> root: N files from M .debs, E ELF files, all IBT+SHSTK, all XSC-marked"
#   (aarch64: "E AArch64 ELF files, all BTI+PAC, all XSC-marked").
#
# /init (a shell script run by the set's /bin/sh; busybox gives mount and the archive tools):
#   prints the kernel banner, whether the CFI JIT allowlist is present, what runs it (/proc/$$/exe)
#   and the XSC libc's version line (/lib/<multiarch>/libc.so.6 run as a program); runs the --run
#   program; mounts the CD-ROM it booted from (the one with /xsc-variant) and checks that its
#   /repo/Packages lists every package of the set (/etc/xsc-set); unpacks the --run program's .deb
#   from /repo/pool with busybox ar + xz + tar and runs that copy; if a second CD-ROM holds
#   /xsc-foreign-exec (lines "PATH static|dynamic": the boot test's foreign binaries, never part of
#   the image), tries to exec each, and to load the dynamic ones with the XSC ld.so; then reboots, which
#   ends QEMU -no-reboot.
#   When the root holds the CFI attack programs /usr/bin/xsc-bti-attack and /usr/bin/xsc-pac-attack
#   (xsc-cfi-tests), /init runs each after the --run program and prints its exit status as the
#   shell sees it: "XSC-ATTACK bti exit=<$?>", "XSC-ATTACK pac exit=<$?>" (128+N when signal N
#   killed it: SIGILL 132, SIGSEGV 139).
# The base variant's root carries /etc/cfi/allowlist (from --allowlist); cfi-compat never does.
# Reproducible: file order sorted, owners 0:0, every mtime clamped to SOURCE_DATE_EPOCH,
# `cpio -H newc --reproducible`, `gzip -9n`.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

arch=x86_64 variant= run= allowlist= out= manifest= audit=
debs=() rootpkgs=()
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --allowlist) allowlist=$2; shift 2 ;;
    --root-package) rootpkgs+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --out-manifest) manifest=$2; shift 2 ;;
    --out-audit) audit=$2; shift 2 ;;
    --*) die "rootfs.sh: unknown option '$1'" ;;
    *) debs+=("$1"); shift ;;
  esac
done
case $variant in base|cfi-compat) ;; *) die "rootfs.sh: --variant must be base or cfi-compat, got '$variant'" ;; esac
# Per arch: Debian's arch, the multiarch triplet, readelf's Machine, the CFI marking cfi-compat
# requires (readelf -n's GNU property line) and the dynamic loader /init tries foreign programs with.
case $arch in
  x86_64) deb_arch=amd64 multiarch=x86_64-linux-gnu machine='Advanced Micro Devices X86-64'
    cfi_name=IBT+SHSTK cfi_note='x86 feature: IBT, SHSTK' cfi_re='x86 feature: ([A-Z0-9_, ]*)' ldso=/lib64/ld-linux-x86-64.so.2 elf_word= ;;
  aarch64) deb_arch=arm64 multiarch=aarch64-linux-gnu machine=AArch64
    cfi_name=BTI+PAC cfi_note='AArch64 feature: BTI, PAC' cfi_re='AArch64 feature: ([A-Z0-9_, ]*)' ldso=/lib/ld-linux-aarch64.so.1 elf_word='AArch64 ' ;;
  *) die "rootfs.sh: --arch must be x86_64 or aarch64, got '$arch'" ;;
esac
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

# --- unpack, recording which .deb each path came from ---------------------------------------
declare -A from=()       # path (./usr/bin/hello) -> .deb file name
conflicts=()
: > "$scratch/set"
bad=()
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || die "rootfs.sh: $deb does not exist"
  pkg=$(dpkg-deb -f "$deb" Package); ver=$(dpkg-deb -f "$deb" Version); darch=$(dpkg-deb -f "$deb" Architecture)
  echo "$pkg $ver" >> "$scratch/set"
  [[ $ver =~ \+xsc[0-9]+$ ]] || bad+=("${deb##*/}: $pkg $ver is not an XSC build (no +xsc<N> version suffix)")
  [ "$darch" = "$deb_arch" ] || [ "$darch" = all ] || bad+=("${deb##*/}: $pkg $ver is for $darch, this is an $arch ($deb_arch) root")
  if [ ${#rootpkgs[@]} -gt 0 ] && ! printf '%s\n' "${rootpkgs[@]}" | grep -qxF "$pkg"; then continue; fi
  echo "$pkg" >> "$scratch/unpacked"
  name=${deb##*/}
  dpkg-deb --fsys-tarfile "$deb" | tar -tf - > "$scratch/list"   # (a file: bash reads a pipe byte by byte)
  while IFS= read -r p; do
    case $p in
      */) p=${p%/}; [ "$p" = . ] || from[$p]=${from[$p]:-$name} ;;   # directories are shared
      *) [ -z "${from[$p]+x}" ] || conflicts+=("${p#.}: ${from[$p]} and $name"); from[$p]=$name ;;
    esac
  done < "$scratch/list"
  dpkg-deb -x "$deb" "$root" || die "rootfs.sh: dpkg-deb -x $deb failed"
done
for p in "${rootpkgs[@]}"; do
  grep -qxF "$p" "$scratch/unpacked" 2>/dev/null || die "rootfs.sh: --root-package $p: no .deb of the set makes it ($(cut -d' ' -f1 "$scratch/set" | xargs))"
done
[ ${#conflicts[@]} -eq 0 ] || die "rootfs.sh: two .debs of the root install the same file:
$(printf '  %s\n' "${conflicts[@]}")"

# The program to run must be there, with its ELF interpreter and libraries, or the boot
# would fail far from the cause.
[ -x "$root$run" ] || die "rootfs.sh: $run is not in any of the .debs unpacked into the root: $(xargs < "$scratch/unpacked")"
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
    for d in /lib/$multiarch /usr/lib/$multiarch /lib /usr/lib; do
      [ -e "$root$(resolve "$d/$lib")" ] && { found=1; break; }
    done
    [ -n "$found" ] || die "rootfs.sh: $run needs $lib, which no .deb of the set provides"
  done
fi
run_deb=${from[.$(resolve "$run")]:-${from[.$run]:-}}

if [ -e "$root/bin/sh" ]; then shell=/bin/sh
elif [ -x "$root/bin/busybox" ]; then shell="/bin/busybox sh"
else die "rootfs.sh: the set has no shell for /init (/bin/sh from dash, or /bin/busybox)"
fi
[ -x "$root/bin/busybox" ] || die "rootfs.sh: /init needs /bin/busybox (mount, ar, xz, tar, reboot): add busybox to the root packages"

# --- what this script writes itself ---------------------------------------------------------
written=(./init ./etc/xsc-variant ./etc/xsc-set ./dev/console)
mountpoints=(./dev ./proc ./sys ./tmp ./etc ./root ./cdrom ./foreign)
for m in "${mountpoints[@]}"; do mkdir -p "$root/$m"; done
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true   # else the kernel's built-in one serves
echo "$variant" > "$root/etc/xsc-variant"
cp "$scratch/set" "$root/etc/xsc-set"
# The CFI attack programs of xsc-cfi-tests: /init runs them when the root has both.
attack_lines=
if [ -x "$root/usr/bin/xsc-bti-attack" ] && [ -x "$root/usr/bin/xsc-pac-attack" ]; then
  attack_lines='# CFI attacks (xsc-cfi-tests): an indirect branch to a non-landing pad (BTI) and a forged return
# address (PAC). cfi-compat must kill both (BTI: SIGILL, 132; PAC: SIGILL or SIGSEGV, 139), base
# lets both run (status 0). The status is the shell'"'"'s: 128+N when signal N killed the program.
echo "xsc-init: running /usr/bin/xsc-bti-attack"
/usr/bin/xsc-bti-attack
echo "XSC-ATTACK bti exit=$?"
echo "xsc-init: running /usr/bin/xsc-pac-attack"
/usr/bin/xsc-pac-attack
echo "XSC-ATTACK pac exit=$?"
'
fi
if [ -n "$allowlist" ]; then
  mkdir -p "$root/etc/cfi"
  cp "$allowlist" "$root/etc/cfi/allowlist"
  chmod 644 "$root/etc/cfi/allowlist"
  written+=(./etc/cfi/allowlist); mountpoints+=(./etc/cfi)
fi

cat > "$root/init" <<EOF
#!$shell
# XSC boot-test init: written by rules/scripts/iso/rootfs.sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
bb=/bin/busybox
\$bb mount -t proc proc /proc
\$bb mount -t sysfs sysfs /sys
\$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null
\$bb mount -t tmpfs tmpfs /tmp
echo "xsc-init: started, root variant \$(read -r v < /etc/xsc-variant; echo "\$v")"
if [ -r /proc/version ]; then read -r banner < /proc/version; echo "xsc-init: kernel \$banner"; fi
if [ -e /etc/cfi/allowlist ]; then
  echo "xsc-init: CFI JIT allowlist present: /etc/cfi/allowlist"
else
  echo "xsc-init: no CFI JIT allowlist"
fi
echo "xsc-init: /init is run by \$(\$bb readlink /proc/\$\$/exe), busybox is \$(\$bb readlink -f \$bb)"
echo "xsc-init: libc: \$(/lib/$multiarch/libc.so.6 | \$bb head -n 1)"
echo "xsc-init: running $run"
$run
echo "xsc-init: $run exited with status \$?"
$attack_lines
# The live image hosts itself: mount the CD-ROM it booted from, check its APT repository.
for dev in /dev/sr0 /dev/sr1 /dev/sr2 /dev/sr3; do
  [ -b "\$dev" ] || continue
  \$bb mkdir -p /mnt\$dev
  \$bb mount -t iso9660 -o ro "\$dev" /mnt\$dev 2>/dev/null || continue
  if [ -f /mnt\$dev/xsc-variant ]; then \$bb mount --move /mnt\$dev /cdrom; echo "xsc-init: mounted the boot CD-ROM \$dev on /cdrom (variant \$(read -r v < /cdrom/xsc-variant; echo "\$v"))"
  elif [ -f /mnt\$dev/xsc-foreign-exec ]; then \$bb mount --move /mnt\$dev /foreign; echo "xsc-init: mounted the boot test's foreign CD-ROM \$dev on /foreign"
  fi
done
if [ -f /cdrom/repo/Packages ]; then
  n=0 total=0 missing=
  while read -r p v; do
    total=\$((total + 1))
    if \$bb grep -qxF "Package: \$p" /cdrom/repo/Packages; then n=\$((n + 1)); else missing="\$missing \$p"; fi
  done < /etc/xsc-set
  echo "xsc-init: repo: /cdrom/repo/Packages lists \$n of the \$total packages of the set\${missing:+; missing:\$missing}"
  deb=/cdrom/repo/pool/$run_deb
  if [ -f "\$deb" ]; then
    \$bb mkdir -p /tmp/inst && cd /tmp/inst && \$bb ar x "\$deb" && \$bb xz -dc data.tar.xz | \$bb tar -x && cd /
    echo "xsc-init: installed $run_deb from the repo with busybox ar, xz and tar into /tmp/inst; running /tmp/inst$run"
    /tmp/inst$run
    echo "xsc-init: /tmp/inst$run exited with status \$?"
  else
    echo "xsc-init: $run_deb is not in the repo"
  fi
else
  echo "xsc-init: no boot CD-ROM with /repo/Packages found"
fi
# Foreign (standard) binaries the boot test put on a second CD-ROM: the XSC kernel must refuse
# to exec them, the XSC ld.so to load them.
if [ -f /foreign/xsc-foreign-exec ]; then
  while read -r f kind; do
    echo "xsc-init: foreign: exec /foreign\$f"
    /foreign\$f --version > /dev/null 2>&1
    echo "xsc-init: foreign: exec /foreign\$f exited with status \$?"
    if [ "\$kind" = dynamic ]; then
      echo "xsc-init: foreign: $ldso /foreign\$f"
      $ldso /foreign\$f --version 2>&1 | \$bb head -n 3
    fi
  done < /foreign/xsc-foreign-exec
fi
echo "xsc-init: done, rebooting (QEMU runs with -no-reboot, so this ends it)"
\$bb reboot -f
if [ -w /proc/sysrq-trigger ]; then echo b > /proc/sysrq-trigger; fi
exit 0
EOF
chmod 755 "$root/init"

# --- audit ----------------------------------------------------------------------------------
declare -A ours=()
for w in "${written[@]}" "${mountpoints[@]}"; do ours[$w]=1; done
# Parents of every .deb path are accounted for by that .deb (dpkg-deb lists them, too).
elfs=0 cet=0 marked=0
# The XSC ABI note as readelf -n prints it: owner XSC, descsz 4, type 1, descriptor = version 1.
xsc_note_re=$'XSC[[:space:]]+0x00000004[[:space:]][^\n]*description data: 01 00 00 00'
machine_re=$'Machine:[[:space:]]+([^\n]*)'
export LC_ALL=C
mf=$scratch/manifest
: > "$mf"
: > "$scratch/audit"
# Paths through a regular file: bash reads a pipe one byte per read(2).
(cd "$root" && find . -print0 | LC_ALL=C sort -z) > "$scratch/paths"
elf_paths=()
while IFS= read -r -d '' p; do
  p=${p%/}
  [ "$p" = . ] && continue
  if [ -n "${from[$p]+x}" ]; then printf '%s\t%s\n' "${p#.}" "${from[$p]}" >> "$mf"
  elif [ -n "${ours[$p]+x}" ]; then printf '%s\t%s\n' "${p#.}" "(written by rootfs.sh)" >> "$mf"
  else bad+=("${p#.}: from no .deb of the set"); continue
  fi
  f=$root/$p
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  magic=
  IFS= read -r -N 4 magic < "$f" 2>/dev/null || true
  [ "$magic" = $'\177ELF' ] && elf_paths+=("${p#./}")
done < "$scratch/paths"
# One readelf for every ELF file (an image holds hundreds: glibc's gconv modules); with more than
# one file it heads each one's output with "File: <path>".
declare -A info=()
if [ ${#elf_paths[@]} -gt 0 ]; then
  (cd "$root" && readelf -hlndW "${elf_paths[@]}" "${elf_paths[0]}") > "$scratch/readelf" 2>/dev/null || true
  cur=
  while IFS= read -r l; do
    if [[ $l == "File: "* ]]; then cur=${l#File: }; continue; fi
    [ -n "$cur" ] && info[$cur]+=$l$'\n'
  done < "$scratch/readelf"
fi
for q in "${elf_paths[@]}"; do
  p=./$q
  elfs=$((elfs + 1))
  i=${info[$q]:-}
  x=no c=no
  if [[ $i =~ $xsc_note_re ]]; then x=yes; marked=$((marked + 1)); fi
  if [[ $i == *"$cfi_note"* ]]; then c=yes; cet=$((cet + 1)); fi
  printf 'ELF %s (%s): XSC-marked %s, %s %s\n' "/$q" "${from[$p]:-rootfs.sh}" "$x" "$cfi_name" "$c" >> "$scratch/audit"
  m=unknown; [[ $i =~ $machine_re ]] && m=${BASH_REMATCH[1]}
  [ "$m" = "$machine" ] || bad+=("/$q (${from[$p]:-rootfs.sh}): ELF for $m, not $arch ($machine)")
  [ $x = yes ] || bad+=("/$q (${from[$p]:-rootfs.sh}): ELF without the XSC ABI note")
  if [ "$variant" = cfi-compat ] && [ $c = no ]; then
    feat=none; [[ $i =~ $cfi_re ]] && feat=${BASH_REMATCH[1]}
    bad+=("/$q (${from[$p]:-rootfs.sh}): ELF without $cfi_name (${cfi_note%%:*}: $feat)")
  fi
  # Its interpreter and libraries must be in the root too (files of the set, so also audited).
  if [[ $i =~ Requesting\ program\ interpreter:\ ([^]]+)\] ]]; then
    interp=${BASH_REMATCH[1]}
    [ -e "$root$(resolve "$interp")" ] || bad+=("/$q: its ELF interpreter $interp is not in the root")
  fi
  rest=$i
  while [[ $rest =~ \(NEEDED\)[^[]*\[([^]]*)\] ]]; do
    rest=${rest#*"${BASH_REMATCH[0]}"}
    lib=${BASH_REMATCH[1]} found=
    # (the object's own directory too: glibc's gconv modules find their helpers by $ORIGIN;
    # /lib64 for ld-linux-x86-64.so.2, which libc.so.6 needs: the dynamic loader is installed
    # there, rtlddir, and satisfies its own soname as the running interpreter)
    own=/$q; own=${own%/*}
    for d in /lib/$multiarch /usr/lib/$multiarch /lib /usr/lib /lib64 "$own"; do
      # (a plain file needs no link resolution: no fork on the common path)
      if { [ -f "$root$d/$lib" ] && [ ! -L "$root$d/$lib" ]; } || [ -e "$root$(resolve "$d/$lib")" ]; then found=1; break; fi
    done
    [ -n "$found" ] || bad+=("/$q: needs $lib, which is not in the root")
  done
done
if [ ${#bad[@]} -gt 0 ]; then
  printf '  %s\n' "${bad[@]}" >&2
  die "rootfs.sh: the $arch $variant root fails the image audit (${#bad[@]} paths above): every file must come from an XSC $deb_arch .deb of the set, every ELF must be $machine and carry the XSC ABI note$([ "$variant" = cfi-compat ] && echo " and $cfi_name" || true)"
fi
files=$(wc -l < "$mf")
if [ "$variant" = cfi-compat ]; then verdict="$elfs ${elf_word}ELF files, all $cfi_name, all XSC-marked"
else verdict="$elfs ${elf_word}ELF files, all XSC-marked ($cet with $cfi_name; base does not require them)"; fi
summary="[audit] $variant root: $files paths from $(wc -l < "$scratch/unpacked") .debs of the set ($(xargs < "$scratch/unpacked")) and rootfs.sh; $verdict"
echo "$summary" >> "$scratch/audit"

find "$root" -exec touch -h -d "@$sde" {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z \
  | cpio --null --quiet -o -H newc --reproducible -R 0:0) | gzip -9n > "$out"
if [ -n "$manifest" ]; then cp "$mf" "$manifest"; fi
if [ -n "$audit" ]; then cp "$scratch/audit" "$audit"; fi
echo "$summary" >&2
echo "[rootfs] $arch $variant: ${#debs[@]} debs in the set, $(find "$root" | wc -l) entries, $(stat -c %s "$out") bytes" >&2
