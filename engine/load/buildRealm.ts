/**
 * The build realm: where BUILD files and the rule implementations they define run. It is a
 * `node:vm` context that holds no host object at all, locked down by SES (`lockdown`: frozen
 * intrinsics, tamed constructors) and set up by engine/load/realmPrelude.ts. The host crosses into
 * it only by calling the functions of the prelude's `RealmControl` with strings and with
 * functions the realm itself compiled, and reads back only JSON strings; so no host function,
 * object or error is ever in the realm's reach, and nothing the realm returns can run code in
 * the host.
 *
 * Node itself still runs some of its own JavaScript on the realm's behalf (formatting error
 * stacks); a stack overflow there can hand the realm an error of the thread that runs it.
 * That thread is the analysis worker (engine/analyze/analysisWorker.ts), whose own realm is locked
 * down too, so such an error reaches only frozen intrinsics and no `Function` constructor.
 *
 * Promise jobs of the realm run in its own queue (`microtaskMode: 'afterEvaluate'`), drained
 * after each BUILD file and each rule implementation, so whatever they declare or throw
 * belongs to that evaluation.
 *
 * Time and memory limits are the worker's: every entry into the realm is announced through
 * `RealmHooks.enter` (what is being evaluated) so that a watchdog can name it.
 */
import vm from 'node:vm';
import { cachedScript, useCodeCacheDir } from './codeCache.js';
import type { SourceLocation } from '../report/diagnostics.js';
import type { DebuggerThrowSites } from './throwSites.js';
import { realmPrelude, type RealmConfig, type RealmControl, type RealmFrame, type ThrownDescription } from './realmPrelude.js';

export type { RealmConfig, RealmFrame, ThrownDescription };

/** A target declared by a BUILD file, as the realm recorded it. */
export interface RealmDeclaration {
  readonly rule: { readonly builtin: string } | { readonly user: number };
  /** The arguments, read once into plain data (see `UNSUPPORTED_KEY`). */
  readonly args: unknown;
  /** Where the rule function was called, innermost first. */
  readonly frames: readonly RealmFrame[];
}

/** A rule defined by a BUILD file (`defineRule`). */
export interface RealmRuleDefinition {
  readonly id: number;
  readonly name: string;
  readonly doc?: string;
  readonly attrs: unknown;
  readonly definedAt: readonly RealmFrame[];
}

/** One call a user rule implementation made on `ctx.actions` (or ctx.ruleFile), in order. */
export type RealmOp =
  | { readonly op: 'declare'; readonly name: string; readonly kind: 'file' | 'dir'; readonly path: string }
  | { readonly op: 'write'; readonly name: string; readonly path: string; readonly content: unknown; readonly opts: unknown }
  | { readonly op: 'run'; readonly spec: unknown }
  | { readonly op: 'fetch'; readonly spec: unknown }
  | { readonly op: 'ruleFile'; readonly path: string };

export interface RealmLoadResult {
  readonly decls: readonly RealmDeclaration[];
  readonly rules: readonly RealmRuleDefinition[];
  readonly logs: readonly (readonly [string, string])[];
  readonly error?: ThrownDescription;
  /** With `DebuggerThrowSites`: how many throws it had seen when the evaluation's own code ended (see DebuggerThrowSites.find). */
  readonly throwMark?: number;
}

export interface RealmImplResult {
  readonly ops: readonly RealmOp[];
  /** Paths ctx.file asked for that the host has not probed: probe them and run again. */
  readonly needs: readonly string[];
  readonly logs: readonly (readonly [string, string])[];
  readonly error?: ThrownDescription;
  readonly result?: { readonly files?: unknown; readonly providers?: unknown };
  readonly throwMark?: number;
}

/** The key marking a value JSON cannot hold in declared data, e.g. `{ "$xbuild:unsupported": "function" }`. */
export const UNSUPPORTED_KEY = '$xbuild:unsupported';

/** What the host learns about each evaluation, for limits and for locating stackless throws. */
export interface RealmHooks {
  /** Realm code is about to run: `what` names it for a limit's message ("a/BUILD.ts", "the implementation of ..."). */
  enter(what: string, where?: SourceLocation): void;
  leave(): void;
}

/** A module the realm compiled, or why V8 refused it. */
export type CompiledModule =
  | { readonly fn: unknown }
  | { readonly syntaxError: { readonly message: string; readonly line?: number; readonly column?: number; readonly length?: number } };

const PARAMS = ['exports', 'require', 'module', 'globalThis'];
const LOCKDOWN_OPTIONS = {
  // Stacks as V8 makes them: locations of declarations and errors come from them. The realm
  // has no host object a stack frame could leak, and all its code is strict.
  errorTaming: 'unsafe-debug',
  stackFiltering: 'verbose',
  overrideTaming: 'moderate',
  consoleTaming: 'unsafe',
  evalTaming: 'no-eval',
  domainTaming: 'unsafe',
  localeTaming: 'safe',
  regExpTaming: 'safe',
} as const;

/** SES's lockdown bundle (it defines `lockdown` and `harden` as globals when run as a script), compiled once per thread. */
function ses(): vm.Script {
  return cachedScript('ses', 'dist/ses.umd.min.js', { filename: 'xbuild:ses' });
}
let preludeScript: vm.Script | undefined;
const drainScript = new vm.Script('0', { filename: 'xbuild:drain' });

