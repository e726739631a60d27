#!/usr/bin/env bash
# End-to-end check of the XSC kernel -> ISO -> QEMU boot-test chain through the real xbuild CLI.
#
#   scripts/e2e-kernel-iso.sh [--quick] [--standin]
#
# --standin: the ISOs made from Debian's own hello + dash (//iso:standin-*) instead of the package
#            sets //packages:set-<variant> (which build Debian sources: much longer cold).
# Works on a copy of the workspace (kernel/, iso/, packages/, toolchains/, root BUILD.ts) in a
# temp dir, so the repository is never edited. Steps, each asserted from the NDJSON event stream:
#   1. cold build of //iso:base-boot-test //iso:cfi-compat-boot-test        (both boot tests pass)
#   2. second build: zero actions executed
#   3. one-line edit of a kernel patch: only the kernel chain runs (KernelBuild, IsoImage,
#      BootTest), no package/fetch/rootfs action; the kernel step's time is printed
#   4. edit of the base-only config fragment: no cfi-compat action runs
#   5. a broken patch: the build fails naming the patch and the hunk
#   6. the patch fixed again: the build reuses every package (no fetch/package/rootfs action)
#   7. (not with --quick) a clean build in another directory with an empty cache gives ISOs with
#      the same SHA-256 as step 1
#   8. (not with --quick) the vitest files tests/e2e/kernel.test.ts and tests/e2e/iso.test.ts
# Needs `npm run build` first and the Debian tools of the README. Env: XSC_E2E_CACHE (cache dir,
# default /var/tmp/xsc-e2e-cache: kept between runs, so step 1 is only cold the first time; its
# persistent kernel trees make step 3 incremental), XSC_E2E_JOBS (default 2).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0 prefix=
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --standin) prefix=standin- ;;
    *) echo "usage: $0 [--quick] [--standin]" >&2; exit 2 ;;
  esac
done
cache=${XSC_E2E_CACHE:-/var/tmp/xsc-e2e-cache}
jobs=${XSC_E2E_JOBS:-2}
targets=("//iso:${prefix}base-boot-test" "//iso:${prefix}cfi-compat-boot-test")
[ -f "$repo/dist/cli/main.js" ] || { echo "error: run 'npm run build' in $repo first" >&2; exit 1; }

