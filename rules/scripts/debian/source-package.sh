#!/bin/bash
# Make a Debian source package (.dsc + tarball) from a source tree of the workspace with
# `dpkg-source -b`: what the rule debian_source gives debian_package, like a pinned Debian source.
#
#   source-package.sh --dir TREE --source NAME --version VERSION --out OUTDIR
#
# The tree's debian/changelog must name NAME and VERSION (what the rule declared up front).
# Reproducible: every mtime is SOURCE_DATE_EPOCH, files sorted, owner 0 (dpkg-source's defaults).
set -euo pipefail
dir= source= version= out=
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "source-package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in dir source version out; do [ -n "${!v}" ] || { echo "source-package.sh: --$v is required" >&2; exit 2; }; done
ch=$dir/debian/changelog
[ -f "$ch" ] || { echo "error: $dir has no debian/changelog: not a Debian source tree" >&2; exit 1; }
got_s=$(dpkg-parsechangelog -l "$ch" -S Source) got_v=$(dpkg-parsechangelog -l "$ch" -S Version)
if [ "$got_s" != "$source" ] || [ "$got_v" != "$version" ]; then
  echo "error: $ch is $got_s $got_v, but the BUILD file declares $source $version" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/srcpkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/$source-${version%%-*}
cp -r "$dir" "$tree"
find "$tree" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
(cd "$work" && dpkg-source -b "$(basename "$tree")")
mkdir -p "$out"
for f in "$work"/*.dsc "$work"/*.tar.*; do cp "$f" "$out/"; done
ls "$out"
