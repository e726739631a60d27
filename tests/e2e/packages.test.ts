/**
 * The full package chain through the real CLI: runs scripts/e2e-packages.sh (cold build of the
 * build root, both toolchains, hello/zlib/dash for both variants, the CET audit and both APT
 * repositories; ~10 min on 2 cores). Opt in with XSC_E2E=1.
 * Usually run directly: scripts/e2e-packages.sh (after npm run build).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

describe.skipIf(process.env.XSC_E2E !== '1')('e2e packages', () => {
  it('builds, audits and publishes the default set', () => {
    const r = spawnSync('bash', [resolve(repo, 'scripts/e2e-packages.sh'), '--quick'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    process.stdout.write(r.stdout);
    expect(r.stdout).toContain('e2e-packages: all checks passed');
    expect(r.status).toBe(0);
  }, 3_600_000);
});
