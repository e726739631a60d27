/**
 * A rebuild after a few files changed, touching only what they reach: the strategy a build
 * session (engine/buildSession.ts) runs when the up-to-date stamp names the changed files. The
 * action index next to the stamp (engine/incremental/actionIndex.ts) says which actions read them
 * (engine/incremental/dirty.ts), and who consumes whose outputs. Those actions run (or come from the action
 * cache) depth by depth, each depth one call of the scheduler: when a depth starts, every action
 * it could depend on has settled, and the actions of one depth do not depend on each other. An
 * action whose outputs come out the same stops there (early cutoff); one whose outputs changed
 * brings its consumers in. Nothing else of the graph is loaded: editing a core library's comment
 * in a 20,000-target workspace costs about a no-op plus the one action.
 *
 * Past MAX_ACTIONS actions the full build does better (parallel across depths): the run hands
 * over to it mid-way (what ran is in the action cache).
 */
import type { ActionId } from '../analyze/action.js';
import { ActionIndex, type IndexLine } from './actionIndex.js';
import { ActionRuns, workItem } from '../build.js';
import type { BuildStrategy } from '../buildSession.js';
import { changedActions, sameOutputs } from './dirty.js';
import type { WorkItem } from '../schedule/scheduler.js';
import { writeReachedStamp } from './stampWriter.js';
import { outcomesWhenAllSucceeded } from '../report/targetOutcomes.js';
import type { StampedBuild } from './upToDate.js';
import type { OutputEntry } from '../../cache/actionCache.js';

/** Beyond this many actions the full scheduler (parallel across depths) does better. */
const MAX_ACTIONS = 256;

/**
 * The incremental strategy for what changed since `previous`, or undefined when the full build
 * must run: no usable action index (missing, or too much of it appended since it was written),
 * a changed file no action reads or makes, or more than MAX_ACTIONS actions reached.
 */
export function incrementalStrategy(previous: StampedBuild, root: string, retries: number): BuildStrategy | undefined {
  const index = ActionIndex.open(`${previous.stampFile}.actions`);
  if (!index || index.logged > index.count / 4 + 64) return undefined;
  const dirty = changedActions(index, previous.changed, root);
  return dirty && dirty.size <= MAX_ACTIONS ? incrementalBuild(index, previous, dirty, retries) : undefined;
}

/** Runs `dirty` (action numbers in `index`) and whatever their changed outputs reach. */
function incrementalBuild(index: ActionIndex, previous: StampedBuild, dirty: Set<number>, retries: number): BuildStrategy {
  const { header } = index;
  return {
    total: () => index.count,
    prepare: async (b) => {
      b.emit({ type: 'analysis_finished', targets: index.targets.length, actions: index.count, fromCache: true, ms: 0 });
      return undefined;
    },
    run: async (b, runner) => {
      const { stores, emit, signal } = b;
      const n = previous.changed.size;
      emit({ type: 'info', message: `${n} file${n === 1 ? '' : 's'} changed since the last build: running only what ${n === 1 ? 'it reaches' : 'they reach'}` });
      const lines = new Map<string, [number, IndexLine]>(); // by action id
      const runs = new ActionRuns(b, runner, (id) => lines.get(id)![1].action, retries);
      const { executor } = runs;
      /** Each action run, by number: its new key and outputs. */
      const results = new Map<number, { key: string; outputs: readonly OutputEntry[] }>();
      const failed = new Set<string>();
      while (dirty.size && !failed.size && !signal.aborted) {
        if (results.size + dirty.size > MAX_ACTIONS) {
          emit({ type: 'info', message: `the change reaches more than ${MAX_ACTIONS} actions: handing over to the full build (what ran is in the cache)` });
          await executor.drain();
          return undefined;
        }
        let depth = Infinity;
        for (const i of dirty) depth = Math.min(depth, header.depth[i]);
        const items = new Map<string, WorkItem>();
        for (const i of [...dirty].filter((i) => header.depth[i] === depth)) {
          dirty.delete(i);
          const line = index.line(i);
          // The outputs of its dependencies that did not run: the last build's.
          for (const d of line.deps) {
            if (!results.has(d)) for (const o of index.result(d).outputs as OutputEntry[]) executor.produced.set(o.path, o);
          }
          lines.set(line.action.id, [i, line]);
          items.set(line.action.id, workItem(line.action, [], undefined));
        }
        const result = await runs.schedule(items, { keepGoing: false }, { skipped: () => {} });
        for (const id of result.failed) failed.add(id);
        for (const id of result.succeeded) {
          const i = lines.get(id)![0];
          const outputs = runs.outputs.get(id)!;
          results.set(i, { key: runs.keys.get(id as ActionId)!, outputs });
          if (!sameOutputs(index.result(i).outputs as OutputEntry[], outputs)) for (const c of header.consumers[i]) dirty.add(c);
        }
      }
      await executor.drain();
      runs.flush();
      const failures = runs.finalFailures(failed);
      const ok = failures.length === 0 && !signal.aborted;
      const { executed } = runs;
      if (ok && (b.options.eventsFile || b.options.verbose)) {
        for (let i = 0; i < index.count; i++) {
          if (!results.has(i)) emit({ type: 'action_finished', id: index.ids[i] as never, label: index.labels[i] as never, mnemonic: index.mnemonics[i], status: 'cached', cache: 'local', key: index.key(i), durationMs: 0 });
        }
      }
      const ran = [...results.keys()].filter((i) => runs.statusOf.get(index.ids[i]) === 'executed');
      return {
        ok, executed, cached: ok ? index.count - executed : runs.cached, cachedRemote: 0, failed: failures.length, skipped: 0, failures,
        slowest: runs.slowest(), outputs: header.outputs,
        allKeys: Array.from({ length: index.count }, (_, i) => results.get(i)?.key ?? index.key(i)).sort(),
        targets: ok ? outcomesWhenAllSucceeded({
          labels: index.targets, consumersOf: (i) => header.consumers[i], targetsMadeBy: (reached) => new Set([...reached].flatMap((i) => header.targetsOf[i])),
        }, ran) : [],
        recordStamp: () => writeReachedStamp({ root: b.options.root, stampFile: previous.stampFile, digests: stores.digests }, previous, index, results),
      };
    },
  };
}
