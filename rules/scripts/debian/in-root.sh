#!/bin/bash
# Run a command inside an unpacked build root, isolated from the host.
#
#   in-root.sh [--network] ROOTDIR COMMAND [ARGS...]
#
# Invariants: ROOTDIR is a directory made by extracting a build-root tarball
# (rules/scripts/debian/make-root.sh). The command runs as root in new mount,
# PID, UTS, IPC and (unless --network) network namespaces, with /proc mounted
# and /dev bind-mounted, so nothing it does reaches the host's filesystem
# outside ROOTDIR. Only the environment variables named in XSC_PASS_ENV
# (space separated) cross into the root, plus a fixed PATH/HOME/LC_ALL.
set -euo pipefail
net=--net
if [ "${1:-}" = --network ]; then net=; shift; fi
root=$(realpath "$1"); shift
[ -x "$root/bin/sh" ] || { echo "in-root.sh: $root is not an unpacked build root (no /bin/sh)" >&2; exit 2; }
if [ -z "$net" ]; then cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true; fi
envargs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 TERM=dumb)
for v in ${XSC_PASS_ENV:-}; do
  if [ -n "${!v+x}" ]; then envargs+=("$v=${!v}"); fi
done
export XSC_ROOT=$root
exec unshare --mount --pid --fork --uts --ipc $net --kill-child -- /bin/bash -euc '
  mount --make-rprivate /
  mount -t proc proc "$XSC_ROOT/proc"
  mount --rbind /dev "$XSC_ROOT/dev"
  mount -t tmpfs tmpfs "$XSC_ROOT/dev/shm" 2>/dev/null || true
  mount -t tmpfs tmpfs "$XSC_ROOT/run"
  [ -d "$XSC_ROOT/sys" ] && mount --rbind /sys "$XSC_ROOT/sys" || true
  shift
  exec chroot "$XSC_ROOT" /usr/bin/env -i "$@"
' in-root "$root" "${envargs[@]}" "$@"
