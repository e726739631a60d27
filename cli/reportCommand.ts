/**
 * `xbuild report`: the last build's summary, as the old master builder's `report` gave it:
 * completed, failed with log paths, cached, durations and the slowest actions (`--json` too).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { actionLogPrefix } from '../engine/workspace.js';
import { openSession } from './session.js';
import { lastBuildReport } from '../engine/report/buildRecord.js';
import type { CommandContext } from './commandContext.js';

export async function reportCommand(ctx: CommandContext): Promise<number> {
  const session = await openSession(ctx.root, ctx.cacheDir, 'report');
  try {
    const last = lastBuildReport(session.db, ctx.root);
    if (!last) {
      process.stdout.write('no build has finished in this workspace yet\n');
      return 0;
    }
    const logs = targetLogs(session.paths.logDir);
    const r = { ...last.report, targets: last.report.targets?.map((t) => ({ ...t, logs: logs(t.label) })) };
    if (ctx.flags.json) {
      process.stdout.write(`${JSON.stringify({ ...r, startedAt: new Date(last.startedMs).toISOString(), finishedAt: new Date(last.finishedMs).toISOString() }, null, 2)}\n`);
      return 0;
    }
    const o = process.stdout;
    o.write(`Last build: xbuild build ${r.patterns.join(' ')} — ${r.ok ? 'OK' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(1)}s, finished ${new Date(last.finishedMs).toISOString()}\n`);
    o.write(`  executed: ${r.executed}   cached: ${r.cachedLocal} local + ${r.cachedRemote} remote   failed: ${r.failed}   skipped: ${r.skipped}\n`);
    if (r.failures.length) {
      o.write('Failed:\n');
      for (const f of r.failures) o.write(`  ${f.label}: ${f.error}${f.logPath ? `\n    log: ${relative(ctx.root, f.logPath)}` : ''}\n`);
    }
    if (r.targets?.length) {
      o.write('Targets:\n');
      for (const t of r.targets) {
        o.write(`  ${t.status.padEnd(11)} ${t.label}${t.because ? ` (dependency ${t.because} failed)` : ''}\n`);
        for (const l of t.logs) o.write(`              log: ${relative(ctx.root, l)}\n`);
      }
    }
    if (r.slowest.length) {
      o.write('Slowest actions:\n');
      for (const s of r.slowest) {
        o.write(`  ${(s.durationMs / 1000).toFixed(1).padStart(8)}s  ${s.mnemonic} ${s.label}${s.logPath ? `\n             log: ${relative(ctx.root, s.logPath)}` : ''}\n`);
      }
    }
    return 0;
  } finally {
    session.close();
  }
}

/**
 * A target's own action logs in the workspace's log directory (the newest run of each action,
 * failed or not; a cached action's log is the one its last run here left): the seed's per-package
 * logs, listed by the report next to each target.
 */
function targetLogs(logDir: string): (label: string) => string[] {
  let names: string[];
  try {
    names = readdirSync(logDir).sort();
  } catch {
    names = [];
  }
  return (label) => {
    const prefix = actionLogPrefix(label);
    return names.filter((n) => n.startsWith(prefix) && /^\d+\.[A-Za-z0-9_-]+\.log$/.test(n.slice(prefix.length))).map((n) => join(logDir, n));
  };
}
