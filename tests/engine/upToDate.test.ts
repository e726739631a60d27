// The no-op fast path: an unchanged workspace is recognised by stats alone, and any change
// (source, BUILD file, output, new package) falls back to the full, correct path.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { chainWorkspace, type TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());
const settle = () => new Promise((r) => setTimeout(r, 1200)); // past the 1 s "racy" window

describe('up-to-date fast path', () => {
  it('a second build of an unchanged workspace stops at the stamp; any change is seen', async () => {
    ws = chainWorkspace();
    await settle();
    expect((await ws.build('//...')).code).toBe(0);
    const noop = await ws.build('//...');
    expect(noop.code).toBe(0);
    expect(noop.stderr).toMatch(/up to date, nothing changed \(4 actions\)/);
    expect(noop.executed).toEqual([]);
    expect(noop.cached).toEqual(['//lib:a', '//lib:b', '//lib:c', '//lib:side']);

    // An edited source: the full path runs, only the dependents rerun.
    ws.write({ 'lib/b.txt': 'beta 2\n' });
    const edit = await ws.build('//...');
    expect(edit.stderr).not.toMatch(/up to date/);
    expect(edit.executed).toEqual(['//lib:b', '//lib:c', '//lib:side']);

    // Early cutoff through the previous build's record: a.txt's case changes, a.out does not.
    await settle();
    await ws.build('//...');
    ws.write({ 'lib/a.txt': 'ALPHA\n' });
    const cutoff = await ws.build('//...');
    expect(cutoff.executed).toEqual(['//lib:a']);
    expect(cutoff.cached).toEqual(['//lib:b', '//lib:c', '//lib:side']);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA\nbeta 2\n');

    // A deleted output is restored.
    await settle();
    await ws.build('//...');
    chmodSync(join(ws.root, 'xbuild-out/lib'), 0o755);
    rmSync(join(ws.root, 'xbuild-out/lib/c.out'), { force: true });
    const restored = await ws.build('//...');
    expect(restored.stderr).not.toMatch(/up to date/);
    expect(restored.executed).toEqual([]);
    expect(ws.read('xbuild-out/lib/c.out').trim()).toBe('13');

    // A new package under //... is picked up.
    await settle();
    await ws.build('//...');
    ws.write({ 'extra/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "e", outs: ["e.txt"], cmd: "echo e > $@" });' });
    const added = await ws.build('//...');
    expect(added.executed).toEqual(['//extra:e']);

    // A changed BUILD file is re-evaluated.
    await settle();
    await ws.build('//...');
    ws.write({ 'extra/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "e", outs: ["e.txt"], cmd: "echo E > $@" });' });
    const rebuilt = await ws.build('//...');
    expect(rebuilt.executed).toEqual(['//extra:e']);
    expect(ws.read('xbuild-out/extra/e.txt')).toBe('E\n');
  });

  it('edits right after a build (within the racy second) are seen, and incremental stamps stay exact', async () => {
    ws = chainWorkspace();
    await settle();
    await ws.build('//...');
    await settle();
    expect((await ws.build('//...')).stderr).toMatch(/up to date/);

    // Edit, build at once, and edit again with the same size within the same second.
    ws.write({ 'lib/a.txt': 'alpha 1\n' });
    expect((await ws.build('//...')).executed).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    ws.write({ 'lib/a.txt': 'alpha 2\n' });
    const again = await ws.build('//...');
    expect(again.executed).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA 2\nbeta\n');

    // The racy file is checked again by content (nothing runs), then the stamp holds again.
    const recheck = await ws.build('//...');
    expect(recheck.executed).toEqual([]);
    await settle();
    await ws.build('//...');
    expect((await ws.build('//...')).stderr).toMatch(/up to date/);

    // A file changed after an incremental build is still seen (the carried-over entries are exact).
    ws.write({ 'lib/b.txt': 'beta 3\n' });
    expect((await ws.build('//...')).executed).toEqual(['//lib:b', '//lib:c', '//lib:side']);
    await settle();
    ws.write({ 'lib/a.txt': 'alpha 4\n' });
    expect((await ws.build('//...')).executed).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(ws.read('xbuild-out/lib/b.out')).toBe('ALPHA 4\nbeta 3\n');
  });
});
