/**
 * The full build: patterns -> analysis -> the actions the requested targets need -> scheduler
 * -> executor, reporting everything as BuildEvents. `fullBuild` is the strategy a build session
 * (engine/buildSession.ts) runs; `ActionRuns` runs the scheduler's items for both strategies.
 */
import { cpus, arch, platform } from 'node:os';
import { actionsFor, type Action, type ActionGraph, type ActionId } from './analyze/action.js';
import type { ActionFailure, ActionTime } from './report/buildRecord.js';
import type { BuildContext, BuildResult, BuildStrategy } from './buildSession.js';
import type { BuildEvent } from './report/events.js';
import { Executor, type ActionOutcome, type ExecutorOptions, type RemoteCacheHook } from './execute/executor.js';
import type { OutputEntry } from '../cache/actionCache.js';
import type { ActionRunner } from './execute/runner.js';
import { schedule, type SchedulerCallbacks, type SchedulerOptions, type WorkItem } from './schedule/scheduler.js';
import { removeUndeclared } from './execute/staleOutputs.js';
import { writeUpToDateStamp, type StampedAnalysis } from './incremental/stampWriter.js';
import { targetOutcomes } from './report/targetOutcomes.js';
import type { LabelString } from './load/label.js';
import type { StampedBuild } from './incremental/upToDate.js';

export const PLATFORM = `${platform()}-${arch()}`;
export const DEFAULT_JOBS = Math.max(1, cpus().length);
const DEFAULT_ESTIMATE_MS = 1000;

/** What the scheduler and forecasts expect an action to take: its recorded time, else the rule's estimate, else a default. */
export function actionEstimateMs(a: Action, recorded: number | undefined): number {
  return recorded ?? a.estimateMs ?? (a.kind === 'run' ? DEFAULT_ESTIMATE_MS * a.cpu : 10);
}

/** The scheduler's view of an action: its CPU slots, memory, persistent directory (run alone) and expected time. */
export function workItem(a: Action, deps: readonly string[], recordedMs: number | undefined): WorkItem {
  return { id: a.id, deps, cpu: a.kind === 'run' ? a.cpu : 0, memoryMb: a.memoryMb, exclusive: a.persistentDir, estimateMs: actionEstimateMs(a, recordedMs) };
}

/**
 * What the scheduler's items come to, action by action: each runs (or is restored) by the
 * executor, is counted, and has its action_finished emitted; a failed attempt the scheduler
 * tries again gets a warning instead. Both build strategies tally their actions here.
 */
export class ActionRuns {
  executed = 0;
  cached = 0;
  cachedRemote = 0;
  readonly keys = new Map<ActionId, string>();
  readonly statusOf = new Map<string, 'executed' | 'cached' | 'failed'>();
  /** Each successful action's outputs. */
  readonly outputs = new Map<string, readonly OutputEntry[]>();
  readonly ran: ActionTime[] = [];
  /** The last failure of each action (a retried action's earlier attempts are replaced). */
  private readonly failures = new Map<ActionId, Extract<ActionOutcome, { ok: false }> & ActionFailure>();
  private lastFlush = Date.now();
  readonly executor: Executor;

  /** `previous` and `remote`: the executor's (engine/incremental/dirty.ts, cache levels). */
  constructor(private readonly b: BuildContext, runner: ActionRunner, private readonly actionOf: (id: string) => Action, private readonly retries: number,
    more: Partial<Pick<ExecutorOptions, 'previous' | 'remote' | 'keepSandboxes'>> = {}) {
    this.executor = new Executor({ ...b.stores, runner, events: b.emit, platform: PLATFORM, maxSlots: b.options.jobs, ...more });
  }

  /** Writes what the build has learnt so far (file digests, durations, cache use). */
  flush(): void {
    this.b.stores.digests.flush();
    this.b.stores.history.flush();
    this.b.stores.actionCache.flushTouches();
    this.lastFlush = Date.now();
  }

