#!/bin/bash
# Audit .deb files for hard CFI and the XSC ABI: every ELF object must carry the arch's CFI
# feature note (x86_64: IBT and SHSTK; aarch64: BTI and PAC) and be built for that arch, and every
# linked one (executable, shared object) the XSC ABI note.
#
#   audit-cet.sh [--arch x86_64|aarch64] [--copy-to DIR] REPORT DIR_OR_DEB...
#
# Each .deb is unpacked with dpkg-deb -x; every regular file with the ELF magic
# (executables, shared objects, relocatable objects, and each member of ar archives)
# is read with `readelf -hn`. A file whose notes lack "x86 feature: IBT, SHSTK" (aarch64:
# "AArch64 feature: BTI, PAC") is listed as "<package> <version>: <path in package>[(member)]:
# missing IBT/SHSTK" (BTI/PAC), one of another machine as "...: built for <machine>"; an executable or
# shared object without the XSC ABI note (owner XSC, type 1, version 1: what the XSC toolchain
# links in) as "...: missing the XSC ABI note". Exits 1 if any is found, after writing REPORT
# (one line per ELF checked, then the verdict).
# With --copy-to, the .debs are copied into DIR only when all of them pass.
set -euo pipefail
copy_to= arch=x86_64
while [ $# -gt 0 ]; do
  case $1 in
    --copy-to) copy_to=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    *) break ;;
  esac
done
case $arch in
  x86_64) feature="x86 feature: IBT, SHSTK" feature_re='x86 feature.*' what=IBT/SHSTK machine="Advanced Micro Devices X86-64" ;;
  aarch64) feature="AArch64 feature: BTI, PAC" feature_re='AArch64 feature.*' what=BTI/PAC machine="AArch64" ;;
  *) echo "audit-cet.sh: --arch must be x86_64 or aarch64" >&2; exit 2 ;;
esac
report=$1; shift
work=$(mktemp -d "${TMPDIR:-/tmp}/audit.XXXXXX")
trap 'rm -rf "$work"' EXIT
: > "$report"
bad=0 checked=0
debs=()
for a in "$@"; do
  if [ -d "$a" ]; then for f in "$a"/*.deb; do [ -e "$f" ] && debs+=("$f"); done; else debs+=("$a"); fi
done
[ ${#debs[@]} -gt 0 ] || { echo "audit-cet.sh: no .deb files in $*" >&2; exit 1; }
# The XSC ABI note as readelf -n prints it: owner XSC, descsz 4, type 1, descriptor = version 1.
xsc_note_re=$'XSC[[:space:]]+0x00000004[[:space:]][^\n]*description data: 01 00 00 00'
export LC_ALL=C
linked=0
# readelf_each OUT FILE...: one readelf -hnW for all the files (with more than one it heads each
# one's output with "File: <name>"), split into OUT/<index> in argument order. One process per
# .deb or archive instead of one per object: glibc's libc.a alone has ~1,700 members.
readelf_each() {
  local out=$1; shift
  rm -rf "$out"; mkdir -p "$out"
  local -A idx=(); local i=0 f cur=
  for f in "$@"; do idx[$f]=$i; i=$((i + 1)); done
  readelf -hnW "$@" "$1" > "$out/all" 2>/dev/null || true
  while IFS= read -r l; do
    if [[ $l == "File: "* ]]; then cur=${idx[${l#File: }]:-}; continue; fi
    [ -n "$cur" ] && printf '%s\n' "$l" >> "$out/$cur"
  done < "$out/all"
}
# check_one PKG NAME INFO-FILE: the verdict for one object
check_one() {
  local pkg=$1 name=$2 info ok=1 feat
  info=; if [ -f "$3" ]; then info=$(< "$3"); fi
  if [[ $info =~ Machine:\ +([^$'\n']+) ]] && [ "${BASH_REMATCH[1]}" != "$machine" ]; then
    echo "$pkg: $name: built for ${BASH_REMATCH[1]}, not $arch" | tee -a "$report" >&2; ok=0
  fi
  if [[ $info != *"$feature"* ]]; then
    feat=$(grep -o "$feature_re" <<< "$info" | head -1 || true)
    echo "$pkg: $name: missing $what (readelf -n: ${feat:-no ${feature%%:*} note})" | tee -a "$report" >&2; ok=0
  fi
  if [[ $info =~ Type:\ +(EXEC|DYN) ]]; then
    if [[ $info =~ $xsc_note_re ]]; then linked=$((linked+1))
    else echo "$pkg: $name: missing the XSC ABI note" | tee -a "$report" >&2; ok=0; fi
  fi
  checked=$((checked+1))
  if [ $ok = 1 ]; then echo "ok   $pkg: $name" >> "$report"; else bad=$((bad+1)); fi
}
for deb in "${debs[@]}"; do
  pkg="$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
  x="$work/x"; rm -rf "$x"; mkdir -p "$x"
  dpkg-deb -x "$deb" "$x"
  (cd "$x" && find . -type f -print0 | sort -z) > "$work/files"
  elfs=() archives=()
  while IFS= read -r -d '' f; do
    magic=
    IFS= read -r -N 7 magic < "$x/$f" 2>/dev/null || true
    case $magic in
      $'\177ELF'*) elfs+=("${f#./}") ;;
      '!<arch>') archives+=("${f#./}") ;;
    esac
  done < "$work/files"
  if [ ${#elfs[@]} -gt 0 ]; then
    (cd "$x" && readelf_each "$work/r" "${elfs[@]}")
    for i in "${!elfs[@]}"; do check_one "$pkg" "/${elfs[$i]}" "$work/r/$i"; done
  fi
  for a in "${archives[@]}"; do
    mapfile -t members < <(ar t "$x/$a" | grep '\.o$' || true)
    [ ${#members[@]} -gt 0 ] || continue
    m="$work/m"; rm -rf "$m"; mkdir -p "$m"
    if [ -n "$(printf '%s\n' "${members[@]}" | sort | uniq -d)" ]; then
      # Two members of one name: extract each by its position (ar xN).
      declare -A seen=()
      for k in "${!members[@]}"; do
        n=${members[$k]}; seen[$n]=$(( ${seen[$n]:-0} + 1 ))
        (cd "$m" && ar xN "${seen[$n]}" "$x/$a" "$n" && mv "$n" "$k.o")
        members[$k]="$k.o:$n"
      done
      unset seen
      files=(); for k in "${!members[@]}"; do files+=("$k.o"); done
    else
      (cd "$m" && ar x "$x/$a")
      files=("${members[@]}")
    fi
    (cd "$m" && readelf_each "$work/r" "${files[@]}")
    for k in "${!members[@]}"; do check_one "$pkg" "/$a(${members[$k]#*:})" "$work/r/$k"; done
  done
done
if [ "$bad" -gt 0 ]; then
  echo "audit-cet.sh: FAIL: $bad of $checked ELF objects in ${#debs[@]} packages lack ${what/\//+}, are not $arch or lack the XSC ABI note" | tee -a "$report" >&2
  exit 1
fi
if [ -n "$copy_to" ]; then mkdir -p "$copy_to"; cp "${debs[@]}" "$copy_to/"; fi
echo "audit-cet.sh: PASS: $checked ELF objects in ${#debs[@]} packages carry ${what/\//+}; the $linked executables and shared objects among them carry the XSC ABI note" | tee -a "$report"
