/**
 * The XSC ISO and its boot test.
 *
 *   xsc_iso:       .debs of the package set -> initramfs root (rules/scripts/iso/rootfs.sh)
 *                  kernel + initramfs + APT repository -> bootable BIOS ISO (iso.sh, grub-mkrescue),
 *                  byte-identical across builds and directories. Both steps are audit gates: every
 *                  file of the root comes from an XSC .deb of the variant's set (rootfs.manifest:
 *                  path -> .deb) or is written by the rule; every ELF of the root carries the XSC ABI
 *                  note, and for cfi-compat IBT+SHSTK (rootfs.audit); every file of the ISO is the
 *                  kernel, the audited initramfs, the set's repository, a rule-written file or GRUB's
 *                  own boot code (iso.audit). Anything else fails the build, listed.
 *   iso_boot_test: boots the ISO in qemu-system-x86_64 (TCG, serial console) with the test's own
 *                  foreign (Debian) binaries on a second CD-ROM, and passes only when the serial log
 *                  shows the kernel's variant banner, the program's output, the XSC glibc's version
 *                  line, the image hosting its own ISO (repository complete, a .deb unpacked and run
 *                  with the image's own tools), and the kernel and the XSC ld.so refusing every
 *                  foreign binary.
 *
 * Variant rules: the base root and ISO carry /etc/cfi/allowlist (the CFI JIT allowlist belongs to
 * the base kernel's CONFIG_CFI_JIT_ALLOWLIST); cfi-compat never does. Mixing variants (a base
 * kernel in a cfi-compat ISO, a base package set) is an analysis error.
 */
import { defineRule, attr, type Artifact, type DepInfo } from '../engine/analyze/api.js';
import type { KernelInfo } from './kernel.js';

/** A set of Debian packages built for one variant. Made by the package rules (`//packages:set-*`). */
export interface DebSetInfo {
  readonly debs: readonly Artifact[];
  readonly variant: string;
}

/** What an ISO target gives its boot test. Made by `xsc_iso`. */
export interface IsoInfo {
  readonly iso: Artifact;
  readonly initramfs: Artifact;
  readonly variant: 'base' | 'cfi-compat';
  readonly arch: string;
  /** The program /init runs; the boot test looks for its output. */
  readonly run: string;
}

const ROOTFS_TOOLS = ['/usr/bin/bash', '/usr/bin/dpkg-deb', '/usr/bin/cpio', '/usr/bin/gzip', '/usr/bin/readelf'];
const ISO_TOOLS = [
  '/usr/bin/bash', '/usr/bin/grub-mkrescue', '/usr/bin/grub-mkimage', '/usr/bin/xorriso',
  '/usr/lib/grub/i386-pc/boot.img', '/usr/lib/grub/i386-pc/cdboot.img', '/usr/lib/grub/i386-pc/kernel.img',
  '/usr/bin/dpkg-scanpackages', '/usr/bin/apt-ftparchive', '/usr/bin/gzip',
];
const BOOT_TOOLS = ['/usr/bin/bash', '/usr/bin/qemu-system-x86_64', '/usr/share/seabios/bios-256k.bin', '/usr/bin/xorriso', '/usr/bin/dpkg-deb', '/usr/bin/readelf'];

/** The .debs of every dependency: only package sets (DebSetInfo) built by xbuild for this variant. */
function collectDebs(deps: readonly DepInfo[], variant: string): Artifact[] {
  const seen = new Map<string, Artifact>();
  for (const d of deps) {
    const set = d.providers.DebSetInfo as DebSetInfo | undefined;
    if (!set) {
      throw new Error(`packages: ${d.label} is not a package set (no DebSetInfo): an XSC image holds only .debs xbuild built for its variant`);
    }
    if (set.variant !== variant) {
      throw new Error(`package set ${d.label} is built for variant "${set.variant}", this ISO is "${variant}"`);
    }
    for (const f of set.debs) seen.set(f.path, f);
  }
  return [...seen.values()];
}

