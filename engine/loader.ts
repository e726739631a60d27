/**
 * Loading: BUILD.ts files -> TargetDecl (what the user declared), hermetically.
 *
 * Each BUILD.ts (and every workspace .ts file it imports) is transpiled to CommonJS (by
 * engine/stripTypes.ts, which only parses and blanks types, or, when that cannot be exact, by
 * the TypeScript compiler that ts-morph carries) and evaluated in one `node:vm` context holding
 * only the JavaScript built-ins and the xbuild API: no fs, process, network, environment, clock or
 * randomness. Imports resolve to "xbuild" or to workspace .ts files (relative paths), whose
 * exports are deep-frozen so one BUILD file cannot change what another sees. Every file
 * evaluated is recorded in `filesRead`: the analysis cache is keyed by their contents.
 *
 * Errors come back as diagnostics with file:line:col mapped back to the TypeScript (through
 * stripTypes' segments or tsc's source map).
 */
import vm from 'node:vm';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import type { AnyAttrSpec } from './api.js';
import { DiagnosticError, diag, didYouMean, type Diagnostic, type SourceLocation } from './diagnostics.js';
import { LabelError, makeLabel, parseLabel, type Label } from './label.js';
import { withDeclarationSink, type RuleDef } from './ruleRegistry.js';
import { SourceMap, type PositionMap } from './sourceMap.js';
import { STRIP_TYPES_VERSION, SegmentMap, stripTypes, type Segment } from './stripTypes.js';

/** One target as declared in a BUILD file, attributes validated and defaults applied. */
export interface TargetDecl {
  readonly label: Label;
  readonly rule: RuleDef;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  /** Where the rule function was called (innermost workspace frame). */
  readonly location: SourceLocation;
  /** Outer workspace frames (macro call sites), innermost first. */
  readonly callers: readonly SourceLocation[];
}

export interface LoadedPackage {
  readonly pkg: string;
  readonly buildFile: string;
  readonly targets: ReadonlyMap<string, TargetDecl>;
}

export const BUILD_FILE = 'BUILD.ts';
const IGNORED_DIRS = new Set(['node_modules', 'xbuild-out', 'dist', '.git', '.xbuild']);

interface LoadedModule {
  readonly exports: Record<string, unknown>;
  readonly map: PositionMap;
}

type TS = typeof import('typescript');
let tsModule: TS | undefined;
function typescript(): TS {
  // ts-morph re-exports the compiler it is built on; loading it costs ~0.3 s, so only on demand.
  tsModule ??= (createRequire(import.meta.url)('@ts-morph/common') as { ts: TS }).ts;
  return tsModule;
}

/**
 * A BUILD file as CommonJS for the vm, and how to map its positions back: from stripTypes
 * (same lines, a few column segments) or from tsc (a source map's `mappings`).
 */
export type TranspiledModule =
  | { readonly by: 'stripTypes'; readonly code: string; readonly segments: readonly Segment[]; readonly copiedImports: readonly string[] }
  | { readonly by: 'tsc'; readonly code: string; readonly mappings: string };

/** Transpiled BUILD code by the SHA-256 of its TypeScript (a persistent cache the session gives). */
export interface TranspileCache {
  get(sourceDigest: string): TranspiledModule | undefined;
  put(sourceDigest: string, value: TranspiledModule): void;
}

/** TypeScript -> CommonJS: stripTypes when it can do it exactly, else tsc (which also reports syntax errors). */
export function transpile(absPath: string, source: string): TranspiledModule {
  const stripped = stripTypes(typescript(), source);
  return stripped ? { by: 'stripTypes', ...stripped } : transpileWithTsc(absPath, source);
}

