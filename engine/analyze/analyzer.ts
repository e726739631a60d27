/**
 * Analysis: TargetDecl -> ConfiguredTarget + Action[], by running each rule implementation with
 * its dependencies' DepInfo. Dependencies are analysed first (depth-first); a label met again
 * while still on the stack is a cycle, reported with every edge. Unknown labels are reported at
 * the attribute that names them, with a suggestion and the chain of labels that led there.
 */
import { existsSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import type { Artifact, AttrSchema, DepInfo, FetchActionSpec, RuleContext, RunActionSpec, UserRuleDef } from './api.js';
import type { Action, ActionGraph, ActionId, ConfiguredTarget } from './action.js';
import { probeKind } from './analysisCache.js';
import { DiagnosticError, diag, didYouMean, type Diagnostic, type SourceLocation } from '../report/diagnostics.js';
import { LabelError, isLabelLike, makeLabel, parseLabel, parsePattern, type Label, type LabelString } from '../load/label.js';
import { Loader, locateText, type TargetDecl } from '../load/loader.js';
import type { RealmImplResult } from '../load/buildRealm.js';
import { OUT_DIR } from '../workspace.js';

export interface AnalyzerOptions {
  readonly root: string;
  readonly loader: Loader;
  /** Absolute path of xbuild's rules/ folder, for ctx.ruleFile. */
  readonly rulesDir: string;
}

interface Edge { readonly from: LabelString; readonly location: SourceLocation }

export class Analyzer {
  private readonly targets = new Map<LabelString, ConfiguredTarget>();
  private readonly actions = new Map<ActionId, Action>();
  private readonly producers = new Map<string, ActionId>();
  private readonly inProgress: { label: LabelString; via?: Edge }[] = [];
  /** The DepInfo of each analysed target, by the text that named it (absolute, or package + "\n" + relative). */
  private readonly depInfos = new Map<string, DepInfo>();
  /** ctx.ruleFile paths found (xbuild's own rules folder). */
  private readonly ruleFiles = new Set<string>();
  /** Source paths probed (exists or not) during analysis; they affect the result. */
  readonly probes = new Map<string, 'file' | 'dir' | 'none'>();

  constructor(private readonly opts: AnalyzerOptions) {}

  /** Expands command-line patterns to labels. Throws DiagnosticError. */
  expand(patterns: readonly string[]): LabelString[] {
    const out: LabelString[] = [];
    const problems: Diagnostic[] = [];
    for (const p of patterns) {
      let pat;
      try {
        pat = parsePattern(p);
      } catch (e) {
        problems.push(diag('bad-pattern', (e as LabelError).message));
        continue;
      }
      switch (pat.kind) {
        case 'target':
          out.push(pat.label.str);
          break;
        case 'package': {
          const loaded = this.opts.loader.loadPackage(pat.pkg);
          if (!loaded) problems.push(diag('unknown-package', `no package //${pat.pkg} (no ${join(pat.pkg, 'BUILD.ts')})`));
          else out.push(...[...loaded.targets.values()].map((t) => t.label.str));
          break;
        }
        case 'recursive': {
          const pkgs = this.opts.loader.findPackages(pat.pkg);
          problems.push(...Loader.collect(pkgs.map((pkg) => () => {
            const loaded = this.opts.loader.loadPackage(pkg);
            if (loaded) out.push(...[...loaded.targets.values()].map((t) => t.label.str));
          })));
          if (pkgs.length === 0) problems.push(diag('unknown-package', `no packages match ${p}`));
          break;
        }
      }
    }
    if (problems.length) throw new DiagnosticError(problems);
    return [...new Set(out)].sort();
  }

  /** Analyses the given labels and everything they depend on. Throws DiagnosticError. */
  analyze(labels: readonly LabelString[]): ActionGraph {
    const problems: Diagnostic[] = [];
    for (const l of labels) {
      try {
        this.target(parseLabel(l));
      } catch (e) {
        if (e instanceof DiagnosticError) problems.push(...e.diagnostics);
        else throw e;
      }
    }
    if (problems.length) throw new DiagnosticError(dedupe(problems));
    return { targets: this.targets, actions: this.actions, producers: this.producers, requested: labels };
  }

  private chainNotes(): string[] {
    if (this.inProgress.length === 0) return [];
    return [`required by ${[...this.inProgress].reverse().map((f) => f.label).join(' <- ')}`];
  }

  private target(label: Label, via?: Edge): ConfiguredTarget {
    const done = this.targets.get(label.str);
    if (done) return done;
    const cycleStart = this.inProgress.findIndex((f) => f.label === label.str);
    if (cycleStart >= 0) {
      const cycle = [...this.inProgress.slice(cycleStart).map((f) => f.label), label.str];
      const edges = [...this.inProgress.slice(cycleStart + 1).map((f) => f.via!), via!];
      throw new DiagnosticError([diag('cycle', `dependency cycle: ${cycle.join(' -> ')}`, via?.location,
        edges.filter(Boolean).map((e, i) => `${cycle[i]} depends on ${cycle[i + 1]} at ${relative(this.opts.root, e.location.file)}:${e.location.line}:${e.location.column}`))]);
    }
    const decl = this.lookup(label, via);
    this.inProgress.push({ label: label.str, via });
    try {
      const ct = this.configure(decl);
      this.targets.set(label.str, ct);
      return ct;
    } finally {
      this.inProgress.pop();
    }
  }

  private lookup(label: Label, via?: Edge): TargetDecl {
    const pkg = this.opts.loader.loadPackage(label.pkg);
    if (!pkg) {
      throw new DiagnosticError([diag('unknown-package', `${label.str}: no package //${label.pkg} (there is no ${join(label.pkg, 'BUILD.ts')})`,
        via?.location, this.chainNotes())]);
    }
    const decl = pkg.targets.get(label.name);
    if (!decl) {
      const guess = didYouMean(label.name, pkg.targets.keys());
      throw new DiagnosticError([diag('unknown-target', `${label.str} does not exist`, via?.location,
        [...(guess ? [`did you mean ${makeLabel(label.pkg, guess).str}?`] : []), ...this.chainNotes()])]);
    }
    return decl;
  }

  private probe(relPath: string): 'file' | 'dir' | 'none' {
    const known = this.probes.get(relPath);
    if (known) return known;
    const kind = probeKind(join(this.opts.root, relPath));
    this.probes.set(relPath, kind);
    return kind;
  }

  /** Resolves one label-typed attribute value to the dependency it names. */
  private resolveDep(decl: TargetDecl, attrName: string, value: string): DepInfo {
    // A distribution names the same analysed targets hundreds of thousands of times: those
    // come from one DepInfo per target, made once.
    const pkg = decl.label.pkg;
    const key = value.startsWith('//') ? value : `${pkg}\n${value}`;
    const known = this.depInfos.get(key);
    if (known) return known;
    const raw = value.startsWith('//') || value.startsWith(':') ? value : `:${value}`;
    // Where the BUILD file names the dependency: only errors need it, and finding it reads the file.
    const where = () => locateText(decl.location, `"${value}"`);
    const edge: Edge = { from: decl.label.str, get location() { return where(); } };
    let label: Label;
    try {
      label = parseLabel(raw, pkg);
    } catch (e) {
      throw new DiagnosticError([diag('bad-label', `malformed label "${value}" in "${attrName}" of ${decl.label.str}: ${(e as LabelError).why}`, where())]);
    }
    const loaded = this.opts.loader.loadPackage(label.pkg);
    if (loaded?.targets.has(label.name)) {
      const ct = this.target(label, edge);
      const info = { label: ct.label, files: ct.files, providers: ct.providers };
      this.depInfos.set(key, info);
      return info;
    }
    // Not a target: a source file (or directory) of that package, as in Bazel.
    const path = label.pkg ? `${label.pkg}/${label.name}` : label.name;
    const kind = this.probe(path);
    if (kind !== 'none' && !path.split('/').includes(OUT_DIR)) {
      return { label: label.str, files: [{ path, kind, source: true }], providers: {} };
    }
    const guess = loaded ? didYouMean(label.name, loaded.targets.keys()) : undefined;
    const what = isLabelLike(value) ? `${label.str} does not exist` : `"${value}" in "${attrName}" of ${decl.label.str} is neither a target nor a file of //${pkg}`;
    const notes = [...(guess ? [`did you mean ${makeLabel(label.pkg, guess).str}?`] : []), ...this.chainNotes()];
    throw new DiagnosticError([diag(loaded ? 'unknown-target' : 'unknown-package', loaded ? what : `${label.str}: no package //${label.pkg}`, where(), notes)]);
  }

  /**
   * Runs the implementation of a rule a BUILD file defined, in the build realm, on the
   * target's attributes as JSON, then replays what it asked of `ctx.actions` on the host's
   * `ctx` (which validates it as for any rule). A `ctx.file` path not probed yet stops the
   * implementation; it runs again once the host has probed it (implementations are
   * deterministic).
   */
  private runUserImpl(decl: TargetDecl, rule: UserRuleDef, ctx: Pick<RuleContext<AttrSchema>, 'file' | 'ruleFile' | 'actions'>, attrs: Record<string, unknown>, fail: (m: string, code?: string) => never):
    { files?: unknown; providers?: unknown } | undefined {
    const { label } = decl;
    const loader = this.opts.loader;
    const probes: Record<string, string> = {};
    const what = `the implementation of rule ${rule.name} for ${label.str}`;
    let out: RealmImplResult;
    for (let round = 0; ; round++) {
      out = loader.realm().runImpl(rule.realmId, { label: label.str, name: label.name, pkg: label.pkg, attrs, probes }, what, decl.location);
      loader.printLogs(out.logs);
      if (!out.needs.length) break;
      if (round >= 10_000) fail('ctx.file asked for more than 10,000 paths');
      for (const p of out.needs) probes[p] = this.probe(p);
    }
    if (out.error) {
      if (out.error.code && !out.error.code.startsWith('import-failed:')) fail(out.error.message, out.error.code);
      throw new DiagnosticError([loader.thrownDiagnostic(out.error, undefined, 'rule-error', `${label.str} (rule ${rule.name}) failed during analysis: `,
        decl.location, this.chainNotes(), out.throwMark)]);
    }
    for (const op of out.ops) {
      switch (op.op) {
        case 'declare': {
          const a = op.kind === 'dir' ? ctx.actions.declareDirectory(op.name) : ctx.actions.declareFile(op.name);
          if (a.path !== op.path) throw new Error(`the build realm declared ${op.path}, the host ${a.path} (this is an xbuild bug)`);
          break;
        }
        case 'write': {
          if (op.opts !== undefined && (typeof op.opts !== 'object' || op.opts === null || Array.isArray(op.opts))) fail('write: options must be { executable?: boolean }');
          const a = ctx.actions.write(op.name, op.content as string, op.opts as { executable?: boolean } | undefined);
          if (a.path !== op.path) throw new Error(`the build realm declared ${op.path}, the host ${a.path} (this is an xbuild bug)`);
          break;
        }
        case 'run':
          ctx.actions.run(op.spec as unknown as RunActionSpec);
          break;
        case 'fetch':
          ctx.actions.fetch(op.spec as unknown as FetchActionSpec);
          break;
        case 'ruleFile':
          ctx.ruleFile(op.path);
          break;
      }
    }
    return out.result;
  }

  private configure(decl: TargetDecl): ConfiguredTarget {
    const { label, rule } = decl;
    const pkgDir = label.pkg;
    const declared = new Map<string, Artifact>();
    const made = new Set<string>();
    const actionIds: ActionId[] = [];
    const deps = new Set<LabelString>();
    const fail = (message: string, code = 'rule-error'): never => {
      throw new DiagnosticError([diag(code, `${label.str} (rule ${rule.name}): ${message}`, decl.location, this.chainNotes())]);
    };
    const outPath = (name: string) => {
      const n = normalize(name);
      if (n.startsWith('..') || n.startsWith('/') || n === '.' || n === '') fail(`output name "${name}" must be a relative path inside the package`);
      return [OUT_DIR, pkgDir, n].filter(Boolean).join('/');
    };
    const declare = (name: string, kind: 'file' | 'dir'): Artifact => {
      const path = outPath(name);
      if (declared.has(path)) fail(`output "${name}" is declared twice`);
      if (this.producers.has(path)) fail(`output "${name}" is already made by ${this.actions.get(this.producers.get(path)!)!.label}`);
      const a: Artifact = { path, kind, source: false };
      declared.set(path, a);
      return a;
    };
    // Attributes as the implementation sees them.
    const attrs: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(rule.attrs)) {
      const v = decl.attrs[key];
      switch (spec.type) {
        case 'label':
          attrs[key] = v === undefined ? undefined : this.resolveDep(decl, key, v as string);
          if (v !== undefined) deps.add((attrs[key] as DepInfo).label as LabelString);
          break;
        case 'labelList':
          attrs[key] = (v as string[]).map((x) => this.resolveDep(decl, key, x));
          for (const d of attrs[key] as DepInfo[]) deps.add(d.label as LabelString);
          break;
        case 'output':
          attrs[key] = v === undefined ? undefined : declare(v as string, 'file');
          break;
        case 'outputList':
          attrs[key] = (v as string[]).map((x) => declare(x, 'file'));
          break;
        default:
          attrs[key] = v;
      }
    }
    let n = 0;
    const addAction = (a: Omit<Action, 'id' | 'label'>) => {
      const id = `${label.str}#${n++}` as ActionId;
      for (const o of a.outputs) {
        if (o.source || !declared.has(o.path)) fail(`action ${a.mnemonic} writes ${o.path}, which this target did not declare (use ctx.actions.declareFile)`);
        if (made.has(o.path)) fail(`two actions write ${o.path}`);
        made.add(o.path);
      }
      for (const i of a.inputs) {
        if (typeof i?.path !== 'string') fail(`action ${a.mnemonic} has an input that is not an Artifact: ${JSON.stringify(i)}`);
        if (!i.source && !this.producers.has(i.path) && !declared.has(i.path)) fail(`action ${a.mnemonic} reads ${i.path}, which no action makes`);
      }
      const action: Action = { ...a, id, label: label.str };
      this.actions.set(id, action);
      for (const o of a.outputs) this.producers.set(o.path, id);
      actionIds.push(id);
    };
    const checkArtifacts = (what: string, list: unknown) => {
      if (!Array.isArray(list)) fail(`${what} must be a list of Artifacts`);
    };
    const ctx = {
      label: label.str,
      name: label.name,
      pkg: label.pkg,
      attrs,
      file: (p: string): Artifact => {
        const path = [pkgDir, normalize(p)].filter(Boolean).join('/');
        const kind = this.probe(path);
        if (kind === 'none') fail(`ctx.file("${p}"): no such file ${path}`, 'missing-file');
        return { path, kind: kind === 'dir' ? 'dir' : 'file', source: true };
      },
      ruleFile: (p: string): string => {
        const abs = join(this.opts.rulesDir, normalize(p));
        if (this.ruleFiles.has(abs)) return abs;
        if (existsSync(abs)) this.ruleFiles.add(abs);
        else fail(`ctx.ruleFile("${p}"): no such file ${abs}`, 'missing-file');
        return abs;
      },
      actions: {
        declareFile: (name: string) => declare(name, 'file'),
        declareDirectory: (name: string) => declare(name, 'dir'),
        run: (s: RunActionSpec) => {
          if (typeof s !== 'object' || s === null || Array.isArray(s)) fail('run takes one object');
          checkArtifacts('inputs', s.inputs ?? []);
          checkArtifacts('outputs', s.outputs);
          if (!Array.isArray(s.argv) || s.argv.length === 0 || s.argv.some((x) => typeof x !== 'string')) fail('run: argv must be a non-empty list of strings');
          if (s.outputs.length === 0) fail('run: an action must declare at least one output');
          if (typeof s.env !== 'undefined' && (typeof s.env !== 'object' || s.env === null || Array.isArray(s.env))) fail('run: env must be an object of strings');
          for (const [k, v] of Object.entries(s.env ?? {})) if (typeof v !== 'string') fail(`run: env ${k} must be a string`);
          if (s.tools !== undefined && (!Array.isArray(s.tools) || s.tools.some((x) => typeof x !== 'string'))) fail('run: tools must be a list of strings');
          for (const k of ['cpu', 'memoryMb', 'sourceDateEpoch', 'estimateMs'] as const) if (s[k] !== undefined && typeof s[k] !== 'number') fail(`run: ${k} must be a number`);
          for (const k of ['mnemonic', 'progress', 'persistentDir'] as const) if (s[k] !== undefined && typeof s[k] !== 'string') fail(`run: ${k} must be a string`);
          if (s.network !== undefined && typeof s.network !== 'boolean') fail('run: network must be true or false');
          if (s.unpack !== undefined) {
            checkArtifacts('unpack', [s.unpack]);
            if (s.unpack.kind !== 'file' || !(s.inputs ?? []).some((i) => i.path === s.unpack!.path)) fail(`run: unpack ${s.unpack.path} must be a file among the action's inputs`);
            if (!s.uidRange) fail(`run: unpack ${s.unpack.path} needs uidRange: true (the tree keeps the tarball's owners)`);
          }
          addAction({
            kind: 'run', mnemonic: s.mnemonic ?? 'Run', progress: s.progress ?? `${s.mnemonic ?? 'Run'} ${label.str}`,
            argv: [...s.argv], env: { ...(s.env ?? {}) }, inputs: dedupeArtifacts(s.inputs ?? []), outputs: [...s.outputs],
            tools: [...(s.tools ?? [])], cpu: Math.max(1, Math.floor(s.cpu ?? 1)), memoryMb: s.memoryMb ?? 0,
            persistentDir: s.persistentDir, network: s.network ?? false, sourceDateEpoch: s.sourceDateEpoch ?? 0,
            ...(s.uidRange ? { uidRange: true } : {}),
            ...(s.unpack ? { unpack: s.unpack.path } : {}),
            ...(s.estimateMs !== undefined ? { estimateMs: Math.max(0, s.estimateMs) } : {}),
          });
        },
        write: (name: string, content: string, o?: { executable?: boolean }) => {
          if (typeof content !== 'string') fail('write: content must be a string');
          if (o !== undefined && (typeof o !== 'object' || o === null || (o.executable !== undefined && typeof o.executable !== 'boolean'))) fail('write: options must be { executable?: boolean }');
          const out = declare(name, 'file');
          addAction({ kind: 'write', mnemonic: 'Write', progress: `writing ${out.path}`, argv: [], env: {}, inputs: [], outputs: [out],
            tools: [], cpu: 0, memoryMb: 0, network: false, sourceDateEpoch: 0, content, executable: o?.executable ?? false });
          return out;
        },
        fetch: (s: FetchActionSpec) => {
          if (typeof s !== 'object' || s === null || Array.isArray(s)) fail('fetch takes one object');
          if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256)) fail(`fetch: sha256 must be 64 lowercase hex characters, got "${String(s.sha256)}"`);
          if (!Array.isArray(s.urls) || s.urls.length === 0 || s.urls.some((u) => typeof u !== 'string')) fail('fetch: needs at least one URL');
          if (typeof s.output?.path !== 'string') fail('fetch: output must be an Artifact (ctx.actions.declareFile)');
          addAction({ kind: 'fetch', mnemonic: 'Fetch', progress: `fetching ${s.urls[0]}`, argv: [], env: {}, inputs: [], outputs: [s.output],
            tools: [], cpu: 0, memoryMb: 0, network: true, sourceDateEpoch: 0, urls: [...s.urls], sha256: s.sha256 });
        },
      },
    };
    let result: { files?: unknown; providers?: unknown } | undefined;
    if (rule.kind === 'builtin') {
      try {
        result = (rule.impl(ctx as never) ?? undefined) as typeof result;
      } catch (e) {
        if (e instanceof DiagnosticError) throw e;
        const stack = (e as Error)?.stack;
        const frames = typeof stack === 'string' ? this.opts.loader.workspaceFrames(stack) : [];
        throw new DiagnosticError([diag('rule-error', `${label.str} (rule ${rule.name}) failed during analysis: ${(e as Error)?.message ?? String(e)}`,
          frames[0] ?? decl.location, this.chainNotes())]);
      }
    } else {
      result = this.runUserImpl(decl, rule, ctx, attrs, fail);
    }
    for (const path of declared.keys()) if (!made.has(path)) fail(`output ${path} is declared but no action makes it`);
    if (result?.files !== undefined && (!Array.isArray(result.files) || result.files.some((f) => typeof (f as Artifact)?.path !== 'string'))) {
      fail('files must be a list of Artifacts');
    }
    const files = result?.files ? [...(result.files as Artifact[])] : [...declared.values()];
    let providers: Record<string, unknown>;
    try {
      providers = JSON.parse(JSON.stringify(result?.providers ?? {}));
    } catch (e) {
      return fail(`providers must be JSON-serialisable: ${(e as Error).message}`);
    }
    return {
      label: label.str, rule: rule.name, files, providers, deps: [...deps].sort(), actions: actionIds,
      location: { file: relative(this.opts.root, decl.location.file), line: decl.location.line, column: decl.location.column },
      tags: decl.tags,
    };
  }
}

/** `list` sorted by path, each path once (the last Artifact given for it). */
function dedupeArtifacts(list: readonly Artifact[]): Artifact[] {
  // Array.prototype.sort is stable: of equal paths, the last given stays last.
  const sorted = [...list].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const out: Artifact[] = [];
  for (const a of sorted) {
    if (out.length && out[out.length - 1].path === a.path) out[out.length - 1] = a;
    else out.push(a);
  }
  return out;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}|${d.message}|${d.location?.file}:${d.location?.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
