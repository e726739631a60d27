// The action index next to a stamp: topological order and depths, readers, lines read by
// offset, results logged after it (a torn log line from a crash costs only itself).
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionIndex, writeActionIndex, type IndexedAction } from '../../engine/incremental/actionIndex.js';
import type { Action } from '../../engine/analyze/action.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function action(id: string, reads: string[], deps: string[], targets: string[] = []): IndexedAction {
  const a = { id, label: id.split('#')[0], kind: 'run', mnemonic: 'Cmd', argv: ['/bin/true', id], inputs: [], outputs: [] } as unknown as Action;
  return { action: a, key: `key-${id}`, outputs: [{ path: `${id}.out`, digest: { hash: `h-${id}` } }], deps, targets, reads, makes: [`/w/out/${id}.out`] };
}

describe('action index', () => {
  it('orders actions before their consumers, finds readers, reads lines by offset, and applies logged results', () => {
    dir = mkdtempSync(join(tmpdir(), 'xbuild-index-'));
    const path = join(dir, 'stamp.actions');
    // Given in reverse order: c needs b needs a; side reads b.txt only.
    writeActionIndex(path, [
      action('//c#0', [], ['//b#0'], ['//c']),
      action('//side#0', ['/w/b.txt'], [], ['//side']),
      action('//b#0', ['/w/b.txt', '/bin/bash'], ['//a#0']),
      action('//a#0', ['/w/a.txt', '/bin/bash'], []),
    ], ['//c', '//side'], ['c.out', 'side.out']);
    const index = ActionIndex.open(path)!;
    const n = (id: string) => index.ids.indexOf(id);
    expect(n('//a#0')).toBeLessThan(n('//b#0'));
    expect(n('//b#0')).toBeLessThan(n('//c#0'));
    expect([index.header.depth[n('//a#0')], index.header.depth[n('//b#0')], index.header.depth[n('//c#0')], index.header.depth[n('//side#0')]]).toEqual([0, 1, 2, 0]);
    expect(index.header.consumers[n('//a#0')]).toEqual([n('//b#0')]);
    expect(index.readersOf('/w/b.txt')!.sort()).toEqual([n('//b#0'), n('//side#0')].sort());
    expect(index.readersOf('/bin/bash')!.sort()).toEqual([n('//a#0'), n('//b#0')].sort());
    expect(index.readersOf('/w/b')).toBeUndefined(); // a prefix of a path is not a path
    expect(index.makerOf('/w/out///b#0.out')).toBe(n('//b#0'));
    expect(index.makerOf('/w/b.txt')).toBeUndefined();
    expect(index.targets.map((t, i) => [t, index.header.targetsOf.findIndex((ts) => ts.includes(i))])).toEqual([['//c', n('//c#0')], ['//side', n('//side#0')]]);
    for (const id of ['//a#0', '//b#0', '//c#0', '//side#0']) expect(index.line(n(id)).action.id).toBe(id);
    expect(index.line(n('//c#0')).deps).toEqual([n('//b#0')]);

    // A result logged, then a torn line (a crash mid-append), then another result.
    index.record(new Map([[n('//a#0'), { key: 'new-a', outputs: [] }]]));
    appendFileSync(`${path}-log`, '{"t":"torn');
    ActionIndex.open(path)!.record(new Map([[n('//b#0'), { key: 'new-b', outputs: [] }]]));
    const again = ActionIndex.open(path)!;
    expect([again.key(n('//a#0')), again.key(n('//b#0')), again.key(n('//c#0'))]).toEqual(['new-a', 'new-b', 'key-//c#0']);
    expect(again.details().actions.map((a) => a.key).sort()).toEqual(['key-//c#0', 'key-//side#0', 'new-a', 'new-b']);

    // A new index makes the old log void (other token) and removes it.
    writeActionIndex(path, [action('//a#0', ['/w/a.txt'], [])], [], []);
    expect(ActionIndex.open(path)!.key(0)).toBe('key-//a#0');
  });
});
