/**
 * Issue 18: xbuild's cost per action against Ninja's, on the "cathead" graph of
 * bench/distroGraph.ts (one package per target, 1-4 KiB sources, 0-8 dependencies with
 * power-law fan-in, each command `{ cat SRC; head -qn1 DEP.out ...; } > OUT`).
 * The two tools run interleaved, run by run (the order alternates), and every figure is
 * reported as a ratio of runs made side by side: on a shared machine only those mean much.
 *
 *   node dist/bench/perActionBench.js [--sizes 2600,20000] [--jobs 2] [--reps 3]
 *        [--sleep-size 2600] [--sleep-jobs 2,8] [--no-sleep] [--unsandboxed] [--before-repo DIR] [--dir /tmp/...]
 *
 * For each size: cold (both from nothing: xbuild with an empty cache, xbuild-out and .xbuild;
 * ninja without out/ and .ninja_log), no-op, one leaf edited, a core edit (a line appended to
 * the most-read core source: Ninja reruns everything downstream, xbuild its direct readers,
 * whose outputs come out the same), and the no-op and the leaf edit again through a build server
 * (XBUILD_SERVER=1) on a copy of the graph of its own. --unsandboxed adds XBUILD_SANDBOX=none runs to the cold
 * rounds. Then the same graph with `sleep 0.05; ` before each command, every source edited
 * before each round so that every action runs again, at each --sleep-jobs.
 * --before-repo DIR (another checkout of xbuild, built) adds a third series to every round: that
 * xbuild on its own copy of the graph, its own cache, edited alike; the order rotates each round,
 * and "after / before" is the median of the per-round ratios.
 * Results are printed as markdown and written to <dir>/results.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { generateDistroGraph, writeXbuildWorkspace, writeNinjaWorkspace, coreEdit, leafEdit, editAllSources, meanSourceBytes, type DistroGraph } from './distroGraph.js';
import { runXbuild as runXbuildAt, runNinja, median, snapshotXbuild, REPO, type RunResult } from './benchRun.js';

interface Options {
  readonly sizes: number[];
  readonly jobs: number;
  readonly reps: number;
  readonly sleepSize: number;
  readonly sleepJobs: number[];
  readonly sleep: boolean;
  readonly unsandboxed: boolean;
  readonly beforeRepo?: string;
  readonly dir: string;
}

function parse(argv: readonly string[]): Options {
  const flag = (n: string): string | undefined => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : undefined; };
  const list = (s: string) => s.split(',').map(Number).filter((n) => n > 0);
  return {
    sizes: list(flag('--sizes') ?? '2600'),
    jobs: Number(flag('--jobs') ?? 2),
    reps: Math.max(1, Number(flag('--reps') ?? 3)),
    sleepSize: Number(flag('--sleep-size') ?? 2600),
    sleepJobs: list(flag('--sleep-jobs') ?? '2,8'),
    sleep: !argv.includes('--no-sleep'),
    unsandboxed: argv.includes('--unsandboxed'),
    beforeRepo: flag('--before-repo'),
    dir: flag('--dir') ?? join(tmpdir(), 'xbuild-peraction-bench'),
  };
}

let xbuildBin = '';
/** The --before-repo checkout's xbuild (a snapshot), when asked for. */
let beforeBin = '';
const log = (msg: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const s = (x: number): string => x.toFixed(x < 10 ? 3 : 1);

/** One graph laid out for both tools. */
interface Trees { readonly g: DistroGraph; readonly xb: string; readonly nj: string; readonly cache: string; readonly logs: string; readonly before: { readonly xb: string; readonly cache: string } }

function layout(base: string, size: number, mode: 'cathead' | 'cathead-sleep', seed: number): Trees {
  rmSync(base, { recursive: true, force: true });
  const t: Trees = {
    g: generateDistroGraph({ size, seed, deps: 'perAction' }), xb: join(base, 'xbuild'), nj: join(base, 'ninja'), cache: join(base, 'cache'), logs: join(base, 'logs'),
    before: { xb: join(base, 'xbuild-before'), cache: join(base, 'cache-before') },
  };
  mkdirSync(t.logs, { recursive: true });
  writeXbuildWorkspace(t.g, t.xb, mode);
  if (beforeBin) writeXbuildWorkspace(t.g, t.before.xb, mode);
  writeNinjaWorkspace(t.g, t.nj, mode);
  return t;
}

/** Removes everything one tool's build left (its next build is cold); the other tool's tree stays built. */
function clean(t: Trees, tool: 'ninja' | 'xbuild' | 'before'): void {
  const xb = (w: { readonly xb: string; readonly cache: string }) => [w.cache, join(w.xb, 'xbuild-out'), join(w.xb, '.xbuild')];
  const left = tool === 'ninja' ? [join(t.nj, 'out'), join(t.nj, '.ninja_log'), join(t.nj, '.ninja_deps')] : tool === 'xbuild' ? xb(t) : xb(t.before);
  for (const p of left) rmSync(p, { recursive: true, force: true });
}

function xbuild(t: Trees, jobs: number, tag: string, withEvents = true, sandbox?: 'none'): RunResult {
  const before = process.env.XBUILD_SANDBOX;
  if (sandbox) process.env.XBUILD_SANDBOX = sandbox;
  try {
    return runXbuildAt(t.xb, t.cache, jobs, t.logs, tag, xbuildBin, withEvents);
  } finally {
    if (sandbox) process.env.XBUILD_SANDBOX = before;
    if (sandbox && before === undefined) delete process.env.XBUILD_SANDBOX;
  }
}

/**
 * Waits 50 ms before an edit (outside the timed runs). The kernel stamps files with a clock that
 * moves at the timer tick (4 ms here), and Ninja rebuilds only when an input is newer than the
 * output: an edit within the tick of that tool's last build looks older, and Ninja says "no work
 * to do" (it did, when the alternating order put a round's Ninja edit right after its build).
 * xbuild hashes what changed and rebuilt every time.
 */
function settle(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}

/** The --before-repo xbuild on its own copy of the graph (same flags as `xbuild`). */
function before(t: Trees, jobs: number, tag: string, withEvents = true): RunResult {
  return runXbuildAt(t.before.xb, t.before.cache, jobs, t.logs, `before-${tag}`, beforeBin, withEvents);
}

/**
 * Runs `a`, `b` (and `c`, the --before-repo series, when given) `reps` times each, the order
 * rotating every round (a b c, b c a, c a b, ...), returning the series.
 */
function interleaved<T>(reps: number, a: (i: number) => T, b: (i: number) => T, c?: (i: number) => T): { a: T[]; b: T[]; c: T[] } {
  const out = { a: [] as T[], b: [] as T[], c: [] as T[] };
  const runs = [(i: number) => out.a.push(a(i)), (i: number) => out.b.push(b(i)), ...(c ? [(i: number) => out.c.push(c(i))] : [])];
  for (let i = 0; i < reps; i++) for (let k = 0; k < runs.length; k++) runs[(i + k) % runs.length](i);
  return out;
}

interface Pair { readonly ninja: RunResult[]; readonly xbuild: RunResult[]; readonly unsandboxed?: RunResult[]; readonly before?: RunResult[] }
interface SizeResult {
  size: number; edges: number; meanDeps: number; maxFanIn: number; meanSourceBytes: number; coreDownstream: number; coreReaders: number;
  cold: Pair; noop: Pair; leaf: Pair; core: Pair;
  /** The no-op and the leaf edit through a build server (XBUILD_SERVER=1). */
  served: { noop: RunResult[]; leaf: RunResult[] };
}
interface SleepResult { size: number; jobs: number; pair: Pair }

const secs = (rs: readonly RunResult[]): number => median(rs.map((r) => r.seconds));
const ratio = (p: Pair): number => median(p.xbuild.map((x, i) => x.seconds / p.ninja[i].seconds));
/** After / before, the median of per-round ratios (undefined without --before-repo). */
const vsBefore = (p: Pair): number | undefined => (p.before?.length ? median(p.xbuild.map((x, i) => x.seconds / p.before![i].seconds)) : undefined);

function expectRan(what: string, rs: readonly RunResult[], n: number): void {
  for (const r of rs) if (r.executed !== n) throw new Error(`${what}: expected ${n} actions to run, ${r.executed} did`);
}

function benchSize(o: Options, size: number): SizeResult {
  const t = layout(join(o.dir, `size-${size}`), size, 'cathead', 1);
  const { g } = t;
  const fanIn = new Array<number>(g.size).fill(0);
  for (const n of g.nodes) for (const d of n.deps) fanIn[d]++;
  log(`${size}: ${g.edges} edges (${(g.edges / size).toFixed(2)} per action), core ${g.nodes[g.coreIndex].name} read by ${fanIn[g.coreIndex]}, ${g.coreDownstream} downstream`);

  // Cold: both from nothing, interleaved; the unsandboxed xbuild (optional) in the same rounds.
  const unsandboxed: RunResult[] = [];
  const cold = interleaved(o.reps, (i) => {
    clean(t, 'ninja');
    const r = runNinja(t.nj, o.jobs, t.logs, `cold${i}`);
    log(`${size}: ninja cold ${s(r.seconds)} s`);
    return r;
  }, (i) => {
    clean(t, 'xbuild');
    const r = xbuild(t, o.jobs, `cold${i}`);
    log(`${size}: xbuild cold ${s(r.seconds)} s (analysis ${s(r.analysisS ?? 0)} s)`);
    if (o.unsandboxed) {
      clean(t, 'xbuild');
      const u = xbuild(t, o.jobs, `cold-none${i}`, true, 'none');
      log(`${size}: xbuild XBUILD_SANDBOX=none cold ${s(u.seconds)} s`);
      unsandboxed.push(u);
    }
    return r;
  }, beforeBin ? (i) => {
    clean(t, 'before');
    const r = before(t, o.jobs, `cold${i}`);
    log(`${size}: before cold ${s(r.seconds)} s`);
    return r;
  } : undefined);
  expectRan('cold ninja', cold.a, size);
  expectRan('cold xbuild', cold.b, size);
  expectRan('cold before', cold.c, size);
  // The tree is built by both now (each tool's last cold run); an unsandboxed last build is made again sandboxed.
  if (o.unsandboxed) { clean(t, 'xbuild'); xbuild(t, o.jobs, 'rebuild'); }

  const noop = interleaved(o.reps, (i) => runNinja(t.nj, o.jobs, t.logs, `noop${i}`), (i) => xbuild(t, o.jobs, `noop${i}`, false),
    beforeBin ? (i) => before(t, o.jobs, `noop${i}`, false) : undefined);
  expectRan('no-op', [...noop.a, ...noop.b, ...noop.c], 0);
  log(`${size}: no-op ninja ${s(secs(noop.a))} s, xbuild ${s(secs(noop.b))} s`);

  const leaf = interleaved(o.reps, (i) => { settle(); leafEdit(g, t.nj, i + 1); return runNinja(t.nj, o.jobs, t.logs, `leaf${i}`); },
    // Without --events, as the no-op it is compared with (writing 2,600 cached actions' events
    // costs ~0.05-0.1 s of either).
    (i) => { settle(); leafEdit(g, t.xb, i + 1); return xbuild(t, o.jobs, `leaf${i}`, false); },
    beforeBin ? (i) => { settle(); leafEdit(g, t.before.xb, i + 1); return before(t, o.jobs, `leaf${i}`, false); } : undefined);
  expectRan('leaf edit', [...leaf.a, ...leaf.b, ...leaf.c], 1);
  log(`${size}: leaf edit ninja ${s(secs(leaf.a))} s, xbuild ${s(secs(leaf.b))} s`);

  const served = benchServer(o, t);
  log(`${size}: build server: no-op ${s(secs(served.noop))} s, leaf edit ${s(secs(served.leaf))} s`);

  // One core edit each: Ninja's takes everything downstream, once is enough.
  settle();
  coreEdit(g, t.nj, 1);
  coreEdit(g, t.xb, 1);
  if (beforeBin) coreEdit(g, t.before.xb, 1);
  const core = interleaved(1, () => runNinja(t.nj, o.jobs, t.logs, 'core'), () => xbuild(t, o.jobs, 'core'), beforeBin ? () => before(t, o.jobs, 'core') : undefined);
  log(`${size}: core edit ninja ${s(core.a[0].seconds)} s (${core.a[0].executed} ran), xbuild ${s(core.b[0].seconds)} s (${core.b[0].executed} ran)`);

  return {
    size, edges: g.edges, meanDeps: g.edges / size, maxFanIn: Math.max(...fanIn), meanSourceBytes: meanSourceBytes(g),
    coreDownstream: g.coreDownstream, coreReaders: fanIn[g.coreIndex],
    cold: { ninja: cold.a, xbuild: cold.b, before: cold.c, unsandboxed: o.unsandboxed ? unsandboxed : undefined },
    noop: { ninja: noop.a, xbuild: noop.b, before: noop.c }, leaf: { ninja: leaf.a, xbuild: leaf.b, before: leaf.c }, core: { ninja: core.a, xbuild: core.b, before: core.c },
    served,
  };
}

/**
 * The no-op and the leaf edit with a build server (XBUILD_SERVER=1, cli/buildServer.ts), on a
 * copy of the graph of its own: built cold in its own process (which starts the server), one
 * no-op to warm the server up (not counted), then `reps` no-ops and `reps` leaf edits. The
 * server is stopped at the end.
 */
function benchServer(o: Options, t: Trees): { noop: RunResult[]; leaf: RunResult[] } {
  const ws = join(t.xb, '..', 'xbuild-server');
  const cache = join(t.xb, '..', 'cache-server');
  writeXbuildWorkspace(t.g, ws, 'cathead');
  const run = (tag: string) => withEnv({ XBUILD_SERVER: '1', XBUILD_SERVER_IDLE_S: '900' }, () => runXbuildAt(ws, cache, o.jobs, t.logs, `server-${tag}`, xbuildBin, false));
  const logs = join(ws, '.xbuild', 'server');
  const pids = () => (existsSync(logs) ? readdirSync(logs).filter((n) => n.endsWith('.log')) : [])
    .flatMap((n) => [...readFileSync(join(logs, n), 'utf8').matchAll(/serving .* \(pid (\d+)\)/g)].map((m) => Number(m[1])));
  try {
    run('cold');
    for (const end = Date.now() + 60_000; !pids().length; settle()) if (Date.now() > end) throw new Error(`the build server did not start (see ${logs})`);
    run('warm-up');
    const noop: RunResult[] = [];
    const leaf: RunResult[] = [];
    for (let i = 0; i < o.reps; i++) noop.push(run(`noop${i}`));
    for (let i = 0; i < o.reps; i++) {
      settle();
      leafEdit(t.g, ws, 100 + i);
      leaf.push(run(`leaf${i}`));
    }
    expectRan('no-op, build server', noop, 0);
    expectRan('leaf edit, build server', leaf, 1);
    return { noop, leaf };
  } finally {
    for (const pid of pids()) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* stopped already */ }
    }
  }
}

