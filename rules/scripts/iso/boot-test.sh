#!/usr/bin/env bash
# Boot an XSC ISO in QEMU (software emulation, serial console to a file) and pass only if the
# serial log proves the image is XSC throughout (see rootfs.sh for /init).
#   x86_64:  qemu-system-x86_64 -accel tcg, SeaBIOS, the CD-ROMs on IDE, console ttyS0
#   aarch64: qemu-system-aarch64 -M virt,acpi=off -cpu max,pauth-impdef=on (TCG): UEFI firmware
#            AAVMF_CODE.fd read-only on pflash 0 and a copy of AAVMF_VARS.fd on pflash 1, the
#            CD-ROMs as scsi-cd on virtio-scsi (the ISO first in the boot order), console ttyAMA0.
#            acpi=off: QEMU gives AAVMF no ACPI tables, so the kernel describes the machine from
#            QEMU's device tree alone (the XSC kernel has no ACPI; with the tables on it printed
#            nothing after "EFI stub: Exiting boot services"). pauth-impdef=on: QEMU's
#            cheap implementation-defined PAC hash instead of QARMA (the architected one is slow
#            under TCG); a forged pointer fails authentication all the same.
#
# Usage:
#   boot-test.sh [--arch x86_64|aarch64] --iso xsc.iso --variant base|cfi-compat --expect 'Hello, world!' \
#                [--run /usr/bin/hello] [--cfi-attacks] [--foreign DEBIAN.deb]... --log OUT/serial.log \
#                [--result OUT/result] [--timeout 180]
#
# --foreign: standard (Debian) .debs of the arch. Their programs (ELF executables under bin/ and
# sbin/) go on a second CD-ROM that this test makes and attaches; the ISO itself never holds them.
# --cfi-attacks: the root holds xsc-cfi-tests, so /init ran its attack programs; check the outcome.
#
# Checks, each failing with the tail of the serial log:
#   - "XSC kernel variant: <variant>"            printed by the kernel (kernel/patches/0001)
#   - /init ran (a shell script: the set's /bin/sh and busybox, on a kernel that refuses any ELF
#     without the XSC ABI note, so they are XSC binaries), and the --expect text of the program
#   - the XSC glibc's version line: "GNU C Library (XSC GLIBC <version> <variant>)"
#   - the image hosts its own ISO: it mounted the boot CD-ROM, /repo/Packages lists every package
#     of the set, and the --run program's .deb, unpacked from /repo with busybox, ran (status 0)
#   - every foreign program: the kernel refused to exec it ("xsc-abi: /foreign/<path>: not an XSC
#     binary") and its exec failed; the dynamic ones: the XSC ld.so refused to load them
#     ("/foreign/<path>: not an XSC ABI object")
#   - no program of the image itself was refused
#   - base: "XSC CFI JIT allowlist:" (kernel) and "CFI JIT allowlist present" (/init)
#     cfi-compat: neither; /init says "no CFI JIT allowlist"
#   - --cfi-attacks: both attacks reached their attack ("BTI: indirect branch to a non-landing-pad
#     instruction", "PAC: return address overwritten"), and
#       cfi-compat: "XSC-ATTACK bti exit=132" (SIGILL) and no "BTI: not enforced" line;
#                   "XSC-ATTACK pac exit=132" or "=139" (SIGILL, SIGSEGV) and no "PAC: hijacked
#                   function ran" line
#       base:       "BTI: not enforced: the branch ran" and "XSC-ATTACK bti exit=0";
#                   "PAC: hijacked function ran" and "XSC-ATTACK pac exit=0"
# QEMU ends by itself (/init powers off, or exits and panic=-1 + -no-reboot stops QEMU); a hard
# timeout kills it otherwise. It prints (and --result records) the boot time: seconds from
# QEMU's start to /init's first line, and to QEMU's end.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