/** TypeScript -> CommonJS and its source map by `ts.transpileModule`; syntax errors become diagnostics. */
export function transpileWithTsc(absPath: string, source: string): TranspiledModule {
  const ts = typescript();
  const out = ts.transpileModule(source, {
    fileName: absPath,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true },
  });
  const syntax = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax.length) {
    throw new DiagnosticError(syntax.map((d) => {
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return diag('syntax', ts.flattenDiagnosticMessageText(d.messageText, '\n'),
        pos ? { file: absPath, line: pos.line + 1, column: pos.character + 1, length: d.length } : { file: absPath, line: 1, column: 1 });
    }));
  }
  return {
    by: 'tsc',
    code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ''),
    mappings: (JSON.parse(out.sourceMapText ?? '{"mappings":""}') as { mappings: string }).mappings,
  };
}

/** The .ts file a relative import names (`./x`, `./x.js` and `./x.ts` are `x.ts`); undefined for other specifiers. */
function workspaceModulePath(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  let target = resolve(dirname(fromFile), spec);
  if (target.endsWith('.js')) target = target.slice(0, -3) + '.ts';
  if (!target.endsWith('.ts')) target += '.ts';
  return target;
}

function positionMap(m: TranspiledModule): PositionMap {
  return m.by === 'stripTypes' ? new SegmentMap(m.segments) : new SourceMap(m.mappings);
}

export class Loader {
  /** What a `TranspiledModule` from this version holds: persistent transpile caches key on it. */
  static readonly transpiledFormat = `strip-${STRIP_TYPES_VERSION}`;
  /** Absolute paths of every file whose content affected loading. */
  readonly filesRead = new Set<string>();
  /** SHA-256 of exactly the text that was evaluated, per file (what the analysis cache keys on). */
  readonly readDigests = new Map<string, string>();
  /** Package lists found by directory walks (for `//pkg/...`), which also affect loading. */
  readonly walks = new Map<string, string[]>();
  /** Every directory those walks listed (absolute), with the entries that mattered. */
  readonly walkedDirs = new Map<string, string[]>();
  private readonly packages = new Map<string, LoadedPackage | undefined>();
  private readonly modules = new Map<string, LoadedModule>();
  private readonly sourceMaps = new Map<string, PositionMap>();
  /** Files whose code is running (a require of one of them is an import cycle). */
  private readonly evaluating = new Set<string>();
  private context: vm.Context | undefined;

  constructor(
    readonly root: string,
    /** The object BUILD files get for `import ... from "xbuild"`. */
    private readonly xbuildModule: Record<string, unknown>,
    private readonly transpileCache?: TranspileCache,
  ) {}

  /** Loads one package; undefined when it has no BUILD.ts. Throws DiagnosticError. */
  loadPackage(pkg: string): LoadedPackage | undefined {
    if (this.packages.has(pkg)) return this.packages.get(pkg);
    const buildFile = join(this.root, pkg, BUILD_FILE);
    if (!existsSync(buildFile)) {
      this.packages.set(pkg, undefined);
      return undefined;
    }
    const targets = new Map<string, TargetDecl>();
    const diagnostics: Diagnostic[] = [];
    const sink = {
      declare: (rule: RuleDef, args: Record<string, unknown>, site: Error) => {
        const frames = this.workspaceFrames(site);
        const location = frames[0] ?? { file: buildFile, line: 1, column: 1 };
        const result = validateTarget(pkg, rule, args, location, frames.slice(1));
        if ('diagnostics' in result) {
          diagnostics.push(...result.diagnostics);
          return;
        }
        const prev = targets.get(result.label.name);
        if (prev) {
          diagnostics.push(diag('duplicate-target', `target "${result.label.name}" is declared twice in package //${pkg}`,
            locateText(location, `"${result.label.name}"`), [`first declared at ${relative(this.root, prev.location.file)}:${prev.location.line}`]));
          return;
        }
        targets.set(result.label.name, result);
      },
    };
    withDeclarationSink(sink, () => {
      try {
        this.requireModule(buildFile);
      } catch (e) {
        diagnostics.push(this.toDiagnostic(e, buildFile));
      }
    });
    if (diagnostics.length) throw new DiagnosticError(diagnostics);
    const loaded: LoadedPackage = { pkg, buildFile, targets };
    this.packages.set(pkg, loaded);
    return loaded;
  }

