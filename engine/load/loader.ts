/**
 * Loading: BUILD.ts files -> TargetDecl (what the user declared), hermetically.
 *
 * Each BUILD.ts (and every workspace .ts or .json file it imports) is read and hashed here, in
 * the host; .ts files are transpiled to CommonJS (by engine/load/stripTypes.ts, which only parses
 * and blanks types, or, when that cannot be exact, by the TypeScript compiler that ts-morph
 * carries) and compiled into the build realm (engine/load/buildRealm.ts), which evaluates them with
 * nothing of the host in reach: no fs, process, network, environment, clock or randomness,
 * frozen intrinsics, hardened module exports. What a file declares comes back as data and is
 * validated here. Imports resolve to "xbuild" or to workspace files by relative path; each
 * file's static imports are found in its transpiled code and given to the realm before it
 * runs. A .json import is parsed by the realm's JSON.parse and handed in deeply frozen.
 * Every file read is recorded in `filesRead`/`readDigests`: the analysis cache is keyed by
 * their contents.
 *
 * Errors come back as diagnostics with file:line:col mapped back to the TypeScript (through
 * stripTypes' segments or tsc's source map). A value thrown without a stack (`throw 42`) has
 * no position; `LoaderOptions.throwSites` (V8's debugger, in a second run) supplies it.
 */
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import type { AnyAttrSpec, AttrType, RuleDef } from '../analyze/api.js';
import { BuildRealm, UNSUPPORTED_KEY, type CompiledModule, type RealmFrame, type RealmHooks, type RealmRuleDefinition, type ThrownDescription } from './buildRealm.js';
import { DiagnosticError, diag, didYouMean, type Diagnostic, type SourceLocation } from '../report/diagnostics.js';
import { LabelError, parseLabel, type Label } from './label.js';
import { SourceMap, type PositionMap } from './sourceMap.js';
import { STRIP_TYPES_VERSION, SegmentMap, parseSegments, segmentsText, stripTypes } from './stripTypes.js';
import type { DebuggerThrowSites } from './throwSites.js';
import { IGNORED_DIRS, OUT_DIR, relevantEntries } from '../workspace.js';
import { cachedModule } from './codeCache.js';

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

type TS = typeof import('typescript');
let tsModule: TS | undefined;
function typescript(): TS {
  // The compiler ts-morph is built on (its own copy, without the rest of ts-morph), on demand
  // and with V8's cached code for it: compiling it is most of the ~0.5 s loading it costs.
  tsModule ??= cachedModule('@ts-morph/common', 'dist/typescript.js') as TS;
  return tsModule;
}

/**
 * A BUILD file as CommonJS for the realm, and how to map its positions back: from stripTypes
 * (same lines, a few column segments) or from tsc (a source map's `mappings`).
 */
export type TranspiledModule =
  | { readonly by: 'stripTypes'; readonly code: string; /** `segmentsText` */ readonly segments: string; readonly copiedImports: readonly string[] }
  | { readonly by: 'tsc'; readonly code: string; readonly mappings: string };

/** Transpiled BUILD code by the SHA-256 of its TypeScript (a persistent cache the session gives). */
export interface TranspileCache {
  get(sourceDigest: string): TranspiledModule | undefined;
  put(sourceDigest: string, value: TranspiledModule): void;
}

/** TypeScript -> CommonJS: stripTypes when it can do it exactly, else tsc (which also reports syntax errors). */
export function transpile(absPath: string, source: string): TranspiledModule {
  const stripped = stripTypes(typescript(), source);
  return stripped
    ? { by: 'stripTypes', code: stripped.code, segments: segmentsText(stripped.segments), copiedImports: stripped.copiedImports }
    : transpileWithTsc(absPath, source);
}

