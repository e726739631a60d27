/**
 * `xbuild build --dry-run`: for every action the build needs, whether it would come from the
 * cache or run, and why (the input that changed against the previous run), plus a forecast
 * from recorded durations (else the rule's estimate: a Debian package's comes from its source
 * size). Nothing runs and nothing is written except file fingerprints.
 *
 * `--forecast-cores N` also runs the same graph and durations through the scheduler on a
 * virtual clock (engine/schedule/virtualClock.ts) at N slots, next to the lower bound max(critical path,
 * work / N) and the old master builder: four stages with barriers (1, 20, 40, N jobs). Its
 * stages as a hand-made list would cut them: stage 1 everything no Debian package build
 * precedes (fetches, build roots, the toolchain); the package builds cut by their depth (the
 * most DebBuild actions on a chain ending at them) at a third and two thirds of their number.
 */
import { actionsFor, topologicalOrder, type ActionGraph, type ActionId } from '../engine/analyze/action.js';
import { Executor } from '../engine/execute/executor.js';
import { describeKeyChange } from '../engine/report/history.js';
import { ProcessRunner } from '../engine/execute/runner.js';
import { actionEstimateMs, PLATFORM } from '../engine/build.js';
import { criticalPathPriorities, type WorkItem } from '../engine/schedule/scheduler.js';
import { lowerBound, simulate, stagedMakespan, type SimTask } from '../engine/schedule/virtualClock.js';
import type { Session } from './session.js';

export async function dryRun(s: Session, graph: ActionGraph, labels: readonly string[], jobs: number, forecastCores?: number): Promise<number> {
  const files = labels.flatMap((l) => graph.targets.get(l as never)?.files ?? []);
  const needed = actionsFor(graph, files);
  const executor = new Executor({ ...s, runner: new ProcessRunner(), events: () => {}, platform: PLATFORM, lookupOnly: true });
  const wouldRun = new Set<ActionId>();
  const durations = s.history.knownDurations();
  const out = process.stdout;
  let cached = 0;
  for (const id of topologicalOrder(graph, needed)) {
    const a = graph.actions.get(id)!;
    const blockedBy = a.inputs.filter((i) => !i.source).map((i) => graph.producers.get(i.path)!).find((p) => wouldRun.has(p));
    if (blockedBy) {
      wouldRun.add(id);
      out.write(`RUN    ${a.mnemonic} ${a.label}: depends on ${graph.actions.get(blockedBy)!.label}, which runs (may be cut off if its output is unchanged)\n`);
      continue;
    }
    if (await executor.tryCache(a)) {
      cached++;
      continue;
    }
    wouldRun.add(id);
    const inputs = executor.missed(a)?.keyInputs ?? executor.keyInputs(a); // the latter throws: why it cannot be keyed
    out.write(`RUN    ${a.mnemonic} ${a.label}: ${describeKeyChange(s.history.read(id)?.keyInputs, inputs).join('; ')}\n`);
  }
  const items = new Map<string, WorkItem>();
  let work = 0, recorded = 0;
  for (const id of wouldRun) {
    const a = graph.actions.get(id)!;
    if (durations.has(id)) recorded++;
    const est = actionEstimateMs(a, durations.get(id));
    work += est * Math.max(1, a.cpu);
    items.set(id, { id, deps: a.inputs.filter((i) => !i.source).map((i) => graph.producers.get(i.path)!).filter((p) => wouldRun.has(p)), cpu: a.cpu, memoryMb: 0, estimateMs: est });
  }
  const critical = Math.max(0, ...criticalPathPriorities(items).values());
  const forecast = Math.max(critical, work / jobs);
  out.write(`${wouldRun.size} action${wouldRun.size === 1 ? '' : 's'} would run, ${cached} cached. Forecast on this machine at -j${jobs}: ~${(forecast / 1000).toFixed(1)}s (critical path ${(critical / 1000).toFixed(1)}s, total work ${(work / 1000).toFixed(1)}s)\n`);
  out.write(`Durations: ${recorded} recorded by earlier runs, ${wouldRun.size - recorded} estimated (the rule's estimate, else 1 s a CPU).\n`);
  if (forecastCores) out.write(await forecastTable(graph, items, forecastCores));
  return 0;
}

