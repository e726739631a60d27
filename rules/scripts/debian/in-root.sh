#!/bin/bash
# Run a command inside an unpacked build root, isolated from the host.
#
#   in-root.sh [--network] ROOTDIR COMMAND [ARGS...]
#
# Invariants: ROOTDIR is a directory made by extracting a build-root tarball
# (rules/scripts/debian/make-root.sh). The command runs as root in new mount,
# PID, UTS, IPC and (unless --network) network namespaces, with its own /proc, a
# read-only sysfs and a minimal /dev (tmpfs holding only null, zero, full, random,
# urandom, tty bound from the host, a private devpts and shm), so nothing it does
# reaches the host's filesystem or devices outside ROOTDIR. Only the environment variables named in XSC_PASS_ENV
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
  mount -t tmpfs -o mode=0755,nosuid tmpfs "$XSC_ROOT/dev"
  for d in null zero full random urandom tty; do
    touch "$XSC_ROOT/dev/$d"; mount --bind "/dev/$d" "$XSC_ROOT/dev/$d"
  done
  mkdir -p "$XSC_ROOT/dev/pts" "$XSC_ROOT/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$XSC_ROOT/dev/pts"
  ln -s pts/ptmx "$XSC_ROOT/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$XSC_ROOT/dev/shm"
  ln -s /proc/self/fd "$XSC_ROOT/dev/fd"
  ln -s /proc/self/fd/0 "$XSC_ROOT/dev/stdin"
  ln -s /proc/self/fd/1 "$XSC_ROOT/dev/stdout"
  ln -s /proc/self/fd/2 "$XSC_ROOT/dev/stderr"
  mount -t tmpfs tmpfs "$XSC_ROOT/run"
  mkdir -p "$XSC_ROOT/sys"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$XSC_ROOT/sys"
  shift
  exec chroot "$XSC_ROOT" /usr/bin/env -i "$@"
' in-root "$root" "${envargs[@]}" "$@"
