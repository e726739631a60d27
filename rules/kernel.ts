/**
 * The XSC Linux kernel: Debian's linux-source (a pinned fetch of the linux-source .deb) + the quilt series
 * under kernel/patches/ + config fragments merged onto tinyconfig, built by
 * rules/scripts/kernel/build.sh in ONE action that takes many CPU slots (make -jN inside).
 *
 * Incremental: the action has a persistent dir per arch and variant (outside the action key)
 * holding the extracted tarball and a make build tree. The key still covers every input
 * (the source .deb, series, each patch, each fragment, the script, the host compiler and tools), and the
 * script makes the tree equal to "pristine + series" by content before make runs, so the image
 * depends only on the inputs; build.sh's header explains why, and how an interrupted tree is
 * detected (a marker written after success) and rebuilt clean.
 */
import { defineRule, attr, type Artifact } from '../engine/analyze/api.js';

/** What a kernel target gives the ISO rules. Made by `kernel_image`. */
export interface KernelInfo {
  /** The bootable image (bzImage on x86_64, Image on aarch64). */
  readonly image: Artifact;
  /** The final, checked .config the image was built with. */
  readonly config: Artifact;
  readonly arch: 'x86_64' | 'aarch64';
  readonly variant: 'base' | 'cfi-compat';
}

/** Host tools whose content decides the kernel's bytes: their digests go into the action key. */
const HOST_TOOLS: Record<string, readonly string[]> = {
  x86_64: [
    '/usr/bin/bash', '/usr/bin/make', '/usr/bin/patch', '/usr/bin/rsync',
    '/usr/bin/x86_64-linux-gnu-gcc-12', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
    '/usr/bin/x86_64-linux-gnu-as', '/usr/bin/x86_64-linux-gnu-ld.bfd',
  ],
  aarch64: [
    '/usr/bin/bash', '/usr/bin/make', '/usr/bin/patch', '/usr/bin/rsync',
    '/usr/bin/aarch64-linux-gnu-gcc-12', '/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1',
    '/usr/bin/aarch64-linux-gnu-as', '/usr/bin/aarch64-linux-gnu-ld.bfd',
  ],
};

export const kernelImage = defineRule({
  name: 'kernel_image',
  doc: 'Linux from a pinned source tarball, a quilt series and merged config fragments (one make -jN action).',
  attrs: {
    arch: attr.string({ values: ['x86_64', 'aarch64'] as const }),
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    source: attr.label({ doc: 'Debian\'s linux-source-<version> .deb (a pinned fetch), or the linux-source .tar.xz it holds.' }),
    series: attr.label({ doc: 'The quilt series file; the patches it names are next to it.' }),
    patches: attr.labelList({ doc: 'Every patch the series names (inputs of the action).' }),
    configs: attr.labelList({ doc: 'Config fragments, merged in this order onto tinyconfig.' }),
    jobs: attr.int({ default: 2, doc: 'make -j and the CPU slots the scheduler reserves.' }),
    sourceDateEpoch: attr.int({ default: 0, doc: 'The build timestamp the kernel embeds.' }),
  },
  impl(ctx) {
    const { arch, variant } = ctx.attrs;
    const source = single(ctx.attrs.source.files, 'source', ctx.label);
    if (!/\.(deb|tar\.xz)$/.test(source.path)) throw new Error(`source: ${source.path} is neither a linux-source .deb nor a .tar.xz`);
    const series = single(ctx.attrs.series.files, 'series', ctx.label);
    const patches = ctx.attrs.patches.flatMap((d) => d.files);
    const seriesDir = series.path.slice(0, series.path.lastIndexOf('/') + 1);
    for (const p of patches) {
      if (!p.path.startsWith(seriesDir) || p.path.slice(seriesDir.length).includes('/')) {
        throw new Error(`patch ${p.path} must sit next to the series file ${series.path}`);
      }
    }
    const configs = ctx.attrs.configs.flatMap((d) => d.files);
    if (configs.length === 0) throw new Error('configs: at least one config fragment is needed');
    const imageName = arch === 'x86_64' ? 'bzImage' : 'Image';
    const image = ctx.actions.declareFile(`${ctx.name}/${imageName}`);
    const config = ctx.actions.declareFile(`${ctx.name}/kernel.config`);
    const script = ctx.ruleFile('scripts/kernel/build.sh');
    ctx.actions.run({
      mnemonic: 'KernelBuild',
      progress: `building Linux ${arch} ${variant} kernel ${ctx.label}`,
      argv: [
        '/usr/bin/bash', script,
        '--source', source.path,
        '--series', series.path, '--arch', arch, '--variant', variant,
        ...configs.flatMap((c) => ['--config', c.path]),
        '--out-image', image.path, '--out-config', config.path,
      ],
      inputs: [source, series, ...patches, ...configs],
      outputs: [image, config],
      tools: [script, ...(HOST_TOOLS[arch] ?? [])],
      cpu: ctx.attrs.jobs,
      memoryMb: 2048,
      persistentDir: `kernel-${arch}-${variant}`,
      sourceDateEpoch: ctx.attrs.sourceDateEpoch,
    });
    const info: KernelInfo = { image, config, arch: arch as KernelInfo['arch'], variant: variant as KernelInfo['variant'] };
    return { files: [image, config], providers: { KernelInfo: info } };
  },
});

function single(files: readonly Artifact[], attrName: string, label: string): Artifact {
  if (files.length !== 1) throw new Error(`${label}: "${attrName}" must name exactly one file, it has ${files.length}`);
  return files[0];
}
