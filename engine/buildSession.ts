/**
 * One `xbuild build`, whichever way it goes. The session owns what every build has: the
 * loggers, Ctrl-C (an AbortController), the runner, the build record, `build_finished`, the
 * up-to-date stamp and the figures of the last lines (cli/buildEnd.ts prints them). A strategy
 * does the part that differs, the full build (engine/build.ts: analysis, then the needed
 * actions) or the incremental one (engine/incremental/incrementalBuild.ts: the action index, then what the
 * changed files reach), and ends in one BuildResult; the rest is done here, once.
 */
import type { ActionGraph } from './analyze/action.js';
import { finishBuildRecord, startBuildRecord, type BuildReport } from './report/buildRecord.js';
import { BuildStreamWriter } from './report/buildStream.js';
import { engineCpuMs, type BuildEvent, type EventSink } from './report/events.js';
import type { ExecutorOptions } from './execute/executor.js';
import { isolation } from './execute/isolation.js';
import { NdjsonWriter, PlainLogger, TtyLogger, type Logger } from './report/loggers.js';
import type { ActionRunner } from './execute/runner.js';
import { newRunner, WorkerPoolRunner } from './execute/workerPool.js';
import type { Db } from '../cache/database.js';

/** What the session takes from the command line (--events, --profile; a --dry-run keeps no event stream in .xbuild/builds/). */
export interface SessionOptions {
  readonly root: string;
  readonly stateDir: string;
  readonly patterns: readonly string[];
  readonly jobs: number;
  readonly eventsFile?: string;
  readonly verbose: boolean;
  readonly profile?: string;
  readonly dryRun: boolean;
}

/** The cache and state a build reads and writes (cli/session.ts opens them). */
export type BuildStores = Pick<ExecutorOptions, 'paths' | 'blobs' | 'actionCache' | 'digests' | 'history'> & { readonly db: Db };

/** What a strategy gets from the session. */
export interface BuildContext {
  readonly options: SessionOptions;
  readonly stores: BuildStores;
  readonly emit: EventSink;
  /** Aborted when the user interrupts the build. */
  readonly signal: AbortSignal;
  /** Gives the action graph to the loggers that draw it (the event stream, the profile). */
  showGraph(graph: ActionGraph): void;
}

/** How a build went, as a strategy reports it; the session records and reports it. */
export interface BuildResult extends Pick<BuildReport, 'ok' | 'executed' | 'cachedRemote' | 'failed' | 'skipped' | 'failures' | 'slowest' | 'targets'> {
  /** Local cache hits and results reused from the previous build. */
  readonly cached: number;
  /** The requested outputs, workspace-relative. */
  readonly outputs: readonly string[];
  /** The keys of every action this build needed (gc roots). */
  readonly allKeys: readonly string[];
  /** Remote cache traffic, when a remote cache was used. */
  readonly remote?: { readonly bytesDownloaded: number; readonly bytesUploaded: number };
  /** Writes the up-to-date stamp; called after a successful, uninterrupted build. */
  recordStamp(): void;
}

/** One way to run a build. */
export interface BuildStrategy {
  /** How many actions the build has, for the progress line. */
  total(): number;
  /** Analysis or what stands in for it (emits analysis_finished); a number ends the command there (a dry run's exit code). */
  prepare(b: BuildContext): Promise<number | undefined>;
  /** Runs the actions; undefined hands the command over to the full build (what ran is in the action cache). */
  run(b: BuildContext, runner: ActionRunner): Promise<BuildResult | undefined>;
}

/** The figures of the last lines of `xbuild build` (cli/buildEnd.ts writes them). */
export interface BuildEnd extends Omit<BuildResult, 'recordStamp'> {
  readonly aborted: boolean;
  readonly outDir: string;
  readonly durationMs: number;
}

/** Runs `strategy` as one build: its last lines' figures, a dry run's exit code, or undefined to hand over to the full build. */
export async function runBuildSession(o: SessionOptions, stores: BuildStores, strategy: BuildStrategy): Promise<BuildEnd | number | undefined> {
  const started = Date.now();
  const loggers: Logger[] = [];
  const emit = (e: BuildEvent) => {
    for (const l of loggers) l.event(e);
  };
  const abort = new AbortController();
  const onSignal = () => {
    emit({ type: 'warning', message: 'interrupted: stopping running actions' });
    abort.abort();
  };
  let runner: ActionRunner | undefined;
  const closeRunner = () => runner instanceof WorkerPoolRunner && runner.close();
  try {
    if (o.eventsFile) loggers.push(new NdjsonWriter(o.eventsFile));
    // Every build that may run something keeps its event stream in .xbuild/builds/ (xbuild serve).
    const stream = o.dryRun ? undefined : new BuildStreamWriter(o.stateDir, started);
    if (stream) loggers.push(stream);
    // Loaded only when used: a build's start-up pays for every module it imports.
    const profile = o.profile ? new (await import('./report/profile.js')).ProfileWriter(o.profile) : undefined;
    if (profile) loggers.push(profile);
    const tty = process.stderr.isTTY && !process.env.CI;
    loggers.push(tty ? new TtyLogger(o.root, () => strategy.total()) : new PlainLogger(o.root, process.stderr, o.verbose));
    emit({ type: 'build_started', patterns: o.patterns, jobs: o.jobs, time: started });
    const b: BuildContext = {
      options: o, stores, emit, signal: abort.signal,
      showGraph: (graph) => {
        if (profile) profile.graph = graph;
        if (stream) stream.graph = graph;
      },
    };
    const code = await strategy.prepare(b);
    if (code !== undefined) return code;
    const recordId = startBuildRecord(stores.db, o.root, o.patterns);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    runner = newRunner();
    const isolationWarning = isolation().warning();
    if (isolationWarning) emit({ type: 'warning', message: isolationWarning });
    const r = await strategy.run(b, runner);
    if (!r) return undefined;
    closeRunner();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const durationMs = Date.now() - started;
    const { outDir } = stores.paths;
    const transfer = { bytesDownloaded: r.remote?.bytesDownloaded ?? 0, bytesUploaded: r.remote?.bytesUploaded ?? 0 };
    emit({
      type: 'build_finished', ok: r.ok, executed: r.executed, cached: r.cached + r.cachedRemote, failed: r.failed, skipped: r.skipped,
      durationMs, outputs: r.outputs, outDir, cacheStats: { localHits: r.cached, remoteHits: r.cachedRemote, misses: r.executed + r.failed, ...transfer },
      engineCpuMs: engineCpuMs(),
    });
    finishBuildRecord(stores.db, recordId, {
      ok: r.ok, patterns: o.patterns, executed: r.executed, cachedLocal: r.cached, cachedRemote: r.cachedRemote, failed: r.failed, skipped: r.skipped,
      durationMs, failures: r.failures, slowest: r.slowest, targets: r.targets, remote: r.remote ? { ...r.remote } : undefined,
    }, o.root, r.allKeys);
    for (const l of loggers) l.close();
    loggers.length = 0;
    if (r.ok && !abort.signal.aborted) r.recordStamp();
    return { ...r, aborted: abort.signal.aborted, outDir, durationMs };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    closeRunner();
    for (const l of loggers) l.close();
  }
}
