/**
 * The analysis cache: patterns -> ActionGraph, reused while nothing that loading or analysis
 * read has changed. What was read is recorded while analysing: every BUILD.ts and imported
 * .ts file (by content digest), every source path probed (exists as file/dir/none), every
 * recursive pattern's package list, and xbuild's own code. An unchanged workspace is then not
 * re-evaluated at all: validating costs one stat per recorded file.
 *
 * A whole distribution's graph is large (11,763 actions, each artifact and argv word written
 * once: graphText.ts), so a row holds it deflated (level 1: about a tenth of the size, for
 * less than the time SQLite takes to write the difference), and only the newest KEEP_ANALYSES
 * analyses are kept: each xbuild version and each set of patterns has its own.
 */
import { readdirSync, statSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { DIST } from '../installation.js';
import type { Db } from '../../cache/database.js';
import { sha256Hex } from '../../cache/digest.js';
import type { ActionGraph, ActionId } from './action.js';
import type { AnalysisGraph } from './analysisInWorker.js';
import { graphFromJson } from './graphText.js';
import type { FileDigests } from '../key/fileDigests.js';

interface Recorded {
  readonly files: readonly (readonly [string, string])[];
  readonly probes: readonly (readonly [string, string])[];
  readonly walks: readonly (readonly [string, readonly string[]])[];
  readonly dirs: readonly (readonly [string, readonly string[]])[];
  /** graphText.ts's form of the graph. */
  readonly graph: unknown;
}

/** Everything loading and analysis read, besides the graph itself. */
export interface AnalysisRecord {
  /** BUILD.ts and imported files (absolute paths). */
  readonly files: ReadonlySet<string>;
  /** Workspace-relative paths probed, with what was there: file, dir or none. */
  readonly probes: ReadonlyMap<string, string>;
  readonly walks: ReadonlyMap<string, readonly string[]>;
  /** Directories listed by pattern walks (absolute), with the entries that mattered then. */
  readonly dirs: ReadonlyMap<string, readonly string[]>;
}

/** xbuild's compiled files (`.js`) under these folders of dist/, sorted: its own code, as analyses and stamps depend on it. */
export function xbuildCodeFiles(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (n.endsWith('.js')) out.push(p);
      else if (!n.includes('.') && statSync(p).isDirectory()) walk(p);
    }
  };
  for (const dir of dirs) walk(join(DIST, dir));
  return out;
}

/** xbuild's own compiled code: a new version must not reuse old analyses. */
let selfDigest: string | undefined;
export function xbuildSelfDigest(digests: FileDigests): string {
  selfDigest ??= sha256Hex(xbuildCodeFiles(['engine', 'rules', 'cache']).map((p) => `${p}:${digests.digest(p)}`).join('\n'));
  return selfDigest;
}

const KEEP_ANALYSES = 16;
const KEY_PREFIX = 'analysis:';

export class AnalysisCache {
  constructor(private readonly db: Db, private readonly digests: FileDigests) {}

  private key(root: string, patterns: readonly string[]): string {
    return KEY_PREFIX + sha256Hex(JSON.stringify(['analysis-v3', root, xbuildSelfDigest(this.digests), [...patterns].sort()]));
  }

