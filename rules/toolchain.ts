/**
 * XSC toolchains: Debian's pinned gcc 12 and binutils 2.40 (from the build root) behind wrappers
 * named by the target triple `<arch>-xsc-linux-gnu`, in two stages (make-toolchain.sh):
 *
 *   bootstrap  (no glibc attr) the variant's compile flags and the XSC ABI note, nothing else:
 *              what builds the XSC glibc itself (rules/glibc.ts)
 *   final      (glibc attr) + gcc --sysroot=<the XSC glibc's sysroot> and the variant's link gate:
 *              what every package builds with. Nothing of the build root's Debian libc is
 *              reachable: headers, start files and libraries all come from the XSC glibc.
 *
 * Both stages link the XSC ABI note into every executable and shared object gcc links (gcc specs
 * `*link: + %{!r:xsc-abi-note.o}`): the stand-in for the XSC ring-buffer syscall ABI that the XSC
 * kernel and ld.so require.
 *
 *   base        no extra flags
 *   cfi-compat  x86_64: -fcf-protection=full; the final stage links with -z cet-report=error, so
 *               an object without IBT+SHSTK fails the link, naming the object (the XSC glibc's
 *               start files and libc_nonshared.a carry both: it is built with --enable-cet).
 *               aarch64: -mbranch-protection=standard (BTI landing pads, PAC-signed return
 *               addresses); the final stage links with -z force-bti through a gate
 *               (make-toolchain.sh) that fails the link on ld's warning that an input has no BTI
 *               property, naming it (other link warnings stay warnings).
 *
 * aarch64 is cross-compiled: the wrappers run Debian's gcc-12-aarch64-linux-gnu and binutils
 * (the lock's crossTools, installed in the build root by whatever runs the compiler).
 *
 * gcc's run time (crtbegin*.o, crtend*.o, libgcc.a, libgcc_eh.a, libgcc_s.so.1, ...): the final
 * stage's gcc-lib/ links to the compiler's own, unless the `libgcc` attr names an xsc_libgcc
 * (rules/libgcc.ts), whose files are copied there instead. aarch64 needs it: Debian's cross run
 * time has no BTI marks (the cfi-compat gate refuses it) and is a Debian-built binary.
 *
 * The toolchain is a directory output; consumers take it as an input, so its content digest (the
 * sysroot's included) is in their action keys: a glibc change reaches every package.
 */
import { defineRule, attr, type Artifact } from '../engine/analyze/api.js';

/** What the glibc rule gives the final toolchain and the package sets. Made by `xsc_glibc`. */
export interface GlibcInfo {
  /** The sysroot: XSC glibc headers, start files, libraries + the kernel's uapi headers. */
  readonly sysroot: Artifact;
  /** Version with the suffix, e.g. "2.36-9+deb12u14+xsc1". */
  readonly version: string;
  readonly variant: 'base' | 'cfi-compat';
  readonly arch: 'x86_64' | 'aarch64';
}

/** The XSC gcc run time of one arch and variant. Made by `xsc_libgcc`; the final `xsc_toolchain`
 *  (its `libgcc` attr) takes it. `dir` holds exactly the files of LIBGCC_FILES. */
export interface LibgccInfo {
  /** crtbegin.o ... libgcc_s.so.1, libgcc_s.so (LIBGCC_FILES), flat. */
  readonly dir: Artifact;
  readonly arch: 'aarch64';
  readonly variant: 'base' | 'cfi-compat';
  /** static: libgcc.a and the crt files, built before glibc (what glibc links); full: against the XSC glibc (LIBGCC_FILES). */
  readonly stage: 'static' | 'full';
}

