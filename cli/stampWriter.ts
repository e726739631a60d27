/**
 * After a successful build: record the up-to-date stamp (engine/incremental/upToDate.ts) from what the
 * analysis read, every needed action's sources and tools, the outputs, and xbuild's own code.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relevantEntries } from '../engine/load/loader.js';
import { StampRecorder, stampPath } from '../engine/incremental/upToDate.js';
import { writeActionIndex, type IndexedAction } from '../engine/incremental/actionIndex.js';
import { buildStampKey, type PreviousBuild } from './fastBuild.js';
import type { AnalysisOutcome, Session } from './session.js';
import type { CommandContext } from './commandContext.js';

const DIST = fileURLToPath(new URL('..', import.meta.url));

function jsFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (n.endsWith('.js')) out.push(p);
    else if (!n.includes('.') && statSync(p).isDirectory()) jsFiles(p, out);
  }
  return out;
}

/**
 * With `previous` (the stamp this build started from, whose analysis inputs were unchanged),
 * only what may differ is stat'ed again: the files that changed and every output; the rest is
 * carried over from that stamp.
 */
export function writeUpToDateStamp(ctx: CommandContext, s: Session, analysis: AnalysisOutcome, outputs: readonly string[], keys: ReadonlyMap<string, string>,
  produced: ReadonlyMap<string, readonly unknown[]>, previous?: { build: PreviousBuild; reused: ReadonlySet<string> }): boolean {
  const rec = new StampRecorder(ctx.root);
  const known = (abs: string) => s.digests.unchangedSinceUse(abs);
  if (previous) return writeIncrementally(ctx, s, rec, analysis, outputs, keys, produced, previous.build, previous.reused);
  const addSource = (abs: string) => addSourceTo(rec, s, abs);
  for (const f of analysis.record.files) rec.add(f, known(f), true);
  for (const [p, kind] of analysis.record.probes) rec.addProbe(join(ctx.root, p), kind);
  for (const [d, entries] of analysis.record.dirs) rec.add(d, sameListing(d, entries), false);
  for (const f of ['xbuild.config.json']) rec.addProbe(join(ctx.root, f), probeKind(join(ctx.root, f)));
  for (const f of jsFiles(join(DIST, 'engine')).concat(jsFiles(join(DIST, 'rules')), jsFiles(join(DIST, 'cache')), jsFiles(join(DIST, 'cli')))) rec.add(f, true, false);
  rec.section = 'file';
  // `produced` holds every action the build needed.
  for (const id of produced.keys()) {
    const a = analysis.graph.actions.get(id as never)!;
    for (const i of a.inputs) if (i.source) addSource(join(ctx.root, i.path));
    for (const t of a.tools) rec.add(t, known(t), true);
    for (const o of a.outputs) {
      const abs = join(ctx.root, o.path);
      if (o.kind === 'dir') rec.addTree(abs);
      else rec.add(abs, true, false);
    }
  }
  for (const l of analysis.labels) for (const f of analysis.graph.targets.get(l as never)?.files ?? []) if (f.source) addSource(join(ctx.root, f.path));
  return finish(ctx, s, rec, analysis, outputs, keys, produced);
}

/** Writes the stamp, and next to it the action index: every needed action's key, outputs and neighbours. */
function finish(ctx: CommandContext, s: Session, rec: StampRecorder, analysis: AnalysisOutcome, outputs: readonly string[],
  keys: ReadonlyMap<string, string>, produced: ReadonlyMap<string, readonly unknown[]>): boolean {
  s.digests.flush();
  const path = stampPath(s.paths.stateDir, buildStampKey(ctx));
  const written = rec.write(path, outputs.length, outputs,
    (detailsPath) => writeActionIndex(detailsPath, indexedActions(ctx.root, analysis, keys, produced), analysis.labels, outputs));
  if (!written && process.env.XBUILD_DEBUG_STAMP) process.stderr.write(`no up-to-date stamp: ${rec.why}\n`);
  if (written) pruneStamps(dirname(path));
  return written;
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

function indexedActions(root: string, analysis: AnalysisOutcome, keys: ReadonlyMap<string, string>, produced: ReadonlyMap<string, readonly unknown[]>): IndexedAction[] {
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
function addSourceTo(rec: StampRecorder, s: Session, abs: string): void {
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch { /* add() reports it */ }
  if (!isDir) return rec.add(abs, s.digests.unchangedSinceUse(abs), true);
  rec.add(abs, true, true);
  for (const n of readdirSync(abs)) addSourceTo(rec, s, join(abs, n));
}

function writeIncrementally(ctx: CommandContext, s: Session, rec: StampRecorder, analysis: AnalysisOutcome, outputs: readonly string[],
  keys: ReadonlyMap<string, string>, produced: ReadonlyMap<string, readonly unknown[]>, previous: PreviousBuild, reused: ReadonlySet<string>): boolean {
  const rewritten: { abs: string; kind: 'file' | 'dir' }[] = [];
  // `produced` holds every action the build needed; only those not reused as they were may have new outputs.
  for (const id of produced.keys()) {
    if (reused.has(id)) continue;
    for (const o of analysis.graph.actions.get(id as never)!.outputs) rewritten.push({ abs: join(ctx.root, o.path), kind: o.kind });
  }
  recordChanges(rec, s, previous, rewritten);
  return finish(ctx, s, rec, analysis, outputs, keys, produced);
}

/**
 * An incremental stamp: the last one carried over, with the files that changed since and the
 * outputs this build rewrote stat'ed again.
 */
export function recordChanges(rec: StampRecorder, s: Session, previous: Pick<PreviousBuild, 'stamp' | 'changed'>,
  rewritten: readonly { readonly abs: string; readonly kind: 'file' | 'dir' }[]): void {
  const outputPaths = new Set(rewritten.map((o) => o.abs));
  rec.carryOver(previous.stamp, new Set([...previous.changed, ...outputPaths]));
  rec.section = 'file';
  for (const p of previous.changed) if (!outputPaths.has(p)) addSourceTo(rec, s, p);
  for (const o of rewritten) {
    if (o.kind === 'dir') rec.addTree(o.abs);
    else rec.add(o.abs, true, false);
  }
}

/** Whether a walked directory still has the entries the walk saw (xbuild's own folders aside). */
function sameListing(dir: string, entries: readonly string[]): boolean {
  try {
    return JSON.stringify(relevantEntries(readdirSync(dir))) === JSON.stringify(entries);
  } catch {
    return false;
  }
}

function probeKind(abs: string): string {
  try {
    return statSync(abs).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}