arch=x86_64 iso= variant= expect= log= result= timeout_s=180 run=/usr/bin/hello cfi_attacks=0
foreign=()
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --cfi-attacks) cfi_attacks=1; shift ;;
    --iso) iso=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --expect) expect=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --foreign) foreign+=("$2"); shift 2 ;;
    --log) log=$2; shift 2 ;;
    --result) result=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    *) die "boot-test.sh: unknown argument '$1'" ;;
  esac
done
[ -f "$iso" ] || die "boot-test.sh: ISO '$iso' does not exist"
case $variant in base|cfi-compat) ;; *) die "boot-test.sh: --variant must be base or cfi-compat" ;; esac
[ -n "$expect" ] && [ -n "$log" ] || die "boot-test.sh: --expect and --log are required"
case $arch in
  x86_64) qemu=qemu-system-x86_64 ;;
  aarch64) qemu=qemu-system-aarch64 firmware=/usr/share/AAVMF/AAVMF_CODE.fd firmware_vars=/usr/share/AAVMF/AAVMF_VARS.fd
    [ -f "$firmware" ] && [ -f "$firmware_vars" ] || die "boot-test.sh: no UEFI firmware $firmware, $firmware_vars (Debian's qemu-efi-aarch64)" ;;
  *) die "boot-test.sh: --arch must be x86_64 or aarch64, got '$arch'" ;;
esac

