/**
 * Loading + analysis of BUILD files, two xbuilds interleaved in one run (issue 12: the build
 * realm and the analysis worker against the in-process vm they replaced). For each size, on
 * the distribution-shaped workspace of bench/distroGraph.ts (one package per target):
 *  - from nothing: an empty cache dir (every file read, transpiled, evaluated, analysed);
 *  - one BUILD.ts edited: a warm cache, a comment appended to one BUILD file, so that every
 *    file is evaluated again (transpiled code comes from the cache);
 * and, on a two-target workspace, `xbuild query` after an edit (the worker's start-up).
 * Figures: wall time of the command, the analysis time xbuild prints ("Analysed ... in N ms",
 * from `build --dry-run`) and the CPU time (user + system, all threads) of the command; medians,
 * A and B alternating (ABBA) so drift cancels. On a shared machine CPU time varies less than
 * wall time.
 *
 *   node dist/bench/loadBench.js --baseline /path/to/other/xbuild [--sizes 2600,20000] [--reps 3] [--dir /tmp/...]
 *
 * `--baseline` is a checkout of the other xbuild with its dist/ compiled (bin/xbuild.js).
 */
import { appendFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { generateDistroGraph, writeXbuildWorkspace } from './distroGraph.js';
import { median, snapshotXbuild } from './benchRun.js';

interface Options { readonly baseline: string; readonly sizes: number[]; readonly reps: number; readonly dir: string; readonly smallReps: number }

function parse(argv: readonly string[]): Options {
  const flag = (n: string): string | undefined => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : undefined; };
  const baseline = flag('--baseline');
  if (!baseline) throw new Error('--baseline DIR (another xbuild checkout, compiled) is required');
  return {
    baseline,
    sizes: (flag('--sizes') ?? '2600,20000').split(',').map(Number).filter((n) => n > 0),
    reps: Number(flag('--reps') ?? 3),
    smallReps: Number(flag('--small-reps') ?? 10),
    dir: flag('--dir') ?? join(tmpdir(), 'xbuild-load-bench'),
  };
}

interface Run { readonly wallS: number; readonly cpuS: number; readonly analysisS?: number; readonly maxRssMb: number }

/** One command, timed by /usr/bin/time (wall seconds, peak RSS); fails loudly if xbuild failed. */
function timed(bin: string, args: readonly string[], ws: string, cache: string): Run {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M %U %S', process.execPath, bin, ...args], {
    cwd: ws, env: { ...process.env, XBUILD_CACHE_DIR: cache, CI: '1' }, encoding: 'utf8', maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  const t = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const a = /Analysed \d+ targets?, \d+ actions? in (\d+) ms/.exec(r.stdout + r.stderr);
  return { wallS: Number(t?.[1]), cpuS: Number(t?.[3]) + Number(t?.[4]), maxRssMb: Number(t?.[2]) / 1024, analysisS: a ? Number(a[1]) / 1000 : undefined };
}

const fmt = (x: number) => x.toFixed(x < 10 ? 3 : 1);

function summary(label: string, a: Run[], b: Run[]): string {
  const m = (rs: Run[], f: (r: Run) => number | undefined) => median(rs.map(f).filter((x): x is number => x !== undefined));
  const wallA = m(a, (r) => r.wallS), wallB = m(b, (r) => r.wallS);
  const anA = m(a, (r) => r.analysisS), anB = m(b, (r) => r.analysisS);
  const rssA = m(a, (r) => r.maxRssMb), rssB = m(b, (r) => r.maxRssMb);
  const cpuA = m(a, (r) => r.cpuS), cpuB = m(b, (r) => r.cpuS);
  const analysis = Number.isFinite(anA) && Number.isFinite(anB) ? ` | ${fmt(anA)} | ${fmt(anB)} | ${(anB / anA).toFixed(2)}` : ' | | | ';
  return `| ${label} | ${fmt(wallA)} | ${fmt(wallB)} | ${(wallB / wallA).toFixed(2)}${analysis} | ${fmt(cpuA)} | ${fmt(cpuB)} | ${(cpuB / cpuA).toFixed(2)} | ${rssA.toFixed(0)} / ${rssB.toFixed(0)} | ${a.map((r) => fmt(r.wallS)).join(', ')} / ${b.map((r) => fmt(r.wallS)).join(', ')} |`;
}

