/**
 * The virtual clock lives in engine/schedule/virtualClock.ts (`xbuild build --dry-run
 * --forecast-cores N` uses it); the benchmarks import it from here, with two models only they
 * use: a tighter lower bound, and Ninja's own order (the peer of bench/schedulerBench.ts).
 */
import { EventHeap, lowerBound, type SimTask } from '../engine/schedule/virtualClock.js';

export * from '../engine/schedule/virtualClock.js';

/**
 * A tighter lower bound for graphs with a bottleneck (a bootstrap compiler everything waits
 * for): for every task v, nothing below v starts before v can finish, so the makespan is at
 * least earliestFinish(v) + (slot-time of v's descendants) / jobs; symmetrically, at least
 * (slot-time of v's ancestors) / jobs + longest path from v to the end. The maximum of these
 * and `lowerBound`. O(sum of descendant and ancestor counts).
 */
export function bottleneckLowerBound(tasks: readonly SimTask[], jobs: number): number {
  const index = new Map(tasks.map((t, i) => [t.id, i] as const));
  const n = tasks.length;
  const deps: number[][] = tasks.map((t) => t.deps.filter((d) => index.has(d)).map((d) => index.get(d)!));
  const kids: number[][] = tasks.map(() => []);
  deps.forEach((ds, i) => { for (const d of ds) kids[d].push(i); });
  const work = tasks.map((t) => Math.min(t.cpu, jobs) * t.durationMs);
  // Topological order (Kahn), then earliest finish and longest tail.
  const indeg = deps.map((d) => d.length);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) for (const c of kids[order[k]]) if (--indeg[c] === 0) order.push(c);
  if (order.length !== n) throw new Error('bottleneckLowerBound: the graph has a cycle');
  const ef = new Array<number>(n).fill(0), tail = new Array<number>(n).fill(0);
  for (const i of order) ef[i] = Math.max(0, ...deps[i].map((d) => ef[d])) + tasks[i].durationMs;
  for (let k = n - 1; k >= 0; k--) { const i = order[k]; tail[i] = Math.max(0, ...kids[i].map((c) => tail[c])) + tasks[i].durationMs; }
  const stamp = new Int32Array(n).fill(-1);
  const reachWork = (start: number, next: number[][], gen: number): number => {
    let sum = 0;
    const stack = [...next[start]];
    for (const x of stack) stamp[x] = gen;
    while (stack.length) {
      const x = stack.pop()!;
      sum += work[x];
      for (const y of next[x]) if (stamp[y] !== gen) { stamp[y] = gen; stack.push(y); }
    }
    return sum;
  };
  let best = lowerBound(tasks, jobs);
  for (let i = 0; i < n; i++) {
    best = Math.max(best, ef[i] + reachWork(i, kids, 2 * i) / jobs);
    best = Math.max(best, reachWork(i, deps, 2 * i + 1) / jobs + tail[i]);
  }
  return best;
}

/**
 * Ninja's own order: Ninja 1.11 keeps ready edges in a std::set ordered by edge id (the
 * declaration order in build.ninja) and, whenever a slot is free, starts the ready edge declared
 * first; no priorities. Here: an event-driven list schedule at `jobs` slots taking ready tasks in
 * the order of the `tasks` array (bench/distroGraph.ts writeNinjaWorkspace declares the nodes in
 * index order, so that is the graph's node order).
 *
 * Multi-CPU tasks: real Ninja gives every edge one slot (a make -j8 inside would oversubscribe
 * the machine). For a like-for-like comparison with the other models a task holds min(cpu, jobs)
 * slots, as Ninja would if it had slot weights: the first declared ready task waits at the head
 * until that many slots are free, and nothing declared after it starts meanwhile (no
 * backfilling; strict first-declared-first). Tasks finishing at the same instant all complete
 * before anything new starts. Returns the makespan (the last finish time).
 */
export function fifoMakespan(tasks: readonly SimTask[], jobs: number): number {
  const index = new Map(tasks.map((t, i) => [t.id, i] as const));
  const waiting = new Int32Array(tasks.length);
  const kids: number[][] = tasks.map(() => []);
  tasks.forEach((t, i) => {
    for (const d of t.deps) {
      const j = index.get(d);
      if (j !== undefined) { waiting[i]++; kids[j].push(i); }
    }
  });
  // The ready set, first declared first (an event heap keyed by declaration index).
  const ready = new EventHeap<{ time: number; seq: number }>();
  const declared = (i: number) => ({ time: i, seq: 0 });
  for (let i = 0; i < tasks.length; i++) if (waiting[i] === 0) ready.push(declared(i));
  const running = new EventHeap<{ time: number; seq: number; i: number; slots: number }>();
  let now = 0, used = 0, seq = 0, done = 0;
  for (;;) {
    for (let head = ready.peek(); head !== undefined; head = ready.peek()) {
      const i = head.time;
      const slots = Math.min(tasks[i].cpu, jobs);
      if (used + slots > jobs) break; // the head waits; later ready tasks wait behind it
      ready.pop();
      used += slots;
      running.push({ time: now + tasks[i].durationMs, seq: seq++, i, slots });
    }
    const first = running.peek();
    if (!first) break;
    now = first.time;
    while (running.size && running.peek()!.time === now) {
      const e = running.pop()!;
      used -= e.slots;
      done++;
      for (const k of kids[e.i]) if (--waiting[k] === 0) ready.push(declared(k));
    }
  }
  if (done !== tasks.length) throw new Error('fifoMakespan: the graph has a cycle');
  return now;
}
