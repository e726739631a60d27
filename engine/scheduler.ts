/**
 * The scheduler: runs a DAG of work items in dependency order, in parallel, never using more
 * than `jobs` CPU slots (or `memoryMb`) at once. Ready items are started by priority: the
 * longest remaining critical path (recorded durations, else an estimate) first, so the long
 * chain starts early. `XBUILD_SHUFFLE=1` randomises priorities so a missing dependency edge
 * fails loudly instead of passing by luck.
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
}

export interface SchedulerCallbacks {
  start(id: string, attempt: number): Promise<ItemOutcome>;
  skipped(id: string, because: string): void;
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

export async function schedule(items: ReadonlyMap<string, WorkItem>, opts: SchedulerOptions, cb: SchedulerCallbacks): Promise<ScheduleResult> {
  const jobs = Math.max(1, opts.jobs);
  const ioJobs = opts.ioJobs ?? 8;
  const prio = criticalPathPriorities(items);
  if (opts.shuffle) for (const k of prio.keys()) prio.set(k, Math.random());
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
  const ready: string[] = [...items.keys()].filter((id) => waitingOn.get(id) === 0);
  const succeeded = new Set<string>(), failed = new Set<string>(), skipped = new Set<string>();
  const exclusiveInUse = new Set<string>();
  let usedCpu = 0, usedMem = 0, runningIo = 0, running = 0;
  let stopping = false;
  const attempts = new Map<string, number>();

  return new Promise<ScheduleResult>((resolve) => {
    const finish = () => {
      const notStarted = new Set([...items.keys()].filter((id) => !succeeded.has(id) && !failed.has(id) && !skipped.has(id)));
      resolve({ ok: failed.size === 0 && notStarted.size === 0 && skipped.size === 0, succeeded, failed, skipped, notStarted });
    };
    const skipDependents = (id: string, root: string) => {
      const stack = [...(dependents.get(id) ?? [])];
      while (stack.length) {
        const d = stack.pop()!;
        if (skipped.has(d)) continue;
        skipped.add(d);
        cb.skipped(d, root);
        stack.push(...(dependents.get(d) ?? []));
      }
    };
    const pump = () => {
      if (!stopping && ready.length) {
        ready.sort((a, b) => prio.get(a)! - prio.get(b)!); // highest priority at the end
        for (let i = ready.length - 1; i >= 0; i--) {
          const it = items.get(ready[i])!;
          const cpu = Math.min(it.cpu, jobs);
          if (cpu === 0 ? runningIo >= ioJobs : usedCpu + cpu > jobs) continue;
          if (opts.memoryMb && it.memoryMb && usedMem > 0 && usedMem + it.memoryMb > opts.memoryMb) continue;
          if (it.exclusive && exclusiveInUse.has(it.exclusive)) continue;
          ready.splice(i, 1);
          launch(it, cpu);
        }
      }
      if (running === 0 && (stopping || ready.length === 0)) finish();
    };
    const launch = (it: WorkItem, cpu: number) => {
      running++;
      if (cpu === 0) runningIo++;
      usedCpu += cpu;
      usedMem += it.memoryMb;
      if (it.exclusive) exclusiveInUse.add(it.exclusive);
      const attempt = (attempts.get(it.id) ?? 0) + 1;
      attempts.set(it.id, attempt);
      const done = (o: ItemOutcome) => {
        running--;
        if (cpu === 0) runningIo--;
        usedCpu -= cpu;
        usedMem -= it.memoryMb;
        if (it.exclusive) exclusiveInUse.delete(it.exclusive);
        if (o.ok) {
          succeeded.add(it.id);
          for (const d of dependents.get(it.id) ?? []) {
            const n = waitingOn.get(d)! - 1;
            waitingOn.set(d, n);
            if (n === 0 && !skipped.has(d)) ready.push(d);
          }
        } else if (o.retryable && attempt <= (opts.retries ?? 0) && !stopping) {
          ready.push(it.id);
        } else {
          failed.add(it.id);
          if (opts.keepGoing) skipDependents(it.id, it.id);
          else stopping = true;
        }
        pump();
      };
      cb.start(it.id, attempt).then(done, () => done({ ok: false }));
    };
    pump();
  });
}
