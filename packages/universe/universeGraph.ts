// The universe's build graph, from universe.lock.json and bootstrap.json (both written by
// `xbuild lock update --config packages/universe/lock.config.json`; lock/bootstrap.ts in xbuild
// computes the same graph and chooses the broken edges).
//
//   edge A -> S   A's build installs an XSC binary of S (a Build-Depends clause's binary or what
//                 its Depends reach); toolchain sources (glibc, gcc) come with the toolchain.
//   broken edge   a line of bootstrap.json: A has a first build without S (A's stage build, with
//                 the line's profile, or none for `twice`); a `self` line drops A's need of itself.
//   who uses which build of S: a source in the same strongly connected component of the whole
//                 graph as S uses S's stage build (the bootstrap); everybody else, and the image,
//                 the full one. This leaves no cycle if the broken edges leave none, because a
//                 cycle through full builds would be a cycle of the whole graph between sources of
//                 different components.
// If the edges left make a cycle, this throws naming it edge by edge (with the binaries that
// carry each edge) and the fix: a line in bootstrap.json.
import lockJson from "./universe.lock.json";
import bootstrapJson from "./bootstrap.json";
import { dependsClosure } from "../../lock/dependsClosure.js";

export interface UniverseLockData {
  readonly suite: string;
  /** The profiles every build's dependencies were resolved with. */
  readonly buildProfiles: readonly string[];
  readonly toolchainSources: readonly string[];
  readonly sources: Readonly<Record<string, {
    readonly version: string;
    readonly files: readonly { readonly name: string; readonly archive: string; readonly path: string; readonly sha256: string; readonly size: number }[];
    readonly debs: readonly string[];
    /** Build-machine tools it installs on the build root (pins in `binaries`). */
    readonly buildDepends: readonly string[];
  }>>;
  readonly binaries: Readonly<Record<string, { readonly name: string; readonly version: string; readonly archive: string; readonly path: string; readonly sha256: string }>>;
  readonly buildRoot: { readonly packages: readonly { readonly name: string; readonly version: string; readonly archive: string; readonly path: string; readonly sha256: string }[] };
  readonly universe: {
    readonly sources: Readonly<Record<string, { readonly xscBuildDeps: readonly (readonly string[])[]; readonly restricted?: Readonly<Record<string, string>> }>>;
    readonly xsc: Readonly<Record<string, { readonly source: string; readonly deps: readonly string[] }>>;
  };
}
export interface BrokenLine { readonly from: string; readonly to: string; readonly kind: string; readonly profile?: string }

export const lock = lockJson as unknown as UniverseLockData;
export const bootstrap = bootstrapJson as unknown as { readonly broken: readonly BrokenLine[] };

/** One build of a source: its profiles, the builds it installs from, and the binaries it installs. */
export interface PlannedBuild {
  readonly source: string;
  readonly stage: boolean;
  readonly profiles: readonly string[];
  /** Sources whose builds it installs from, each with `stage` when it is the stage build. */
  readonly deps: readonly { readonly source: string; readonly stage: boolean }[];
  /** XSC binaries it installs (closure of its clauses over Depends, and those sources' binaries the build machine has), its own and the toolchain's excepted. */
  readonly installs: readonly string[];
  /** Binaries the build makes (a stage build: those its profiles keep). */
  readonly binaries: readonly string[];
}

/** Does a Package-List restriction formula (`!stage1`, `!nocheck,!stage1+stage2`) hold under `profiles`? */
function formulaHolds(formula: string, profiles: ReadonlySet<string>): boolean {
  return formula.split("+").some((list) => list.split(",").every((t) => (t.startsWith("!") ? !profiles.has(t.slice(1)) : profiles.has(t))));
}

