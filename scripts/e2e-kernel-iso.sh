#!/usr/bin/env bash
# End-to-end check of the XSC image chain through the real xbuild CLI: glibc, toolchain, packages,
# kernel, audited ISO, QEMU boot test.
#
#   scripts/e2e-kernel-iso.sh [--quick] [--variant cfi-compat|base|all] [--arch x86_64|aarch64|all]
#
# --variant: the ISOs built (default all). CI builds cfi-compat only (one cold glibc fits CI's 90
#            minutes; see scripts/e2e-packages.sh).
# --arch:    x86_64 (default: what CI runs), aarch64 (the arm64 kernel, glibc and package set,
#            cross-built, and the UEFI ISO booted in qemu-system-aarch64), or all.
# Works on a copy of the workspace (kernel/, iso/, packages/, toolchains/, root BUILD.ts) in a
# temp dir, so the repository is never edited. Steps, each asserted from the NDJSON event stream:
#   1. cold build of //iso:<arch>-<variant>-boot-test: the image audits pass ("N ELF files, all
#      IBT+SHSTK, all XSC-marked" for x86_64 cfi-compat, "N AArch64 ELF files, all BTI+PAC, all
#      XSC-marked" for aarch64; the ISO's files by class) and the boot tests pass: the XSC
#      init and shell run, hello runs through the XSC ld.so and libc, the XSC glibc names itself,
#      the image mounts its own ISO, its repository lists every package of the set, a .deb from
#      it unpacked with busybox runs, and Debian's busybox and hello (put on a second CD-ROM by the
#      test) are refused by the kernel ("xsc-abi: ... not an XSC binary") and by the XSC ld.so;
#      aarch64: the CFI attacks' outcome (cfi-compat: "XSC-ATTACK bti exit=132", "XSC-ATTACK pac
#      exit=132|139"; base: both exit=0 after "BTI: not enforced" and "PAC: hijacked function ran")
#   2. second build: zero actions executed; 2b. an ISO given a Debian .deb is an analysis error
#   3. one-line edit of a kernel patch: only the kernel chain runs (KernelBuild, IsoImage,
#      BootTest), no glibc/package/fetch/rootfs action; each arch's kernel step time is printed
#   3b. one-line edit of the XSC glibc patch: glibc (incremental make), the toolchain and what links
#      against it run again, the kernel does not; times printed
#   4. (all variants) edit of the base-only config fragment: no cfi-compat action runs
#   5. a broken kernel patch: the build fails naming the patch and the hunk
#   6. the patch fixed again: the build reuses every package (no fetch/package/rootfs action)
#   7. (not with --quick) a clean build in another directory with an empty cache gives ISOs with
#      the same SHA-256 as step 1
#   8. (not with --quick) the vitest files tests/e2e/kernel.test.ts and tests/e2e/iso.test.ts
# Needs `npm run build` first and the Debian tools of the README. Env: XSC_E2E_CACHE (cache dir,
# default /var/tmp/xsc-e2e-cache: kept between runs, so step 1 is only cold the first time; its
# persistent kernel and glibc trees make steps 3 and 3b incremental), XSC_E2E_JOBS (default 2).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: $0 [--quick] [--variant cfi-compat|base|all] [--arch x86_64|aarch64|all]"
quick=0 prefix= variants=(base cfi-compat) arches=(x86_64)
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; shift ;;
    --variant) case ${2:-} in all) variants=(base cfi-compat) ;; base|cfi-compat) variants=("$2") ;; *) echo "$usage" >&2; exit 2 ;; esac; shift 2 ;;
    --arch) case ${2:-} in all) arches=(x86_64 aarch64) ;; x86_64|aarch64) arches=("$2") ;; *) echo "$usage" >&2; exit 2 ;; esac; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