  /** Every package at or below `pkg` (a directory walk, recorded in `walks`). */
  findPackages(pkg: string): string[] {
    const found: string[] = [];
    const walk = (rel: string) => {
      const abs = join(this.root, rel);
      let names: string[];
      try {
        names = readdirSync(abs);
        this.walkedDirs.set(abs, relevantEntries(names));
      } catch {
        return;
      }
      if (names.includes(BUILD_FILE)) found.push(rel);
      for (const n of names.sort()) {
        if (n.startsWith('.') || IGNORED_DIRS.has(n)) continue;
        const child = rel ? `${rel}/${n}` : n;
        try {
          if (statSync(join(abs, n)).isDirectory()) walk(child);
        } catch { /* vanished */ }
      }
    };
    walk(pkg);
    this.walks.set(pkg, found);
    return found;
  }

  private ctx(): vm.Context {
    if (this.context) return this.context;
    const hermetic = (what: string) => () => {
      throw new Error(`${what} is not available in BUILD files: they are hermetic (no files, process, environment, network, clock or randomness). Declare inputs as attributes instead.`);
    };
    const context = vm.createContext({}, { codeGeneration: { strings: false, wasm: false }, name: 'xbuild BUILD files' });
    const g = vm.runInContext('globalThis', context) as Record<string, unknown>;
    for (const name of ['process', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'fetch', 'require', 'Buffer', 'performance', 'WebAssembly', 'SharedArrayBuffer', 'Atomics']) {
      Object.defineProperty(g, name, { get: hermetic(name), configurable: false });
    }
    const math = g.Math as Record<string, unknown>;
    Object.defineProperty(math, 'random', { value: hermetic('Math.random'), writable: false });
    g.console = {
      log: (...a: unknown[]) => process.stderr.write(`DEBUG ${a.map(String).join(' ')}\n`),
      warn: (...a: unknown[]) => process.stderr.write(`WARNING ${a.map(String).join(' ')}\n`),
    };
    this.context = context;
    return context;
  }

  private requireModule(absPath: string): Record<string, unknown> {
    const cached = this.modules.get(absPath);
    if (cached) return cached.exports;
    let source: string;
    try {
      source = readFileSync(absPath, 'utf8');
    } catch {
      throw new DiagnosticError([diag('missing-file', `cannot read ${relative(this.root, absPath)}`)]);
    }
    this.filesRead.add(absPath);
    const sourceDigest = createHash('sha256').update(source).digest('hex');
    this.readDigests.set(absPath, sourceDigest);
    // Transpiling is most of the cost of loading; unchanged files reuse their output.
    let compiled = this.transpileCache?.get(sourceDigest);
    if (!compiled) {
      compiled = transpile(absPath, source);
      this.transpileCache?.put(sourceDigest, compiled);
    }
    if (compiled.by === 'stripTypes' && compiled.copiedImports.some((spec) => this.evaluating.has(workspaceModulePath(absPath, spec) ?? ''))) {
      // An import cycle: this file would copy bindings of a module not yet done; tsc's output
      // reads them when used, as ES modules do. Not cached: only this load order needs it.
      compiled = transpileWithTsc(absPath, source);
    }
    const compile = (code: string) => vm.compileFunction(code, ['exports', 'require', 'module'], { filename: absPath, parsingContext: this.ctx() });
    let fn: ReturnType<typeof compile>;
    try {
      fn = compile(compiled.code);
    } catch (e) {
      if (compiled.by !== 'stripTypes') throw e;
      // V8 rejects what stripTypes made: an error only V8 checks (top-level await, strict-mode
      // rules) or a stripTypes bug. tsc's output decides, and fails as it always did if it must.
      compiled = transpileWithTsc(absPath, source);
      this.transpileCache?.put(sourceDigest, compiled);
      fn = compile(compiled.code);
    }
    const map = positionMap(compiled);
    this.sourceMaps.set(absPath, map);
    const module = { exports: {} as Record<string, unknown> };
    const entry: LoadedModule = { exports: module.exports, map };
    this.modules.set(absPath, entry);
    const requireFn = (spec: string) => this.resolveImport(absPath, spec);
    this.evaluating.add(absPath);
    try {
      fn(module.exports, requireFn, module);
    } finally {
      this.evaluating.delete(absPath);
    }
    const exportsObj = deepFreeze(module.exports);
    this.modules.set(absPath, { exports: exportsObj, map });
    return exportsObj;
  }

