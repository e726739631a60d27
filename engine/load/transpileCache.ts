/**
 * Transpiled BUILD files in the cache database (`load_cache`), keyed by TypeScript version, the
 * loader's transpiled format (which changes with the value's shape and stripTypes' output) and
 * source digest. The analysis worker reads it through its own read-only connection and hands
 * what it transpiled back (`pending`); the main thread writes those in one transaction.
 */
import { createRequire } from 'node:module';
import type { Db } from '../../cache/database.js';
import { Loader, type TranspileCache, type TranspiledModule } from './loader.js';

export class SqliteTranspileCache implements TranspileCache {
  private readonly pendingValues = new Map<string, TranspiledModule>();
  private readonly select;
  private static readonly version = `ts-${(createRequire(import.meta.url)('@ts-morph/common/package.json') as { version: string }).version}-${Loader.transpiledFormat}`;

  constructor(private readonly db: Db) {
    this.select = db.prepare('SELECT value FROM load_cache WHERE key = ?');
  }

  private key(d: string): string {
    return `transpiled:${SqliteTranspileCache.version}:${d}`;
  }

  get(d: string): TranspiledModule | undefined {
    const row = this.select.get(this.key(d)) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as TranspiledModule) : this.pendingValues.get(d);
  }

  put(d: string, v: TranspiledModule): void {
    this.pendingValues.set(d, v);
  }

  /** What was put and not written yet, by source digest. */
  pending(): [string, TranspiledModule][] {
    return [...this.pendingValues];
  }

  flush(): void {
    if (!this.pendingValues.size) return;
    const ins = this.db.prepare('INSERT OR REPLACE INTO load_cache (key, value, updated_ms) VALUES (?, ?, ?)');
    const now = Date.now();
    this.db.transaction(() => {
      for (const [d, v] of this.pendingValues) ins.run(this.key(d), JSON.stringify(v), now);
    })();
    this.pendingValues.clear();
  }
}
