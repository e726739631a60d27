// A rebuild after edited sources runs only what they reach, from the action index next to the
// up-to-date stamp (engine/incremental/incrementalBuild.ts), and leaves exactly what a full build would.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainWorkspace, TempWorkspace, type ReportJson } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());
const settle = () => new Promise((r) => setTimeout(r, 1200)); // past the 1 s "racy" window
const REACH_ONLY = /changed since the last build: running only what/;

/** Builds until the stamp holds (a no-op), so that the next build starts from it. */
async function stamped(): Promise<void> {
  await settle();
  await ws.build('//...');
  expect((await ws.build('//...')).stderr).toMatch(/up to date/);
}

describe('rebuilding only what edited files reach', () => {
  it('runs the readers of an edited file, then their consumers while outputs change, and cuts off when they do not', async () => {
    ws = chainWorkspace();
    await stamped();

    // b.txt feeds b and side; b's output changes, so c (its consumer) runs too.
    ws.write({ 'lib/b.txt': 'beta 2\n' });
    const edit = await ws.build('//...');
    expect(edit.code, edit.stderr).toBe(0);
    expect(edit.stderr).toMatch(REACH_ONLY);
    expect(edit.executed).toEqual(['//lib:b', '//lib:c', '//lib:side']);
    expect(edit.cached).toEqual(['//lib:a']);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA\nbeta 2\n');
    expect(ws.read('xbuild-out/lib/c.out').trim()).toBe('13');
    expect((JSON.parse((await ws.run(['report', '--json'])).stdout) as ReportJson).executed).toBe(3);

    // What it recorded holds: the edited file, read within its "racy" second, is checked by
    // content once more (nothing runs), then the build is up to date.
    await settle();
    expect((await ws.build('//...')).executed).toEqual([]);
    expect((await ws.build('//...')).stderr).toMatch(/up to date/);

    // Early cutoff: a.txt's case changes, a.out does not; b and c are not run.
    ws.write({ 'lib/a.txt': 'ALPHA\n' });
    const cutoff = await ws.build('//...');
    expect(cutoff.stderr).toMatch(REACH_ONLY);
    expect(cutoff.executed).toEqual(['//lib:a']);
    expect([ws.count('a'), ws.count('b'), ws.count('c')]).toEqual([2, 2, 2]);
    const report = JSON.parse((await ws.run(['report', '--json'])).stdout) as ReportJson;
    expect(report.targets.map((t) => `${t.status} ${t.label}`)).toEqual(['ok //lib:a', 'ok //lib:b', 'ok //lib:c', 'cached //lib:side']);

    // The keys recorded for later builds are the new ones: a full rebuild finds everything cached.
    await settle();
    const full = await ws.run(['build', '//...'], { XBUILD_NO_STAMP: '1' });
    expect(full.code).toBe(0);
    expect(full.executed).toEqual([]);
  });

  it('a failing action fails the build without a stamp; fixing the file builds again', async () => {
    ws = chainWorkspace();
    await stamped();
    ws.write({ 'lib/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", srcs: ["a.txt"], outs: ["a.out"], cmd: "grep -q alpha $< && tr a-z A-Z < $< > $@" });
` });
    await stamped();
    ws.write({ 'lib/a.txt': 'omega\n' });
    const broken = await ws.build('//...');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(REACH_ONLY);
    expect(broken.stderr).toMatch(/\/\/lib:a/);
    ws.write({ 'lib/a.txt': 'alpha again\n' });
    const fixed = await ws.build('//...');
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.executed).toEqual(['//lib:a']);
    expect(ws.read('xbuild-out/lib/a.out')).toBe('ALPHA AGAIN\n');
  });

  it('an edited or deleted output is restored from the cache, nothing runs', async () => {
    ws = chainWorkspace();
    await stamped();
    chmodSync(join(ws.root, 'xbuild-out/lib'), 0o755);
    rmSync(join(ws.root, 'xbuild-out/lib/c.out'), { force: true });
    chmodSync(join(ws.root, 'xbuild-out/lib/b.out'), 0o644);
    writeFileSync(join(ws.root, 'xbuild-out/lib/b.out'), 'tampered\n');
    const restored = await ws.build('//...');
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(REACH_ONLY);
    expect(restored.executed).toEqual([]);
    expect(ws.read('xbuild-out/lib/c.out').trim()).toBe('11'); // ALPHA\nbeta\n
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA\nbeta\n');
    expect([ws.count('a'), ws.count('b'), ws.count('c')]).toEqual([1, 1, 1]);
    await stamped();
  });

  it('keeps the stamps of the 8 most recent command lines, with their action indexes', async () => {
    ws = chainWorkspace();
    const sets = [['//lib:a'], ['//lib:b'], ['//lib:c'], ['//lib:side'], ['//lib:a', '//lib:b'], ['//lib:a', '//lib:c'], ['//lib:a', '//lib:side'],
      ['//lib:b', '//lib:c'], ['//lib:b', '//lib:side'], ['//lib:c', '//lib:side']];
    for (const patterns of sets) expect((await ws.build(...patterns)).code).toBe(0);
    const names = readdirSync(join(ws.root, '.xbuild/stamps'));
    const stamps = names.filter((n) => /^[0-9a-f]{32}$/.test(n));
    expect(stamps).toHaveLength(8);
    expect(names.filter((n) => n.endsWith('.actions')).sort()).toEqual(stamps.map((n) => `${n}.actions`).sort());
  });

  it('hands over to the full build when a changed output reaches more than 256 actions', async () => {
    // 300 consumers of one root: the root reruns here, its output changes, and its consumers
    // are too many for this path: the full build runs them (the root comes from the cache).
    const leaves = Array.from({ length: 300 }, (_, i) => `cmd({ name: "l${i}", srcs: [":root"], outs: ["l${i}.out"], cmd: "cat $< > $@; echo ${i} >> $@" });`);
    ws = new TempWorkspace();
    ws.write({
      'BUILD.ts': '// root\n',
      'fan/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "root", srcs: ["root.txt"], outs: ["root.out"], cmd: "cp $< $@" });\n${leaves.join('\n')}\n`,
      'fan/root.txt': 'one\n',
    });
    await stamped();
    ws.write({ 'fan/root.txt': 'two\n' });
    const r = await ws.build('//...');
    expect(r.code, r.stderr).toBe(0);
    expect(r.executed).toHaveLength(300);
    expect(r.cached).toEqual(['//fan:root']);
    expect(r.stderr).toMatch(/handing over to the full build/);
    expect(ws.read('xbuild-out/fan/l299.out')).toBe('two\n299\n');
    await stamped();
  });

  it('a file edited inside a source directory reruns the actions that take the directory', async () => {
    ws = new TempWorkspace();
    ws.write({
      'BUILD.ts': '// root\n',
      'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "d", srcs: ["data"], outs: ["d.out"], cmd: "cat $(SRCS)/sub/* > $@" });\n',
      'p/data/sub/a.txt': 'one\n',
    });
    await stamped();
    ws.write({ 'p/data/sub/a.txt': 'two\n' });
    await settle();
    const edited = await ws.build('//...');
    expect(edited.stderr).toMatch(REACH_ONLY);
    expect(edited.executed).toEqual(['//p:d']);
    expect(ws.read('xbuild-out/p/d.out')).toBe('two\n');
    // A new file changes a directory the package walk saw (it could be a new package): the
    // full path runs, with the same result.
    ws.write({ 'p/data/sub/b.txt': 'three\n' });
    await settle();
    const added = await ws.build('//...');
    expect(added.stderr).not.toMatch(REACH_ONLY);
    expect(added.executed).toEqual(['//p:d']);
    expect(ws.read('xbuild-out/p/d.out')).toBe('two\nthree\n');
  });
});
