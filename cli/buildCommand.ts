/**
 * `xbuild build`: analyse, run, report. The last line says whether it worked and where the
 * outputs are.
 */
import { runBuild, DEFAULT_JOBS } from '../engine/build.js';
import { engineCpuMs, type BuildEvent } from '../engine/report/events.js';
import { BuildStreamWriter } from '../engine/report/buildStream.js';
import { NdjsonWriter, PlainLogger, TtyLogger, type Logger } from '../engine/report/loggers.js';
import { ProcessRunner } from '../engine/execute/runner.js';
import { WorkerPoolRunner } from '../engine/execute/workerPool.js';
import { isolation } from '../engine/execute/isolation.js';
import { analyze, openSession } from './session.js';
import { writeUpToDateStamp } from './stampWriter.js';
import type { PreviousBuild } from './fastBuild.js';
import { UsageError } from './args.js';
import { cacheSettings } from './settings.js';
import { finishBuildRecord, startBuildRecord } from './buildRecord.js';
import { reportBuildEnd } from './buildEnd.js';
import type { CommandContext } from './commandContext.js';
import type { ActionGraph } from '../engine/analyze/action.js';
import { removeUndeclared } from '../engine/execute/staleOutputs.js';

export async function buildCommand(ctx: CommandContext, previous?: PreviousBuild): Promise<number> {
  if (ctx.positional.length === 0) throw new UsageError('build needs at least one target pattern, e.g. xbuild build //examples/hello:hello');
  const started = Date.now();
  const session = await openSession(ctx.root, ctx.cacheDir);
  const loggers: Logger[] = [];
  try {
    const jobs = (ctx.flags.jobs as number | undefined) || DEFAULT_JOBS;
    const eventsFile = ctx.flags.events as string | undefined;
    if (eventsFile) loggers.push(new NdjsonWriter(eventsFile));
    // Every build that may run something keeps its event stream in .xbuild/builds/ (xbuild serve).
    const stream = ctx.flags['dry-run'] ? undefined : new BuildStreamWriter(ctx.paths.stateDir, started);
    if (stream) loggers.push(stream);
    // Loaded only when used: a build's start-up pays for every module it imports.
    const profile = typeof ctx.flags.profile === 'string' ? new (await import('../engine/report/profile.js')).ProfileWriter(ctx.flags.profile) : undefined;
    if (profile) loggers.push(profile);
    let total = 0;
    const tty = process.stderr.isTTY && !process.env.CI;
    loggers.push(tty ? new TtyLogger(ctx.root, () => total) : new PlainLogger(ctx.root, process.stderr, !!ctx.flags.verbose));
    const emit = (e: BuildEvent) => {
      for (const l of loggers) l.event(e);
    };
    emit({ type: 'build_started', patterns: ctx.positional, jobs, time: started });
    const analysis = await analyze(session, ctx.positional, previous !== undefined);
    if (profile) profile.graph = analysis.graph;
    if (stream) stream.graph = analysis.graph;
    emit({ type: 'analysis_finished', targets: analysis.graph.targets.size, actions: analysis.graph.actions.size, fromCache: analysis.fromCache, ms: analysis.ms });
    if (ctx.flags['dry-run']) {
      return await (await import('./dryRun.js')).dryRun(session, analysis.graph, analysis.labels, jobs, ctx.flags['forecast-cores'] as number | undefined);
    }
    clearUndeclaredOutputs(ctx, analysis.graph, emit);
    const settings = cacheSettings(ctx.root, ctx.flags);
    const abort = new AbortController();
    const remote = settings.remoteCache || settings.remoteUpload
      ? (await import('./remoteSetup.js')).setupRemote(settings, session.blobs, (level, message) => emit({ type: level, message }), abort.signal)
      : undefined;
    const recordId = startBuildRecord(session.db, ctx.root, ctx.positional);
    const onSigint = () => {
      emit({ type: 'warning', message: 'interrupted: stopping running actions' });
      abort.abort();
    };
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigint);
    // Commands go to long-lived shell workers (cheap forks); XBUILD_RUNNER=process spawns each from Node.
    const runner = process.env.XBUILD_RUNNER === 'process' ? new ProcessRunner() : new WorkerPoolRunner();
    const isolationWarning = isolation().warning();
    if (isolationWarning) emit({ type: 'warning', message: isolationWarning });
    const summary = await runBuild({
      graph: analysis.graph, labels: analysis.labels, paths: session.paths, blobs: session.blobs, actionCache: session.actionCache,
      digests: session.digests, history: session.history, runner, events: emit, jobs,
      memoryMb: ctx.flags.memory as number | undefined, keepGoing: !!ctx.flags['keep-going'], keepSandboxes: !!ctx.flags['keep-sandboxes'],
      retries: ctx.flags.retries as number | undefined, signal: abort.signal, remote, previous: previous as never,
    });
    if (runner instanceof WorkerPoolRunner) runner.close();
    const remoteStats = remote?.stats();
    remote?.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    total = summary.executed + summary.cached;
    const durationMs = Date.now() - started;
    const cacheStats = {
      localHits: summary.cached, remoteHits: summary.cachedRemote, misses: summary.executed + summary.failed,
      bytesDownloaded: remoteStats?.bytesDownloaded ?? 0, bytesUploaded: remoteStats?.bytesUploaded ?? 0,
    };
    emit({
      type: 'build_finished', ok: summary.ok, executed: summary.executed, cached: summary.cached + summary.cachedRemote, failed: summary.failed, skipped: summary.skipped,
      durationMs, outputs: summary.outputs, outDir: session.paths.outDir, cacheStats, engineCpuMs: engineCpuMs(),
    });
    finishBuildRecord(session.db, recordId, {
      ok: summary.ok, patterns: ctx.positional, executed: summary.executed, cachedLocal: summary.cached, cachedRemote: summary.cachedRemote,
      failed: summary.failed, skipped: summary.skipped, durationMs, failures: summary.failures, slowest: summary.slowest, targets: summary.targets,
      remote: remoteStats ? { ...remoteStats } : undefined,
    }, ctx.root, summary.allKeys);
    for (const l of loggers) l.close();
    loggers.length = 0;
    if (summary.ok && !abort.signal.aborted) writeUpToDateStamp(ctx, session, analysis, summary.outputs, summary.actionKeys, summary.outputsById,
      previous && { build: previous, reused: summary.reused });
    return reportBuildEnd(process.stderr, ctx.root, {
      ok: summary.ok, aborted: abort.signal.aborted, executed: summary.executed, cached: summary.cached + summary.cachedRemote, failed: summary.failed,
      skipped: summary.skipped, failures: summary.failures, targets: summary.targets, cache: cacheStats,
      transfer: remote ? `${formatBytes(cacheStats.bytesDownloaded)} downloaded, ${formatBytes(cacheStats.bytesUploaded)} uploaded` : undefined,
      outputs: summary.outputs, outDir: session.paths.outDir, durationMs,
    });
  } finally {
    for (const l of loggers) l.close();
    session.close();
  }
}

/**
 * Before anything runs: a build of the whole workspace (`//...`) knows every declared output, so
 * whatever else is in xbuild-out/ is stale (a deleted target's outputs) and goes; after a killed
 * xbuild, its temp files and parked directories go (engine/execute/staleOutputs.ts).
 */
function clearUndeclaredOutputs(ctx: CommandContext, graph: ActionGraph, emit: (e: BuildEvent) => void): void {
  const whole = ctx.positional.includes('//...');
  if (!whole && !ctx.lockTakenOver) return;
  const r = removeUndeclared(ctx.root, new Set(graph.producers.keys()), !whole);
  if (r.removed.length) {
    const shown = r.removed.slice(0, 5).join(', ') + (r.removed.length > 5 ? `, and ${r.removed.length - 5} more` : '');
    emit({ type: 'info', message: `removed ${r.removed.length} ${whole ? 'stale output' : 'leftover'}${r.removed.length === 1 ? '' : 's'} no target declares: ${shown}` });
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]}`;
}
