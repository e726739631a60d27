/**
 * The action index, written next to an up-to-date stamp (`<stamp>.actions`): every action the
 * stamped build needed, with its key, its outputs, its definition and its neighbours, so that a
 * rebuild after a few edited files can run just what they reach (engine/incremental/incrementalBuild.ts)
 * without loading the whole action graph.
 *
 * Layout: a first line `xbuild-actions-v2 <header bytes>`, the header line (JSON, IndexHeader:
 * everything indexed by action number), then one line per action (JSON, IndexLine), read (by
 * offset) only for the actions a rebuild touches. Results of
 * such rebuilds are appended to `<stamp>.actions-log` (one line per action: its new key and
 * outputs), tagged with the header's token: a log line with another token is from an older
 * index and ignored, so replacing the index never needs the log to be deleted first.
 */
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Action } from '../analyze/action.js';

/** One action of a stamped build (engine/incremental/upToDate.ts), as the index keeps it. */
export interface StampedAction {
  readonly id: string;
  readonly label: string;
  readonly mnemonic: string;
  readonly key: string;
  /** What the action's outputs held (OutputEntry of cache/actionCache.ts), for incremental rebuilds. */
  readonly outputs: readonly unknown[];
}

/** The second stamp file: the actions it covers and every output; read only when needed (it is the larger). */
export interface StampDetails {
  readonly actions: readonly StampedAction[];
  readonly outputs: readonly string[];
}

export interface IndexHeader {
  readonly v: 2;
  readonly token: string;
  /** The requested outputs (workspace-relative), as the build reported them. */
  readonly outputs: readonly string[];
  /**
   * Ids, labels, mnemonics and keys, each list joined with newlines (labels cannot hold one):
   * one JSON string parses ~4x faster than 20,000 small ones. Split when first used.
   */
  readonly ids: string;
  readonly labels: string;
  readonly mnemonics: string;
  readonly keys: string;
  /** Longest path from an action without generated inputs (0): an action's consumers are deeper. */
  readonly depth: readonly number[];
  readonly consumers: readonly (readonly number[])[];
  /** The requested targets (joined with newlines), and per action the ones whose files it makes. */
  readonly targets: string;
  readonly targetsOf: readonly (readonly number[])[];
  /**
   * Which actions read each source file or tool: lines `\n<absolute path>\t<n>,<n>...`, searched
   * (not parsed into an object: at 20,000 files that cost 9 ms per build).
   */
  readonly readers: string;
  /** Which action makes each output, the same way: lines `\n<absolute path>\t<n>`. */
  readonly makers: string;
  /** Byte offset of each action's line, from the end of the header line. */
  readonly offsets: readonly number[];
}

export interface IndexLine {
  readonly outputs: readonly unknown[];
  readonly action: Action;
  /** Actions whose outputs this one reads. */
  readonly deps: readonly number[];
}

const MAGIC = 'xbuild-actions-v2';

/** What the stamp writer knows about each needed action, in any order. */
export interface IndexedAction {
  readonly action: Action;
  readonly key: string;
  readonly outputs: readonly unknown[];
  readonly deps: readonly string[];
  readonly targets: readonly string[];
  /** Absolute paths of the source files and tools it reads, and of its outputs. */
  readonly reads: readonly string[];
  readonly makes: readonly string[];
}

