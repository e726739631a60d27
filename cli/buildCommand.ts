/**
 * `xbuild build`: the command line -> a build session (engine/buildSession.ts) running one of its
 * two strategies -> the last lines (cli/buildEnd.ts). The incremental one (only what the changed
 * files reach: engine/incremental/incrementalBuild.ts) when the stamp names the changed files, the
 * strategy takes them, and nothing it does not handle is asked (remote caches, --keep-going,
 * --memory, --dry-run, --profile), else the full one.
 */
import { DEFAULT_JOBS, fullBuild } from '../engine/build.js';
import { runBuildSession, type BuildEnd, type SessionOptions } from '../engine/buildSession.js';
import { stampPath, type StampedBuild } from '../engine/incremental/upToDate.js';
import { incrementalStrategy } from '../engine/incremental/incrementalBuild.js';
import { analyze, openSession } from './session.js';
import { buildStampKey } from './fastBuild.js';
import { UsageError } from './args.js';
import { cacheSettings } from './settings.js';
import { reportBuildEnd } from './buildEnd.js';
import { startEarlyWorker } from '../engine/execute/workerPool.js';
import { sandboxesDir } from '../engine/execute/sandbox.js';
import type { CommandContext } from './commandContext.js';

export async function buildCommand(ctx: CommandContext, previous?: StampedBuild): Promise<number> {
  if (ctx.positional.length === 0) throw new UsageError('build needs at least one target pattern, e.g. xbuild build //examples/hello:hello');
  const session = await openSession(ctx.root, ctx.cacheDir);
  try {
    const options = sessionOptions(ctx);
    const settings = cacheSettings(ctx.root, ctx.flags);
    const end = await runBuildSession(options, session, fullBuild({
      analyze: () => analyze(session, ctx.positional, previous !== undefined),
      dryRun: options.dryRun
        ? async (graph, labels) => (await import('./dryRun.js')).dryRun(session, graph, labels, options.jobs, ctx.flags['forecast-cores'] as number | undefined)
        : undefined,
      clearUndeclared: ctx.positional.includes('//...') ? 'stale' : ctx.lockTakenOver ? 'leftovers' : undefined,
      remote: settings.remoteCache || settings.remoteUpload
        ? async (report, signal) => (await import('./remoteSetup.js')).setupRemote(settings, session.blobs, report, signal)
        : undefined,
      memoryMb: ctx.flags.memory as number | undefined, keepGoing: !!ctx.flags['keep-going'], keepSandboxes: !!ctx.flags['keep-sandboxes'],
      retries: ctx.flags.retries as number | undefined, previous, stampFile: stampPath(session.paths.stateDir, buildStampKey(ctx)),
    }));
    return report(ctx, end!);
  } finally {
    session.close();
  }
}

/** Only what the changed files reach; undefined (before running anything) when the full build must run. */
export async function incrementalBuild(ctx: CommandContext, previous: StampedBuild): Promise<number | undefined> {
  // The full build's scheduler handles these: a report of skipped targets, a memory budget.
  if (ctx.flags['dry-run'] || ctx.flags.profile || ctx.flags['keep-sandboxes'] || ctx.flags['keep-going'] || ctx.flags.memory) return undefined;
  const settings = cacheSettings(ctx.root, ctx.flags);
  if (settings.remoteCache || settings.remoteUpload) return undefined;
  const strategy = incrementalStrategy(previous, ctx.root, (ctx.flags.retries as number | undefined) ?? 1);
  if (!strategy) return undefined;
  // It has actions to run (or fetch from the cache): their shell worker starts while the session opens.
  const session = await openSession(ctx.root, ctx.cacheDir, 'build', () => startEarlyWorker(sandboxesDir(ctx.cacheDir)));
  try {
    const end = await runBuildSession(sessionOptions(ctx), session, strategy);
    return end === undefined ? undefined : report(ctx, end);
  } finally {
    session.close();
  }
}

/** The session's options from the command line. */
function sessionOptions(ctx: CommandContext): SessionOptions {
  return {
    root: ctx.root, stateDir: ctx.paths.stateDir, patterns: ctx.positional, jobs: (ctx.flags.jobs as number | undefined) || DEFAULT_JOBS,
    eventsFile: ctx.flags.events as string | undefined, verbose: !!ctx.flags.verbose,
    profile: typeof ctx.flags.profile === 'string' ? ctx.flags.profile : undefined, dryRun: !!ctx.flags['dry-run'],
  };
}

/** Prints a build's last lines; the exit code (a dry run's, as it is). */
function report(ctx: CommandContext, end: BuildEnd | number): number {
  return typeof end === 'number' ? end : reportBuildEnd(process.stderr, ctx.root, end);
}
