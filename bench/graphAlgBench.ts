/**
 * Graph algorithms: @dagrejs/graphlib against the hand-written ones it could replace, on a
 * distribution-shaped DAG of distroGraph.ts (20,000 nodes, ~3.6 dependencies each).
 *
 * Every row runs both sides on the same data in one process, interleaved A B A B ... after a
 * warm-up round, and reports medians and the ratio graphlib / hand-written. "build+" rows include
 * making the graphlib Graph from the plain data, which a caller that has no Graph yet pays.
 *  - topsort: engine/analyze/action.ts `topologicalOrder` (DFS over an ActionGraph's producers) vs `alg.topsort`;
 *  - tarjan: lock/bootstrap.ts `components` vs `alg.tarjan` (and `alg.findCycles`), on the DAG
 *    and on the DAG with 1% of its edges reversed (cycles, like the lock tool's source graph);
 *  - shortest path: lock/bootstrap.ts `shortestPath` (BFS) vs `alg.dijkstra`, leaf -> core;
 *  - the lock tool's source graph shape (2,222 sources, ~89,000 edges: packages/universe/bootstrap.json);
 *  - depth: graphlib's topsort and tarjan recurse once per node on a path, so a long enough chain
 *    or cycle overflows the stack; the hand-written ones are iterative.
 *
 *   node dist/bench/graphAlgBench.js [--size 20000] [--rounds 9]
 */
import { Graph, alg } from '@dagrejs/graphlib';
import { generateDistroGraph } from './distroGraph.js';
import { topologicalOrder as topo } from '../engine/analyze/action.js';
import { components, shortestPath } from '../lock/bootstrap.js';
import type { ActionGraph, ActionId } from '../engine/analyze/action.js';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const size = Number(arg('--size') ?? 20000);
const rounds = Number(arg('--rounds') ?? 9);

const g = generateDistroGraph({ size });
const name = (i: number) => g.nodes[i].name;
const nodes = g.nodes.map((n) => n.name);
/** node -> its dependencies (the direction of every graph here: a needer points at what it needs). */
const dagNext = new Map(g.nodes.map((n) => [n.name, n.deps.map(name)]));
const cyclicNext = new Map([...dagNext].map(([k, v]) => [k, [...v]]));
let reversed = 0;
for (const n of g.nodes) {
  for (const d of n.deps) {
    if ((n.index * 31 + d) % 100 === 0) { cyclicNext.get(name(d))!.push(n.name); reversed++; }
  }
}

function toGraph(next: ReadonlyMap<string, readonly string[]>): Graph {
  const gr = new Graph({ directed: true });
  for (const n of next.keys()) gr.setNode(n);
  for (const [n, ds] of next) for (const d of ds) gr.setEdge(n, d);
  return gr;
}
/** The shape of ActionGraph that `topo` reads: one action per node, its inputs the outputs of its deps. */
const actionGraph = {
  actions: new Map(g.nodes.map((n) => [n.name, { inputs: n.deps.map((d) => ({ source: false, path: `out/${name(d)}` })) }])),
  producers: new Map(g.nodes.map((n) => [`out/${n.name}`, n.name])),
} as unknown as ActionGraph;
const allIds = new Set(nodes) as unknown as ReadonlySet<ActionId>;
/** The same dependency direction in an ActionGraph-derived Graph: an edge from producer to consumer, as a topological order needs. */
function actionsToGraph(ag: ActionGraph, ids: ReadonlySet<ActionId>): Graph {
  const gr = new Graph({ directed: true });
  for (const id of ids) gr.setNode(id);
  for (const id of ids) {
    for (const i of ag.actions.get(id)!.inputs) {
      const p = i.source ? undefined : ag.producers.get(i.path);
      if (p && ids.has(p)) gr.setEdge(p, id);
    }
  }
  return gr;
}
const dagGraph = toGraph(dagNext);
const cyclicGraph = toGraph(cyclicNext);
/** Random edges among 2,222 nodes, 40 per node: the lock tool's source graph has this size. */
const lockNext = new Map<string, string[]>();
{
  let x = 7;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 2222; i++) lockNext.set(`s${i}`, []);
  for (let i = 0; i < 2222; i++) for (let k = 0; k < 40; k++) lockNext.get(`s${i}`)!.push(`s${Math.floor(rand() * 2222)}`);
}
const leaf = name(g.leafIndex), core = name(g.coreIndex);
const wrap = (next: ReadonlyMap<string, readonly string[]>) => (n: string) => next.get(n)!;

