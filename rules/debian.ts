/**
 * Debian packages of the XSC set, built from pinned Debian sources inside the pinned build root.
 *
 *   debian_package   dpkg-buildpackage -B of one source package (build-deb.sh), one action:
 *                    fresh root from the tarball, build-deps installed from pinned .debs (fetched;
 *                    set members' own .debs replace Debian's), version <v>+xsc1, the toolchain's
 *                    flags (dpkg-buildflags *_MAINT_APPEND, CC=<triple>-gcc), nocheck, no network.
 *   deb_cet_audit    every ELF in every .deb must be of the arch and carry its hard-CFI marks
 *                    (x86_64 IBT+SHSTK, aarch64 BTI+PAC; audit-cet.sh); names the package and
 *                    file otherwise.
 *   deb_set          the .debs of a variant as one DebSetInfo (what the ISO rules consume).
 *
 * The .deb file names are declared up front from the lock (Package-List of the Sources index),
 * so each is a plain file output; a build that makes a different set fails and says so.
 */
import { defineRule, attr, type Artifact, type DepInfo } from '../engine/analyze/api.js';
import { ROOT_TOOLS, type BuildRootInfo } from './buildRoot.js';
import type { ToolchainInfo } from './toolchain.js';
// DebSetInfo (a variant's .debs, what the ISO rules take) is declared next to its consumer.
import type { DebSetInfo } from './iso.js';

/** The .debs one source package made. Made by `debian_package`. */
export interface DebInfo {
  readonly source: string;
  /** The version of the built packages, suffix included (e.g. "2.10-3+xsc1"). */
  readonly version: string;
  readonly variant: string;
  readonly debs: readonly Artifact[];
  /** Binary package names, in the order of `debs`. */
  readonly packages: readonly string[];
}

/** "1:1.2.13.dfsg-1" -> "1.2.13.dfsg-1": the version as it appears in .deb file names. */
export function fileVersion(version: string): string {
  return version.replace(/^\d+:/, '');
}

function provider<T>(d: DepInfo, name: string, what: string): T {
  const p = d.providers[name] as T | undefined;
  if (!p) throw new Error(`${what}: ${d.label} does not provide ${name}`);
  return p;
}