/** Writes the index to `path` (through a temp file and a rename). */
export function writeActionIndex(path: string, actions: readonly IndexedAction[], targets: readonly string[], outputs: readonly string[]): void {
  const order = topological(actions);
  const number = new Map(order.map((a, i) => [a.action.id as string, i]));
  const targetNumber = new Map(targets.map((t, i) => [t, i]));
  const depth: number[] = [];
  const deps = order.map((a) => a.deps.map((d) => number.get(d)!).filter((d) => d !== undefined));
  const consumers: number[][] = order.map(() => []);
  deps.forEach((ds, i) => {
    depth[i] = ds.reduce((m, d) => Math.max(m, depth[d] + 1), 0);
    for (const d of ds) consumers[d].push(i);
  });
  const readers = new Map<string, number[]>();
  order.forEach((a, i) => {
    for (const p of a.reads) (readers.get(p) ?? readers.set(p, []).get(p)!).push(i);
  });
  const lines = order.map((a, i) => `${JSON.stringify({ outputs: a.outputs, action: a.action, deps: deps[i] } satisfies IndexLine)}\n`);
  const offsets: number[] = [];
  let at = 0;
  for (const l of lines) {
    offsets.push(at);
    at += Buffer.byteLength(l);
  }
  const header: IndexHeader = {
    v: 2, token: randomBytes(8).toString('hex'), outputs,
    ids: order.map((a) => a.action.id).join('\n'), labels: order.map((a) => a.action.label).join('\n'),
    mnemonics: order.map((a) => a.action.mnemonic).join('\n'), keys: order.map((a) => a.key).join('\n'), depth, consumers,
    targets: targets.join('\n'),
    targetsOf: order.map((a) => a.targets.map((t) => targetNumber.get(t)!).filter((t) => t !== undefined)),
    readers: [...readers].map(([p, is]) => `\n${p}\t${is.join(',')}`).join('') + '\n',
    makers: order.flatMap((a, i) => a.makes.map((p) => `\n${p}\t${i}`)).join('') + '\n', offsets,
  };
  const headerLine = `${JSON.stringify(header)}\n`;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${MAGIC} ${Buffer.byteLength(headerLine)}\n${headerLine}${lines.join('')}`);
  renameSync(tmp, path);
  // The old index's log: its lines carry the old token, so this is only tidying.
  rmSync(`${path}-log`, { force: true });
}

/** Dependencies before their consumers (Kahn's algorithm over the given actions). */
function topological(actions: readonly IndexedAction[]): IndexedAction[] {
  const byId = new Map(actions.map((a) => [a.action.id as string, a]));
  const waiting = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const a of actions) {
    const ds = a.deps.filter((d) => byId.has(d));
    waiting.set(a.action.id, ds.length);
    for (const d of ds) (consumers.get(d) ?? consumers.set(d, []).get(d)!).push(a.action.id);
  }
  const order: IndexedAction[] = [];
  const ready = actions.filter((a) => waiting.get(a.action.id) === 0);
  while (ready.length) {
    const a = ready.pop()!;
    order.push(a);
    for (const c of consumers.get(a.action.id) ?? []) {
      const left = waiting.get(c)! - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(byId.get(c)!);
    }
  }
  if (order.length !== actions.length) throw new Error('the action graph has a cycle (this is an xbuild bug)');
  return order;
}

/** A result recorded after the index was written. */
interface LogLine {
  readonly t: string;
  readonly i: number;
  readonly key: string;
  readonly outputs: readonly unknown[];
}

/** An index read from disk: the header at once, action lines on demand. */
export class ActionIndex {
  private readonly overrides = new Map<number, { key: string; outputs: readonly unknown[] }>();

  private constructor(readonly path: string, readonly header: IndexHeader, private readonly body: number) {
    let log = '';
    try {
      log = readFileSync(`${path}-log`, 'utf8');
    } catch { /* no rebuild since the index was written */ }
    for (const l of log.split('\n')) {
      if (!l) continue;
      try {
        const e = JSON.parse(l) as LogLine;
        if (e.t === header.token) this.overrides.set(e.i, { key: e.key, outputs: e.outputs });
      } catch { /* a line torn by a crash: the stamp written after it never was */ }
    }
  }

  /** Reads the header only (action lines are read when asked for). */
  static open(path: string): ActionIndex | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const first = Buffer.alloc(64);
      const n = readSync(fd, first, 0, first.length, 0);
      const nl = first.indexOf(10);
      const m = nl > 0 && n > 0 ? new RegExp(`^${MAGIC} (\\d+)$`).exec(first.toString('latin1', 0, nl)) : null;
      if (!m) return undefined;
      const length = Number(m[1]);
      const bytes = Buffer.alloc(length);
      if (readSync(fd, bytes, 0, length, nl + 1) !== length) return undefined;
      const header = JSON.parse(bytes.toString('utf8')) as IndexHeader;
      if (header.v !== 2) return undefined;
      return new ActionIndex(path, header, nl + 1 + length);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** The actions reading a source file or tool (absolute path); undefined if none does. */
  readersOf(path: string): number[] | undefined {
    return lookUp(this.header.readers, path);
  }

  /** The action making an output (absolute path); undefined if none does. */
  makerOf(path: string): number | undefined {
    return lookUp(this.header.makers, path)?.[0];
  }

  get count(): number {
    return this.header.offsets.length;
  }

  private readonly lists = new Map<string, readonly string[]>();
  private list(name: 'ids' | 'labels' | 'mnemonics' | 'keys' | 'targets'): readonly string[] {
    let l = this.lists.get(name);
    if (!l) {
      const length = name === 'targets' ? undefined : this.count; // per action, or any number
      const text = this.header[name];
      l = text === '' && (length === undefined || length === 0) ? [] : text.split('\n');
      this.lists.set(name, l);
    }
    return l;
  }

  get ids(): readonly string[] {
    return this.list('ids');
  }

  get labels(): readonly string[] {
    return this.list('labels');
  }

  get mnemonics(): readonly string[] {
    return this.list('mnemonics');
  }

  /** The requested targets (the numbers in `header.targetsOf` point here). */
  get targets(): readonly string[] {
    return this.list('targets');
  }

  /** Results recorded since the index was written (their number). */
  get logged(): number {
    return this.overrides.size;
  }

  private whole?: Buffer;
  /** Lines already read: a rebuild asks for an action's line several times. */
  private readonly lines = new Map<number, IndexLine>();

  line(i: number): IndexLine {
    let l = this.lines.get(i);
    if (!l) this.lines.set(i, (l = this.readLine(i)));
    return l;
  }

  private readLine(i: number): IndexLine {
    const start = this.body + this.header.offsets[i];
    if (this.whole) {
      const end = i + 1 < this.count ? this.body + this.header.offsets[i + 1] : this.whole.length;
      return JSON.parse(this.whole.toString('utf8', start, end)) as IndexLine;
    }
    const fd = openSync(this.path, 'r');
    try {
      const end = i + 1 < this.count ? this.body + this.header.offsets[i + 1] : fstatSync(fd).size;
      const bytes = Buffer.alloc(end - start);
      readSync(fd, bytes, 0, bytes.length, start);
      return JSON.parse(bytes.toString('utf8')) as IndexLine;
    } finally {
      closeSync(fd);
    }
  }

  /** The action's key and outputs as of the last build. */
  result(i: number): { key: string; outputs: readonly unknown[] } {
    return this.overrides.get(i) ?? { key: this.list('keys')[i], outputs: this.line(i).outputs };
  }

  key(i: number): string {
    return this.overrides.get(i)?.key ?? this.list('keys')[i];
  }

  /**
   * Records new results. The log line is written before the stamp that relies on it; a crash in
   * between leaves a log line whose stamp does not match the disk (the next build rebuilds).
   */
  record(results: ReadonlyMap<number, { key: string; outputs: readonly unknown[] }>): void {
    const lines = [...results].map(([i, r]) => JSON.stringify({ t: this.header.token, i, key: r.key, outputs: r.outputs } satisfies LogLine));
    // Starting with a newline: a line torn by a crash before stays alone (and is skipped).
    if (lines.length) appendFileSync(`${this.path}-log`, `\n${lines.join('\n')}\n`);
    for (const [i, r] of results) this.overrides.set(i, r);
  }

  /**
   * Every action with its current key and, with `withOutputs`, its outputs (full rebuilds need
   * them; the no-op path's events do not, and then no action line is read).
   */
  details(withOutputs = true): StampDetails {
    if (withOutputs) this.whole ??= readFileSync(this.path);
    const actions: StampedAction[] = [];
    for (let i = 0; i < this.count; i++) {
      const { key, outputs } = withOutputs ? this.result(i) : { key: this.key(i), outputs: [] };
      actions.push({ id: this.ids[i], label: this.labels[i], mnemonic: this.mnemonics[i], key, outputs });
    }
    return { actions, outputs: this.header.outputs };
  }
}

/** The numbers after `path` in a `\n<path>\t<n>,<n>...` table. */
function lookUp(table: string, path: string): number[] | undefined {
  const at = table.indexOf(`\n${path}\t`);
  if (at < 0) return undefined;
  const from = at + path.length + 2;
  return table.slice(from, table.indexOf('\n', from)).split(',').map(Number);
}
