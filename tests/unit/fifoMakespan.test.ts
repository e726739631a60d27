import { describe, expect, it } from 'vitest';
import { fifoMakespan, lowerBound, simulate, type SimTask } from '../../bench/virtualClock.js';

const task = (id: string, durationMs: number, deps: string[] = [], cpu = 1): SimTask => ({ id, deps, durationMs, cpu });

describe('fifoMakespan (Ninja order: first declared ready task)', () => {
  it('runs a chain one after another, whatever the declaration order', () => {
    // c <- b <- a, declared backwards; d is independent and runs beside the chain.
    const tasks = [task('c', 3, ['b']), task('b', 2, ['a']), task('a', 1), task('d', 4)];
    expect(fifoMakespan(tasks, 1)).toBe(10);
    expect(fifoMakespan(tasks, 2)).toBe(6); // a,d at 0; b at 1; c at 3..6; d ends at 4
  });

  it('is worse than the critical-path schedule when the declaration order is bad', async () => {
    // 2 slots. Declared first: a and b (3 each, no dependants); then the chain c -> d.
    // Ninja order: a,b at 0..3; c at 3..6; d at 6..9 (one slot idle from 3 on) = 9.
    // Critical path first: c,a at 0..3; d,b at 3..6 = 6, which is the lower bound.
    const tasks = [task('a', 3), task('b', 3), task('c', 3), task('d', 3, ['c'])];
    expect(fifoMakespan(tasks, 2)).toBe(9);
    expect(lowerBound(tasks, 2)).toBe(6);
    expect((await simulate(tasks, 2)).makespan).toBe(6);
  });

  it('lets a multi-CPU task wait at the head for its slots, holding back later tasks', () => {
    // 4 slots. a (1 slot, 10) starts; big needs 4 slots, so it and everything declared after
    // it wait until a ends at 10; big runs 10..15; then c and d run 15..16.
    const tasks = [task('a', 10), task('big', 5, [], 4), task('c', 1), task('d', 1)];
    expect(fifoMakespan(tasks, 4)).toBe(16);
    // cpu is capped at jobs (like the scheduler): 8 CPUs on a 4-slot machine is 4 slots.
    expect(fifoMakespan([task('a', 10), task('big', 5, [], 8), task('c', 1), task('d', 1)], 4)).toBe(16);
    // With 5 slots big fits beside a: a 0..10, big 0..5, then c and d 5..6.
    expect(fifoMakespan(tasks, 5)).toBe(10);
  });

  it('rejects a cycle', () => {
    expect(() => fifoMakespan([task('a', 1, ['b']), task('b', 1, ['a'])], 2)).toThrow(/cycle/);
  });
});
