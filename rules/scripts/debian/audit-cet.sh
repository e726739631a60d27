#!/bin/bash
# Audit .deb files for x86 CET and the XSC ABI: every ELF object must carry IBT and SHSTK,
# and every linked one (executable, shared object) the XSC ABI note.
#
#   audit-cet.sh [--copy-to DIR] REPORT DIR_OR_DEB...
#
# Each .deb is unpacked with dpkg-deb -x; every regular file with the ELF magic
# (executables, shared objects, relocatable objects, and each member of ar archives)
# is read with `readelf -n`. A file whose notes lack "x86 feature: IBT, SHSTK" is listed
# as "<package> <version>: <path in package>[(member)]: missing IBT/SHSTK"; an executable or
# shared object without the XSC ABI note (owner XSC, type 1, version 1: what the XSC toolchain
# links in) as "...: missing the XSC ABI note". Exits 1 if any is found, after writing REPORT
# (one line per ELF checked, then the verdict).
# With --copy-to, the .debs are copied into DIR only when all of them pass.
set -euo pipefail
copy_to=
if [ "${1:-}" = --copy-to ]; then copy_to=$2; shift 2; fi
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
has_cet() { readelf -nW "$1" 2>/dev/null | grep -q 'x86 feature: IBT, SHSTK'; }
# The XSC ABI note as readelf -n prints it: owner XSC, descsz 4, type 1, version 1.
has_xsc_note() { grep -Eq '^[[:space:]]+XSC[[:space:]]+0x00000004[[:space:]].*description data: 01 00 00 00'; }
is_linked() { readelf -hW "$1" 2>/dev/null | grep -Eq 'Type: +(EXEC|DYN)'; }
linked=0
for deb in "${debs[@]}"; do
  pkg="$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
  x="$work/x"; rm -rf "$x"; mkdir -p "$x"
  dpkg-deb -x "$deb" "$x"
  while IFS= read -r -d '' f; do
    rel=${f#"$x"}
    magic=$(head -c 8 "$f" | od -An -c | tr -d ' \n')
    case "$magic" in
      177ELF*)
        checked=$((checked+1))
        notes=$(readelf -nW "$f" 2>/dev/null || true)
        ok=1
        if ! grep -q 'x86 feature: IBT, SHSTK' <<< "$notes"; then
          echo "$pkg: $rel: missing IBT/SHSTK (readelf -n: $(grep -o 'x86 feature.*' <<< "$notes" || echo 'no x86 feature note'))" | tee -a "$report" >&2; ok=0
        fi
        if is_linked "$f"; then
          if has_xsc_note <<< "$notes"; then linked=$((linked+1))
          else echo "$pkg: $rel: missing the XSC ABI note" | tee -a "$report" >&2; ok=0; fi
        fi
        if [ $ok = 1 ]; then echo "ok   $pkg: $rel" >> "$report"; else bad=$((bad+1)); fi ;;
      '!<arch>'*)
        members=$(cd "$work" && ar t "$f" | grep '\.o$' || true)
        for m in $members; do
          checked=$((checked+1))
          mx="$work/member.o"; ar p "$f" "$m" > "$mx"
          if has_cet "$mx"; then echo "ok   $pkg: $rel($m)" >> "$report"
          else echo "$pkg: $rel($m): missing IBT/SHSTK" | tee -a "$report" >&2; bad=$((bad+1)); fi
        done ;;
    esac
  done < <(find "$x" -type f -print0 | sort -z)
done
if [ "$bad" -gt 0 ]; then
  echo "audit-cet.sh: FAIL: $bad of $checked ELF objects in ${#debs[@]} packages lack IBT+SHSTK or the XSC ABI note" | tee -a "$report" >&2
  exit 1
fi
if [ -n "$copy_to" ]; then mkdir -p "$copy_to"; cp "${debs[@]}" "$copy_to/"; fi
echo "audit-cet.sh: PASS: $checked ELF objects in ${#debs[@]} packages carry IBT+SHSTK; the $linked executables and shared objects among them carry the XSC ABI note" | tee -a "$report"
