/**
 * Synthetic distribution-shaped build graphs for the benchmarks of issue 5, written both as an
 * xbuild workspace (one BUILD.ts per package) and as the same graph in a `build.ninja`.
 *
 * Shape: node i (in topological order) depends on a few earlier nodes j = floor(i * u^3) with u
 * uniform in (0,1): the density of j falls off as j^(-2/3), so the first nodes ("core"
 * libraries: a libc, a compiler runtime) are depended on by a large part of the graph, as in
 * a distribution rebuild. The first `coreCount` nodes form a bootstrap chain. Everything is
 * drawn from one seeded PRNG, so a (size, seed) pair always gives the same graph.
 *
 * Actions ("digest" mode) are `grep -hv '^#' $(SRCS) | md5sum > $@`: a digest of the
 * non-comment lines of the node's own source and its dependencies' outputs. Adding a comment
 * line to a source therefore changes the input but not the output: the "core edit with
 * unchanged output" that early cutoff should turn into a near no-op. In "sleep" mode every
 * action first sleeps its node's `sleepMs` and also reads a workspace-wide `salt.txt`, so a
 * benchmark can force every action to rerun (change the salt) while xbuild keeps its recorded
 * durations.
 *
 * "cathead" mode (issue 18: the cost of each action) gives every node a 1-4 KiB source and
 * 0-8 dependencies (3.6 on average, same power-law fan-in), and the command
 * `{ cat SRC; head -qn1 DEP1.out DEP2.out ...; } > OUT`: two programs exec'd per action, a few
 * KiB read and written, so what is measured is the build tool's own cost per action.
 * "cathead-sleep" puts `sleep 0.05; ` before each such command.
 */
import { mkdirSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** One target of the synthetic graph; `deps` are indices of earlier nodes. */
export interface DistroNode {
  readonly index: number;
  /** Target name, unique in the whole graph (e.g. `t00042`). */
  readonly name: string;
  /** Package path relative to the workspace root (e.g. `pkgs/p0004`). */
  readonly pkg: string;
  readonly deps: readonly number[];
  /** Duration of the action in sleep mode (and the virtual clock), milliseconds. */
  readonly sleepMs: number;
}

/** A generated graph: nodes in topological order, plus the facts the benchmarks report. */
export interface DistroGraph {
  readonly size: number;
  readonly seed: number;
  readonly nodes: readonly DistroNode[];
  readonly packages: number;
  readonly edges: number;
  /** The first `coreCount` nodes are the bootstrap chain (they depend only on each other). */
  readonly coreCount: number;
  /** The node with the most transitive dependents (the one a "core edit" touches). */
  readonly coreIndex: number;
  /** How many nodes transitively depend on `coreIndex`. */
  readonly coreDownstream: number;
  /** A node nothing depends on (the one a "leaf edit" touches). */
  readonly leafIndex: number;
}

export interface DistroGraphOptions {
  readonly size: number;
  readonly seed?: number;
  /** Targets per package (1 = one package per source package, like a distribution). */
  readonly targetsPerPackage?: number;
  /** Sleep-mode durations are drawn uniformly from [minMs, maxMs]. */
  readonly sleepMinMs?: number;
  readonly sleepMaxMs?: number;
  /**
   * How many dependencies a node draws. 'classic' (default): 1-8, about 3 after duplicates
   * fall away. 'perAction' (the cathead modes): 0-8, 3.6 on average.
   */
  readonly deps?: 'classic' | 'perAction';
}

/** Scale of the exponential draw of the 'perAction' dependency count (tuned for a mean of 3.6 at 2,600 and 20,000). */
const PER_ACTION_DRAW_MEAN = 5.1;

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateDistroGraph(o: DistroGraphOptions): DistroGraph {
  const seed = o.seed ?? 1;
  const per = Math.max(1, o.targetsPerPackage ?? 1);
  const minMs = o.sleepMinMs ?? 100, maxMs = o.sleepMaxMs ?? 500;
  const rand = prng(seed);
  const coreCount = Math.max(2, Math.round(o.size / 200));
  const width = String(o.size - 1).length;
  const nodes: DistroNode[] = [];
  let edges = 0;
  for (let i = 0; i < o.size; i++) {
    const deps = new Set<number>();
    if (i > 0 && i < coreCount) deps.add(i - 1); // the bootstrap chain
    if (i > 0 && o.deps === 'perAction') {
      // 0..8 draws; with duplicates removed (the core is drawn often) the mean is ~3.6.
      const want = Math.min(8 - deps.size, Math.floor(-Math.log(1 - rand()) * PER_ACTION_DRAW_MEAN));
      for (let k = 0; k < want; k++) deps.add(Math.floor(i * rand() ** 3));
    } else if (i > 0) {
      const want = 1 + Math.min(7, Math.floor(-Math.log(1 - rand()) * 2)); // 1..8, mean ~3
      for (let k = 0; k < want; k++) deps.add(Math.floor(i * rand() ** 3));
    }
    const sorted = [...deps].sort((a, b) => a - b);
    edges += sorted.length;
    const pkgIndex = Math.floor(i / per);
    nodes.push({
      index: i,
      name: `t${String(i).padStart(width, '0')}`,
      pkg: `pkgs/p${String(pkgIndex).padStart(width, '0')}`,
      deps: sorted,
      sleepMs: Math.round(minMs + rand() * (maxMs - minMs)),
    });
  }
  const dependents: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const d of n.deps) dependents[d].push(n.index);
  const downstream = (start: number): number => {
    const seen = new Uint8Array(nodes.length);
    const stack = [start];
    let count = 0;
    while (stack.length) {
      for (const k of dependents[stack.pop()!]) if (!seen[k]) { seen[k] = 1; count++; stack.push(k); }
    }
    return count;
  };
  // The core library with the most transitive dependents (the core is the first nodes).
  let coreIndex = 0, coreDownstream = -1;
  for (let i = 0; i < Math.min(coreCount, nodes.length); i++) {
    const c = downstream(i);
    if (c > coreDownstream) { coreIndex = i; coreDownstream = c; }
  }
  let leafIndex = nodes.length - 1;
  while (leafIndex > 0 && dependents[leafIndex].length > 0) leafIndex--;
  const packages = Math.ceil(o.size / per);
  return { size: o.size, seed, nodes, packages, edges, coreCount, coreIndex, coreDownstream, leafIndex };
}

