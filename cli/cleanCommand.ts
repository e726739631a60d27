/**
 * `xbuild clean [--all | --stale]`.
 * - plain: removes the workspace's `xbuild-out/` and `.xbuild/` (the workspace lock is held);
 * - `--all`: also the cache directory, unless another process uses it (a build of another
 *   workspace sharing it, a `cache export`...): then nothing is removed and the command says
 *   which processes, exit 2. The check and the removal follow the lease protocol of
 *   cache/cacheLease.ts, so a build starting meanwhile either is seen here or waits for the
 *   removal to finish, and the directory is moved aside before it is deleted;
 * - `--stale`: only the files of `xbuild-out/` that no target of the workspace declares any more
 *   (outputs of deleted targets, leftovers of killed builds); analyses `//...`.
 */
import { relative } from 'node:path';
import { renameSync } from 'node:fs';
import { removeTree } from '../engine/execute/removeTree.js';
import { CacheLease, describeLease, liveLeases } from '../cache/cacheLease.js';
import { removeUndeclared } from '../engine/execute/staleOutputs.js';
import { UsageError } from './args.js';
import type { CommandContext } from './commandContext.js';

export async function cleanCommand(ctx: CommandContext): Promise<number> {
  if (ctx.flags.all && ctx.flags.stale) throw new UsageError('clean takes --all or --stale, not both');
  const where = relative(process.cwd(), ctx.paths.outDir) || ctx.paths.outDir;
  if (ctx.flags.stale) {
    const { analyze, openSession } = await import('./session.js');
    const session = await openSession(ctx.root, ctx.cacheDir, 'clean --stale');
    try {
      const { graph } = await analyze(session, ['//...']);
      const r = removeUndeclared(ctx.root, new Set(graph.producers.keys()), false);
      for (const p of r.removed) process.stderr.write(`removed ${p}\n`);
      process.stderr.write(`Removed ${r.removed.length} stale path${r.removed.length === 1 ? '' : 's'} from ${where}\n`);
      return 0;
    } finally {
      session.close();
    }
  }
  if (ctx.flags.all) {
    const refused = removeCache(ctx.cacheDir, ctx.root);
    if (refused) {
      process.stderr.write(`xbuild: not removing the cache ${ctx.cacheDir}: it is in use by\n${refused.map((l) => `  ${l}\n`).join('')}`
        + 'Nothing was removed. Run clean --all again once they have finished (or stop them).\n');
      return 2;
    }
  }
  removeTree(ctx.paths.outDir);
  removeTree(ctx.paths.stateDir);
  process.stderr.write(`Removed ${where}${ctx.flags.all ? ` and the cache ${ctx.cacheDir}` : ''}\n`);
  return 0;
}

/** Removes the cache directory unless a live process uses it; returns those processes when it does. */
function removeCache(cacheDir: string, workspace: string): string[] | undefined {
  const mine = CacheLease.write(cacheDir, { kind: 'clean', pid: process.pid, workspace, command: 'clean --all', startedMs: Date.now() });
  const users = liveLeases(cacheDir).filter((l) => l.header.kind === 'use');
  if (users.length) {
    mine.release();
    return users.map(describeLease);
  }
  // Moved aside first: a build starting from now on makes a fresh cache directory instead of
  // writing into one being deleted.
  const aside = `${cacheDir}.removing-${process.pid}`;
  let target = cacheDir;
  try {
    renameSync(cacheDir, aside);
    target = aside;
  } catch { /* a mount point, or gone: removed in place */ }
  mine.release();
  removeTree(target);
  return undefined;
}
