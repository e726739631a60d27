/**
 * The analysis worker (started by engine/analyze/analysisInWorker.ts): locks its own realm down with
 * SES before anything else runs, so that even an object of this thread that Node's own code
 * hands to the build realm (an error thrown while formatting a stack on the edge of a stack
 * overflow) reaches only frozen intrinsics and no `Function` constructor; then loads and
 * analyses, and posts the result. Console output of BUILD files is written to stderr at once
 * (fd 2, synchronously), before the answer, in the order it happened.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { lockdownThisRealm } from '../load/buildRealm.js';
import { saveCodeCaches } from '../load/codeCache.js';
import type { AnalysisReply, AnalysisRequest, CacheValueMessage } from './analysisInWorker.js';
import { encodeAnalysis } from './analysisCache.js';
import { graphToJson } from './graphText.js';

lockdownThisRealm(dirname((workerData as AnalysisRequest).dbPath));

async function run(req: AnalysisRequest & { readonly board: SharedArrayBuffer }): Promise<AnalysisReply> {
  const [{ default: Database }, { Loader }, { Analyzer }, { SqliteTranspileCache }, { DiagnosticError }, { ActivityBoard }] = await Promise.all([
    import('better-sqlite3'), import('../load/loader.js'), import('./analyzer.js'), import('../load/transpileCache.js'), import('../report/diagnostics.js'), import('../load/evaluationLimits.js'),
  ]);
  const board = new ActivityBoard(req.board);
  const db = new Database(req.dbPath, { readonly: true, fileMustExist: true });
  // One read transaction for the whole analysis: each transpile-cache lookup then skips taking
  // and releasing the WAL read lock (about twice the lookups per second).
  db.exec('BEGIN');
  const transpiled = new SqliteTranspileCache(db);
  const rejections: unknown[] = [];
  process.on('unhandledRejection', (reason) => {
    rejections.push(reason);
  });
  const throwSites = req.locateThrows ? new (await import('../load/throwSites.js')).DebuggerThrowSites() : undefined;
  const xbuildModule = (await import(req.rulesModule)) as Record<string, unknown>;
  const loader = new Loader(req.root, xbuildModule, {
    transpileCache: transpiled,
    hooks: { enter: (what, where) => board.enter({ what, where }), leave: () => board.leave() },
    log: (level, text) => writeSync(2, `${level === 'warn' ? 'WARNING' : 'DEBUG'} ${text}\n`),
    rulesDir: req.rulesDir,
    throwSites,
  });
  const analyzer = new Analyzer({ root: req.root, loader, rulesDir: req.rulesDir });
  const diagnostics = [];
  let labels: string[] = [];
  let graph;
  try {
    labels = analyzer.expand(req.patterns);
    graph = analyzer.analyze(labels as never);
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    diagnostics.push(...e.diagnostics);
  }
  // The realm's promise jobs ran with each evaluation; Node reports a rejection that nothing
  // handled once this task is over.
  await new Promise((r) => setImmediate(r));
  for (const reason of rejections) {
    if (reason instanceof Error) throw reason; // an error of this thread, not of the build realm: a bug
    const t = loader.realm().describe(reason, 'the reason of a rejected promise');
    diagnostics.push(loader.thrownDiagnostic(t, undefined, 'unhandled-rejection', 'a promise was rejected and nothing handled it: '));
  }
  db.exec('COMMIT');
  db.close();
  const common = { transpiled: transpiled.pending() };
  if (diagnostics.length || !graph) return { kind: 'failed', diagnostics, stackless: loader.stacklessFailures > 0, ...common };
  return {
    kind: 'ok',
    labels,
    graphJson: graphToJson({ targets: [...graph.targets.values()], actions: [...graph.actions.values()], requested: graph.requested }),
    record: { files: [...loader.filesRead], probes: [...analyzer.probes], walks: [...loader.walks], dirs: [...loader.walkedDirs] },
    readDigests: [...loader.readDigests],
    ...common,
  };
}

try {
  const reply = await run(workerData);
  parentPort!.postMessage(reply);
  // The main thread parses the graph meanwhile (and stops this thread once the cache value came).
  saveCodeCaches();
  if (reply.kind === 'ok') {
    const r = reply.record;
    const record = { files: new Set(r.files), probes: new Map(r.probes), walks: new Map(r.walks), dirs: new Map(r.dirs) };
    parentPort!.postMessage({ kind: 'cache-value', value: encodeAnalysis(record, new Map(reply.readDigests), reply.graphJson) } satisfies CacheValueMessage);
  }
} catch (e) {
  parentPort!.postMessage({ kind: 'internal', stack: String((e as Error)?.stack ?? e), transpiled: [] } satisfies AnalysisReply);
}
