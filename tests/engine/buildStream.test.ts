// Every build keeps its event stream in .xbuild/builds/<id>/events.ndjson (engine/report/buildStream.ts):
// both build paths (full and incremental), the 'latest' pointer, the critical path at the end,
// the last 20 builds kept; a no-op answered by the up-to-date stamp writes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionId } from '../../engine/analyze/action.js';
import type { BuildEvent } from '../../engine/report/events.js';
import { chainWorkspace, type TempWorkspace } from '../helpers/cli.js';

/** One line of a build stream (engine/report/buildStream.ts): a BuildEvent, or the closing critical path, with its write time. */
type StreamLine = (BuildEvent | { readonly type: 'critical_path'; readonly ids: readonly ActionId[] }) & { readonly t: number };

let ws: TempWorkspace;
/** Past the 1 s "racy" window of engine/incremental/upToDate.ts: sources written just before a build are rechecked by content, not stamped. */
const settle = () => new Promise((r) => setTimeout(r, 1200));
afterEach(() => ws?.cleanup());

const builds = () => readdirSync(join(ws.root, '.xbuild/builds')).filter((n) => n !== 'latest').sort();
const lines = (id: string) => readFileSync(join(ws.root, '.xbuild/builds', id, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StreamLine);

describe('the build stream', () => {
  it('is written by every build that runs something, with times, the latest pointer and the critical path', async () => {
    ws = chainWorkspace();
    await settle();
    const r = await ws.build('//lib:c');
    expect(r.code).toBe(0);
    const [id] = builds();
    expect(id).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-\d+$/);
    expect(ws.read('.xbuild/builds/latest')).toBe(id);
    const ev = lines(id);
    // The same events as --events, each with the time it was written.
    expect(ev.map(({ t, ...e }) => e).slice(0, -1)).toEqual(r.events);
    expect(ev.every((e) => typeof e.t === 'number')).toBe(true);
    expect(ev.at(-1)).toMatchObject({ type: 'critical_path', ids: ['//lib:c#0', '//lib:b#0', '//lib:a#0'] });

    expect((await ws.build('//lib:c')).stderr).toContain('up to date');
    expect(builds()).toEqual([id]); // the no-op path writes nothing

    ws.write({ 'lib/a.txt': 'alpha 2\n' }); // the incremental path
    const inc = await ws.build('//lib:c');
    expect(inc.stderr).toContain('changed since the last build');
    const [, id2] = builds();
    expect(ws.read('.xbuild/builds/latest')).toBe(id2);
    expect(lines(id2).filter((e) => e.type === 'action_finished').map((e) => e.label).sort()).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(lines(id2).at(-1)).toMatchObject({ type: 'build_finished', ok: true });
  });

  it('keeps the last 20 builds', async () => {
    ws = chainWorkspace();
    for (let i = 0; i < 25; i++) mkdirSync(join(ws.root, `.xbuild/builds/2020-01-01T00-00-${String(i).padStart(2, '0')}-000Z-1`), { recursive: true });
    expect((await ws.build('//lib:c')).code).toBe(0);
    const kept = builds();
    expect(kept).toHaveLength(20);
    expect(kept[0]).toBe('2020-01-01T00-00-06-000Z-1');
    expect(kept.at(-1)).toBe(ws.read('.xbuild/builds/latest'));
  });
});
