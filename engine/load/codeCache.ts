/**
 * Large scripts of xbuild's dependencies (SES's lockdown bundle, the TypeScript compiler),
 * compiled with V8's code cache kept in the cache directory: compiling them is a good part of
 * an analysis worker's start, and reusing V8's code for them costs a fraction of that.
 *
 * - A cache file is named by package, package version, Node version and architecture; V8
 *   checks the rest (its version, flags, the source's hash) and rejects data that does not
 *   match (`cachedDataRejected`), which is then written again.
 * - A cache is written once the script has run (so that the functions it compiled lazily are
 *   in it: `saveCodeCaches`), to a temporary name then renamed, so a reader sees a whole file
 *   or none; it is only a cache, so failing to write it is ignored.
 * - The directory is the thread's: `useCodeCacheDir` (the analysis worker gives the cache
 *   directory). Without one, scripts are compiled without a cache.
 */
import vm from 'node:vm';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cacheDir: string | undefined;
const scripts = new Map<string, vm.Script>();
/** Scripts whose cache is missing or was rejected, with the file to write. */
const unsaved = new Map<vm.Script, string>();

/** Where this thread keeps V8's compiled code of the scripts it loads from now on. */
export function useCodeCacheDir(dir: string | undefined): void {
  cacheDir = dir;
}

/**
 * `file` of package `pkg` compiled once per thread (with V8's cached code when there is some);
 * `wrap` turns its text into the source to compile (e.g. a CommonJS function wrapper); `filename`
 * names it in stacks (default: its path).
 */
export function cachedScript(pkg: string, file: string, opts: { readonly wrap?: (source: string) => string; readonly filename?: string } = {}): vm.Script {
  const key = `${pkg}/${file}`;
  const known = scripts.get(key);
  if (known) return known;
  const dir = dirname(require.resolve(`${pkg}/package.json`));
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  const source = opts.wrap ? opts.wrap(text) : text;
  const cacheFile = cacheDir && join(cacheDir, `v8-${pkg.replace(/[@/]/g, '_')}-${version}-${file.replace(/\//g, '_')}-${process.version}-${process.arch}.bin`);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch { /* not made yet */ }
  const script = new vm.Script(source, { filename: opts.filename ?? path, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) unsaved.set(script, cacheFile);
  scripts.set(key, script);
  return script;
}

/** A CommonJS module of package `pkg` loaded through `cachedScript` (its `module.exports`). */
export function cachedModule(pkg: string, file: string): unknown {
  const dir = dirname(require.resolve(`${pkg}/package.json`));
  const path = join(dir, file);
  const fn = cachedScript(pkg, file, { wrap: (s) => `(function (exports, require, module, __filename, __dirname) {${s}\n})` }).runInThisContext() as
    (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  const module = { exports: {} as unknown };
  fn.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  return module.exports;
}

/** Writes the caches that were missing or rejected (after the scripts ran). */
export function saveCodeCaches(): void {
  for (const [script, file] of unsaved) {
    try {
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, file);
    } catch { /* a cache only */ }
  }
  unsaved.clear();
}
