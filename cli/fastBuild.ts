/**
 * The no-op fast path of `xbuild build` (engine/incremental/noOpBuild.ts), from the command line:
 * which stamp these patterns and settings have, and whether the flags allow it. Light imports only.
 */
import { join } from 'node:path';
import { INSTALL_ROOT } from '../engine/installation.js';
import { dropEarlyHelper } from '../engine/incremental/stampHelper.js';
import { stampKey, stampPath, type StampedBuild } from '../engine/incremental/upToDate.js';
import { noOpBuild } from '../engine/incremental/noOpBuild.js';
import { cacheSettings } from './settings.js';
import type { CommandContext } from './commandContext.js';

/** The stamp's key: these patterns and settings, this cache, and this installation (another, maybe another version, keeps its own stamps). */
export function buildStampKey(ctx: CommandContext): string {
  const s = cacheSettings(ctx.root, ctx.flags);
  return stampKey([ctx.root, ctx.cacheDir, INSTALL_ROOT, [...ctx.positional].sort(), s.remoteCache ?? null, s.trustedKeys, s.remoteUpload ?? null, s.signWith]);
}

/** What `noOpBuild` says, unless a flag asks for a real build (a dry run, a profile, XBUILD_NO_STAMP=1). */
export function tryUpToDate(ctx: CommandContext): { code: number } | { previous: StampedBuild } | undefined {
  if (ctx.flags['dry-run'] || ctx.flags.profile || process.env.XBUILD_NO_STAMP === '1') {
    dropEarlyHelper();
    return undefined;
  }
  return noOpBuild({
    root: ctx.root, stampFile: stampPath(join(ctx.root, '.xbuild'), buildStampKey(ctx)), patterns: ctx.positional,
    jobs: (ctx.flags.jobs as number | undefined) ?? 0, eventsFile: ctx.flags.events as string | undefined,
  });
}
