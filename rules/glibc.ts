/**
 * The XSC glibc: Debian's pinned glibc source (its .orig and Debian's own patch series), the XSC
 * patch series from the workspace, built with the variant's bootstrap toolchain:
 *
 *   GlibcBuild    configure + make + make install inside the build root (build-glibc.sh, then
 *                 glibc-make.sh and glibc-install.sh in the root), 2 CPU slots; incremental through a persistent make
 *                 tree (like the kernel's: the key covers every input, the tree is synced to
 *                 "source + series" by content and trusted only with a marker; see build-glibc.sh)
 *   GlibcPackage  the install tree -> libc6, libc6-dev .debs and the sysroot (package-glibc.sh)
 *
 *   cfi-compat  x86_64: --enable-cet: ld.so, libc.so.6, every library, start file and static
 *               archive member carries IBT and SHSTK; aarch64: the bootstrap toolchain's
 *               -mbranch-protection=standard, which glibc's configure turns into BTI and PAC
 *               support (every object carries BTI landing pads and signed return addresses)
 *   base        Debian's flags (no CET)
 *   both        the XSC ABI note on every linked object (the toolchain's specs), the XSC ld.so that
 *               refuses objects without it (toolchains/patches/glibc/), --with-pkgversion
 *               "XSC GLIBC <version>+xsc1 <variant>" (what `libc.so.6` prints)
 *
 * The arch is the bootstrap toolchain's: aarch64 is cross-compiled in the same build root, with
 * the cross gcc and binutils the lock pins (`crossTools`) installed as build dependencies and
 * Debian's linux-libc-dev of that arch (`kernelHeaders`) as the uapi headers.
 *
 * Outputs: libc6 (what an image ships) and libc6-dev as `+xsc1` .debs, and the sysroot directory
 * (both packages plus the kernel's uapi headers) that the final toolchain's gcc --sysroot uses.
 * Every input is in the key (sources, the series and each patch, the bootstrap toolchain, the
 * root, the build-dependency .debs, the scripts), so editing one XSC glibc patch reruns glibc (make
 * recompiles the changed files and relinks) and what links against it (through the toolchain's
 * sysroot), and not the kernel.
 */
import { defineRule, attr } from '../engine/analyze/api.js';
import { ROOT_TOOLS, type BuildRootInfo } from './buildRoot.js';
import type { GlibcInfo, LibgccInfo, ToolchainInfo } from './toolchain.js';
// GlibcInfo (the sysroot and version of an XSC glibc) is declared next to its consumer, the toolchain.
import { fileVersion, type DebInfo } from './debian.js';

