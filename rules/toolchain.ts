/**
 * XSC toolchains: Debian's pinned gcc 12 and binutils 2.40 (from the build root) behind wrappers
 * named by the target triple `<arch>-xsc-linux-gnu`, with the variant's flags:
 *
 *   base        no extra flags
 *   cfi-compat  x86_64: -fcf-protection=full, links with -z cet-report=error, and glibc's startup
 *               objects (crt1.o, Scrt1.o, crti.o, crtn.o, libc_nonshared.a) rebuilt from the pinned
 *               Debian glibc source with --enable-cet (build-cet-startfiles.sh: configure + csu +
 *               the four libc_nonshared members, ~15 s, not a 30 min full glibc build). Nothing is
 *               relabelled: an object without IBT+SHSTK fails the link, naming the object.
 *               aarch64 (same rule, not built yet): -mbranch-protection=standard, -z force-bti
 *               --fatal-warnings.
 *
 * The toolchain is a directory output; consumers take it as an input, so its content digest is
 * in their action keys.
 */
import { defineRule, attr, type Artifact } from '../engine/api.js';
import { ROOT_TOOLS, type BuildRootInfo } from './buildRoot.js';

/** What a toolchain gives every compiling rule. Made by `xsc_toolchain`. */
export interface ToolchainInfo {
  /** The toolchain directory: bin/<triple>-{gcc,g++,ld,ar,...}, lib/ (CET startfiles), flags.env. */
  readonly dir: Artifact;
  readonly triple: string;
  readonly arch: 'x86_64' | 'aarch64';
  readonly variant: 'base' | 'cfi-compat';
  /** Compile and link flags of the variant (already applied by the wrappers). */
  readonly cflags: string;
  readonly ldflags: string;
  /** For make builds: CC/CXX/AR as exec-root relative paths, CFLAGS/LDFLAGS of the variant. */
  readonly makeEnv: Readonly<Record<string, string>>;
  /** For Debian packages: dpkg-buildflags' maintainer-append variables (inside the build root
   *  the toolchain sits at /opt/xsc-toolchain). */
  readonly buildflagsEnv: Readonly<Record<string, string>>;
}

const FLAGS = {
  'x86_64/base': { cflags: '', ldflags: '' },
  'x86_64/cfi-compat': { cflags: '-fcf-protection=full', ldflags: '-Wl,-z,cet-report=error' },
  'aarch64/base': { cflags: '', ldflags: '' },
  'aarch64/cfi-compat': { cflags: '-mbranch-protection=standard', ldflags: '-Wl,-z,force-bti -Wl,--fatal-warnings' },
} as const;

export const xscToolchain = defineRule({
  name: 'xsc_toolchain',
  doc: 'Triple-named gcc/binutils wrappers with the variant flags; cfi-compat adds CET-built glibc startfiles.',
  attrs: {
    arch: attr.string({ values: ['x86_64', 'aarch64'] as const }),
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    root: attr.label({ doc: 'A debian_build_root (BuildRootInfo): the gcc and binutils it holds are the toolchain.' }),
    glibcSrcs: attr.labelList({ default: [], doc: 'The pinned glibc source files (.dsc first); cfi-compat only.' }),
    glibcBuildDeps: attr.labelList({ default: [], doc: 'Pinned .debs the startfiles build needs beyond the root.' }),
    jobs: attr.int({ default: 2 }),
  },
  impl(ctx) {
    const { arch, variant } = ctx.attrs;
    const root = ctx.attrs.root.providers.BuildRootInfo as BuildRootInfo | undefined;
    if (!root) throw new Error(`root: ${ctx.attrs.root.label} is not a debian_build_root (no BuildRootInfo)`);
    const triple = `${arch}-xsc-linux-gnu`;
    const dir = ctx.actions.declareDirectory(ctx.name);
    const script = ctx.ruleFile('scripts/toolchain/build-toolchain.sh');
    const helpers = [
      ctx.ruleFile('scripts/toolchain/make-toolchain.sh'),
      ctx.ruleFile('scripts/toolchain/build-cet-startfiles.sh'),
      ctx.ruleFile('scripts/debian/in-root.sh'),
    ];
    const argv = ['/usr/bin/bash', script, '--arch', arch, '--variant', variant, '--out', dir.path];
    const inputs: Artifact[] = [];
    if (variant === 'cfi-compat') {
      const srcs = ctx.attrs.glibcSrcs.flatMap((d) => d.files);
      const dsc = srcs.find((f) => f.path.endsWith('.dsc'));
      if (!dsc) throw new Error(`glibcSrcs: the cfi-compat toolchain needs glibc's .dsc (got ${srcs.map((f) => f.path).join(', ') || 'nothing'})`);
      const debs = ctx.attrs.glibcBuildDeps.flatMap((d) => d.files);
      argv.push('--root', root.tarball.path, '--glibc-dsc', dsc.path, ...debs.flatMap((d) => ['--deb', d.path]));
      inputs.push(root.tarball, ...srcs, ...debs);
    }
    const { cflags, ldflags } = FLAGS[`${arch}/${variant}` as keyof typeof FLAGS];
    ctx.actions.run({
      mnemonic: 'Toolchain',
      progress: `${triple} ${variant} toolchain${variant === 'cfi-compat' ? ' (CET glibc startfiles)' : ''}`,
      argv,
      inputs,
      outputs: [dir],
      tools: [script, ...helpers, ...ROOT_TOOLS],
      // The flags this provider announces; build-toolchain.sh fails if the wrappers differ.
      env: { XSC_EXPECT_CFLAGS: cflags, XSC_EXPECT_LDFLAGS: ldflags },
      cpu: variant === 'cfi-compat' ? ctx.attrs.jobs : 1,
      // cfi-compat unpacks the build root and builds glibc's startfiles in it (files of many owners).
      uidRange: variant === 'cfi-compat',
    });
    const info: ToolchainInfo = {
      dir, triple, arch: arch as ToolchainInfo['arch'], variant: variant as ToolchainInfo['variant'], cflags, ldflags,
      makeEnv: {
        CC: `${dir.path}/bin/${triple}-gcc`, CXX: `${dir.path}/bin/${triple}-g++`, AR: `${dir.path}/bin/${triple}-ar`,
        CFLAGS: cflags, LDFLAGS: ldflags,
      },
      buildflagsEnv: {
        DEB_CFLAGS_MAINT_APPEND: cflags,
        DEB_CXXFLAGS_MAINT_APPEND: cflags,
        DEB_LDFLAGS_MAINT_APPEND: `-B/opt/xsc-toolchain/lib/ ${ldflags}`.trim(),
        CC: `${triple}-gcc`,
        CXX: `${triple}-g++`,
      },
    };
    return { files: [dir], providers: { ToolchainInfo: info } };
  },
});
