/**
 * One build, end to end: patterns -> analysis -> the actions the requested targets need ->
 * scheduler -> executor, reporting everything as BuildEvents. The CLI wires the pieces; tests
 * and benchmarks can call `runBuild` with their own runner and event sink.
 */
import type { Blame } from './report/blame.js';
import { cpus, arch, platform } from 'node:os';
import type { Action, ActionGraph, ActionId } from './analyze/action.js';
import { actionsFor } from './analyze/action.js';
import type { EventSink } from './report/events.js';
import { Executor, type ExecutorOptions, type PreviousBuild, type RemoteCacheHook } from './execute/executor.js';
import type { OutputEntry } from '../cache/actionCache.js';
import type { FileDigests } from './key/fileDigests.js';
import type { History } from './report/history.js';
import type { ActionRunner } from './execute/runner.js';
import { schedule, type WorkItem } from './schedule/scheduler.js';
import type { WorkspacePaths } from './workspace.js';
import type { ActionCache } from '../cache/actionCache.js';
import type { BlobStore } from '../cache/blobStore.js';

export const PLATFORM = `${platform()}-${arch()}`;

export interface BuildOptions {
  readonly graph: ActionGraph;
  readonly labels: readonly string[];
  readonly paths: WorkspacePaths;
  readonly blobs: BlobStore;
  readonly actionCache: ActionCache;
  readonly digests: FileDigests;
  readonly history: History;
  readonly runner: ActionRunner;
  readonly events: EventSink;
  readonly jobs?: number;
  readonly memoryMb?: number;
  readonly keepGoing?: boolean;
  readonly retries?: number;
  readonly remote?: RemoteCacheHook;
  readonly keepSandboxes?: boolean;
  readonly signal?: AbortSignal;
  /** The last build of the same command and what changed since (see Executor's `previous`). */
  readonly previous?: PreviousBuild;
}

/** One failed action of a build, with whose failure it is. */
export interface ActionFailure {
  readonly id: ActionId;
  readonly label: string;
  readonly error: string;
  readonly logPath?: string;
  readonly blame: Blame;
}

export interface BuildSummary {
  readonly ok: boolean;
  readonly executed: number;
  readonly cached: number;
  readonly cachedRemote: number;
  readonly failed: number;
  readonly skipped: number;
  readonly outputs: readonly string[];
  readonly failures: readonly ActionFailure[];
  readonly actionKeys: ReadonlyMap<ActionId, string>;
  /** Executed actions with their durations, slowest first (for reports). */
  readonly slowest: readonly { readonly label: string; readonly mnemonic: string; readonly durationMs: number; readonly logPath?: string }[];
  /** Each requested target's outcome, root causes (failed targets) first. */
  readonly targets: readonly TargetOutcome[];
  /** Each needed action's outputs, as produced or restored. */
  readonly outputsById: ReadonlyMap<string, readonly OutputEntry[]>;
  /** The keys of every action this build needed (gc roots). */
  readonly allKeys: readonly string[];
  /** Actions whose result is the previous build's, untouched (see BuildOptions.previous). */
  readonly reused: ReadonlySet<ActionId>;
}

/** How one requested target ended. */
export interface TargetOutcome {
  readonly label: string;
  /** ok: something ran; cached: everything came from a cache; failed: one of its own actions failed;
   *  skipped: a dependency failed (named in `because`); not-started: the build stopped first. */
  readonly status: 'ok' | 'cached' | 'failed' | 'skipped' | 'not-started';
  readonly because?: string;
}

export const DEFAULT_JOBS = Math.max(1, cpus().length);
const DEFAULT_ESTIMATE_MS = 1000;

/** What the scheduler and forecasts expect an action to take: its recorded time, else the rule's estimate, else a default. */
export function actionEstimateMs(a: Action, recorded: number | undefined): number {
  return recorded ?? a.estimateMs ?? (a.kind === 'run' ? DEFAULT_ESTIMATE_MS * a.cpu : 10);
}