function withEnv<T>(vars: Record<string, string>, f: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function benchSleep(o: Options): SleepResult[] {
  const t = layout(join(o.dir, `sleep-${o.sleepSize}`), o.sleepSize, 'cathead-sleep', 1);
  const top = Math.max(...o.sleepJobs);
  // Prime: both trees built (xbuild records durations for its priorities).
  runNinja(t.nj, top, t.logs, 'prime');
  xbuild(t, top, 'prime');
  if (beforeBin) before(t, top, 'prime');
  let round = 0;
  const out: SleepResult[] = [];
  for (const jobs of o.sleepJobs) {
    const r = interleaved(o.reps, (i) => {
      editAllSources(t.g, t.nj, ++round);
      const n = runNinja(t.nj, jobs, t.logs, `j${jobs}-${i}`);
      log(`sleep-${o.sleepSize} -j${jobs}: ninja ${s(n.seconds)} s`);
      return n;
    }, (i) => {
      editAllSources(t.g, t.xb, ++round);
      const x = xbuild(t, jobs, `j${jobs}-${i}`);
      log(`sleep-${o.sleepSize} -j${jobs}: xbuild ${s(x.seconds)} s`);
      return x;
    }, beforeBin ? (i) => {
      editAllSources(t.g, t.before.xb, ++round);
      const x = before(t, jobs, `j${jobs}-${i}`);
      log(`sleep-${o.sleepSize} -j${jobs}: before ${s(x.seconds)} s`);
      return x;
    } : undefined);
    expectRan(`sleep -j${jobs}`, [...r.a, ...r.b, ...r.c], o.sleepSize);
    out.push({ size: o.sleepSize, jobs, pair: { ninja: r.a, xbuild: r.b, before: r.c } });
  }
  return out;
}

function printSize(r: SizeResult, o: Options): void {
  console.log(`\n### ${r.size} actions, ${r.edges} edges (${r.meanDeps.toFixed(2)} per action, most-read output read by ${r.maxFanIn}), sources ${Math.round(r.meanSourceBytes)} B on average, -j${o.jobs}, ${o.reps} interleaved runs each\n`);
  const b = beforeBin !== '';
  console.log(`| step | ninja s (median) | xbuild s (median) | xbuild / ninja (median of per-round ratios) | ran (ninja / xbuild) |${b ? ' before s (median) | after / before |' : ''}`);
  console.log(`|---|---|---|---|---|${b ? '---|---|' : ''}`);
  const row = (name: string, p: Pair) => console.log(`| ${name} | ${s(secs(p.ninja))} | ${s(secs(p.xbuild))} | ${ratio(p).toFixed(2)} | ${p.ninja[0].executed} / ${p.xbuild[0].executed} |`
    + (b ? ` ${s(secs(p.before!))} | ${vsBefore(p)!.toFixed(2)} |` : ''));
  row('cold', r.cold);
  if (r.cold.unsandboxed) {
    const u = r.cold.unsandboxed;
    console.log(`| cold, XBUILD_SANDBOX=none | ${s(secs(r.cold.ninja))} | ${s(secs(u))} | ${median(u.map((x, i) => x.seconds / r.cold.ninja[i].seconds)).toFixed(2)} | ${r.cold.ninja[0].executed} / ${u[0].executed} |`);
  }
  row('no-op', r.noop);
  row('one leaf edited', r.leaf);
  row(`core edit (a line appended to the source read by ${r.coreReaders})`, r.core);
  console.log(`| no-op, build server (XBUILD_SERVER=1) | | ${s(secs(r.served.noop))} | | 0 |${b ? ' | |' : ''}`);
  console.log(`| one leaf edited, build server | | ${s(secs(r.served.leaf))} | | 1 |${b ? ' | |' : ''}`);
  const cold = r.cold.xbuild, ninjaCold = r.cold.ninja;
  const perAction = (rs: readonly RunResult[]) => (secs(rs) / r.size) * 1000;
  const cpu = (rs: readonly RunResult[]) => (median(rs.map((x) => x.machineCpuS)) / r.size) * 1000;
  console.log(`\n| cold, per action | ninja | xbuild |`);
  console.log('|---|---|---|');
  console.log(`| wall ms | ${perAction(ninjaCold).toFixed(2)} | ${perAction(cold).toFixed(2)} |`);
  console.log(`| wall ms without xbuild's loading and analysis (${s(median(cold.map((x) => x.analysisS ?? 0)))} s) | ${perAction(ninjaCold).toFixed(2)} | ${(((secs(cold) - median(cold.map((x) => x.analysisS ?? 0))) / r.size) * 1000).toFixed(2)} |`);
  console.log(`| whole machine's CPU ms (others' load included) | ${cpu(ninjaCold).toFixed(2)} | ${cpu(cold).toFixed(2)} |`);
  console.log(`| xbuild's own process CPU ms | | ${((median(cold.map((x) => x.engineCpuS ?? 0)) / r.size) * 1000).toFixed(2)} |`);
  console.log(`| cores busy (machine CPU / wall) | ${coresBusy(ninjaCold).toFixed(2)} | ${coresBusy(cold).toFixed(2)} |`);
  console.log(`\n${cpuFloor('cold', r.cold)}`);
  console.log('\n| target of issue 18 | figure | met |');
  console.log('|---|---|---|');
  console.log(`| cold <= 1.3x ninja at ${r.size} | ${ratio(r.cold).toFixed(2)} | ${ratio(r.cold) <= 1.3 ? 'yes' : 'no'} |`);
  const leafVsNoop = secs(r.leaf.xbuild) / secs(r.noop.xbuild);
  console.log(`| one leaf edited <= 1.5x xbuild's no-op | ${s(secs(r.leaf.xbuild))} s vs ${s(secs(r.noop.xbuild))} s: ${leafVsNoop.toFixed(2)} | ${leafVsNoop <= 1.5 ? 'yes' : 'no'} |`);
  const servedRatio = secs(r.served.leaf) / secs(r.served.noop);
  console.log(`| the same with a build server | ${s(secs(r.served.leaf))} s vs ${s(secs(r.served.noop))} s: ${servedRatio.toFixed(2)} | ${servedRatio <= 1.5 ? 'yes' : 'no'} |`);
}

function printSleep(rows: readonly SleepResult[]): void {
  if (!rows.length) return;
  console.log(`\n### ${rows[0].size} actions with \`sleep 0.05; \` first, every source edited before each run\n`);
  const b = beforeBin !== '';
  console.log(`| jobs | ninja s (median) | xbuild s (median) | xbuild / ninja | target <= 1.1 met | CPU ms per action, ninja / xbuild | cores busy, ninja / xbuild |${b ? ' before s (median) | after / before |' : ''}`);
  console.log(`|---|---|---|---|---|---|---|${b ? '---|---|' : ''}`);
  for (const r of rows) {
    const cpu = (rs: readonly RunResult[]) => ((median(rs.map((x) => x.machineCpuS)) / r.size) * 1000).toFixed(1);
    console.log(`| ${r.jobs} | ${s(secs(r.pair.ninja))} | ${s(secs(r.pair.xbuild))} | ${ratio(r.pair).toFixed(2)} | ${ratio(r.pair) <= 1.1 ? 'yes' : 'no'} | ${cpu(r.pair.ninja)} / ${cpu(r.pair.xbuild)} | ${coresBusy(r.pair.ninja).toFixed(2)} / ${coresBusy(r.pair.xbuild).toFixed(2)} |`
      + (b ? ` ${s(secs(r.pair.before!))} | ${vsBefore(r.pair)!.toFixed(2)} |` : ''));
  }
  for (const r of rows) console.log(`\n${cpuFloor(`sleep graph -j${r.jobs}`, r.pair)}`);
}

/** How many of the machine's cores a tool's runs kept busy: the machine's CPU seconds over the wall seconds (medians). */
function coresBusy(rs: readonly RunResult[]): number {
  return median(rs.map((x) => x.machineCpuS / x.seconds));
}

/**
 * When Ninja keeps every core busy (85% of them or more: its own start and end are serial), the
 * run is bound by CPU, and xbuild cannot finish in less than its own CPU time spread over the same
 * cores: xbuild / ninja >= xbuild's CPU / ninja's.
 */
function cpuFloor(what: string, p: Pair): string {
  const cores = availableParallelism();
  const busy = coresBusy(p.ninja);
  const floor = median(p.xbuild.map((x, i) => x.machineCpuS / p.ninja[i].machineCpuS));
  return busy >= 0.85 * cores
    ? `${what}: ninja kept ${busy.toFixed(2)} of ${cores} cores busy, so the run is bound by CPU: xbuild / ninja cannot be below xbuild's CPU / ninja's = **${floor.toFixed(2)}** (measured ${ratio(p).toFixed(2)}).`
    : `${what}: ninja kept ${busy.toFixed(2)} of ${cores} cores busy (not bound by CPU); xbuild's CPU / ninja's = ${floor.toFixed(2)} (measured ${ratio(p).toFixed(2)}).`;
}

function main(): void {
  const o = parse(process.argv.slice(2));
  mkdirSync(o.dir, { recursive: true });
  xbuildBin = snapshotXbuild(join(o.dir, 'xbuild-snapshot'));
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO }).toString().trim();
  const beforeCommit = o.beforeRepo ? execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: o.beforeRepo }).toString().trim() : undefined;
  if (o.beforeRepo) beforeBin = snapshotXbuild(join(o.dir, 'before-snapshot'), o.beforeRepo);
  log(`per-action bench: xbuild ${commit} (snapshot ${xbuildBin})${beforeCommit ? `, before ${beforeCommit} (${beforeBin})` : ''}, sizes ${o.sizes.join(',')}, -j${o.jobs}, ${o.reps} reps, dir ${o.dir}`);
  const sizes: SizeResult[] = [];
  let sleep: SleepResult[] = [];
  const save = () => writeFileSync(join(o.dir, 'results.json'), JSON.stringify({ options: o, commit, beforeCommit, sizes, sleep }, null, 2));
  for (const size of o.sizes) {
    sizes.push(benchSize(o, size));
    save();
  }
  if (o.sleep) {
    sleep = benchSleep(o);
    save();
  }
  console.log(`\n## Issue 18, per action: xbuild (${commit}) vs ninja ${execFileSync('ninja', ['--version']).toString().trim()}${beforeCommit ? `, and xbuild ${beforeCommit} (before)` : ''}, node ${process.version}`);
  for (const r of sizes) printSize(r, o);
  printSleep(sleep);
}

main();