  /** Counts an action settled without running: a cache hit, or the previous build's result. */
  settled(action: Action, outcome: { readonly key: string; readonly cache?: 'local' | 'remote'; readonly durationMs: number; readonly outputs: readonly OutputEntry[] }): void {
    this.keys.set(action.id, outcome.key);
    this.statusOf.set(action.id, 'cached');
    this.outputs.set(action.id, outcome.outputs);
    if (outcome.cache === 'remote') this.cachedRemote++;
    else this.cached++;
    this.finished(action, { status: 'cached', cache: outcome.cache, key: outcome.key, durationMs: outcome.durationMs });
  }

  private finished(action: Action, e: Omit<Extract<BuildEvent, { type: 'action_finished' }>, 'type' | 'id' | 'label' | 'mnemonic'>): void {
    this.b.emit({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, ...e });
  }

  /** The scheduler's callbacks: start runs an item; failed reports an attempt as the scheduler decided. */
  readonly callbacks: Pick<SchedulerCallbacks, 'start' | 'failed' | 'prepareAhead'> = {
    start: async (id, _attempt, release) => {
      const action = this.actionOf(id);
      const outcome = await this.executor.execute(action, this.b.signal, release);
      if (outcome.key) this.keys.set(action.id, outcome.key);
      if (!outcome.ok) {
        this.statusOf.set(action.id, 'failed');
        this.failures.set(action.id, { ...outcome, id: action.id, label: action.label });
      } else if (outcome.status === 'cached') this.settled(action, outcome);
      else {
        this.statusOf.set(action.id, 'executed');
        this.outputs.set(action.id, outcome.outputs);
        this.executed++;
        this.ran.push({ label: action.label, mnemonic: action.mnemonic, durationMs: outcome.durationMs, logPath: outcome.logPath });
        this.finished(action, { status: outcome.status, cache: outcome.cache, key: outcome.key, durationMs: outcome.durationMs });
      }
      if (Date.now() - this.lastFlush > 2000) this.flush();
      return { ok: outcome.ok, retryable: !outcome.ok && outcome.blame === 'environment' };
    },
    failed: (id, attempt, retry) => {
      const action = this.actionOf(id);
      const f = this.failures.get(action.id);
      if (!f) return;
      if (retry) this.b.emit({ type: 'warning', message: `${action.label}: ${f.error}; trying again (${attempt}/${this.retries})` });
      else this.finished(action, { status: 'failed', key: f.key ?? '', durationMs: f.durationMs, error: f.error, logPath: f.logPath, logTail: f.logTail, exitCode: f.exitCode });
    },
    prepareAhead: (id) => void this.executor.prepareAhead(this.actionOf(id)),
  };

  /**
   * The scheduler over `items` with this build's jobs, retries and signal, and with the start,
   * failure and prepare-ahead callbacks above. XBUILD_SHUFFLE=1 randomises priorities (tests use
   * it to expose a missing dependency edge).
   */
  schedule(items: ReadonlyMap<string, WorkItem>, o: Pick<SchedulerOptions, 'memoryMb' | 'keepGoing'>, more: Pick<SchedulerCallbacks, 'skipped' | 'settleNow'>) {
    return schedule(items, { ...o, jobs: this.b.options.jobs, retries: this.retries, signal: this.b.signal, shuffle: process.env.XBUILD_SHUFFLE === '1' }, { ...this.callbacks, ...more });
  }

  /** The failures that are final: of the actions the scheduler reports failed (not a retried one that then succeeded). */
  finalFailures(failed: ReadonlySet<string>): ActionFailure[] {
    return [...this.failures.values()].filter((f) => failed.has(f.id)).map((f) => ({ id: f.id, label: f.label, error: f.error, logPath: f.logPath, blame: f.blame }));
  }

  /** Executed actions, slowest first (for reports). */
  slowest(): ActionTime[] {
    return this.ran.sort((a, b) => b.durationMs - a.durationMs).slice(0, 10);
  }
}

