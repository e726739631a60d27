/**
 * BUILD file transpiling: ts.transpileModule (the loader's tsc path) against engine/load/stripTypes.ts
 * (the fast path), on the distribution-shaped workspace of distroGraph.ts (2,600 packages, one
 * `cmd` target each) where every 8th BUILD.ts is rewritten with types (an interface, annotated
 * helper, `as const`, `satisfies`) declaring the same targets.
 *
 * Each measurement runs in its own process, so "cold" is what one `xbuild` run pays (JIT
 * warm-up included, loading the TypeScript module excluded: both paths need it):
 *  - transpile: every BUILD.ts, already in memory, transpiled once (cold) and again (warm);
 *  - load: `Loader.loadPackage` for every package (read, hash, transpile, evaluate, validate),
 *    with no transpile cache (the cold analysis the fast path is for).
 *
 *   node dist/bench/transpileBench.js [--size 2600] [--dir DIR]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDistroGraph, writeXbuildWorkspace, type DistroGraph } from './distroGraph.js';
import { Loader, transpileWithTsc, type TranspileCache } from '../engine/load/loader.js';
import { stripTypes } from '../engine/load/stripTypes.js';
import * as xbuildModule from '../rules/index.js';

type Method = 'tsc' | 'stripTypes';
const METHODS: readonly Method[] = ['tsc', 'stripTypes'];
const TYPED_EVERY = 8;

/** A BUILD.ts declaring the same targets as distroGraph's, written the way a person with types would. */
function typedBuildFile(g: DistroGraph, pkg: string): string {
  const targets = g.nodes.filter((n) => n.pkg === pkg).map((n) => {
    const deps = n.deps.map((d) => (g.nodes[d].pkg === pkg ? `:${g.nodes[d].name}` : `//${g.nodes[d].pkg}:${g.nodes[d].name}`));
    return `  { name: ${JSON.stringify(n.name)}, deps: ${JSON.stringify(deps)} },`;
  });
  return `import { cmd } from "xbuild";

/** One digest target: its own source and the outputs of its dependencies, minus comments. */
interface DigestTarget {
  readonly name: string;
  readonly deps?: readonly string[];
}

const DIGEST = "grep -hv '^#' $(SRCS) | md5sum > $@" as const;

function digest(t: DigestTarget): void {
  const srcs: string[] = [\`\${t.name}.c\`, ...(t.deps ?? [])];
  cmd({ name: t.name, srcs, outs: [\`\${t.name}.out\`], cmd: DIGEST });
}

const targets: readonly DigestTarget[] = [
${targets.join('\n')}
];
for (const t of targets) digest(t satisfies DigestTarget);
`;
}

function buildFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (name === 'BUILD.ts') found.push(p);
      else if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return found;
}

interface Measurement {
  readonly files: number;
  readonly fallbacks?: number;
  readonly coldMs: number;
  readonly warmMs?: number;
}

/** In a child process: one method, one measurement. */
function measure(what: 'transpile' | 'load', method: Method, dir: string): Measurement {
  const ts = (createRequire(import.meta.url)('@ts-morph/common') as { ts: typeof import('typescript') }).ts;
  const files = buildFiles(dir).map((path) => ({ path, source: readFileSync(path, 'utf8') }));
  if (what === 'transpile') {
    let fallbacks = 0;
    const pass = () => {
      const started = performance.now();
      for (const f of files) {
        if (method === 'tsc') transpileWithTsc(f.path, f.source);
        else if (!stripTypes(ts, f.source)) fallbacks++;
      }
      return performance.now() - started;
    };
    const coldMs = pass();
    const warmMs = pass();
    return { files: files.length, fallbacks: method === 'tsc' ? undefined : fallbacks / 2, coldMs, warmMs };
  }
  // The loader takes the fast path by itself; to make it use tsc, hand it a "cache" that
  // transpiles with tsc whatever it is asked for.
  const byDigest = new Map(files.map((f) => [createHash('sha256').update(f.source).digest('hex'), f]));
  const tscEveryTime: TranspileCache = {
    get: (digest) => transpileWithTsc(byDigest.get(digest)!.path, byDigest.get(digest)!.source),
    put: () => {},
  };
  const loader = new Loader(dir, xbuildModule as unknown as Record<string, unknown>, { transpileCache: method === 'tsc' ? tscEveryTime : undefined });
  const started = performance.now();
  let targets = 0;
  for (const pkg of loader.findPackages('')) targets += loader.loadPackage(pkg)?.targets.size ?? 0;
  const coldMs = performance.now() - started;
  if (targets < files.length - 1) throw new Error(`loaded only ${targets} targets`);
  return { files: files.length, coldMs };
}

function inChild(what: 'transpile' | 'load', method: Method, dir: string): Measurement {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', what, method, '--dir', dir], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Measurement;
}

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const dir = arg('--dir') ?? join(tmpdir(), 'xbuild-transpile-bench');
  if (argv[0] === '--child') {
    process.stdout.write(JSON.stringify(measure(argv[1] as 'transpile' | 'load', argv[2] as Method, dir)) + '\n');
    return;
  }
  const size = Number(arg('--size') ?? 2600);
  const g = generateDistroGraph({ size });
  writeXbuildWorkspace(g, dir, 'digest');
  const packages = [...new Set(g.nodes.map((n) => n.pkg))];
  const typed = packages.filter((_, i) => i % TYPED_EVERY === 0);
  for (const pkg of typed) writeFileSync(join(dir, pkg, 'BUILD.ts'), typedBuildFile(g, pkg));
  const bytes = buildFiles(dir).reduce((sum, p) => sum + statSync(p).size, 0);
  console.log(`${packages.length + 1} BUILD.ts files (${typed.length} with types), ${(bytes / 1024).toFixed(0)} KiB, in ${dir}`);

  const rate = (m: Measurement, ms: number) => `${Math.round(m.files / (ms / 1000)).toLocaleString('en-US').padStart(9)} files/s (${(ms / 1000).toFixed(2)} s)`;
  const transpile = Object.fromEntries(METHODS.map((m) => [m, inChild('transpile', m, dir)])) as Record<Method, Measurement>;
  const load = Object.fromEntries(METHODS.map((m) => [m, inChild('load', m, dir)])) as Record<Method, Measurement>;
  console.log('\ntranspile only         cold (one pass, new process)         warm (second pass)');
  for (const m of METHODS) console.log(`  ${m.padEnd(12)}  ${rate(transpile[m], transpile[m].coldMs)}   ${rate(transpile[m], transpile[m].warmMs!)}`);
  console.log(`  speedup       ${(transpile.tsc.coldMs / transpile.stripTypes.coldMs).toFixed(1)}x cold, ${(transpile.tsc.warmMs! / transpile.stripTypes.warmMs!).toFixed(1)}x warm; stripTypes fell back on ${transpile.stripTypes.fallbacks} files`);
  console.log('\nload every package (Loader, no transpile cache), cold');
  for (const m of METHODS) console.log(`  ${m.padEnd(12)}  ${rate(load[m], load[m].coldMs)}`);
  console.log(`  speedup       ${(load.tsc.coldMs / load.stripTypes.coldMs).toFixed(1)}x`);
}

main();
