/**
 * What the action sandbox (engine/execute/isolation.ts) costs, measured in one run.
 *
 *   node dist/bench/sandboxBench.js --baseline DIR [--size 2600] [--reps 3] [--jobs 2] [--pieces 400]
 *
 * 1. Cold builds of the distribution-shaped graph (bench/distroGraph.ts, 'digest' actions),
 *    alternating the xbuild of --baseline (a checkout with dist/ built, e.g. main, run with its
 *    own defaults) and this one (a snapshot of this working tree's dist/), each with an empty
 *    cache: per-action milliseconds (wall time over actions run), medians and their ratio.
 * 2. The pieces, interleaved: a sandboxed shell worker's start (spawn to its first answer);
 *    one trivial command through a sandboxed worker and through an unsandboxed one
 *    (XBUILD_SANDBOX=none: the per-action difference, cleanup included); the per-action cleanup
 *    alone (`kill -KILL -1` loop and the /tmp, /dev/shm check, inside a sandbox, nothing left);
 *    and a PID namespace per command instead (`unshare --pid --fork /bin/true` vs `/bin/true`).
 */
import { mkdirSync, rmSync, writeFileSync, lchownSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generateDistroGraph, writeXbuildWorkspace } from './distroGraph.js';
import { runXbuild, snapshotXbuild, median } from './benchRun.js';
import { WorkerPoolRunner } from '../engine/execute/workerPool.js';
import { Isolation } from '../engine/execute/isolation.js';

function flag(n: string, d?: string): string | undefined {
  const i = process.argv.indexOf(n);
  return i >= 0 ? process.argv[i + 1] : d;
}

const baseline = flag('--baseline');
const size = Number(flag('--size', '2600'));
const reps = Number(flag('--reps', '3'));
const jobs = Number(flag('--jobs', '2'));
const pieces = Number(flag('--pieces', '400'));
const dir = flag('--dir', join(tmpdir(), 'xbuild-sandbox-bench'))!;
const log = (m: string) => console.error(`[sandbox-bench] ${m}`);

async function piecesBench(): Promise<Record<string, number>> {
  const sandboxed = new Isolation({});
  const none = new Isolation({ XBUILD_SANDBOX: 'none' });
  const base = join(dir, 'pieces');
  rmSync(base, { recursive: true, force: true });
  const sb = join(base, 'sandbox');
  for (const d of [base, sb, join(sb, 'execroot'), join(sb, 'tmp')]) mkdirSync(d, { recursive: true });
  if (sandboxed.asRoot) for (const d of [sb, join(sb, 'execroot'), join(sb, 'tmp')]) lchownSync(d, sandboxed.sandboxUid, sandboxed.sandboxUid);
  const req = (iso: Isolation) => ({ argv: ['/bin/true'], env: { PATH: '/usr/bin:/bin', HOME: iso.insidePath(sb, 'tmp') }, sandboxDir: sb, cwd: 'execroot', network: false, slots: 1 });
  const signal = new AbortController().signal;
  const perCommand = async (iso: Isolation, n: number): Promise<number> => {
    const pool = new WorkerPoolRunner(iso);
    await pool.run(req(iso), signal); // the worker's start is not counted here
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await pool.run(req(iso), signal);
    const ms = (performance.now() - t0) / n;
    pool.close();
    return ms;
  };
  const start = async (): Promise<number> => {
    const pool = new WorkerPoolRunner(sandboxed);
    const t0 = performance.now();
    await pool.run(req(sandboxed), signal);
    const ms = performance.now() - t0;
    pool.close();
    return ms;
  };
  const inBash = (script: string): number => {
    // Inside one sandboxed bash, time `pieces` rounds of `script` with bash's own clock.
    const argv = sandboxed.wrap({ dir: sb, at: '/xbuild/sandbox', network: false, uidRange: false, readOnly: [], chdir: '/' },
      ['/bin/bash', '-c', `s=$EPOCHREALTIME; for ((i=0;i<${pieces};i++)); do ${script}; done; e=$EPOCHREALTIME; echo $(( (\${e/./}-\${s/./}) ))`]);
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    return Number(r.stdout.trim()) / 1000 / pieces;
  };
  const hostLoop = (argv: string[]): number => {
    const t0 = performance.now();
    for (let i = 0; i < pieces / 4; i++) execFileSync(argv[0], argv.slice(1));
    return (performance.now() - t0) / (pieces / 4);
  };
  const cleanup = 'while kill -s KILL -- -1 2>/dev/null; do :; done; shopt -s nullglob dotglob; g=(/dev/shm/* /tmp/* /var/tmp/*); shopt -u nullglob dotglob; (( ${#g[@]} )) && rm -rf --one-file-system -- /dev/shm /tmp /var/tmp';
  const r: Record<string, number[]> = { workerStartMs: [], commandSandboxedMs: [], commandUnsandboxedMs: [], cleanupMs: [], pidnsTrueMs: [], trueMs: [] };
  for (let round = 0; round < 3; round++) {
    r.workerStartMs.push(await start());
    r.commandSandboxedMs.push(await perCommand(sandboxed, pieces));
    r.commandUnsandboxedMs.push(await perCommand(none, pieces));
    r.cleanupMs.push(inBash(cleanup));
    if (sandboxed.asRoot) r.pidnsTrueMs.push(hostLoop(['/usr/bin/unshare', '--pid', '--fork', '/bin/true']));
    r.trueMs.push(hostLoop(['/bin/true']));
  }
  sandboxed.close();
  none.close();
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]));
}