/** What the full build takes besides the session: the analysis (cli/session.ts) and the command line's settings. */
export interface FullBuildOptions {
  readonly analyze: () => Promise<StampedAnalysis & { readonly fromCache: boolean; readonly ms: number }>;
  /** --dry-run: shows the plan instead of building; its exit code. */
  readonly dryRun?: (graph: ActionGraph, labels: readonly string[]) => Promise<number>;
  /**
   * Before anything runs: a build of the whole workspace (`//...`) knows every declared output,
   * so whatever else is in xbuild-out/ is stale (a deleted target's outputs) and goes; after a
   * killed xbuild, its temp files and parked directories go (engine/execute/staleOutputs.ts).
   */
  readonly clearUndeclared?: 'stale' | 'leftovers';
  /** The remote cache level, when the settings name one; `report` says what happens to it. */
  readonly remote?: (report: (level: 'warning' | 'info', message: string) => void, signal: AbortSignal) => Promise<RemoteLevel | undefined>;
  readonly memoryMb?: number;
  readonly keepGoing: boolean;
  readonly keepSandboxes: boolean;
  readonly retries?: number;
  /** The last build of the same command and what changed since (see engine/incremental/dirty.ts). */
  readonly previous?: StampedBuild;
  /** Where the up-to-date stamp goes. */
  readonly stampFile: string;
}

/** A remote cache level (cache/remote/remoteCacheLevel.ts) as the build uses it. */
export interface RemoteLevel extends RemoteCacheHook {
  stats(): NonNullable<BuildResult['remote']>;
  close(): void;
}

/** The full build as a strategy of a build session (engine/buildSession.ts). */
export function fullBuild(o: FullBuildOptions): BuildStrategy {
  let analysis: Awaited<ReturnType<FullBuildOptions['analyze']>>;
  let remote: RemoteLevel | undefined;
  const total = { n: 0 };
  return {
    total: () => total.n,
    prepare: async (b) => {
      analysis = await o.analyze();
      b.showGraph(analysis.graph);
      b.emit({ type: 'analysis_finished', targets: analysis.graph.targets.size, actions: analysis.graph.actions.size, fromCache: analysis.fromCache, ms: analysis.ms });
      if (o.dryRun) return o.dryRun(analysis.graph, analysis.labels);
      if (o.clearUndeclared) clearUndeclared(b, analysis.graph, o.clearUndeclared);
      remote = await o.remote?.((level, message) => b.emit({ type: level, message }), b.signal);
      return undefined;
    },
    run: (b, runner) => runBuild(b, runner, o, analysis, remote, total),
  };
}

function clearUndeclared(b: BuildContext, graph: ActionGraph, what: 'stale' | 'leftovers'): void {
  const r = removeUndeclared(b.options.root, new Set(graph.producers.keys()), what === 'leftovers');
  if (!r.removed.length) return;
  const shown = r.removed.slice(0, 5).join(', ') + (r.removed.length > 5 ? `, and ${r.removed.length - 5} more` : '');
  b.emit({ type: 'info', message: `removed ${r.removed.length} ${what === 'stale' ? 'stale output' : 'leftover'}${r.removed.length === 1 ? '' : 's'} no target declares: ${shown}` });
}

