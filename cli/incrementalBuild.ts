/**
 * A rebuild after a few files changed, touching only what they reach. The up-to-date stamp
 * names the changed files; the action index next to it (engine/incremental/actionIndex.ts) says which
 * actions read them, and who consumes whose outputs. Those actions run (or come from the action
 * cache) in order of depth; an action whose outputs come out the same stops there (early
 * cutoff), one whose outputs changed brings its consumers in. Nothing else of the graph is
 * loaded: editing a core library's comment in a 20,000-target workspace costs about a no-op
 * plus the one action.
 *
 * Anything this path does not handle returns `undefined` before running anything, and the
 * full build runs instead: a file no action reads or makes, remote caches, --keep-going,
 * --memory, --dry-run or --profile, or a rebuild that reaches more than MAX_ACTIONS actions
 * (the run (cli/reachRun.ts) can also hand over mid-way: what ran is in the action cache).
 */
import { dirname, join } from 'node:path';
import { ActionIndex } from '../engine/incremental/actionIndex.js';
import { PLATFORM, type TargetOutcome } from '../engine/build.js';
import { engineCpuMs, type BuildEvent } from '../engine/report/events.js';
import { Executor } from '../engine/execute/executor.js';
import { BuildStreamWriter } from '../engine/report/buildStream.js';
import { NdjsonWriter, PlainLogger, TtyLogger, type Logger } from '../engine/report/loggers.js';
import { StampRecorder } from '../engine/incremental/upToDate.js';
import { WorkerPoolRunner } from '../engine/execute/workerPool.js';
import { isolation } from '../engine/execute/isolation.js';
import { ProcessRunner } from '../engine/execute/runner.js';
import type { OutputEntry } from '../cache/actionCache.js';
import { DEFAULT_JOBS } from '../engine/build.js';
import { finishBuildRecord, startBuildRecord } from './buildRecord.js';
import type { PreviousBuild } from './fastBuild.js';
import type { CommandContext } from './commandContext.js';
import { openSession, type Session } from './session.js';
import { cacheSettings } from './settings.js';
import { recordChanges } from './stampWriter.js';
import { reportBuildEnd } from './buildEnd.js';
import { ReachRun, sameOutputs } from './reachRun.js';

/** Beyond this many actions the full scheduler (parallel across depths) does better. */
const MAX_ACTIONS = 256;

