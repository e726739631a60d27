// The blob store's trust in bytes it hashed: held only while the blob file's stat is unchanged.
import { afterAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTemp, newStore, tempDir } from '../remote/fixtures.js';
import type { Sha256 } from '../../cache/digest.js';

afterAll(() => cleanupTemp());

/** Writes `text` at offset 0 of `path` in place (same inode, same size), then puts its mtime back to the nanosecond. */
function overwriteKeepingMtime(path: string, text: string): void {
  const mtime = execFileSync('stat', ['-c', '%y', path], { encoding: 'utf8' }).trim();
  chmodSync(path, 0o644);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from(text), 0, text.length, 0);
  closeSync(fd);
  chmodSync(path, 0o444);
  execFileSync('touch', ['-d', mtime, path]);
}

describe('blob store trust', () => {
  test('an input written in place through its link, mtime restored, is caught after the action', () => {
    const store = newStore('bs');
    const damaged: Sha256[] = [];
    store.onDamaged = (h) => damaged.push(h);
    const d = store.putBytes('input bytes of some action\n');
    const sandbox = tempDir('sb');
    const stamp = store.linkOut(d.hash, join(sandbox, 'in.txt'))!;
    expect(stamp).toBeDefined();
    overwriteKeepingMtime(join(sandbox, 'in.txt'), 'EVIL');
    expect(store.unchangedSince(d.hash, stamp)).toBe(false);
    expect(store.has(d.hash)).toBe(false);
    expect(damaged).toEqual([d.hash]);
  });

  test('bytes this process stored are hashed again once their file changed under the same name', () => {
    const store = newStore('bs');
    // Stored the way outputs are (hashed on the way in, so this process knows them good).
    const d = store.putBytesDeferred(Buffer.from('victim bytes, known good\n'));
    overwriteKeepingMtime(store.pathOf(d.hash), 'PLANTED');
    const out = join(tempDir('out'), 'victim.txt');
    expect(store.copyOutVerified(d.hash, out, 0o444)).toBe(false);
    expect(store.has(d.hash)).toBe(false);
    const d2 = store.putBytesDeferred(Buffer.from('another blob\n'));
    const dir = tempDir('sb');
    mkdirSync(join(dir, 'x'));
    overwriteKeepingMtime(store.pathOf(d2.hash), 'XX');
    expect(store.linkOut(d2.hash, join(dir, 'x', 'in'))).toBeUndefined();
  });

  test('an unchanged input whose blob was removed meanwhile is checked through its link, not called written', () => {
    const store = newStore('bs');
    const d = store.putBytes('linked, then its cas name removed\n');
    const sandbox = tempDir('sb');
    const stamp = store.linkOut(d.hash, join(sandbox, 'in.txt'))!;
    rmSync(store.pathOf(d.hash));
    expect(store.unchangedSince(d.hash, stamp)).toBe(true);
    expect(readFileSync(join(sandbox, 'in.txt'), 'utf8')).toBe('linked, then its cas name removed\n');
  });
});
