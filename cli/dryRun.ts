/**
 * `xbuild build --dry-run`: for every action the build needs, whether it would come from the
 * cache or run, and why (the input that changed against the previous run), plus a forecast
 * from recorded durations. Nothing runs and nothing is written except file fingerprints.
 */
import { actionsFor, type ActionGraph, type ActionId } from '../engine/action.js';
import { computeActionKey } from '../engine/actionKey.js';
import { PLATFORM } from '../engine/build.js';
import { Executor } from '../engine/executor.js';
import { describeKeyChange } from '../engine/history.js';
import { ProcessRunner } from '../engine/runner.js';
import { criticalPathPriorities, type WorkItem } from '../engine/scheduler.js';
import type { Session } from './session.js';

export function dryRun(s: Session, graph: ActionGraph, labels: readonly string[], jobs: number): number {
  const files = labels.flatMap((l) => graph.targets.get(l as never)?.files ?? []);
  const needed = actionsFor(graph, files);
  const executor = new Executor({
    paths: s.paths, blobs: s.blobs, actionCache: s.actionCache, digests: s.digests, runner: new ProcessRunner(),
    history: s.history, events: () => {}, platform: PLATFORM,
  });
  const order = topo(graph, needed);
  const wouldRun = new Set<ActionId>();
  const durations = s.history.knownDurations();
  const out = process.stdout;
  let cached = 0;
  for (const id of order) {
    const a = graph.actions.get(id)!;
    const blockedBy = a.inputs.filter((i) => !i.source).map((i) => graph.producers.get(i.path)!).find((p) => wouldRun.has(p));
    if (blockedBy) {
      wouldRun.add(id);
      out.write(`RUN    ${a.mnemonic} ${a.label}: depends on ${graph.actions.get(blockedBy)!.label}, which runs (may be cut off if its output is unchanged)\n`);
      continue;
    }
    const inputs = executor.keyInputs(a);
    const key = computeActionKey(inputs);
    const hit = s.actionCache.get(key);
    if (hit) {
      cached++;
      for (const o of hit.outputs) executor.produced.set(o.path, o);
      continue;
    }
    wouldRun.add(id);
    const reasons = describeKeyChange(s.history.read(id)?.keyInputs, inputs);
    out.write(`RUN    ${a.mnemonic} ${a.label}: ${reasons.join('; ')}\n`);
  }
  const items = new Map<string, WorkItem>();
  let work = 0;
  for (const id of wouldRun) {
    const a = graph.actions.get(id)!;
    const est = durations.get(id) ?? 1000;
    work += est * Math.max(1, a.cpu);
    items.set(id, { id, deps: a.inputs.filter((i) => !i.source).map((i) => graph.producers.get(i.path)!).filter((p) => wouldRun.has(p)), cpu: a.cpu, memoryMb: 0, estimateMs: est });
  }
  const critical = Math.max(0, ...criticalPathPriorities(items).values());
  const forecast = Math.max(critical, work / jobs);
  out.write(`${wouldRun.size} action${wouldRun.size === 1 ? '' : 's'} would run, ${cached} cached. Forecast on this machine at -j${jobs}: ~${(forecast / 1000).toFixed(1)}s (critical path ${(critical / 1000).toFixed(1)}s, total work ${(work / 1000).toFixed(1)}s)\n`);
  return 0;
}

export function topo(graph: ActionGraph, ids: ReadonlySet<ActionId>): ActionId[] {
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
