// The analysis cache keeps a graph per xbuild version and set of patterns: deflated, and only the
// newest KEEP_ANALYSES of them, so a cache shared across many versions does not grow without end.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../cache/database.js';
import { FileDigests } from '../../engine/key/fileDigests.js';
import { AnalysisCache, encodeAnalysis } from '../../engine/analyze/analysisCache.js';
import { graphToJson } from '../../engine/analyze/graphText.js';
import type { Action } from '../../engine/analyze/action.js';

const EMPTY_RECORD = { files: new Set<string>(), probes: new Map(), walks: new Map(), dirs: new Map() };

describe('analysis cache', () => {
  it('stores the graph deflated, reads it back, and keeps only the 16 newest analyses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xbuild-analysis-cache-'));
    const db = openDatabase(join(dir, 'cache.db'));
    try {
      // A row as xbuild before this cache's v2 left it (a plain hash key): dropped by the next put.
      db.prepare('INSERT INTO load_cache (key, value, updated_ms) VALUES (?, ?, ?)').run('ab'.repeat(32), '{"old":1}', 1);
      db.prepare('INSERT INTO load_cache (key, value, updated_ms) VALUES (?, ?, ?)').run('transpiled:x:y', '{}', 1);
      const cache = new AnalysisCache(db, new FileDigests(db));
      const graph = (n: number) => graphToJson({
        targets: [],
        actions: [{ id: `a${n}`, inputs: [], outputs: [{ path: `out/${n}`, kind: 'file', source: false }], argv: Array.from({ length: 500 }, (_, i) => `--arg-${n}-${i % 50}`) } as unknown as Action],
        requested: [],
      });
      for (let i = 0; i < 20; i++) cache.put(dir, [`//p${i}:all`], encodeAnalysis(EMPTY_RECORD, new Map(), graph(i)));
      const rows = db.prepare('SELECT key, length(value) AS n FROM load_cache').all() as { key: string; n: number }[];
      expect(rows.filter((r) => r.key.startsWith('analysis:'))).toHaveLength(16);
      expect(rows.map((r) => r.key)).toContain('transpiled:x:y');
      expect(rows.map((r) => r.key)).not.toContain('ab'.repeat(32));
      expect(Math.max(...rows.filter((r) => r.key.startsWith('analysis:')).map((r) => r.n))).toBeLessThan(graph(19).length / 4);
      const back = cache.get(dir, ['//p19:all'], () => [], undefined, true);
      expect(back?.graph.producers.get('out/19')).toBe('a19');
      expect(cache.get(dir, ['//p0:all'], () => [], undefined, true)).toBeUndefined(); // the oldest went
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