/**
 * Runs SES in the current thread's own realm (the analysis worker's), before any other code of
 * it. `codeCacheDir`: where V8's compiled code of SES (and of TypeScript, engine/load/codeCache.ts)
 * may be kept between runs.
 */
export function lockdownThisRealm(codeCacheDir?: string): void {
  useCodeCacheDir(codeCacheDir);
  ses().runInThisContext();
  (globalThis as unknown as { lockdown(o: object): void }).lockdown({
    errorTaming: 'unsafe', stackFiltering: 'verbose', overrideTaming: 'moderate', consoleTaming: 'unsafe', domainTaming: 'unsafe',
    errorTrapping: 'none', unhandledRejectionTrapping: 'none',
  });
}

export class BuildRealm {
  private readonly context: vm.Context;
  private readonly control: RealmControl;

  constructor(config: Omit<RealmConfig, 'lockdownOptions'>, private readonly hooks?: RealmHooks, private readonly throwSites?: DebuggerThrowSites) {
    this.context = vm.createContext(Object.create(null), {
      name: 'xbuild BUILD files', codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate',
    });
    ses().runInContext(this.context);
    preludeScript ??= new vm.Script(`(${realmPrelude.toString()})`, { filename: 'xbuild:realm' });
    const prelude = preludeScript.runInContext(this.context) as (c: RealmConfig) => RealmControl;
    // The config crosses as JSON, parsed by the realm's own JSON.
    const parseInRealm = vm.runInContext('JSON.parse', this.context) as (s: string) => RealmConfig;
    this.control = prelude(parseInRealm(JSON.stringify({ ...config, lockdownOptions: LOCKDOWN_OPTIONS })));
  }

  /** Compiles CommonJS module code to a function of the realm (nothing runs). */
  compileModule(path: string, code: string): CompiledModule {
    try {
      return { fn: vm.compileFunction(code, PARAMS, { filename: path, parsingContext: this.context }) };
    } catch (e) {
      return { syntaxError: syntaxErrorPosition(e) };
    }
  }

  /** `deps`: each import specifier of the module -> the module path it names, or why it is refused. */
  defineModule(path: string, fn: unknown, deps: Readonly<Record<string, { path: string } | { refused: string }>>): void {
    this.control.defineModule(path, fn, JSON.stringify(deps));
  }

  /** Defines a JSON module; returns the parse error's message if the text is not JSON. */
  defineJson(path: string, text: string): string | undefined {
    const r = this.control.defineJson(path, text);
    return typeof r === 'string' ? r : undefined;
  }

  /** Evaluates a BUILD file (and the modules it imports that have not run yet). */
  loadBuildFile(path: string, what: string): RealmLoadResult {
    return this.enter(what, { file: path, line: 1, column: 1 }, () => this.control.loadBuildFile(path)) as RealmLoadResult;
  }

  /** Runs user rule `ruleId`'s implementation on `input` (JSON-serialisable). */
  runImpl(ruleId: number, input: unknown, what: string, where?: SourceLocation): RealmImplResult {
    return this.enter(what, where, () => this.control.runImpl(ruleId, JSON.stringify(input))) as RealmImplResult;
  }

  /** Describes a value of the realm (the reason of a promise rejection nothing handled). */
  describe(value: unknown, what: string): ThrownDescription {
    this.hooks?.enter(what);
    try {
      const out = this.control.describe(value);
      if (typeof out !== 'string') throw new Error('the build realm answered something other than JSON (this is an xbuild bug)');
      return JSON.parse(out) as ThrownDescription;
    } finally {
      this.hooks?.leave();
    }
  }

  private enter(what: string, where: SourceLocation | undefined, start: () => void): unknown {
    this.hooks?.enter(what, where);
    try {
      start();
      // Throws after this (promise jobs, getters run to describe what escaped) did not cause the failure.
      const throwMark = this.throwSites?.mark();
      drainScript.runInContext(this.context);
      const out = this.control.finish();
      if (typeof out !== 'string') throw new Error('the build realm answered something other than JSON (this is an xbuild bug)');
      const result = JSON.parse(out) as { throwMark?: number };
      result.throwMark = throwMark;
      return result;
    } finally {
      this.hooks?.leave();
    }
  }
}

/** Where V8 put a compile error: Node writes `file:line`, the line and a caret row above the message. */
function syntaxErrorPosition(e: unknown): { message: string; line?: number; column?: number; length?: number } {
  let stack = '';
  let message = 'invalid syntax';
  try {
    const s = (e as { stack?: unknown })?.stack;
    if (typeof s === 'string') stack = s;
    const m = (e as { message?: unknown })?.message;
    if (typeof m === 'string') message = m;
  } catch { /* keep the defaults */ }
  const lines = stack.split('\n');
  const at = /:(\d+)$/.exec(lines[0] ?? '');
  const caret = /^(\s*)(\^+)\s*$/.exec(lines[2] ?? '');
  if (!at) return { message };
  return { message, line: Number(at[1]), column: caret ? caret[1].length + 1 : 1, length: caret ? caret[2].length : 1 };
}
