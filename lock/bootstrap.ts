/**
 * The universe's bootstrap as data: the source-level build graph of a universe lock, and the
 * edges that must be broken for it to be built at all, each with its reason.
 *
 * Graph: source A -> source S when A's build installs an XSC binary of S: a binary one of A's
 * Build-Depends/Build-Depends-Arch clauses names (`xscBuildDeps`), or one that binary's Depends
 * reach (`xsc[b].deps`: a library's own libraries are linked too). Toolchain sources (glibc, gcc)
 * are not nodes: the XSC toolchain makes their binaries. A source needing its own binary is a
 * self edge (Debian builds it against its previous version).
 *
 * Breaking, the way Debian's bootstrap does it, on the strongly connected components only:
 *   1. `profile`: every edge inside a cycle whose every clause a build profile drops
 *      (`libcolord-dev <!stage1>`): A is built first with that profile, without S.
 *   2. `twice`: if cycles remain, a feedback arc set of what is left (Eades-Lin-Smyth order; an
 *      edge going back in it is broken): A is built a first time without S's binaries and no
 *      profile says how (a bootstrap patch or a build that fails, which the slice will tell).
 *   3. Minimal: each broken edge, `twice` ones first, is put back if that makes no cycle, so
 *      every edge left broken closes a cycle (its `cycle` shows one: S ... -> A).
 * Deterministic: everything is visited in sorted order.
 *
 * The result is written as packages/universe/bootstrap.json (one edge a line) by `xbuild lock
 * update`; packages/universe/universeGraph.ts reads it back in the BUILD file, and analysis
 * fails, naming the cycle edge by edge, when the edges it lists leave a cycle.
 */
import type { UniverseSection } from './lockFile.js';
import { dependsClosure } from './dependsClosure.js';

/** One build dependency of a source on another, with what carries it. */
export interface SourceEdge {
  readonly from: string;
  readonly to: string;
  /** The build-dependency binaries (as named in A's clauses) through which A installs S's binaries. */
  readonly via: readonly string[];
  /** Profiles that drop every clause reaching S (empty: nothing drops it). */
  readonly droppedBy: readonly string[];
}

export type BreakKind = 'self' | 'profile' | 'twice';

/** A broken edge: `from` is built once without `to`'s binaries first. */
export interface BrokenEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: BreakKind;
  /** For `profile`: the profile of `from`'s first build (stage1, nodoc, ...). */
  readonly profile?: string;
  readonly via: readonly string[];
  /** A path `to` -> ... -> `from` in the graph left, the cycle this edge closes. */
  readonly cycle: readonly string[];
}

export interface BootstrapFile {
  readonly comment: string;
  /** Counts for the notes: sources (nodes), edges, the biggest cycle, broken edges by kind. */
  readonly counts: Readonly<Record<string, number>>;
  readonly broken: readonly BrokenEdge[];
}

/** Profiles preferred when several drop the same clause (Debian's bootstrap order). */
const PROFILE_ORDER = ['stage1', 'stage2', 'nodoc', 'nogir', 'nocheck', 'noudeb'];
const byProfile = (a: string, b: string) => {
  const ia = PROFILE_ORDER.indexOf(a), ib = PROFILE_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
};

/** The source graph of a universe: A -> S with the binaries that carry it. */
export function sourceEdges(u: Pick<UniverseSection, 'sources' | 'xsc' | 'toolchainSources'>): SourceEdge[] {
  const toolchain = new Set(u.toolchainSources);
  const closeOver = dependsClosure(u.xsc);
  const out: SourceEdge[] = [];
  for (const from of Object.keys(u.sources).sort()) {
    const to = new Map<string, { via: Set<string>; dropped?: Set<string> }>();
    for (const [b, ...profiles] of u.sources[from].xscBuildDeps) {
      const sources = new Set(closeOver(b).map((x) => u.xsc[x].source).filter((s) => !toolchain.has(s) && u.sources[s]));
      for (const s of sources) {
        const e = to.get(s) ?? to.set(s, { via: new Set() }).get(s)!;
        e.via.add(b);
        e.dropped = e.dropped ? new Set(profiles.filter((p) => e.dropped!.has(p))) : new Set(profiles);
      }
    }
    for (const [s, e] of [...to].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push({ from, to: s, via: [...e.via].sort(), droppedBy: [...(e.dropped ?? [])].sort(byProfile) });
    }
  }
  return out;
}

