/**
 * What the build dashboard costs a build, and how fast its page loads.
 *
 * 1. Cold builds of the distribution-shaped graph (digest mode, `-j 2`, fresh cache each run),
 *    interleaved: `base` (an xbuild without the always-on event file, given by --base: the
 *    compiled checkout of the parent commit), `stream` (this xbuild: every build writes
 *    .xbuild/builds/<id>/events.ndjson) and `open` (this xbuild with `xbuild serve` running and
 *    the page open in headless chromium, following the build live). Then no-op builds of each.
 * 2. The page for a finished build of --page-size actions: from navigation start to the table
 *    rendered, and to the timeline drawn, in headless chromium. With --real-page-build the build is
 *    a real cold build of that graph (half an hour at 20,000 on a busy machine); by default its
 *    event file is written here, line for line as the engine writes one, for the same graph
 *    scheduled on two slots with the graph's sleep-mode durations, five failures and their
 *    dependents skipped.
 *
 *   node dist/bench/dashboardBench.js [--size 2600] [--reps 3] [--base /path/to/other/xbuild-checkout]
 *        [--page-size 20000] [--real-page-build] [--no-overhead] [--no-page] [--browser-nice N] [--dir DIR]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import puppeteer, { type Browser } from 'puppeteer-core';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { generateDistroGraph, writeXbuildWorkspace, type DistroGraph } from './distroGraph.js';
import { median, runXbuild, snapshotXbuild } from './benchRun.js';

const CHROMIUM = '/usr/bin/chromium';
const flag = (n: string): string | undefined => { const i = process.argv.indexOf(n); return i >= 0 ? process.argv[i + 1] : undefined; };
const size = Number(flag('--size') ?? 2600);
const reps = Number(flag('--reps') ?? 3);
const pageSize = Number(flag('--page-size') ?? 20000);
const dir = flag('--dir') ?? join(tmpdir(), 'xbuild-dashboard-bench');
const base = flag('--base');
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

/**
 * `--browser-nice N` starts chromium at that nice level: with 19 it stands for the user's browser
 * on another machine (over `ssh -L`), taking only CPU the build leaves idle; at 0 (the default) it
 * competes with the build for the same two cores.
 */
const browserNice = Number(flag('--browser-nice') ?? 0);

async function launch(): Promise<Browser> {
  let executablePath = CHROMIUM;
  if (browserNice) {
    executablePath = join(mkdtempSync(join(tmpdir(), 'xbuild-nice-chromium-')), 'chromium');
    writeFileSync(executablePath, `#!/bin/sh\nexec nice -n ${browserNice} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  }
  return puppeteer.launch({
    executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'xbuild-chromium-'))}`],
  });
}

/** `xbuild serve --port 0` in `ws`; resolves with its address and a stop function. */
function serve(xbuild: string, ws: string): Promise<{ url: string; stop: () => void; cpuS: () => number }> {
  const p = spawn(process.execPath, [xbuild, 'serve', '--port', '0'], { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((ok, bad) => {
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) ok({ url: out.split('\n')[0], stop: () => p.kill('SIGTERM'), cpuS: () => processCpuS(p.pid!) });
    });
    p.on('exit', (c) => bad(new Error(`xbuild serve exited ${c}: ${err}`)));
  });
}

