/**
 * `xbuild explain //label`: for each action of the target, how it ended in the last build that
 * needed it (ran, came from the local or remote cache, failed) and, for a run, exactly which
 * key input changed against the run before.
 */
import { UsageError } from './args.js';
import { openSession } from './session.js';
import type { CommandContext } from './commandContext.js';
import { parseLabel } from '../engine/load/label.js';

export async function explainCommand(ctx: CommandContext): Promise<number> {
  if (ctx.positional.length !== 1) throw new UsageError('explain takes one label, e.g. xbuild explain //examples/hello:hello');
  let label;
  try {
    label = parseLabel(ctx.positional[0].startsWith('//') ? ctx.positional[0] : `//${ctx.positional[0]}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const session = await openSession(ctx.root, ctx.cacheDir, 'explain');
  try {
    const rows = session.history.readLabel(label.str);
    if (rows.length === 0) {
      process.stdout.write(`${label.str}: no action of it has been built yet (run xbuild build ${label.str})\n`);
      return 0;
    }
    for (const r of rows) {
      const when = new Date(r.updatedMs).toISOString();
      const parsed = r.note ? (JSON.parse(r.note) as { reasons: string[]; note?: string }) : { reasons: [] };
      const mnemonic = r.keyInputs.kind === 'run' ? r.keyInputs.argv[0]?.split('/').pop() : r.keyInputs.kind;
      process.stdout.write(`${r.actionId} (${mnemonic}) key ${r.key.slice(0, 16)} at ${when}\n`);
      switch (r.status) {
        case 'executed':
          process.stdout.write(`  ran (${(r.durationMs / 1000).toFixed(2)}s) because:\n${parsed.reasons.map((x) => `    - ${x}\n`).join('')}`);
          if (parsed.note) process.stdout.write(`  cache: ${parsed.note}\n`);
          break;
        case 'cached':
          process.stdout.write(`  did not run: ${parsed.note ?? 'cache hit'} (key unchanged)\n`);
          break;
        case 'failed':
          process.stdout.write(`  FAILED: ${parsed.note ?? ''}\n`);
          break;
      }
    }
    return 0;
  } finally {
    session.close();
  }
}
