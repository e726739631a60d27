/**
 * Scheduler benchmark on a virtual clock (issue 5, benchmark 3): engine/schedule/scheduler.ts on the
 * sleep graph of engineBench and on distribution-shaped graphs with long-tailed durations and a
 * few multi-CPU actions, at --jobs 2, 8 and 80, against the lower bound
 * max(critical path, total work / jobs) and against the old master builder's four barrier
 * stages (1, 20, 40, 80 jobs; targets assigned to stages by dependency depth) and against
 * Ninja's own order (the first declared ready edge; virtualClock.ts fifoMakespan).
 *
 *   node dist/bench/schedulerBench.js [--jobs 2,8,80] [--big]     (--big adds the 20,000 graph)
 */
import { generateDistroGraph, depths, prng, type DistroGraph } from './distroGraph.js';
import { scheduleWithReservation } from './reservingScheduler.js';
import { simulate, lowerBound, bottleneckLowerBound, criticalPath, totalWork, stagedMakespan, fifoMakespan, type SimTask } from './virtualClock.js';

/** The master builder's stages and their parallelism. */
export const MASTER_STAGES = [1, 20, 40, 80] as const;

/** Sleep-graph tasks: the same durations engineBench sleeps. */
export function sleepTasks(g: DistroGraph): SimTask[] {
  return g.nodes.map((n) => ({ id: n.name, deps: n.deps.map((d) => g.nodes[d].name), durationMs: n.sleepMs, cpu: 1 }));
}

/** A few big multi-CPU actions, placed by position in the graph (fraction of size). */
const MULTI_CPU: readonly { at: number; cpu: number; minutes: number; what: string }[] = [
  { at: 0.002, cpu: 4, minutes: 30, what: 'gcc bootstrap' },
  { at: 0.12, cpu: 8, minutes: 50, what: 'llvm' },
  { at: 0.5, cpu: 8, minutes: 40, what: 'firefox' },
  { at: 0.8, cpu: 4, minutes: 25, what: 'libreoffice' },
  { at: 0.97, cpu: 8, minutes: 30, what: 'linux kernel' },
];

/**
 * Long-tailed durations: log-normal with a median of 20 s and sigma 1.4 (most packages build
 * in seconds, a few in many minutes), clamped to [1 s, 2 h], plus the multi-CPU actions above.
 */
export function distroTasks(g: DistroGraph, seed = 7): SimTask[] {
  const rand = prng(seed);
  const tasks = g.nodes.map((n) => {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const ms = Math.min(7_200_000, Math.max(1000, Math.round(20_000 * Math.exp(1.4 * z))));
    return { id: n.name, deps: n.deps.map((d) => g.nodes[d].name), durationMs: ms, cpu: 1 } as SimTask;
  });
  for (const m of MULTI_CPU) {
    const i = Math.min(g.nodes.length - 1, Math.floor(m.at * g.nodes.length));
    tasks[i] = { ...tasks[i], cpu: m.cpu, durationMs: m.minutes * 60_000 };
  }
  return tasks;
}

/**
 * A hand-made stage list: stage 1 is the bootstrap core; the rest is cut into three stages by
 * dependency depth, each cut at a depth boundary near a third of the remaining targets.
 */
export function stagesByDepth(g: DistroGraph): (t: SimTask) => number {
  const d = depths(g);
  const rest = g.nodes.filter((n) => n.index >= g.coreCount).map((n) => d[n.index]).sort((a, b) => a - b);
  const cut1 = rest[Math.floor(rest.length / 3)] ?? 0, cut2 = rest[Math.floor((2 * rest.length) / 3)] ?? 0;
  const stage = new Map<string, number>();
  for (const n of g.nodes) {
    const dn = d[n.index];
    stage.set(n.name, n.index < g.coreCount ? 0 : dn < cut1 ? 1 : dn < cut2 || cut2 === cut1 ? 2 : 3);
  }
  return (t) => stage.get(t.id)!;
}

export interface SchedulerRow {
  readonly graph: string;
  readonly jobs: number;
  readonly lowerBound: number;
  /** virtualClock.ts bottleneckLowerBound: also counts work that must wait for one task. */
  readonly tightBound: number;
  readonly criticalPath: number;
  readonly workOverJobs: number;
  readonly xbuild: number;
  readonly xbuildNoHistory: number;
  /** bench/reservingScheduler.ts: the proposed fix for multi-CPU actions. */
  readonly reserving: number;
  readonly reservingNoHistory: number;
  readonly master: number;
  /** virtualClock.ts fifoMakespan: Ninja's order (first declared ready edge, no priorities). */
  readonly ninjaOrder: number;
  /** Real time each simulation took: the scheduler's own CPU cost, mostly. */
  readonly simWallMs: number;
  readonly reservingWallMs: number;
}