export const xscGlibc = defineRule({
  name: 'xsc_glibc',
  doc: 'glibc from Debian\'s pinned source + the XSC series, built with the variant\'s bootstrap toolchain: libc6, libc6-dev and a sysroot.',
  attrs: {
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    version: attr.string({ doc: 'The Debian version of the glibc source (the lock\'s), without the suffix.' }),
    srcs: attr.labelList({ doc: 'Pinned fetches of the .dsc and every file it lists.' }),
    series: attr.label({ doc: 'The XSC glibc quilt series file; the patches it names sit next to it.' }),
    patches: attr.labelList({ default: [], doc: 'Every patch the series names (inputs of the action).' }),
    root: attr.label({ doc: 'debian_build_root (BuildRootInfo): the host tools (make, gawk, bison, python3...).' }),
    buildDeps: attr.labelList({ default: [], doc: 'Pinned .debs glibc needs beyond the root.' }),
    toolchain: attr.label({ doc: 'The variant\'s bootstrap xsc_toolchain (no sysroot yet); its arch is this glibc\'s.' }),
    kernelHeaders: attr.label({ default: undefined as string | undefined, doc: 'Debian\'s linux-libc-dev .deb of the target arch (a pinned fetch); required when cross-compiling (aarch64), whose uapi headers the build root does not have.' }),
    libgcc: attr.label({ default: undefined as string | undefined, doc: 'An xsc_libgcc static stage of this arch and variant (LibgccInfo): the libgcc.a glibc links (-lgcc) instead of the cross gcc\'s own. Required for aarch64 cfi-compat, whose links glibc makes with -z force-bti.' }),
    suffix: attr.string({ default: '+xsc1' }),
    jobs: attr.int({ default: 2, doc: 'make -j and the CPU slots the scheduler reserves.' }),
    sourceDateEpoch: attr.int({ default: 1700000000, doc: 'The mtime of every file in the .debs and the sysroot.' }),
  },
  impl(ctx) {
    const a = ctx.attrs;
    const root = a.root.providers.BuildRootInfo as BuildRootInfo | undefined;
    if (!root) throw new Error(`root: ${a.root.label} is not a debian_build_root (no BuildRootInfo)`);
    const tc = a.toolchain.providers.ToolchainInfo as ToolchainInfo | undefined;
    if (!tc) throw new Error(`toolchain: ${a.toolchain.label} is not an xsc_toolchain (no ToolchainInfo)`);
    if (tc.variant !== a.variant) throw new Error(`toolchain ${a.toolchain.label} is ${tc.variant}, this glibc is ${a.variant}`);
    if (tc.stage !== 'bootstrap') throw new Error(`toolchain: ${a.toolchain.label} must be the bootstrap stage (glibc is what the final stage's sysroot holds)`);
    const srcs = a.srcs.flatMap((d) => d.files);
    const dsc = srcs.find((f) => f.path.endsWith('.dsc'));
    if (!dsc) throw new Error(`srcs: no .dsc among ${srcs.map((f) => f.path).join(', ') || 'nothing'}`);
    const series = a.series.files;
    if (series.length !== 1) throw new Error(`series: ${a.series.label} must be one file`);
    const seriesDir = series[0].path.slice(0, series[0].path.lastIndexOf('/') + 1);
    const patches = a.patches.flatMap((d) => d.files);
    for (const p of patches) {
      if (!p.path.startsWith(seriesDir) || p.path.slice(seriesDir.length).includes('/')) {
        throw new Error(`patch ${p.path} must sit next to the series file ${series[0].path}`);
      }
    }
    const version = `${a.version}${a.suffix}`;
    const names = ['libc6', 'libc6-dev'];
    const arch = tc.arch;
    const debArch = arch === 'x86_64' ? 'amd64' : 'arm64';
    const kernelHeaders = a.kernelHeaders?.files.find((f) => f.path.endsWith('.deb'));
    if (a.kernelHeaders && !kernelHeaders) throw new Error(`kernelHeaders: ${a.kernelHeaders.label} provides no .deb`);
    if (arch !== 'x86_64' && !kernelHeaders) throw new Error(`kernelHeaders: a ${arch} glibc is cross-compiled and needs Debian's linux-libc-dev of that arch`);
    const libgcc = a.libgcc ? a.libgcc.providers.LibgccInfo as LibgccInfo | undefined : undefined;
    if (a.libgcc && !libgcc) throw new Error(`libgcc: ${a.libgcc.label} is not an xsc_libgcc target (no LibgccInfo)`);
    if (libgcc && (libgcc.arch !== arch || libgcc.variant !== a.variant)) throw new Error(`libgcc ${a.libgcc!.label} is ${libgcc.arch} ${libgcc.variant}, this glibc is ${arch} ${a.variant}`);
    if (libgcc && libgcc.stage !== 'static') throw new Error(`libgcc: ${a.libgcc!.label} is the full stage, which is built against this glibc; glibc takes the static stage (no glibc attr)`);
    if (arch === 'aarch64' && a.variant === 'cfi-compat' && !libgcc) {
      throw new Error('libgcc: an aarch64 cfi-compat glibc needs the XSC static libgcc (the cross gcc\'s libgcc.a has no BTI, and glibc links with -z force-bti)');
    }
    // 1. configure + make + make install inside the root, incremental through a persistent tree.
    const install = ctx.actions.declareDirectory(`${ctx.name}/install`);
    const buildDeps = a.buildDeps.flatMap((d) => d.files);
    const build = ctx.ruleFile('scripts/glibc/build-glibc.sh');
    ctx.actions.run({
      mnemonic: 'GlibcBuild',
      progress: `glibc ${version} ${arch} (${a.variant}${a.variant === 'cfi-compat' ? (arch === 'x86_64' ? ', --enable-cet' : ', BTI+PAC') : ''})`,
      argv: [
        '/usr/bin/bash', build, '--root', root.tarball.path, '--toolchain', tc.dir.path, '--dsc', dsc.path,
        '--series', series[0].path, '--variant', a.variant, '--version', version, '--out', install.path,
        ...(arch !== 'x86_64' ? ['--arch', arch] : []),
        ...(kernelHeaders ? ['--kernel-headers-deb', kernelHeaders.path] : []),
        ...(libgcc ? ['--libgcc', libgcc.dir.path] : []),
        ...buildDeps.flatMap((d) => ['--deb', d.path]),
      ],
      inputs: [root.tarball, tc.dir, ...srcs, ...series, ...patches, ...buildDeps, ...(kernelHeaders ? [kernelHeaders] : []), ...(libgcc ? [libgcc.dir] : [])],
      outputs: [install],
      tools: [build, ctx.ruleFile('scripts/glibc/glibc-make.sh'), ctx.ruleFile('scripts/glibc/glibc-install.sh'), ctx.ruleFile('scripts/debian/in-root.sh'),
        ...ROOT_TOOLS, '/usr/bin/dpkg-source', '/usr/bin/patch', '/usr/bin/rsync', ...(kernelHeaders ? ['/usr/bin/dpkg-deb'] : [])],
      cpu: a.jobs,
      memoryMb: 3072,
      // It unpacks the build root and works in it (files of many owners): root of a user namespace with a uid range.
      uidRange: true,
      persistentDir: `glibc-${arch}-${a.variant}`,
    });
    // 2. the .debs and the sysroot, from the install tree (a packaging fix reruns only this).
    const debs = names.map((p) => ctx.actions.declareFile(`${ctx.name}/${p}_${fileVersion(version)}_${debArch}.deb`));
    const sysroot = ctx.actions.declareDirectory(`${ctx.name}/sysroot`);
    const outDir = debs[0].path.slice(0, debs[0].path.lastIndexOf('/'));
    const pack = ctx.ruleFile('scripts/glibc/package-glibc.sh');
    ctx.actions.run({
      mnemonic: 'GlibcPackage',
      progress: `packaging glibc ${version} ${arch} (${a.variant}): libc6, libc6-dev, sysroot`,
      argv: ['/usr/bin/bash', pack, '--install', install.path, '--variant', a.variant, '--version', version, '--out', outDir,
        ...(arch !== 'x86_64' ? ['--arch', arch] : [])],
      inputs: [install],
      outputs: [...debs, sysroot],
      tools: [pack, '/usr/bin/bash', '/usr/bin/dpkg-deb', '/usr/bin/cpio'],
      sourceDateEpoch: a.sourceDateEpoch,
    });
    const info: GlibcInfo = { sysroot, version, variant: a.variant as GlibcInfo['variant'], arch };
    // As a DebInfo, glibc joins a package set like any source package of it.
    const deb: DebInfo = { source: 'glibc', version, variant: a.variant, debs, packages: names };
    return { files: [...debs, sysroot], providers: { GlibcInfo: info, DebInfo: deb } };
  },
});
