#!/bin/bash
# Regenerate packages/debian.lock.json (and its TypeScript twin packages/debianLock.ts).
#
#   tools/lock-debian.sh [SOURCE...]        default: the set in packages/set.txt
#
# What is pinned, all from the machine's own apt configuration (no hostname is written):
#   sources    each source package of the set plus the toolchain's (glibc): version and every
#              file (.dsc, .orig.tar.*, .debian.tar.*) with archive, pool path, SHA-256, size.
#   buildRoot  the binary packages of `mmdebstrap --variant=buildd` (name, version, .deb pin).
#   binaries   every binary package a source needs beyond the build root to build
#              (apt's resolution of `build-dep --arch-only` with profile nobiarch against the
#              root's dpkg status), with the .deb pin and its source package name.
# Uses a private apt state (lists, cache, empty status) so the host's apt is untouched.
# Needs: apt, mmdebstrap, uidmap, node. Takes ~1 min.
set -euo pipefail
ws=$(cd "$(dirname "$0")/.." && pwd)
state=${XSC_APT_STATE:-/var/tmp/xsc-apt-state}
suite=bookworm
toolchain_sources="glibc"
if [ $# -gt 0 ]; then set_sources="$*"; else set_sources=$(grep -v '^#' "$ws/packages/set.txt" | xargs); fi
mkdir -p "$state"/{lists/partial,parts,cache/archives/partial}
work=$(mktemp -d /var/tmp/xsc-lock.XXXXXX)
[ -n "${XSC_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT

# deb + deb-src entries derived from the host's deb822 sources (comments dropped).
host_sources=/etc/apt/sources.list.d/debian.sources
[ -f "$host_sources" ] || { echo "lock-debian: $host_sources not found" >&2; exit 1; }
grep -v '^#' "$host_sources" | sed -e 's/^Types: deb$/Types: deb deb-src/' > "$state/parts/xsc.sources"
grep -v '^#' "$host_sources" > "$work/mirror.sources"
apto=(-o "Dir::State::Lists=$state/lists" -o Dir::Etc::SourceList=/dev/null
      -o "Dir::Etc::SourceParts=$state/parts" -o "Dir::Cache=$state/cache"
      -o "Dir::State::status=/dev/null" -o Debug::NoLocking=1 -o APT::Architecture=amd64)
echo "lock-debian: apt-get update (private state $state)" >&2
apt-get "${apto[@]}" update -qq >/dev/null

# 1. Source packages: apt's candidate version; --print-uris gives URL, name, size, SHA256.
for s in $set_sources $toolchain_sources; do
  dscver=$(apt-get "${apto[@]}" source --print-uris -qq "$s" | awk '$2 ~ /\.dsc$/{print $2}' | sed -n 's/.*_\(.*\)\.dsc$/\1/p')
  [ -n "$dscver" ] || { echo "lock-debian: no source package $s in the archive" >&2; exit 1; }
  # The .dsc name has no epoch: take the full version from the Sources index.
  ver=$(apt-cache "${apto[@]}" showsrc --only-source "$s" | awk '/^Version:/{print $2}' \
        | awk -v d="$dscver" '{v=$0; sub(/^[0-9]+:/,"",v); if (v==d) {print; exit}}')
  apt-get "${apto[@]}" source --print-uris -qq "$s" | sed "s/^/$s $ver /" >> "$work/source-uris"
  apt-cache "${apto[@]}" showsrc --only-source "$s" > "$work/showsrc-$s"
done

# 2. The build root: what mmdebstrap --variant=buildd installs today.
echo "lock-debian: resolving the buildd root with mmdebstrap" >&2
mmdebstrap --quiet --mode=unshare --variant=buildd \
  --customize-hook='copy-out /var/lib/dpkg/status "'"$work"'"' \
  "$suite" /dev/null "$work/mirror.sources"
awk '/^Package:/{p=$2} /^Version:/{v=$2} /^Architecture:/{a=$2} /^$/{if(p)print p" "v" "a; p=""} END{if(p)print p" "v" "a}' \
  "$work/status" | sort > "$work/root-packages"
mkdir -p "$work/admin/updates"; cp "$work/status" "$work/admin/status"

# 3. Build dependencies of each source beyond the root.
# The toolchain builds only glibc's startup objects (rules/scripts/toolchain/
# build-cet-startfiles.sh), which need far less than glibc's full Build-Depends.
glibc_startfiles_needs="gawk bison python3"
for s in $set_sources $toolchain_sources; do
  ver=$(awk -v s="$s" '$1==s{print $2; exit}' "$work/source-uris")
  if [ "$s" = glibc ]; then what=(install $glibc_startfiles_needs); else what=(build-dep --arch-only "$s=$ver"); fi
  apt-get "${apto[@]}" -o "Dir::State::status=$work/admin/status" -o APT::Build-Profiles=nobiarch \
    -s "${what[@]}" 2>/dev/null \
    | awk -v s="$s" '/^Inst /{v=$3; gsub(/[()]/,"",v); print s" "$2" "v}' >> "$work/build-deps"
done
touch "$work/build-deps"

# 4. .deb pins (pool path, SHA-256, size, source) of every binary named above.
{ awk '{print $1"="$2}' "$work/root-packages"; awk '{print $2"="$3}' "$work/build-deps"; } | sort -u > "$work/want"
xargs apt-cache "${apto[@]}" show --no-all-versions < "$work/want" > "$work/binary-records"
(cd "$work" && xargs apt-get "${apto[@]}" download --print-uris -qq < "$work/want" > "$work/binary-uris")

XSC_WORK=$work XSC_SUITE=$suite XSC_SET="$set_sources" XSC_TOOLCHAIN_SOURCES="$toolchain_sources" \
XSC_BASES="$(grep -h '^URIs:' "$host_sources" | sed 's/^URIs:\s*//' | tr ' ' '\n')" \
  node "$ws/tools/lock-debian-json.mjs" "$ws/packages"
echo "lock-debian: wrote packages/debian.lock.json and packages/debianLock.ts" >&2