/** CPU seconds used so far by every chromium process alive now (the browser and its renderers). */
function chromiumCpuS(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'chromium') total += processCpuS(Number(pid));
    } catch { /* gone */ }
  }
  return total;
}

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat). */
function processCpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function fresh(ws: string, cache: string): void {
  rmSync(join(ws, '.xbuild'), { recursive: true, force: true });
  rmSync(join(ws, 'xbuild-out'), { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
}

async function overhead(browser: Browser): Promise<void> {
  const ws = join(dir, `ws-${size}`), logs = join(dir, 'logs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  writeXbuildWorkspace(generateDistroGraph({ size, seed: 1 }), ws, 'digest');
  const mine = snapshotXbuild(join(dir, 'xbuild-mine'));
  const variants: [string, string][] = [['stream', mine], ['open', mine]];
  if (base) variants.unshift(['base', join(base, 'bin/xbuild.js')]);
  const cold = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  const engineCpu = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  const serverCpu: number[] = [], browserCpu: number[] = [];
  const noop = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (let rep = 0; rep < reps; rep++) {
    // Rotate the order each round so drift in the machine's load does not favour one variant.
    const order = variants.map((_, i) => variants[(i + rep) % variants.length]);
    for (const [name, xbuild] of order) {
      const cache = join(dir, `cache-${name}`);
      fresh(ws, cache);
      let server: Awaited<ReturnType<typeof serve>> | undefined;
      let page;
      if (name === 'open') {
        server = await serve(xbuild, ws);
        page = await browser.newPage();
        await page.setViewport({ width: 1280, height: 1000 });
        await page.goto(server.url);
      }
      const cpu0 = server?.cpuS() ?? 0, browser0 = chromiumCpuS();
      const r = runXbuild(ws, cache, 2, logs, `${name}-${rep}`, xbuild, true);
      if (server) {
        serverCpu.push(server.cpuS() - cpu0);
        browserCpu.push(chromiumCpuS() - browser0);
      }
      if (page) {
        const seen = await page.evaluate(() => (window as any).__xbuild.updates as number);
        log(`  the open page got ${seen} live updates`);
        await page.close();
      }
      server?.stop();
      cold.get(name)!.push(r.seconds);
      engineCpu.get(name)!.push(r.engineCpuS ?? NaN);
      log(`${name} cold ${r.seconds.toFixed(2)} s (${r.executed} executed), xbuild's own CPU ${r.engineCpuS?.toFixed(2)} s, machine load ${r.machineCpuS.toFixed(0)} CPU-s${server ? `, xbuild serve's CPU ${serverCpu.at(-1)!.toFixed(2)} s, chromium's ${browserCpu.at(-1)!.toFixed(1)} s` : ''}`);
      for (let i = 0; i < 3; i++) noop.get(name)!.push(runXbuild(ws, cache, 2, logs, `${name}-noop`, xbuild, false).seconds);
    }
  }
  const ref = median(cold.get('stream')!), cpuRef = median(engineCpu.get('stream')!);
  console.log(`\n| ${size} targets, cold, -j2 (${reps} runs each, interleaved) | wall median s | runs | ratio to stream | xbuild's own CPU, median s | ratio to stream |\n|---|---|---|---|---|---|`);
  for (const [name] of variants) {
    const xs = cold.get(name)!, cs = engineCpu.get(name)!;
    console.log(`| ${name} | ${median(xs).toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(', ')} | ${(median(xs) / ref).toFixed(3)} | ${median(cs).toFixed(2)} | ${(median(cs) / cpuRef).toFixed(3)} |`);
  }
  console.log(`\nDuring an open build (chromium at nice ${browserNice}): xbuild serve's CPU ${serverCpu.map((x) => x.toFixed(2)).join(', ')} s; chromium's ${browserCpu.map((x) => x.toFixed(1)).join(', ')} s`);
  console.log(`\n| no-op (median of ${reps * 3}) | s |\n|---|---|`);
  for (const [name] of variants) console.log(`| ${name} | ${median(noop.get(name)!).toFixed(3)} |`);
}

/**
 * The event file of a finished build of `g` at -j2, as engine/report/buildStream.ts writes one: each
 * action starts when its dependencies have ended and a slot is free, and takes its sleep-mode
 * duration; five actions fail (with a log tail) and what depends on them is skipped.
 */
function writeSimulatedBuild(g: DistroGraph, ws: string): void {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const id = `${new Date(t0).toISOString().replace(/[:.]/g, '-')}-1`;
  const dirOf = join(ws, '.xbuild', 'builds', id);
  mkdirSync(dirOf, { recursive: true });
  const label = (i: number) => `//${g.nodes[i].pkg}:${g.nodes[i].name}`;
  const aid = (i: number) => `${label(i)}#0`;
  const lines: object[] = [{ t: t0, type: 'build_started', patterns: ['//...'], jobs: 2, time: t0 },
    { t: t0 + 900, type: 'analysis_finished', targets: g.size, actions: g.size, fromCache: false, ms: 900 },
    { t: t0 + 950, type: 'build_planned', actions: g.size, jobs: 2, estimates: Object.fromEntries(g.nodes.map((n) => [aid(n.index), n.sleepMs])) }];
  const failing = new Set([Math.floor(g.size * 0.2), Math.floor(g.size * 0.4), Math.floor(g.size * 0.6), Math.floor(g.size * 0.8), g.size - 1]);
  const end: number[] = [], bad = new Set<number>();
  const slots = [t0 + 1000, t0 + 1000];
  const timed: { t: number; e: object }[] = [];
  let executed = 0, failed = 0, skipped = 0;
  for (const n of g.nodes) {
    const because = n.deps.find((d) => bad.has(d));
    if (because !== undefined) {
      bad.add(n.index);
      skipped++;
      timed.push({ t: end[because] ?? t0, e: { type: 'action_skipped', id: aid(n.index), label: label(n.index), mnemonic: 'Cmd', because: aid(because), becauseLabel: label(because) } });
      continue;
    }
    const lane = slots[0] <= slots[1] ? 0 : 1;
    const start = Math.max(slots[lane], ...n.deps.map((d) => end[d] ?? 0));
    end[n.index] = slots[lane] = start + n.sleepMs + 3;
    timed.push({ t: start, e: { type: 'action_started', id: aid(n.index), label: label(n.index), mnemonic: 'Cmd', progress: `Cmd ${label(n.index)}`, time: start } });
    const fails = failing.has(n.index);
    if (fails) { bad.add(n.index); failed++; } else executed++;
    timed.push({ t: end[n.index], e: { type: 'action_finished', id: aid(n.index), label: label(n.index), mnemonic: 'Cmd', status: fails ? 'failed' : 'executed', key: 'k'.repeat(64), durationMs: n.sleepMs,
      ...(fails ? { error: 'exited with code 1', exitCode: 1, logPath: join(ws, '.xbuild/logs', `${n.pkg}__${n.name}.0.Cmd.log`), logTail: Array.from({ length: 20 }, (_, k) => `${n.name}.c:${k + 1}: error: something is wrong here`).join('\n') } : {}) } });
  }
  timed.sort((a, b) => a.t - b.t);
  const last = timed.at(-1)!.t;
  for (const { t, e } of timed) lines.push({ t, ...e });
  lines.push({ t: last + 5, type: 'build_finished', ok: false, executed, cached: 0, failed, skipped, durationMs: last + 5 - t0, outputs: [], outDir: join(ws, 'xbuild-out') });
  const crit: string[] = [];
  let cur = end.reduce((best, e, i) => (e !== undefined && (best < 0 || e > end[best]) ? i : best), -1);
  while (cur >= 0) {
    crit.push(aid(cur));
    cur = g.nodes[cur].deps.filter((d) => end[d] !== undefined && !bad.has(d)).reduce((best, d) => (best < 0 || end[d] > end[best] ? d : best), -1);
  }
  lines.push({ t: last + 6, type: 'critical_path', ids: crit });
  writeFileSync(join(dirOf, 'events.ndjson'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  writeFileSync(join(ws, '.xbuild', 'builds', 'latest'), id);
}

async function pageLoad(browser: Browser): Promise<void> {
  const ws = join(dir, `ws-${pageSize}`), cache = join(dir, `cache-${pageSize}`), logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  fresh(ws, cache);
  const g = generateDistroGraph({ size: pageSize, seed: 1 });
  writeXbuildWorkspace(g, ws, 'digest');
  const xbuild = snapshotXbuild(join(dir, 'xbuild-page'));
  if (process.argv.includes('--real-page-build')) {
    log(`cold build of ${pageSize} targets for the page...`);
    const r = runXbuild(ws, cache, 2, logs, `page-${pageSize}`, xbuild, false);
    log(`  ${r.seconds.toFixed(1)} s, ${r.executed} executed`);
  } else writeSimulatedBuild(g, ws);
  const server = await serve(xbuild, ws);
  const table: number[] = [], timeline: number[] = [];
  for (let i = 0; i < 4; i++) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto(server.url);
    await page.waitForFunction(() => (window as any).__xbuild.tableRenderedAt && (window as any).__xbuild.timelineDrawnAt, { timeout: 60_000 });
    const t = await page.evaluate(() => ({ table: (window as any).__xbuild.tableRenderedAt as number, timeline: (window as any).__xbuild.timelineDrawnAt as number, rows: (window as any).__xbuild.rows.size as number, spans: (window as any).__xbuild.timelineSpans as number }));
    log(`  load ${i}: table ${t.table.toFixed(0)} ms, timeline ${t.timeline.toFixed(0)} ms (${t.rows} rows, ${t.spans} spans)`);
    if (i > 0) { table.push(t.table); timeline.push(t.timeline); } // the first load also fills chromium's caches
    await page.close();
  }
  server.stop();
  console.log(`\n| page of a finished ${pageSize}-action build (headless chromium, median of 3 after a first load) | ms |\n|---|---|`);
  console.log(`| navigation start -> table rendered | ${median(table).toFixed(0)} |\n| navigation start -> timeline drawn | ${median(timeline).toFixed(0)} |`);
}

const browser = await launch();
try {
  if (!process.argv.includes('--no-overhead')) await overhead(browser);
  if (!process.argv.includes('--no-page')) await pageLoad(browser);
} finally {
  await browser.close();
}
