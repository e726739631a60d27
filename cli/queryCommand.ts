/**
 * `xbuild query '<expr>'` over the target graph.
 *
 *   expr := term (op term)*        op: + (union), - (except), ^ (intersect), or the words
 *   term := pattern | '(' expr ')' | deps(expr[, depth]) | rdeps(universe, expr[, depth])
 *         | somepath(from, to) | allpaths(from, to) | kind(regex, expr)
 *
 * Every pattern in the expression is analysed once (from the analysis cache when unchanged);
 * deps are target dependencies (label attributes).
 */
import { UsageError } from './args.js';
import { analyze, openSession } from './session.js';
import type { CommandContext } from './commandContext.js';
import type { ActionGraph } from '../engine/analyze/action.js';
import { Graph } from '@dagrejs/graphlib';
import { DiagnosticError } from '../engine/report/diagnostics.js';
import { parseLabel } from '../engine/load/label.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The canonical label if `p` names an existing source file, else undefined. */
function sourceFileLabel(root: string, p: string): string | undefined {
  try {
    const l = parseLabel(p.startsWith('//') ? p : `//${p}`);
    const path = join(root, l.pkg, l.name);
    return existsSync(path) && statSync(path).isFile() ? l.str : undefined;
  } catch {
    return undefined;
  }
}

type Node =
  | { kind: 'pattern'; text: string }
  | { kind: 'op'; op: '+' | '-' | '^'; left: Node; right: Node }
  | { kind: 'call'; fn: string; args: (Node | string)[] };

const FUNCS = new Set(['deps', 'rdeps', 'somepath', 'allpaths', 'kind']);

