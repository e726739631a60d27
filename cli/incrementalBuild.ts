/**
 * Whether `xbuild build` can rerun only what the changed files reach (engine/incremental/incrementalBuild.ts),
 * and if so that build. Anything this path does not handle returns `undefined` before running
 * anything, and the full build runs instead: a file no action reads or makes, remote caches,
 * --keep-going, --memory, --dry-run or --profile, or more than MAX_ACTIONS dirty actions.
 */
import { ActionIndex } from '../engine/incremental/actionIndex.js';
import { runBuildSession } from '../engine/buildSession.js';
import { changedActions } from '../engine/incremental/dirty.js';
import { incrementalBuild as reachedOnly, MAX_ACTIONS } from '../engine/incremental/incrementalBuild.js';
import type { StampedBuild } from '../engine/incremental/upToDate.js';
import type { CommandContext } from './commandContext.js';
import { openSession } from './session.js';
import { cacheSettings } from './settings.js';
import { report, sessionOptions } from './buildCommand.js';

export async function incrementalBuild(ctx: CommandContext, previous: StampedBuild): Promise<number | undefined> {
  // The full build's scheduler handles these: a report of skipped targets, a memory budget.
  if (ctx.flags['dry-run'] || ctx.flags.profile || ctx.flags['keep-sandboxes'] || ctx.flags['keep-going'] || ctx.flags.memory) return undefined;
  const settings = cacheSettings(ctx.root, ctx.flags);
  if (settings.remoteCache || settings.remoteUpload) return undefined;
  const index = ActionIndex.open(`${previous.stampFile}.actions`);
  if (!index || index.logged > index.count / 4 + 64) return undefined;
  const dirty = changedActions(index, previous.changed, ctx.root);
  if (!dirty || dirty.size > MAX_ACTIONS) return undefined;
  const session = await openSession(ctx.root, ctx.cacheDir);
  try {
    const end = await runBuildSession(sessionOptions(ctx), session, reachedOnly(index, previous, dirty, (ctx.flags.retries as number | undefined) ?? 1));
    return end === undefined ? undefined : report(ctx, end);
  } finally {
    session.close();
  }
}