interface Row { readonly what: string; readonly a: string; readonly b: string; run(): [() => unknown, () => unknown] }
const ROWS: Row[] = [
  { what: 'build the Graph (nodes + edges)', a: 'Map<string, string[]>', b: 'new Graph + setEdge', run: () => [() => new Map([...dagNext].map(([k, v]) => [k, [...v]])), () => toGraph(dagNext)] },
  { what: 'topological order', a: 'topologicalOrder', b: 'alg.topsort', run: () => [() => topo(actionGraph, allIds), () => alg.topsort(dagGraph)] },
  { what: 'build+topological order', a: 'topologicalOrder', b: 'Graph + alg.topsort', run: () => [() => topo(actionGraph, allIds), () => alg.topsort(actionsToGraph(actionGraph, allIds))] },
  { what: 'SCCs, DAG', a: 'bootstrap components', b: 'alg.tarjan', run: () => [() => components(nodes, wrap(dagNext)), () => alg.tarjan(dagGraph)] },
  { what: 'SCCs, 1% edges reversed', a: 'bootstrap components', b: 'alg.tarjan', run: () => [() => components(nodes, wrap(cyclicNext)), () => alg.tarjan(cyclicGraph)] },
  { what: 'build+SCCs, 1% edges reversed', a: 'bootstrap components', b: 'Graph + alg.tarjan', run: () => [() => components(nodes, wrap(cyclicNext)), () => alg.tarjan(toGraph(cyclicNext))] },
  { what: 'cycles, 1% edges reversed', a: 'components, size > 1', b: 'alg.findCycles', run: () => [() => components(nodes, wrap(cyclicNext)).sizes.filter((s) => s > 1), () => alg.findCycles(cyclicGraph)] },
  { what: 'build, lock-shaped graph', a: 'Map<string, Set<string>>', b: 'new Graph + setEdge', run: () => [() => new Map([...lockNext].map(([k, v]) => [k, new Set(v)])), () => toGraph(lockNext)] },
  { what: 'shortest path leaf -> core', a: 'bootstrap shortestPath', b: 'alg.dijkstra', run: () => [() => shortestPath(leaf, core, wrap(dagNext)), () => alg.dijkstra(dagGraph, leaf)] },
];

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const time = (f: () => unknown) => { const t = performance.now(); f(); return performance.now() - t; };

console.log(`${size} nodes, ${g.edges} edges (${(g.edges / size).toFixed(2)} per node), ${reversed} reversed in the cyclic variant; ${rounds} interleaved rounds after one warm-up, medians`);
console.log(`${'what'.padEnd(32)} ${'hand-written'.padEnd(24)} ${'ms'.padStart(8)}  ${'graphlib'.padEnd(20)} ${'ms'.padStart(8)}  ratio`);
for (const row of ROWS) {
  const [a, b] = row.run();
  time(a); time(b);
  const ta: number[] = [], tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2) { tb.push(time(b)); ta.push(time(a)); } else { ta.push(time(a)); tb.push(time(b)); }
  }
  const ma = median(ta), mb = median(tb);
  console.log(`${row.what.padEnd(32)} ${row.a.padEnd(24)} ${ma.toFixed(2).padStart(8)}  ${row.b.padEnd(20)} ${mb.toFixed(2).padStart(8)}  ${(mb / ma).toFixed(2)}x`);
}

/** The longest chain (topsort) and cycle (tarjan) graphlib handles, among these lengths. */
for (const n of [1000, 2000, 3000, 5000, 20000]) {
  const chain = new Graph({ directed: true }), ring = new Graph({ directed: true });
  for (let i = 0; i < n; i++) { chain.setNode(`n${i}`); ring.setNode(`n${i}`); }
  for (let i = 0; i < n; i++) { if (i + 1 < n) chain.setEdge(`n${i}`, `n${i + 1}`); ring.setEdge(`n${i}`, `n${(i + 1) % n}`); }
  const next = (v: string) => { const i = Number(v.slice(1)); return [`n${(i + 1) % n}`]; };
  const tryIt = (f: () => unknown) => { try { f(); return 'ok'; } catch (e) { return (e as Error).constructor.name; } };
  console.log(`depth ${String(n).padStart(5)}: alg.topsort on a chain ${tryIt(() => alg.topsort(chain))}, alg.tarjan on a cycle ${tryIt(() => alg.tarjan(ring))}, components on a cycle ${tryIt(() => components([...ring.nodes()], next))}`);
}
