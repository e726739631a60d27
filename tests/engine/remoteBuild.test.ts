// Cache sharing through the real CLI against a real nginx (WebDAV) started on 127.0.0.1.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startNginx, type NginxServer } from '../helpers/nginx.js';
import { TempWorkspace, XBUILD } from '../helpers/cli.js';

let nginx: NginxServer;
const keys: Record<string, { secretFile: string; pub: string }> = {};
let keyDir: TempWorkspace;

async function makeKey(name: string) {
  const r = await execa('node', [XBUILD, 'key', 'generate', '--name', name], { reject: false });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const secretFile = join(keyDir.scratch, `${name}.secret`);
  writeFileSync(secretFile, String(r.stdout), { mode: 0o600 });
  keys[name] = { secretFile, pub: String(r.stderr).trim().split('\n').pop()! };
}

beforeAll(async () => {
  nginx = await startNginx({ prefix: 'xsc' });
  keyDir = new TempWorkspace();
  await makeKey('buildserver-1');
  await makeKey('laptop-7');
});
afterAll(async () => {
  await nginx?.dispose();
  keyDir?.cleanup();
});

const workspaces: TempWorkspace[] = [];
beforeEach(() => {
  testNo++;
});
afterEach(() => {
  for (const w of workspaces.splice(0)) w.cleanup();
});

/**
 * A small graph with a mix of output sizes, commands counting their runs. The counter files
 * live in one shared place so that the same command line (hence the same key) is used by
 * every workspace of a test; `runs(name)` counts runs across them.
 */
