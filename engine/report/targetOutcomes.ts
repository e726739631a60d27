/**
 * How each requested target of a build ended, for the last lines and the build record. Both
 * build strategies ask here: when every action succeeded, a target is "ok" if an action it
 * depends on ran, else "cached", which needs only who consumes whose outputs (`ReachView`: the
 * action graph and the action index both provide it); after a failure, the full build's action
 * graph says which targets failed, were skipped or never started.
 */
import { topologicalOrder, type ActionGraph, type ActionId } from '../analyze/action.js';
import type { LabelString } from '../load/label.js';

/** How one requested target ended. */
export interface TargetOutcome {
  readonly label: string;
  /** ok: something ran; cached: everything came from a cache; failed: one of its own actions failed;
   *  skipped: a dependency failed (named in `because`); not-started: the build stopped first. */
  readonly status: 'ok' | 'cached' | 'failed' | 'skipped' | 'not-started';
  readonly because?: string;
}

/** What marking the targets of a successful build needs; `N` names an action. */
export interface ReachView<N> {
  /** The requested targets. */
  readonly labels: readonly string[];
  consumersOf(action: N): Iterable<N>;
  /** The targets (numbers in `labels`) whose files an action of `reached` makes. */
  targetsMadeBy(reached: ReadonlySet<N>): ReadonlySet<number>;
}

/** Failed targets first (the root causes), then skipped, not started, ok, cached; by label within each. */
const RANK = { failed: 0, skipped: 1, 'not-started': 2, ok: 3, cached: 4 } as const;
const sorted = (ts: TargetOutcome[]): TargetOutcome[] => ts.sort((a, b) => RANK[a.status] - RANK[b.status] || (a.label < b.label ? -1 : 1));

/**
 * Every needed action succeeded: marks what the executed actions reach, following consumers
 * from each one (an incremental build that ran a few actions visits only what they reach).
 */
export function outcomesWhenAllSucceeded<N>(view: ReachView<N>, executed: Iterable<N>): TargetOutcome[] {
  const reached = new Set<N>();
  const stack = [...executed];
  while (stack.length) {
    const n = stack.pop()!;
    if (reached.has(n)) continue;
    reached.add(n);
    for (const c of view.consumersOf(n)) if (!reached.has(c)) stack.push(c);
  }
  const ok = reached.size ? view.targetsMadeBy(reached) : new Set<number>();
  return sorted(view.labels.map((label, t) => ({ label, status: ok.has(t) ? 'ok' : 'cached' })));
}

/** The action graph as a ReachView over the needed actions. */
function graphView(graph: ActionGraph, labels: readonly string[], needed: ReadonlySet<ActionId>): ReachView<ActionId> {
  let consumers: Map<string, ActionId[]> | undefined; // generated path -> actions reading it
  return {
    labels,
    consumersOf: (id) => {
      if (!consumers) {
        consumers = new Map();
        for (const n of needed) for (const i of graph.actions.get(n)!.inputs) if (!i.source) (consumers.get(i.path) ?? consumers.set(i.path, []).get(i.path)!).push(n);
      }
      return graph.actions.get(id)!.outputs.flatMap((o) => consumers!.get(o.path) ?? []);
    },
    targetsMadeBy: (reached) => new Set(labels.flatMap((l, t) => (graph.targets.get(l as LabelString)?.files ?? []).some((f) => {
      const p = f.source ? undefined : graph.producers.get(f.path);
      return p !== undefined && reached.has(p);
    }) ? [t] : [])),
  };
}

/** What a target's actions, its own and those it depends on, came to (merged over the closure). */
interface Closure {
  executed: boolean;
  notStarted: boolean;
  /** The failed action behind a failure in the closure (its label), if any. */
  failedRoot?: string;
}

/** Merges `from` into `into`: a failure named by the smaller label wins, for a stable report. */
function merge(into: Closure, from: Closure): void {
  into.executed ||= from.executed;
  into.notStarted ||= from.notStarted;
  if (from.failedRoot && (!into.failedRoot || from.failedRoot < into.failedRoot)) into.failedRoot = from.failedRoot;
}

/**
 * Each requested target's outcome in a build of `graph`. After a failure, from one pass over
 * the needed actions in dependency order (each action's closure is its own status merged with
 * its producers'), not one closure walk per target.
 */
export function targetOutcomes(graph: ActionGraph, labels: readonly string[], needed: ReadonlySet<ActionId>,
  statusOf: ReadonlyMap<string, 'executed' | 'cached' | 'failed'>, skippedBecause: ReadonlyMap<string, string>): TargetOutcome[] {
  let allDone = skippedBecause.size === 0;
  for (const id of needed) if (!allDone || statusOf.get(id) === undefined || statusOf.get(id) === 'failed') { allDone = false; break; }
  if (allDone) return outcomesWhenAllSucceeded(graphView(graph, labels, needed), [...needed].filter((id) => statusOf.get(id) === 'executed'));
  const closure = new Map<ActionId, Closure>();
  // Producers first, so each action's closure merges its producers' finished ones.
  for (const id of topologicalOrder(graph, needed)) {
    const status = statusOf.get(id);
    const c: Closure = {
      executed: status === 'executed', notStarted: status === undefined && !skippedBecause.has(id),
      failedRoot: status === 'failed' ? graph.actions.get(id)!.label : skippedBecause.get(id),
    };
    for (const i of graph.actions.get(id)!.inputs) {
      const p = i.source ? undefined : graph.producers.get(i.path);
      if (p && needed.has(p)) merge(c, closure.get(p)!);
    }
    closure.set(id, c);
  }
  return sorted(labels.map((l) => {
    const target = graph.targets.get(l as LabelString);
    const ownFailed = (target?.actions ?? []).some((id) => statusOf.get(id) === 'failed');
    const merged: Closure = { executed: false, notStarted: false };
    for (const f of target?.files ?? []) {
      const p = f.source ? undefined : graph.producers.get(f.path);
      const c = p ? closure.get(p) : undefined;
      if (c) merge(merged, c);
    }
    const status: TargetOutcome['status'] = ownFailed ? 'failed' : merged.failedRoot ? 'skipped'
      : merged.notStarted ? 'not-started' : merged.executed ? 'ok' : 'cached';
    return { label: l, status, because: status === 'skipped' ? merged.failedRoot : undefined };
  }));
}
