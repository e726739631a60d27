/**
 * The scheduler alone, on a virtual clock: engine/schedule/scheduler.ts `schedule()` drives tasks whose
 * `start(id)` returns a promise that a discrete-event loop resolves when the virtual clock
 * reaches the task's finish time. No processes run, so a 2-core machine can stand in for 80.
 *
 * The loop: let every microtask settle (the scheduler reacts to completions and starts more
 * tasks), then advance the clock to the earliest pending finish time and resolve every task
 * finishing at that instant, in start order; repeat until `schedule()` resolves. If nothing is
 * running and the schedule has not ended, the scheduler deadlocked: that is an error.
 *
 * Model: a task holds min(cpu, jobs) slots for its whole duration (the scheduler caps cpu at
 * jobs; a kernel build asking for 8 on a 2-slot machine runs with 2 and, here, takes as long).
 * Also here: the lower bound max(critical path, total slot-time / jobs), and the old "master
 * builder" (fixed barrier stages, e.g. 1, 20, 40, 80 jobs) as a plain list-scheduling
 * simulation in dependency order, for comparison (bench/virtualClock.ts adds Ninja's own order).
 */
import { criticalPathPriorities, Heap, schedule, type WorkItem } from './scheduler.js';

/** One task of a simulated build: what the scheduler sees, plus its true duration. */
export interface SimTask {
  readonly id: string;
  readonly deps: readonly string[];
  readonly durationMs: number;
  /** CPU slots (1 for most; 8 for a kernel build with make -j8). */
  readonly cpu: number;
  /** The scheduler's estimate; defaults to the true duration (recorded from earlier runs). */
  readonly estimateMs?: number;
}

/** When each task ran on the virtual clock. */
export interface SimSpan {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly slots: number;
}

export interface SimResult {
  readonly makespan: number;
  readonly spans: readonly SimSpan[];
  /** Most slots in use at any instant (must never exceed jobs). */
  readonly peakSlots: number;
  /** Real milliseconds the simulation took (scheduler overhead, mostly). */
  readonly wallMs: number;
}