export async function runBuild(o: BuildOptions): Promise<BuildSummary> {
  const jobs = o.jobs ?? DEFAULT_JOBS;
  const files = o.labels.flatMap((l) => o.graph.targets.get(l as never)?.files ?? []);
  const needed = actionsFor(o.graph, files);
  const durations = o.history.knownDurations();
  const items = new Map<string, WorkItem>();
  for (const id of needed) {
    const a = o.graph.actions.get(id)!;
    const deps = [...new Set(a.inputs.filter((i) => !i.source).map((i) => o.graph.producers.get(i.path)!).filter(Boolean))];
    items.set(id, {
      id, deps, cpu: a.kind === 'run' ? a.cpu : 0, memoryMb: a.memoryMb, exclusive: a.persistentDir,
      estimateMs: actionEstimateMs(a, durations.get(id)),
    });
  }
  const keysOf = new Map<ActionId, string>();
  const statusOfSubst = new Map<string, 'executed' | 'cached' | 'failed'>();
  o.events({ type: 'build_planned', actions: items.size, jobs, estimates: Object.fromEntries([...items.values()].map((i) => [i.id, i.estimateMs * Math.max(1, i.cpu)])) });
  const execOpts: ExecutorOptions = {
    paths: o.paths, blobs: o.blobs, actionCache: o.actionCache, digests: o.digests, runner: o.runner,
    history: o.history, events: o.events, platform: PLATFORM, remote: o.remote, keepSandboxes: o.keepSandboxes, maxSlots: jobs, previous: o.previous,
  };
  const executor = new Executor(execOpts);
  const signal = o.signal ?? new AbortController().signal;
  let executed = 0, cached = 0, cachedRemote = 0;
  // Substitution first, as Nix does: every action whose inputs come from the cache is looked up
  // and restored, many at once (remote downloads overlap), before any command runs; only the
  // rest goes to the scheduler. Dependents of a miss must wait for the real output.
  // After a previous build, unchanged actions are settled by the scheduler as they become ready,
  // and the few that changed go to the cache anyway: the pre-pass only pays off for a remote.
  const substituted = o.previous && !o.remote ? new Set<ActionId>() : await substituteFromCaches(o.graph, needed, executor, o.remote ? 8 : 1, signal, (action, outcome) => {
    keysOf.set(action.id, outcome.key);
    statusOfSubst.set(action.id, 'cached');
    if (outcome.cache === 'remote') cachedRemote++;
    else cached++;
    o.events({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, status: 'cached', cache: outcome.cache, key: outcome.key, durationMs: outcome.durationMs });
  });
  for (const id of substituted) items.delete(id);
  const statusOf = statusOfSubst;
  const skippedBecause = new Map<string, string>();
  const ran: { label: string; mnemonic: string; durationMs: number; logPath?: string }[] = [];
  /** The last failure of each action (a retried action's earlier attempts are replaced). */
  const failures = new Map<ActionId, ActionFailure>();
  const keys = keysOf;
  const reused = new Set<ActionId>();
  let lastFlush = Date.now();
  const flush = () => {
    o.digests.flush();
    o.history.flush();
    o.actionCache.flushTouches();
    lastFlush = Date.now();
  };
  const retries = o.retries ?? 1;
  const result = await schedule(items, { jobs, memoryMb: o.memoryMb, keepGoing: o.keepGoing ?? false, shuffle: process.env.XBUILD_SHUFFLE === '1', retries, signal: o.signal }, {
    start: async (id, attempt, release) => {
      const action = o.graph.actions.get(id as ActionId)!;
      const outcome = await executor.execute(action, signal, release);
      if (outcome.key) keys.set(action.id, outcome.key);
      statusOf.set(action.id, outcome.ok ? outcome.status : 'failed');
      if (outcome.ok) {
        if (outcome.status === 'executed') {
          executed++;
          ran.push({ label: action.label, mnemonic: action.mnemonic, durationMs: outcome.durationMs, logPath: outcome.logPath });
        } else if (outcome.cache === 'remote') cachedRemote++;
        else cached++;
        o.events({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, status: outcome.status, cache: outcome.cache, key: outcome.key, durationMs: outcome.durationMs });
      } else {
        failures.set(action.id, { id: action.id, label: action.label, error: outcome.error, logPath: outcome.logPath, blame: outcome.blame });
        if (outcome.blame === 'environment' && attempt <= retries && !signal.aborted) {
          // The scheduler tries it again (engine/schedule/scheduler.ts): not a failure yet.
          o.events({ type: 'warning', message: `${action.label}: ${outcome.error}; trying again (${attempt}/${retries})` });
          return { ok: false, retryable: true };
        }
        o.events({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, status: 'failed', key: outcome.key ?? '', durationMs: outcome.durationMs,
          error: outcome.error, logPath: outcome.logPath, logTail: outcome.logTail, exitCode: outcome.exitCode });
      }
      if (Date.now() - lastFlush > 2000) flush();
      return { ok: outcome.ok, retryable: !outcome.ok && outcome.blame === 'environment' };
    },
    prepareAhead: (id) => void executor.prepareAhead(o.graph.actions.get(id as ActionId)!),
    settleNow: o.previous ? (id) => {
      const action = o.graph.actions.get(id as ActionId)!;
      const same = executor.fromPrevious(action);
      if (!same) return undefined;
      reused.add(action.id);
      keys.set(action.id, same.key);
      statusOf.set(action.id, 'cached');
      cached++;
      o.events({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, status: 'cached', cache: 'local', key: same.key, durationMs: 0 });
      return { ok: true };
    } : undefined,
    skipped: (id, because) => {
      const a = o.graph.actions.get(id as ActionId)!;
      skippedBecause.set(id, o.graph.actions.get(because as ActionId)!.label);
      o.events({ type: 'action_skipped', id: a.id, label: a.label, mnemonic: a.mnemonic, because: because as ActionId, becauseLabel: o.graph.actions.get(because as ActionId)!.label });
    },
  });
  await executor.drain();
  flush();
  // Keep only failures that are final (a retried action that later succeeded is not one).
  const finalFailures = [...failures.values()].filter((f) => result.failed.has(f.id));
  const targets = targetOutcomes(o.graph, o.labels, needed, statusOf, skippedBecause);
  const rank = { failed: 0, skipped: 1, 'not-started': 2, ok: 3, cached: 4 } as const;
  targets.sort((a, b) => rank[a.status] - rank[b.status] || (a.label < b.label ? -1 : 1));
  for (const id of substituted) (result.succeeded as Set<string>).add(id);
  return {
    ok: result.ok, executed, cached, cachedRemote, failed: result.failed.size, skipped: result.skipped.size,
    outputs: files.map((f) => f.path), failures: finalFailures, actionKeys: keys,
    slowest: ran.sort((a, b) => b.durationMs - a.durationMs).slice(0, 10), allKeys: [...keys.values()].sort(), targets, reused,
    outputsById: new Map([...needed].map((id) => [id, o.graph.actions.get(id)!.outputs.map((a) => executor.produced.get(a.path)).filter((x): x is OutputEntry => !!x)])),
  };
}

