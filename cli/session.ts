/**
 * Opens what every command needs: the workspace paths, the cache database, the blob store,
 * file digests, history. Also the analysis step with its cache, shared by build, query,
 * explain and dry runs.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, INSTALL_ROOT } from '../engine/installation.js';
import { openDatabase, type Db } from '../cache/database.js';
import { BlobStore } from '../cache/blobStore.js';
import { ActionCache } from '../cache/actionCache.js';
import { FileDigests, initFileDigests } from '../engine/key/fileDigests.js';
import { History } from '../engine/report/history.js';
import { AnalysisCache, actionGraph, type AnalysisRecord } from '../engine/analyze/analysisCache.js';
import type { AnalysisRequest } from '../engine/analyze/analysisInWorker.js';
import { graphFromJson } from '../engine/analyze/graphText.js';
import { DiagnosticError } from '../engine/report/diagnostics.js';
import { workspacePaths } from '../engine/workspace.js';
import type { BuildStores } from '../engine/buildSession.js';
import type { StampedAnalysis } from '../engine/incremental/stampWriter.js';
import { CacheLease } from '../cache/cacheLease.js';

export interface Session extends BuildStores {
  /** This process's lease on the cache: what it uses is kept by gc and clean in other processes. */
  readonly lease: CacheLease;
  close(): void;
}

/**
 * `command` names the command in the cache lease (what `clean --all` and `cache gc` print about
 * a running process); `leased` runs as soon as the lease is held (nothing may be made in the cache
 * before: `clean --all` may be removing it). Temp files of killed processes are removed from the
 * blob store here.
 */
export async function openSession(root: string, cacheDir: string, command = 'build', leased?: () => void): Promise<Session> {
  const paths = workspacePaths(root, cacheDir);
  const lease = await CacheLease.take(cacheDir, { workspace: root, command, startedMs: Date.now() },
    (pid) => process.stderr.write(`xbuild: the cache ${cacheDir} is being removed (xbuild clean --all, pid ${pid}); waiting for it to finish...\n`));
  let db: Db;
  try {
    leased?.();
    await initFileDigests();
    db = openDatabase(join(cacheDir, 'cache.db'));
  } catch (e) {
    lease.release();
    throw e;
  }
  const digests = new FileDigests(db);
  const blobs = new BlobStore(cacheDir);
  blobs.lease = lease;
  blobs.sweepTemp();
  const actionCache = new ActionCache(db);
  actionCache.lease = lease;
  return {
    paths, lease, db, blobs, actionCache, digests, history: new History(db),
    close: () => {
      digests.flush();
      db.close();
      lease.release();
    },
  };
}

export interface AnalysisOutcome extends StampedAnalysis {
  readonly fromCache: boolean;
  readonly ms: number;
}

/**
 * Expands patterns and analyses them, reusing the analysis cache when nothing changed. Throws
 * DiagnosticError. `inputsChecked`: the up-to-date stamp found every analysis input unchanged,
 * so a cached analysis is reused without hashing BUILD files or walking directories again.
 */
export async function analyze(s: Session, patterns: readonly string[], inputsChecked = false): Promise<AnalysisOutcome> {
  const started = Date.now();
  // Loaded here: an incremental build (the stamp names what changed) never analyses, and the
  // loader with its realm and stripTypes is a third of the build path's code.
  const [{ Loader }, { analyzeInWorker }, { SqliteTranspileCache }] = await Promise.all([
    import('../engine/load/loader.js'), import('../engine/analyze/analysisInWorker.js'), import('../engine/load/transpileCache.js'),
  ]);
  const cache = new AnalysisCache(s.db, s.digests);
  const walker = new Loader(s.paths.root, {});
  const cached = cache.get(s.paths.root, patterns, (pkg) => walker.findPackages(pkg), walker.walkedDirs, inputsChecked);
  if (cached) return { graph: cached.graph, labels: cached.graph.requested, fromCache: true, ms: Date.now() - started, record: cached.record };
  // BUILD files are evaluated in a worker (engine/analyze/analysisInWorker.ts), with the rules as their "xbuild" module.
  const request: AnalysisRequest = {
    root: s.paths.root, patterns, rulesDir: join(INSTALL_ROOT, 'rules'), rulesModule: pathToFileURL(join(DIST, 'rules/index.js')).href,
    dbPath: join(s.paths.cacheDir, 'cache.db'),
  };
  const first = await analyzeInWorker(request);
  let reply = first.reply;
  if (reply.kind === 'failed' && reply.stackless) {
    // A value was thrown without a stack: the same analysis again, under V8's debugger, finds where.
    const again = (await analyzeInWorker({ ...request, locateThrows: true })).reply;
    if (again.kind === 'failed') reply = { ...again, transpiled: reply.transpiled };
  }
  const transpiled = new SqliteTranspileCache(s.db);
  for (const [d, v] of reply.transpiled) transpiled.put(d, v);
  transpiled.flush();
  if (reply.kind === 'internal') throw new Error(`in the analysis worker: ${reply.stack}`);
  if (reply.kind === 'failed') throw new DiagnosticError(reply.diagnostics);
  const graph = actionGraph(graphFromJson(JSON.parse(reply.graphJson)));
  const record: AnalysisRecord = {
    files: new Set(reply.record.files), probes: new Map(reply.record.probes), walks: new Map(reply.record.walks), dirs: new Map(reply.record.dirs),
  };
  const cacheValue = await first.cacheValue;
  if (cacheValue) cache.put(s.paths.root, patterns, cacheValue);
  for (const f of record.files) s.digests.digest(f); // fingerprints for the next validation
  s.digests.flush();
  return { graph, labels: reply.labels, fromCache: false, ms: Date.now() - started, record };
}