/** A binary min-heap ordered by (time, seq). */
export class EventHeap<T extends { readonly time: number; readonly seq: number }> extends Heap<T> {
  constructor() {
    super((x, y) => x.time < y.time || (x.time === y.time && x.seq < y.seq));
  }
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs `scheduler` (by default `schedule()`) over `tasks` at `jobs` slots, its `now` the virtual clock. */
export async function simulate(tasks: readonly SimTask[], jobs: number, scheduler: typeof schedule = schedule): Promise<SimResult> {
  const t0 = performance.now();
  const byId = new Map(tasks.map((t) => [t.id, t] as const));
  const items = new Map<string, WorkItem>();
  for (const t of tasks) items.set(t.id, { id: t.id, deps: t.deps, cpu: t.cpu, memoryMb: 0, estimateMs: t.estimateMs ?? t.durationMs });
  let now = 0, seq = 0, used = 0, peak = 0;
  const heap = new EventHeap<{ time: number; seq: number; slots: number; resolve: (o: { ok: boolean }) => void }>();
  const spans: SimSpan[] = [];
  let finished = false, ok = false;
  const run = scheduler(items, { jobs, keepGoing: false, now: () => now }, {
    start: (id) => new Promise((resolve) => {
      const t = byId.get(id)!;
      const slots = Math.min(t.cpu, jobs);
      used += slots;
      peak = Math.max(peak, used);
      spans.push({ id, start: now, end: now + t.durationMs, slots });
      heap.push({ time: now + t.durationMs, seq: seq++, slots, resolve });
    }),
    skipped: () => undefined,
  }).then((r) => { finished = true; ok = r.ok; });
  for (;;) {
    await settle();
    if (finished) break;
    const first = heap.peek();
    if (!first) throw new Error('virtual clock: the scheduler has nothing running and has not finished (deadlock)');
    now = first.time;
    while (heap.size && heap.peek()!.time === now) {
      const e = heap.pop()!;
      used -= e.slots;
      e.resolve({ ok: true });
    }
  }
  await run;
  if (!ok) throw new Error('virtual clock: schedule() reported failure');
  const makespan = spans.reduce((m, s) => Math.max(m, s.end), 0);
  return { makespan, spans, peakSlots: peak, wallMs: performance.now() - t0 };
}

/** Longest chain of durations through the graph. */
export function criticalPath(tasks: readonly SimTask[]): number {
  const items = new Map<string, WorkItem>();
  for (const t of tasks) items.set(t.id, { id: t.id, deps: t.deps, cpu: t.cpu, memoryMb: 0, estimateMs: t.durationMs });
  let best = 0;
  for (const p of criticalPathPriorities(items).values()) best = Math.max(best, p);
  return best;
}

/** Total slot-time: the sum of min(cpu, jobs) x duration. */
export function totalWork(tasks: readonly SimTask[], jobs: number): number {
  return tasks.reduce((s, t) => s + Math.min(t.cpu, jobs) * t.durationMs, 0);
}

/** The lower bound: no schedule at `jobs` slots finishes before max(critical path, total work / jobs). */
export function lowerBound(tasks: readonly SimTask[], jobs: number): number {
  return Math.max(criticalPath(tasks), totalWork(tasks, jobs) / jobs);
}

/**
 * The old master builder: stages run one after another with a barrier between them; stage s
 * runs its tasks with at most min(stageJobs[s], machineJobs) slots, starting ready tasks in
 * the order of the stage list (FIFO, no priorities). `stageOf` maps a task to its stage; a
 * task may only depend on tasks of its own or earlier stages.
 */
export function stagedMakespan(tasks: readonly SimTask[], stageOf: (t: SimTask) => number, stageJobs: readonly number[], machineJobs: number): number {
  const byStage: SimTask[][] = stageJobs.map(() => []);
  for (const t of tasks) byStage[stageOf(t)].push(t);
  const done = new Map<string, number>(); // finish time of finished tasks (absolute)
  const all = new Set(tasks.map((t) => t.id));
  let clock = 0;
  for (let s = 0; s < stageJobs.length; s++) {
    const cap = Math.max(1, Math.min(stageJobs[s], machineJobs));
    const list = byStage[s];
    const index = new Map(list.map((t, i) => [t.id, i] as const));
    for (const t of list) for (const d of t.deps) if (!index.has(d) && !done.has(d) && all.has(d)) throw new Error(`stage ${s + 1}: ${t.id} depends on ${d} of a later stage`);
    // Tasks by their index in the stage list, which is also the order ready ones start in.
    const waiting = list.map((t) => t.deps.filter((d) => index.has(d)).length);
    const dependents: number[][] = list.map(() => []);
    for (const [i, t] of list.entries()) for (const d of t.deps) if (index.has(d)) dependents[index.get(d)!].push(i);
    let ready = list.flatMap((_, i) => (waiting[i] === 0 ? [i] : []));
    const heap = new EventHeap<{ time: number; seq: number; i: number; slots: number }>();
    let used = 0, seq = 0, now = clock, left = list.length;
    while (left > 0) {
      ready.sort((a, b) => a - b);
      const rest: number[] = [];
      for (const i of ready) {
        const slots = Math.min(list[i].cpu, cap);
        if (used + slots <= cap) { used += slots; heap.push({ time: now + list[i].durationMs, seq: seq++, i, slots }); }
        else rest.push(i);
      }
      ready = rest;
      const e = heap.pop();
      if (!e) throw new Error(`stage ${s + 1}: deadlock`);
      now = e.time;
      used -= e.slots;
      done.set(list[e.i].id, now);
      left--;
      for (const k of dependents[e.i]) if (--waiting[k] === 0) ready.push(k);
    }
    clock = now; // the barrier: the next stage starts when the last task of this one ends
  }
  return clock;
}
