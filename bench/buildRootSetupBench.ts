/**
 * Issue 15, item 5: what a fresh, isolated build root costs a package build.
 *
 *   old   what build-deb.sh does today: `tar -xf root.tar` (the --exclude='./dev/*' it uses) into
 *         an empty directory, as root of a user namespace with a uid range (the action's
 *         uidRange view), then `rm -rf` of it when the build ends.
 *   new   the root unpacked once (timed apart: once per build root, not per package), then per
 *         package: a user and mount namespace with the same uid range, an overlayfs
 *         (lowerdir = the unpacked root, read-only; upperdir and workdir fresh) mounted on an
 *         empty directory, a write into it (what a build does: /build), then unmount and
 *         `rm -rf` of the upper directory. The unpacked root is never written: every package
 *         sees it fresh. (Unprivileged overlayfs in a user namespace: Linux >= 5.11.)
 *
 * Both also run `chroot ROOT /bin/true` so the root is usable, not only made. A and B alternate
 * (--runs each); medians and the ratio are printed.
 *
 *   node dist/bench/buildRootSetupBench.js --tarball xbuild-out/packages/build-root-amd64.tar [--runs 5] [--dir /var/tmp]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  if (def === undefined) throw new Error(`--${name} is required`);
  return def;
}
const TARBALL = arg('tarball');
const RUNS = Number(arg('runs', '5'));
const DIR = arg('dir', '/var/tmp');

/** Runs a shell script as root of a user namespace with root's subordinate uid range, in its own mount namespace. */
function inUserns(script: string, ...args: string[]): number {
  const t = performance.now();
  const r = spawnSync('unshare', ['--map-auto', '--map-root-user', '--mount', '--', '/bin/bash', '-euc', script, 'bench', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script.slice(0, 80)}... failed: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

const OLD = `
  root=$1/root; mkdir "$root"
  tar -xf "$2" -C "$root" --exclude='./dev/*'
  chroot "$root" /bin/true
  mkdir -p "$root/build" && echo x > "$root/build/marker"
  rm -rf "$root"`;

const NEW = `
  d=$1; mkdir "$d/upper" "$d/work" "$d/root"
  mount -t overlay overlay -o "userxattr,lowerdir=$2,upperdir=$d/upper,workdir=$d/work" "$d/root"
  chroot "$d/root" /bin/true
  mkdir -p "$d/root/build" && echo x > "$d/root/build/marker"
  umount "$d/root"
  rm -rf "$d/upper" "$d/work" "$d/root"`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const base = mkdtempSync(join(DIR, 'xbuild-rootbench-'));
try {
  const lower = join(base, 'lower');
  const once = inUserns('mkdir "$1" && tar -xf "$2" -C "$1" --exclude="./dev/*"', lower, TARBALL);
  const old: number[] = [], neu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = mkdtempSync(join(base, 'old-'));
    old.push(inUserns(OLD, a, TARBALL));
    const b = mkdtempSync(join(base, 'new-'));
    neu.push(inUserns(NEW, b, lower));
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
  const mb = (statSync(TARBALL).size / 1048576).toFixed(0);
  console.log(`build root ${TARBALL} (${mb} MB), ${RUNS} runs each, interleaved; load ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim()}`);
  console.log('| per package build | runs (s) | median s |');
  console.log('|---|---|---|');
  console.log(`| old: tar -xf + rm -rf | ${old.map((x) => x.toFixed(2)).join(', ')} | ${median(old).toFixed(2)} |`);
  console.log(`| new: overlay on the unpacked root + rm -rf upper | ${neu.map((x) => x.toFixed(2)).join(', ')} | ${median(neu).toFixed(2)} |`);
  console.log(`| ratio old/new | | ${(median(old) / median(neu)).toFixed(1)}x |`);
  console.log(`(unpacking the root once, per build root: ${once.toFixed(2)} s)`);
} finally {
  // The unpacked root's files belong to the subordinate range: remove them from inside it.
  spawnSync('unshare', ['--map-auto', '--map-root-user', '--', 'rm', '-rf', base]);
  rmSync(base, { recursive: true, force: true });
}
