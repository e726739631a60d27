/**
 * The scheduler: runs a DAG of work items in dependency order, in parallel, never using more
 * than `jobs` CPU slots (or `memoryMb`) at once. Ready items are started by priority: the
 * longest remaining critical path (recorded durations, else an estimate) first, so the long
 * chain starts early. `XBUILD_SHUFFLE=1` randomises priorities so a missing dependency edge
 * fails loudly instead of passing by luck.
 *
 * A multi-CPU action that does not fit gets a reservation (EASY backfilling): lower-priority
 * work may start only if it is expected to end before enough slots free up for it, or fits in
 * the slots left over then, so a kernel build with many slots is not starved by a stream of
 * 1-CPU actions. Ready items wait in binary heaps by priority (no sort per completion).
 *
 * The scheduler knows nothing of actions or processes: `start(item)` returns a promise of its
 * outcome. That lets a virtual-clock simulation drive it (bench/) with no processes at all.
 */

export interface WorkItem {
  readonly id: string;
  readonly deps: readonly string[];
  /** CPU slots held while running; 0 for work that uses no CPU (downloads, writes). */
  readonly cpu: number;
  readonly memoryMb: number;
  /** Items sharing an exclusive resource (a persistent dir) never run together. */
  readonly exclusive?: string;
  /** Expected duration for priorities. */
  readonly estimateMs: number;
}

export interface ItemOutcome {
  readonly ok: boolean;
  /** Environmental failures (killed by a signal, out of memory, fetch errors) may be retried. */
  readonly retryable?: boolean;
}

export interface SchedulerOptions {
  readonly jobs: number;
  readonly memoryMb?: number;
  readonly keepGoing: boolean;
  readonly shuffle?: boolean;
  /** How many times an item with a retryable failure is tried again. */
  readonly retries?: number;
  /** At most this many zero-CPU items at once. */
  readonly ioJobs?: number;
  /** The clock reservations are computed on, in ms (a virtual clock in simulations). */
  readonly now?: () => number;
  /** Once aborted (the user interrupted the build), nothing new starts and nothing is retried. */
  readonly signal?: AbortSignal;
}

export interface SchedulerCallbacks {
  /**
   * Starts an item. It may call `release()` once it no longer uses its CPU slots and memory
   * (its command exited; only bookkeeping is left), so the next item starts without waiting
   * for that bookkeeping. Its dependents still wait for the returned outcome.
   */
  start(id: string, attempt: number, release: () => void): Promise<ItemOutcome>;
  skipped(id: string, because: string): void;
  /**
   * A failed attempt of `id`. `retry`: the scheduler starts it again (only here is that decided:
   * a retryable failure, tries left, the build not stopping); else the failure is final.
   */
  failed?(id: string, attempt: number, retry: boolean): void;
  /**
   * Called when an item becomes ready: its outcome if it can be settled at once without a slot
   * (the previous build's result still holds), else undefined and it is scheduled. Settling is
   * a few map lookups, so an incremental build over a large graph costs little per unchanged item.
   */
  settleNow?(id: string): ItemOutcome | undefined;
  /**
   * Called (from an idle turn of the event loop) with the item that will start next, while
   * every slot is busy: it may get that item ready to start (its sandbox, its inputs), so the
   * item starts the moment a slot frees instead of after that preparation.
   */
  prepareAhead?(id: string): void;
}

export interface ScheduleResult {
  readonly ok: boolean;
  readonly succeeded: ReadonlySet<string>;
  readonly failed: ReadonlySet<string>;
  readonly skipped: ReadonlySet<string>;
  /** Items never started because the build stopped at the first failure. */
  readonly notStarted: ReadonlySet<string>;
}

/** Longest path (sum of estimates) from each item to the end of the graph, itself included. */
export function criticalPathPriorities(items: ReadonlyMap<string, WorkItem>): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const it of items.values()) for (const d of it.deps) if (items.has(d)) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(it.id);
  const prio = new Map<string, number>();
  // Iterative post-order over dependents (graphs can be 20,000 deep in principle).
  for (const root of items.keys()) {
    if (prio.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const kids = dependents.get(top[0]) ?? [];
      if (top[1] < kids.length) {
        const k = kids[top[1]++];
        if (!prio.has(k)) stack.push([k, 0]);
        continue;
      }
      stack.pop();
      let best = 0;
      for (const k of kids) best = Math.max(best, prio.get(k) ?? 0);
      prio.set(top[0], best + items.get(top[0])!.estimateMs);
    }
  }
  return prio;
}