function main(): void {
  const o = parse(process.argv.slice(2));
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const binA = join(o.baseline, 'bin/xbuild.js');
  const binB = snapshotXbuild(join(o.dir, 'xbuild-b'));
  const rows: string[] = [];
  for (const size of o.sizes) {
    const g = generateDistroGraph({ size, seed: 1, targetsPerPackage: 1 });
    const wsA = join(o.dir, `ws-${size}-a`), wsB = join(o.dir, `ws-${size}-b`);
    writeXbuildWorkspace(g, wsA, 'digest');
    cpSync(wsA, wsB, { recursive: true });
    const edited = join(g.nodes[g.leafIndex].pkg, 'BUILD.ts');
    const cold = { a: [] as Run[], b: [] as Run[] }, edit = { a: [] as Run[], b: [] as Run[] };
    const args = ['build', '//...', '--dry-run'];
    for (let rep = 0; rep < o.reps; rep++) {
      const order: ('a' | 'b')[] = rep % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
      for (const v of order) {
        const ws = v === 'a' ? wsA : wsB, bin = v === 'a' ? binA : binB, cache = join(o.dir, `cache-${size}-${v}`);
        rmSync(cache, { recursive: true, force: true });
        rmSync(join(ws, '.xbuild'), { recursive: true, force: true });
        cold[v].push(timed(bin, args, ws, cache));
        appendFileSync(join(ws, edited), `// edit ${rep}\n`);
        edit[v].push(timed(bin, args, ws, cache));
        console.error(`${size} rep ${rep} ${v}: from nothing ${fmt(cold[v].at(-1)!.wallS)} s (analysis ${cold[v].at(-1)!.analysisS}), one BUILD.ts edited ${fmt(edit[v].at(-1)!.wallS)} s (analysis ${edit[v].at(-1)!.analysisS})`);
      }
    }
    rows.push(summary(`${size} targets, from nothing`, cold.a, cold.b), summary(`${size} targets, one BUILD.ts edited`, edit.a, edit.b));
  }
  // A small workspace: what the worker's start-up costs a query that must analyse.
  const small = { a: [] as Run[], b: [] as Run[] };
  for (const v of ['a', 'b'] as const) {
    const ws = join(o.dir, `small-${v}`);
    mkdirSync(join(ws, 'a'), { recursive: true });
    writeFileSync(join(ws, 'BUILD.ts'), '');
    writeFileSync(join(ws, 'a/BUILD.ts'), 'import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: "true" });\ncmd({ name: "y", srcs: [":x"], outs: ["y"], cmd: "true" });\n');
    timed(v === 'a' ? binA : binB, ['query', '//...'], ws, join(o.dir, `cache-small-${v}`));
  }
  for (let rep = 0; rep < o.smallReps; rep++) {
    for (const v of (rep % 2 === 0 ? ['a', 'b'] : ['b', 'a']) as ('a' | 'b')[]) {
      const ws = join(o.dir, `small-${v}`);
      appendFileSync(join(ws, 'a/BUILD.ts'), `// edit ${rep}\n`);
      small[v].push(timed(v === 'a' ? binA : binB, ['query', '//...'], ws, join(o.dir, `cache-small-${v}`)));
    }
  }
  rows.push(summary('2 targets, `xbuild query //...` after an edit', small.a, small.b));
  console.log(`\nA = ${o.baseline}, B = this checkout; medians of ${o.reps} (small: ${o.smallReps}), interleaved\n`);
  console.log('| what | A wall s | B wall s | B/A | A analysis s | B analysis s | B/A | A CPU s | B CPU s | B/A | peak RSS MB A / B | wall runs A / B |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main();
