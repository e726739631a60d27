#!/usr/bin/env bash
# End-to-end check of build roots, the XSC glibc, toolchains, Debian packages and APT repositories
# through the real xbuild CLI, for x86_64 (native) or aarch64 (cross-built arm64 .debs).
#
#   scripts/e2e-packages.sh [--quick | --scripts-only] [--variant cfi-compat|base|all] [--arch x86_64|aarch64]
#
# --arch:    x86_64 (default) or aarch64: the aarch64 chain is //toolchains:aarch64-glibc-<v>,
#            //toolchains:aarch64-<v>, //packages:aarch64-{set,repo}-<v> (the CFI mark checked is
#            BTI+PAC instead of IBT+SHSTK). Steps 4 and 4b are x86_64 only.
# --variant: the variants built (default all). CI builds cfi-compat only: the default image's
#            variant, the one with every gate (CET + the XSC ABI note); a cold glibc is the
#            longest action and two of them do not fit CI's 90 minutes beside the rest.
# Works on a copy of the workspace in a temp dir (the repository is never edited). Steps:
#   0. tests/e2e/packages-scripts.test.ts (vitest; --scripts-only stops after it)
#   1. cold build of the glibc, toolchains, packages, audit and APT repositories of the variants
#   2. the XSC glibc: libc6 ships ld.so, libc.so.6 (version line "XSC GLIBC <v> <variant>"), every
#      library XSC-marked; cfi-compat: every ELF of libc6 and libc6-dev (each .o of each .a too)
#      IBT+SHSTK. The set's programs link against it: hello's interpreter and libc are the XSC
#      ones, it carries the note; cfi-compat hello is IBT+SHSTK, base hello not
#   3. the toolchain gate (a program using mktemp links: only the CFI check is fatal): hello.c through x86_64-xsc-linux-gnu-gcc links against the XSC sysroot
#      (not the root's Debian libc), carries the note and (cfi-compat) IBT+SHSTK; the same .c
#      compiled with -fcf-protection=none fails the cfi-compat link naming the object
#   4. a package without CET fails the cfi-compat audit naming package and file (a target that
#      audits the base .debs, built through the CLI: exit 1, message names /usr/bin/hello)
#      (all variants only); 4b. build-dependencies made by the set come from the set
#   5. apt accepts the repositories
#   6. second build: zero actions executed
#   7. (not with --quick) a clean build in another directory with an empty cache: the same
#      SHA-256 for every .deb and every repository file
# Needs `npm run build` first and: mmdebstrap uidmap dpkg-dev apt-utils binutils.
# Env: XSC_E2E_PKG_CACHE (default: a fresh dir, so step 1 is cold), XSC_E2E_JOBS (default 2).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0 scripts_only=0 variants=(base cfi-compat) arch=x86_64
usage="usage: $0 [--quick|--scripts-only] [--variant cfi-compat|base|all] [--arch x86_64|aarch64]"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; shift ;;
    --scripts-only) scripts_only=1; shift ;;
    --variant) case $2 in all) variants=(base cfi-compat) ;; base|cfi-compat) variants=("$2") ;; *) echo "$usage" >&2; exit 2 ;; esac; shift 2 ;;
    --arch) case $2 in x86_64|aarch64) arch=$2 ;; *) echo "$usage" >&2; exit 2 ;; esac; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
jobs=${XSC_E2E_JOBS:-2}
# What differs between the arches: target names, paths in the .debs, the CFI mark and the way an
# unmarked object is made (the host's gcc for x86_64, Debian's cross gcc for aarch64).
case $arch in
  x86_64) p= glibc_t=glibc- debarch=amd64 gnu=x86_64-linux-gnu ldso=/lib64/ld-linux-x86-64.so.2 needed_libs='libc.so.6'
          mark='x86 feature: IBT, SHSTK' markname=IBT+SHSTK audit=cet-audit-cfi-compat
          unmarked_cc=(gcc -fcf-protection=none) gate_error='hello-nocfi.o: error: missing IBT and SHSTK properties' ;;
  # (aarch64: the stack protector's __stack_chk_guard lives in ld.so, so programs also need it, as Debian's arm64 ones do.)
  aarch64) p=aarch64- glibc_t=aarch64-glibc- debarch=arm64 gnu=aarch64-linux-gnu ldso=/lib/ld-linux-aarch64.so.1 needed_libs='libc.so.6 ld-linux-aarch64.so.1'
          mark='AArch64 feature: BTI, PAC' markname=BTI+PAC audit=aarch64-audit-cfi-compat
          unmarked_cc=(aarch64-linux-gnu-gcc-12 -mbranch-protection=none) gate_error='hello-nocfi.o: warning: BTI turned on by -z force-bti when all inputs do not have BTI in NOTE section' ;;
