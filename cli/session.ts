/**
 * Opens what every command needs: the workspace paths, the cache database, the blob store,
 * file digests, history. Also the analysis step with its cache, shared by build, query,
 * explain and dry runs.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../cache/database.js';
import { BlobStore } from '../cache/blobStore.js';
import { ActionCache } from '../cache/actionCache.js';
import { FileDigests, initFileDigests } from '../engine/fileDigests.js';
import { History } from '../engine/history.js';
import { Loader, type TranspileCache } from '../engine/loader.js';
import { createRequire } from 'node:module';
import { Analyzer } from '../engine/analyzer.js';
import { AnalysisCache, type AnalysisRecord } from '../engine/analysisCache.js';
import type { ActionGraph } from '../engine/action.js';
import { workspacePaths, type WorkspacePaths } from '../engine/workspace.js';
import { CacheLease } from '../cache/cacheLease.js';

/** The xbuild installation's source root (where rules/scripts live). */
export const INSTALL_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Session {
  readonly paths: WorkspacePaths;
  /** This process's lease on the cache: what it uses is kept by gc and clean in other processes. */
  readonly lease: CacheLease;
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly actionCache: ActionCache;
  readonly digests: FileDigests;
  readonly history: History;
  close(): void;
}

/**
 * `command` names the command in the cache lease (what `clean --all` and `cache gc` print about
 * a running process). Temp files of killed processes are removed from the blob store here.
 */
export async function openSession(root: string, cacheDir: string, command = 'build'): Promise<Session> {
  await initFileDigests();
  const paths = workspacePaths(root, cacheDir);
  const lease = await CacheLease.take(cacheDir, { workspace: root, command, startedMs: Date.now() },
    (pid) => process.stderr.write(`xbuild: the cache ${cacheDir} is being removed (xbuild clean --all, pid ${pid}); waiting for it to finish...\n`));
  let db: Db;
  try {
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

/**
 * Transpiled BUILD files in the cache database, keyed by TypeScript version, the loader's
 * transpiled format (which changes with the value's shape and stripTypes' output) and source digest.
 */
class SqliteTranspileCache implements TranspileCache {
  private readonly pending = new Map<string, Parameters<TranspileCache['put']>[1]>();
  private readonly select;
  private static readonly version = `ts-${(createRequire(import.meta.url)('@ts-morph/common/package.json') as { version: string }).version}-${Loader.transpiledFormat}`;

  constructor(private readonly db: Db) {
    this.select = db.prepare('SELECT value FROM load_cache WHERE key = ?');
  }

  private key(d: string): string {
    return `transpiled:${SqliteTranspileCache.version}:${d}`;
  }

  get(d: string) {
    const row = this.select.get(this.key(d)) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as Parameters<TranspileCache['put']>[1]) : this.pending.get(d);
  }

  put(d: string, v: Parameters<TranspileCache['put']>[1]): void {
    this.pending.set(d, v);
  }

  flush(): void {
    if (!this.pending.size) return;
    const ins = this.db.prepare('INSERT OR REPLACE INTO load_cache (key, value, updated_ms) VALUES (?, ?, ?)');
    const now = Date.now();
    this.db.transaction(() => {
      for (const [d, v] of this.pending) ins.run(this.key(d), JSON.stringify(v), now);
    })();
    this.pending.clear();
  }
}

export interface AnalysisOutcome {
  readonly graph: ActionGraph;
  readonly labels: readonly string[];
  readonly fromCache: boolean;
  readonly ms: number;
  /** What the analysis read (for the up-to-date stamp). */
  readonly record: AnalysisRecord;
}

/**
 * Expands patterns and analyses them, reusing the analysis cache when nothing changed. Throws
 * DiagnosticError. `inputsChecked`: the up-to-date stamp found every analysis input unchanged,
 * so a cached analysis is reused without hashing BUILD files or walking directories again.
 */
export async function analyze(s: Session, patterns: readonly string[], inputsChecked = false): Promise<AnalysisOutcome> {
  const started = Date.now();
  const cache = new AnalysisCache(s.db, s.digests);
  const walker = new Loader(s.paths.root, {});
  const cached = cache.get(s.paths.root, patterns, (pkg) => walker.findPackages(pkg), walker.walkedDirs, inputsChecked);
  if (cached) return { graph: cached.graph, labels: cached.graph.requested, fromCache: true, ms: Date.now() - started, record: cached.record };
  // The rules (the "xbuild" module of BUILD files) are loaded only when BUILD files are evaluated.
  const xbuildModule = await import('../rules/index.js');
  const transpiled = new SqliteTranspileCache(s.db);
  const loader = new Loader(s.paths.root, xbuildModule as unknown as Record<string, unknown>, transpiled);
  const analyzer = new Analyzer({ root: s.paths.root, loader, rulesDir: join(INSTALL_ROOT, 'rules') });
  let labels: string[];
  let graph: ActionGraph;
  try {
    labels = analyzer.expand(patterns);
    graph = analyzer.analyze(labels as never);
  } finally {
    transpiled.flush();
  }
  const record: AnalysisRecord = { files: loader.filesRead, probes: analyzer.probes, walks: loader.walks, dirs: loader.walkedDirs };
  cache.put(s.paths.root, patterns, graph, record, loader.readDigests);
  for (const f of loader.filesRead) s.digests.digest(f); // fingerprints for the next validation
  s.digests.flush();
  return { graph, labels, fromCache: false, ms: Date.now() - started, record };
}
