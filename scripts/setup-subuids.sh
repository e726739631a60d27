#!/usr/bin/env bash
# Gives root a subordinate uid and gid range (/etc/subuid, /etc/subgid) for xbuild's sandboxes
# (engine/execute/isolation.ts): actions run as its first uid, and actions that unpack a root filesystem
# (uidRange) are root of a user namespace mapping 65,536 uids onto it. A range root already
# has is kept. 0x70000000 (1879048192) is outside the ranges systemd and nspawn use.
set -euo pipefail
start=1879048192
if ! grep -q '^root:' /etc/subuid 2>/dev/null || ! grep -q '^root:' /etc/subgid 2>/dev/null; then
  usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" root
fi
