import { defineConfig } from 'vitest/config';

// The default suite: engine, cache and CLI tests on temporary workspaces (minutes, not hours).
// The slow end-to-end distribution checks run from scripts/e2e-*.sh (see README).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