/**
 * How the actions behave: digest their inputs, sleep first (and read the salt), or the cathead
 * command of issue 18 (with `sleep 0.05; ` first in 'cathead-sleep').
 */
export type ActionMode = 'digest' | 'sleep' | 'cathead' | 'cathead-sleep';

const isCathead = (mode: ActionMode): boolean => mode === 'cathead' || mode === 'cathead-sleep';

const DIGEST = "grep -hv '^#' $(SRCS) | md5sum > $@";

function sleepCmd(n: DistroNode): string {
  return `sleep ${(n.sleepMs / 1000).toFixed(3)}; cat $(SRCS) | md5sum > $@`;
}

/** The cathead command over shell-ready paths (the same text for both tools). */
function catheadCmd(mode: ActionMode, src: string, deps: readonly string[], out: string): string {
  const head = deps.length ? `; head -qn1 ${deps.join(' ')}` : '';
  return `${mode === 'cathead-sleep' ? 'sleep 0.05; ' : ''}{ cat ${src}${head}; } > ${out}`;
}

/** Source text of a node: one comment line and one content line (cathead: 1-4 KiB of such lines). */
function sourceText(g: DistroGraph, n: DistroNode, mode: ActionMode, extra = ''): string {
  if (!isCathead(mode)) return `# source of ${n.name}\nint ${n.name} = ${n.index};\n${extra}`;
  const rand = prng((g.seed * 1_000_003 + n.index) >>> 0);
  const want = 1024 + Math.floor(rand() * 3073);
  const lines = [`# source of ${n.name}`];
  let bytes = lines[0].length + 1;
  for (let k = 0; bytes < want; k++) {
    const line = `int ${n.name}_${k} = ${Math.floor(rand() * 1e9)}; /* ${Math.floor(rand() * 1e12).toString(36)} */`;
    lines.push(line);
    bytes += line.length + 1;
  }
  return lines.join('\n') + '\n' + extra;
}

/** Mean size of the cathead sources, bytes (for reports). */
export function meanSourceBytes(g: DistroGraph): number {
  let sum = 0;
  for (const n of g.nodes) sum += Buffer.byteLength(sourceText(g, n, 'cathead'));
  return sum / g.nodes.length;
}

/** The source file of a node, relative to a workspace root (same path in both layouts). */
export function sourcePath(n: DistroNode): string {
  return `${n.pkg}/${n.name}.c`;
}

/** Writes the graph as an xbuild workspace in `dir` (emptied first). */
export function writeXbuildWorkspace(g: DistroGraph, dir: string, mode: ActionMode): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'BUILD.ts'), '// Synthetic distribution graph (bench/distroGraph.ts); targets live in pkgs/.\n');
  if (mode === 'sleep') writeFileSync(join(dir, 'salt.txt'), '0\n');
  const byPkg = new Map<string, DistroNode[]>();
  for (const n of g.nodes) (byPkg.get(n.pkg) ?? byPkg.set(n.pkg, []).get(n.pkg)!).push(n);
  for (const [pkg, nodes] of byPkg) {
    mkdirSync(join(dir, pkg), { recursive: true });
    const lines = ['import { cmd } from "xbuild";', ''];
    for (const n of nodes) {
      writeFileSync(join(dir, sourcePath(n)), sourceText(g, n, mode));
      const depRefs = n.deps.map((d) => {
        const dn = g.nodes[d];
        return dn.pkg === pkg ? `:${dn.name}` : `//${dn.pkg}:${dn.name}`;
      });
      const srcs = [`${n.name}.c`, ...depRefs];
      if (mode === 'sleep') srcs.push('//:salt.txt');
      const command = mode === 'sleep' ? sleepCmd(n)
        : isCathead(mode) ? catheadCmd(mode, `$(location ${n.name}.c)`, depRefs.map((r) => `$(location ${r})`), '$@')
        : DIGEST;
      lines.push(`cmd({ name: ${JSON.stringify(n.name)}, srcs: ${JSON.stringify(srcs)}, outs: [${JSON.stringify(`${n.name}.out`)}], cmd: ${JSON.stringify(command)} });`);
    }
    writeFileSync(join(dir, pkg, 'BUILD.ts'), lines.join('\n') + '\n');
  }
}