export function planUniverse(l: UniverseLockData = lock, broken: readonly BrokenLine[] = bootstrap.broken): PlannedBuild[] {
  const toolchain = new Set(l.toolchainSources);
  const u = l.universe;
  const built = Object.keys(l.sources).filter((s) => l.sources[s].debs.length > 0).sort();
  const isBuilt = new Set(built);
  const rootNames = l.buildRoot.packages.map((p) => p.name);
  const closeOver = dependsClosure(u.xsc);
  // A binary's closure as [source, its binaries] of the sources built here (once per binary: the
  // same -dev packages are named by hundreds of sources).
  const bySourceMemo = new Map<string, (readonly [string, readonly string[]])[]>();
  const closureBySource = (b: string) => {
    let out = bySourceMemo.get(b);
    if (out) return out;
    const m = new Map<string, string[]>();
    for (const x of closeOver(b)) {
      const s = u.xsc[x].source;
      if (toolchain.has(s) || !isBuilt.has(s)) continue;
      (m.get(s) ?? m.set(s, []).get(s)!).push(x);
    }
    out = [...m];
    bySourceMemo.set(b, out);
    return out;
  };
  // Per source: S -> the clauses' binaries installing S's binaries, and every binary installed.
  const needs = new Map<string, Map<string, Set<string>>>();
  for (const a of built) {
    const m = new Map<string, Set<string>>();
    for (const [b] of u.sources[a]?.xscBuildDeps ?? []) {
      for (const [s, xs] of closureBySource(b)) {
        const set = m.get(s) ?? m.set(s, new Set()).get(s)!;
        for (const x of xs) set.add(x);
      }
    }
    needs.set(a, m);
  }
  const brokenBy = new Map<string, BrokenLine[]>();
  for (const e of broken) (brokenBy.get(e.from) ?? brokenBy.set(e.from, []).get(e.from)!).push(e);
  const isBroken = (a: string, s: string) => a === s || (brokenBy.get(a) ?? []).some((e) => e.to === s);
  const staged = new Set(broken.filter((e) => e.from !== e.to && isBuilt.has(e.from)).map((e) => e.from));
  const comp = components(built, (n) => [...needs.get(n)!.keys()]);
  const depOf = (a: string, s: string) => ({ source: s, stage: staged.has(s) && comp.get(a) === comp.get(s) });

  // Also every binary of those sources the build machine has (the root's, the build's tools):
  // the XSC build replaces them together, or a Debian one pinning its library's exact version
  // (the root's bzip2 needs libbz2-1.0 (= 1.0.8-5+b1)) keeps the XSC library out.
  const sourceOf = new Map<string, string>();
  for (const s of built) for (const b of l.sources[s].debs) sourceOf.set(b, s);
  const onRoot = new Map<string, string[]>();
  for (const b of rootNames) {
    const s = sourceOf.get(b);
    if (s) (onRoot.get(s) ?? onRoot.set(s, []).get(s)!).push(b);
  }
  const plans: PlannedBuild[] = [];
  for (const a of built) {
    const rec = l.sources[a];
    const restricted = u.sources[a]?.restricted ?? {};
    const need = needs.get(a)!;
    const all = [...need.keys()].filter((s) => s !== a);
    const inTools = new Map<string, string[]>();
    for (const b of rec.buildDepends) {
      const s = sourceOf.get(b);
      if (s) (inTools.get(s) ?? inTools.set(s, []).get(s)!).push(b);
    }
    const installsOf = (srcs: readonly string[]) => {
      const out = new Set<string>();
      for (const s of srcs) {
        for (const b of need.get(s)!) out.add(b);
        for (const b of onRoot.get(s) ?? []) out.add(b);
        for (const b of inTools.get(s) ?? []) out.add(b);
      }
      return [...out].sort();
    };
    if (staged.has(a)) {
      const profiles = [...new Set((brokenBy.get(a) ?? []).filter((e) => e.profile).map((e) => e.profile!))].sort();
      const p = new Set(profiles);
      const kept = all.filter((s) => !isBroken(a, s));
      plans.push({
        source: a, stage: true, profiles, deps: kept.map((s) => depOf(a, s)), installs: installsOf(kept),
        binaries: rec.debs.filter((b) => !restricted[b] || formulaHolds(restricted[b], p)),
      });
    }
    plans.push({ source: a, stage: false, profiles: [], deps: all.map((s) => depOf(a, s)), installs: installsOf(all), binaries: rec.debs });
  }
  checkAcyclic(plans, needs);
  return plans;
}

/**
 * The build-machine tools as named groups, so that a build names one or two groups rather than
 * its ~70 .debs (143,689 labels over the universe's builds, 819 distinct non-empty sets): `common` holds the
 * .debs at least 90% of the sets have (debhelper's closure), each distinct set is a group of the
 * rest (`common` included when the set has all of it). A group is named after the first source
 * (in name order) that installs it. Each build installs exactly its own `buildDepends`.
 */
export interface ToolGroups {
  readonly common: readonly string[];
  /** Group name -> its .debs (package names in `binaries`), and whether it includes `common`. */
  readonly groups: ReadonlyMap<string, { readonly debs: readonly string[]; readonly common: boolean }>;
  /** Source -> its group's name (none when it installs no tools). */
  readonly groupOf: ReadonlyMap<string, string>;
}

let defaultToolGroups: ToolGroups | undefined;

