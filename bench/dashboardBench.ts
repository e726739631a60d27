/**
 * What the build dashboard costs a build, and how fast its page loads.
 *
 * 1. Cold builds of the distribution-shaped graph (digest mode, `-j 2`, fresh cache each run),
 *    interleaved: `base` (an xbuild without the always-on event file, given by --base: the
 *    compiled checkout of the parent commit), `stream` (this xbuild: every build writes
 *    .xbuild/builds/<id>/events.ndjson) and `open` (this xbuild with `xbuild serve` running and
 *    the page open in headless chromium, following the build live). Then no-op builds of each.
 * 2. The page for a finished build of --page-size actions (a real cold build of that graph):
 *    from navigation start to the table rendered, and to the timeline drawn, in headless chromium.
 *
 *   node dist/bench/dashboardBench.js [--size 2600] [--reps 3] [--base /path/to/other/xbuild-checkout]
 *        [--page-size 20000] [--no-page] [--dir DIR]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import puppeteer, { type Browser } from 'puppeteer-core';
import { generateDistroGraph, writeXbuildWorkspace } from './distroGraph.js';
import { median, runXbuild, snapshotXbuild } from './benchRun.js';

const CHROMIUM = '/usr/bin/chromium';
const flag = (n: string): string | undefined => { const i = process.argv.indexOf(n); return i >= 0 ? process.argv[i + 1] : undefined; };
const size = Number(flag('--size') ?? 2600);
const reps = Number(flag('--reps') ?? 3);
const pageSize = Number(flag('--page-size') ?? 20000);
const dir = flag('--dir') ?? join(tmpdir(), 'xbuild-dashboard-bench');
const base = flag('--base');
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'xbuild-chromium-'))}`],
  });
}

/** `xbuild serve --port 0` in `ws`; resolves with its address and a stop function. */
function serve(xbuild: string, ws: string): Promise<{ url: string; stop: () => void }> {
  const p = spawn(process.execPath, [xbuild, 'serve', '--port', '0'], { cwd: ws, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((ok, bad) => {
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) ok({ url: out.split('\n')[0], stop: () => p.kill('SIGTERM') });
    });
    p.on('exit', (c) => bad(new Error(`xbuild serve exited ${c}`)));
  });
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
  const noop = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (let rep = 0; rep < reps; rep++) {
    // Rotate the order each round so drift in the machine's load does not favour one variant.
    const order = variants.map((_, i) => variants[(i + rep) % variants.length]);
    for (const [name, xbuild] of order) {
      const cache = join(dir, `cache-${name}`);
      fresh(ws, cache);
      let server: { url: string; stop: () => void } | undefined;
      let page;
      if (name === 'open') {
        server = await serve(xbuild, ws);
        page = await browser.newPage();
        await page.setViewport({ width: 1280, height: 1000 });
        await page.goto(server.url);
      }
      const r = runXbuild(ws, cache, 2, logs, `${name}-${rep}`, xbuild, false);
      if (page) {
        const seen = await page.evaluate(() => (window as any).__xbuild.updates as number);
        log(`  the open page got ${seen} live updates`);
        await page.close();
      }
      server?.stop();
      cold.get(name)!.push(r.seconds);
      log(`${name} cold ${r.seconds.toFixed(2)} s (${r.executed} executed)`);
      for (let i = 0; i < 3; i++) noop.get(name)!.push(runXbuild(ws, cache, 2, logs, `${name}-noop`, xbuild, false).seconds);
    }
  }
  const ref = median(cold.get('stream')!);
  console.log(`\n| ${size} targets, cold, -j2 (${reps} runs each, interleaved) | median s | runs | ratio to stream |\n|---|---|---|---|`);
  for (const [name] of variants) {
    const xs = cold.get(name)!;
    console.log(`| ${name} | ${median(xs).toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(', ')} | ${(median(xs) / ref).toFixed(3)} |`);
  }
  console.log(`\n| no-op (median of ${reps * 3}) | s |\n|---|---|`);
  for (const [name] of variants) console.log(`| ${name} | ${median(noop.get(name)!).toFixed(3)} |`);
}

async function pageLoad(browser: Browser): Promise<void> {
  const ws = join(dir, `ws-${pageSize}`), cache = join(dir, `cache-${pageSize}`), logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  fresh(ws, cache);
  writeXbuildWorkspace(generateDistroGraph({ size: pageSize, seed: 1 }), ws, 'digest');
  const xbuild = snapshotXbuild(join(dir, 'xbuild-page'));
  log(`cold build of ${pageSize} targets for the page...`);
  const r = runXbuild(ws, cache, 2, logs, `page-${pageSize}`, xbuild, false);
  log(`  ${r.seconds.toFixed(1)} s, ${r.executed} executed`);
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
  await overhead(browser);
  if (!process.argv.includes('--no-page')) await pageLoad(browser);
} finally {
  await browser.close();
}
