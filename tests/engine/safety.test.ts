// Crash safety and concurrency: kill -9 mid-build, corrupted blobs, two builds at once.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { TempWorkspace, toResult } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

/** 24 independent actions and a final one over all of them, each with a known output. */
function fanWorkspace(): TempWorkspace {
  const w = new TempWorkspace();
  const n = 24;
  const parts = Array.from({ length: n }, (_, i) => `cmd({ name: "p${i}", outs: ["p${i}.txt"], cmd: "echo run >> ${w.counter(`p${i}`)}; sleep 0.05; head -c 300000 /dev/zero | tr '\\\\0' '${String.fromCharCode(97 + (i % 26))}' > $@" });`);
  w.write({
    'BUILD.ts': '',
    'fan/BUILD.ts': `import { cmd } from "xbuild";\n${parts.join('\n')}\ncmd({ name: "all-parts", srcs: [${Array.from({ length: n }, (_, i) => `":p${i}"`).join(', ')}], outs: ["sum.txt"], cmd: "cat $(SRCS) | sha256sum | cut -c1-64 > $@" });\n`,
  });
  return w;
}

function expectedSum(n = 24): string {
  const h = createHash('sha256');
  for (let i = 0; i < n; i++) h.update(Buffer.alloc(300000, String.fromCharCode(97 + (i % 26))));
  return h.digest('hex');
}

function blobFiles(cacheDir: string): string[] {
  const cas = join(cacheDir, 'cas');
  return readdirSync(cas).flatMap((shard) => readdirSync(join(cas, shard)).map((f) => join(cas, shard, f)));
}

