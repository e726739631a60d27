/**
 * The generic rules every workspace has: `cmd` (a genrule: one shell command), `filegroup`
 * (names a set of files) and `fetch` (a download pinned by SHA-256).
 */
import { defineRule, attr, type Artifact, type DepInfo } from '../engine/analyze/api.js';

const BASH = '/bin/bash';

/**
 * Runs one bash command with the given sources as inputs and `outs` as outputs.
 * In `cmd`: `$(location X)` is the path of the one file of dependency X, `$(locations X)` all
 * its files, `$(SRCS)` every source, `$(OUTS)` every output, `$@` the single output, `$<` the
 * single source, `$(RULEDIR)` the package's output folder. Paths are relative to the sandbox.
 */
export const cmd = defineRule({
  name: 'cmd',
  attrs: {
    srcs: attr.labelList({ default: [] as readonly string[], doc: 'Files or targets the command reads.' }),
    outs: attr.outputList({ default: [] as readonly string[], doc: 'Files the command writes.' }),
    outDirs: attr.stringList({ default: [] as readonly string[], doc: 'Directories the command writes.' }),
    cmd: attr.string({ doc: 'The bash command.' }),
    tools: attr.stringList({ default: [] as readonly string[], doc: 'Absolute paths of host tools it uses; their contents are part of the key.' }),
    env: attr.stringDict({ default: {} as Readonly<Record<string, string>>, doc: 'Environment variables (the only ones it sees).' }),
    cpu: attr.int({ default: 1, doc: 'CPU slots it occupies.' }),
    mnemonic: attr.string({ default: 'Cmd' }),
  },
  impl(ctx) {
    const srcs = ctx.attrs.srcs.flatMap((d) => d.files);
    const dirs = ctx.attrs.outDirs.map((d) => ctx.actions.declareDirectory(d));
    const outs: Artifact[] = [...ctx.attrs.outs, ...dirs];
    if (outs.length === 0) throw new Error('cmd needs at least one of "outs" or "outDirs"');
    const command = expand(ctx.attrs.cmd, ctx.label, ctx.pkg, ctx.attrs.srcs, srcs, outs);
    ctx.actions.run({
      mnemonic: ctx.attrs.mnemonic,
      progress: `${ctx.attrs.mnemonic} ${ctx.label}`,
      argv: [BASH, '-euo', 'pipefail', '-c', command],
      env: ctx.attrs.env,
      inputs: srcs,
      outputs: outs,
      tools: [BASH, ...ctx.attrs.tools],
      cpu: ctx.attrs.cpu,
    });
    return { files: outs };
  },
});

function expand(cmdText: string, label: string, pkg: string, deps: readonly DepInfo[], srcs: readonly Artifact[], outs: readonly Artifact[]): string {
  const find = (ref: string): DepInfo => {
    const norm = ref.startsWith('//') ? ref : ref.startsWith(':') ? `//${pkg}${ref}` : `//${pkg}:${ref}`;
    const d = deps.find((x) => x.label === norm || x.label === ref);
    if (!d) throw new Error(`$(location ${ref}): ${ref} is not in srcs of ${label}`);
    return d;
  };
  // Each substitution only where its token occurs: a global RegExp replace is slow in the build
  // realm (SES freezes RegExp.prototype, which takes V8 off its fast path), and most commands
  // use one or two of these. Checked on the text as it is after the previous substitutions.
  const sub = (text: string, token: string, re: RegExp, f: (...m: string[]) => string): string => (text.includes(token) ? text.replace(re, f) : text);
  let t = sub(cmdText, '$(location ', /\$\(location ([^)]+)\)/g, (_, ref: string) => {
    const d = find(ref.trim());
    if (d.files.length !== 1) throw new Error(`$(location ${ref}) needs exactly one file, ${d.label} has ${d.files.length}; use $(locations ...)`);
    return quote(d.files[0].path);
  });
  t = sub(t, '$(locations ', /\$\(locations ([^)]+)\)/g, (_, ref: string) => find(ref.trim()).files.map((f) => quote(f.path)).join(' '));
  t = sub(t, '$(SRCS)', /\$\(SRCS\)/g, () => srcs.map((f) => quote(f.path)).join(' '));
  t = sub(t, '$(OUTS)', /\$\(OUTS\)/g, () => outs.map((f) => quote(f.path)).join(' '));
  t = sub(t, '$(RULEDIR)', /\$\(RULEDIR\)/g, () => quote(['xbuild-out', pkg].filter(Boolean).join('/')));
  t = sub(t, '$@', /\$@/g, () => {
    if (outs.length !== 1) throw new Error(`$@ needs exactly one output, ${label} has ${outs.length}`);
    return quote(outs[0].path);
  });
  return sub(t, '$<', /\$</g, () => {
    if (srcs.length !== 1) throw new Error(`$< needs exactly one source, ${label} has ${srcs.length}`);
    return quote(srcs[0].path);
  });
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./+=:@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Names a set of files (sources or other targets' outputs). */
export const filegroup = defineRule({
  name: 'filegroup',
  attrs: { srcs: attr.labelList({ default: [] as readonly string[] }) },
  impl(ctx) {
    const seen = new Map<string, Artifact>();
    for (const d of ctx.attrs.srcs) for (const f of d.files) seen.set(f.path, f);
    return { files: [...seen.values()] };
  },
});

/**
 * Downloads a file pinned by SHA-256: the only action that may use the network. URLs may be
 * http(s), file, or apt-mirror://<archive>/<path> (resolved from the machine's apt sources).
 */
export const fetch = defineRule({
  name: 'fetch',
  attrs: {
    urls: attr.stringList(),
    sha256: attr.string(),
    out: attr.string({ default: '' }),
  },
  impl(ctx) {
    const base = ctx.attrs.urls[0]?.split('/').pop() ?? ctx.name;
    const out = ctx.actions.declareFile(ctx.attrs.out || base);
    ctx.actions.fetch({ urls: ctx.attrs.urls, sha256: ctx.attrs.sha256, output: out });
    return { files: [out] };
  },
});
