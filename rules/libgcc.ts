/**
 * Two stages, as gcc's own bootstrap of a target: without `glibc`, the static stage (libgcc.a
 * only, built with no C library: what glibc itself links with -lgcc, so that on aarch64 cfi-compat
 * ld.so and libc.so.6 hold no unmarked Debian object); with `glibc`, the full stage below.
 *
 * The XSC gcc run time: gcc 12's libgcc (crtbegin*.o, crtend*.o, crtfastmath.o, libgcc.a,
 * libgcc_eh.a, libgcov.a, libgcc_s.so.1 and its libgcc_s.so linker script) built per variant
 * from the upstream tarball in Debian's pinned gcc-12-source, by build-libgcc.sh in ONE action.
 *
 * Why it exists: the final toolchain links every program with these files, and an image ships
 * libgcc_s.so.1. Debian's (the cross gcc's, /usr/lib/gcc-cross/<gnu>/12 and /usr/<gnu>/lib) are
 * Debian-built binaries, and without branch protection: under the aarch64 cfi-compat link gate
 * (-z force-bti, its BTI warning fatal) every link failed on crtbegin*.o. The final xsc_toolchain takes
 * this directory (`libgcc` attr) and puts its files where gcc looks for its run time.
 *
 *   cfi-compat  -mbranch-protection=standard on every object (the bootstrap toolchain's flags);
 *               the action fails naming any object, archive member included, whose readelf -n
 *               lacks "AArch64 feature: BTI, PAC"
 *   base        Debian's flags for gcc's target libraries (-g -O2)
 *   both        compiled by the variant's bootstrap xsc_toolchain (Debian's cross gcc 12.2.0 behind
 *               the XSC wrapper), against the variant's XSC glibc sysroot; libgcc_s.so.1 is linked
 *               by that gcc, so it carries the XSC ABI note and links the sysroot's start files
 *               and libc.so.6 (checked)
 *
 * No xgcc and no cc1 are built: gcc is configured for the target only to generate the headers
 * libgcc includes (tm.h, insn-modes.h, ...; build-libgcc.sh's header says how), and libgcc is
 * compiled by a finished gcc of the same release.
 *
 * Modelled on the kernel (rules/kernel.ts): a host-tools action, the host compilers and binutils
 * the wrappers run digested into the key through `tools`. Unlike the kernel it has no persistent
 * tree: it is a clean build every time. Most of its time is configure (gcc's and libgcc's), which
 * an incremental tree would not save once an input changes (a new toolchain or sysroot reconfigures
 * anyway), and libgcc's ~400 compilations take a few minutes on 2 cores; a clean build needs
 * no marker protocol to be trusted.
 */
import { defineRule, attr } from '../engine/analyze/api.js';
import type { GlibcInfo, LibgccInfo, ToolchainInfo } from './toolchain.js';
// LibgccInfo is declared next to its consumer, the toolchain (as GlibcInfo).
export type { LibgccInfo } from './toolchain.js';


/** What `LibgccInfo.dir` holds: the files gcc installs in its library directory, and libgcc_s.so.1. */
export const LIBGCC_FILES = [
  'crtbegin.o', 'crtbeginS.o', 'crtbeginT.o', 'crtend.o', 'crtendS.o', 'crtfastmath.o',
  'libgcc.a', 'libgcc_eh.a', 'libgcov.a', 'libgcc_s.so.1', 'libgcc_s.so',
] as const;

/** Host tools whose content decides libgcc's bytes: their digests go into the action key. The
 *  bootstrap toolchain's wrappers run the cross ones; the host compiler builds gcc's generators. */
const HOST_TOOLS = [
  '/usr/bin/bash', '/usr/bin/make', '/usr/bin/tar', '/usr/bin/xz', '/usr/bin/dpkg-deb', '/usr/bin/mawk',
  '/usr/bin/x86_64-linux-gnu-gcc-12', '/usr/bin/x86_64-linux-gnu-g++-12',
  '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus',
  '/usr/bin/aarch64-linux-gnu-gcc-12', '/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1',
  '/usr/lib/gcc-cross/aarch64-linux-gnu/12/collect2',
  '/usr/bin/aarch64-linux-gnu-as', '/usr/bin/aarch64-linux-gnu-ld.bfd', '/usr/bin/aarch64-linux-gnu-ar',
  '/usr/bin/aarch64-linux-gnu-ranlib', '/usr/bin/aarch64-linux-gnu-strip', '/usr/bin/aarch64-linux-gnu-readelf',
] as const;

