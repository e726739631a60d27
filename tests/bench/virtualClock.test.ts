/**
 * The virtual-clock simulator (bench/virtualClock.ts) on tiny graphs whose makespans are known
 * by hand, so the numbers the scheduler benchmark prints can be trusted: the simulator, the
 * lower bound and the staged master-builder model are each checked against a hand trace.
 */
import { describe, expect, it } from 'vitest';
import { scheduleWithReservation } from '../../bench/reservingScheduler.js';
import { simulate, lowerBound, bottleneckLowerBound, criticalPath, stagedMakespan, type SimTask } from '../../bench/virtualClock.js';

const task = (id: string, durationMs: number, deps: string[] = [], cpu = 1): SimTask => ({ id, deps, durationMs, cpu });

describe('virtual clock', () => {
  it('a diamond at 2 jobs finishes on its critical path', async () => {
    // A(1) -> B(2), C(3) -> D(1): A 0-1, B 1-3, C 1-4, D 4-5.
    const g = [task('A', 1), task('B', 2, ['A']), task('C', 3, ['A']), task('D', 1, ['B', 'C'])];
    const r = await simulate(g, 2);
    expect(r.makespan).toBe(5);
    expect(criticalPath(g)).toBe(5);
    expect(lowerBound(g, 2)).toBe(5);
    const at = Object.fromEntries(r.spans.map((x) => [x.id, [x.start, x.end]]));
    expect(at).toEqual({ A: [0, 1], B: [1, 3], C: [1, 4], D: [4, 5] });
  });

  it('at 1 job the makespan is the total work', async () => {
    const g = [task('A', 1), task('B', 2, ['A']), task('C', 3, ['A']), task('D', 1, ['B', 'C'])];
    expect((await simulate(g, 1)).makespan).toBe(7);
    expect(lowerBound(g, 1)).toBe(7);
  });

  it('starts the longest chain first and packs independent work around it', async () => {
    // Chain X1(4) -> X2(4); four independent 2s. Optimal at 2 jobs: X1,X2 on one slot (8),
    // the four 2s on the other (8). Lower bound max(8, 16/2) = 8.
    const g = [task('X1', 4), task('X2', 4, ['X1']), task('a', 2), task('b', 2), task('c', 2), task('d', 2)];
    const r = await simulate(g, 2);
    expect(r.makespan).toBe(8);
    expect(lowerBound(g, 2)).toBe(8);
    expect(r.spans.find((x) => x.id === 'X1')!.start).toBe(0);
  });

  it('a multi-CPU action holds its slots and the simulator never oversubscribes', async () => {
    // K needs both slots for 4, then x and y run side by side for 2: 6 = (2*4 + 2 + 2) / 2.
    const g = [task('K', 4, [], 2), task('x', 2), task('y', 2)];
    const r = await simulate(g, 2);
    expect(r.makespan).toBe(6);
    expect(r.peakSlots).toBe(2);
    expect(lowerBound(g, 2)).toBe(6);
    // At 8 jobs K still holds 2 (it asked for 2): all three run at once.
    expect((await simulate(g, 8)).makespan).toBe(4);
  });

  it('reproduces list scheduling exactly, including where greedy priority is not optimal', async () => {
    // A(3) -> C(2), B(1) -> C, D(4). The optimum is 5 (A and B first, then D beside C), but
    // critical-path priority starts A (5) and D (4) before B (3): B 3-4, C 4-6, makespan 6.
    const g = [task('A', 3), task('B', 1), task('C', 2, ['A', 'B']), task('D', 4)];
    expect(lowerBound(g, 2)).toBe(5);
    expect((await simulate(g, 2)).makespan).toBe(6);
  });

  it('uses the estimates for priority, the durations for time', async () => {
    // Same graph, but the scheduler is told B is long: it starts A and B, then D beside C.
    const g = [task('A', 3), { ...task('B', 1), estimateMs: 10 }, task('C', 2, ['A', 'B']), task('D', 4)];
    expect((await simulate(g, 2)).makespan).toBe(5);
  });

  it('models barrier stages: nothing of a stage starts before the previous one ends', () => {
    // Stage 1 (1 job): S(2). Stage 2 (2 jobs): P(3), Q(1) -> R(1). Barrier at 2; P 2-5,
    // Q 2-3, R 3-4: 5. One stage at 2 jobs: S 0-2 beside P 0-3, Q 2-3, R 3-4: 4.
    const g = [task('S', 2), task('P', 3), task('Q', 1), task('R', 1, ['Q'])];
    const stage = (t: SimTask) => (t.id === 'S' ? 0 : 1);
    expect(stagedMakespan(g, stage, [1, 2], 8)).toBe(5);
    expect(stagedMakespan(g, () => 0, [2], 8)).toBe(4);
    // The machine caps a stage: at 1 job everything is serial (2 + 3 + 1 + 1).
    expect(stagedMakespan(g, stage, [1, 2], 1)).toBe(7);
  });

  it('does not starve a multi-CPU action behind 1-CPU work (reservation)', async () => {
    // A(1) -> K(4, cpu 2) -> Z(4); six independent 1-CPU b(2). A greedy list scheduler starts A
    // and b1 and then always has one slot busy with some b, so K (needing both) would wait for
    // all six (K at 7, makespan 15). With the reservation, at 1 K is blocked until b1 ends at 2,
    // so no b that would end later starts: K 2-6, then Z 6-10 beside b2 6-8, b3 8-10, b4 and b5
    // 10-12, b6 12-14.
    const bs = [1, 2, 3, 4, 5, 6].map((i) => task(`b${i}`, 2));
    const g = [task('A', 1), task('K', 4, ['A'], 2), task('Z', 4, ['K']), ...bs];
    const engine = await simulate(g, 2);
    expect(engine.spans.find((x) => x.id === 'K')!.start).toBe(2);
    expect(engine.makespan).toBe(14);
    expect(engine.peakSlots).toBe(2);
    const reserving = await simulate(g, 2, scheduleWithReservation);
    expect(reserving.makespan).toBe(engine.makespan);
  });

  it('the bottleneck bound sees work that must wait for one task', async () => {
    // S(4) -> a, b, c, d (2 each), 2 jobs. max(critical path 6, work 12 / 2) = 6, but nothing
    // else can run while S runs alone: S 0-4, then a..d on two slots 4-8. Optimal is 8.
    const g = [task('S', 4), ...['a', 'b', 'c', 'd'].map((id) => task(id, 2, ['S']))];
    expect(lowerBound(g, 2)).toBe(6);
    expect(bottleneckLowerBound(g, 2)).toBe(8);
    expect((await simulate(g, 2)).makespan).toBe(8);
    // Every earlier graph: the tight bound never exceeds the makespan the simulator found.
    const diamond = [task('A', 1), task('B', 2, ['A']), task('C', 3, ['A']), task('D', 1, ['B', 'C'])];
    expect(bottleneckLowerBound(diamond, 2)).toBe(5);
  });
});