async function runBuild(b: BuildContext, runner: ActionRunner, o: FullBuildOptions, analysis: StampedAnalysis, remote: RemoteLevel | undefined,
  total: { n: number }): Promise<BuildResult> {
  const { graph, labels } = analysis;
  const { stores, signal, emit } = b;
  const jobs = b.options.jobs;
  const files = labels.flatMap((l) => graph.targets.get(l as LabelString)?.files ?? []);
  const needed = actionsFor(graph, files);
  const durations = stores.history.knownDurations();
  const items = new Map<string, WorkItem>();
  for (const id of needed) {
    const a = graph.actions.get(id)!;
    const deps = [...new Set(a.inputs.filter((i) => !i.source).map((i) => graph.producers.get(i.path)!).filter(Boolean))];
    items.set(id, workItem(a, deps, durations.get(id)));
  }
  emit({ type: 'build_planned', actions: items.size, jobs, estimates: Object.fromEntries([...items.values()].map((i) => [i.id, i.estimateMs * Math.max(1, i.cpu)])) });
  const actionOf = (id: string) => graph.actions.get(id as ActionId)!;
  const retries = o.retries ?? 1;
  const runs = new ActionRuns(b, runner, actionOf, retries, { remote, keepSandboxes: o.keepSandboxes, previous: o.previous });
  const { executor } = runs;
  // Substitution first, as Nix does: every action whose inputs come from the cache is looked up
  // and restored, many at once (remote downloads overlap), before any command runs; only the
  // rest goes to the scheduler. Dependents of a miss must wait for the real output.
  // After a previous build, unchanged actions are settled by the scheduler as they become ready,
  // and the few that changed go to the cache anyway: the pre-pass only pays off for a remote.
  const substituted = o.previous && !remote ? new Set<string>() : await substituteFromCaches(items, runs, actionOf, remote ? 8 : 1, signal);
  for (const id of substituted) items.delete(id);
  const skippedBecause = new Map<string, string>();
  const reused = new Set<ActionId>();
  const result = await runs.schedule(items, { memoryMb: o.memoryMb, keepGoing: o.keepGoing }, {
    settleNow: o.previous ? (id) => {
      const action = actionOf(id);
      const same = executor.fromPrevious(action);
      if (!same) return undefined;
      reused.add(action.id);
      runs.settled(action, same);
      return { ok: true };
    } : undefined,
    skipped: (id, because) => {
      const a = actionOf(id);
      skippedBecause.set(id, actionOf(because).label);
      emit({ type: 'action_skipped', id: a.id, label: a.label, mnemonic: a.mnemonic, because: because as ActionId, becauseLabel: actionOf(because).label });
    },
  });
  await executor.drain();
  runs.flush();
  const outputs = files.map((f) => f.path);
  const outputsById = new Map([...needed].map((id) => [id, graph.actions.get(id)!.outputs.map((a) => executor.produced.get(a.path)).filter((x): x is OutputEntry => !!x)]));
  const stats = remote?.stats();
  remote?.close();
  total.n = runs.executed + runs.cached;
  return {
    ok: result.ok, executed: runs.executed, cached: runs.cached, cachedRemote: runs.cachedRemote, failed: result.failed.size, skipped: result.skipped.size,
    outputs, failures: runs.finalFailures(result.failed), slowest: runs.slowest(), remote: stats,
    allKeys: [...runs.keys.values()].sort(), targets: targetOutcomes(graph, labels, needed, runs.statusOf, skippedBecause),
    recordStamp: () => void writeUpToDateStamp({ root: b.options.root, stampFile: o.stampFile, digests: b.stores.digests }, analysis, outputs,
      runs.keys, outputsById, o.previous && { build: o.previous, reused }),
  };
}

/**
 * Looks up, in dependency order and `concurrency` at a time (the scheduler's I/O slots), every
 * needed action whose generated inputs are already known (from the cache), restoring hits; a
 * miss leaves its dependents to the build. Returns the actions it satisfied.
 */
async function substituteFromCaches(items: ReadonlyMap<string, WorkItem>, runs: ActionRuns, actionOf: (id: string) => Action,
  concurrency: number, signal: AbortSignal): Promise<ReadonlySet<string>> {
  const lookups = new Map([...items].map(([id, it]) => [id, { ...it, cpu: 0, exclusive: undefined }]));
  const result = await schedule(lookups, { jobs: 1, ioJobs: concurrency, keepGoing: true, signal }, {
    start: async (id) => {
      const action = actionOf(id);
      const hit = await runs.executor.tryCache(action).catch(() => undefined); // the build's run reports it
      if (hit) runs.settled(action, hit);
      return { ok: !!hit };
    },
    skipped: () => {},
  });
  return result.succeeded;
}