/**
 * Strongly connected components (iterative Tarjan); `comp.get(n)` is the component's index.
 * Not graphlib's `alg.tarjan`: it recurses once per node on a path and overflows the stack on a
 * cycle of a few thousand sources, and making its Graph of this size costs ~30x these Maps
 * (bench/graphAlgBench.ts).
 */
export function components(nodes: readonly string[], next: (n: string) => readonly string[]): { comp: Map<string, number>; sizes: number[] } {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const comp = new Map<string, number>();
  const sizes: number[] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    index.set(root, counter); low.set(root, counter); counter++;
    stack.push(root); onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const [n, i] = top;
      const succ = next(n);
      if (i < succ.length) {
        top[1]++;
        const m = succ[i];
        if (!index.has(m)) {
          index.set(m, counter); low.set(m, counter); counter++;
          stack.push(m); onStack.add(m);
          work.push([m, 0]);
        } else if (onStack.has(m)) low.set(n, Math.min(low.get(n)!, index.get(m)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const p = work[work.length - 1][0];
        low.set(p, Math.min(low.get(p)!, low.get(n)!));
      }
      if (low.get(n) === index.get(n)) {
        const id = sizes.length;
        let size = 0;
        for (;;) {
          const x = stack.pop()!;
          onStack.delete(x);
          comp.set(x, id);
          size++;
          if (x === n) break;
        }
        sizes.push(size);
      }
    }
  }
  return { comp, sizes };
}

/** A shortest path from -> ... -> to over `next` (undefined if none). */
export function shortestPath(from: string, to: string, next: (n: string) => Iterable<string>): string[] | undefined {
  const prev = new Map<string, string>([[from, '']]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    if (n === to) {
      const path = [n];
      for (let p = prev.get(n)!; p; p = prev.get(p)!) path.push(p);
      return path.reverse();
    }
    for (const m of next(n)) if (!prev.has(m)) { prev.set(m, n); queue.push(m); }
  }
  return undefined;
}

