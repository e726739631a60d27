/**
 * The analysed graph as text: what the analysis worker sends to the main thread and what the
 * analysis cache stores. Each artifact, each argv string and each label a target depends on is
 * written once, in a table, and referred to by its index: a distribution's package builds share
 * most of their inputs (the build root, the build-machine tools' .debs, a library's .debs are
 * inputs of hundreds of builds), and written out whole the universe's 11,763 actions were 104 MB
 * of JSON (22.9 MB so).
 *
 * Reading it back gives one Artifact object per artifact, shared by every action and target that
 * names it (the graph is read-only), and one string per distinct argv word or label.
 *
 * Invariant: graphFromJson(JSON.parse(graphToJson(g))) is deep-equal to g.
 */
import type { Artifact } from './api.js';
import type { Action, ConfiguredTarget } from './action.js';
import type { AnalysisGraph } from './analysisInWorker.js';
import type { LabelString } from '../load/label.js';

const FORMAT = 'xbuild-graph-2';

/** An artifact inside a provider's value: `{ "@a": index }`. */
const REF = '@a';

interface Tables {
  readonly artifacts: [string, 'file' | 'dir', boolean][];
  readonly strings: string[];
}

export function graphToJson(g: AnalysisGraph): string {
  const artifacts: Tables['artifacts'] = [];
  const strings: string[] = [];
  const artifactIndex = new Map<string, number>();
  const stringIndex = new Map<string, number>();
  // Analysis hands the same Artifact object to every action naming it: looked up by identity
  // first (cheap), by content for a copy.
  const byObject = new Map<Artifact, number>();
  const art = (a: Artifact): number => {
    let i = byObject.get(a);
    if (i !== undefined) return i;
    const k = `${a.kind === 'dir' ? 'd' : 'f'}${a.source ? 's' : 'g'}${a.path}`;
    i = artifactIndex.get(k);
    if (i === undefined) {
      i = artifacts.push([a.path, a.kind, a.source]) - 1;
      artifactIndex.set(k, i);
    }
    byObject.set(a, i);
    return i;
  };
  const str = (s: string): number => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.push(s) - 1;
      stringIndex.set(s, i);
    }
    return i;
  };
  const value = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(value);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (isArtifact(o)) return { [REF]: art(o as unknown as Artifact) };
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[k] = value(o[k]);
    return out;
  };
  // Actions first: their argv words are most of the references, and take the shortest indices.
  const actions = g.actions.map((a) => ({ ...a, inputs: a.inputs.map(art), outputs: a.outputs.map(art), argv: a.argv.map(str) }));
  const targets = g.targets.map((t) => ({ ...t, files: t.files.map(art), providers: value(t.providers), deps: t.deps.map(str) }));
  return JSON.stringify({ format: FORMAT, artifacts, strings, targets, actions, requested: g.requested });
}

/** The graph from graphToJson's text, parsed (the parsed value is taken over: changed in place). */
export function graphFromJson(parsed: unknown): AnalysisGraph {
  const p = parsed as {
    format: string; artifacts: Tables['artifacts']; strings: string[];
    targets: (Omit<ConfiguredTarget, 'files' | 'deps'> & { files: number[]; deps: number[] })[];
    actions: (Omit<Action, 'inputs' | 'outputs' | 'argv'> & { inputs: number[]; outputs: number[]; argv: number[] })[];
    requested: AnalysisGraph['requested'];
  };
  if (p.format !== FORMAT) throw new Error(`the analysed graph is in format ${String(p.format)}, not ${FORMAT} (this is an xbuild bug)`);
  const artifacts: Artifact[] = p.artifacts.map(([path, kind, source]) => Object.freeze({ path, kind, source }));
  const value = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(value);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o[REF] === 'number' && Object.keys(o).length === 1) return artifacts[o[REF] as number];
    for (const k of Object.keys(o)) o[k] = value(o[k]);
    return o;
  };
  const strings = p.strings;
  // The parsed objects are this function's own: their index lists become what they index in
  // place (a universe is ~12,000 targets and actions; copying each was a third of the parse).
  const swap = <T>(xs: number[], table: readonly T[]): T[] => {
    const out = xs as unknown as T[];
    for (let i = 0; i < xs.length; i++) out[i] = table[xs[i]];
    return out;
  };
  for (const t of p.targets) {
    const m = t as unknown as { files: unknown; providers: unknown; deps: unknown };
    m.files = swap(t.files, artifacts);
    m.providers = value(t.providers);
    m.deps = swap(t.deps, strings as LabelString[]);
  }
  for (const a of p.actions) {
    const m = a as unknown as { inputs: unknown; outputs: unknown; argv: unknown };
    m.inputs = swap(a.inputs, artifacts);
    m.outputs = swap(a.outputs, artifacts);
    m.argv = swap(a.argv, strings);
  }
  return {
    targets: p.targets as unknown as ConfiguredTarget[],
    actions: p.actions as unknown as Action[],
    requested: p.requested,
  };
}

function isArtifact(o: Record<string, unknown>): boolean {
  if (typeof o.path !== 'string' || (o.kind !== 'file' && o.kind !== 'dir') || typeof o.source !== 'boolean') return false;
  let n = 0;
  for (const _ in o) n++;
  return n === 3;
}