describe('safety', () => {
  it('kill -9 at several moments mid-build, then a rebuild is correct', async () => {
    ws = fanWorkspace();
    for (const delayMs of [400, 900, 1500]) {
      const { proc } = ws.start(['build', '//fan:all-parts', '-j', '2']);
      await new Promise((r) => setTimeout(r, delayMs));
      proc.kill('SIGKILL');
      await proc;
    }
    const r = await ws.build('//fan:all-parts');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/fan/sum.txt').trim()).toBe(expectedSum());
    for (let i = 0; i < 24; i++) expect(statSync(join(ws.root, `xbuild-out/fan/p${i}.txt`)).size).toBe(300000);
    const again = await ws.build('//fan:all-parts');
    expect(again.executed).toEqual([]);
  });

  it('a corrupted blob is detected by its digest and rebuilt, never used', async () => {
    ws = fanWorkspace();
    expect((await ws.build('//fan:all-parts')).code).toBe(0);
    // Corrupt every stored blob of 300000 bytes (the p*.txt outputs), keeping their size.
    const victims = blobFiles(ws.cacheDir).filter((f) => statSync(f).size === 300000);
    expect(victims.length).toBe(24); // one distinct letter per part
    for (const v of victims) {
      chmodSync(v, 0o644);
      const b = readFileSync(v);
      b[1000] ^= 0xff;
      writeFileSync(v, b);
    }
    expect((await ws.run(['clean'])).code).toBe(0);
    const r = await ws.build('//fan:all-parts');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cached output blob was missing or corrupted/);
    expect(r.executed.length).toBeGreaterThanOrEqual(24);
    expect(ws.read('xbuild-out/fan/sum.txt').trim()).toBe(expectedSum());
    for (let i = 0; i < 24; i++) {
      const bytes = readFileSync(join(ws.root, `xbuild-out/fan/p${i}.txt`));
      expect(bytes.every((c) => c === 97 + (i % 26))).toBe(true);
    }
  });

  it('two concurrent builds on one workspace both end correct, each action running once', async () => {
    ws = fanWorkspace();
    const a = ws.start(['build', '//fan:all-parts', '-j', '2']);
    const b = ws.start(['build', '//fan:all-parts', '-j', '2']);
    const [ra, rb] = await Promise.all([a.proc, b.proc]);
    expect(ra.exitCode, String(ra.stderr)).toBe(0);
    expect(rb.exitCode, String(rb.stderr)).toBe(0);
    const resA = toResult(ra.exitCode!, String(ra.stdout), String(ra.stderr), a.eventsFile);
    const resB = toResult(rb.exitCode!, String(rb.stdout), String(rb.stderr), b.eventsFile);
    expect(resA.executed.length + resB.executed.length).toBe(25);
    expect(String(ra.stderr) + String(rb.stderr)).toContain('is using this workspace; waiting');
    for (let i = 0; i < 24; i++) expect(ws.count(`p${i}`)).toBe(1);
    expect(ws.read('xbuild-out/fan/sum.txt').trim()).toBe(expectedSum());
  });

  it('two workspaces sharing one cache directory build concurrently without corrupting it', async () => {
    ws = fanWorkspace();
    const other = new TempWorkspace({}, { cacheDir: ws.cacheDir });
    try {
      other.write({ 'BUILD.ts': '', 'fan/BUILD.ts': ws.read('fan/BUILD.ts') });
      const [ra, rb] = await Promise.all([ws.build('//fan:all-parts'), other.build('//fan:all-parts')]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(rb.code, rb.stderr).toBe(0);
      expect(other.read('xbuild-out/fan/sum.txt')).toBe(ws.read('xbuild-out/fan/sum.txt'));
      expect(existsSync(join(ws.cacheDir, 'cache.db'))).toBe(true);
    } finally {
      other.cleanup();
    }
  });

  it('an action that writes to a generated input fails, names it, and cannot damage the cache', async () => {
    ws = new TempWorkspace();
    ws.write({
      'BUILD.ts': '// root\n',
      'lib/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", outs: ["a.out"], cmd: "echo original > $@" });
cmd({ name: "b", srcs: [":a"], outs: ["b.out"], cmd: "chmod u+w $< || true; echo appended >> $<; cp $< $@" });
`,
    });
    const bad = await ws.build('//lib:b');
    expect(bad.code).toBe(1);
    expect(bad.failed).toEqual(['//lib:b']);
    // As root the sandbox uid cannot write the blob at all; as a normal user (it owns the blob's
    // uid) the write is detected after the command.
    if (process.getuid?.() === 0) expect(bad.stderr).toMatch(/xbuild-out\/lib\/a\.out: Permission denied/);
    else expect(bad.stderr).toMatch(/wrote to its input xbuild-out\/lib\/a\.out: inputs are read-only/);
    expect(ws.read('xbuild-out/lib/a.out')).toBe('original\n');

    // The rule fixed: b sees a's real output (the damaged blob was dropped, a ran again or came intact).
    ws.write({ 'lib/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", outs: ["a.out"], cmd: "echo original > $@" });
cmd({ name: "b", srcs: [":a"], outs: ["b.out"], cmd: "cp $< $@" });
` });
    const good = await ws.build('//lib:b');
    expect(good.code).toBe(0);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('original\n');
  });

  it('cache gc --max-size 0 during a build never removes what the build uses', async () => {
    ws = consumersWorkspace();
    const build = async (a: string, b: string) => {
      ws.write({ 'p/a.txt': a, 'p/b.txt': b });
      writeFileSync(ws.counter('go'), '');
      const r = await ws.build('//p:all', '-j', '2');
      rmSync(ws.counter('waiting'), { force: true });
      return r;
    };
    expect((await build('v1\n', 'x1\n')).code).toBe(0);
    expect((await build('v2\n', 'x2\n')).code).toBe(0);
    // s1 for v1 is now an old entry no newest build names: gc would take it, but this build
    // restores it and hands it to six consumers, which wait for the go file.
    ws.write({ 'p/a.txt': 'v1\n', 'p/b.txt': 'x3\n' });
    rmSync(ws.counter('go'), { force: true });
    // --keep-going: the full build (its scheduler), not the incremental one; every failure shows.
    const running = ws.start(['build', '//p:all', '-j', '2', '--keep-going']);
    try {
      // From the moment the first consumers run (s1 has been restored and is linked into them).
      for (let i = 0; i < 1200 && ws.count('waiting') === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(ws.count('waiting')).toBeGreaterThan(0);
      for (let i = 0; i < 2; i++) {
        const g = await ws.run(['cache', 'gc', '--max-size', '0']);
        expect(g.code, g.stderr).toBe(0);
      }
    } finally {
      writeFileSync(ws.counter('go'), '');
    }
    const r = await running.proc;
    const res = toResult(r.exitCode ?? -1, String(r.stdout), String(r.stderr), running.eventsFile);
    expect(res.stderr).not.toMatch(/wrote to its input|internal error|missing from the blob store/);
    expect(res.code, res.stderr).toBe(0);
    expect(res.cached).toEqual(['//p:s1']);
    expect(ws.read('xbuild-out/p/all.out')).toBe(expectedAll('v1\n', 'x3\n'));
  });

  it('clean --all refuses while a build of another workspace uses the cache, naming it; the build ends correct', async () => {
    ws = consumersWorkspace();
    const other = new TempWorkspace({ 'BUILD.ts': '' }, { cacheDir: ws.cacheDir });
    try {
      ws.write({ 'p/a.txt': 'v1\n', 'p/b.txt': 'x1\n' });
      const running = ws.start(['build', '//p:all', '-j', '2']);
      // Once its consumers run (and wait for the go file), clean --all from the other workspace.
      for (let i = 0; i < 1200 && ws.count('waiting') === 0; i++) await new Promise((r) => setTimeout(r, 50));
      let clean;
      try {
        clean = await other.run(['clean', '--all']);
      } finally {
        writeFileSync(ws.counter('go'), '');
      }
      expect(clean.code).toBe(2);
      expect(clean.stderr).toContain(`not removing the cache ${ws.cacheDir}: it is in use by`);
      expect(clean.stderr).toMatch(new RegExp(`pid \\d+ \\(xbuild build in ${ws.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const r = await running.proc;
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(ws.read('xbuild-out/p/all.out')).toBe(expectedAll('v1\n', 'x1\n'));
      // Once it is done, the cache can go.
      const after = await other.run(['clean', '--all']);
      expect(after.code, after.stderr).toBe(0);
      expect(existsSync(ws.cacheDir)).toBe(false);
    } finally {
      other.cleanup();
    }
  });
});

/**
 * s1 (from a.txt) feeds six consumers (each also reads b.txt) that wait for the `go` file
 * (ws.counter('go'); tests create it when they want them to go on); `all` concatenates them.
 */
function consumersWorkspace(): TempWorkspace {
  const w = new TempWorkspace();
  const n = 6;
  const fs = Array.from({ length: n }, (_, i) => `cmd({ name: "f${i}", srcs: [":s1", "b.txt"], outs: ["f${i}.out"], cmd: "echo run >> ${w.counter('waiting')}; while [ ! -e ${w.counter('go')} ]; do sleep 0.05; done; cat $(SRCS) > $@; echo ${i} >> $@" });`);
  w.write({
    'BUILD.ts': '',
    'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "s1", srcs: ["a.txt"], outs: ["s1.out"], cmd: "for i in 1 2 3 4 5 6 7 8; do cat $<; done > $@" });
${fs.join('\n')}
cmd({ name: "all", srcs: [${Array.from({ length: n }, (_, i) => `":f${i}"`).join(', ')}], outs: ["all.out"], cmd: "cat $(SRCS) > $@" });
`,
  });
  return w;
}

function expectedAll(a: string, b: string): string {
  const s1 = a.repeat(8);
  return Array.from({ length: 6 }, (_, i) => `${s1}${b}${i}\n`).join('');
}