function coldBench(): { baseline: number[]; sandboxed: number[]; actions: number } {
  if (!baseline) throw new Error('--baseline DIR: a checkout of the xbuild to compare with, with dist/ built');
  const ws = join(dir, 'ws');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  writeXbuildWorkspace(generateDistroGraph({ size, seed: 1, targetsPerPackage: 1 }), ws, 'digest');
  const mine = snapshotXbuild(join(dir, 'xbuild-snapshot'));
  const theirs = join(baseline, 'bin/xbuild.js');
  const out = { baseline: [] as number[], sandboxed: [] as number[], actions: 0 };
  for (let i = 0; i < reps; i++) {
    for (const [name, bin] of [['baseline', theirs], ['sandboxed', mine]] as const) {
      const cache = join(dir, `cache-${name}-${i}`);
      rmSync(cache, { recursive: true, force: true });
      rmSync(join(ws, 'xbuild-out'), { recursive: true, force: true });
      rmSync(join(ws, '.xbuild'), { recursive: true, force: true });
      const r = runXbuild(ws, cache, jobs, logs, `${name}-${i}`, bin);
      out[name].push((r.seconds * 1000) / r.executed);
      out.actions = r.executed;
      log(`${name} cold #${i}: ${r.seconds.toFixed(2)} s, ${r.executed} actions, ${((r.seconds * 1000) / r.executed).toFixed(2)} ms/action`);
      rmSync(cache, { recursive: true, force: true });
    }
  }
  return out;
}

mkdirSync(dir, { recursive: true });
const p = await piecesBench();
log(`pieces: ${JSON.stringify(p)}`);
const c = coldBench();
const result = { size, jobs, reps, pieces: p, cold: { ...c, baselineMedian: median(c.baseline), sandboxedMedian: median(c.sandboxed), ratio: median(c.sandboxed) / median(c.baseline) } };
writeFileSync(join(dir, 'results.json'), JSON.stringify(result, null, 2));
console.log(`\n## Action sandbox cost (${size} targets, -j${jobs}, ${reps} alternations)`);
console.log(`| what | ms |\n|---|---|`);
console.log(`| cold build, per action, baseline (median) | ${result.cold.baselineMedian.toFixed(2)} |`);
console.log(`| cold build, per action, sandboxed (median) | ${result.cold.sandboxedMedian.toFixed(2)} |`);
console.log(`| ratio sandboxed / baseline | ${result.cold.ratio.toFixed(3)} |`);
for (const [k, v] of Object.entries(p)) console.log(`| ${k} | ${v.toFixed(3)} |`);