export function parseQuery(text: string): Node {
  const tokens = text.match(/"[^"]*"|'[^']*'|\(|\)|,|[^\s(),]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (t === undefined) throw new UsageError(`query: unexpected end of "${text}"`);
    return t;
  };
  const expect = (t: string) => {
    const got = next();
    if (got !== t) throw new UsageError(`query: expected "${t}" but found "${got}" in "${text}"`);
  };
  const expr = (): Node => {
    let left = term();
    for (;;) {
      const t = peek();
      const op = t === '+' || t === 'union' ? '+' : t === '-' || t === 'except' ? '-' : t === '^' || t === 'intersect' ? '^' : undefined;
      if (!op) return left;
      i++;
      left = { kind: 'op', op, left, right: term() };
    }
  };
  const term = (): Node => {
    const t = next();
    if (t === '(') {
      const e = expr();
      expect(')');
      return e;
    }
    if (FUNCS.has(t) && peek() === '(') {
      i++;
      const args: (Node | string)[] = [];
      for (;;) {
        if (t === 'kind' && args.length === 0) args.push(next().replace(/^["']|["']$/g, ''));
        else if (args.length === (t === 'rdeps' ? 2 : 1) && /^\d+$/.test(peek() ?? '') && (t === 'deps' || t === 'rdeps')) args.push(next());
        else args.push(expr());
        const sep = next();
        if (sep === ')') break;
        if (sep !== ',') throw new UsageError(`query: expected "," or ")" but found "${sep}"`);
      }
      return { kind: 'call', fn: t, args };
    }
    return { kind: 'pattern', text: t.replace(/^["']|["']$/g, '') };
  };
  const root = expr();
  if (i !== tokens.length) throw new UsageError(`query: unexpected "${tokens[i]}" in "${text}"`);
  return root;
}

function patternsOf(n: Node | string): string[] {
  if (typeof n === 'string') return [];
  if (n.kind === 'pattern') return [n.text];
  if (n.kind === 'op') return [...patternsOf(n.left), ...patternsOf(n.right)];
  return n.args.flatMap(patternsOf);
}

/** The target graph as a graphlib digraph: an edge from each target to each dependency. */
export function targetGraph(graph: ActionGraph): Graph {
  const g = new Graph({ directed: true });
  for (const t of graph.targets.values()) {
    g.setNode(t.label);
    for (const d of t.deps) g.setEdge(t.label, d);
  }
  return g;
}

export function evaluate(n: Node, graph: ActionGraph, expandPattern: (p: string) => string[]): Set<string> {
  // Made on first use: an expression of patterns alone needs no graph (a whole distribution's takes seconds).
  let made: Graph | undefined;
  const g = () => (made ??= targetGraph(graph));
  const depsOf = (l: string): string[] => (g().successors(l) as string[] | undefined) ?? [];
  const rdepsOf = (l: string): string[] => (g().predecessors(l) as string[] | undefined) ?? [];
  const closure = (start: Iterable<string>, step: (l: string) => readonly string[], depth = Infinity) => {
    const seen = new Set<string>(start);
    let frontier = [...seen];
    for (let d = 0; d < depth && frontier.length; d++) {
      const nextF: string[] = [];
      for (const l of frontier) for (const x of step(l)) if (!seen.has(x)) { seen.add(x); nextF.push(x); }
      frontier = nextF;
    }
    return seen;
  };
  const ev = (x: Node | string): Set<string> => {
    if (typeof x === 'string') throw new UsageError(`query: "${x}" is not an expression`);
    switch (x.kind) {
      case 'pattern':
        return new Set(expandPattern(x.text));
      case 'op': {
        const a = ev(x.left), b = ev(x.right);
        if (x.op === '+') return new Set([...a, ...b]);
        if (x.op === '-') return new Set([...a].filter((l) => !b.has(l)));
        return new Set([...a].filter((l) => b.has(l)));
      }
      case 'call': {
        const depthArg = (k: number) => (typeof x.args[k] === 'string' ? Number(x.args[k]) : Infinity);
        switch (x.fn) {
          case 'deps':
            return closure(ev(x.args[0]), depsOf, depthArg(1));
          case 'rdeps': {
            const universe = closure(ev(x.args[0]), depsOf);
            const r = closure(ev(x.args[1]), rdepsOf, depthArg(2));
            return new Set([...r].filter((l) => universe.has(l)));
          }
          case 'somepath':
          case 'allpaths': {
            const from = ev(x.args[0]), to = ev(x.args[1]);
            const forward = closure(from, depsOf);
            const backward = closure(to, rdepsOf);
            const all = new Set([...forward].filter((l) => backward.has(l)));
            if (x.fn === 'allpaths') return all;
            // One shortest path by BFS inside `all`.
            const prev = new Map<string, string | null>();
            const queue = [...from].filter((l) => all.has(l));
            for (const q of queue) prev.set(q, null);
            while (queue.length) {
              const l = queue.shift()!;
              if (to.has(l)) {
                const path: string[] = [];
                for (let c: string | null = l; c; c = prev.get(c) ?? null) path.unshift(c);
                return new Set(path);
              }
              for (const d of depsOf(l)) if (all.has(d) && !prev.has(d)) { prev.set(d, l); queue.push(d); }
            }
            return new Set();
          }
          case 'kind': {
            const re = new RegExp(x.args[0] as string);
            return new Set([...ev(x.args[1])].filter((l) => re.test(`${graph.targets.get(l as never)?.rule} rule`)));
          }
          default:
            throw new UsageError(`query: unknown function ${x.fn}`);
        }
      }
    }
  };
  return ev(n);
}

export async function queryCommand(ctx: CommandContext): Promise<number> {
  const text = ctx.positional.join(' ');
  if (!text) throw new UsageError("query needs an expression, e.g. xbuild query 'deps(//examples/hello:hello)'");
  const output = (ctx.flags.output as string | undefined) ?? 'label';
  if (!['label', 'json', 'dot'].includes(output)) throw new UsageError(`--output must be label, json or dot, not "${output}"`);
  const tree = parseQuery(text);
  const session = await openSession(ctx.root, ctx.cacheDir, 'query');
  try {
    const patterns = [...new Set(patternsOf(tree))];
    // Each pattern's targets, then the graph of them all: one analysis when there is one pattern.
    const analyses = new Map<string, Promise<Awaited<ReturnType<typeof analyze>>>>();
    const analysed = (ps: string[]) => {
      const key = ps.join(' ');
      if (!analyses.has(key)) analyses.set(key, analyze(session, ps));
      return analyses.get(key)!;
    };
    // A pattern naming a source file (not a target) stands for itself, as in Bazel.
    const perPattern = new Map<string, string[]>();
    const targetPatterns: string[] = [];
    for (const p of patterns) {
      const file = sourceFileLabel(ctx.root, p);
      try {
        perPattern.set(p, (await analysed([p])).labels as string[]);
        targetPatterns.push(p);
      } catch (e) {
        if (!file || !(e instanceof DiagnosticError) || !e.diagnostics.every((d) => d.code === 'unknown-target')) throw e;
        perPattern.set(p, [file]);
      }
    }
    const { graph } = await analysed(targetPatterns);
    const result = [...evaluate(tree, graph, (p) => perPattern.get(p) ?? [])].sort();
    const out = process.stdout;
    if (output === 'label') out.write(result.map((l) => `${l}\n`).join(''));
    else if (output === 'json') {
      out.write(`${JSON.stringify(result.map((l) => {
        const t = graph.targets.get(l as never);
        if (!t) return { label: l, rule: 'source file' };
        return { label: l, rule: t.rule, deps: t.deps, files: t.files.map((f) => f.path), location: `${t.location.file}:${t.location.line}` };
      }), null, 2)}\n`);
    } else {
      const set = new Set(result);
      const g = targetGraph(graph);
      const lines = ['digraph xbuild {', '  node [shape=box];'];
      for (const l of result) lines.push(`  "${l}";`);
      for (const e of g.edges()) if (set.has(e.v) && set.has(e.w)) lines.push(`  "${e.v}" -> "${e.w}";`);
      lines.push('}');
      out.write(lines.join('\n') + '\n');
    }
    return 0;
  } finally {
    session.close();
  }
}