/** What a toolchain gives every compiling rule. Made by `xsc_toolchain`. */
export interface ToolchainInfo {
  /** The toolchain directory: bin/<triple>-{gcc,g++,ld,ar,...}, native/ (gcc, cc, ... -> the
   *  wrappers), lib/ (the XSC ABI note and its gcc specs), sysroot/ (final stage), flags.env. */
  readonly dir: Artifact;
  /** bootstrap: builds glibc; final: --sysroot on the XSC glibc, what packages use. */
  readonly stage: 'bootstrap' | 'final';
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

/** The host compiler that compiles the ABI note object (digested into the key). */
const NOTE_COMPILER = {
  x86_64: ['/usr/bin/x86_64-linux-gnu-gcc-12', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '/usr/bin/x86_64-linux-gnu-as'],
  aarch64: ['/usr/bin/aarch64-linux-gnu-gcc-12', '/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1', '/usr/bin/aarch64-linux-gnu-as'],
} as const;

const FLAGS = {
  'x86_64/base': { cflags: '', ldflags: '' },
  'x86_64/cfi-compat': { cflags: '-fcf-protection=full', ldflags: '-Wl,-z,cet-report=error' },
  'aarch64/base': { cflags: '', ldflags: '' },
  'aarch64/cfi-compat': { cflags: '-mbranch-protection=standard', ldflags: '-Wl,-z,force-bti' },
} as const;

export const xscToolchain = defineRule({
  name: 'xsc_toolchain',
  doc: 'Triple-named gcc/binutils wrappers with the variant flags and the XSC ABI note; the final stage adds the XSC glibc sysroot and the link gate.',
  attrs: {
    arch: attr.string({ values: ['x86_64', 'aarch64'] as const }),
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    glibc: attr.label({ default: undefined as string | undefined, doc: 'An xsc_glibc of this variant (GlibcInfo): the final stage\'s sysroot. Without it: the bootstrap stage.' }),
    libgcc: attr.label({ default: undefined as string | undefined, doc: 'An xsc_libgcc of this arch and variant (LibgccInfo): the gcc run time the final stage links with, instead of the compiler\'s own. Final stage only.' }),
  },
  impl(ctx) {
    const { arch, variant } = ctx.attrs;
    const triple = `${arch}-xsc-linux-gnu`;
    const glibc = ctx.attrs.glibc ? ctx.attrs.glibc.providers.GlibcInfo as GlibcInfo | undefined : undefined;
    if (ctx.attrs.glibc && !glibc) throw new Error(`glibc: ${ctx.attrs.glibc.label} is not an xsc_glibc target (no GlibcInfo)`);
    if (glibc && glibc.variant !== variant) throw new Error(`glibc ${ctx.attrs.glibc!.label} is ${glibc.variant}, this toolchain is ${variant}`);
    if (glibc && glibc.arch !== arch) throw new Error(`glibc ${ctx.attrs.glibc!.label} is built for ${glibc.arch}, this toolchain is ${arch}`);
    const stage: ToolchainInfo['stage'] = glibc ? 'final' : 'bootstrap';
    const libgcc = ctx.attrs.libgcc ? ctx.attrs.libgcc.providers.LibgccInfo as LibgccInfo | undefined : undefined;
    if (ctx.attrs.libgcc && !libgcc) throw new Error(`libgcc: ${ctx.attrs.libgcc.label} is not an xsc_libgcc target (no LibgccInfo)`);
    if (libgcc && !glibc) throw new Error(`libgcc: only the final stage (with glibc) links with an XSC libgcc; the bootstrap stage builds it`);
    if (libgcc && (libgcc.arch !== arch || libgcc.variant !== variant)) throw new Error(`libgcc ${ctx.attrs.libgcc!.label} is ${libgcc.arch} ${libgcc.variant}, this toolchain is ${arch} ${variant}`);
    if (libgcc && libgcc.stage !== 'full') throw new Error(`libgcc: ${ctx.attrs.libgcc!.label} is the static stage (libgcc.a alone, for glibc); the final toolchain needs the full stage (built with glibc)`);
    const dir = ctx.actions.declareDirectory(ctx.name);
    const script = ctx.ruleFile('scripts/toolchain/make-toolchain.sh');
    const { cflags, ldflags: finalLdflags } = FLAGS[`${arch}/${variant}` as keyof typeof FLAGS];
    const ldflags = stage === 'final' ? finalLdflags : '';
    const check = ctx.ruleFile('scripts/toolchain/build-toolchain.sh');
    ctx.actions.run({
      mnemonic: 'Toolchain',
      progress: `${triple} ${variant} toolchain (${stage}${glibc ? `, XSC glibc ${glibc.version}` : ''}${libgcc ? ', XSC libgcc' : ''})`,
      argv: ['/usr/bin/bash', check, arch, variant, dir.path, ...(glibc ? [glibc.sysroot.path] : []), ...(libgcc ? [libgcc.dir.path] : [])],
      inputs: [...(glibc ? [glibc.sysroot] : []), ...(libgcc ? [libgcc.dir] : [])],
      outputs: [dir],
      tools: [script, check, '/usr/bin/bash', ...NOTE_COMPILER[arch as keyof typeof NOTE_COMPILER]],
      // The flags this provider announces; build-toolchain.sh fails if the wrappers differ.
      env: { XSC_EXPECT_CFLAGS: cflags, XSC_EXPECT_LDFLAGS: ldflags },
    });
    const info: ToolchainInfo = {
      dir, triple, arch: arch as ToolchainInfo['arch'], variant: variant as ToolchainInfo['variant'], stage, cflags, ldflags,
      makeEnv: {
        CC: `${dir.path}/bin/${triple}-gcc`, CXX: `${dir.path}/bin/${triple}-g++`, AR: `${dir.path}/bin/${triple}-ar`,
        CFLAGS: cflags, LDFLAGS: ldflags,
      },
      buildflagsEnv: {
        DEB_CFLAGS_MAINT_APPEND: cflags,
        DEB_CXXFLAGS_MAINT_APPEND: cflags,
        DEB_LDFLAGS_MAINT_APPEND: ldflags,
        CC: `${triple}-gcc`,
        CXX: `${triple}-g++`,
      },
    };
    return { files: [dir], providers: { ToolchainInfo: info } };
  },
});
