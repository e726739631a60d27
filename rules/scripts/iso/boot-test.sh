#!/usr/bin/env bash
# Boot an XSC ISO in qemu-system-x86_64 (software emulation, serial console to a file) and
# pass only if the serial log proves the image is XSC throughout (see rootfs.sh for /init).
#
# Usage:
#   boot-test.sh --iso xsc.iso --variant base|cfi-compat --expect 'Hello, world!' [--run /usr/bin/hello] \
#                [--foreign DEBIAN.deb]... --log OUT/serial.log [--result OUT/result] [--timeout 180]
#
# --foreign: standard (Debian) .debs. Their programs (ELF executables under bin/ and sbin/) go on a
# second CD-ROM that this test makes and attaches; the ISO itself never holds them.
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
# QEMU ends by itself (/init powers off, or exits and panic=-1 + -no-reboot stops QEMU); a hard
# timeout kills it otherwise.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

iso= variant= expect= log= result= timeout_s=180 run=/usr/bin/hello
foreign=()
while [ $# -gt 0 ]; do
  case $1 in
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
  drive2=(-drive "file=$scratch/foreign.iso,media=cdrom,if=ide,index=3,readonly=on")
fi
start=$(date +%s)
set +e
timeout --kill-after=5 "$timeout_s" qemu-system-x86_64 -accel tcg -m 512 -smp 1 \
  -cdrom "$iso" "${drive2[@]}" -boot d -display none -no-reboot -monitor none -nodefaults \
  -serial "file:$log" > "$qemu_log" 2>&1
rc=$?
set -e
secs=$(( $(date +%s) - start ))

fail() {
  echo "error: boot test of $variant ISO failed: $*" >&2
  echo "--- last 40 lines of the serial log ($log) ---" >&2
  tr -d '\r' < "$log" | tail -n 40 >&2
  if [ -s "$qemu_log" ]; then echo "--- qemu ---" >&2; tail -n 10 "$qemu_log" >&2; fi
  exit 1
}
[ $rc -eq 124 ] || [ $rc -eq 137 ] && fail "QEMU did not power off within ${timeout_s} s"
[ $rc -eq 0 ] || fail "qemu-system-x86_64 exited with status $rc"
clean=$(tr -d '\r' < "$log")
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
if [ -n "$result" ]; then
  mkdir -p "$(dirname "$result")"
  { printf 'passed: %s ISO sha256 %s booted, banner "XSC kernel variant: %s" and "%s" seen\n' \
      "$variant" "$(sha256sum "$iso" | cut -d' ' -f1)" "$variant" "$expect"
    echo "$runner"
    echo "$libc"
    echo "$repo"
    echo "$run from the repository's .deb ran with status 0"
    echo "foreign programs refused by the kernel: $refused ($(printf '%s, ' "${fexec[@]}" | sed 's/, $//'))"
    grep -o 'xsc-abi: .*' <<<"$clean" || true
    grep -o '[^ ]*: not an XSC ABI object.*' <<<"$clean" || true
  } > "$result"
fi
echo "[boot-test] $variant: booted and passed in ${secs} s" >&2