  private resolveImport(fromFile: string, spec: string): unknown {
    if (spec === 'xbuild') return this.xbuildModule;
    const target = workspaceModulePath(fromFile, spec);
    if (target) {
      if (!target.startsWith(this.root + sep)) {
        throw new Error(`import "${spec}" leaves the workspace: BUILD files may import only "xbuild" and workspace .ts files`);
      }
      if (!existsSync(target)) throw new Error(`import "${spec}": no such file ${relative(this.root, target)}`);
      return this.requireModule(target);
    }
    throw new Error(`import "${spec}" is not allowed: BUILD files are hermetic and may import only "xbuild" and workspace .ts files (no node modules such as fs or child_process)`);
  }

  /** The workspace frames of an error's stack, innermost first, mapped to TypeScript positions. */
  workspaceFrames(e: unknown): SourceLocation[] {
    const stack = (e as { stack?: unknown })?.stack;
    if (typeof stack !== 'string') return [];
    const frames: SourceLocation[] = [];
    for (const line of stack.split('\n')) {
      const m = /\(?((?:\/[^\s():]+)+):(\d+):(\d+)\)?\s*$/.exec(line);
      if (!m) continue;
      const map = this.sourceMaps.get(m[1]);
      if (!map) continue;
      const pos = map.original(Number(m[2]), Number(m[3]));
      frames.push({ file: m[1], line: pos.line, column: pos.column });
    }
    return frames;
  }

  private toDiagnostic(e: unknown, buildFile: string): Diagnostic {
    if (e instanceof DiagnosticError) return e.diagnostics[0];
    const frames = this.workspaceFrames(e);
    const message = (e as { message?: unknown })?.message;
    const name = (e as { name?: unknown })?.name;
    return diag('build-file-error', `${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${typeof message === 'string' ? message : String(e)}`,
      frames[0] ?? { file: buildFile, line: 1, column: 1 },
      frames.slice(1).map((f) => `called from ${relative(this.root, f.file)}:${f.line}:${f.column}`));
  }

  /** Diagnostics collected from several packages at once (for `//...`). */
  static collect(fns: (() => void)[]): Diagnostic[] {
    const all: Diagnostic[] = [];
    for (const f of fns) {
      try {
        f();
      } catch (e) {
        if (e instanceof DiagnosticError) all.push(...e.diagnostics);
        else throw e;
      }
    }
    return all;
  }
}

/** The entries of a directory that package walks look at (not dot-files, not output trees). */
export function relevantEntries(names: readonly string[]): string[] {
  return names.filter((n) => !n.startsWith('.') && !IGNORED_DIRS.has(n)).sort();
}

function deepFreeze<T>(o: T, seen = new Set<unknown>()): T {
  if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return o;
  seen.add(o);
  for (const k of Object.getOwnPropertyNames(o)) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (d && 'value' in d) deepFreeze(d.value, seen);
  }
  return Object.freeze(o);
}

/** Finds `needle` in the source after `loc` to point a caret at it; falls back to `loc`. */
export function locateText(loc: SourceLocation, needle: string): SourceLocation {
  try {
    const lines = readFileSync(loc.file, 'utf8').split('\n');
    for (let i = loc.line - 1; i < Math.min(lines.length, loc.line + 200); i++) {
      const from = i === loc.line - 1 ? Math.max(0, loc.column - 1) : 0;
      const col = lines[i].indexOf(needle, from);
      if (col >= 0) return { file: loc.file, line: i + 1, column: col + 1, length: needle.length };
    }
  } catch { /* fall through */ }
  return loc;
}

