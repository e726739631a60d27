// Bundles the command line (dist/cli/main.js and every module it imports, statically or on
// demand) into dist/bundle/: the entry and one file per part a command loads (the no-op's fast
// path, the build path, the analysis, each other command), shared code in chunks of its own.
// Node 20 loads ES modules one file at a time (resolve, read, compile, link): the build path's
// 48 modules took ~35 ms to import where one bundled file takes ~21 ms (bench/RESULTS.md, issue 18).
// Run by `npm run build` after tsc; bin/xbuild.js imports dist/bundle/main.js. Worker threads'
// entry files (engine/incremental/stampCheckWorker.js, engine/analyze/analysisWorker.js) stay in
// dist/ as tsc wrote them, found through engine/installation.ts, which is why every chunk lies one
// directory below dist/ as that module does.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/bundle',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // node_modules are loaded as installed (better-sqlite3's addon, ses, ...)
  sourcemap: 'external', // dist/bundle/*.js.map, for reading a stack trace; not loaded at run time
  logLevel: 'warning',
});