/** TypeScript -> CommonJS and its source map by `ts.transpileModule`; syntax errors become diagnostics. */
export function transpileWithTsc(absPath: string, source: string): TranspiledModule {
  const ts = typescript();
  const out = ts.transpileModule(source, {
    fileName: absPath,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true, esModuleInterop: true },
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

/**
 * The workspace file a relative import names: `./x.json` is that file; `./x`, `./x.js` and
 * `./x.ts` are `x.ts`. Undefined for other specifiers.
 */
function workspaceModulePath(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  let target = resolve(dirname(fromFile), spec);
  if (target.endsWith('.json')) return target;
  if (target.endsWith('.js')) target = target.slice(0, -3) + '.ts';
  if (!target.endsWith('.ts')) target += '.ts';
  return target;
}

/** The specifiers a transpiled module requires (both transpilers write `require("x")` for each import). */
function importsOf(code: string): string[] {
  const out = new Set<string>();
  // exec, not matchAll: matchAll constructs a RegExp by species, which in the analysis worker
  // is SES's tamed constructor (a JavaScript function, many times slower).
  const re = /\brequire\((["'])([^"'\n]+)\1\)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) out.add(m[2]);
  return [...out];
}

/** The position of `offset` in `text`, 1-based. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** A module given to the realm, or the diagnostics that kept it out. */
type ModuleOutcome = { readonly ok: true } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface LoaderOptions {
  /** Transpiled code by source digest, kept between runs. */
  readonly transpileCache?: TranspileCache;
  /** Told before and after each entry into the build realm (limits). */
  readonly hooks?: RealmHooks;
  /** Where BUILD files' console output goes; default stderr as `DEBUG ...` / `WARNING ...` lines. */
  readonly log?: (level: string, text: string) => void;
  /** Absolute path of xbuild's rules/ folder (ctx.ruleFile of rules defined in BUILD files). */
  readonly rulesDir?: string;
  /** Positions of values thrown without a stack (a run under V8's debugger). */
  readonly throwSites?: DebuggerThrowSites;
}

export class Loader {
  /** What a `TranspiledModule` from this version holds: persistent transpile caches key on it. */
  static readonly transpiledFormat = `strip-${STRIP_TYPES_VERSION}-segments-text`;
  /** Absolute paths of every file whose content affected loading. */
  readonly filesRead = new Set<string>();
  /** SHA-256 of exactly the text that was evaluated, per file (what the analysis cache keys on). */
  readonly readDigests = new Map<string, string>();
  /** Package lists found by directory walks (for `//pkg/...`), which also affect loading. */
  readonly walks = new Map<string, string[]>();
  /** Every directory those walks listed (absolute), with the entries that mattered. */
  readonly walkedDirs = new Map<string, string[]>();
  /** A diagnostic was placed without the position of a value thrown without a stack (see `LoaderOptions.throwSites`). */
  stacklessFailures = 0;
  private readonly packages = new Map<string, LoadedPackage | undefined>();
  /** Modules given to the realm (or refused), by absolute path. */
  private readonly modules = new Map<string, ModuleOutcome>();
  private readonly sourceMaps = new Map<string, PositionMap>();
  /** Diagnostics of imported modules that failed, by the index the realm's refusal carries. */
  private readonly importFailures: (readonly Diagnostic[])[] = [];
  /** Rules defined by BUILD files, by their id in the realm. */
  private readonly userRules = new Map<number, RuleDef | { readonly invalid: true }>();
  private readonly builtinRules = new Map<string, RuleDef>();
  private buildRealm: BuildRealm | undefined;

  constructor(
    readonly root: string,
    /** The rules' module ("xbuild" for BUILD files): rule functions become declarations, data is copied in. */
    private readonly xbuildModule: Record<string, unknown>,
    private readonly opts: LoaderOptions = {},
  ) {
    for (const [name, value] of Object.entries(xbuildModule)) {
      const rule = typeof value === 'function' ? (value as { rule?: RuleDef }).rule : undefined;
      if (rule) this.builtinRules.set(name, rule);
    }
  }

  /** The realm, made on first use (a package walk alone never needs it). */
  realm(): BuildRealm {
    if (this.buildRealm) return this.buildRealm;
    const data: Record<string, string> = {};
    const hostOnly: string[] = [];
    for (const [name, value] of Object.entries(this.xbuildModule)) {
      if (this.builtinRules.has(name) || name === 'attr' || name === 'defineRule' || name === '__esModule') continue;
      let json: string | undefined;
      if (typeof value !== 'function') {
        try {
          json = JSON.stringify(value);
        } catch { /* not data */ }
      }
      if (json !== undefined) data[name] = json;
      else hostOnly.push(name);
    }
    const config = { builtinRules: [...this.builtinRules.keys()], data, hostOnly, outDir: OUT_DIR, rulesDir: this.opts.rulesDir ?? '' };
    this.buildRealm = new BuildRealm(config, this.opts.hooks, this.opts.throwSites);
    return this.buildRealm;
  }

  /** Loads one package; undefined when it has no BUILD.ts. Throws DiagnosticError. */
  loadPackage(pkg: string): LoadedPackage | undefined {
    if (this.packages.has(pkg)) return this.packages.get(pkg);
    const buildFile = join(this.root, pkg, BUILD_FILE);
    // Read first, look for the file only if that failed: one system call for a package that has one.
    let source: string | undefined;
    if (!this.modules.has(buildFile)) {
      try {
        source = this.read(buildFile);
      } catch (e) {
        if (!(e instanceof DiagnosticError) || existsSync(buildFile)) throw e;
        this.packages.set(pkg, undefined);
        return undefined;
      }
    }
    const defined = this.defineModule(buildFile, [], source);
    if (!defined.ok) throw new DiagnosticError(defined.diagnostics);
    const result = this.realm().loadBuildFile(buildFile, relative(this.root, buildFile));
    this.printLogs(result.logs);
    const diagnostics: Diagnostic[] = [];
    for (const r of result.rules) {
      const problem = this.registerRule(r);
      if (problem) diagnostics.push(problem);
    }
    const targets = new Map<string, TargetDecl>();
    for (const d of result.decls) {
      const rule = 'builtin' in d.rule ? this.builtinRules.get(d.rule.builtin) : this.userRules.get(d.rule.user);
      if (!rule) throw new Error(`a declaration names a rule the loader does not know (${JSON.stringify(d.rule)}): this is an xbuild bug`);
      if ('invalid' in rule) continue; // reported where the rule was defined
      const frames = this.mapFrames(d.frames);
      const location = frames[0] ?? { file: buildFile, line: 1, column: 1 };
      const checked = validateTarget(pkg, rule, d.args, location, frames.slice(1));
      if ('diagnostics' in checked) {
        diagnostics.push(...checked.diagnostics);
        continue;
      }
      const prev = targets.get(checked.label.name);
      if (prev) {
        diagnostics.push(diag('duplicate-target', `target "${checked.label.name}" is declared twice in package //${pkg}`,
          locateText(location, `"${checked.label.name}"`), [`first declared at ${relative(this.root, prev.location.file)}:${prev.location.line}`]));
        continue;
      }
      targets.set(checked.label.name, checked);
    }
    if (result.error) diagnostics.push(this.thrownDiagnostic(result.error, buildFile, 'build-file-error', '', undefined, [], result.throwMark));
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
      let entries: Dirent[];
      try {
        entries = readdirSync(abs, { withFileTypes: true });
      } catch {
        return;
      }
      const names = entries.map((e) => e.name);
      this.walkedDirs.set(abs, relevantEntries(names));
      if (names.includes(BUILD_FILE)) found.push(rel);
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const n = e.name;
        if (n.startsWith('.') || IGNORED_DIRS.has(n)) continue;
        const child = rel ? `${rel}/${n}` : n;
        // The entry's type comes with the listing; only a symbolic link is followed by a stat.
        try {
          if (e.isDirectory() || (e.isSymbolicLink() && statSync(join(abs, n)).isDirectory())) walk(child);
        } catch { /* vanished */ }
      }
    };
    walk(pkg);
    this.walks.set(pkg, found);
    return found;
  }

  /** Prints what BUILD code wrote to its console. */
  printLogs(logs: readonly (readonly [string, string])[]): void {
    for (const [level, text] of logs) {
      if (this.opts.log) this.opts.log(level, text);
      else process.stderr.write(`${level === 'warn' ? 'WARNING' : 'DEBUG'} ${text}\n`);
    }
  }

  /**
   * Gives `absPath` and the modules it imports to the realm (post-order, so that everything
   * a module requires is defined before it can run). `stack`: the modules whose definition
   * led here; an import of one of them is a cycle. `source`: its text if already read.
   */
  private defineModule(absPath: string, stack: readonly string[], source?: string): ModuleOutcome {
    const known = this.modules.get(absPath);
    if (known) return known;
    let outcome: ModuleOutcome;
    try {
      outcome = absPath.endsWith('.json') ? this.defineJson(absPath) : this.defineCode(absPath, stack, source ?? this.read(absPath));
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      outcome = { ok: false, diagnostics: e.diagnostics };
    }
    this.modules.set(absPath, outcome);
    return outcome;
  }

  private read(absPath: string): string {
    let source: string;
    try {
      source = readFileSync(absPath, 'utf8');
    } catch {
      throw new DiagnosticError([diag('missing-file', `cannot read ${relative(this.root, absPath)}`)]);
    }
    this.filesRead.add(absPath);
    this.readDigests.set(absPath, createHash('sha256').update(source).digest('hex'));
    return source;
  }

  private defineJson(absPath: string): ModuleOutcome {
    const source = this.read(absPath);
    const problem = this.realm().defineJson(absPath, source);
    if (problem === undefined) return { ok: true };
    // V8's message does not always say where; TypeScript's JSON parser does.
    const ts = typescript();
    const first = (ts.parseJsonText(absPath, source) as unknown as { parseDiagnostics: readonly import('typescript').DiagnosticWithLocation[] }).parseDiagnostics[0];
    const at = /position (\d+)/.exec(problem);
    const offset = first?.start ?? (at ? Number(at[1]) : 0);
    const why = first ? ts.flattenDiagnosticMessageText(first.messageText, ' ') : problem.split('\n')[0];
    return { ok: false, diagnostics: [diag('bad-json', `${relative(this.root, absPath)} is not valid JSON: ${why}`, { file: absPath, ...lineColumn(source, offset) })] };
  }

  /** `source`: the file's text, as `read` returned it. */
  private defineCode(absPath: string, stack: readonly string[], source: string): ModuleOutcome {
    const sourceDigest = this.readDigests.get(absPath)!;
    // Transpiling is most of the cost of loading; unchanged files reuse their output.
    let compiled = this.opts.transpileCache?.get(sourceDigest);
    if (!compiled) {
      compiled = transpile(absPath, source);
      this.opts.transpileCache?.put(sourceDigest, compiled);
    }
    if (compiled.by === 'stripTypes' && compiled.copiedImports.some((spec) => stack.includes(workspaceModulePath(absPath, spec) ?? ''))) {
      // An import cycle: this file would copy bindings of a module not yet done; tsc's output
      // reads them when used, as ES modules do. Not cached: only this load order needs it.
      compiled = transpileWithTsc(absPath, source);
    }
    let fn = this.compile(absPath, compiled);
    if ('syntaxError' in fn && compiled.by === 'stripTypes') {
      // V8 rejects what stripTypes made: an error only V8 checks (top-level await, strict-mode
      // rules) or a stripTypes bug. tsc's output decides.
      compiled = transpileWithTsc(absPath, source);
      this.opts.transpileCache?.put(sourceDigest, compiled);
      fn = this.compile(absPath, compiled);
    }
    const map: PositionMap = compiled.by === 'stripTypes' ? new SegmentMap(parseSegments(compiled.segments)) : new SourceMap(compiled.mappings);
    this.sourceMaps.set(absPath, map);
    if ('syntaxError' in fn) {
      const e = fn.syntaxError;
      const pos = e.line !== undefined ? map.original(e.line, e.column ?? 1) : { line: 1, column: 1 };
      const message = /await is only valid/.test(e.message)
        ? `SyntaxError: ${e.message}: BUILD files are evaluated synchronously, so top-level await is not available`
        : `SyntaxError: ${e.message}`;
      throw new DiagnosticError([diag('syntax', message, { file: absPath, ...pos, length: e.length })]);
    }
    const deps: Record<string, { path: string } | { refused: string; code?: string }> = {};
    for (const spec of importsOf(compiled.code)) {
      if (spec === 'xbuild') continue;
      deps[spec] = this.resolveImport(absPath, spec, [...stack, absPath]);
    }
    this.realm().defineModule(absPath, fn.fn, deps);
    return { ok: true };
  }

  /** Compiles into the realm after refusing what would reach outside it (dynamic import()). */
  private compile(absPath: string, m: TranspiledModule): CompiledModule {
    if (!m.code.startsWith('"use strict"')) throw new Error(`transpiled ${absPath} is not strict-mode code (this is an xbuild bug)`);
    const dynamicImport = findDynamicImport(m.code);
    if (dynamicImport) return { syntaxError: { message: 'import() is not available in BUILD files: import with import declarations (they are resolved before the file runs)', ...dynamicImport } };
    return this.realm().compileModule(absPath, m.code);
  }

  private resolveImport(fromFile: string, spec: string, stack: readonly string[]): { path: string } | { refused: string; code?: string } {
    const target = workspaceModulePath(fromFile, spec);
    if (!target) {
      return { refused: `import "${spec}" is not allowed: BUILD files are hermetic and may import only "xbuild" and workspace .ts and .json files (no node modules such as fs or child_process)` };
    }
    if (!target.startsWith(this.root + sep)) {
      return { refused: `import "${spec}" leaves the workspace: BUILD files may import only "xbuild" and workspace .ts and .json files` };
    }
    if (!existsSync(target)) return { refused: `import "${spec}": no such file ${relative(this.root, target)}` };
    if (stack.includes(target)) return { path: target }; // a cycle: defined once its own definition returns
    const outcome = this.defineModule(target, stack);
    if (outcome.ok) return { path: target };
    this.importFailures.push(outcome.diagnostics);
    return { refused: outcome.diagnostics[0].message, code: `import-failed:${this.importFailures.length - 1}` };
  }

  /** A rule defined by a BUILD file, as the engine keeps it; a diagnostic if its definition is not valid. */
  private registerRule(r: RealmRuleDefinition): Diagnostic | undefined {
    const where = this.mapFrames(r.definedAt)[0];
    const problems: string[] = [];
    const attrs: Record<string, AnyAttrSpec> = {};
    if (typeof r.attrs !== 'object' || r.attrs === null || Array.isArray(r.attrs)) problems.push('attrs must be an object of attr.*() values');
    else {
      for (const [key, spec] of Object.entries(r.attrs as Record<string, unknown>)) {
        const s = spec as Partial<Record<keyof AnyAttrSpec, unknown>> | null;
        if (typeof s !== 'object' || s === null || !ATTR_TYPES.has(s.type as AttrType) || typeof s.optional !== 'boolean') {
          problems.push(`attribute "${key}" must be made by attr.*()`);
          continue;
        }
        if (s.values !== undefined && (!Array.isArray(s.values) || s.values.some((v) => typeof v !== 'string'))) {
          problems.push(`attribute "${key}": values must be a list of strings`);
          continue;
        }
        if (key === 'name' || key === 'tags') {
          problems.push(`attribute "${key}" is reserved (every target has it)`);
          continue;
        }
        attrs[key] = { type: s.type as AttrType, optional: s.optional, default: s.default, values: s.values as string[] | undefined, doc: typeof s.doc === 'string' ? s.doc : undefined };
      }
    }
    if (problems.length) {
      this.userRules.set(r.id, { invalid: true });
      return diag('bad-rule', `rule ${r.name}: ${problems.join('; ')}`, where);
    }
    this.userRules.set(r.id, { kind: 'user', name: r.name, attrs, realmId: r.id });
    return undefined;
  }

  /** Realm frames (innermost first) -> the workspace ones, at their TypeScript positions. */
  private mapFrames(frames: readonly RealmFrame[]): SourceLocation[] {
    const out: SourceLocation[] = [];
    for (const [file, line, column] of frames) {
      const pos = this.sourceMaps.get(file)?.original(line, column);
      if (pos) out.push({ file, line: pos.line, column: pos.column });
    }
    return out;
  }

  /** The workspace frames of a stack formatted as text, innermost first, mapped to TypeScript positions. */
  workspaceFrames(stack: string): SourceLocation[] {
    const frames: RealmFrame[] = [];
    for (const line of stack.split('\n')) {
      const m = /\(?((?:\/[^\s():]+)+):(\d+):(\d+)\)?\s*$/.exec(line);
      if (m) frames.push([m[1], Number(m[2]), Number(m[3])]);
    }
    return this.mapFrames(frames);
  }

  /**
   * The diagnostic for a value thrown by BUILD code: at the innermost workspace frame of its
   * stack, else where V8's debugger saw it thrown (`throwSites`), else at the start of the
   * module it escaped from. `prefix` goes before the message.
   */
  thrownDiagnostic(t: ThrownDescription, fallbackFile: string | undefined, code: string, prefix: string, fallback?: SourceLocation,
    notes: readonly string[] = [], throwMark?: number): Diagnostic {
    const failed = t.code?.startsWith('import-failed:') ? this.importFailures[Number(t.code.slice('import-failed:'.length))] : undefined;
    if (failed) return failed[0];
    const frames = t.frames ? this.mapFrames(t.frames) : t.stackText ? this.workspaceFrames(t.stackText) : [];
    const message = `${prefix}${describeThrown(t)}`;
    if (t.code) return diag(t.code, message, fallback ?? frames[0], notes);
    const called = frames.slice(1).map((f) => `called from ${relative(this.root, f.file)}:${f.line}:${f.column}`);
    if (frames.length) return diag(code, message, frames[0], [...called, ...notes]);
    const site = this.opts.throwSites?.find(t, (path) => this.sourceMaps.has(path), throwMark);
    const [thrownAt] = site ? this.mapFrames([[site.file, site.line, site.column]]) : [];
    if (thrownAt) return diag(code, message, thrownAt, notes);
    this.stacklessFailures++;
    const file = t.module ?? fallbackFile;
    return diag(code, message, fallback ?? (file ? { file, line: 1, column: 1 } : undefined),
      [...notes, 'it was thrown without a stack trace, so where it was thrown is not known']);
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

/** A thrown value in words: `TypeError: x is not a function`, or `42 was thrown (a number, not an Error)`. */
export function describeThrown(t: ThrownDescription): string {
  if (t.type !== 'object' && t.type !== 'function') {
    const v = t.type === 'string' ? JSON.stringify(t.value) : t.value;
    return `${v} was thrown (${t.type === 'null' || t.type === 'undefined' ? t.type : `a ${t.type}`}, not an Error)`;
  }
  const name = t.name && t.name !== 'Error' ? `${t.name}: ` : '';
  return `${name}${t.message || '(a thrown object without a message)'}`;
}

/** Where the transpiled code calls import() (a real call, not text in a string or comment). */
function findDynamicImport(code: string): { line: number; column: number; length: number } | undefined {
  if (!/\bimport\s*\(/.test(code)) return undefined;
  const ts = typescript();
  const sf = ts.createSourceFile('x.js', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  let found: { line: number; column: number; length: number } | undefined;
  const visit = (n: import('typescript').Node) => {
    if (found) return;
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const p = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      found = { line: p.line + 1, column: p.character + 1, length: 6 };
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

const ATTR_TYPES = new Set<AttrType>(['string', 'int', 'bool', 'stringList', 'stringDict', 'label', 'labelList', 'output', 'outputList']);

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

function validateTarget(pkg: string, rule: RuleDef, argsIn: unknown, location: SourceLocation, callers: SourceLocation[]):
  TargetDecl | { diagnostics: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const where = (needle?: string) => (needle ? locateText(location, needle) : location);
  if (typeof argsIn !== 'object' || argsIn === null || Array.isArray(argsIn) || UNSUPPORTED_KEY in argsIn) {
    return { diagnostics: [diag('bad-attribute', `${rule.name}(...) takes one object of attributes`, location)] };
  }
  const args = argsIn as Record<string, unknown>;
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
    if (!Object.prototype.hasOwnProperty.call(rule.attrs, key)) {
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
  const got = describeValue(v);
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

/** A declared value's kind in words, for "expected ..., got ..." (the realm marks what JSON cannot hold). */
function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object' && UNSUPPORTED_KEY in v) return String((v as Record<string, unknown>)[UNSUPPORTED_KEY]);
  return typeof v;
}
