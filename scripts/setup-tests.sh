#!/usr/bin/env bash
# Installs what the default test suite needs on a fresh Debian 12 machine (run as root):
# Debian's nginx (the remote-cache tests start a real one on 127.0.0.1), curl (the remote
# cache benchmark compares with it), bubblewrap, util-linux and uidmap (every action's sandbox,
# engine/execute/isolation.ts), dpkg-dev and apt-utils (the lock tests make a real local apt archive),
# Debian's chromium (the dashboard's browser tests drive it headless with puppeteer-core), and
# the npm dependencies (which also compiles the TypeScript to dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for pkg in nginx curl util-linux bubblewrap uidmap gcc libc6-dev ca-certificates dpkg-dev apt-utils chromium fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  # A policy-rc.d keeps the package from starting a system nginx on port 80 (only if the
  # machine has none of its own; an existing one is left as it is).
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}"
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
bash scripts/setup-subuids.sh
npm ci --no-audit --no-fund
