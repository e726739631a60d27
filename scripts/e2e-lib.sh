# Shared helpers of scripts/e2e-*.sh (sourced). The caller sets: repo, scratch, jobs, targets.

failures=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

# copy_workspace DEST: the distribution's packages and the root BUILD.ts, without outputs.
copy_workspace() {
  mkdir -p "$1"
  for d in kernel iso packages toolchains; do
    [ -d "$repo/$d" ] && rsync -a --exclude xbuild-out --exclude .xbuild "$repo/$d" "$1/"
  done
  if [ -f "$repo/BUILD.ts" ]; then cp "$repo/BUILD.ts" "$1/"; else echo '// workspace root' > "$1/BUILD.ts"; fi
  return 0
}

# build NAME WORKSPACE CACHE [TARGET...]: runs xbuild (default targets: "${targets[@]}"), leaves
# events in $scratch/NAME.ndjson, stdout+stderr in $scratch/NAME.log, the wall time in $secs and
# the exit code in $rc.
build() {
  local name=$1 ws=$2 c=$3 t0
  shift 3
  [ $# -gt 0 ] || set -- "${targets[@]}"
  t0=$(date +%s.%N)
  set +e
  XBUILD_CACHE_DIR=$c node "$repo/bin/xbuild.js" build -C "$ws" --jobs "$jobs" \
    --events "$scratch/$name.ndjson" "$@" > "$scratch/$name.log" 2>&1
  rc=$?
  set -e
  secs=$(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f')
  echo "----- $name: exit $rc in ${secs} s"
}

# executed NAME: "mnemonic label seconds status" for every action that really ran
executed() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
    for (const l of lines) {
      const e = JSON.parse(l);
      if (e.type === "action_finished" && e.status !== "cached")
        console.log(`${e.mnemonic} ${e.label} ${(e.durationMs / 1000).toFixed(1)} ${e.status}`);
    }' "$scratch/$1.ndjson"
}
