#!/bin/bash
# Make a flat APT repository of a package set and check that apt accepts it.
#
#   apt-repo.sh --out DIR --origin NAME --label LABEL DEB_OR_DIR...
#
# DIR/pool/*.deb, DIR/Packages, DIR/Packages.gz, DIR/Release: usable as
#   deb [trusted=yes] file:DIR ./
# Reproducible: files are copied in sorted order, dpkg-scanpackages --multiversion output is
# sorted by apt's own rules, gzip -9n drops names and times, and Release's Date comes from
# SOURCE_DATE_EPOCH. The check runs apt-get update + apt-cache show with a private apt state
# (no host state is read or changed) and fails unless every package is visible.
set -euo pipefail
out= origin=XSC label=XSC inputs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --origin) origin=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    *) inputs+=("$1"); shift ;;
  esac
done
[ -n "$out" ] || { echo "apt-repo.sh: --out is required" >&2; exit 2; }
out=$(realpath -m "$out"); rm -rf "$out"; mkdir -p "$out/pool"
for a in "${inputs[@]}"; do
  if [ -d "$a" ]; then find "$a" -maxdepth 1 -name '*.deb' -print0; else printf '%s\0' "$a"; fi
done | sort -z | xargs -0 -I{} cp {} "$out/pool/"
n=$(ls "$out/pool" | wc -l)
[ "$n" -gt 0 ] || { echo "apt-repo.sh: no .deb files given" >&2; exit 1; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
cd "$out"
dpkg-scanpackages --multiversion pool /dev/null > Packages 2>scan.log || { cat scan.log >&2; exit 1; }
rm -f scan.log
gzip -9n < Packages > Packages.gz
touch -d "@$SOURCE_DATE_EPOCH" pool/*.deb Packages Packages.gz
apt-ftparchive -o APT::FTPArchive::Release::Origin="$origin" -o APT::FTPArchive::Release::Label="$label" \
  -o APT::FTPArchive::Release::Suite=xsc -o APT::FTPArchive::Release::Codename=xsc \
  -o APT::FTPArchive::Release::Date="$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a, %d %b %Y %H:%M:%S UTC')" \
  release . > Release.tmp
mv Release.tmp Release
touch -d "@$SOURCE_DATE_EPOCH" Release

# Does apt accept it? A private apt state reading only this repository.
check=$(mktemp -d "${TMPDIR:-/tmp}/apt-check.XXXXXX")
trap 'rm -rf "$check"' EXIT
mkdir -p "$check"/{lists/partial,cache/archives/partial}
echo "deb [trusted=yes] file:$out ./" > "$check/sources.list"
apto=(-o "Dir::State::Lists=$check/lists" -o "Dir::Etc::SourceList=$check/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::Cache=$check/cache" -o "Dir::State::status=/dev/null" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
# The repository's architectures (arm64 for aarch64's set) are read beside the machine's own.
for a in $(for f in pool/*.deb; do dpkg-deb -f "$f" Architecture; done | sort -u | grep -vx all || true); do
  apto+=(-o "APT::Architectures::=$a")
done
apt-get "${apto[@]}" update -q > "$check/update.log" 2>&1 || { cat "$check/update.log" >&2; echo "apt-repo.sh: apt rejected $out" >&2; exit 1; }
if grep -qE '^(W|E):' "$check/update.log"; then cat "$check/update.log" >&2; echo "apt-repo.sh: apt warned about $out" >&2; exit 1; fi
for f in pool/*.deb; do
  p=$(dpkg-deb -f "$f" Package); v=$(dpkg-deb -f "$f" Version); a=$(dpkg-deb -f "$f" Architecture)
  [ "$a" = all ] || p=$p:$a
  apt-cache "${apto[@]}" show "$p=$v" > /dev/null 2>&1 || { echo "apt-repo.sh: apt does not see $p=$v from $f" >&2; exit 1; }
done
echo "apt-repo.sh: $n packages; apt accepts $out"
