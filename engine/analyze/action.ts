/**
 * Actions: what the engine runs. Rule implementations declare them during analysis; the
 * executor keys, caches and runs them. Every field is plain data (the analysis cache stores
 * them as JSON).
 */
import type { Artifact } from './api.js';
import type { LabelString } from '../load/label.js';

export type ActionId = string & { readonly __brand: 'ActionId' };

export type ActionKind = 'run' | 'write' | 'fetch';

/** One unit of work with declared inputs and outputs. Made only by the analyzer. */
export interface Action {
  readonly id: ActionId;
  readonly label: LabelString;
  readonly kind: ActionKind;
  readonly mnemonic: string;
  readonly progress: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly inputs: readonly Artifact[];
  readonly outputs: readonly Artifact[];
  readonly tools: readonly string[];
  readonly cpu: number;
  readonly memoryMb: number;
  readonly persistentDir?: string;
  readonly network: boolean;
  /** The command runs as root of a user namespace with a range of uids (see RunActionSpec.uidRange). */
  readonly uidRange?: boolean;
  /** Exec-root path of the input tarball shown unpacked at $XBUILD_UNPACKED (RunActionSpec.unpack). */
  readonly unpack?: string;
  readonly sourceDateEpoch: number;
  /** The rule's estimate of the run time (ms) for an action never run (RunActionSpec.estimateMs); outside the key. */
  readonly estimateMs?: number;
  /** kind 'write': the file's content and mode. */
  readonly content?: string;
  readonly executable?: boolean;
  /** kind 'fetch': where to download from and the pinned digest. */
  readonly urls?: readonly string[];
  readonly sha256?: string;
}

/** A target after analysis. */
export interface ConfiguredTarget {
  readonly label: LabelString;
  readonly rule: string;
  readonly files: readonly Artifact[];
  readonly providers: Readonly<Record<string, unknown>>;
  readonly deps: readonly LabelString[];
  readonly actions: readonly ActionId[];
  readonly location: { readonly file: string; readonly line: number; readonly column: number };
  readonly tags: readonly string[];
}

/** The whole analysed graph: targets, actions, and which action makes each generated path. */
export interface ActionGraph {
  readonly targets: ReadonlyMap<LabelString, ConfiguredTarget>;
  readonly actions: ReadonlyMap<ActionId, Action>;
  readonly producers: ReadonlyMap<string, ActionId>;
  /** The labels the user asked for, after pattern expansion. */
  readonly requested: readonly LabelString[];
}

/** Every action needed to produce `files`, in no particular order. */
export function actionsFor(graph: ActionGraph, files: readonly Artifact[]): Set<ActionId> {
  const needed = new Set<ActionId>();
  const stack = files.filter((f) => !f.source).map((f) => graph.producers.get(f.path)).filter((x): x is ActionId => !!x);
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    for (const input of graph.actions.get(id)!.inputs) {
      if (input.source) continue;
      const p = graph.producers.get(input.path);
      if (p && !needed.has(p)) stack.push(p);
    }
  }
  return needed;
}

/**
 * `ids` with each action after the actions producing its inputs (iterative DFS over the
 * ActionGraph itself: graphlib's `alg.topsort` would first need a Graph of them, ~20x the
 * time at 20,000 actions, and recurses once per action on a chain; bench/graphAlgBench.ts).
 */
export function topologicalOrder(graph: ActionGraph, ids: ReadonlySet<ActionId>): ActionId[] {
  const order: ActionId[] = [];
  const state = new Map<ActionId, 1 | 2>();
  for (const root of ids) {
    const stack: [ActionId, boolean][] = [[root, false]];
    while (stack.length) {
      const [id, expanded] = stack.pop()!;
      if (expanded) {
        state.set(id, 2);
        order.push(id);
        continue;
      }
      if (state.has(id)) continue;
      state.set(id, 1);
      stack.push([id, true]);
      for (const i of graph.actions.get(id)!.inputs) {
        if (i.source) continue;
        const p = graph.producers.get(i.path);
        if (p && ids.has(p) && !state.has(p)) stack.push([p, false]);
      }
    }
  }
  return order;
}
