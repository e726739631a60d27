#!/bin/bash
# Make the pinned build root tarball.
#
#   make-root.sh PINS OUT.tar
#
# PINS: the Debian suite on the first line, then one "name version" line per package
# (written by rules/buildRoot.ts from the buildRoot section of packages/debian.lock.json).
# Runs `mmdebstrap --mode=unshare --variant=buildd` against the Debian archive apt is
# configured for (URIs read from /etc/apt/sources.list.d/debian.sources at run time, never
# written into the workspace), with every package pinned to the version in the lock's
# pins (apt preferences, priority 1001), then checks that the root holds exactly the
# locked set: a package that is missing, extra or at another version fails the build,
# naming it. apt itself checks each .deb against the archive's signed indices.
# Needs network (it is the one pinned action that does). SOURCE_DATE_EPOCH makes the
# tarball reproducible (mmdebstrap clamps mtimes and drops caches/logs).
set -euo pipefail
pins=$(realpath "$1"); out=$(realpath -m "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/make-root.XXXXXX")
grep -v '^#' /etc/apt/sources.list.d/debian.sources > "$work/mirror.sources"
sed -n '2,$p' "$pins" | sort > "$work/expected"
awk 'NR>1{printf "Package: %s\nPin: version %s\nPin-Priority: 1001\n\n", $1, $2}' "$pins" > "$work/pins.pref"
head -1 "$pins" > "$work/suite"
suite=$(cat "$work/suite")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
mmdebstrap --quiet --mode=unshare --variant=buildd \
  --setup-hook='mkdir -p "$1/etc/apt/preferences.d"' \
  --setup-hook='upload '"$work/pins.pref"' /etc/apt/preferences.d/xsc-lock.pref' \
  --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" | sort > '"$work/actual" \
  --customize-hook='rm -f "$1/etc/apt/preferences.d/xsc-lock.pref"' \
  "$suite" "$out" "$work/mirror.sources"
if ! diff -u "$work/expected" "$work/actual" > "$work/diff"; then
  echo "make-root.sh: the build root differs from the lock $1 (- locked, + installed):" >&2
  grep '^[-+][^-+]' "$work/diff" >&2
  rm -f "$out"; exit 1
fi
rm -rf "$work"