export const debianPackage = defineRule({
  name: 'debian_package',
  doc: 'dpkg-buildpackage -B of a pinned Debian source inside the build root, with an XSC toolchain.',
  attrs: {
    source: attr.string({ doc: 'Source package name (debian/control Source:).' }),
    version: attr.string({ doc: 'Debian version from the lock, epoch included.' }),
    binaries: attr.stringList({ doc: 'The binary packages the build makes (the lock\'s debs).' }),
    srcs: attr.labelList({ doc: 'Pinned fetches of the .dsc and every file it lists.' }),
    buildDeps: attr.labelList({ default: [], doc: 'Pinned .debs of the build dependencies not in the root.' }),
    setDeps: attr.labelList({ default: [], doc: 'debian_package targets of the set whose .debs replace Debian\'s.' }),
    setPackages: attr.stringList({ default: [], doc: 'Build-dependencies to take from setDeps.' }),
    root: attr.label({ doc: 'debian_build_root (BuildRootInfo).' }),
    toolchain: attr.label({ doc: 'xsc_toolchain (ToolchainInfo); its directory is an input.' }),
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    suffix: attr.string({ default: '+xsc1' }),
    debArch: attr.string({ default: 'amd64', values: ['amd64', 'arm64'] as const, doc: 'Debian arch of the .debs: the toolchain\'s (arm64 for aarch64: a cross build, `dpkg-buildpackage -a arm64`).' }),
    onlySetPackages: attr.bool({ default: false, doc: 'Take only the setPackages .debs of setDeps as inputs (the universe lists every XSC binary a build installs; a set member\'s other .debs stay out of its key).' }),
    profiles: attr.stringList({ default: [], doc: 'Build profiles beyond nobiarch (a bootstrap stage build: stage1, nodoc, pkg.<src>.<x>); DEB_BUILD_PROFILES.' }),
    estimateMs: attr.int({ default: 0, doc: 'Expected build time (ms) until a run records it (the lock\'s estimate from source size); 0: the engine\'s default.' }),
    jobs: attr.int({ default: 1, doc: 'CPU slots and parallel=N; most of a Debian build is serial, so 1 lets two builds share 2 cores.' }),
  },
  impl(ctx) {
    const a = ctx.attrs;
    const root = provider<BuildRootInfo>(a.root, 'BuildRootInfo', 'root');
    const tc = provider<ToolchainInfo>(a.toolchain, 'ToolchainInfo', 'toolchain');
    if (tc.variant !== a.variant) throw new Error(`toolchain ${a.toolchain.label} is ${tc.variant}, this package is ${a.variant}`);
    if (a.binaries.length === 0) throw new Error(`binaries: ${a.source} makes no arch-dependent .deb; nothing to build`);
    // The toolchain's arch decides the Debian arch; anything but the build machine's is a cross build.
    const debArch = tc.arch === 'x86_64' ? 'amd64' : 'arm64';
    if (a.debArch !== debArch) throw new Error(`debArch: "${a.debArch}", but toolchain ${a.toolchain.label} builds for ${tc.arch} (Debian arch ${debArch})`);
    const cross = debArch !== 'amd64';
    const srcs = a.srcs.flatMap((d) => d.files);
    const dsc = srcs.find((f) => f.path.endsWith('.dsc'));
    if (!dsc) throw new Error(`srcs: no .dsc among ${srcs.map((f) => f.path).join(', ')}`);
    const dscDir = dsc.path.slice(0, dsc.path.lastIndexOf('/'));
    for (const f of srcs) {
      if (f.path.slice(0, f.path.lastIndexOf('/')) !== dscDir) throw new Error(`srcs: ${f.path} must be next to ${dsc.path}`);
    }
    const version = `${a.version}${a.suffix}`;
    const debs = a.binaries.map((p) => ctx.actions.declareFile(`${ctx.name}/${p}_${fileVersion(version)}_${a.debArch}.deb`));
    const outDir = debs[0].path.slice(0, debs[0].path.lastIndexOf('/'));
    const buildDeps = a.buildDeps.flatMap((d) => d.files);
    const wanted = new Set(a.setPackages);
    // Plain loops: a universe build lists ~150 .debs, 2,070 builds per variant.
    const setDebs: Artifact[] = [];
    for (const d of a.setDeps) {
      const s = provider<DebInfo>(d, 'DebInfo', 'setDeps');
      for (let i = 0; i < s.debs.length; i++) if (!a.onlySetPackages || wanted.has(s.packages[i])) setDebs.push(s.debs[i]);
    }
    const script = ctx.ruleFile('scripts/debian/build-deb.sh');
    const argv = [
      '/usr/bin/bash', script, '--root', root.tarball.path, '--toolchain', tc.dir.path,
      '--dsc', dsc.path, '--variant', a.variant, '--out', outDir, '--suffix', a.suffix, '--jobs', String(a.jobs),
      ...(a.profiles.length ? ['--profiles', a.profiles.join(',')] : []),
    ];
    for (const d of buildDeps) argv.push('--deb', d.path);
    for (const d of setDebs) argv.push('--set-deb', d.path);
    for (const p of a.binaries) argv.push('--expect', p);
    if (cross) argv.push('--host-arch', debArch);
    ctx.actions.run({
      mnemonic: 'DebBuild',
      progress: `dpkg-buildpackage ${cross ? `-a ${debArch} ` : ''}${a.source} ${version} (${a.variant})`,
      argv,
      env: { XSC_SET_PACKAGES: a.setPackages.join(' ') },
      inputs: [root.tarball, tc.dir, ...srcs, ...buildDeps, ...setDebs],
      outputs: debs,
      tools: [script, ctx.ruleFile('scripts/debian/in-root.sh'), ...ROOT_TOOLS],
      cpu: a.jobs,
      memoryMb: 2048,
      // dpkg, apt and tar chown files of the unpacked root to many owners: root of a user namespace with a uid range.
      uidRange: true,
      // The build root unpacked once, an overlay per build (build-deb.sh).
      unpack: root.tarball,
      ...(a.estimateMs > 0 ? { estimateMs: a.estimateMs } : {}),
    });
    const info: DebInfo = { source: a.source, version, variant: a.variant, debs, packages: a.binaries };
    return { files: debs, providers: { DebInfo: info } };
  },
});

export const debianSource = defineRule({
  name: 'debian_source',
  doc: 'A Debian source package (.dsc + tarball, dpkg-source -b) made from a source tree of the workspace: the srcs of a debian_package.',
  attrs: {
    dir: attr.label({ doc: 'The source tree (a directory of the workspace holding debian/).' }),
    source: attr.string({ doc: 'Source package name; debian/changelog must say the same.' }),
    version: attr.string({ doc: 'Its version (native: no revision); debian/changelog must say the same.' }),
    sourceDateEpoch: attr.int({ default: 1700000000, doc: 'The mtime of every file in the tarball.' }),
  },
  impl(ctx) {
    const dir = ctx.attrs.dir.files;
    if (dir.length !== 1 || dir[0].kind !== 'dir') throw new Error(`dir: ${ctx.attrs.dir.label} must be one directory of the workspace`);
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(ctx.attrs.source)) throw new Error(`source: "${ctx.attrs.source}" is not a Debian source package name`);
    const base = `${ctx.attrs.source}_${fileVersion(ctx.attrs.version)}`;
    const dsc = ctx.actions.declareFile(`${ctx.name}/${base}.dsc`);
    // A native package (format 3.0 (native)) is one tarball; dpkg-source -b compresses with xz.
    const tarball = ctx.actions.declareFile(`${ctx.name}/${base}.tar.xz`);
    const script = ctx.ruleFile('scripts/debian/source-package.sh');
    ctx.actions.run({
      mnemonic: 'DebSource',
      progress: `dpkg-source -b ${ctx.attrs.source} ${ctx.attrs.version}`,
      argv: ['/usr/bin/bash', script, '--dir', dir[0].path, '--source', ctx.attrs.source, '--version', ctx.attrs.version,
        '--out', dsc.path.slice(0, dsc.path.lastIndexOf('/'))],
      inputs: dir,
      outputs: [dsc, tarball],
      tools: [script, '/usr/bin/bash', '/usr/bin/dpkg-source', '/usr/bin/dpkg-parsechangelog', '/usr/bin/tar', '/usr/bin/xz'],
      sourceDateEpoch: ctx.attrs.sourceDateEpoch,
    });
    return { files: [dsc, tarball], providers: {} };
  },
});

