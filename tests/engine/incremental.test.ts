// Incremental builds through the real CLI: no-op, exact rebuilds, early cutoff, outputs.
import { afterEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { chainWorkspace, type ReportJson, type TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

describe('incremental builds', () => {
  it('builds once, then a second build runs 0 actions', async () => {
    ws = chainWorkspace();
    const first = await ws.build('//lib:c');
    expect(first.code, first.stderr).toBe(0);
    expect(first.executed).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA\nbeta\n');
    expect(ws.read('xbuild-out/lib/c.out').trim()).toBe('11');
    expect(first.stderr).toMatch(/Build OK .*Outputs: xbuild-out\/lib\/c\.out/);
    // build_finished tells the CPU time of xbuild's own process, apart from the commands it ran.
    const cpu = first.events.find((e) => e.type === 'build_finished')?.engineCpuMs;
    expect(cpu?.user).toBeGreaterThan(0);
    expect(cpu?.system).toBeGreaterThanOrEqual(0);

    const second = await ws.build('//lib:c');
    expect(second.code).toBe(0);
    expect(second.executed).toEqual([]);
    expect(second.cached).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect([ws.count('a'), ws.count('b'), ws.count('c')]).toEqual([1, 1, 1]);
  });

  it('editing one source reruns exactly the actions that depend on it', async () => {
    ws = chainWorkspace();
    expect((await ws.build('//lib:c', '//lib:side')).code).toBe(0);
    ws.write({ 'lib/b.txt': 'BETA!\n' });
    const r = await ws.build('//lib:c', '//lib:side');
    expect(r.code, r.stderr).toBe(0);
    expect(r.executed).toEqual(['//lib:b', '//lib:c', '//lib:side']);
    expect(ws.count('a')).toBe(1);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA\nBETA!\n');
    // Each target is "ok" when something it depends on ran, "cached" when nothing did.
    const a = await ws.build('//lib:a', '//lib:c');
    expect(a.executed).toEqual([]);
    ws.write({ 'lib/a.txt': 'alpha 2\n' });
    await ws.build('//lib:a', '//lib:side');
    const report = JSON.parse((await ws.run(['report', '--json'])).stdout) as ReportJson;
    expect(report.targets.map((t) => `${t.status} ${t.label}`)).toEqual(['ok //lib:a', 'cached //lib:side']);
  });

  it('cuts off early when a rebuilt action produces identical bytes', async () => {
    ws = chainWorkspace();
    expect((await ws.build('//lib:c')).code).toBe(0);
    // a.out is upper-cased a.txt: changing the case of the source changes a, not a.out.
    ws.write({ 'lib/a.txt': 'ALPHA\n' });
    const r = await ws.build('//lib:c');
    expect(r.code).toBe(0);
    expect(r.executed).toEqual(['//lib:a']);
    expect(r.cached).toEqual(['//lib:b', '//lib:c']);
    expect([ws.count('a'), ws.count('b'), ws.count('c')]).toEqual([2, 1, 1]);
  });

  it('touching a file without changing it reruns nothing', async () => {
    ws = chainWorkspace();
    expect((await ws.build('//lib:c')).code).toBe(0);
    ws.write({ 'lib/a.txt': 'alpha\n' });
    const r = await ws.build('//lib:c');
    expect(r.executed).toEqual([]);
  });

  it('writes outputs read-only under xbuild-out/<package>/ and restores deleted ones from the cache', async () => {
    ws = chainWorkspace();
    expect((await ws.build('//lib:b')).code).toBe(0);
    const mode = statSync(join(ws.root, 'xbuild-out/lib/b.out')).mode & 0o777;
    expect(mode & 0o222).toBe(0);
    const clean = await ws.run(['clean']);
    expect(clean.code).toBe(0);
    expect(ws.exists('xbuild-out')).toBe(false);
    const r = await ws.build('//lib:b');
    expect(r.executed).toEqual([]);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA\nbeta\n');
  });

  it('changing a command line reruns that action and explain says why', async () => {
    ws = chainWorkspace();
    expect((await ws.build('//lib:side')).code).toBe(0);
    ws.write({ 'lib/BUILD.ts': ws.read('lib/BUILD.ts').replace('cp $< $@', 'cat $< > $@') });
    const r = await ws.build('//lib:side');
    expect(r.executed).toEqual(['//lib:side']);
    const explain = await ws.run(['explain', '//lib:side']);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('command line changed');
    ws.write({ 'lib/b.txt': 'other\n' });
    await ws.build('//lib:side');
    expect((await ws.run(['explain', '//lib:side'])).stdout).toMatch(/input lib\/b\.txt changed/);
  });

  it('--dry-run says what would run and why, and runs nothing', async () => {
    ws = chainWorkspace();
    expect((await ws.build('//lib:c')).code).toBe(0);
    ws.write({ 'lib/b.txt': 'changed\n' });
    const r = await ws.run(['build', '//lib:c', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RUN +Cmd \/\/lib:b: input lib\/b\.txt changed/);
    expect(r.stdout).toMatch(/RUN +Cmd \/\/lib:c: depends on \/\/lib:b/);
    expect(r.stdout).toMatch(/2 actions would run, 1 cached/);
    expect(ws.count('b')).toBe(1);
  });

  it('builds patterns //... and //pkg:all', async () => {
    ws = chainWorkspace();
    const r = await ws.build('//...');
    expect(r.code).toBe(0);
    expect(r.executed).toEqual(['//lib:a', '//lib:b', '//lib:c', '//lib:side']);
    const all = await ws.build('//lib:all');
    expect(all.executed).toEqual([]);
  });
});
