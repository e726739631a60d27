/**
 * After a successful build: record the up-to-date stamp (engine/incremental/upToDate.ts) from what the
 * analysis read, every needed action's sources and tools, the outputs, and xbuild's own code;
 * after an incremental build, patch the last stamp and log the new results in the action index.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { relevantEntries } from '../workspace.js';
import { StampRecorder, type StampedBuild } from './upToDate.js';
import { writeActionIndex, type ActionIndex, type IndexedAction } from './actionIndex.js';
import { sameOutputs } from './dirty.js';
import type { OutputEntry } from '../../cache/actionCache.js';
import type { ActionGraph } from '../analyze/action.js';
import { probeKind, xbuildCodeFiles, type AnalysisRecord } from '../analyze/analysisCache.js';
import type { FileDigests } from '../key/fileDigests.js';

/** Where a stamp goes: the workspace, the stamp file, and the digests that say which files are as the build hashed them. */
export interface StampPlace {
  readonly root: string;
  readonly stampFile: string;
  readonly digests: FileDigests;
}

/** What the analysis read and made (cli/session.ts AnalysisOutcome). */
export interface StampedAnalysis {
  readonly graph: ActionGraph;
  readonly labels: readonly string[];
  readonly record: AnalysisRecord;
}

/**
 * With `previous` (the stamp this build started from, whose analysis inputs were unchanged),
 * only what may differ is stat'ed again: the files that changed and every output; the rest is
 * carried over from that stamp.
 */
export function writeUpToDateStamp(t: StampPlace, analysis: StampedAnalysis, outputs: readonly string[], keys: ReadonlyMap<string, string>,
  produced: ReadonlyMap<string, readonly unknown[]>, previous?: { build: StampedBuild; reused: ReadonlySet<string> }): void {
  const known = (abs: string) => t.digests.unchangedSinceUse(abs);
  if (previous) {
    // Of the actions the build needed, only those not reused as they were may have new outputs.
    const rewritten = [...produced.keys()].filter((id) => !previous.reused.has(id))
      .flatMap((id) => analysis.graph.actions.get(id as never)!.outputs.map((o) => ({ abs: join(t.root, o.path), kind: o.kind })));
    return finish(t, recordChanges(t, previous.build, rewritten), analysis, outputs, keys, produced);
  }
  const rec = new StampRecorder(t.root);
  const addSource = (abs: string) => addSourceTo(rec, t, abs);
  for (const f of analysis.record.files) rec.add(f, known(f), true);
  for (const [p, kind] of analysis.record.probes) rec.addProbe(join(t.root, p), kind);
  for (const [d, entries] of analysis.record.dirs) rec.add(d, sameListing(d, entries), false);
  for (const f of ['xbuild.config.json']) rec.addProbe(join(t.root, f), probeKind(join(t.root, f)));
  for (const f of xbuildCodeFiles(['engine', 'rules', 'cache', 'cli'])) rec.add(f, true, false);
  rec.section = 'file';
  // `produced` holds every action the build needed.
  for (const id of produced.keys()) {
    const a = analysis.graph.actions.get(id as never)!;
    for (const i of a.inputs) if (i.source) addSource(join(t.root, i.path));
    for (const tool of a.tools) rec.add(tool, known(tool), true);
    for (const o of a.outputs) {
      const abs = join(t.root, o.path);
      if (o.kind === 'dir') rec.addTree(abs);
      else rec.add(abs, true, false);
    }
  }
  for (const l of analysis.labels) for (const f of analysis.graph.targets.get(l as never)?.files ?? []) if (f.source) addSource(join(t.root, f.path));
  return finish(t, rec, analysis, outputs, keys, produced);
}

/** Writes the stamp, and next to it the action index: every needed action's key, outputs and neighbours. */
function finish(t: StampPlace, rec: StampRecorder, analysis: StampedAnalysis, outputs: readonly string[],
  keys: ReadonlyMap<string, string>, produced: ReadonlyMap<string, readonly unknown[]>): void {
  t.digests.flush();
  const writeIndex = (detailsPath: string) => writeActionIndex(detailsPath, indexedActions(t.root, analysis, keys, produced), analysis.labels, outputs);
  if (rec.write(t.stampFile, outputs.length, outputs, writeIndex)) pruneStamps(dirname(t.stampFile));
  else if (process.env.XBUILD_DEBUG_STAMP) process.stderr.write(`no up-to-date stamp: ${rec.why}\n`);
}

/** Stamps kept per workspace (one per command line and settings; an action index can be tens of MB). */
const KEPT_STAMPS = 8;