/** The broken edges of a universe and the graph's counts. */
export function breakCycles(u: Pick<UniverseSection, 'sources' | 'xsc' | 'toolchainSources'>): BootstrapFile {
  const edges = sourceEdges(u);
  const nodes = Object.keys(u.sources).sort();
  const adj = new Map<string, Set<string>>(nodes.map((n) => [n, new Set()]));
  const byKey = new Map<string, SourceEdge>();
  for (const e of edges) {
    byKey.set(`${e.from} ${e.to}`, e);
    if (e.from !== e.to) adj.get(e.from)!.add(e.to);
  }
  const next = (n: string) => [...adj.get(n)!];
  const first = components(nodes, next);
  const biggest = Math.max(0, ...first.sizes);
  const cyclic = first.sizes.filter((s) => s > 1).length;
  const broken = new Map<string, { e: SourceEdge; kind: BreakKind; profile?: string }>();
  for (const e of edges) if (e.from === e.to) broken.set(`${e.from} ${e.to}`, { e, kind: 'self' });
  // 1. Profiles, inside cycles.
  for (const e of edges) {
    if (e.from !== e.to && e.droppedBy.length && first.comp.get(e.from) === first.comp.get(e.to)) {
      adj.get(e.from)!.delete(e.to);
      broken.set(`${e.from} ${e.to}`, { e, kind: 'profile', profile: e.droppedBy[0] });
    }
  }
  // 2. What no profile breaks: Eades-Lin-Smyth order of each remaining component, back edges out.
  const second = components(nodes, next);
  const members = new Map<number, string[]>();
  for (const n of nodes) {
    const c = second.comp.get(n)!;
    if (second.sizes[c] > 1) (members.get(c) ?? members.set(c, []).get(c)!).push(n);
  }
  for (const group of members.values()) {
    const order = elsOrder(group, adj);
    const pos = new Map(order.map((n, i) => [n, i]));
    for (const a of group) {
      for (const s of [...adj.get(a)!]) {
        if (pos.has(s) && pos.get(s)! < pos.get(a)!) {
          adj.get(a)!.delete(s);
          broken.set(`${a} ${s}`, { e: byKey.get(`${a} ${s}`)!, kind: 'twice' });
        }
      }
    }
  }
  // 3. Minimal: put back what closes no cycle (`twice` first: they are the costly ones).
  const rank = { twice: 0, profile: 1, self: 2 };
  const candidates = [...broken.entries()].filter(([, b]) => b.kind !== 'self')
    .sort(([ka, a], [kb, b]) => rank[a.kind] - rank[b.kind] || (ka < kb ? -1 : 1));
  for (const [key, b] of candidates) {
    if (!shortestPath(b.e.to, b.e.from, (n) => adj.get(n)!)) {
      adj.get(b.e.from)!.add(b.e.to);
      broken.delete(key);
    }
  }
  const list: BrokenEdge[] = [...broken.values()].map(({ e, kind, profile }) => ({
    from: e.from, to: e.to, kind, ...(profile ? { profile } : {}), via: e.via,
    cycle: e.from === e.to ? [e.from] : shortestPath(e.to, e.from, (n) => adj.get(n)!) ?? [],
  })).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : 1));
  const count = (k: BreakKind) => list.filter((b) => b.kind === k).length;
  const staged = new Set(list.filter((b) => b.kind !== 'self').map((b) => b.from));
  return {
    comment: 'Written by `xbuild lock update` with universe.lock.json (lock/bootstrap.ts says how). Each line is a build dependency '
      + 'broken for the bootstrap: `from` is built a first time without `to`\'s binaries (with `profile`, or `twice`: no profile does it), '
      + 'and `cycle` is the path that makes the edge a cycle. `self`: a source needing its own binaries (Debian builds it against its previous version). '
      + 'Removing a line makes analysis fail naming the cycle.',
    counts: {
      sources: nodes.length, edges: edges.filter((e) => e.from !== e.to).length, cyclicComponents: cyclic, biggestComponent: biggest,
      brokenProfile: count('profile'), brokenTwice: count('twice'), brokenSelf: count('self'), stagedSources: staged.size,
    },
    broken: list,
  };
}

/** Eades-Lin-Smyth: sinks to the back, sources to the front, else the node of most (out - in) forward. */
function elsOrder(group: readonly string[], adj: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const inGroup = new Set(group);
  const out = new Map<string, Set<string>>();
  const inn = new Map<string, Set<string>>();
  for (const n of group) { out.set(n, new Set()); inn.set(n, new Set()); }
  for (const n of group) for (const m of adj.get(n)!) if (inGroup.has(m)) { out.get(n)!.add(m); inn.get(m)!.add(n); }
  const left = new Set([...group].sort());
  const front: string[] = [];
  const back: string[] = [];
  const remove = (n: string) => {
    left.delete(n);
    for (const m of out.get(n)!) inn.get(m)!.delete(n);
    for (const m of inn.get(n)!) out.get(m)!.delete(n);
  };
  while (left.size) {
    let changed = true;
    while (changed) {
      changed = false;
      for (const n of left) {
        if (out.get(n)!.size === 0) { back.unshift(n); remove(n); changed = true; }
        else if (inn.get(n)!.size === 0) { front.push(n); remove(n); changed = true; }
      }
    }
    if (!left.size) break;
    let best = '', score = -Infinity;
    for (const n of left) {
      const d = out.get(n)!.size - inn.get(n)!.size;
      if (d > score) { best = n; score = d; }
    }
    front.push(best);
    remove(best);
  }
  // Edges point from a needer to what it needs: in the order, what is needed comes later.
  return [...front, ...back];
}

/** bootstrap.json, one broken edge a line (readable, and a diff is one line an edge). */
export function bootstrapJson(file: BootstrapFile): string {
  return `{\n  "comment": ${JSON.stringify(file.comment)},\n  "counts": ${JSON.stringify(file.counts)},\n  "broken": [\n`
    + file.broken.map((b) => `    ${JSON.stringify(b)}`).join(',\n') + '\n  ]\n}\n';
}
