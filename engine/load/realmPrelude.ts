/**
 * The code that runs inside the build realm (engine/load/buildRealm.ts) before any BUILD file: it
 * locks the realm down with SES, removes every source of time, randomness and host access,
 * and provides what BUILD files see (the "xbuild" module, `console`, CommonJS `require`)
 * as realm code. The host evaluates `realmPrelude` by its source text in the realm, so this
 * function must not use anything from outside its own body (types only).
 *
 * The boundary it keeps:
 *  - Nothing of the host is reachable: the host passes strings and calls the functions of the
 *    returned `RealmControl`; every answer is a JSON string built here from plain data.
 *  - Everything a BUILD file can reach is frozen (SES `lockdown` for the intrinsics, `harden`
 *    for module exports and the xbuild API; global bindings are made read-only and each
 *    module sees a frozen `globalThis`), so one file cannot change what another sees.
 *  - User values are read once, here, into plain data (`toData`): getters, proxies, and
 *    `Symbol.toPrimitive` run only inside the realm, and what they answered is what the host
 *    validates. A thrown value is described without trusting it (`describeThrown`).
 *  - Per-evaluation state that the language keeps mutable (`Error.prepareStackTrace`,
 *    `Error.stackTraceLimit`) is reset before each BUILD file and each rule implementation.
 */

/** What the host tells the realm about the "xbuild" module. */
export interface RealmConfig {
  /** Names of the built-in rules (host code): calling one records a declaration. */
  readonly builtinRules: readonly string[];
  /** Data exports of the rules (JSON text each). */
  readonly data: Readonly<Record<string, string>>;
  /** Other exports of the rules (host functions): named, but not available to BUILD files. */
  readonly hostOnly: readonly string[];
  /** Workspace-relative output root (xbuild-out). */
  readonly outDir: string;
  /** Absolute path of xbuild's rules/ folder, for ctx.ruleFile. */
  readonly rulesDir: string;
  /** The options given to SES `lockdown`. */
  readonly lockdownOptions: Readonly<Record<string, string>>;
}

/** A stack frame: file (as the code was compiled), 1-based line and column. */
export type RealmFrame = readonly [string, number, number];

/** A thrown value, described without trusting it. */
export interface ThrownDescription {
  /** `typeof` the value. */
  readonly type: string;
  /** For primitives, the value as text. */
  readonly value?: string;
  readonly name?: string;
  readonly message: string;
  readonly frames?: readonly RealmFrame[];
  /** A stack already formatted as text (the user read `.stack` before it escaped). */
  readonly stackText?: string;
  /** Thrown by the xbuild API itself with a diagnostic code (e.g. missing-file). */
  readonly code?: string;
  /** The module whose evaluation the value escaped first (top-level failures only). */
  readonly module?: string;
}

/** The functions the host calls. Each returns undefined or a JSON string. */
export interface RealmControl {
  /** Registers a module compiled by the host: `fn(exports, require, module, globalThis)`; `deps` maps each import to a path or a refusal (JSON). */
  defineModule(path: string, fn: unknown, deps: string): void;
  /** Registers a JSON module from its text, parsed here and hardened; a parse error's message if it is not JSON. */
  defineJson(path: string, text: string): string | undefined;
  /** Starts evaluating a BUILD file (declarations are recorded until `finish`). */
  loadBuildFile(path: string): void;
  /** Starts running the implementation of a user rule on `input` (JSON of RealmImplInput). */
  runImpl(ruleId: number, input: string): void;
  /** Ends the evaluation started last (after the host ran its promise jobs) and returns its result (JSON). */
  finish(): string;
  /** A value of the realm (a rejected promise's reason) described (JSON of ThrownDescription). */
  describe(value: unknown): string;
}