mkdir -p "$(dirname "$log")"
: > "$log"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xsc-boot.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
qemu_log=$scratch/qemu.log
# The foreign programs, on a CD-ROM of their own (never in the ISO under test).
drive2=() fexec=()
if [ ${#foreign[@]} -gt 0 ]; then
  ft=$scratch/foreign
  mkdir -p "$ft"
  for deb in "${foreign[@]}"; do dpkg-deb -x "$deb" "$ft" || die "boot-test.sh: dpkg-deb -x $deb failed"; done
  : > "$ft/xsc-foreign-exec"
  while IFS= read -r f; do
    [ "$(head -c 4 "$ft/$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
    kind=static
    readelf -lW "$ft/$f" 2>/dev/null | grep -q 'Requesting program interpreter' && kind=dynamic
    echo "/$f $kind" >> "$ft/xsc-foreign-exec"
    fexec+=("/$f $kind")
  done < <(cd "$ft" && find bin sbin usr/bin usr/sbin -type f -perm -u+x 2>/dev/null | LC_ALL=C sort)
  [ ${#fexec[@]} -gt 0 ] || die "boot-test.sh: the --foreign .debs hold no ELF program under bin/ or sbin/"
  xorriso -as mkisofs -R -quiet -o "$scratch/foreign.iso" "$ft" 2>/dev/null || die "boot-test.sh: making the foreign CD-ROM failed"
  if [ "$arch" = x86_64 ]; then
    drive2=(-drive "file=$scratch/foreign.iso,media=cdrom,if=ide,index=3,readonly=on")
  else
    drive2=(-drive "if=none,id=cd1,media=cdrom,readonly=on,format=raw,file=$scratch/foreign.iso" -device scsi-cd,bus=scsi0.0,drive=cd1)
  fi
fi
if [ "$arch" = x86_64 ]; then
  machine=(-accel tcg -m 512 -smp 1 -cdrom "$iso" "${drive2[@]}" -boot d)
else
  cp "$firmware_vars" "$scratch/AAVMF_VARS.fd"
  machine=(-M virt,acpi=off -cpu max,pauth-impdef=on -accel tcg -m 1024 -smp 1
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$firmware"
    -drive "if=pflash,format=raw,unit=1,file=$scratch/AAVMF_VARS.fd"
    -device virtio-scsi-pci,id=scsi0
    -drive "if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=$iso" -device scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0
    "${drive2[@]}")
fi
start=$(date +%s)
# When /init's first line reaches the log: the boot time (firmware, GRUB, kernel) under TCG.
( while sleep 1; do
    if grep -qF 'xsc-init: started' "$log" 2>/dev/null; then echo $(( $(date +%s) - start )) > "$scratch/init-secs"; exit 0; fi
  done ) &
watcher=$!
set +e
timeout --kill-after=5 "$timeout_s" "$qemu" "${machine[@]}" -display none -no-reboot -monitor none -nodefaults \
  -serial "file:$log" > "$qemu_log" 2>&1
rc=$?
set -e
secs=$(( $(date +%s) - start ))
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
init_secs=$(cat "$scratch/init-secs" 2>/dev/null || echo '?')
boot_time="boot time ($arch, TCG): /init started ${init_secs} s after QEMU did, QEMU ran ${secs} s"
echo "[boot-test] $arch $variant: $boot_time" >&2

fail() {
  echo "error: boot test of the $arch $variant ISO failed: $*" >&2
  echo "--- last 40 lines of the serial log ($log) ---" >&2
  tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g' | tail -n 40 >&2
  if [ -s "$qemu_log" ]; then echo "--- qemu ---" >&2; tail -n 10 "$qemu_log" >&2; fi
  exit 1
}
[ $rc -eq 124 ] || [ $rc -eq 137 ] && fail "QEMU did not power off within ${timeout_s} s"
[ $rc -eq 0 ] || fail "$qemu exited with status $rc"
clean=$(tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g')   # (without the firmware's terminal escapes)
grep -qF "XSC kernel variant: $variant" <<<"$clean" || fail "no kernel banner 'XSC kernel variant: $variant'"
grep -qF "xsc-init: running" <<<"$clean" || fail "/init never ran (no 'xsc-init: running' line)"
grep -qF -- "$expect" <<<"$clean" || fail "the program's output '$expect' is not in the log"
libc=$(grep -oE "xsc-init: libc: GNU C Library \(XSC GLIBC [^)]* $variant\).*" <<<"$clean" | head -1 || true)
[ -n "$libc" ] || fail "no XSC glibc version line 'xsc-init: libc: GNU C Library (XSC GLIBC ... $variant)'"
runner=$(grep -o 'xsc-init: /init is run by .*' <<<"$clean" | head -1 || true)
[ -n "$runner" ] || fail "/init did not report what runs it"
grep -qF "xsc-init: mounted the boot CD-ROM" <<<"$clean" || fail "the image did not mount the CD-ROM it booted from (block, ATA, SR, ISO9660 in the kernel?)"
repo=$(grep -o 'xsc-init: repo: .*' <<<"$clean" | head -1 || true)
[[ $repo =~ lists\ ([0-9]+)\ of\ the\ ([0-9]+)\ packages ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[2]}" -gt 0 ] \
  || fail "the ISO's repository does not list every package of the set: '${repo:-no repo line}'"
grep -qF "xsc-init: /tmp/inst$run exited with status 0" <<<"$clean" || fail "the .deb of $run, unpacked from the repository with busybox, did not run"
refused=0
for fk in "${fexec[@]}"; do
  f=${fk% *} kind=${fk##* }
  grep -qF "xsc-abi: /foreign$f: not an XSC binary" <<<"$clean" || fail "the kernel did not refuse the foreign /foreign$f (no 'xsc-abi: /foreign$f: not an XSC binary')"
  grep -qF "xsc-init: foreign: exec /foreign$f exited with status 0" <<<"$clean" && fail "the foreign /foreign$f exited with status 0"
  if [ "$kind" = dynamic ]; then
    grep -qF "/foreign$f: not an XSC ABI object" <<<"$clean" || fail "the XSC ld.so did not refuse the foreign /foreign$f"
  fi
  refused=$((refused + 1))
done
own=$(grep -o 'xsc-abi: .*' <<<"$clean" | grep -v '^xsc-abi: /foreign/' || true)
[ -z "$own" ] && ! grep -q 'not an XSC ABI object' <<< "$(grep -v '/foreign/' <<<"$clean")" || fail "a program of the image itself was refused: $own"
if [ "$variant" = base ]; then
  grep -qF "XSC CFI JIT allowlist: /etc/cfi/allowlist" <<<"$clean" || fail "base kernel does not report its CFI JIT allowlist"
  grep -qF "xsc-init: CFI JIT allowlist present" <<<"$clean" || fail "base root has no /etc/cfi/allowlist"
else
  grep -qF "XSC CFI JIT allowlist" <<<"$clean" && fail "cfi-compat kernel carries the CFI JIT allowlist"
  grep -qF "xsc-init: no CFI JIT allowlist" <<<"$clean" || fail "cfi-compat root has /etc/cfi/allowlist"
fi
attacks=()
if [ $cfi_attacks = 1 ]; then
  # Each program prints its first line before the attack: without it, the program never ran.
  grep -qF "BTI: indirect branch to a non-landing-pad instruction" <<<"$clean" || fail "xsc-bti-attack did not reach its attack (no 'BTI: indirect branch to a non-landing-pad instruction')"
  grep -qF "PAC: return address overwritten" <<<"$clean" || fail "xsc-pac-attack did not reach its attack (no 'PAC: return address overwritten')"
  bti=$(grep -oE 'XSC-ATTACK bti exit=[0-9]+' <<<"$clean" | head -1 || true)
  pac=$(grep -oE 'XSC-ATTACK pac exit=[0-9]+' <<<"$clean" | head -1 || true)
  if [ "$variant" = cfi-compat ]; then
    [ "$bti" = "XSC-ATTACK bti exit=132" ] || fail "expected 'XSC-ATTACK bti exit=132' (SIGILL: BTI enforced), got '${bti:-no XSC-ATTACK bti line}'"
    grep -qF "BTI: not enforced" <<<"$clean" && fail "expected no 'BTI: not enforced' line: the branch to a non-landing pad ran"
    [ "$pac" = "XSC-ATTACK pac exit=132" ] || [ "$pac" = "XSC-ATTACK pac exit=139" ] \
      || fail "expected 'XSC-ATTACK pac exit=132' or 'XSC-ATTACK pac exit=139' (SIGILL or SIGSEGV: the forged return failed authentication), got '${pac:-no XSC-ATTACK pac line}'"
    grep -qF "PAC: hijacked function ran" <<<"$clean" && fail "expected no 'PAC: hijacked function ran' line: the forged return address was taken"
  else
    grep -qF "BTI: not enforced: the branch ran" <<<"$clean" || fail "expected 'BTI: not enforced: the branch ran' (base: no BTI)"
    [ "$bti" = "XSC-ATTACK bti exit=0" ] || fail "expected 'XSC-ATTACK bti exit=0', got '${bti:-no XSC-ATTACK bti line}'"
    grep -qF "PAC: hijacked function ran" <<<"$clean" || fail "expected 'PAC: hijacked function ran' (base: no PAC)"
    [ "$pac" = "XSC-ATTACK pac exit=0" ] || fail "expected 'XSC-ATTACK pac exit=0', got '${pac:-no XSC-ATTACK pac line}'"
  fi
  attacks=("$bti" "$pac")
fi
if [ -n "$result" ]; then
  mkdir -p "$(dirname "$result")"
  { printf 'passed: %s ISO sha256 %s booted (%s), banner "XSC kernel variant: %s" and "%s" seen\n' \
      "$variant" "$(sha256sum "$iso" | cut -d' ' -f1)" "$arch" "$variant" "$expect"
    echo "$boot_time"
    echo "$runner"
    echo "$libc"
    echo "$repo"
    echo "$run from the repository's .deb ran with status 0"
    echo "foreign programs refused by the kernel: $refused ($(printf '%s, ' "${fexec[@]}" | sed 's/, $//'))"
    grep -o 'xsc-abi: .*' <<<"$clean" || true
    grep -o '[^ ]*: not an XSC ABI object.*' <<<"$clean" || true
    if [ ${#attacks[@]} -gt 0 ]; then
      echo "CFI attacks ($variant: $([ "$variant" = cfi-compat ] && echo 'both killed' || echo 'both ran')):"
      grep -E '^(BTI|PAC): |^XSC-ATTACK ' <<<"$clean" || true
    fi
  } > "$result"
fi
echo "[boot-test] $arch $variant: booted and passed in ${secs} s" >&2
