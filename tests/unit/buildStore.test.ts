// serve/buildStore.ts reading event files as a build writes them: whole lines only (a line cut
// short waits), a file replaced or truncated is read again from the start, the newest build by
// the 'latest' pointer, ids accepted only as listed.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildStore } from '../../dist/serve/buildStore.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ID1 = '2026-12-01T10-00-00-000Z-111';
const ID2 = '2026-12-01T11-00-00-000Z-222';
const line = (o: object) => `${JSON.stringify(o)}\n`;
const started = (t: number) => line({ t, type: 'build_started', patterns: ['//...'], jobs: 2, time: t });
const planned = line({ t: 1, type: 'build_planned', actions: 2, jobs: 2, estimates: { '//a:a#0': 1000, '//b:b#0': 3000 } });
const start = (id: string, time: number) => line({ t: time, type: 'action_started', id, label: id.split('#')[0], mnemonic: 'Cmd', progress: '', time });
const finish = (id: string, t: number, status = 'executed', extra = {}) => line({ t, type: 'action_finished', id, label: id.split('#')[0], mnemonic: 'Cmd', status, key: 'k', durationMs: 5, ...extra });

function setup(): { store: BuildStore; file: (id: string) => string } {
  dir = mkdtempSync(join(tmpdir(), 'xbuild-store-'));
  const state = join(dir, '.xbuild');
  const file = (id: string) => {
    mkdirSync(join(state, 'builds', id), { recursive: true });
    return join(state, 'builds', id, 'events.ndjson');
  };
  return { store: new BuildStore(state), file };
}

describe('BuildStore', () => {
  it('folds whole lines as they are appended; a line cut short waits for its end', () => {
    const { store, file } = setup();
    const f = file(ID1);
    writeFileSync(f, started(1000) + planned);
    let s = store.state(ID1).summary(true, 1000);
    expect(s).toMatchObject({ total: 2, done: 0, startedMs: 1000 });
    const half = start('//a:a#0', 1100);
    appendFileSync(f, half.slice(0, 20));
    expect(store.state(ID1).summary(true).running).toEqual([]);
    appendFileSync(f, half.slice(20));
    s = store.state(ID1).summary(true, 1600);
    expect(s.running).toEqual([['//a:a#0', 'Cmd', 1100]]);
    expect(s.etaMs).toBe((1000 + 3000 - 500) / 2); // recorded durations left, less what has run, over the slots
    appendFileSync(f, finish('//a:a#0', 1900) + finish('//b:b#0', 1950, 'failed', { error: 'exited with code 1', logTail: 'boom', logPath: join(dir, '.xbuild/logs/b__b.0.Cmd.log') }));
    s = store.state(ID1).summary(true);
    expect(s).toMatchObject({ done: 2, executed: 1, failed: 1, running: [] });
    expect(s.failures).toEqual([expect.objectContaining({ label: '//b:b', logTail: 'boom', log: 'b__b.0.Cmd.log' })]);
    expect(store.state(ID1).rowsSince(0).find((r) => r[0] === '//a:a#0')).toEqual(['//a:a#0', 'Cmd', 'executed', 100, 900, 0, 'a__a.0.Cmd.log']);
    expect([...store.state(ID1).logs].sort()).toEqual(['a__a.0.Cmd.log', 'b__b.0.Cmd.log']);
  });

  it('reads a replaced or truncated file again from the start', () => {
    const { store, file } = setup();
    const f = file(ID1);
    writeFileSync(f, started(1000) + planned + start('//a:a#0', 1100) + finish('//a:a#0', 1200));
    expect(store.state(ID1).summary(false).done).toBe(1);
    writeFileSync(`${f}.new`, started(1000) + planned);
    renameSync(`${f}.new`, f);
    expect(store.state(ID1).summary(false).done).toBe(0);
    appendFileSync(f, start('//b:b#0', 1300) + finish('//b:b#0', 1400));
    expect(store.state(ID1).summary(false).done).toBe(1);
    writeFileSync(f, started(1000));
    expect(store.state(ID1).summary(false).total).toBe(0);
  });

  it('the newest build by the latest pointer; previous finished build compared; ids only as listed', () => {
    const { store, file } = setup();
    writeFileSync(file(ID1), started(1000) + planned + start('//b:b#0', 1100) + finish('//b:b#0', 1200, 'failed') + line({ t: 1300, type: 'build_finished', ok: false, executed: 0, cached: 0, failed: 1, skipped: 0 }));
    writeFileSync(file(ID2), started(2000) + planned + start('//b:b#0', 2100) + finish('//b:b#0', 2200));
    expect(store.latestId()).toBe(ID2); // no pointer: the newest folder
    writeFileSync(join(store.buildsDir, 'latest'), ID1);
    expect(store.latestId()).toBe(ID1);
    writeFileSync(join(store.buildsDir, 'latest'), '../../etc');
    expect(store.latestId()).toBe(ID2);
    expect(store.compare(ID2)).toMatchObject({ previous: ID1, fixed: ['//b:b#0'], newlyFailing: [], stillFailing: [] });
    expect(store.resolve('../builds')).toBeUndefined();
    expect(store.resolve(`${ID1}/..`)).toBeUndefined();
    expect(store.resolve(ID1)).toBe(ID1);
    expect(store.state(ID1).phase(false)).toBe('failed');
    expect(store.state(ID2).phase(false)).toBe('stopped'); // no build_finished and its process is gone
  });
});