const hm = (ms: number) => `${Math.floor(ms / 3_600_000)}h${String(Math.round((ms % 3_600_000) / 60_000)).padStart(2, '0')}`;

/** The forecast at `cores` slots: xbuild's scheduler on a virtual clock, the lower bound, the four-stage master builder. */
async function forecastTable(graph: ActionGraph, items: ReadonlyMap<string, WorkItem>, cores: number): Promise<string> {
  const tasks: SimTask[] = [...items.values()].map((i) => ({ id: i.id, deps: i.deps, durationMs: i.estimateMs, cpu: Math.max(1, i.cpu) }));
  const order = topologicalOrder(graph, new Set(items.keys()) as unknown as ReadonlySet<ActionId>);
  const debDepth = new Map<string, number>();
  for (const id of order) {
    const deps = items.get(id as string)!.deps.map((d) => debDepth.get(d) ?? 0);
    debDepth.set(id as string, Math.max(0, ...deps) + (graph.actions.get(id)!.mnemonic === 'DebBuild' ? 1 : 0));
  }
  const depths = [...debDepth.values()].filter((d) => d > 0).sort((a, b) => a - b);
  const cut1 = depths[Math.floor(depths.length / 3)] ?? 1, cut2 = depths[Math.floor((2 * depths.length) / 3)] ?? 1;
  const stageOf = (t: SimTask) => {
    const d = debDepth.get(t.id)!;
    return d === 0 ? 0 : d < cut1 ? 1 : d < cut2 || cut2 === cut1 ? 2 : 3;
  };
  const stageCounts = [0, 0, 0, 0];
  for (const t of tasks) stageCounts[stageOf(t)]++;
  const lb = lowerBound(tasks, cores);
  const sim = await simulate(tasks, cores);
  const master = stagedMakespan(tasks, stageOf, [1, 20, 40, cores], cores);
  const row = (what: string, ms: number) => `  ${what.padEnd(64)} ${hm(ms).padStart(8)} ${(ms / lb).toFixed(3).padStart(7)}x\n`;
  return `Forecast at ${cores} cores (virtual clock, same graph and durations; ${tasks.length} actions):\n`
    + `  ${'plan'.padEnd(64)} ${'time'.padStart(8)} ${'vs LB'.padStart(8)}\n`
    + row(`lower bound max(critical path, work/${cores})`, lb)
    + row(`xbuild's scheduler at -j${cores}`, sim.makespan)
    + row(`old master builder: 4 stages, barriers (1, 20, 40, ${cores} jobs)`, master)
    + `  master builder's stages (actions): ${stageCounts.join(', ')}; package-build depth cuts at ${cut1} and ${cut2}\n`
    + criticalChain(graph, items);
}

/** The critical path: how many actions, and the longest of them (what bounds the forecast). */
function criticalChain(graph: ActionGraph, items: ReadonlyMap<string, WorkItem>): string {
  const prio = criticalPathPriorities(items);
  const dependents = new Map<string, string[]>();
  for (const it of items.values()) for (const d of it.deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(it.id);
  let at = [...prio.entries()].reduce((a, b) => (b[1] > a[1] ? b : a), ['', -1])[0];
  const chain: string[] = [];
  while (at) {
    chain.push(at);
    at = (dependents.get(at) ?? []).reduce((a, b) => (!a || prio.get(b)! > prio.get(a)! ? b : a), '');
  }
  const longest = [...chain].sort((a, b) => items.get(b)!.estimateMs - items.get(a)!.estimateMs).slice(0, 5);
  return `  critical path: ${chain.length} actions; the longest on it: ${longest.map((id) => `${graph.actions.get(id as never)!.label} ${hm(items.get(id)!.estimateMs)}`).join(', ')}\n`;
}