/** `tasks` must be in the graph's node order: build.ninja's declaration order, hence Ninja's. */
export async function benchGraph(name: string, g: DistroGraph, tasks: SimTask[], jobsList: readonly number[]): Promise<SchedulerRow[]> {
  const stageOf = stagesByDepth(g);
  const rows: SchedulerRow[] = [];
  // Without history the engine estimates 1000 ms x cpu for every action (engine/build.ts).
  const noHistory = tasks.map((t) => ({ ...t, estimateMs: 1000 * t.cpu }));
  for (const jobs of jobsList) {
    const sim = await simulate(tasks, jobs);
    if (sim.peakSlots > jobs) throw new Error(`${name} -j${jobs}: ${sim.peakSlots} slots in use at once`);
    const simNo = await simulate(noHistory, jobs);
    const res = await simulate(tasks, jobs, scheduleWithReservation);
    if (res.peakSlots > jobs) throw new Error(`${name} -j${jobs}: reserving scheduler used ${res.peakSlots} slots at once`);
    const resNo = await simulate(noHistory, jobs, scheduleWithReservation);
    rows.push({
      graph: name, jobs, lowerBound: lowerBound(tasks, jobs), tightBound: bottleneckLowerBound(tasks, jobs), criticalPath: criticalPath(tasks), workOverJobs: totalWork(tasks, jobs) / jobs,
      xbuild: sim.makespan, xbuildNoHistory: simNo.makespan, reserving: res.makespan, reservingNoHistory: resNo.makespan, master: stagedMakespan(tasks, stageOf, MASTER_STAGES, jobs), ninjaOrder: fifoMakespan(tasks, jobs), simWallMs: sim.wallMs, reservingWallMs: res.wallMs,
    });
  }
  return rows;
}

const fmt = (ms: number): string => (ms >= 100_000 ? `${(ms / 1000).toFixed(0)}` : (ms / 1000).toFixed(2));

export function printRows(rows: readonly SchedulerRow[]): void {
  console.log('LB = max(critical path, work / jobs), the issue\'s bound; tight = bottleneckLowerBound (also a valid lower bound, >= LB).');
  console.log('xbuild = engine/schedule/scheduler.ts with recorded durations; no history = its 1000 ms x cpu default estimates; reserving = bench/reservingScheduler.ts.');
  console.log('ninja order = Ninja 1.11\'s own order on the same tasks: the first declared ready edge whenever slots are free (a multi-CPU task waits at the head for its slots).\n');
  console.log('| graph | jobs | critical path s | work/jobs s | LB s | tight s | xbuild s | xbuild / LB | xbuild / tight | no history / LB | reserving s | reserving / LB | reserving / tight | reserving, no history / LB | master 4 stages s | master / LB | master / xbuild | ninja order s | ninja order / LB | xbuild / ninja order | sim wall ms: xbuild | reserving |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const q = (a: number, b: number) => (a / b).toFixed(3);
    console.log(`| ${r.graph} | ${r.jobs} | ${fmt(r.criticalPath)} | ${fmt(r.workOverJobs)} | ${fmt(r.lowerBound)} | ${fmt(r.tightBound)} | ${fmt(r.xbuild)} | ${q(r.xbuild, r.lowerBound)} | ${q(r.xbuild, r.tightBound)} | ${q(r.xbuildNoHistory, r.lowerBound)} | ${fmt(r.reserving)} | ${q(r.reserving, r.lowerBound)} | ${q(r.reserving, r.tightBound)} | ${q(r.reservingNoHistory, r.lowerBound)} | ${fmt(r.master)} | ${q(r.master, r.lowerBound)} | ${(r.master / r.xbuild).toFixed(2)} | ${fmt(r.ninjaOrder)} | ${q(r.ninjaOrder, r.lowerBound)} | ${q(r.xbuild, r.ninjaOrder)} | ${r.simWallMs.toFixed(0)} | ${r.reservingWallMs.toFixed(0)} |`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (n: string): string | undefined => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : undefined; };
  const jobsList = (flag('--jobs') ?? '2,8,80').split(',').map(Number);
  const rows: SchedulerRow[] = [];
  const sleepSize = Number(flag('--sleep-size') ?? 300);
  const sleep = generateDistroGraph({ size: sleepSize, seed: 2 });
  rows.push(...await benchGraph(`sleep-${sleepSize}`, sleep, sleepTasks(sleep), jobsList));
  const g2600 = generateDistroGraph({ size: 2600, seed: 1 });
  rows.push(...await benchGraph('sleep-2600', g2600, sleepTasks(g2600), jobsList));
  rows.push(...await benchGraph('distro-2600+multicpu', g2600, distroTasks(g2600), jobsList));
  rows.push(...await benchGraph('distro-2600 cpu=1', g2600, distroTasks(g2600).map((t) => ({ ...t, cpu: 1 })), jobsList));
  if (argv.includes('--big')) {
    const g20k = generateDistroGraph({ size: 20_000, seed: 1 });
    rows.push(...await benchGraph('distro-20000+multicpu', g20k, distroTasks(g20k), jobsList));
  }
  printRows(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
