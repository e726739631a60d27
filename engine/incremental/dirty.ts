/**
 * Whether an action runs. An action is settled by the first of these that holds, and runs
 * only when none does:
 * 1. Nothing it reads changed since the last build (`sameAsPrevious`): that build's result is
 *    this one's, with no key and no lookup. After an edit, the incremental build asks the
 *    action index instead which actions read the changed files (`changedActions`).
 * 2. Its key is in the action cache, local then remote (Executor.tryCache): outputs restored.
 * 3. Early cutoff (`sameOutputs`): an action that ran but made the same outputs as last time
 *    leaves its consumers alone.
 * Only what follows from these is here; the executor and the strategies ask.
 */
import { dirname } from 'node:path';
import type { Action } from '../analyze/action.js';
import type { ActionIndex } from './actionIndex.js';
import type { OutputEntry } from '../../cache/actionCache.js';

/** The last successful build of the same command: each action's key and outputs, and the sources, tools or outputs whose stat changed since (absolute paths). */
export interface PreviousBuild {
  readonly actions: ReadonlyMap<string, { readonly key: string; readonly outputs: readonly OutputEntry[] }>;
  readonly changed: ReadonlySet<string>;
}

/**
 * The previous build's result for `action` if nothing it depends on changed since: `produced`
 * holds what its generated inputs are now, `previousOutput` what they were.
 */
export function sameAsPrevious(action: Action, prev: PreviousBuild, root: string, produced: ReadonlyMap<string, OutputEntry>,
  previousOutput: (path: string) => OutputEntry | undefined): { key: string; outputs: readonly OutputEntry[] } | undefined {
  const mine = prev.actions.get(action.id);
  if (!mine || mine.outputs.length !== action.outputs.length) return undefined;
  // Paths in `changed` are absolute, made by joining the root and a normalised relative path.
  if (!root.endsWith('/')) root += '/';
  for (const t of action.tools) if (prev.changed.has(t)) return undefined;
  for (const o of action.outputs) if (prev.changed.has(root + o.path)) return undefined;
  for (const i of action.inputs) {
    if (i.source) {
      if (i.kind === 'dir') {
        const dir = root + i.path + '/';
        for (const c of prev.changed) if (c.startsWith(dir) || c === dir.slice(0, -1)) return undefined;
      } else if (prev.changed.has(root + i.path)) return undefined;
      continue;
    }
    const now = produced.get(i.path);
    const before = previousOutput(i.path);
    if (!now || !before || now.digest.hash !== before.digest.hash) return undefined;
  }
  return mine;
}

/**
 * The actions (numbers in `index`) the changed files make dirty: an edited source or tool, its
 * readers; an edited or deleted output, its maker (which restores it from the action cache: its
 * consumers read the stored bytes, not it). Undefined when a file is none of these.
 */
export function changedActions(index: ActionIndex, changed: Iterable<string>, root: string): Set<number> | undefined {
  const dirty = new Set<number>();
  for (const p of changed) {
    let readers = index.readersOf(p);
    if (!readers) {
      const maker = index.makerOf(p);
      readers = maker === undefined ? readersOfDirectoryAbove(index, p, root) : [maker];
    }
    if (!readers) return undefined;
    for (const i of readers) dirty.add(i);
  }
  return dirty;
}

/** A file inside a source directory that actions read whole: their numbers (the nearest such directory's). */
function readersOfDirectoryAbove(index: ActionIndex, path: string, root: string): number[] | undefined {
  for (let d = dirname(path); d.length > root.length && d !== dirname(d); d = dirname(d)) {
    const readers = index.readersOf(d);
    if (readers) return readers;
  }
  return undefined;
}

/** Early cutoff: the outputs are what they were, so nothing that reads them must run. */
export function sameOutputs(before: readonly OutputEntry[], now: readonly OutputEntry[]): boolean {
  if (before.length !== now.length) return false;
  const was = new Map(before.map((o) => [o.path, o.digest.hash]));
  return now.every((o) => was.get(o.path) === o.digest.hash);
}