cache=${XSC_E2E_CACHE:-/var/tmp/xsc-e2e-cache}
jobs=${XSC_E2E_JOBS:-2}
# Every ISO of the run, as <arch>-<variant> (its //iso: label and its xbuild-out/iso/ folder).
isos=()
for a in "${arches[@]}"; do for v in "${variants[@]}"; do isos+=("$a-$v"); done; done
targets=()
for i in "${isos[@]}"; do targets+=("//iso:$i-boot-test"); done
has() { printf '%s\n' "${variants[@]}" | grep -qx "$1"; }
first=${variants[0]}
first_arch=${arches[0]}
# The XSC glibc target of an arch and variant.
glibc_label() { [ "$1" = x86_64 ] && echo "//toolchains:glibc-$2" || echo "//toolchains:$1-glibc-$2"; }
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
for i in "${isos[@]}"; do
  a=${i%%-*} v=${i#*-}
  o=$ws/xbuild-out/iso
  ra=$(tail -n 1 "$o/$i/rootfs.audit"); ia=$(tail -n 1 "$o/$i/iso.audit")
  if [ $a = aarch64 ] && [ $v = cfi-compat ]; then
    [[ $ra =~ ([0-9]+)\ AArch64\ ELF\ files,\ all\ BTI\+PAC,\ all\ XSC-marked ]] && pass "image audit $i: $ra" || fail "$i root audit: '$ra'"
  elif [ $a = aarch64 ]; then
    [[ $ra =~ ([0-9]+)\ AArch64\ ELF\ files,\ all\ XSC-marked ]] && pass "image audit $i: $ra" || fail "$i root audit: '$ra'"
  elif [ $v = cfi-compat ]; then
    [[ $ra =~ ([0-9]+)\ ELF\ files,\ all\ IBT\+SHSTK,\ all\ XSC-marked ]] && pass "image audit: $ra" || fail "cfi-compat root audit: '$ra'"
  else
    [[ $ra =~ ([0-9]+)\ ELF\ files,\ all\ XSC-marked ]] && pass "image audit: $ra" || fail "base root audit: '$ra'"
  fi
  [[ $ia == *"[audit] $v ISO: "* ]] && pass "ISO audit $i: $ia" || fail "$i ISO audit: '$ia'"
  res=$o/$i-boot-test/result
  if grep -q "^passed: $v" "$res"; then
    pass "boot test $i: $(head -n 1 "$res" | cut -c1-60)..."
    sed -n '2,$p' "$res" | sed 's/^/      /'
  else
    fail "boot test $i has no passing result"
  fi
  if [ $a = aarch64 ]; then
    # The CFI attacks, from the kept serial log (boot-test.sh checked them; these lines say what ran).
    serial=$(tr -d '\r' < "$o/$i-boot-test/serial.log")
    bti=$(grep -oE 'XSC-ATTACK bti exit=[0-9]+' <<<"$serial" | head -1 || true)
    pac=$(grep -oE 'XSC-ATTACK pac exit=[0-9]+' <<<"$serial" | head -1 || true)
    if [ $v = cfi-compat ]; then
      [ "$bti" = "XSC-ATTACK bti exit=132" ] && ! grep -qF 'BTI: not enforced' <<<"$serial" \
        && pass "BTI enforced on $i: '$bti' (SIGILL), no 'BTI: not enforced' line" || fail "BTI on $i: '${bti:-no XSC-ATTACK bti line}'"
      [[ $pac =~ exit=(132|139)$ ]] && ! grep -qF 'PAC: hijacked function ran' <<<"$serial" \
        && pass "PAC enforced on $i: '$pac' ($([ "${pac##*=}" = 132 ] && echo SIGILL || echo SIGSEGV)), no 'PAC: hijacked function ran' line" || fail "PAC on $i: '${pac:-no XSC-ATTACK pac line}'"
    else
      [ "$bti" = "XSC-ATTACK bti exit=0" ] && grep -qF 'BTI: not enforced: the branch ran' <<<"$serial" \
        && pass "no BTI on $i: 'BTI: not enforced: the branch ran', '$bti'" || fail "BTI on $i: '${bti:-no XSC-ATTACK bti line}'"
      [ "$pac" = "XSC-ATTACK pac exit=0" ] && grep -qF 'PAC: hijacked function ran' <<<"$serial" \
        && pass "no PAC on $i: 'PAC: hijacked function ran', '$pac'" || fail "PAC on $i: '${pac:-no XSC-ATTACK pac line}'"
    fi
  fi
done
declare -A iso_sha=()
for i in "${isos[@]}"; do iso_sha[$i]=$(sha256sum "$ws/xbuild-out/iso/$i/xsc-${i#*-}.iso" | cut -d' ' -f1); done
echo "      ISO sha256: $(for i in "${isos[@]}"; do printf '%s %s ' "$i" "${iso_sha[$i]}"; done)"
# The pieces, to tell which one differs if the ISOs of step 7 do not match.
pieces() { # workspace
  (cd "$1/xbuild-out" && sha256sum kernel/*-*/bzImage kernel/*-*/Image iso/*/initramfs.cpio.gz iso/*/xsc-*.iso toolchains/*glibc-*/*.deb 2>/dev/null || true)
}
pieces "$ws" > "$scratch/pieces-1"

# 2. nothing changed: nothing runs
build noop "$ws" "$cache"
n=$(executed noop | wc -l)
[ $rc -eq 0 ] && [ "$n" -eq 0 ] && pass "second build executed 0 actions (${secs} s)" || { fail "second build executed $n actions (exit $rc)"; executed noop; }

# 2b. an ISO given anything but an xbuild package set of its variant is refused at analysis
ws_neg=$scratch/ws-neg
copy_workspace "$ws_neg"
if [ "$first_arch" = x86_64 ]; then neg_set=//packages:set-$first neg_deb=debian-hello neg_grub=
else neg_set=//packages:aarch64-set-$first neg_deb=debian-hello-arm64 neg_grub=', grub: ":grub-efi-arm64-bin"'; fi
printf '\n// e2e: a Debian .deb in an image must be refused\nxscIso({ name: "e2e-debian", variant: "%s", kernel: "//kernel:%s-%s", packages: ["%s", ":%s"], rootPackages: ROOT_PACKAGES%s%s });\n' \
  "$first" "$first_arch" "$first" "$neg_set" "$neg_deb" "$([ "$first" = base ] && echo ', allowlist: "cfi-allowlist"')" "$neg_grub" >> "$ws_neg/iso/BUILD.ts"
build neg-iso "$ws_neg" "$cache" //iso:e2e-debian
[ $rc -eq 2 ] && grep -q "$neg_deb is not a package set (no DebSetInfo)" "$scratch/neg-iso.log" \
  && pass "an ISO given Debian's hello .deb is refused: $(grep -o "//iso:$neg_deb is not a package set[^:]*" "$scratch/neg-iso.log" | head -1)" \
  || { fail "an ISO with a Debian .deb: exit $rc"; tail -n 10 "$scratch/neg-iso.log"; }

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
[ -z "$other" ] && pass "only the kernel chain ran (no glibc, package, fetch or rootfs action)" || fail "actions outside the kernel chain ran: $other"
for a in "${arches[@]}"; do
  kb=$(executed patch-edit | awk -v k="//kernel:$a-$first" '$1 == "KernelBuild" && $2 == k {print $3}')
  cold_kb=$(executed cold | awk -v k="//kernel:$a-$first" '$1 == "KernelBuild" && $2 == k {print $3}')
  if [ -n "$kb" ]; then
    pass "kernel //kernel:$a-$first rebuilt incrementally in ${kb} s (step 1: $([ -n "$cold_kb" ] && echo "$cold_kb s" || echo "a cache hit"))"
    [ "$(echo "$kb < ${XSC_E2E_MAX_INCREMENTAL_S:-150}" | bc)" = 1 ] || fail "incremental kernel build took ${kb} s"
  else
    fail "the $a $first kernel did not rebuild after its patch changed"
  fi
  if has cfi-compat; then
    executed patch-edit | grep -q "IsoImage //iso:$a-cfi-compat " \
      && fail "$a cfi-compat ISO was remade although its kernel image cannot have changed (the edit is inside #ifdef CONFIG_CFI_JIT_ALLOWLIST)" \
      || pass "early cutoff: the $a cfi-compat kernel's image was unchanged, its ISO was not remade"
  fi
done

# 3b. one-line edit of the XSC glibc patch (ld.so's refusal message): glibc and what links against
#     it run again, incrementally; the kernel does not
gp=$ws/toolchains/patches/glibc/0001-xsc-ld.so-refuses-objects-without-the-xsc-abi-note.patch
sed -i "s|the XSC ld.so refuses it\")|the XSC ld.so refuses it (edit $nonce)\")|" "$gp"
grep -q "(edit $nonce)" "$gp" || { fail "could not edit $gp"; exit 1; }
build glibc-edit "$ws" "$cache"
[ $rc -eq 0 ] && pass "build after a one-line glibc patch edit (${secs} s)" || { fail "build after the glibc patch edit failed"; tail -n 30 "$scratch/glibc-edit.log"; }
executed glibc-edit | sed 's/^/      ran: /'
for a in "${arches[@]}"; do
  g=$(glibc_label "$a" "$first")
  gb=$(executed glibc-edit | awk -v k="$g" '$1 == "GlibcBuild" && $2 == k {print $3}')
  cold_gb=$(executed cold | awk -v k="$g" '$1 == "GlibcBuild" && $2 == k {print $3}')
  [ -n "$gb" ] && pass "${g#//toolchains:} rebuilt incrementally in ${gb} s (step 1: $([ -n "$cold_gb" ] && echo "$cold_gb s" || echo "a cache hit")); whole build ${secs} s" \
    || fail "${g#//toolchains:} did not rebuild after its patch changed"
done
executed glibc-edit | grep -q '^DebBuild ' && pass "what links against glibc was rebuilt: $(executed glibc-edit | awk '$1=="DebBuild"{print $2}' | xargs)" \
  || fail "no package was rebuilt against the new glibc"
executed glibc-edit | grep -q '^KernelBuild ' && fail "a glibc patch edit rebuilt the kernel" || pass "the kernel did not rebuild"
for a in "${arches[@]}"; do
  sl=$ws/xbuild-out/iso/$a-$first-boot-test/serial.log
  grep -q "not an XSC ABI object.*(edit $nonce)" "$sl" \
    && pass "the booted $a image runs the edited ld.so: $(grep -o "[^ ]*: not an XSC ABI object.*(edit $nonce)" "$sl" | head -1 | tr -d '\r')" \
    || fail "the $a boot log does not show the edited ld.so message"
done

# 4. base-only config fragment edit: nothing of cfi-compat runs
if has base && has cfi-compat; then
printf 'CONFIG_PRINTK_TIME=y\nCONFIG_LOCALVERSION="-e2e%s"\n' "$nonce" >> "$ws/kernel/configs/base.config"
build base-config "$ws" "$cache"
[ $rc -eq 0 ] && pass "build after a base.config edit (${secs} s)" || { fail "build after base.config edit failed"; tail -n 30 "$scratch/base-config.log"; }
executed base-config | sed 's/^/      ran: /'
cfi=$(executed base-config | grep cfi-compat || true)
[ -z "$cfi" ] && pass "no cfi-compat action ran after the base-only fragment changed" || fail "cfi-compat actions ran: $cfi"
fi

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
    # (step 1's ISOs: the glibc edit of step 3b is not in this copy)
    same=1
    for i in "${isos[@]}"; do
      [ "$(sha256sum "$ws2/xbuild-out/iso/$i/xsc-${i#*-}.iso" | cut -d' ' -f1)" = "${iso_sha[$i]}" ] || same=0
    done
    [ $same = 1 ] && pass "clean build in $ws2 (${secs} s) gave byte-identical ISOs" \
      || { fail "ISOs differ from step 1"; pieces "$ws2" | diff "$scratch/pieces-1" - || true; }
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
