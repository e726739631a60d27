#!/usr/bin/env bash
# The part of the aarch64 chain that fits in CI beside the x86_64 one (CI's 90 minutes on 2 cores
# hold one cold glibc, not two): the whole aarch64 graph analysed, the cross kernel built and booted,
# the XSC static libgcc built. The rest (the aarch64 glibc, packages, ISOs and their CFI boot tests)
# is `scripts/e2e-packages.sh --arch aarch64` and `scripts/e2e-kernel-iso.sh --arch aarch64`, run
# by hand (cold figures in iso/README.md).
#
#   scripts/e2e-aarch64-smoke.sh [--variant cfi-compat|base]    (default cfi-compat)
#
#   1. analysis of both arches' boot tests together (`--dry-run`): every aarch64 target analyses,
#      and the two arches share the build root, the sources and the fetches (one action each)
#   2. //kernel:<aarch64-variant> built cold (cross, Debian's gcc-12-aarch64-linux-gnu), then
#      booted with `qemu-system-aarch64 -M virt -cpu max -kernel Image` (no root: the kernel stops
#      at "No working init found"): its variant banner, and for cfi-compat the CPU's BTI and
#      pointer authentication turned on (base: the CFI JIT allowlist line)
#   3. cfi-compat: //toolchains:aarch64-libgcc-static-cfi-compat (gcc 12's libgcc.a from the
#      pinned gcc-12-source; the action itself checks BTI+PAC on each of its members)
# Env: XSC_E2E_CACHE (default /var/tmp/xsc-e2e-cache), XSC_E2E_JOBS (default 2).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
variant=cfi-compat
case "${1:-}" in
  --variant) case ${2:-} in base|cfi-compat) variant=$2 ;; *) echo "usage: $0 [--variant cfi-compat|base]" >&2; exit 2 ;; esac ;;
  "") ;;
  *) echo "usage: $0 [--variant cfi-compat|base]" >&2; exit 2 ;;
esac
cache=${XSC_E2E_CACHE:-/var/tmp/xsc-e2e-cache}
jobs=${XSC_E2E_JOBS:-2}
[ -f "$repo/dist/cli/main.js" ] || { echo "error: run 'npm run build' in $repo first" >&2; exit 1; }
scratch=$(mktemp -d /var/tmp/xsc-e2e-a64.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
. "$repo/scripts/e2e-lib.sh"
ws=$scratch/ws
copy_workspace "$ws"

# 1. both arches analysed together, sharing what they can
both=(//iso:x86_64-$variant-boot-test //iso:aarch64-$variant-boot-test)
dry() { # NAME TARGET...: the dry run's "N actions" figure
  local name=$1; shift
  (cd "$ws" && XBUILD_CACHE_DIR=$scratch/empty-cache node "$repo/bin/xbuild.js" build --dry-run "$@") > "$scratch/$name.log" 2>&1 \
    || { fail "dry run of $*:"; tail -n 20 "$scratch/$name.log"; exit 1; }
  grep -oE '[0-9]+ actions? would run' "$scratch/$name.log" | head -1 | grep -oE '^[0-9]+'
}
n_x86=$(dry dry-x86 "${both[0]}"); n_a64=$(dry dry-a64 "${both[1]}"); n_both=$(dry dry-both "${both[@]}")
if [ -n "$n_both" ] && [ "$n_both" -lt $((n_x86 + n_a64)) ]; then
  pass "both arches analyse; one build of both runs $n_both actions, not $n_x86 + $n_a64: $((n_x86 + n_a64 - n_both)) shared (build root, sources, fetches)"
else
  fail "dry runs: x86_64 ${n_x86:-?}, aarch64 ${n_a64:-?}, both ${n_both:-?} actions"
fi

# 2. the cross kernel, built and booted
build kernel "$ws" "$cache" "//kernel:aarch64-$variant"
[ $rc -eq 0 ] && pass "//kernel:aarch64-$variant built (${secs} s)" || { fail "kernel build:"; tail -n 30 "$scratch/kernel.log"; exit 1; }
image=$ws/xbuild-out/kernel/aarch64-$variant/Image
set +e
timeout 300 qemu-system-aarch64 -M virt -cpu max -m 512 -nographic -no-reboot -monitor none \
  -kernel "$image" -append "console=ttyAMA0 panic=-1" > "$scratch/boot.log" 2>&1
set -e
log=$(tr -d '\r' < "$scratch/boot.log")
grep -qF "XSC kernel variant: $variant" <<<"$log" \
  && pass "the Image boots under qemu-system-aarch64 -M virt -cpu max: 'XSC kernel variant: $variant'" \
  || { fail "no variant banner in the boot log"; tail -n 20 "$scratch/boot.log"; }
if [ $variant = cfi-compat ]; then
  for feature in 'Branch Target Identification' 'Address authentication'; do
    line=$(grep -m1 "CPU features: detected: $feature" <<<"$log" || true)
    [ -n "$line" ] && pass "cfi-compat kernel turns on: '${line#*] }'" || fail "cfi-compat: no 'CPU features: detected: $feature' line"
  done
else
  grep -qF 'XSC CFI JIT allowlist: /etc/cfi/allowlist' <<<"$log" && pass "base kernel carries the CFI JIT allowlist" || fail "base: no allowlist line"
fi

# 3. the static libgcc (cfi-compat)
if [ $variant = cfi-compat ]; then
  build libgcc "$ws" "$cache" //toolchains:aarch64-libgcc-static-cfi-compat
  log=$(ls "$ws"/.xbuild/logs/toolchains__aarch64-libgcc-static-cfi-compat.*.LibgccBuild.log 2>/dev/null | tail -1 || true)
  if [ $rc -eq 0 ]; then
    pass "XSC static libgcc built (${secs} s)${log:+: $(grep -o 'BTI, PAC on every object.*' "$log" || true)}"
  else
    fail "static libgcc:"; tail -n 30 "$scratch/libgcc.log"
  fi
fi

if [ $failures -gt 0 ]; then echo "e2e-aarch64-smoke: $failures check(s) FAILED"; exit 1; fi
echo "e2e-aarch64-smoke: all checks passed"