export type { Action };

/**
 * The common case, every needed action succeeded: a target is "ok" if an action it depends on
 * ran, else "cached". Marks what the executed actions reach, following consumers from each one
 * (an incremental build that ran a few actions visits only what they reach).
 */
function outcomesWhenAllSucceeded(graph: ActionGraph, labels: readonly string[], needed: ReadonlySet<ActionId>,
  statusOf: ReadonlyMap<string, 'executed' | 'cached' | 'failed'>): TargetOutcome[] {
  const reached = new Set<ActionId>();
  const stack: ActionId[] = [];
  for (const id of needed) if (statusOf.get(id) === 'executed') stack.push(id);
  if (stack.length) {
    const consumers = new Map<string, ActionId[]>(); // generated path -> actions reading it
    for (const id of needed) {
      for (const i of graph.actions.get(id)!.inputs) if (!i.source) (consumers.get(i.path) ?? consumers.set(i.path, []).get(i.path)!).push(id);
    }
    while (stack.length) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      for (const o of graph.actions.get(id)!.outputs) for (const c of consumers.get(o.path) ?? []) if (!reached.has(c)) stack.push(c);
    }
  }
  return labels.map((l) => {
    const files = graph.targets.get(l as never)?.files ?? [];
    const ran = files.some((f) => {
      const p = f.source ? undefined : graph.producers.get(f.path);
      return p !== undefined && reached.has(p);
    });
    return { label: l, status: ran ? 'ok' : 'cached' };
  });
}

/** What a target's actions, its own and those it depends on, came to (merged over the closure). */
interface Closure {
  executed: boolean;
  notStarted: boolean;
  /** The failed action behind a failure in the closure (its label), if any. */
  failedRoot?: string;
}

/**
 * Each requested target's outcome, from one pass over the needed actions in dependency order
 * (each action's closure is its own status merged with its producers'), not one closure walk
 * per target: that was quadratic on deep graphs.
 */