  /**
   * The cached graph, if everything it was computed from is unchanged. `walk` re-lists packages
   * below a directory; `walkedDirs` then holds what those walks saw now, which becomes the
   * record's directory listing (the graph only depends on the packages).
   */
  get(root: string, patterns: readonly string[], walk: (pkg: string) => string[], walkedDirs?: ReadonlyMap<string, readonly string[]>,
    /** The caller has checked every recorded input by stat (the up-to-date stamp): skip validation. */
    inputsChecked = false): { graph: ActionGraph; record: AnalysisRecord } | undefined {
    const key = this.key(root, patterns);
    const row = this.db.prepare('SELECT value FROM load_cache WHERE key = ?').get(key) as { value: Buffer } | undefined;
    if (!row) return undefined;
    const rec = JSON.parse(inflateRawSync(row.value).toString()) as Recorded;
    if (!inputsChecked && !this.valid(root, rec, walk)) return undefined;
    const record: AnalysisRecord = {
      files: new Set(rec.files.map(([f]) => f)), probes: new Map(rec.probes), walks: new Map(rec.walks),
      dirs: walkedDirs && !inputsChecked ? new Map(walkedDirs) : new Map(rec.dirs ?? []),
    };
    this.db.prepare('UPDATE load_cache SET updated_ms = ? WHERE key = ?').run(Date.now(), key); // the newest are kept
    return { graph: actionGraph(graphFromJson(rec.graph)), record };
  }

  private valid(root: string, rec: Recorded, walk: (pkg: string) => string[]): boolean {
    for (const [path, digest] of rec.files) {
      try {
        if (this.digests.digest(path) !== digest) return false;
      } catch {
        return false;
      }
    }
    for (const [path, kind] of rec.probes) if (probeKind(join(root, path)) !== kind) return false;
    for (const [pkg, found] of rec.walks) if (JSON.stringify(walk(pkg)) !== JSON.stringify(found)) return false;
    return true;
  }

  /** Stores an analysis: `value` is what `encodeAnalysis` made of it. */
  put(root: string, patterns: readonly string[], value: Uint8Array): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO load_cache (key, value, updated_ms) VALUES (?, ?, ?)').run(this.key(root, patterns), value, Date.now());
      this.db.prepare(`DELETE FROM load_cache WHERE key IN (SELECT key FROM load_cache WHERE key >= ? AND key < ? ORDER BY updated_ms DESC LIMIT -1 OFFSET ${KEEP_ANALYSES})`)
        .run(KEY_PREFIX, KEY_PREFIX.slice(0, -1) + ';'); // ';' follows ':': every key with the prefix
      this.db.prepare("DELETE FROM load_cache WHERE instr(key, ':') = 0").run(); // analyses of xbuild before 2026-12-06 (unprefixed, never read)
    })();
  }
}

/**
 * An analysis as the cache stores it. `graphJson`: the graph as JSON text of its lists (as the
 * analysis worker sends it, stored as it is). `readDigests`: the digest of the text each file had
 * when it was evaluated. The analysis worker makes this after it has sent the graph, while the
 * main thread parses it (a universe's is ~23 MB of text: ~0.4 s of deflating off the main thread).
 */
export function encodeAnalysis(record: AnalysisRecord, readDigests: ReadonlyMap<string, string>, graphJson: string): Buffer {
  const rec: Omit<Recorded, 'graph'> = {
    // If a file changed since it was evaluated, the recorded digest is the evaluated one, so
    // the next build sees the difference and analyses again.
    files: [...record.files].sort().map((f) => [f, readDigests.get(f) ?? ''] as const),
    probes: [...record.probes.entries()],
    walks: [...record.walks.entries()],
    dirs: [...record.dirs.entries()],
  };
  // The Recorded object as JSON, the graph's text spliced in as its last member.
  const json = `${JSON.stringify(rec).slice(0, -1)},"graph":${graphJson}}`;
  return deflateRawSync(Buffer.from(json), { level: 1 });
}

/** The graph from its targets and actions as lists (as stored, or as the analysis worker sends it). */
export function actionGraph(g: AnalysisGraph): ActionGraph {
  const targets = new Map(g.targets.map((t) => [t.label, t]));
  const actions = new Map(g.actions.map((a) => [a.id, a]));
  const producers = new Map<string, ActionId>();
  for (const a of g.actions) for (const o of a.outputs) producers.set(o.path, a.id);
  return { targets, actions, producers, requested: g.requested };
}

/** What is at a path, as analysis probes it (following symbolic links). */
export function probeKind(abs: string): 'file' | 'dir' | 'none' {
  try {
    return statSync(abs).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}