export async function incrementalBuild(ctx: CommandContext, previous: PreviousBuild): Promise<number | undefined> {
  // The full build's scheduler handles these: a report of skipped targets, a memory budget.
  if (ctx.flags['dry-run'] || ctx.flags.profile || ctx.flags['keep-sandboxes'] || ctx.flags['keep-going'] || ctx.flags.memory) return undefined;
  const settings = cacheSettings(ctx.root, ctx.flags);
  if (settings.remoteCache || settings.remoteUpload) return undefined;
  const index = ActionIndex.open(`${previous.stampFile}.actions`);
  if (!index || index.logged > index.count / 4 + 64) return undefined;
  const { header } = index;
  const dirty = new Set<number>();
  for (const p of previous.changed) {
    // An edited source or tool: its readers run. An edited or deleted output: its maker runs,
    // which restores it from the action cache (its consumers read the stored bytes, not it).
    const readers = index.readersOf(p) ?? (index.makerOf(p) === undefined ? undefined : [index.makerOf(p)!]) ?? readersOfDirectoryAbove(index, p, ctx.root);
    if (!readers) return undefined;
    for (const i of readers) dirty.add(i);
  }
  if (dirty.size > MAX_ACTIONS) return undefined;

  const started = Date.now();
  const session = await openSession(ctx.root, ctx.cacheDir);
  const loggers: Logger[] = [];
  const runner = process.env.XBUILD_RUNNER === 'process' ? new ProcessRunner() : new WorkerPoolRunner();
  const abort = new AbortController();
  const onSignal = () => {
    emit({ type: 'warning', message: 'interrupted: stopping running actions' });
    abort.abort();
  };
  const emit = (e: BuildEvent) => {
    for (const l of loggers) l.event(e);
  };
  try {
    const jobs = (ctx.flags.jobs as number | undefined) || DEFAULT_JOBS;
    const eventsFile = ctx.flags.events as string | undefined;
    if (eventsFile) loggers.push(new NdjsonWriter(eventsFile));
    loggers.push(new BuildStreamWriter(ctx.paths.stateDir, started));
    const tty = process.stderr.isTTY && !process.env.CI;
    loggers.push(tty ? new TtyLogger(ctx.root, () => index.count) : new PlainLogger(ctx.root, process.stderr, !!ctx.flags.verbose));
    emit({ type: 'build_started', patterns: ctx.positional, jobs, time: started });
    emit({ type: 'analysis_finished', targets: index.targets.length, actions: index.count, fromCache: true, ms: 0 });
    const n = previous.changed.size;
    const isolationWarning = isolation().warning();
    if (isolationWarning) emit({ type: 'warning', message: isolationWarning });
    emit({ type: 'info', message: `${n} file${n === 1 ? '' : 's'} changed since the last build: running only what ${n === 1 ? 'it reaches' : 'they reach'}` });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const recordId = startBuildRecord(session.db, ctx.root, ctx.positional);
    const executor = new Executor({
      paths: session.paths, blobs: session.blobs, actionCache: session.actionCache, digests: session.digests, runner,
      history: session.history, events: emit, platform: PLATFORM, maxSlots: jobs,
    });

    const run = new ReachRun({ index, executor, emit, jobs, retries: (ctx.flags.retries as number | undefined) ?? 1, signal: abort.signal, maxActions: MAX_ACTIONS });
    if (await run.run(dirty) === 'too-many') {
      emit({ type: 'info', message: `the change reaches more than ${MAX_ACTIONS} actions: handing over to the full build (what ran is in the cache)` });
      await executor.drain();
      return undefined;
    }
    const { results, statusOf, failures, ran } = run;
    await executor.drain();
    session.digests.flush();
    session.history.flush();
    session.actionCache.flushTouches();
    if (runner instanceof WorkerPoolRunner) runner.close();

    const executed = ran.length;
    const failed = failures.length;
    const ok = failed === 0 && !abort.signal.aborted;
    const cached = ok ? index.count - executed : [...statusOf.values()].filter((s) => s === 'cached').length;
    if (ok && (eventsFile || ctx.flags.verbose)) {
      for (let i = 0; i < index.count; i++) {
        if (!statusOf.has(i)) emit({ type: 'action_finished', id: index.ids[i] as never, label: index.labels[i] as never, mnemonic: index.mnemonics[i], status: 'cached', cache: 'local', key: index.key(i), durationMs: 0 });
      }
    }
    const durationMs = Date.now() - started;
    const cacheStats = { localHits: cached, remoteHits: 0, misses: executed + failed, bytesDownloaded: 0, bytesUploaded: 0 };
    emit({ type: 'build_finished', ok, executed, cached, failed, skipped: 0, durationMs, outputs: header.outputs, outDir: session.paths.outDir, cacheStats, engineCpuMs: engineCpuMs() });
    if (ok) recordResults(ctx.root, session, previous, index, results);
    const keys = Array.from({ length: index.count }, (_, i) => results.get(i)?.key ?? index.key(i)).sort();
    finishBuildRecord(session.db, recordId, {
      ok, patterns: ctx.positional, executed, cachedLocal: cached, cachedRemote: 0, failed, skipped: 0, durationMs,
      failures, slowest: ran.sort((a, b) => b.durationMs - a.durationMs).slice(0, 10),
      targets: ok ? targetOutcomes(index, statusOf) : [],
    }, ctx.root, keys);
    for (const l of loggers) l.close();
    loggers.length = 0;
    return reportBuildEnd(process.stderr, ctx.root, {
      ok, aborted: abort.signal.aborted, executed, cached, failed, skipped: 0, failures, targets: [], cache: cacheStats,
      outputs: header.outputs, outDir: session.paths.outDir, durationMs,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (runner instanceof WorkerPoolRunner) runner.close();
    for (const l of loggers) l.close();
    session.close();
  }
}

/**
 * The new results into the index's log, then the stamp that relies on them (see
 * ActionIndex.record): the last stamp with the changed files and rewritten outputs stat'ed again.
 */
function recordResults(root: string, session: Session, previous: PreviousBuild, index: ActionIndex,
  results: ReadonlyMap<number, { key: string; outputs: readonly OutputEntry[] }>): void {
  const changed = new Map([...results].filter(([i, r]) => r.key !== index.key(i) || !sameOutputs(index.result(i).outputs as OutputEntry[], r.outputs)));
  const rewritten = [...results.keys()].flatMap((i) => (index.result(i).outputs as OutputEntry[]).map((o) => ({ abs: join(root, o.path), kind: o.kind })));
  const rec = new StampRecorder(root);
  recordChanges(rec, session, previous, rewritten);
  session.digests.flush();
  if (!rec.ok) return;
  index.record(changed);
  const { outputs } = index.header;
  if (rec.writePatched(previous.stampFile, previous.stamp) === undefined) rec.write(previous.stampFile, outputs.length, outputs);
}

/** A file inside a source directory that actions read whole: their numbers (the nearest such directory's). */
function readersOfDirectoryAbove(index: ActionIndex, path: string, root: string): number[] | undefined {
  for (let d = dirname(path); d.length > root.length && d !== dirname(d); d = dirname(d)) {
    const readers = index.readersOf(d);
    if (readers) return readers;
  }
  return undefined;
}

/** As engine/build.ts: a target is "ok" when an action it depends on ran, else "cached". */
function targetOutcomes(index: ActionIndex, statusOf: ReadonlyMap<number, string>): TargetOutcome[] {
  const { header } = index;
  const reached = new Set<number>();
  const stack = [...statusOf].filter(([, s]) => s === 'executed').map(([i]) => i);
  while (stack.length) {
    const i = stack.pop()!;
    if (reached.has(i)) continue;
    reached.add(i);
    stack.push(...header.consumers[i]);
  }
  const ok = new Set<number>();
  for (const i of reached) for (const t of header.targetsOf[i]) ok.add(t);
  return index.targets.map((label, t) => ({ label, status: ok.has(t) ? 'ok' as const : 'cached' as const }))
    .sort((a, b) => (a.status === b.status ? (a.label < b.label ? -1 : 1) : a.status === 'ok' ? -1 : 1));
}
