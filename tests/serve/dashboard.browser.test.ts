// The dashboard in a real browser (Debian's chromium, headless, driven by puppeteer-core)
// against real builds started by the test through the CLI: the server is started first, the
// page waits for a build, the counts move while it runs, a failing action shows up with its
// log tail and a working link to its whole log, the table filters, the timeline draws; a second
// build replaces the first on the open page and is compared with it (the failure is fixed).
// Screenshots during the build and after the failure go to tests/artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { REPO, TempWorkspace } from '../helpers/cli.js';
import { startServe, type Served } from '../helpers/serve.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'tests/artifacts');

const buildFile = (brokenCmd: string) => `import { cmd } from "xbuild";
${Array.from({ length: 10 }, (_, i) => `cmd({ name: "s${i}", outs: ["s${i}.out"], cmd: "sleep 0.4; echo ${i} > $@" });`).join('\n')}
cmd({ name: "chain", srcs: [":s0", ":s1"], outs: ["chain.out"], cmd: "sleep 0.4; cat $(SRCS) > $@" });
cmd({ name: "broken", outs: ["broken.out"], cmd: "${brokenCmd}" });
`;
const BROKEN = "sleep 1; echo compiling broken.c; echo 'broken.c:3: error: expected semicolon' >&2; exit 1";

let ws: TempWorkspace;
let served: Served;
let browser: Browser;
let page: Page;

const state = () => page.evaluate(() => {
  const x = (window as any).__xbuild;
  return { id: x.id as string | undefined, phase: x.summary?.phase as string | undefined, done: x.summary?.done as number | undefined, updates: x.updates as number };
});

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!existsSync(CHROMIUM))('the dashboard in chromium (needs Debian\'s chromium: scripts/setup-tests.sh)', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': buildFile(BROKEN) });
    served = await startServe(ws);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'xbuild-chromium-'))}`],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1100 });
  });
  afterAll(async () => {
    const dir = browser?.process()?.spawnargs.find((a) => a.startsWith('--user-data-dir='))?.slice(16);
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await served?.stop();
    ws?.cleanup();
  });

  it('follows a build from before it starts to its failure: counts move, the failure shows its log, table and timeline work', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(served.url);
    await until('the page to say there is no build yet', async () => (await page.$eval('#phase', (e) => e.textContent)) === 'no build yet');

    const build = ws.start(['build', '//p:all', '-k', '-j', '2']);
    // The counts move while it runs (the page is not reloaded).
    const seen = new Set<number>();
    await until('the counts to move during the build', async () => {
      const s = await state();
      if (s.phase === 'running' && s.done !== undefined) seen.add(s.done);
      return [...seen].filter((d) => d > 0).length >= 2;
    });
    expect((await state()).phase).toBe('running');
    await until('a running action listed with its elapsed time', () => page.$eval('#running', (e) => e.children.length > 0 && /\d+(\.\d)?s$/.test(e.textContent ?? '')));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-running.png') });

    // The failing action as it happens: its error, its log tail, the link to its whole log.
    const failure = await until('the failure to show up', () => page.$eval('#failures', (e) => e.querySelector('.failure')?.textContent ?? ''));
    expect(failure).toContain('//p:broken');
    expect(failure).toContain('exited with code 1');
    expect(failure).toContain('broken.c:3: error: expected semicolon');
    const href = await page.$eval('#failures .whole-log', (a) => (a as HTMLAnchorElement).href);
    const log = await page.evaluate((u) => fetch(u).then((r) => r.text()), href);
    expect(log).toContain('compiling broken.c');

    expect((await build.proc).exitCode).toBe(1);
    await until('the page to show the build failed', async () => (await state()).phase === 'failed');
    expect(await page.$eval('#done', (e) => e.textContent)).toBe('12');
    expect(await page.$eval('#failed', (e) => e.textContent)).toBe('1');

    // The table: every action, filtered by label and by state.
    const rowsShown = () => page.$$eval('#table .tabulator-row', (rs) => rs.map((r) => r.textContent ?? ''));
    await until('the table to list all 12 actions', async () => (await rowsShown()).length === 12);
    await page.type('#search', ':s3');
    await until('the label filter to apply', async () => (await rowsShown()).length === 1);
    expect((await rowsShown())[0]).toContain('//p:s3');
    expect(await page.$eval('#shown', (e) => e.textContent)).toBe('(1 of 12)');
    await page.$eval('#search', (e) => { (e as HTMLInputElement).value = ''; });
    await page.select('#status', 'failed');
    await until('the state filter to apply', async () => {
      const rows = await rowsShown();
      return rows.length === 1 && rows[0].includes('//p:broken');
    });
    await page.select('#status', '');

    // The timeline: every command that ran drawn in a slot lane, the critical path in its own.
    const timeline = await until('the timeline with the critical path', () => page.evaluate(() => {
      const x = (window as any).__xbuild;
      const opt = x.chart?.getOption();
      const n = (name: string) => opt?.series.find((s: any) => s.name === name)?.data.length ?? 0;
      return opt && n('critical') > 0 ? { spans: x.timelineSpans, failed: n('failed'), executed: n('executed') > 0, canvas: !!document.querySelector('#timeline canvas') } : undefined;
    }));
    expect(timeline).toEqual({ spans: 12, failed: 1, executed: true, canvas: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-failed.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows the next build on the open page and compares it with the last: the failure is fixed', async () => {
    const first = (await state()).id;
    ws.write({ 'p/BUILD.ts': buildFile('echo fine > $@') });
    const r = await ws.build('//p:all', '-k', '-j', '2');
    expect(r.code).toBe(0);
    await until('the page to switch to the new build and see it finish', async () => {
      const s = await state();
      return s.id !== first && s.phase === 'ok';
    });
    const fixed = await until('the comparison', () => page.$eval('#compare', (e) => e.querySelector('.fixed')?.textContent ?? ''));
    expect(fixed).toContain('fixed: 1');
    expect(fixed).toContain('//p:broken');
    expect(await page.$eval('#compare .newly', (e) => e.textContent)).toContain('newly failing: 0');
    expect(await page.$$eval('#failures .failure', (f) => f.length)).toBe(0);
  });
});
