/**
 * The no-op fast path of `xbuild build`: if the up-to-date stamp for these patterns and
 * settings still matches every file it recorded, report the build as done without opening the
 * cache database or loading the engine (see engine/incremental/upToDate.ts). Light imports only.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropEarlyHelper } from '../engine/incremental/stampHelper.js';
import { checkStamp, readStampDetails, stampKey, stampPath, type StampedBuild } from '../engine/incremental/upToDate.js';
import { cacheSettings } from './settings.js';
import type { OutputEntry } from '../cache/actionCache.js';
import type { CommandContext } from './commandContext.js';

/** Where this xbuild is installed: another installation (another version) keeps its own stamps. */
const INSTALL_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function buildStampKey(ctx: CommandContext): string {
  const s = cacheSettings(ctx.root, ctx.flags);
  return stampKey([ctx.root, ctx.cacheDir, INSTALL_ROOT, [...ctx.positional].sort(), s.remoteCache ?? null, s.trustedKeys, s.remoteUpload ?? null, s.signWith]);
}

/**
 * `{ code }` when the build is already up to date; `{ previous }` when only sources, tools or
 * outputs changed (the engine then reruns only what they reach); undefined for a full build.
 */
export function tryUpToDate(ctx: CommandContext): { code: number } | { previous: StampedBuild } | undefined {
  if (ctx.flags['dry-run'] || ctx.flags.profile || process.env.XBUILD_NO_STAMP === '1') {
    dropEarlyHelper();
    return undefined;
  }
  const started = Date.now();
  const path = stampPath(join(ctx.root, '.xbuild'), buildStampKey(ctx));
  const check = checkStamp(path);
  if (check.kind === 'stale') return undefined;
  const stamp = check.stamp;
  const events = ctx.flags.events as string | undefined;
  if (check.kind === 'files-changed') {
    let actions: StampedBuild['actions'] | undefined;
    return {
      previous: {
        get actions() {
          actions ??= new Map((readStampDetails(path)?.actions ?? []).map((a) => [a.id, { key: a.key, outputs: (a.outputs ?? []) as readonly OutputEntry[] }]));
          return actions;
        },
        stampFile: path, changed: check.changed, stamp,
      },
    };
  }
  const details = events ? readStampDetails(path, false) : { actions: [], outputs: [] };
  if (!details) return undefined;
  const { actions } = details;
  if (events) {
    const lines = [JSON.stringify({ type: 'build_started', patterns: ctx.positional, jobs: ctx.flags.jobs ?? 0, time: started, upToDate: true })];
    for (const a of actions) lines.push(JSON.stringify({ type: 'action_finished', id: a.id, label: a.label, mnemonic: a.mnemonic, status: 'cached', cache: 'local', key: a.key, durationMs: 0 }));
    lines.push(JSON.stringify({ type: 'build_finished', ok: true, executed: 0, cached: actions.length, failed: 0, skipped: 0, durationMs: Date.now() - started, outputs: details.outputs, outDir: join(ctx.root, 'xbuild-out'), upToDate: true }));
    mkdirSync(dirname(events), { recursive: true });
    writeFileSync(events, '');
    appendFileSync(events, lines.join('\n') + '\n');
  }
  const where = stamp.outputCount <= 3 ? stamp.fewOutputs.join(' ') : `xbuild-out/ (${stamp.outputCount} files)`;
  process.stderr.write(`Build OK in ${((Date.now() - started) / 1000).toFixed(1)}s: up to date, nothing changed${events ? ` (${actions.length} actions)` : ''}. Outputs: ${where || '(none)'}\n`);
  return { code: 0 };
}
