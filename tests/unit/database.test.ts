// Two processes opening the same fresh cache database at once (two builds sharing a new cache
// directory): switching it to WAL can be answered SQLITE_BUSY at once; both must succeed.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const DATABASE = fileURLToPath(new URL('../../dist/cache/database.js', import.meta.url));
const OPEN = `import { openDatabase } from ${JSON.stringify(DATABASE)}; openDatabase(process.argv[1]).close();`;

describe('cache database', () => {
  it('two processes creating it at the same moment both open it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xbuild-db-'));
    try {
      for (let round = 0; round < 20; round++) {
        const path = join(dir, `r${round}`, 'cache.db');
        const open = () => run(process.execPath, ['--input-type=module', '-e', OPEN, path]);
        await expect(Promise.all([open(), open()])).resolves.toHaveLength(2);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