scratch=$(mktemp -d /var/tmp/xsc-e2e.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
. "$repo/scripts/e2e-lib.sh"

ws=$scratch/ws
copy_workspace "$ws"

# 1. cold (or warm, if the cache dir already holds this state)
build cold "$ws" "$cache"
if [ $rc -eq 0 ]; then pass "build of ${targets[*]} (${secs} s)"; else fail "build failed:"; tail -n 40 "$scratch/cold.log"; exit 1; fi
executed cold | sed 's/^/      ran: /'
for v in base cfi-compat; do
  res=$ws/xbuild-out/iso/$prefix$v-boot-test/result
  grep -q "^passed: $v" "$res" && pass "boot test $v: $(cut -c1-60 "$res")..." \
    || fail "boot test $v has no passing result"
done
iso_base=$(sha256sum "$ws/xbuild-out/iso/${prefix}base/xsc-base.iso" | cut -d' ' -f1)
iso_cfi=$(sha256sum "$ws/xbuild-out/iso/${prefix}cfi-compat/xsc-cfi-compat.iso" | cut -d' ' -f1)
echo "      ISO sha256: base $iso_base, cfi-compat $iso_cfi"
# The pieces, to tell which one differs if the ISOs of step 7 do not match.
pieces() { # workspace
  (cd "$1/xbuild-out" && sha256sum kernel/x86_64-*/bzImage iso/${prefix}*/initramfs.cpio.gz iso/${prefix}*/xsc-*.iso)
}
pieces "$ws" > "$scratch/pieces-1"

# 2. nothing changed: nothing runs
build noop "$ws" "$cache"
n=$(executed noop | wc -l)
[ $rc -eq 0 ] && [ "$n" -eq 0 ] && pass "second build executed 0 actions (${secs} s)" || { fail "second build executed $n actions (exit $rc)"; executed noop; }

# 3. one-line edit of a kernel patch
p2=$ws/kernel/patches/0002-cfi-jit-allowlist-option.patch
# A new text each run, so the edit can never be a cache hit from an earlier run of this script.
nonce=$(date +%s)
sed -i "s|pr_notice(\"XSC CFI JIT allowlist: %s\\\\n\"|pr_notice(\"XSC CFI JIT allowlist: %s (edit $nonce)\\\\n\"|" "$p2"
grep -q "(edit $nonce)" "$p2" || { fail "could not edit $p2"; exit 1; }
build patch-edit "$ws" "$cache"
[ $rc -eq 0 ] && pass "build after a one-line patch edit (${secs} s)" || { fail "build after patch edit failed"; tail -n 30 "$scratch/patch-edit.log"; }
executed patch-edit | sed 's/^/      ran: /'
other=$(executed patch-edit | awk '$1 != "KernelBuild" && $1 != "IsoImage" && $1 != "BootTest"')
[ -z "$other" ] && pass "only the kernel chain ran (no package, fetch or rootfs action)" || fail "actions outside the kernel chain ran: $other"
kb=$(executed patch-edit | awk '$1 == "KernelBuild" && $2 == "//kernel:x86_64-base" {print $3}')
cold_kb=$(executed cold | awk '$1 == "KernelBuild" && $2 == "//kernel:x86_64-base" {print $3}')
if [ -n "$kb" ]; then
  pass "kernel //kernel:x86_64-base rebuilt incrementally in ${kb} s (step 1: $([ -n "$cold_kb" ] && echo "$cold_kb s" || echo "a cache hit"))"
  [ "$(echo "$kb < ${XSC_E2E_MAX_INCREMENTAL_S:-150}" | bc)" = 1 ] || fail "incremental kernel build took ${kb} s"
else
  fail "the base kernel did not rebuild after its patch changed"
fi
executed patch-edit | grep -q "IsoImage //iso:${prefix}cfi-compat" \
  && fail "cfi-compat ISO was remade although its kernel image cannot have changed" \
  || pass "early cutoff: the cfi-compat kernel's image was unchanged, its ISO was not remade"

# 4. base-only config fragment edit: nothing of cfi-compat runs
printf 'CONFIG_PRINTK_TIME=y\nCONFIG_LOCALVERSION="-e2e%s"\n' "$nonce" >> "$ws/kernel/configs/base.config"
build base-config "$ws" "$cache"
[ $rc -eq 0 ] && pass "build after a base.config edit (${secs} s)" || { fail "build after base.config edit failed"; tail -n 30 "$scratch/base-config.log"; }
executed base-config | sed 's/^/      ran: /'
cfi=$(executed base-config | grep cfi-compat || true)
[ -z "$cfi" ] && pass "no cfi-compat action ran after the base-only fragment changed" || fail "cfi-compat actions ran: $cfi"

# 5. broken patch: fails naming the patch and the hunk
p1=$ws/kernel/patches/0001-xsc-variant-boot-banner.patch
cp "$p1" "$scratch/0001.good"
sed -i 's|^ \tboot_cpu_init();$| \tboot_cpu_init_renamed();|' "$p1"
cmp -s "$p1" "$scratch/0001.good" && { fail "could not break $p1"; exit 1; }
build broken "$ws" "$cache"
if [ $rc -ne 0 ] && grep -q "0001-xsc-variant-boot-banner.patch" "$scratch/broken.log" && grep -q "Hunk #1 FAILED" "$scratch/broken.log"; then
  pass "broken patch fails naming the patch and hunk:"
  grep -E "does not apply|Hunk #" "$scratch/broken.log" | sort -u | head -4 | sed 's/^/      /'
else
  fail "broken patch: exit $rc, message does not name patch and hunk"; tail -n 30 "$scratch/broken.log"
fi

# 6. fixed again: every package reused
cp "$scratch/0001.good" "$p1"
build fixed "$ws" "$cache"
[ $rc -eq 0 ] && pass "build after fixing the patch (${secs} s)" || { fail "build after fixing the patch failed"; tail -n 30 "$scratch/fixed.log"; }
pk=$(executed fixed | awk '$1 != "KernelBuild" && $1 != "IsoImage" && $1 != "BootTest"')
[ -z "$pk" ] && pass "every package, fetch and rootfs action was reused ($(executed fixed | wc -l) kernel-chain actions ran)" || fail "ran again: $pk"

# 7. reproducibility: a clean build elsewhere, with an empty cache, gives the same ISOs
if [ $quick = 0 ]; then
  ws2=$(mktemp -d /tmp/xsc-e2e-other.XXXXXX)
  copy_workspace "$ws2"
  build clean-elsewhere "$ws2" "$scratch/cache2"
  if [ $rc -eq 0 ]; then
    b2=$(sha256sum "$ws2/xbuild-out/iso/${prefix}base/xsc-base.iso" | cut -d' ' -f1)
    c2=$(sha256sum "$ws2/xbuild-out/iso/${prefix}cfi-compat/xsc-cfi-compat.iso" | cut -d' ' -f1)
    [ "$b2" = "$iso_base" ] && [ "$c2" = "$iso_cfi" ] \
      && pass "clean build in $ws2 (${secs} s) gave byte-identical ISOs" \
      || { fail "ISOs differ: base $b2 vs $iso_base, cfi-compat $c2 vs $iso_cfi"; pieces "$ws2" | diff "$scratch/pieces-1" - || true; }
  else
    fail "clean build elsewhere failed"; tail -n 30 "$scratch/clean-elsewhere.log"
  fi
  rm -rf "$ws2"
fi

# 8. (not with --quick) the vitest files of this chain: tests/e2e/{kernel,iso}.test.ts
# (tests/e2e is outside the default vitest suite: own config here)
if [ $quick = 0 ]; then
  printf "export default { test: { include: ['tests/e2e/kernel.test.ts', 'tests/e2e/iso.test.ts'], testTimeout: 1200000, hookTimeout: 600000, pool: 'forks', fileParallelism: false } };\n" > "$scratch/vitest.config.mjs"
  if (cd "$repo" && XSC_E2E_CACHE=$cache npx vitest run --root "$repo" --config "$scratch/vitest.config.mjs") > "$scratch/vitest.log" 2>&1; then
    pass "tests/e2e/kernel.test.ts, tests/e2e/iso.test.ts ($(grep -o '[0-9]* passed' "$scratch/vitest.log" | tail -1))"
  else
    fail "tests/e2e/kernel.test.ts, tests/e2e/iso.test.ts"; tail -n 40 "$scratch/vitest.log"
  fi
fi

echo "----- $failures failure(s)"
[ $failures -eq 0 ]