let testNo = 0;
function project(): TempWorkspace {
  const ws = new TempWorkspace();
  workspaces.push(ws);
  const counters = join(keyDir.scratch, `t${testNo}`);
  ws.counter = (name: string) => join(counters + '-' + name);
  ws.write({
    'BUILD.ts': '',
    'app/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "big", srcs: ["seed.txt"], outs: ["big.bin"], cmd: "echo run >> ${ws.counter('big')}; for i in $(seq 200); do cat $<; done > $@; head -c 3000000 /dev/zero >> $@" });
cmd({ name: "small", srcs: ["seed.txt"], outs: ["small.txt"], cmd: "echo run >> ${ws.counter('small')}; tr a-z A-Z < $< > $@" });
cmd({ name: "tree", srcs: [":small"], outDirs: ["tree"], cmd: "echo run >> ${ws.counter('tree')}; mkdir -p $(RULEDIR)/tree/sub; cp $< $(RULEDIR)/tree/sub/a.txt; echo x > $(RULEDIR)/tree/b.txt" });
cmd({ name: "final", srcs: [":big", ":tree"], outs: ["final.txt"], cmd: "echo run >> ${ws.counter('final')}; find $(SRCS) -type f | sort | xargs cat | sha256sum | cut -c1-64 > $@" });
`,
    'app/seed.txt': 'seed of the build\n',
  });
  return ws;
}

const server = (extra: string[] = []) => [`--remote-cache=${nginx.baseUrl}`, ...extra];
const signing = () => server([`--sign-with=${keys['buildserver-1'].secretFile}`]);
const trusting = (name = 'buildserver-1') => server([`--trusted-key=${keys[name].pub}`]);

function casHashes(ws: TempWorkspace): string[] {
  const cas = join(ws.cacheDir, 'cas');
  return readdirSync(cas).flatMap((s) => readdirSync(join(cas, s)));
}

describe('remote cache through the CLI', () => {
  it('A builds and uploads; B (another directory and cache) builds with 0 actions and identical bytes', async () => {
    const a = project();
    const ra = await a.build('//app:final', ...signing());
    expect(ra.code, ra.stderr).toBe(0);
    expect(ra.executed.length).toBe(4);
    expect(ra.stderr).toMatch(/Cache: 0 local hits, 0 remote hits, 4 misses, .* downloaded, [\d.]+ MiB uploaded/);
    const b = project();
    const rb = await b.build('//app:final', ...trusting());
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.executed).toEqual([]);
    expect(rb.stderr).toMatch(/Cache: 0 local hits, 4 remote hits, 0 misses, [\d.]+ MiB downloaded, 0 B uploaded/);
    for (const f of ['big.bin', 'small.txt', 'final.txt', 'tree/sub/a.txt', 'tree/b.txt']) {
      expect(readFileSync(join(b.root, 'xbuild-out/app', f))).toEqual(readFileSync(join(a.root, 'xbuild-out/app', f)));
    }
    expect(['big', 'small', 'tree', 'final'].map((n) => b.count(n))).toEqual([1, 1, 1, 1]); // A's runs only
    const explain = await b.run(['explain', '//app:final']);
    expect(explain.stdout).toContain('remote cache hit (signed by buildserver-1');
  });

  it('an entry signed by an untrusted key is not used', async () => {
    const a = project();
    a.write({ 'app/seed.txt': 'untrusted seed\n' });
    expect((await a.build('//app:small', ...server([`--sign-with=${keys['laptop-7'].secretFile}`]))).code).toBe(0);
    const b = project();
    b.write({ 'app/seed.txt': 'untrusted seed\n' });
    const rb = await b.build('//app:small', ...trusting('buildserver-1'));
    expect(rb.code).toBe(0);
    expect(rb.executed).toEqual(['//app:small']);
    expect(rb.stderr).toMatch(/not used \(untrusted\): signed by laptop-7, which is not trusted/);
    const explain = await b.run(['explain', '//app:small']);
    expect(explain.stdout).toMatch(/cache: remote: untrusted/);
  });

  it('a tampered blob on the server is detected and the action runs locally', async () => {
    const a = project();
    a.write({ 'app/seed.txt': 'tamper seed\n' });
    expect((await a.build('//app:big', ...signing())).code).toBe(0);
    const bigHash = casHashes(a).find((h) => existsSync(join(a.cacheDir, 'cas', h.slice(0, 2), h)) && readFileSync(join(a.cacheDir, 'cas', h.slice(0, 2), h)).length > 3_000_000)!;
    nginx.tamper('cas', bigHash);
    const b = project();
    b.write({ 'app/seed.txt': 'tamper seed\n' });
    const rb = await b.build('//app:big', ...trusting());
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.executed).toEqual(['//app:big']);
    expect(rb.stderr).toMatch(/blob-corrupt/);
    expect(readFileSync(join(b.root, 'xbuild-out/app/big.bin'))).toEqual(readFileSync(join(a.root, 'xbuild-out/app/big.bin')));
  });

  it('an evicted blob is recovered from: the action runs locally, once', async () => {
    const a = project();
    a.write({ 'app/seed.txt': 'evict seed\n' });
    expect((await a.build('//app:small', ...signing())).code).toBe(0);
    const smallHash = casHashes(a).find((h) => readFileSync(join(a.cacheDir, 'cas', h.slice(0, 2), h), 'utf8') === 'EVICT SEED\n')!;
    nginx.evict('cas', smallHash);
    const b = project();
    b.write({ 'app/seed.txt': 'evict seed\n' });
    const rb = await b.build('//app:small', ...trusting());
    expect(rb.code).toBe(0);
    expect(rb.executed).toEqual(['//app:small']);
    expect(rb.stderr).toMatch(/blob-missing/);
    expect(b.read('xbuild-out/app/small.txt')).toBe('EVICT SEED\n');
  });

  it('a server that is down degrades to a local build with one warning', async () => {
    const a = project();
    a.write({ 'app/seed.txt': 'down seed\n' });
    await nginx.stop();
    try {
      const r = await a.build('//app:final', ...signing());
      expect(r.code, r.stderr).toBe(0);
      expect(r.executed.length).toBe(4);
      expect(r.stderr.match(/WARNING: remote cache .* is failing/g)?.length).toBe(1);
    } finally {
      await nginx.start();
    }
  });

  it('export from A, import into an empty C: C builds with 0 actions; a tampered archive is refused', async () => {
    const a = project();
    a.write({ 'app/seed.txt': 'closure seed\n' });
    expect((await a.build('//app:final')).code).toBe(0);
    const archive = join(a.scratch, 'closure.tar');
    const ex = await a.run(['cache', 'export', '//app:final', '-o', archive, `--sign-with=${keys['buildserver-1'].secretFile}`]);
    expect(ex.code, ex.stderr).toBe(0);
    const c = project();
    c.write({ 'app/seed.txt': 'closure seed\n' });
    const bad = Buffer.from(readFileSync(archive));
    bad[Math.floor(bad.length / 2)] ^= 0x55; // inside the 3 MB blob
    const badArchive = join(a.scratch, 'bad.tar');
    writeFileSync(badArchive, bad);
    const rejected = await c.run(['cache', 'import', badArchive, `--trusted-key=${keys['buildserver-1'].pub}`]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('nothing was written');
    const untrusted = await c.run(['cache', 'import', archive, `--trusted-key=${keys['laptop-7'].pub}`]);
    expect(untrusted.code).toBe(1);
    const im = await c.run(['cache', 'import', archive, `--trusted-key=${keys['buildserver-1'].pub}`]);
    expect(im.code, im.stderr).toBe(0);
    const rc = await c.build('//app:final');
    expect(rc.code).toBe(0);
    expect(rc.executed).toEqual([]);
    expect(c.read('xbuild-out/app/final.txt')).toBe(a.read('xbuild-out/app/final.txt'));
  });

  it('gc keeps the newest build outputs and evicts older ones', async () => {
    const a = project();
    a.write({ 'app/seed.txt': 'old seed\n' });
    expect((await a.build('//app:final')).code).toBe(0);
    a.write({ 'app/seed.txt': 'new seed\n' });
    expect((await a.build('//app:final')).code).toBe(0);
    const gc = await a.run(['cache', 'gc', '--max-size', '1K']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/removed [1-9]\d* blobs/);
    await a.run(['clean']);
    const r = await a.build('//app:final');
    expect(r.executed).toEqual([]);
    a.write({ 'app/seed.txt': 'old seed\n' });
    const old = await a.build('//app:final');
    expect(old.executed.length).toBeGreaterThan(0);
    const stats = await a.run(['cache', 'stats']);
    expect(stats.stdout).toMatch(/action cache: +\d+ entries/);
  });

  it('an action that writes its input in place (same size, mtime restored) is neither signed nor uploaded', async () => {
    const a = new TempWorkspace();
    workspaces.push(a);
    a.write({
      'BUILD.ts': '',
      'app/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "src", outs: ["src.txt"], cmd: "printf 'trusted bytes of ${testNo}\\n' > $@" });
cmd({ name: "use", srcs: [":src", "evil.sh"], outs: ["use.txt"], cmd: "bash $(location evil.sh) $(location :src) $@" });
`,
      'app/evil.sh': `t=$(stat -c %y "$1"); printf 'EVIL' | dd of="$1" bs=1 seek=0 count=4 conv=notrunc 2>/dev/null; touch -d "$t" "$1"; cp "$1" "$2"\n`,
    });
    // Sandboxed, the write is refused outright (tests/engine/actionIsolation.test.ts); without the
    // sandbox the check of every linked blob after the command must catch it before signing.
    const r = await a.run(['build', '//app:use', ...signing()], { XBUILD_SANDBOX: 'none' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/wrote to its input xbuild-out\/app\/src\.txt/);
    const fin = r.events.filter((e) => e.type === 'action_finished');
    const src = fin.find((e) => e.label === '//app:src')!;
    const use = fin.find((e) => e.label === '//app:use')!;
    expect(use.status).toBe('failed');
    await new Promise((res) => setTimeout(res, 100));
    expect(nginx.has('ac', src.key)).toBe(true);
    expect(nginx.has('ac', use.key)).toBe(false);
    // The source's blob on the server holds the bytes its name says.
    const srcEntry = JSON.parse(readFileSync(nginx.pathOf('ac', src.key), 'utf8'));
    const blob = readFileSync(nginx.pathOf('cas', srcEntry.result.outputs[0].digest.hash));
    expect(blob.toString()).toBe(`trusted bytes of ${testNo}\n`);
  });
});
