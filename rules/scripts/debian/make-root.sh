#!/bin/bash
# Make the pinned build root tarball from pinned .debs, without the network.
#
#   make-root.sh PINS OUT.tar DEB...
#
# PINS: the Debian suite on the first line, then one "name version" line per package (written
# by rules/buildRoot.ts from the buildRoot section of packages/debian.lock.json). DEB...: those
# packages' .deb files, each a pinned fetch (SHA-256 checked by xbuild before this runs).
# The .debs become a local repository, and `mmdebstrap --variant=essential --include=<every
# pinned package>` installs exactly them: the lock decided the set (mmdebstrap's buildd set,
# resolved by `xbuild lock update` with the archive's own priorities), this only installs it.
# The root must then hold exactly the pinned set; a package missing, extra or at another version
# fails the build, naming it. SOURCE_DATE_EPOCH makes the tarball reproducible (mmdebstrap clamps
# mtimes and drops caches/logs); the root's apt sources are a fixed comment, not this script's
# temporary repository path.
set -euo pipefail
pins=$(realpath "$1"); out=$(realpath -m "$2"); shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/make-root.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/repo"
# apt reads the repository as its unprivileged sandbox user (_apt): the path must be world-readable.
chmod 0755 "$work" "$work/repo"
for deb in "$@"; do ln "$deb" "$work/repo/" 2>/dev/null || cp "$deb" "$work/repo/"; done
suite=$(head -1 "$pins")
# mmdebstrap takes the essential set from the release whose suite or codename is SUITE: the
# local repository's Release says it is that suite.
(cd "$work/repo" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages \
  && apt-ftparchive -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$suite" release . > Release.new \
  && mv Release.new Release)
sed -n '2,$p' "$pins" | sort > "$work/expected"
include=$(awk '{print $1}' "$work/expected" | paste -sd,)
missing=$(awk '{print $1"_"$2}' "$work/expected" | sed 's/_[0-9]*:/_/' | while read -r nv; do compgen -G "$work/repo/${nv}_*.deb" >/dev/null || echo "$nv"; done)
[ -z "$missing" ] || { echo "make-root.sh: no .deb given for: $missing" >&2; exit 2; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
mmdebstrap --quiet --mode=unshare --variant=essential --include="$include" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" | sort > '"$work/actual" \
  --customize-hook='echo "# XSC build root: packages come from pinned .debs (packages/debian.lock.json), not from apt sources" > "$1/etc/apt/sources.list"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
  "$suite" "$out" "deb [trusted=yes] file://$work/repo ./"
if ! diff -u "$work/expected" "$work/actual" > "$work/diff"; then
  echo "make-root.sh: the build root differs from the lock $1 (- locked, + installed):" >&2
  grep '^[-+][^-+]' "$work/diff" >&2
  rm -f "$out"; exit 1
fi
