// Interleaved throughput: stripTypes vs sucrase vs esbuild on transpileBench's workspace, each
// measurement in its own process (module load, cold pass, warm pass), rounds A B C A B C ...
import { fileURLToPath } from 'node:url';
const W = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const dir = process.env.BENCH_DIR ?? join(tmpdir(), 'xbuild-transpile-bench');
import { tmpdir } from 'node:os';
function buildFiles(d, found = []) {
  for (const name of readdirSync(d).sort()) { const p = join(d, name); if (name === 'BUILD.ts') found.push(p); else if (statSync(p).isDirectory()) buildFiles(p, found); }
  return found;
}
if (process.argv[2] === '--child') {
  const method = process.argv[3];
  const files = buildFiles(dir).map((path) => ({ path, source: readFileSync(path, 'utf8') }));
  const require = createRequire(W + '/package.json');
  let t0 = performance.now();
  let fn;
  if (method === 'stripTypes') {
    const ts = require('@ts-morph/common').ts;
    const { stripTypes } = await import(W + '/dist/engine/load/stripTypes.js');
    fn = (f) => { if (!stripTypes(ts, f.source)) throw new Error('fell back'); };
  } else if (method === 'sucrase') {
    const s = require('sucrase');
    fn = (f) => s.transform(f.source, { transforms: ['typescript', 'imports'], filePath: f.path, sourceMapOptions: { compiledFilename: 'BUILD.js' } });
  } else {
    const e = require('esbuild');
    fn = (f) => e.transformSync(f.source, { loader: 'ts', format: 'cjs', target: 'es2022', sourcemap: 'external', sourcefile: f.path, banner: '"use strict";' });
  }
  fn({ path: '/x/BUILD.ts', source: 'const a: number = 1;' }); // first call: esbuild starts its service here
  const loadMs = performance.now() - t0;
  const pass = () => { const t = performance.now(); for (const f of files) fn(f); return performance.now() - t; };
  const coldMs = pass(), warmMs = pass();
  process.stdout.write(JSON.stringify({ loadMs, coldMs, warmMs, files: files.length }) + '\n');
  process.exit(0);
}
const methods = ['stripTypes', 'sucrase', 'esbuild'];
const rounds = Number(process.argv[2] ?? 5);
const res = Object.fromEntries(methods.map((m) => [m, []]));
for (let r = 0; r < rounds; r++) {
  const order = methods.slice(r % 3).concat(methods.slice(0, r % 3));
  for (const m of order) res[m].push(JSON.parse(execFileSync(process.execPath, [process.argv[1], '--child', m], { encoding: 'utf8' }).trim()));
}
const bytes = buildFiles(dir).reduce((s, p) => s + statSync(p).size, 0);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const files = res.stripTypes[0].files;
console.log(`${files} files, ${(bytes / 1e6).toFixed(3)} MB, ${rounds} interleaved rounds, medians`);
const base = { cold: med(res.stripTypes.map((x) => x.coldMs)), warm: med(res.stripTypes.map((x) => x.warmMs)) };
for (const m of methods) {
  const load = med(res[m].map((x) => x.loadMs)), cold = med(res[m].map((x) => x.coldMs)), warm = med(res[m].map((x) => x.warmMs));
  console.log(`${m.padEnd(11)} load ${load.toFixed(0).padStart(5)} ms | cold ${(cold / files).toFixed(3)} ms/file ${(cold / (bytes / 1e6)).toFixed(0)} ms/MB (x${(cold / base.cold).toFixed(2)}) | warm ${(warm / files).toFixed(3)} ms/file ${(warm / (bytes / 1e6)).toFixed(0)} ms/MB (x${(warm / base.warm).toFixed(2)})`);
}