export function toolGroups(l: UniverseLockData = lock): ToolGroups {
  if (l === lock && defaultToolGroups) return defaultToolGroups;
  const byKey = new Map<string, string>();
  const groupOf = new Map<string, string>();
  for (const s of Object.keys(l.sources).sort()) {
    const rec = l.sources[s];
    if (rec.debs.length === 0 || rec.buildDepends.length === 0) continue;
    const k = rec.buildDepends.join(" ");
    const first = byKey.get(k) ?? byKey.set(k, s).get(k)!;
    groupOf.set(s, first);
  }
  const freq = new Map<string, number>();
  for (const s of byKey.values()) for (const b of l.sources[s].buildDepends) freq.set(b, (freq.get(b) ?? 0) + 1);
  const common = [...freq].filter(([, n]) => n >= 0.9 * byKey.size).map(([b]) => b).sort();
  const core = new Set(common);
  const groups = new Map<string, { debs: string[]; common: boolean }>();
  for (const s of byKey.values()) {
    const debs = l.sources[s].buildDepends;
    const withCommon = core.size > 0 && debs.filter((b) => core.has(b)).length === core.size;
    groups.set(s, { debs: withCommon ? debs.filter((b) => !core.has(b)) : [...debs], common: withCommon });
  }
  const result = { common, groups, groupOf };
  if (l === lock) defaultToolGroups = result;
  return result;
}

const key = (source: string, stage: boolean) => (stage ? `${source} (stage)` : source);

function checkAcyclic(plans: readonly PlannedBuild[], needs: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>): void {
  const byKey = new Map(plans.map((p) => [key(p.source, p.stage), p]));
  const nodes = [...byKey.keys()];
  const next = (n: string) => byKey.get(n)!.deps.map((d) => key(d.source, d.stage));
  const comp = components(nodes, next);
  const members = new Map<number, string[]>();
  for (const n of nodes) (members.get(comp.get(n)!) ?? members.set(comp.get(n)!, []).get(comp.get(n)!)!).push(n);
  for (const group of members.values()) {
    if (group.length < 2) continue;
    // One cycle of the group, edge by edge: a shortest way back to its first node.
    const inGroup = new Set(group);
    const start = group.sort()[0];
    const prev = new Map<string, string>([[start, ""]]);
    const queue = [start];
    let last = "";
    for (let i = 0; i < queue.length && !last; i++) {
      for (const m of next(queue[i])) {
        if (m === start) { last = queue[i]; break; }
        if (!inGroup.has(m) || prev.has(m)) continue;
        prev.set(m, queue[i]);
        queue.push(m);
      }
    }
    const cycle: string[] = [start];
    for (let n = last; n; n = prev.get(n)!) cycle.unshift(n);
    const lines = cycle.slice(0, -1).map((n, i) => {
      const a = byKey.get(n)!.source, s = byKey.get(cycle[i + 1])!.source;
      return `  ${n} needs ${cycle[i + 1]} (installs ${[...(needs.get(a)?.get(s) ?? [])].sort().join(", ")})`;
    });
    throw new Error(`the universe's build graph has a cycle of ${cycle.length - 1} edges (${group.length} builds in its component):\n${lines.join("\n")}\n`
      + "break one of these edges with a line in packages/universe/bootstrap.json (its reason: a build profile that drops it, or `twice`), "
      + "or run `xbuild lock update --config packages/universe/lock.config.json` to compute them");
  }
}

/** Strongly connected components (iterative Tarjan): node -> component number. */
function components(nodes: readonly string[], next: (n: string) => readonly string[]): Map<string, number> {
  const index = new Map<string, number>(), low = new Map<string, number>(), comp = new Map<string, number>();
  const onStack = new Set<string>(), stack: string[] = [];
  let counter = 0, ncomp = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: [string, readonly string[], number][] = [[root, next(root), 0]];
    index.set(root, counter); low.set(root, counter++); stack.push(root); onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const [n, succ, i] = top;
      if (i < succ.length) {
        top[2]++;
        const m = succ[i];
        if (!index.has(m)) {
          index.set(m, counter); low.set(m, counter++); stack.push(m); onStack.add(m);
          work.push([m, next(m), 0]);
        } else if (onStack.has(m)) low.set(n, Math.min(low.get(n)!, index.get(m)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1][0], Math.min(low.get(work[work.length - 1][0])!, low.get(n)!));
      if (low.get(n) === index.get(n)) {
        for (;;) {
          const x = stack.pop()!;
          onStack.delete(x);
          comp.set(x, ncomp);
          if (x === n) break;
        }
        ncomp++;
      }
    }
  }
  return comp;
}