/** The .debs of a list of deps: DebInfo or DebSetInfo providers, else their .deb files. */
function collectDebs(deps: readonly DepInfo[]): Artifact[] {
  const out = new Map<string, Artifact>();
  for (const d of deps) {
    const info = (d.providers.DebInfo ?? d.providers.DebSetInfo) as { debs: readonly Artifact[] } | undefined;
    const files = info ? info.debs : d.files.filter((f) => f.path.endsWith('.deb'));
    if (files.length === 0) throw new Error(`${d.label} provides no .deb`);
    for (const f of files) out.set(f.path, f);
  }
  return [...out.values()];
}

export const debCetAudit = defineRule({
  name: 'deb_cet_audit',
  doc: 'Fails unless every ELF object in every .deb is of the arch and carries its hard-CFI marks (x86_64 IBT+SHSTK, aarch64 BTI+PAC; readelf -n); passes the audited .debs on.',
  attrs: {
    packages: attr.labelList({ doc: 'debian_package / deb_set targets or .deb files.' }),
    variant: attr.string({ default: 'cfi-compat', values: ['base', 'cfi-compat'] as const }),
    arch: attr.string({ default: 'x86_64', values: ['x86_64', 'aarch64'] as const, doc: 'x86_64: IBT+SHSTK; aarch64: BTI+PAC. Every ELF must also be of this arch.' }),
  },
  impl(ctx) {
    const debs = collectDebs(ctx.attrs.packages);
    const x86 = ctx.attrs.arch === 'x86_64';
    const report = ctx.actions.declareFile(`${ctx.name}/audit.txt`);
    // The audited copies are what a set built on the audit hands on (same bytes, so the blob
    // store keeps one copy): nothing downstream can reach a .deb that did not pass.
    const passed = debs.map((d) => ctx.actions.declareFile(`${ctx.name}/${d.path.slice(d.path.lastIndexOf('/') + 1)}`));
    if (new Set(passed.map((p) => p.path)).size !== passed.length) throw new Error('packages: two .debs have the same file name');
    const script = ctx.ruleFile('scripts/debian/audit-cet.sh');
    ctx.actions.run({
      mnemonic: x86 ? 'CetAudit' : 'BtiPacAudit',
      progress: `auditing ${debs.length} .debs for ${x86 ? 'IBT+SHSTK' : 'BTI+PAC'}`,
      argv: ['/usr/bin/bash', script, ...(x86 ? [] : ['--arch', ctx.attrs.arch]), '--copy-to', report.path.slice(0, report.path.lastIndexOf('/')), report.path, ...debs.map((d) => d.path)],
      inputs: debs,
      outputs: [report, ...passed],
      tools: [script, '/usr/bin/readelf', '/usr/bin/dpkg-deb', '/usr/bin/ar'],
    });
    const info: DebSetInfo = { debs: passed, variant: ctx.attrs.variant };
    return { files: [report, ...passed], providers: { DebSetInfo: info } };
  },
});

export const debSet = defineRule({
  name: 'deb_set',
  doc: 'A variant\'s .debs as one DebSetInfo (for the ISO and repository rules).',
  attrs: {
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    packages: attr.labelList({ doc: 'debian_package targets (DebInfo) or a deb_cet_audit (DebSetInfo) of this variant.' }),
  },
  impl(ctx) {
    for (const d of ctx.attrs.packages) {
      const info = (d.providers.DebInfo ?? d.providers.DebSetInfo) as { variant: string } | undefined;
      if (info && info.variant !== ctx.attrs.variant) {
        throw new Error(`packages: ${d.label} is built for ${info.variant}, this set is ${ctx.attrs.variant}`);
      }
    }
    const debs = collectDebs(ctx.attrs.packages);
    const info: DebSetInfo = { debs, variant: ctx.attrs.variant };
    return { files: debs, providers: { DebSetInfo: info } };
  },
});