/** A binary heap: `pop` returns the item that `before` puts ahead of every other. */
export class Heap<T> {
  private readonly a: T[] = [];
  constructor(private readonly before: (x: T, y: T) => boolean) {}
  get size(): number { return this.a.length; }
  /** The item `pop` would return. */
  peek(): T | undefined { return this.a[0]; }
  push(v: T): void {
    const a = this.a;
    a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!this.before(a[i], a[up])) break;
      [a[i], a[up]] = [a[up], a[i]];
      i = up;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** A ready item in a heap: `p`, its priority, is filled in when first compared; `seq` orders its pushes. */
interface Ready { readonly id: string; p?: number; readonly seq: number }

export async function schedule(items: ReadonlyMap<string, WorkItem>, opts: SchedulerOptions, cb: SchedulerCallbacks): Promise<ScheduleResult> {
  const jobs = Math.max(1, opts.jobs);
  const ioJobs = opts.ioJobs ?? 8;
  const now = opts.now ?? (() => performance.now());
  let prioMap: Map<string, number> | undefined;
  const prio = () => {
    if (!prioMap) {
      prioMap = criticalPathPriorities(items);
      if (opts.shuffle) for (const k of prioMap.keys()) prioMap.set(k, Math.random());
    }
    return prioMap;
  };
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const it of items.values()) {
    let n = 0;
    for (const d of it.deps) {
      if (!items.has(d)) continue;
      n++;
      (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(it.id);
    }
    waitingOn.set(it.id, n);
  }
  // Ready ids by priority, then the last pushed first. Priorities are asked for only when two
  // items must be compared, so a build where one item at a time is ready (an incremental rebuild
  // over a large graph) never computes the critical paths of the whole graph.
  const byPriority = (x: Ready, y: Ready): boolean => {
    const px = (x.p ??= prio().get(x.id)!), py = (y.p ??= prio().get(y.id)!);
    return px > py || (px === py && x.seq > y.seq);
  };
  // Zero-CPU items (downloads) and CPU items wait in separate heaps: they use different slots.
  const cpuReady = new Heap(byPriority), ioReady = new Heap(byPriority);
  let seq = 0;
  const enqueue = (id: string) => (items.get(id)!.cpu === 0 ? ioReady : cpuReady).push({ id, seq: seq++ });
  const succeeded = new Set<string>(), failed = new Set<string>(), skipped = new Set<string>();
  /** Marks `id` succeeded and hands each dependent it was the last wait of to `onReady`. */
  const succeed = (id: string, onReady: (d: string) => void) => {
    succeeded.add(id);
    for (const d of dependents.get(id) ?? []) {
      const n = waitingOn.get(d)! - 1;
      waitingOn.set(d, n);
      if (n === 0 && !skipped.has(d)) onReady(d);
    }
  };
  // Items settled at once release their dependents at once (a stack, not recursion).
  const settling: string[] = [];
  const toSettle = (d: string) => settling.push(d);
  const push = (id: string) => {
    settling.push(id);
    while (settling.length) {
      const next = settling.pop()!;
      if (cb.settleNow?.(next)?.ok) succeed(next, toSettle);
      else enqueue(next);
    }
  };
  // Collected first: settling at once changes the counts while the roots are being pushed.
  const roots = [...items.keys()].filter((id) => waitingOn.get(id) === 0);
  for (const id of roots) push(id);
  const exclusiveInUse = new Set<string>();
  /** CPU-holding running items: slots and expected end. */
  const running = new Map<string, { cpu: number; end: number }>();
  let usedCpu = 0, usedMem = 0, runningIo = 0, runningCount = 0;
  let stopping = false;
  const attempts = new Map<string, number>();

  /** Earliest time `need` slots are free, and how many more are free then. */
  const shadowFor = (need: number): { at: number; spare: number } => {
    const t = now();
    const ends = [...running.values()].map((r) => ({ at: Math.max(t, r.end), cpu: r.cpu })).sort((a, b) => a.at - b.at);
    let free = jobs - usedCpu;
    for (const e of ends) {
      free += e.cpu;
      if (free >= need) return { at: e.at, spare: free - need };
    }
    return { at: t, spare: Math.max(0, free - need) };
  };

  let onAbort: (() => void) | undefined;
  return new Promise<ScheduleResult>((resolve) => {
    const finish = () => {
      const notStarted = new Set([...items.keys()].filter((id) => !succeeded.has(id) && !failed.has(id) && !skipped.has(id)));
      resolve({ ok: failed.size === 0 && notStarted.size === 0 && skipped.size === 0, succeeded, failed, skipped, notStarted });
    };
    const skipDependents = (root: string) => {
      const stack = [...(dependents.get(root) ?? [])];
      while (stack.length) {
        const d = stack.pop()!;
        if (skipped.has(d)) continue;
        skipped.add(d);
        cb.skipped(d, root);
        stack.push(...(dependents.get(d) ?? []));
      }
    };
    const pump = () => {
      if (!stopping && (cpuReady.size || ioReady.size)) {
        const blockedElsewhere = (it: WorkItem) =>
          (opts.memoryMb && it.memoryMb && usedMem > 0 && usedMem + it.memoryMb > opts.memoryMb) || (it.exclusive && exclusiveInUse.has(it.exclusive));
        const heldIo: string[] = [];
        while (ioReady.size && runningIo < ioJobs && !stopping) {
          const it = items.get(ioReady.pop()!.id)!;
          if (blockedElsewhere(it)) heldIo.push(it.id);
          else launch(it, 0);
        }
        for (const id of heldIo) enqueue(id);
        let shadow: { at: number; spare: number } | undefined;
        const t = now();
        const held: string[] = []; // looked at, not started: back into the heap afterwards
        while (cpuReady.size && usedCpu < jobs && !stopping) { // a start may stop the build
          const id = cpuReady.pop()!.id;
          const it = items.get(id)!;
          const cpu = Math.min(it.cpu, jobs);
          if (usedCpu + cpu > jobs) {
            // The first item that does not fit gets the reservation.
            shadow ??= shadowFor(cpu);
            held.push(id);
            continue;
          }
          if (blockedElsewhere(it)) { held.push(id); continue; }
          if (shadow && t + it.estimateMs > shadow.at) {
            if (cpu > shadow.spare) { held.push(id); continue; } // would delay the reserved item
            shadow = { at: shadow.at, spare: shadow.spare - cpu };
          }
          launch(it, cpu);
        }
        for (const id of held) enqueue(id);
        if (cb.prepareAhead && usedCpu >= jobs && cpuReady.size && !aheadPending) {
          aheadPending = true;
          setImmediate(() => {
            aheadPending = false;
            const next = cpuReady.peek()?.id;
            if (next !== undefined && !stopping) cb.prepareAhead!(next);
          });
        }
      }
      if (runningCount === 0 && (stopping || (cpuReady.size === 0 && ioReady.size === 0))) finish();
    };
    let aheadPending = false;
    const launch = (it: WorkItem, cpu: number) => {
      runningCount++;
      if (cpu === 0) runningIo++;
      else running.set(it.id, { cpu, end: now() + it.estimateMs });
      usedCpu += cpu;
      usedMem += it.memoryMb;
      if (it.exclusive) exclusiveInUse.add(it.exclusive);
      const attempt = (attempts.get(it.id) ?? 0) + 1;
      attempts.set(it.id, attempt);
      let released = false;
      const releaseSlots = () => {
        if (released) return;
        released = true;
        running.delete(it.id);
        usedCpu -= cpu;
        usedMem -= it.memoryMb;
      };
      const release = () => {
        if (released) return;
        releaseSlots();
        pump();
      };
      const done = (o: ItemOutcome) => {
        runningCount--;
        if (cpu === 0) runningIo--;
        releaseSlots();
        if (it.exclusive) exclusiveInUse.delete(it.exclusive);
        if (o.ok) succeed(it.id, push);
        else {
          const retry = !!o.retryable && attempt <= (opts.retries ?? 0) && !stopping;
          cb.failed?.(it.id, attempt, retry);
          if (retry) push(it.id);
          else {
            failed.add(it.id);
            if (opts.keepGoing) skipDependents(it.id);
            else stopping = true;
          }
        }
        pump();
      };
      cb.start(it.id, attempt, release).then(done, () => done({ ok: false }));
    };
    onAbort = () => {
      stopping = true;
      pump(); // finishes now if nothing is running; else when the last running item ends
    };
    if (opts.signal?.aborted) stopping = true;
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    pump();
  }).finally(() => { if (onAbort) opts.signal?.removeEventListener('abort', onAbort); });
}