// ---------------------------------------------------------------- attribute validation

const COMMON_ATTRS = new Set(['name', 'tags']);

function validateTarget(pkg: string, rule: RuleDef, args: Record<string, unknown>, location: SourceLocation, callers: SourceLocation[]):
  TargetDecl | { diagnostics: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const where = (needle?: string) => (needle ? locateText(location, needle) : location);
  if (typeof args !== 'object' || args === null) {
    return { diagnostics: [diag('bad-attribute', `${rule.name}(...) takes one object of attributes`, location)] };
  }
  const name = args.name;
  if (typeof name !== 'string') {
    return { diagnostics: [diag('bad-attribute', `${rule.name}(...) needs a string "name"`, location)] };
  }
  let label: Label;
  try {
    label = parseLabel(`:${name}`, pkg);
  } catch (e) {
    return { diagnostics: [diag('bad-name', `invalid target name "${name}": ${(e as LabelError).why}`, where(`"${name}"`))] };
  }
  const attrs: Record<string, unknown> = {};
  for (const key of Object.keys(args)) {
    if (COMMON_ATTRS.has(key)) continue;
    if (!(key in rule.attrs)) {
      const guess = didYouMean(key, Object.keys(rule.attrs));
      problems.push(diag('unknown-attribute', `rule ${rule.name} has no attribute "${key}" (target ${label.str})`, where(key),
        guess ? [`did you mean "${guess}"?`] : [`attributes of ${rule.name}: ${Object.keys(rule.attrs).join(', ') || '(none)'}`]));
    }
  }
  for (const [key, spec] of Object.entries(rule.attrs)) {
    const value = args[key];
    if (value === undefined) {
      if (!spec.optional) problems.push(diag('missing-attribute', `target ${label.str} (rule ${rule.name}) needs attribute "${key}"`, location));
      else attrs[key] = spec.default;
      continue;
    }
    const problem = checkAttrValue(spec, value);
    if (problem) {
      problems.push(diag('bad-attribute', `attribute "${key}" of ${label.str}: ${problem}`, where(key)));
      continue;
    }
    if (spec.type === 'label' || spec.type === 'labelList') {
      for (const v of (spec.type === 'label' ? [value] : value) as string[]) {
        if (v.startsWith('//') || v.startsWith(':')) {
          try {
            parseLabel(v, pkg);
          } catch (e) {
            problems.push(diag('bad-label', `malformed label "${v}" in attribute "${key}" of ${label.str}: ${(e as LabelError).why}`, where(`"${v}"`)));
          }
        }
      }
    }
    attrs[key] = value;
  }
  const tags = args.tags;
  if (tags !== undefined && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string'))) {
    problems.push(diag('bad-attribute', `attribute "tags" of ${label.str} must be a list of strings`, where('tags')));
  }
  if (problems.length) return { diagnostics: problems };
  return { label, rule, attrs, tags: (tags as string[] | undefined) ?? [], location, callers };
}

function checkAttrValue(spec: AnyAttrSpec, v: unknown): string | undefined {
  const isStrList = (x: unknown) => Array.isArray(x) && x.every((e) => typeof e === 'string');
  const got = Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v;
  switch (spec.type) {
    case 'string':
    case 'label':
    case 'output':
      if (typeof v !== 'string') return `expected a string, got ${got}`;
      if (spec.values && !spec.values.includes(v)) return `"${v}" is not one of ${spec.values.map((x) => `"${x}"`).join(', ')}`;
      return undefined;
    case 'int':
      return Number.isInteger(v) ? undefined : `expected an integer, got ${got}`;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${got}`;
    case 'stringList':
    case 'labelList':
    case 'outputList':
      return isStrList(v) ? undefined : `expected a list of strings, got ${got}`;
    case 'stringDict':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
        ? undefined : `expected an object of strings, got ${got}`;
    default:
      return `unknown attribute type ${String(spec.type)} (this is an xbuild bug)`;
  }
}

export { makeLabel };
