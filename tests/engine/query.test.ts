// xbuild query, --profile and report on a small graph.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainWorkspace, type TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

describe('query', () => {
  it('deps, rdeps, somepath, allpaths, kind and set operations', async () => {
    ws = chainWorkspace();
    const q = async (expr: string, ...flags: string[]) => {
      const r = await ws.run(['query', expr, ...flags]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').filter(Boolean);
    };
    expect(await q('deps(//lib:c)')).toEqual(['//lib:a', '//lib:a.txt', '//lib:b', '//lib:b.txt', '//lib:c']);
    expect(await q('deps(//lib:c, 1)')).toEqual(['//lib:b', '//lib:c']);
    expect(await q('rdeps(//..., //lib:a)')).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(await q('somepath(//lib:c, //lib:a)')).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(await q('allpaths(//lib:c, //lib:b.txt)')).toEqual(['//lib:b', '//lib:b.txt', '//lib:c']);
    expect(await q('kind("cmd rule", deps(//lib:c))')).toEqual(['//lib:a', '//lib:b', '//lib:c']);
    expect(await q('deps(//lib:c) - deps(//lib:b)')).toEqual(['//lib:c']);
    expect(await q('deps(//lib:c) ^ deps(//lib:side)')).toEqual(['//lib:b.txt']);
    expect(await q('//lib:a + //lib:side')).toEqual(['//lib:a', '//lib:side']);
    // What cli/queryCommand.ts writes for each label (a source file has only label and rule).
    const json = JSON.parse((await ws.run(['query', 'deps(//lib:b)', '--output', 'json'])).stdout) as { label: string; rule: string; deps?: string[]; files?: string[]; location?: string }[];
    expect(json.find((t) => t.label === '//lib:b')).toMatchObject({ rule: 'cmd', deps: ['//lib:a', '//lib:b.txt'], location: 'lib/BUILD.ts:3' });
    const dot = (await ws.run(['query', 'deps(//lib:c)', '--output', 'dot'])).stdout;
    expect(dot).toContain('"//lib:c" -> "//lib:b";');
    const bad = await ws.run(['query', 'deps(//lib:c']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unexpected end');
  });

  it('--profile writes a Chrome trace with the critical path marked', async () => {
    ws = chainWorkspace();
    const trace = join(ws.scratch, 'trace.json');
    // c sleeps, so the chain a..c certainly finishes after side: it is what the trace must mark.
    ws.write({ 'lib/BUILD.ts': ws.read('lib/BUILD.ts').replace('wc -c < $< > $@', 'sleep 0.3; wc -c < $< > $@') });
    const r = await ws.run(['build', '//lib:c', '//lib:side', `--profile=${trace}`]);
    expect(r.code).toBe(0);
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as { name: string; ph: string; cat?: string; tid?: number }[];
    const critical = events.filter((e) => e.cat === 'critical').map((e) => e.name).sort();
    expect(critical).toEqual(['Cmd //lib:a', 'Cmd //lib:b', 'Cmd //lib:c']);
    expect(events.filter((e) => e.ph === 'X' && e.cat === 'executed').length).toBe(4);
  });
});