/** Path of a node's output in the ninja layout. */
function ninjaOut(n: DistroNode): string {
  return `out/${n.pkg}/${n.name}.out`;
}

/** Writes the same graph as `build.ninja` (plus sources) in `dir` (emptied first). */
export function writeNinjaWorkspace(g: DistroGraph, dir: string, mode: ActionMode): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (mode === 'sleep') writeFileSync(join(dir, 'salt.txt'), '0\n');
  const out: string[] = ["rule digest\n  command = grep -hv '^#' $in | md5sum > $out\n"];
  if (isCathead(mode)) {
    // $src and $heads are set per edge (`deps` is a word ninja reserves); a node without dependencies has its own rule (an empty
    // `head -qn1` would read stdin).
    out.push(`rule cathead\n  command = ${catheadCmd(mode, '$src', ['$heads'], '$out')}\n`);
    out.push(`rule cat\n  command = ${catheadCmd(mode, '$src', [], '$out')}\n`);
  }
  const made = new Set<string>();
  for (const n of g.nodes) {
    if (!made.has(n.pkg)) { mkdirSync(join(dir, n.pkg), { recursive: true }); made.add(n.pkg); }
    writeFileSync(join(dir, sourcePath(n)), sourceText(g, n, mode));
    const deps = n.deps.map((d) => ninjaOut(g.nodes[d]));
    const ins = [sourcePath(n), ...deps];
    if (mode === 'sleep') {
      ins.push('salt.txt');
      out.push(`build ${ninjaOut(n)}: sleep ${ins.join(' ')}\n  secs = ${(n.sleepMs / 1000).toFixed(3)}\n`);
    } else if (isCathead(mode)) {
      out.push(`build ${ninjaOut(n)}: ${deps.length ? 'cathead' : 'cat'} ${ins.join(' ')}\n  src = ${sourcePath(n)}\n${deps.length ? `  heads = ${deps.join(' ')}\n` : ''}`);
    } else out.push(`build ${ninjaOut(n)}: digest ${ins.join(' ')}\n`);
  }
  if (mode === 'sleep') out.splice(1, 0, 'rule sleep\n  command = sleep $secs; cat $in | md5sum > $out\n');
  out.push(`build all: phony ${g.nodes.map(ninjaOut).join(' ')}\ndefault all\n`);
  writeFileSync(join(dir, 'build.ninja'), out.join('\n'));
}

/** xbuild labels of every target (for `xbuild build`; `//...` would also do). */
export function allLabels(g: DistroGraph): string[] {
  return g.nodes.map((n) => `//${n.pkg}:${n.name}`);
}

/**
 * The "core edit with unchanged output": appends a comment line to the core node's source in
 * `dir` (either layout). The digest command ignores comments, so the output is unchanged.
 * `round` makes successive edits distinct.
 */
export function coreEdit(g: DistroGraph, dir: string, round: number): void {
  appendFileSync(join(dir, sourcePath(g.nodes[g.coreIndex])), `# edit ${round}\n`);
}

/** Edits a leaf's real content (its output changes; nothing depends on it). */
export function leafEdit(g: DistroGraph, dir: string, round: number): void {
  appendFileSync(join(dir, sourcePath(g.nodes[g.leafIndex])), `int edit${round} = ${round};\n`);
}

/**
 * Edits one package's BUILD.ts without changing what it declares (a comment line): xbuild must
 * load and analyse again, but every action is still cached. xbuild layout only.
 */
export function buildFileEdit(g: DistroGraph, dir: string, round: number): void {
  appendFileSync(join(dir, g.nodes[g.leafIndex].pkg, 'BUILD.ts'), `// edit ${round}\n`);
}

/**
 * Cathead modes: appends a line to every source (either layout), so every action must run
 * again with the same graph (no new loading or analysis).
 */
export function editAllSources(g: DistroGraph, dir: string, round: number): void {
  for (const n of g.nodes) appendFileSync(join(dir, sourcePath(n)), `int round${round} = ${round};\n`);
}

/** Sleep mode: changes the salt every action reads, so every action must run again. */
export function changeSalt(dir: string, round: number): void {
  writeFileSync(join(dir, 'salt.txt'), `${round}\n`);
}

/** Longest dependency depth of each node (0 for nodes without dependencies). */
export function depths(g: DistroGraph): number[] {
  const d = new Array<number>(g.nodes.length).fill(0);
  for (const n of g.nodes) for (const p of n.deps) d[n.index] = Math.max(d[n.index], d[p] + 1);
  return d;
}