/** Deletes all but the most recently written stamps (with their action indexes and logs). */
function pruneStamps(dir: string): void {
  try {
    const stamps = readdirSync(dir).filter((n) => /^[0-9a-f]{32}$/.test(n)).map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }));
    stamps.sort((a, b) => b.t - a.t);
    for (const { n } of stamps.slice(KEPT_STAMPS)) {
      for (const f of [n, `${n}.actions`, `${n}.actions-log`]) rmSync(join(dir, f), { force: true });
    }
    // Temp files of builds killed while writing (an hour old: no live build is still writing them).
    for (const n of readdirSync(dir)) {
      if (n.includes('.tmp-') && Date.now() - statSync(join(dir, n)).mtimeMs > 3_600_000) rmSync(join(dir, n), { force: true });
    }
  } catch { /* tidying only */ }
}

function indexedActions(root: string, analysis: StampedAnalysis, keys: ReadonlyMap<string, string>, produced: ReadonlyMap<string, readonly unknown[]>): IndexedAction[] {
  const { graph } = analysis;
  const targetsOf = new Map<string, string[]>();
  for (const l of analysis.labels) {
    for (const f of graph.targets.get(l as never)?.files ?? []) {
      const maker = f.source ? undefined : graph.producers.get(f.path);
      if (maker) (targetsOf.get(maker) ?? targetsOf.set(maker, []).get(maker)!).push(l);
    }
  }
  const out: IndexedAction[] = [];
  for (const [id, outs] of produced) {
    const action = graph.actions.get(id as never)!;
    const deps = new Set<string>();
    const reads: string[] = [...action.tools];
    for (const i of action.inputs) {
      if (i.source) reads.push(join(root, i.path));
      else {
        const maker = graph.producers.get(i.path);
        if (maker) deps.add(maker);
      }
    }
    out.push({ action, key: keys.get(id) ?? '', outputs: outs, deps: [...deps], targets: [...new Set(targetsOf.get(id) ?? [])], reads, makes: action.outputs.map((o) => join(root, o.path)) });
  }
  return out;
}

/** A source file (its content must be what the build hashed) or a source directory with everything in it. */
function addSourceTo(rec: StampRecorder, t: StampPlace, abs: string): void {
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch { /* add() reports it */ }
  if (!isDir) return rec.add(abs, t.digests.unchangedSinceUse(abs), true);
  rec.add(abs, true, true);
  for (const n of readdirSync(abs)) addSourceTo(rec, t, join(abs, n));
}

/**
 * An incremental stamp: the last one carried over, with the files that changed since and the
 * outputs this build rewrote stat'ed again.
 */
function recordChanges(t: StampPlace, previous: Pick<StampedBuild, 'stamp' | 'changed'>,
  rewritten: readonly { readonly abs: string; readonly kind: 'file' | 'dir' }[]): StampRecorder {
  const rec = new StampRecorder(t.root);
  const outputPaths = new Set(rewritten.map((o) => o.abs));
  rec.carryOver(previous.stamp, new Set([...previous.changed, ...outputPaths]));
  rec.section = 'file';
  for (const p of previous.changed) if (!outputPaths.has(p)) addSourceTo(rec, t, p);
  for (const o of rewritten) {
    if (o.kind === 'dir') rec.addTree(o.abs);
    else rec.add(o.abs, true, false);
  }
  return rec;
}

/**
 * After an incremental build: the new results into the index's log, then the stamp that relies
 * on them (see ActionIndex.record): the last stamp with the changed files and rewritten outputs
 * stat'ed again.
 */
export function writeReachedStamp(t: StampPlace, previous: StampedBuild, index: ActionIndex,
  results: ReadonlyMap<number, { key: string; outputs: readonly OutputEntry[] }>): void {
  const changed = new Map([...results].filter(([i, r]) => r.key !== index.key(i) || !sameOutputs(index.result(i).outputs as OutputEntry[], r.outputs)));
  const rewritten = [...results.keys()].flatMap((i) => (index.result(i).outputs as OutputEntry[]).map((o) => ({ abs: join(t.root, o.path), kind: o.kind })));
  const rec = recordChanges(t, previous, rewritten);
  t.digests.flush();
  if (!rec.ok) return;
  index.record(changed);
  const { outputs } = index.header;
  if (rec.writePatched(previous.stampFile, previous.stamp) === undefined) rec.write(previous.stampFile, outputs.length, outputs);
}

/** Whether a walked directory still has the entries the walk saw (xbuild's own folders aside). */
function sameListing(dir: string, entries: readonly string[]): boolean {
  try {
    return JSON.stringify(relevantEntries(readdirSync(dir))) === JSON.stringify(entries);
  } catch {
    return false;
  }
}
