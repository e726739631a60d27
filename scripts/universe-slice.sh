#!/usr/bin/env bash
# The universe's real slice (issue 15; packages/universe/README.md): the sources listed in
# packages/universe/slice.txt built for one variant with --keep-going, in this workspace and its
# cache, then the report as text and as JSON. Run it again and only what failed (and what that
# skipped) runs: every success is a cache hit, a failure is never cached (the seed's `retry`).
#
#   scripts/universe-slice.sh [--variant base|cfi-compat] [--report-dir DIR] [--sources "a b ..."]
#                             (defaults: base, .xbuild/slice-report, every source of slice.txt)
#
# Writes DIR/report.txt (`xbuild report`: completed and failed targets, each with its log) and
# DIR/report.json (`xbuild report --json`). Exit code: the build's (1 when something failed).
# The XSC toolchain of the variant (//toolchains:x86_64-<variant>, its glibc: ~20 min cold) and the
# build root are built first when not cached; one variant's BUILD file takes several seconds to
# evaluate, so the evaluation limit is raised.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
variant=base report=.xbuild/slice-report only=
usage() { echo "usage: $0 [--variant base|cfi-compat] [--report-dir DIR] [--sources \"a b ...\"]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --variant) case ${2:-} in base|cfi-compat) variant=$2; shift 2 ;; *) usage ;; esac ;;
    --report-dir) report=${2:?}; shift 2 ;;
    --sources) only=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[ -f "$repo/dist/cli/main.js" ] || { echo "error: run 'npm run build' in $repo first" >&2; exit 1; }
mapfile -t sources < <(if [ -n "$only" ]; then xargs -n1 <<< "$only"; else sed 's/#.*//' "$repo/packages/universe/slice.txt" | xargs -n1; fi)
echo "universe-slice: ${#sources[@]} sources, variant $variant"
export XBUILD_EVAL_TIMEOUT_MS=${XBUILD_EVAL_TIMEOUT_MS:-60000}
rc=0
node "$repo/bin/xbuild.js" build --keep-going "${sources[@]/#/\/\/packages\/universe\/$variant:}" || rc=$?
mkdir -p "$report"
node "$repo/bin/xbuild.js" report > "$report/report.txt"
node "$repo/bin/xbuild.js" report --json > "$report/report.json"
echo "universe-slice: build exit code $rc; report in $report/report.txt and $report/report.json"
exit $rc
