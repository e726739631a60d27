// The up-to-date stamp's stat check, with its helper thread: every entry is checked by one of the
// two threads, a change anywhere is found, and the binary file round-trips odd paths.
// Imports the compiled code: the helper thread runs dist/engine/incremental/stampCheckWorker.js.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStamp, StampRecorder } from '../../dist/engine/incremental/upToDate.js';
import { startEarlyHelper } from '../../dist/engine/incremental/stampHelper.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A workspace of `n` files in 100 directories, with times in the past (not "racy"). */
function workspace(n: number): { root: string; files: string[]; dirs: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'xbuild-stamp-'));
  dirs.push(root);
  const files: string[] = [], subdirs: string[] = [];
  const old = new Date(Date.now() - 60_000);
  for (let d = 0; d < 100; d++) {
    const dir = join(root, `d${d}`);
    mkdirSync(dir);
    subdirs.push(dir);
  }
  for (let i = 0; i < n; i++) {
    const f = join(subdirs[i % 100], `f${i}.c`);
    writeFileSync(f, `${i}\n`);
    utimesSync(f, old, old);
    files.push(f);
  }
  return { root, files, dirs: subdirs };
}

function record(root: string, structure: string[], files: string[], stampFile: string): void {
  const rec = new StampRecorder(root);
  for (const p of structure) rec.add(p, true, false);
  rec.section = 'file';
  for (const p of files) rec.add(p, true, false); // racy files are the CLI tests' matter
  expect(rec.write(stampFile, 0, [])).toBe(true);
}

describe('stamp check', () => {
  it('with a helper thread, finds one changed file among 6,000 and shares the work', async () => {
    const ws = workspace(6000);
    const stampFile = join(ws.root, '.xbuild/stamps/s');
    record(ws.root, ws.dirs, ws.files, stampFile);
    const clean = checkStamp(stampFile, 0);
    expect(clean.kind).toBe('up-to-date');

    // The last file is in the helper's likely share; the first in the main thread's.
    for (const changed of [ws.files[ws.files.length - 1], ws.files[0], ws.files[3001]]) {
      const st = new Date(Date.now() - 30_000);
      utimesSync(changed, st, st);
      const check = checkStamp(stampFile, 0);
      expect(check.kind).toBe('files-changed');
      if (check.kind !== 'files-changed') return;
      expect([...check.changed]).toEqual([changed]);
      record(ws.root, ws.dirs, ws.files, stampFile);
    }

    // The helper takes part: started early (as a build command does) so that it is up in time.
    let helped = 0;
    for (let i = 0; i < 5 && !helped; i++) {
      startEarlyHelper(join(ws.root, '.xbuild'), 0);
      await new Promise((r) => setTimeout(r, 300));
      const check = checkStamp(stampFile, 0);
      if (check.kind === 'up-to-date') helped = check.checkedByHelper;
    }
    expect(helped).toBeGreaterThan(0);
  });

  it('a changed directory (structure) makes the stamp stale; a missing one too', () => {
    const ws = workspace(300);
    const stampFile = join(ws.root, '.xbuild/stamps/s');
    record(ws.root, ws.dirs, ws.files, stampFile);
    writeFileSync(join(ws.dirs[99], 'new.c'), 'x');
    expect(checkStamp(stampFile, 0).kind).toBe('stale');
    record(ws.root, ws.dirs, ws.files, stampFile);
    rmSync(ws.dirs[50], { recursive: true });
    expect(checkStamp(stampFile).kind).toBe('stale');
  });

  it('round-trips paths outside the root, the root itself and non-ASCII names; sorts them', () => {
    const ws = workspace(10);
    const outside = workspace(2);
    const odd = join(ws.root, 'd1', 'ünïcødé ✓.c');
    writeFileSync(odd, 'x');
    const old = new Date(Date.now() - 60_000);
    utimesSync(odd, old, old);
    const stampFile = join(ws.root, '.xbuild/stamps/s');
    mkdirSync(join(ws.root, '.xbuild/stamps'), { recursive: true }); // before the root's stat is taken
    record(ws.root, [ws.root, ...ws.dirs.slice(0, 3)], [odd, ...outside.files, ...ws.files.slice(0, 3)], stampFile);
    const check0 = checkStamp(stampFile);
    const stamp = check0.kind === 'stale' ? undefined! : check0.stamp;
    const paths = Array.from({ length: stamp.files.count }, (_, i) => stamp.files.pathAt(i));
    expect(paths).toEqual([odd, ...outside.files, ...ws.files.slice(0, 3)].sort());
    expect(Array.from({ length: stamp.structure.count }, (_, i) => stamp.structure.pathAt(i))).toEqual([ws.root, ...ws.dirs.slice(0, 3)].sort());
    expect(checkStamp(stampFile, 0).kind).toBe('up-to-date');
    writeFileSync(odd, 'changed');
    const check = checkStamp(stampFile, 0);
    expect(check.kind === 'files-changed' && [...check.changed]).toEqual([odd]);
    writeFileSync(outside.files[1], 'changed too');
    const again = checkStamp(stampFile);
    expect(again.kind === 'files-changed' && [...again.changed].sort()).toEqual([odd, outside.files[1]].sort());
    // The process's directory is left as it was.
    expect(process.cwd()).not.toBe(ws.root);
  });

  it('a truncated or foreign stamp file is stale, not an error', () => {
    const ws = workspace(50);
    const stampFile = join(ws.root, '.xbuild/stamps/s');
    record(ws.root, ws.dirs, ws.files, stampFile);
    const full = readFileSync(stampFile);
    writeFileSync(stampFile, full.subarray(0, full.length - 3));
    expect(checkStamp(stampFile).kind).toBe('stale');
    writeFileSync(stampFile, '{"version":"xbuild-stamp-v4"}');
    expect(checkStamp(stampFile).kind).toBe('stale');
  });
});