export const xscIso = defineRule({
  name: 'xsc_iso',
  doc: 'A bootable, byte-reproducible XSC ISO: kernel, initramfs root from the package set, APT repository.',
  attrs: {
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    kernel: attr.label({ doc: 'A kernel_image target (KernelInfo) of the same variant.' }),
    packages: attr.labelList({ doc: 'Package sets (DebSetInfo) of this variant, unpacked in this order.' }),
    run: attr.string({ default: '/usr/bin/hello', doc: 'The program /init runs at boot (and again from its .deb in the ISO\'s repository).' }),
    rootPackages: attr.stringList({ default: [], doc: 'Binary packages of the set unpacked into the root (default: all); the repository holds every one.' }),
    allowlist: attr.label({ default: undefined as string | undefined, doc: 'The CFI JIT allowlist (base only).' }),
    sourceDateEpoch: attr.int({ default: 0, doc: 'The mtime of every file and the ISO volume dates.' }),
  },
  impl(ctx) {
    const { variant } = ctx.attrs;
    const kernel = ctx.attrs.kernel.providers.KernelInfo as KernelInfo | undefined;
    if (!kernel) throw new Error(`kernel: ${ctx.attrs.kernel.label} is not a kernel_image target (no KernelInfo)`);
    if (kernel.variant !== variant) {
      throw new Error(`kernel ${ctx.attrs.kernel.label} is the ${kernel.variant} variant, this ISO is ${variant}`);
    }
    if (kernel.arch !== 'x86_64') throw new Error(`only x86_64 ISOs are supported so far, ${ctx.attrs.kernel.label} is ${kernel.arch}`);
    const allowlist = ctx.attrs.allowlist?.files[0];
    if (variant === 'cfi-compat' && allowlist) {
      throw new Error('allowlist: the cfi-compat ISO never carries /etc/cfi/allowlist (the CFI JIT allowlist is base-only)');
    }
    if (variant === 'base' && !allowlist) throw new Error('allowlist: the base ISO must carry /etc/cfi/allowlist');
    const debs = collectDebs(ctx.attrs.packages, variant);
    const allowArgs = allowlist ? ['--allowlist', allowlist.path] : [];
    const sde = ctx.attrs.sourceDateEpoch;

    const initramfs = ctx.actions.declareFile(`${ctx.name}/initramfs.cpio.gz`);
    const manifest = ctx.actions.declareFile(`${ctx.name}/rootfs.manifest`);
    const rootAudit = ctx.actions.declareFile(`${ctx.name}/rootfs.audit`);
    const rootfsScript = ctx.ruleFile('scripts/iso/rootfs.sh');
    ctx.actions.run({
      mnemonic: 'RootfsAssemble',
      progress: `assembling and auditing the ${variant} root from ${debs.length} packages`,
      argv: ['/usr/bin/bash', rootfsScript, '--variant', variant, '--run', ctx.attrs.run, ...allowArgs,
        ...ctx.attrs.rootPackages.flatMap((p) => ['--root-package', p]),
        '--out', initramfs.path, '--out-manifest', manifest.path, '--out-audit', rootAudit.path, ...debs.map((d) => d.path)],
      inputs: [...debs, ...(allowlist ? [allowlist] : [])],
      outputs: [initramfs, manifest, rootAudit],
      tools: [rootfsScript, ...ROOTFS_TOOLS],
      sourceDateEpoch: sde,
    });

    const iso = ctx.actions.declareFile(`${ctx.name}/xsc-${variant}.iso`);
    const isoAudit = ctx.actions.declareFile(`${ctx.name}/iso.audit`);
    const isoScript = ctx.ruleFile('scripts/iso/iso.sh');
    ctx.actions.run({
      mnemonic: 'IsoImage',
      progress: `making and auditing the ${variant} ISO`,
      argv: ['/usr/bin/bash', isoScript, '--variant', variant, '--kernel', kernel.image.path,
        '--initramfs', initramfs.path, ...allowArgs, '--out', iso.path, '--out-audit', isoAudit.path, ...debs.map((d) => d.path)],
      inputs: [kernel.image, initramfs, ...debs, ...(allowlist ? [allowlist] : [])],
      outputs: [iso, isoAudit],
      tools: [isoScript, ...ISO_TOOLS],
      sourceDateEpoch: sde,
    });
    const info: IsoInfo = { iso, initramfs, variant: variant as IsoInfo['variant'], arch: kernel.arch, run: ctx.attrs.run };
    return { files: [iso, rootAudit, isoAudit, manifest], providers: { IsoInfo: info } };
  },
});

export const isoBootTest = defineRule({
  name: 'iso_boot_test',
  doc: 'Boots an xsc_iso in qemu-system-x86_64 (TCG) and checks the serial log for the variant banner and the program output.',
  attrs: {
    iso: attr.label({ doc: 'An xsc_iso target (IsoInfo).' }),
    expect: attr.string({ default: 'Hello, world!', doc: 'Text the program /init runs must print.' }),
    foreign: attr.labelList({ default: [], doc: 'Standard (Debian) .debs whose programs the booted image must refuse to run; put on a second CD-ROM by the test, never in the ISO.' }),
    timeoutSeconds: attr.int({ default: 300, doc: 'Hard limit on the QEMU run.' }),
  },
  impl(ctx) {
    const info = ctx.attrs.iso.providers.IsoInfo as IsoInfo | undefined;
    if (!info) throw new Error(`iso: ${ctx.attrs.iso.label} is not an xsc_iso target (no IsoInfo)`);
    const log = ctx.actions.declareFile(`${ctx.name}/serial.log`);
    const result = ctx.actions.declareFile(`${ctx.name}/result`);
    const script = ctx.ruleFile('scripts/iso/boot-test.sh');
    const foreign = ctx.attrs.foreign.flatMap((d) => d.files).filter((f) => f.path.endsWith('.deb'));
    if (ctx.attrs.foreign.length > 0 && foreign.length === 0) throw new Error('foreign: no .deb among the labels');
    ctx.actions.run({
      mnemonic: 'BootTest',
      progress: `booting the ${info.variant} ISO in QEMU`,
      argv: ['/usr/bin/bash', script, '--iso', info.iso.path, '--variant', info.variant, '--expect', ctx.attrs.expect,
        '--run', info.run, ...foreign.flatMap((f) => ['--foreign', f.path]),
        '--log', log.path, '--result', result.path, '--timeout', String(ctx.attrs.timeoutSeconds)],
      inputs: [info.iso, ...foreign],
      outputs: [log, result],
      tools: [script, ...BOOT_TOOLS],
      memoryMb: 512,
    });
    return { files: [result, log], providers: {} };
  },
});
