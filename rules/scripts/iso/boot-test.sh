#!/usr/bin/env bash
# Boot an XSC ISO in qemu-system-x86_64 (software emulation, serial console to a file) and
# pass only if the serial log shows the kernel's variant banner AND the package program's output.
#
# Usage:
#   boot-test.sh --iso xsc.iso --variant base|cfi-compat --expect 'Hello, world!' \
#                --log OUT/serial.log [--result OUT/result] [--timeout 180]
#
# Checks, each failing with the tail of the serial log:
#   - "XSC kernel variant: <variant>"            printed by the kernel (kernel/patches/0001)
#   - the --expect text                          printed by the program the ISO's /init runs
#   - base: "XSC CFI JIT allowlist:" (kernel) and "CFI JIT allowlist present" (/init)
#     cfi-compat: neither; /init says "no CFI JIT allowlist"
# QEMU ends by itself (/init powers off, or exits and panic=-1 + -no-reboot stops QEMU); a hard
# timeout kills it otherwise.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

iso= variant= expect= log= result= timeout_s=180
while [ $# -gt 0 ]; do
  case $1 in
    --iso) iso=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    --expect) expect=$2; shift 2 ;;
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
qemu_log=$(mktemp "${TMPDIR:-/tmp}/qemu.XXXXXX")
trap 'rm -f "$qemu_log"' EXIT
start=$(date +%s)
set +e
timeout --kill-after=5 "$timeout_s" qemu-system-x86_64 -accel tcg -m 256 -smp 1 \
  -cdrom "$iso" -boot d -display none -no-reboot -monitor none -nodefaults \
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
if [ "$variant" = base ]; then
  grep -qF "XSC CFI JIT allowlist: /etc/cfi/allowlist" <<<"$clean" || fail "base kernel does not report its CFI JIT allowlist"
  grep -qF "xsc-init: CFI JIT allowlist present" <<<"$clean" || fail "base root has no /etc/cfi/allowlist"
else
  grep -qF "XSC CFI JIT allowlist" <<<"$clean" && fail "cfi-compat kernel carries the CFI JIT allowlist"
  grep -qF "xsc-init: no CFI JIT allowlist" <<<"$clean" || fail "cfi-compat root has /etc/cfi/allowlist"
fi
if [ -n "$result" ]; then
  mkdir -p "$(dirname "$result")"
  printf 'passed: %s ISO sha256 %s booted, banner "XSC kernel variant: %s" and "%s" seen\n' \
    "$variant" "$(sha256sum "$iso" | cut -d' ' -f1)" "$variant" "$expect" > "$result"
fi
echo "[boot-test] $variant: booted and passed in ${secs} s" >&2