export function realmPrelude(config: RealmConfig): RealmControl {
  'use strict';
  const G = globalThis as unknown as Record<string, any>;
  const hermetic = (what: string) => `${what} is not available in BUILD files: they are hermetic (no files, process, environment, network, clock or randomness). Declare inputs as attributes instead.`;

  // ------------------------------------------------------------ lock the realm down
  // Math is frozen by lockdown; its random must be gone first.
  Math.random = function random(): number {
    throw new Error(hermetic('Math.random'));
  };
  G.lockdown(config.lockdownOptions);
  const harden: <T>(x: T) => T = G.harden;
  for (const n of ['lockdown', 'harden', 'Compartment', 'assert', 'repairIntrinsics', 'hardenIntrinsics', 'getStackString']) {
    try {
      delete G[n];
    } catch { /* not configurable: left as SES made it */ }
  }
  const ErrorCtor = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit?: unknown; captureStackTrace(o: object, below?: unknown): void };
  const own = Object.prototype.hasOwnProperty;
  const isArray = Array.isArray;
  const keysOf = Object.keys;
  const freeze = Object.freeze;
  const stringify = JSON.stringify;
  const parse = JSON.parse;

  // What a BUILD file can never have: time, randomness, host objects, raw memory.
  const TRAPPED = [
    'process', 'require', 'Buffer', 'fetch', 'performance', 'Date', 'Intl', 'setTimeout', 'setInterval', 'setImmediate',
    'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'WebAssembly', 'SharedArrayBuffer', 'Atomics',
    'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'WeakRef', 'FinalizationRegistry', 'eval',
  ];
  for (const name of TRAPPED) {
    Object.defineProperty(G, name, {
      get: function trap() {
        throw new Error(hermetic(name));
      },
      enumerable: false,
      configurable: false,
    });
  }

  // ------------------------------------------------------------ per-evaluation state
  type Op = { readonly op: string; readonly [k: string]: unknown };
  interface Evaluation {
    readonly kind: 'load' | 'impl';
    readonly decls: unknown[];
    readonly rules: unknown[];
    readonly logs: (readonly [string, string])[];
    readonly ops: Op[];
    readonly needs: string[];
    readonly probes: Record<string, string>;
    readonly declared: Record<string, true>;
    readonly pkg: string;
    error?: ThrownDescription;
    /** What escaped the evaluation, described in `finish` (after the host noted where the throw was). */
    thrown?: { readonly value: unknown; readonly module?: string };
    result?: unknown;
  }
  let current: Evaluation | undefined;
  const strayLogs: (readonly [string, string])[] = [];

  const text = (v: unknown): string => {
    try {
      return typeof v === 'symbol' ? v.toString() : String(v);
    } catch {
      return '(a value that cannot be printed)';
    }
  };
  const logger = (level: string) => function log(...args: unknown[]) {
    (current ? current.logs : strayLogs).push([level, args.map(text).join(' ')]);
  };
  Object.defineProperty(G, 'console', {
    value: harden({ log: logger('log'), info: logger('log'), debug: logger('log'), warn: logger('warn'), error: logger('warn') }),
    writable: false, enumerable: false, configurable: false,
  });

  // Every other global binding becomes read-only; modules get a frozen copy as `globalThis`.
  const globalView: Record<string, PropertyDescriptor> = {};
  for (const key of Reflect.ownKeys(G)) {
    const d = Object.getOwnPropertyDescriptor(G, key)!;
    if (d.configurable) {
      if ('value' in d) d.writable = false;
      d.configurable = false;
      try {
        Object.defineProperty(G, key, d);
      } catch { /* kept as it was */ }
    }
    globalView[key as string] = Object.getOwnPropertyDescriptor(G, key)!;
  }
  const moduleGlobal = freeze(Object.create(Object.prototype, globalView));

  // ------------------------------------------------------------ stacks and thrown values
  interface CallSite { getFileName(): unknown; getLineNumber(): unknown; getColumnNumber(): unknown; getFunctionName(): unknown }
  /** A call site -> a frame, if it is in a workspace file (absolute path; the host maps no others). */
  const frameOf = (s: CallSite): RealmFrame | undefined => {
    const f = s.getFileName();
    if (typeof f !== 'string' || f[0] !== '/') return undefined;
    const l = s.getLineNumber();
    const c = s.getColumnNumber();
    return typeof l === 'number' && typeof c === 'number' ? freeze([f, l, c]) as RealmFrame : undefined;
  };
  /** V8's call sites -> frames: only those of workspace files. */
  const framesOf = (_e: unknown, sites: CallSite[]) => {
    const out: RealmFrame[] = [];
    for (const s of sites) {
      const frame = frameOf(s);
      if (frame) out.push(frame);
    }
    return freeze(out);
  };
  /** Runs `f` with V8 making stacks by `prepare`, at most `limit` frames deep. */
  const withStacks = <T>(prepare: (e: unknown, sites: CallSite[]) => unknown, limit: number, f: () => T): T => {
    const prep = ErrorCtor.prepareStackTrace;
    const lim = ErrorCtor.stackTraceLimit;
    ErrorCtor.prepareStackTrace = prepare;
    ErrorCtor.stackTraceLimit = limit;
    try {
      return f();
    } finally {
      ErrorCtor.prepareStackTrace = prep;
      ErrorCtor.stackTraceLimit = lim;
    }
  };
  const sitesOf = (_e: unknown, sites: CallSite[]) => sites;
  /** At most `limit` call sites of the current call to `below` (a function of this realm) and its callers. */
  const callSites = (below: (...args: never[]) => unknown, limit: number): CallSite[] => withStacks(sitesOf, limit, () => {
    const holder: { stack?: unknown } = {};
    ErrorCtor.captureStackTrace(holder, below);
    const stack = holder.stack;
    return isArray(stack) ? stack as CallSite[] : [];
  });
  /** The name the host compiled this code under (its frames are the realm's own). */
  const preludeFile = (function here() {
    return callSites(callSites, 1)[0]?.getFileName();
  })();
  /**
   * The workspace frames of the current call to `below` and its callers, innermost first:
   * those above `control.loadBuildFile` (below it is the host; declarations and rule
   * definitions happen only while a BUILD file loads), at most 32 frames deep. Most
   * declarations sit a few frames above it, so a short stack is taken first (V8's cost grows
   * with the frames taken, and below the realm lie a dozen frames of the host) and a deep one
   * only when the short one did not reach it.
   */
  const captureFrames = (below: (...args: never[]) => unknown): readonly RealmFrame[] => {
    for (const limit of [6, 32]) {
      const sites = callSites(below, limit);
      const out: RealmFrame[] = [];
      let reached = false;
      for (const s of sites) {
        const frame = frameOf(s);
        if (frame) out.push(frame);
        else if (s.getFunctionName() === 'loadBuildFile' && s.getFileName() === preludeFile) {
          reached = true;
          break;
        }
      }
      if (reached || sites.length < limit || limit === 32) return freeze(out);
    }
    return freeze([]);
  };
  /**
   * Stacks formatted as V8 does, by the realm itself: without it Node would fall back to the
   * thread's own `Error.prepareStackTrace` (SES's, in the worker), handing it realm errors.
   */
  const formatStack = (error: unknown, sites: unknown[]): string => {
    let out = text(error);
    for (const site of sites) out += `\n    at ${text(site)}`;
    return out;
  };
  const resetErrorState = () => {
    ErrorCtor.prepareStackTrace = formatStack;
    ErrorCtor.stackTraceLimit = 10;
  };
  resetErrorState();

  /** Errors the xbuild API throws on purpose, with the diagnostic code the host should use. */
  const apiErrors = new WeakMap<object, string>();
  const apiError = (code: string, message: string): Error => {
    const e = new Error(message);
    apiErrors.set(e, code);
    return e;
  };
  /** Thrown by ctx.file for a path the host has not probed yet: the implementation runs again once it has. */
  const needProbe = freeze({ needProbe: true });

  const describeThrown = (e: unknown): ThrownDescription => {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
      return { type: e === null ? 'null' : typeof e, value: text(e), message: text(e) };
    }
    const d: { -readonly [K in keyof ThrownDescription]: ThrownDescription[K] } = { type: typeof e, message: '' };
    const code = apiErrors.get(e as object);
    if (code) d.code = code;
    try {
      const m = (e as { message?: unknown }).message;
      d.message = typeof m === 'string' ? m : m === undefined ? '' : (m === null || (typeof m !== 'object' && typeof m !== 'function')) ? text(m) : '(a message that is not a string)';
    } catch {
      d.message = '(reading its message threw)';
    }
    try {
      const n = (e as { name?: unknown }).name;
      if (typeof n === 'string') d.name = n;
    } catch { /* no name */ }
    // Frames as lists, and deep enough for macro chains.
    withStacks(framesOf, 32, () => {
      try {
        const s = (e as { stack?: unknown }).stack;
        if (isArray(s)) d.frames = s as RealmFrame[];
        else if (typeof s === 'string') d.stackText = s;
      } catch { /* no stack */ }
    });
    return d;
  };

  // ------------------------------------------------------------ user values -> plain data
  const UNSUPPORTED = '$xbuild:unsupported';
  const unsupported = (what: string) => ({ [UNSUPPORTED]: what });
  /** A plain-data copy of `v`, each property read once; what JSON cannot hold is marked. */
  const toData = (v: unknown, seen: unknown[] = []): unknown => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : unsupported(`number ${v}`);
      case 'undefined':
        return undefined;
      case 'object':
        break;
      default:
        return unsupported(typeof v);
    }
    if (v === null) return null;
    if (seen.includes(v)) return unsupported('a cycle');
    if (seen.length > 200) return unsupported('a value nested too deeply');
    seen.push(v);
    try {
      if (isArray(v)) {
        const out: unknown[] = [];
        const n = (v as unknown[]).length;
        for (let i = 0; i < n; i++) {
          const x = toData((v as unknown[])[i], seen);
          out.push(x === undefined ? unsupported('undefined') : x);
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const k of keysOf(v as object)) {
        const x = toData((v as Record<string, unknown>)[k], seen);
        if (x !== undefined) out[k] = x;
      }
      return out;
    } finally {
      seen.pop();
    }
  };

  // ------------------------------------------------------------ posix paths (as node:path does)
  const normalize = (p: string): string => {
    const abs = p.startsWith('/');
    const parts: string[] = [];
    for (const seg of p.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
        else if (!abs) parts.push('..');
        continue;
      }
      parts.push(seg);
    }
    const out = parts.join('/');
    return abs ? `/${out}` : out || '.';
  };

  // ------------------------------------------------------------ the "xbuild" module
  const ruleFunction = (rule: unknown, name: string) => {
    const f = function (args: unknown) {
      if (!current || current.kind !== 'load') throw new Error('rule functions can only be called while a BUILD.ts file is being loaded');
      const frames = captureFrames(f);
      const data = toData(args);
      current.decls.push({ rule, args: data === undefined ? unsupported('undefined') : data, frames });
    };
    Object.defineProperty(f, 'name', { value: name });
    return f;
  };
  interface UserRule { readonly name: string; readonly impl: (ctx: unknown) => unknown }
  const userRules: UserRule[] = [];

  const spec = (type: string, opts?: { doc?: unknown; default?: unknown; values?: unknown }) => harden({
    type,
    optional: opts !== undefined && opts !== null && typeof opts === 'object' && 'default' in opts,
    default: opts?.default,
    values: opts?.values,
    doc: opts?.doc,
  });
  const attr = {
    string: (o?: object) => spec('string', o),
    int: (o?: object) => spec('int', o),
    bool: (o?: object) => spec('bool', o),
    stringList: (o?: object) => spec('stringList', o),
    stringDict: (o?: object) => spec('stringDict', o),
    label: (o?: object) => spec('label', o),
    labelList: (o?: object) => spec('labelList', o),
    output: (o?: object) => spec('output', o),
    outputList: (o?: object) => spec('outputList', o),
  };
  const defineRule = (ruleSpec: { name?: unknown; doc?: unknown; attrs?: unknown; impl?: unknown }) => {
    if (!current || current.kind !== 'load') throw new Error('defineRule can only be called while a BUILD.ts file (or a module it imports) is being loaded');
    const name = ruleSpec?.name;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`rule name "${text(name)}" must be snake_case`);
    const impl = ruleSpec.impl;
    if (typeof impl !== 'function') throw new Error(`rule ${name}: impl must be a function`);
    const attrs = toData(ruleSpec.attrs ?? {});
    const doc = ruleSpec.doc;
    const id = userRules.length;
    userRules.push({ name, impl: impl as UserRule['impl'] });
    current.rules.push({ id, name, doc: typeof doc === 'string' ? doc : undefined, attrs, definedAt: captureFrames(defineRule) });
    return ruleFunction({ user: id }, name);
  };
  const xbuild: Record<string, unknown> = { attr, defineRule };
  for (const name of config.builtinRules) xbuild[name] = ruleFunction({ builtin: name }, name);
  for (const [name, json] of Object.entries(config.data)) xbuild[name] = parse(json);
  for (const name of config.hostOnly) {
    Object.defineProperty(xbuild, name, {
      get() {
        throw new Error(`"${name}" is a helper of xbuild's rules and is not available to BUILD files`);
      },
      enumerable: true,
    });
  }
  Object.defineProperty(xbuild, '__esModule', { value: true });
  harden(xbuild);

  // ------------------------------------------------------------ modules (CommonJS, as transpiled)
  interface ModuleRecord {
    readonly path: string;
    readonly fn?: (exports: unknown, require: unknown, module: unknown, globalThis: unknown) => unknown;
    readonly deps: Record<string, { path?: string; refused?: string; code?: string }>;
    state: 'defined' | 'evaluating' | 'done' | 'failed';
    module?: { exports: unknown };
    thrown?: unknown;
  }
  const modules = new Map<string, ModuleRecord>();
  let failedFirst: string | undefined;

  const load = (path: string): unknown => {
    const m = modules.get(path);
    if (!m) throw new Error(`module ${path} was not defined (this is an xbuild bug)`);
    if (m.state === 'done' || m.state === 'evaluating') return m.module!.exports;
    if (m.state === 'failed') throw m.thrown;
    const module = { exports: {} as unknown };
    m.module = module;
    m.state = 'evaluating';
    try {
      m.fn!.call(undefined, module.exports, requireFor(m), module, moduleGlobal);
      harden(module.exports);
    } catch (e) {
      m.state = 'failed';
      m.thrown = e;
      failedFirst ??= path;
      throw e;
    }
    m.state = 'done';
    return module.exports;
  };
  const requireFor = (m: ModuleRecord) => function require(spec: unknown) {
    if (spec === 'xbuild') return xbuild;
    const dep = typeof spec === 'string' && own.call(m.deps, spec) ? m.deps[spec] : undefined;
    if (!dep) throw new Error(`import "${text(spec)}" is not one of the static imports of this file: BUILD files import with import declarations only`);
    if (dep.refused !== undefined) throw dep.code ? apiError(dep.code, dep.refused) : new Error(dep.refused);
    return load(dep.path!);
  };

  // ------------------------------------------------------------ rule implementations
  interface ImplInput {
    readonly label: string;
    readonly name: string;
    readonly pkg: string;
    readonly attrs: Record<string, unknown>;
    readonly probes: Record<string, string>;
  }
  const makeCtx = (input: ImplInput, ev: Evaluation) => {
    const outPath = (name: unknown) => {
      if (typeof name !== 'string') throw new Error(`an output name must be a string, got ${text(name)}`);
      const n = normalize(name);
      if (n.startsWith('..') || n.startsWith('/') || n === '.' || n === '') throw apiError('rule-error', `output name "${name}" must be a relative path inside the package`);
      return [config.outDir, input.pkg, n].filter(Boolean).join('/');
    };
    const declareOut = (name: unknown, kind: 'file' | 'dir', op: boolean) => {
      const path = outPath(name);
      if (ev.declared[path]) throw apiError('rule-error', `output "${text(name)}" is declared twice`);
      ev.declared[path] = true;
      if (op) ev.ops.push({ op: 'declare', name: name as string, kind, path });
      return freeze({ path, kind, source: false });
    };
    return harden({
      label: input.label,
      name: input.name,
      pkg: input.pkg,
      attrs: harden(input.attrs),
      file(p: unknown) {
        if (typeof p !== 'string') throw new Error(`ctx.file needs a string, got ${text(p)}`);
        const path = [input.pkg, normalize(p)].filter(Boolean).join('/');
        const kind = own.call(input.probes, path) ? input.probes[path] : undefined;
        if (kind === undefined) {
          ev.needs.push(path);
          throw needProbe;
        }
        if (kind === 'none') throw apiError('missing-file', `ctx.file("${p}"): no such file ${path}`);
        return freeze({ path, kind: kind === 'dir' ? 'dir' : 'file', source: true });
      },
      ruleFile(p: unknown) {
        if (typeof p !== 'string') throw new Error(`ctx.ruleFile needs a string, got ${text(p)}`);
        ev.ops.push({ op: 'ruleFile', path: p });
        return `${config.rulesDir}/${normalize(p)}`;
      },
      actions: {
        declareFile: (name: unknown) => declareOut(name, 'file', true),
        declareDirectory: (name: unknown) => declareOut(name, 'dir', true),
        run(s: unknown) {
          ev.ops.push({ op: 'run', spec: toData(s) });
        },
        write(name: unknown, content: unknown, opts?: unknown) {
          const data = { content: toData(content), opts: toData(opts) };
          const out = declareOut(name, 'file', false);
          ev.ops.push({ op: 'write', name: name as string, path: out.path, ...data });
          return out;
        },
        fetch(s: unknown) {
          ev.ops.push({ op: 'fetch', spec: toData(s) });
        },
      },
    });
  };

  // ------------------------------------------------------------ the control the host holds
  const begin = (kind: 'load' | 'impl', pkg: string, probes: Record<string, string> = {}): Evaluation => {
    resetErrorState();
    failedFirst = undefined;
    current = { kind, decls: [], rules: [], logs: [], ops: [], needs: [], probes, declared: {}, pkg };
    return current;
  };
  const control: RealmControl = {
    defineModule(path, fn, deps) {
      if (modules.has(path)) return;
      modules.set(path, { path, fn: fn as ModuleRecord['fn'], deps: parse(deps), state: 'defined' });
    },
    defineJson(path, jsonText) {
      if (modules.has(path)) return undefined;
      try {
        modules.set(path, { path, deps: {}, state: 'done', module: { exports: harden(parse(jsonText)) } });
        return undefined;
      } catch (e) {
        return describeThrown(e).message;
      }
    },
    loadBuildFile(path) {
      const ev = begin('load', '');
      try {
        load(path);
      } catch (e) {
        ev.thrown = { value: e, module: failedFirst };
      }
    },
    runImpl(ruleId, inputJson) {
      const input = parse(inputJson) as ImplInput;
      const ev = begin('impl', input.pkg, input.probes);
      try {
        const rule = userRules[ruleId];
        if (!rule) throw new Error(`rule ${ruleId} does not exist (this is an xbuild bug)`);
        ev.result = rule.impl(makeCtx(input, ev));
      } catch (e) {
        if (e !== needProbe) ev.thrown = { value: e };
      }
    },
    finish() {
      const ev = current;
      current = undefined;
      if (!ev) return stringify({ logs: strayLogs.splice(0) });
      if (ev.thrown) ev.error = { ...describeThrown(ev.thrown.value), module: ev.thrown.module };
      let result: unknown;
      if (ev.kind === 'impl' && !ev.error && !ev.needs.length) {
        try {
          const r = ev.result;
          if (r !== undefined && r !== null && typeof (r as { then?: unknown }).then === 'function') throw new Error('impl must return its result, not a promise: rule implementations are synchronous');
          result = r === undefined || r === null ? {} : toData({ files: (r as { files?: unknown }).files, providers: (r as { providers?: unknown }).providers });
        } catch (e) {
          ev.error = describeThrown(e);
        }
      }
      resetErrorState();
      return stringify({ decls: ev.decls, rules: ev.rules, logs: [...strayLogs.splice(0), ...ev.logs], ops: ev.ops, needs: ev.needs, error: ev.error, result });
    },
    describe(value) {
      resetErrorState();
      return stringify(describeThrown(value));
    },
  };
  return harden(control);
}
