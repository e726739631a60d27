/**
 * The actions an incremental rebuild runs (cli/incrementalBuild.ts), depth by depth from the
 * action index: when a depth starts, every action it could depend on has settled. An action
 * whose outputs come out as before stops there (early cutoff); one whose outputs changed brings
 * its consumers in.
 */
import type { Action } from '../engine/analyze/action.js';
import type { ActionIndex, IndexLine } from '../engine/incremental/actionIndex.js';
import type { BuildEvent } from '../engine/report/events.js';
import type { ActionOutcome, Executor } from '../engine/execute/executor.js';
import type { ActionFailure } from '../engine/build.js';
import type { OutputEntry } from '../cache/actionCache.js';

export interface ReachRunOptions {
  readonly index: ActionIndex;
  readonly executor: Executor;
  readonly emit: (e: BuildEvent) => void;
  readonly jobs: number;
  /** Tries after a failure that looks environmental (killed by a signal, fetch errors). */
  readonly retries: number;
  readonly signal: AbortSignal;
  /** Beyond this many actions `run` stops and says so (the full scheduler does better). */
  readonly maxActions: number;
}

export class ReachRun {
  /** Each action run, by number: its new key and outputs. */
  readonly results = new Map<number, { key: string; outputs: readonly OutputEntry[] }>();
  readonly statusOf = new Map<number, 'executed' | 'cached' | 'failed'>();
  readonly failures: ActionFailure[] = [];
  readonly ran: { label: string; mnemonic: string; durationMs: number; logPath?: string }[] = [];
  /** Actions whose (unchanged) outputs were given to the executor as inputs. */
  private readonly seeded = new Set<number>();

  constructor(private readonly o: ReachRunOptions) {}

  /**
   * Runs `dirty` and whatever their changed outputs reach. 'too-many' when that passes
   * `maxActions` (what ran is in the action cache); it stops at the first failure.
   */
  async run(dirty: Set<number>): Promise<'settled' | 'too-many'> {
    const { header } = this.o.index;
    while (dirty.size && !this.failures.length && !this.o.signal.aborted) {
      if (this.results.size + dirty.size > this.o.maxActions) return 'too-many';
      let depth = Infinity;
      for (const i of dirty) depth = Math.min(depth, header.depth[i]);
      const wave = [...dirty].filter((i) => header.depth[i] === depth);
      for (const i of wave) dirty.delete(i);
      await inSlots(wave, this.o.jobs, (i) => this.slots(this.o.index.line(i).action), async (i) => {
        if (await this.runOne(i)) for (const c of header.consumers[i]) dirty.add(c);
      });
    }
    return 'settled';
  }

  /** CPU slots: an action running make -jN its own, one with a persistent directory all of them. */
  private slots(a: Action): number {
    return a.persistentDir ? this.o.jobs : Math.min(this.o.jobs, Math.max(1, a.kind === 'run' ? a.cpu : 1));
  }

  /** Runs action `i`; true if its outputs changed (its consumers must run too). */
  private async runOne(i: number): Promise<boolean> {
    const line = this.o.index.line(i);
    const action = line.action;
    this.seedInputs(line);
    const outcome = await this.execute(action);
    const { emit } = this.o;
    if (!outcome.ok) {
      this.statusOf.set(i, 'failed');
      this.failures.push({ id: action.id, label: action.label, error: outcome.error, logPath: outcome.logPath, blame: outcome.blame });
      emit({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, status: 'failed', key: outcome.key ?? '', durationMs: outcome.durationMs,
        error: outcome.error, logPath: outcome.logPath, logTail: outcome.logTail, exitCode: outcome.exitCode });
      return false;
    }
    this.statusOf.set(i, outcome.status);
    this.results.set(i, { key: outcome.key, outputs: outcome.outputs });
    if (outcome.status === 'executed') this.ran.push({ label: action.label, mnemonic: action.mnemonic, durationMs: outcome.durationMs, logPath: outcome.logPath });
    emit({ type: 'action_finished', id: action.id, label: action.label, mnemonic: action.mnemonic, status: outcome.status, cache: outcome.cache, key: outcome.key, durationMs: outcome.durationMs });
    return !sameOutputs(this.o.index.result(i).outputs as OutputEntry[], outcome.outputs);
  }

  /** The outputs of the action's dependencies that did not run: the last build's. */
  private seedInputs(line: IndexLine): void {
    for (const d of line.deps) {
      if (this.results.has(d) || this.seeded.has(d)) continue;
      for (const o of this.o.index.result(d).outputs as OutputEntry[]) this.o.executor.produced.set(o.path, o);
      this.seeded.add(d);
    }
  }

  /** As the scheduler does: only the environment's failures are tried again. */
  private async execute(action: Action): Promise<ActionOutcome> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.o.executor.execute(action, this.o.signal);
      if (outcome.ok || outcome.blame !== 'environment' || attempt >= this.o.retries || this.o.signal.aborted) return outcome;
      this.o.emit({ type: 'warning', message: `${action.label}: ${outcome.error}; trying again (${attempt + 1}/${this.o.retries})` });
    }
  }
}

export function sameOutputs(before: readonly OutputEntry[], now: readonly OutputEntry[]): boolean {
  if (before.length !== now.length) return false;
  const was = new Map(before.map((o) => [o.path, o.digest.hash]));
  return now.every((o) => was.get(o.path) === o.digest.hash);
}

/** Runs `f` over `items` within `jobs` CPU slots, an item taking `slots(item)` of them. */
async function inSlots<T>(items: readonly T[], jobs: number, slots: (item: T) => number, f: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const running = new Set<Promise<void>>();
  let free = jobs;
  while (queue.length || running.size) {
    while (queue.length && (slots(queue[0]) <= free || running.size === 0)) {
      const item = queue.shift()!;
      const need = slots(item);
      free -= need;
      const p: Promise<void> = f(item).finally(() => {
        free += need;
        running.delete(p);
      });
      running.add(p);
    }
    if (running.size) await Promise.race(running);
  }
}