export const xscLibgcc = defineRule({
  name: 'xsc_libgcc',
  doc: 'gcc 12\'s libgcc (crt files, libgcc.a, libgcc_eh.a, libgcc_s.so.1) from Debian\'s pinned gcc-12-source, built with the variant\'s bootstrap toolchain against the XSC glibc.',
  attrs: {
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    source: attr.label({ doc: 'Debian\'s gcc-12-source .deb (a pinned fetch): the upstream gcc tarball inside is built.' }),
    toolchain: attr.label({ doc: 'The variant\'s bootstrap xsc_toolchain (ToolchainInfo); its arch is this libgcc\'s.' }),
    glibc: attr.label({ default: undefined as string | undefined, doc: 'Without it: the static stage (libgcc.a only, no C library: what glibc itself links). With it: the full stage, against the variant\'s xsc_glibc of that arch (GlibcInfo): headers, start files and libc.so.6 that libgcc_s.so.1 links against.' }),
    jobs: attr.int({ default: 2, doc: 'make -j and the CPU slots the scheduler reserves.' }),
  },
  impl(ctx) {
    const a = ctx.attrs;
    const tc = a.toolchain.providers.ToolchainInfo as ToolchainInfo | undefined;
    if (!tc) throw new Error(`toolchain: ${a.toolchain.label} is not an xsc_toolchain (no ToolchainInfo)`);
    if (tc.stage !== 'bootstrap') throw new Error(`toolchain: ${a.toolchain.label} must be the bootstrap stage (the final stage is what this libgcc goes into)`);
    if (tc.variant !== a.variant) throw new Error(`toolchain ${a.toolchain.label} is ${tc.variant}, this libgcc is ${a.variant}`);
    if (tc.arch !== 'aarch64') throw new Error(`toolchain ${a.toolchain.label} is ${tc.arch}: xsc_libgcc builds aarch64 only (x86_64 links with Debian's native gcc run time, which carries CET marks)`);
    const glibc = a.glibc ? a.glibc.providers.GlibcInfo as GlibcInfo | undefined : undefined;
    if (a.glibc && !glibc) throw new Error(`glibc: ${a.glibc.label} is not an xsc_glibc target (no GlibcInfo)`);
    if (glibc && glibc.variant !== a.variant) throw new Error(`glibc ${a.glibc!.label} is ${glibc.variant}, this libgcc is ${a.variant}`);
    if (glibc && glibc.arch !== tc.arch) throw new Error(`glibc ${a.glibc!.label} is built for ${glibc.arch}, the toolchain for ${tc.arch}`);
    const stage: LibgccInfo['stage'] = glibc ? 'full' : 'static';
    const source = a.source.files.find((f) => f.path.endsWith('.deb'));
    if (!source || a.source.files.length !== 1) throw new Error(`source: ${a.source.label} must be one .deb (Debian's gcc-12-source)`);
    const dir = ctx.actions.declareDirectory(ctx.name);
    const script = ctx.ruleFile('scripts/toolchain/build-libgcc.sh');
    ctx.actions.run({
      mnemonic: 'LibgccBuild',
      progress: `gcc 12 libgcc ${tc.arch} (${a.variant}${a.variant === 'cfi-compat' ? ', BTI+PAC' : ''}, ${stage} stage)`,
      argv: [
        '/usr/bin/bash', script, '--source', source.path, '--toolchain', tc.dir.path, ...(glibc ? ['--sysroot', glibc.sysroot.path] : []),
        '--arch', tc.arch, '--variant', a.variant, '--out', dir.path,
      ],
      inputs: [source, tc.dir, ...(glibc ? [glibc.sysroot] : [])],
      outputs: [dir],
      tools: [script, ...HOST_TOOLS],
      cpu: a.jobs,
      memoryMb: 2048,
      estimateMs: (glibc ? 9 : 4) * 60_000,
    });
    const info: LibgccInfo = { dir, arch: 'aarch64', variant: a.variant as LibgccInfo['variant'], stage };
    return { files: [dir], providers: { LibgccInfo: info } };
  },
});
