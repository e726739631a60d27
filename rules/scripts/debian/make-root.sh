#!/bin/bash
# Make the pinned build root tarball.
#
#   make-root.sh LOCK.json OUT.tar
#
# Runs `mmdebstrap --mode=unshare --variant=buildd` against the Debian archive apt is
# configured for (URIs read from /etc/apt/sources.list.d/debian.sources at run time, never
# written into the workspace), with every package pinned to the version in the lock's
# buildRoot (apt preferences, priority 1001), then checks that the root holds exactly the
# locked set: a package that is missing, extra or at another version fails the build,
# naming it. apt itself checks each .deb against the archive's signed indices.
# Needs network (it is the one pinned action that does). SOURCE_DATE_EPOCH makes the
# tarball reproducible (mmdebstrap clamps mtimes and drops caches/logs).
set -euo pipefail
lock=$(realpath "$1"); out=$(realpath -m "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/make-root.XXXXXX")
grep -v '^#' /etc/apt/sources.list.d/debian.sources > "$work/mirror.sources"
node -e '
  const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const pk = lock.buildRoot.packages;
  const fs = require("fs");
  fs.writeFileSync(process.argv[2], pk.map(p => `Package: ${p.name}\nPin: version ${p.version}\nPin-Priority: 1001\n`).join("\n"));
  fs.writeFileSync(process.argv[3], pk.map(p => `${p.name} ${p.version}`).sort().join("\n") + "\n");
  fs.writeFileSync(process.argv[4], lock.suite + "\n");
' "$lock" "$work/pins.pref" "$work/expected" "$work/suite"
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
