import { describe, expect, it } from 'vitest';
import { criticalPathPriorities, schedule, type WorkItem } from '../../engine/schedule/scheduler.js';

const item = (id: string, deps: string[] = [], cpu = 1, estimateMs = 10, extra: Partial<WorkItem> = {}): WorkItem =>
  ({ id, deps, cpu, memoryMb: 0, estimateMs, ...extra });

/** Runs the scheduler with work that takes `ms` of real time, recording concurrency. */
async function run(items: WorkItem[], jobs: number, opts: { keepGoing?: boolean; fail?: Set<string>; ms?: number; memoryMb?: number } = {}) {
  let cpuNow = 0, maxCpu = 0;
  const order: string[] = [];
  const map = new Map(items.map((i) => [i.id, i]));
  const result = await schedule(map, { jobs, keepGoing: opts.keepGoing ?? false, memoryMb: opts.memoryMb }, {
    start: async (id) => {
      const it = map.get(id)!;
      cpuNow += Math.min(it.cpu, jobs);
      maxCpu = Math.max(maxCpu, cpuNow);
      order.push(id);
      await new Promise((r) => setTimeout(r, opts.ms ?? 5));
      cpuNow -= Math.min(it.cpu, jobs);
      return { ok: !opts.fail?.has(id) };
    },
    skipped: () => {},
  });
  return { result, order, maxCpu };
}

describe('scheduler', () => {
  it('runs dependencies first and never exceeds the CPU slots', async () => {
    const items = [item('a'), item('b', ['a']), item('c', ['a']), item('d', ['b', 'c'], 2), item('e'), item('f')];
    const { result, order, maxCpu } = await run(items, 2);
    expect(result.ok).toBe(true);
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.indexOf('d')).toBeGreaterThan(order.indexOf('c'));
    expect(maxCpu).toBeLessThanOrEqual(2);
  });

  it('starts the longest critical path first', async () => {
    const items = [item('short'), item('long1', [], 1, 100), item('long2', ['long1'], 1, 100)];
    const prio = criticalPathPriorities(new Map(items.map((i) => [i.id, i])));
    expect(prio.get('long1')).toBe(200);
    const { order } = await run(items, 1);
    expect(order[0]).toBe('long1');
  });

  it('once its signal is aborted, starts nothing new and retries nothing, even with keep-going', async () => {
    const ac = new AbortController();
    const items = new Map([item('a', [], 1, 50), item('b'), item('c'), item('after', ['a'])].map((i) => [i.id, i]));
    const started: string[] = [];
    const result = await schedule(items, { jobs: 2, keepGoing: true, retries: 3, signal: ac.signal }, {
      start: async (id) => {
        started.push(id);
        if (started.length === 1) setTimeout(() => ac.abort(), 1); // interrupted while the first two run
        await new Promise((r) => setTimeout(r, 10));
        return { ok: id !== 'a', retryable: true }; // a "was killed": retryable, but not now
      },
      skipped: () => {},
    });
    expect(started).toHaveLength(2);
    expect(started[0]).toBe('a'); // the longest path first
    expect([...result.failed]).toEqual(['a']);
    expect([...result.notStarted]).toEqual([['b', 'c'].find((id) => !started.includes(id))]);
    expect([...result.skipped]).toEqual(['after']); // keep-going: the failure's dependents
    expect(result.ok).toBe(false);
  });

  it('an abort from inside a start stops the round of starts it came in', async () => {
    const ac = new AbortController();
    const items = new Map([item('a'), item('b'), item('c')].map((i) => [i.id, i]));
    const started: string[] = [];
    await schedule(items, { jobs: 3, keepGoing: false, signal: ac.signal }, {
      start: async (id) => {
        started.push(id);
        ac.abort();
        return { ok: true };
      },
      skipped: () => {},
    });
    expect(started).toHaveLength(1);
  });

  it('with keep-going, skips only dependents of a failure', async () => {
    const items = [item('bad'), item('child', ['bad']), item('grandchild', ['child']), item('other')];
    const { result } = await run(items, 2, { keepGoing: true, fail: new Set(['bad']) });
    expect([...result.failed]).toEqual(['bad']);
    expect([...result.skipped].sort()).toEqual(['child', 'grandchild']);
    expect(result.succeeded.has('other')).toBe(true);
  });

  it('never runs two items sharing an exclusive resource at once', async () => {
    let inUse = 0, overlap = false;
    const items = [item('k1', [], 1, 10, { exclusive: 'tree' }), item('k2', [], 1, 10, { exclusive: 'tree' })];
    const map = new Map(items.map((i) => [i.id, i]));
    await schedule(map, { jobs: 4, keepGoing: false }, {
      start: async () => {
        if (++inUse > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 10));
        inUse--;
        return { ok: true };
      },
      skipped: () => {},
    });
    expect(overlap).toBe(false);
  });

  it('retries an environmental failure once, not a deterministic one', async () => {
    const tries = new Map<string, number>();
    const map = new Map([item('flaky'), item('broken')].map((i) => [i.id, i]));
    const result = await schedule(map, { jobs: 2, keepGoing: true, retries: 1 }, {
      start: async (id) => {
        const n = (tries.get(id) ?? 0) + 1;
        tries.set(id, n);
        if (id === 'flaky') return n === 1 ? { ok: false, retryable: true } : { ok: true };
        return { ok: false, retryable: false };
      },
      skipped: () => {},
    });
    expect(tries.get('flaky')).toBe(2);
    expect(tries.get('broken')).toBe(1);
    expect(result.succeeded.has('flaky')).toBe(true);
  });

  it('items settled at once release each dependent exactly once, and nothing starts before its dependencies end', async () => {
    // a and c settle at once (unchanged since the last build); b and d really run. The roots are
    // a and b; settling a makes c ready (and settles it) while the roots are still being pushed.
    const items = [item('a'), item('b'), item('c', ['a']), item('d', ['c', 'b']), item('e', ['d'])];
    const map = new Map(items.map((i) => [i.id, i]));
    const settled: string[] = [], started: string[] = [], ended: string[] = [];
    const result = await schedule(map, { jobs: 2, keepGoing: false }, {
      start: async (id) => {
        started.push(id);
        for (const dep of map.get(id)!.deps) expect(ended.includes(dep) || settled.includes(dep)).toBe(true);
        await new Promise((r) => setTimeout(r, 20));
        ended.push(id);
        return { ok: true };
      },
      skipped: () => {},
      settleNow: (id) => {
        settled.push(id);
        return id === 'a' || id === 'c' || id === 'e' ? { ok: true } : undefined;
      },
    });
    expect(result.ok).toBe(true);
    expect(started.sort()).toEqual(['b', 'd']);
    expect(settled.sort()).toEqual(['a', 'b', 'c', 'd', 'e']); // each asked once
  });
});