function targetOutcomes(graph: ActionGraph, labels: readonly string[], needed: ReadonlySet<ActionId>,
  statusOf: ReadonlyMap<string, 'executed' | 'cached' | 'failed'>, skippedBecause: ReadonlyMap<string, string>): TargetOutcome[] {
  let allDone = skippedBecause.size === 0;
  for (const id of needed) if (!allDone || statusOf.get(id) === undefined || statusOf.get(id) === 'failed') { allDone = false; break; }
  if (allDone) return outcomesWhenAllSucceeded(graph, labels, needed, statusOf);
  const closure = new Map<ActionId, Closure>();
  const producers = new Map<ActionId, ActionId[]>();
  const producersOf = (id: ActionId): ActionId[] => {
    let list = producers.get(id);
    if (!list) {
      list = [];
      for (const i of graph.actions.get(id)!.inputs) {
        const p = i.source ? undefined : graph.producers.get(i.path);
        if (p && needed.has(p)) list.push(p);
      }
      producers.set(id, list);
    }
    return list;
  };
  for (const root of needed) {
    // Iterative post-order: producers first (chains can be thousands deep).
    const stack: [ActionId, boolean][] = [[root, false]];
    while (stack.length) {
      const [id, expanded] = stack.pop()!;
      if (closure.has(id)) continue;
      const mine = producersOf(id);
      if (!expanded) {
        stack.push([id, true]);
        for (const p of mine) if (!closure.has(p)) stack.push([p, false]);
        continue;
      }
      const status = statusOf.get(id);
      const c: Closure = {
        executed: status === 'executed', notStarted: status === undefined && !skippedBecause.has(id),
        failedRoot: status === 'failed' ? graph.actions.get(id)!.label : skippedBecause.get(id),
      };
      for (const p of mine) {
        const pc = closure.get(p)!;
        c.executed ||= pc.executed;
        c.notStarted ||= pc.notStarted;
        if (pc.failedRoot && (!c.failedRoot || pc.failedRoot < c.failedRoot)) c.failedRoot = pc.failedRoot;
      }
      closure.set(id, c);
    }
  }
  return labels.map((l) => {
    const target = graph.targets.get(l as never);
    const ownFailed = (target?.actions ?? []).some((id) => statusOf.get(id) === 'failed');
    const merged: Closure = { executed: false, notStarted: false };
    for (const f of target?.files ?? []) {
      const p = f.source ? undefined : graph.producers.get(f.path);
      const c = p ? closure.get(p) : undefined;
      if (!c) continue;
      merged.executed ||= c.executed;
      merged.notStarted ||= c.notStarted;
      if (c.failedRoot && (!merged.failedRoot || c.failedRoot < merged.failedRoot)) merged.failedRoot = c.failedRoot;
    }
    const status: TargetOutcome['status'] = ownFailed ? 'failed' : merged.failedRoot ? 'skipped'
      : merged.notStarted ? 'not-started' : merged.executed ? 'ok' : 'cached';
    return { label: l, status, because: status === 'skipped' ? merged.failedRoot : undefined };
  });
}

/**
 * Looks up, in dependency order and `concurrency` at a time, every needed action whose generated
 * inputs are already known (from the cache), restoring hits. Returns the actions it satisfied.
 */
async function substituteFromCaches(
  graph: ActionGraph, needed: ReadonlySet<ActionId>, executor: Executor, concurrency: number, signal: AbortSignal,
  onHit: (a: Action, outcome: { key: string; cache?: 'local' | 'remote'; durationMs: number }) => void,
): Promise<Set<ActionId>> {
  const waiting = new Map<ActionId, number>();
  const dependents = new Map<ActionId, ActionId[]>();
  for (const id of needed) {
    const producers = new Set(graph.actions.get(id)!.inputs.filter((i) => !i.source).map((i) => graph.producers.get(i.path)!).filter((p) => needed.has(p)));
    waiting.set(id, producers.size);
    for (const p of producers) (dependents.get(p) ?? dependents.set(p, []).get(p)!).push(id);
  }
  const queue = [...needed].filter((id) => waiting.get(id) === 0);
  const done = new Set<ActionId>();
  const worker = async () => {
    for (let id = queue.pop(); id !== undefined && !signal.aborted; id = queue.pop()) {
      const action = graph.actions.get(id)!;
      let hit;
      try {
        hit = await executor.tryCache(action);
      } catch {
        hit = undefined; // the scheduler's run will report it
      }
      if (!hit) continue;
      done.add(id);
      onHit(action, hit);
      for (const d of dependents.get(id) ?? []) {
        const n = waiting.get(d)! - 1;
        waiting.set(d, n);
        if (n === 0) queue.push(d);
      }
    }
  };
  // Workers exit when the queue is momentarily empty; restart until no new work appears.
  while (queue.length && !signal.aborted) await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return done;
}
