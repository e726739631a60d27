/** The last lines of `xbuild build` (both build paths print them): failures, cache hits, the outcome. */
import { relative } from 'node:path';
import type { BuildEnd } from '../engine/buildSession.js';
import { exitCodeOf, type Blame } from '../engine/report/blame.js';
import { count } from '../engine/report/loggers.js';

/** How a failure that is not the action's own is marked in the list (engine/report/blame.ts). */
const TAG: Readonly<Record<Blame, string>> = { action: '', user: '[your input] ', environment: '[environment] ', internal: '[xbuild bug] ' };

/** Writes the summary; returns the exit code: 0 ok, 130 interrupted, else the failures' tier (engine/report/blame.ts: 1 action, 2 input, 3 bug, 4 environment). */
export function reportBuildEnd(out: NodeJS.WritableStream, root: string, e: BuildEnd): number {
  if (!e.ok && e.failures.length) {
    out.write(`\n${e.failures.length} action${e.failures.length === 1 ? '' : 's'} failed:\n`);
    for (const f of e.failures) out.write(`  ${f.label}: ${TAG[f.blame]}${f.error}${f.logPath ? ` (log: ${relative(root, f.logPath)})` : ''}\n`);
    if (e.skipped) out.write(`  ${e.skipped} action${e.skipped === 1 ? '' : 's'} skipped because a dependency failed\n`);
    if (e.targets.length) {
      out.write('Targets:\n');
      for (const t of e.targets) out.write(`  ${t.status.padEnd(11)} ${t.label}${t.because ? ` (dependency ${t.because} failed)` : ''}\n`);
    }
  }
  const counts = `${e.executed} executed, ${e.cached + e.cachedRemote} cached, ${e.failed} failed${e.skipped ? `, ${e.skipped} skipped` : ''}`;
  const misses = e.executed + e.failed;
  out.write(`Cache: ${count(e.cached, 'local hit')}, ${count(e.cachedRemote, 'remote hit')}, ${misses} ${misses === 1 ? 'miss' : 'misses'}${e.remote ? `, ${formatBytes(e.remote.bytesDownloaded)} downloaded, ${formatBytes(e.remote.bytesUploaded)} uploaded` : ''}\n`);
  if (e.aborted) {
    out.write(`INTERRUPTED: ${counts}\n`);
    return 130;
  }
  const where = e.outputs.length <= 3 ? e.outputs.join(' ') : `${relative(process.cwd(), e.outDir) || '.'}/ (${e.outputs.length} files)`;
  const seconds = (e.durationMs / 1000).toFixed(1);
  out.write(e.ok ? `Build OK in ${seconds}s: ${counts}. Outputs: ${where || '(none)'}\n` : `Build FAILED in ${seconds}s: ${counts}.\n`);
  return e.ok ? 0 : exitCodeOf(e.failures.map((f) => f.blame)) || 1;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]}`;
}
