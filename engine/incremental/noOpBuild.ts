/**
 * The no-op build: when the up-to-date stamp of these patterns and settings still matches every
 * file it recorded, the build is done without opening the cache database or loading the rest
 * of the engine (engine/incremental/upToDate.ts). Light imports only: this runs before anything else.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkStamp, readStampDetails, type StampedBuild } from './upToDate.js';
import type { OutputEntry } from '../../cache/actionCache.js';

export interface NoOpOptions {
  readonly root: string;
  readonly stampFile: string;
  readonly patterns: readonly string[];
  readonly jobs: number;
  /** --events: the event file gets the build's events (every action cached) as a real build writes them. */
  readonly eventsFile?: string;
}

/**
 * `{ code }` when the build is already up to date (its last line printed); `{ previous }` when
 * only sources, tools or outputs changed (an incremental build then reruns only what they
 * reach); undefined for a full build.
 */
export function noOpBuild(o: NoOpOptions): { code: number } | { previous: StampedBuild } | undefined {
  const started = Date.now();
  const check = checkStamp(o.stampFile);
  if (check.kind === 'stale') return undefined;
  const stamp = check.stamp;
  if (check.kind === 'files-changed') {
    let actions: StampedBuild['actions'] | undefined;
    return {
      previous: {
        get actions() {
          actions ??= new Map((readStampDetails(o.stampFile)?.actions ?? []).map((a) => [a.id, { key: a.key, outputs: (a.outputs ?? []) as readonly OutputEntry[] }]));
          return actions;
        },
        stampFile: o.stampFile, changed: check.changed, stamp,
      },
    };
  }
  const events = o.eventsFile;
  const details = events ? readStampDetails(o.stampFile, false) : { actions: [], outputs: [] };
  if (!details) return undefined;
  const { actions } = details;
  if (events) {
    const lines = [JSON.stringify({ type: 'build_started', patterns: o.patterns, jobs: o.jobs, time: started, upToDate: true })];
    for (const a of actions) lines.push(JSON.stringify({ type: 'action_finished', id: a.id, label: a.label, mnemonic: a.mnemonic, status: 'cached', cache: 'local', key: a.key, durationMs: 0 }));
    lines.push(JSON.stringify({ type: 'build_finished', ok: true, executed: 0, cached: actions.length, failed: 0, skipped: 0, durationMs: Date.now() - started, outputs: details.outputs, outDir: join(o.root, 'xbuild-out'), upToDate: true }));
    mkdirSync(dirname(events), { recursive: true });
    writeFileSync(events, lines.join('\n') + '\n');
  }
  const where = stamp.outputCount <= 3 ? stamp.fewOutputs.join(' ') : `xbuild-out/ (${stamp.outputCount} files)`;
  process.stderr.write(`Build OK in ${((Date.now() - started) / 1000).toFixed(1)}s: up to date, nothing changed${events ? ` (${actions.length} actions)` : ''}. Outputs: ${where || '(none)'}\n`);
  return { code: 0 };
}