esac
targets=()
for v in "${variants[@]}"; do targets+=("//toolchains:$arch-$v" "//packages:${p}repo-$v" "//packages:${p}set-$v"); done
has() { printf '%s\n' "${variants[@]}" | grep -qx "$1"; }
[ -f "$repo/dist/cli/main.js" ] || { echo "error: run 'npm run build' in $repo first" >&2; exit 1; }

scratch=$(mktemp -d /var/tmp/xsc-e2e-pkg.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cache=${XSC_E2E_PKG_CACHE:-$scratch/cache}
. "$repo/scripts/e2e-lib.sh"

# digests WS: sha256 of every .deb and repository file the build made, by relative path
digests() {
  (cd "$1/xbuild-out/packages" && find . -path "./${p}repo-*" -type f -o -name "*_$debarch.deb" -type f | sort | xargs sha256sum)
}

# 0. the scripts' own tests (tests/e2e is outside the default vitest suite: own config here)
printf "export default { test: { include: ['tests/e2e/packages-scripts.test.ts'], testTimeout: 120000, pool: 'forks' } };\n" > "$scratch/vitest.config.mjs"
if (cd "$repo" && npx vitest run --root "$repo" --config "$scratch/vitest.config.mjs") > "$scratch/vitest.log" 2>&1; then
  pass "tests/e2e/packages-scripts.test.ts ($(grep -o '[0-9]* passed' "$scratch/vitest.log" | tail -1))"
else
  fail "tests/e2e/packages-scripts.test.ts"; tail -n 40 "$scratch/vitest.log"
fi
if [ $scripts_only = 1 ]; then [ $failures -eq 0 ] && exit 0 || exit 1; fi

ws=$scratch/ws
copy_workspace "$ws"
out=$ws/xbuild-out

# 1. cold build
build cold "$ws" "$cache" "${targets[@]}"
if [ $rc -eq 0 ]; then pass "cold build of ${targets[*]} (${secs} s)"; else fail "build failed:"; tail -n 40 "$scratch/cold.log"; exit 1; fi
{ executed cold | grep -v '^Fetch' || true; } | sed 's/^/      ran: /'
echo "      fetches: $(executed cold | grep -c '^Fetch') actions, $(executed cold | awk '$1=="Fetch"{s+=$3} END{printf "%.1f", s}') s in total"

# 2. the XSC glibc, and the set's programs linked against it
xsc_note() { readelf -nW "$1" 2>/dev/null | grep -Eq '^[[:space:]]+XSC[[:space:]]+0x00000004[[:space:]].*description data: 01 00 00 00'; }
for v in "${variants[@]}"; do
  g=$scratch/glibc-$v; rm -rf "$g"; mkdir -p "$g"
  dpkg-deb -x "$(ls "$out/toolchains/$glibc_t$v"/libc6_*_$debarch.deb)" "$g"
  ver=$(strings "$g/lib/$gnu/libc.so.6" | grep -o 'GNU C Library (XSC GLIBC [^)]*)' | head -1 || true)
  [[ $ver == *" $v)" ]] && pass "libc6 ($v): libc.so.6 says '$ver'" || fail "libc6 ($v): no XSC version string in libc.so.6 ('$ver')"
  n=0 unmarked=() nocet=()
  while IFS= read -r f; do
    [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
    n=$((n + 1))
    xsc_note "$f" || unmarked+=("${f#"$g"}")
    readelf -nW "$f" | grep -q "$mark" || nocet+=("${f#"$g"}")
  done < <(find "$g" -type f)
  [ -e "$g$ldso" ] && [ ${#unmarked[@]} -eq 0 ] \
    && pass "libc6 ($v): ld.so and $n ELF files, all with the XSC ABI note" || fail "libc6 ($v): without the note: ${unmarked[*]:-none} (ld.so present: $([ -e "$g$ldso" ] && echo yes || echo no))"
  if [ "$v" = cfi-compat ]; then
    [ ${#nocet[@]} -eq 0 ] && pass "libc6 (cfi-compat): all $n ELF files $markname (ld.so, libc.so.6, gconv modules)" || fail "libc6 (cfi-compat) without $markname: ${nocet[*]}"
  fi
  deb=$(ls "$out/packages/${p}hello-$v"/hello_*_$debarch.deb)
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/hello > "$scratch/hello-$v"
  note=$(readelf -n "$scratch/hello-$v" | grep -o '\(x86\|AArch64\) feature: .*' || true)
  interp=$(readelf -lW "$scratch/hello-$v" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  needed=$(readelf -dW "$scratch/hello-$v" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | xargs)
  echo "      hello ($v): ${note:-no feature note}; interpreter $interp; NEEDED $needed"
  xsc_note "$scratch/hello-$v" && [ "$interp" = "$ldso" ] && [ "$needed" = "$needed_libs" ] \
    && pass "$v /usr/bin/hello carries the XSC ABI note and links the XSC libc6's ld.so and libc.so.6 (NEEDED $needed)" || fail "$v hello: note/interpreter/NEEDED wrong (NEEDED '$needed', expected '$needed_libs')"
  if [ $v = cfi-compat ]; then
    [ "$note" = "$mark" ] && pass "cfi-compat /usr/bin/hello has $markname" || fail "cfi-compat hello: '$note'"
  else
    [ -z "$note" ] && pass "base /usr/bin/hello is not CFI-marked (Debian's default flags)" || fail "base hello: '$note'"
  fi
done
if has cfi-compat; then
  grep -q '^audit-cet.sh: PASS' "$out/packages/$audit/audit.txt" \
    && pass "cfi-compat audit: $(tail -n1 "$out/packages/$audit/audit.txt")" || fail "cfi-compat audit did not pass"
  grep -q "libc6-dev 2.36.*: /usr/lib/$gnu/libc.a(" "$out/packages/$audit/audit.txt" \
    && pass "the audit checked every member of the XSC libc.a ($(grep -c 'libc6-dev .*libc\.a(' "$out/packages/$audit/audit.txt") objects)" || fail "the audit did not see libc6-dev's libc.a"
fi

# 3. the toolchain gate on a hello.c
# (No #include: the unmarked object is compiled by Debian's compiler, which has no arm64 libc headers here.)
printf 'int puts(const char *);\nint main(void) { puts("hello, xsc"); return 0; }\n' > "$scratch/hello.c"
for v in "${variants[@]}"; do
  tc=$out/toolchains/$arch-$v/bin
  libc=$("$tc/$arch-xsc-linux-gnu-gcc" -print-file-name=libc.so)
  [[ $libc == */$arch-$v/bin/../sysroot/usr/lib/$gnu/libc.so ]] \
    && pass "$arch-xsc-linux-gnu-gcc ($v) links against its XSC sysroot: $libc" || fail "$v toolchain's libc.so is $libc"
  if "$tc/$arch-xsc-linux-gnu-gcc" -O2 -o "$scratch/hello-tc-$v" "$scratch/hello.c" && xsc_note "$scratch/hello-tc-$v" \
     && { [ $v = base ] || readelf -n "$scratch/hello-tc-$v" | grep -q "$mark"; }; then
    pass "$arch-xsc-linux-gnu-gcc ($v) links hello.c: XSC ABI note$([ $v = cfi-compat ] && echo ", $markname")"
  else
    fail "the $v wrapper did not make a marked hello"
  fi
done
if has cfi-compat; then
  tc=$out/toolchains/$arch-cfi-compat/bin
  "${unmarked_cc[@]}" -O2 -c -o "$scratch/hello-nocfi.o" "$scratch/hello.c"
  if "$tc/$arch-xsc-linux-gnu-gcc" -o "$scratch/hello-nocfi" "$scratch/hello-nocfi.o" 2> "$scratch/nocfi.err"; then
    fail "an object without $markname linked with the cfi-compat toolchain"
  else
    grep -q "$gate_error" "$scratch/nocfi.err" \
      && pass "object without $markname fails the cfi-compat link: $(grep -o 'hello-nocfi.o: .*' "$scratch/nocfi.err" | head -1)" \
      || { fail "link failed but does not name the object"; cat "$scratch/nocfi.err"; }
  fi
  # Only the gate's own check is fatal: glibc's link-time warnings (mktemp) stay warnings.
  printf '#include <stdlib.h>\n#include <stdio.h>\nint main(void) { char t[] = "/tmp/xXXXXXX"; puts(mktemp(t)); return 0; }\n' > "$scratch/mktemp.c"
  if "$tc/$arch-xsc-linux-gnu-gcc" -o "$scratch/mktemp" "$scratch/mktemp.c" 2> "$scratch/mktemp.err" && readelf -n "$scratch/mktemp" | grep -q "$mark"; then
    pass "a program glibc warns about at link time links under the gate: $(grep -o "warning: the use of .mktemp. is dangerous" "$scratch/mktemp.err" | head -1)"
  else
    fail "the cfi-compat gate refused a marked program that uses mktemp:"; cat "$scratch/mktemp.err"
  fi
fi

ws_neg=$scratch/ws-neg
copy_workspace "$ws_neg"
# 4. a package without CET fails the audit, through the CLI (needs the base packages)
if [ $arch = x86_64 ] && has base && has cfi-compat; then
printf '\n// e2e: auditing base packages must fail\nimport { debCetAudit as e2eAudit } from "xbuild";\ne2eAudit({ name: "e2e-audit-base", packages: [":hello-base", ":dash-base"] });\n' >> "$ws_neg/packages/BUILD.ts"
build audit-neg "$ws_neg" "$cache" //packages:e2e-audit-base
if [ $rc -ne 0 ] && grep -q 'hello 2.10-3+xsc1: /usr/bin/hello: missing IBT/SHSTK' "$scratch/audit-neg.log"; then
  pass "auditing base .debs fails naming package and file: $(grep -o 'hello 2.10-3+xsc1: /usr/bin/hello: missing IBT/SHSTK' "$scratch/audit-neg.log" | head -1)"
else
  fail "audit of base .debs: exit $rc without naming hello's /usr/bin/hello"; tail -n 20 "$scratch/audit-neg.log"
fi
fi

# 4b. build-dependencies made by the set come from the set: hello rebuilt with the set's
#     cfi-compat zlib1g-dev declared as a build-dependency (hello does not need it, but the build
#     must install the set's zlib1g-dev and zlib1g in place of Debian's)
#     (a suffix unique to this run makes the build really run, so its log can be read)
if [ $arch = x86_64 ] && has cfi-compat; then
run_id=$(date +%s)
cat >> "$ws_neg/packages/BUILD.ts" <<TS
import { debianPackage as e2ePackage } from "xbuild";
import { BUILD_ROOT as e2eRoot, debLabels as e2eDebs, lock as e2eLock, sourceFileLabels as e2eSrcs } from "./lockTargets.js";
e2ePackage({
  name: "e2e-hello-set-zlib", source: "hello", version: e2eLock.sources.hello.version, binaries: ["hello"],
  srcs: e2eSrcs("hello"), buildDeps: e2eDebs(e2eLock.sources.hello.buildDepends),
  setDeps: [":zlib-cfi-compat"], setPackages: ["zlib1g-dev"], suffix: "+xsc1e2e${run_id}",
  root: e2eRoot, toolchain: "//toolchains:x86_64-cfi-compat", variant: "cfi-compat",
});
TS
build set-deps "$ws_neg" "$cache" //packages:e2e-hello-set-zlib
log=$(ls "$ws_neg"/.xbuild/logs/packages__e2e-hello-set-zlib.*.DebBuild.log 2>/dev/null | tail -1 || true)
if [ $rc -eq 0 ] && [ -n "$log" ] && grep -q 'from the set: zlib1g-dev_1.2.13.dfsg-1+xsc1_amd64.deb' "$log" && grep -q 'from the set: zlib1g_1.2.13.dfsg-1+xsc1_amd64.deb' "$log"; then
  pass "set members replace Debian's build-dependencies: $(grep -o 'from the set: .*' "$log" | xargs) (${secs} s)"
else
  fail "in-set build-dependency: exit $rc"; tail -n 20 "$scratch/set-deps.log"; [ -n "$log" ] && tail -n 20 "$log"
fi
# 4c. the package build's whole dpkg-buildpackage output is the action's log, and xbuild names it
if [ -n "$log" ] && grep -q 'dpkg-buildpackage: info: binary-only upload' "$log" && [ "$(wc -l < "$log")" -gt 100 ]; then
  pass "the whole dpkg-buildpackage output is the action's log: ${log#"$ws_neg"/} ($(wc -l < "$log") lines)"
else
  fail "the DebBuild log is not dpkg-buildpackage's whole output: ${log:-none}"
fi
(cd "$ws_neg" && XBUILD_CACHE_DIR=$cache node "$repo/bin/xbuild.js" report) > "$scratch/report.txt" 2>&1 || true
grep -q 'log: .xbuild/logs/packages__e2e-hello-set-zlib\..*\.DebBuild\.log' "$scratch/report.txt" \
  && pass "xbuild report shows where it is: $(grep -o 'log: .xbuild/logs/packages__e2e-hello-set-zlib.*' "$scratch/report.txt")" \
  || { fail "xbuild report does not name the DebBuild log"; cat "$scratch/report.txt"; }
fi

# 5. apt accepts the repositories
for v in "${variants[@]}"; do
  st=$scratch/apt-$v; mkdir -p "$st"/{lists/partial,cache/archives/partial}
  echo "deb [trusted=yes] file:$out/packages/${p}repo-$v ./" > "$st/sources.list"
  o=(-o "Dir::State::Lists=$st/lists" -o "Dir::Etc::SourceList=$st/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "APT::Architectures::=$debarch"
     -o "Dir::Cache=$st/cache" -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  # (output captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
  policy=$(apt-get "${o[@]}" update -q > "$st/log" 2>&1 && apt-cache "${o[@]}" policy "hello:$debarch" 2>&1 || true)
  if grep -q 'Candidate: 2.10-3+xsc1' <<< "$policy"; then
    pass "apt accepts ${p}repo-$v: hello:$debarch candidate $(awk '/Candidate/{print $2}' <<< "$policy")"
  else
    fail "apt rejects ${p}repo-$v"; cat "$st/log"
  fi
done

# 6. nothing changed: nothing runs
build noop "$ws" "$cache" "${targets[@]}"
n=$(executed noop | wc -l)
[ $rc -eq 0 ] && [ "$n" -eq 0 ] && pass "second build executed 0 actions (${secs} s)" || { fail "second build executed $n actions (exit $rc)"; executed noop; }

# 7. reproducibility
if [ $quick = 0 ]; then
  digests "$ws" > "$scratch/digests-1"
  ws2=$scratch/ws2
  copy_workspace "$ws2"
  build clean2 "$ws2" "$scratch/cache2" "${targets[@]}"
  [ $rc -eq 0 ] || { fail "second clean build failed"; tail -n 30 "$scratch/clean2.log"; }
  digests "$ws2" > "$scratch/digests-2"
  if diff "$scratch/digests-1" "$scratch/digests-2" > "$scratch/digests.diff"; then
    pass "a clean build elsewhere gave the same SHA-256 for $(wc -l < "$scratch/digests-1") .deb and repository files (${secs} s)"
  else
    fail "clean builds differ:"; cat "$scratch/digests.diff"
  fi
fi

if [ $failures -gt 0 ]; then echo "e2e-packages: $failures check(s) FAILED"; exit 1; fi
echo "e2e-packages: all checks passed"
