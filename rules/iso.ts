/**
 * The XSC ISO and its boot test, per arch (x86_64, aarch64: the kernel's KernelInfo.arch).
 *
 *   xsc_iso:       .debs of the package set -> initramfs root (rules/scripts/iso/rootfs.sh)
 *                  kernel + initramfs + APT repository -> bootable ISO (iso.sh, grub-mkrescue):
 *                  x86_64 BIOS through the host's GRUB (grub-pc-bin); aarch64 UEFI through GRUB's
 *                  arm64-efi modules from Debian's pinned grub-efi-arm64-bin .deb (an input of the
 *                  action, given to grub-mkrescue with -d). Byte-identical across builds and
 *                  directories. Both steps are audit gates: every file of the root comes from an
 *                  XSC .deb of the variant's set (rootfs.manifest: path -> .deb) or is written by the
 *                  rule; every ELF of the root is of the arch and carries the XSC ABI note, and for
 *                  cfi-compat the arch's CFI marking (x86_64 IBT+SHSTK, aarch64 BTI+PAC)
 *                  (rootfs.audit); every file of the ISO is the kernel, the audited initramfs, the
 *                  set's repository, a rule-written file or GRUB's own boot code (iso.audit).
 *                  Anything else fails the build, listed.
 *   iso_boot_test: boots the ISO in QEMU (TCG, serial console; x86_64: qemu-system-x86_64 with
 *                  SeaBIOS, IDE CD-ROMs; aarch64: qemu-system-aarch64 -M virt -cpu max with AAVMF
 *                  UEFI firmware on pflash, virtio-scsi CD-ROMs) with the test's own foreign
 *                  (Debian) binaries on a second CD-ROM, and passes only when the serial log shows
 *                  the kernel's variant banner, the program's output, the XSC glibc's version line,
 *                  the image hosting its own ISO (repository complete, a .deb unpacked and run with
 *                  the image's own tools), the kernel and the XSC ld.so refusing every foreign
 *                  binary, and, when the image holds the CFI attack programs (xsc-cfi-tests), their
 *                  outcome: cfi-compat kills both attacks, base lets both run.
 *
 * Variant rules: the base root and ISO carry /etc/cfi/allowlist (the CFI JIT allowlist belongs to
 * the base kernel's CONFIG_CFI_JIT_ALLOWLIST); cfi-compat never does. Mixing variants or arches (a
 * base kernel in a cfi-compat ISO, a base package set, arm64 .debs with an x86_64 kernel) is an
 * analysis error.
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
  readonly arch: KernelInfo['arch'];
  /** The program /init runs; the boot test looks for its output. */
  readonly run: string;
  /** The root holds the CFI attack programs (xsc-cfi-tests), so /init runs them and the boot test checks their outcome. */
  readonly cfiAttacks: boolean;
}

/** What differs between the arches: the set's Debian arch and the host tools each action runs. */
interface ArchSpec {
  /** The Debian arch every .deb of the set is built for (or `all`). */
  readonly debArch: string;
  readonly isoTools: readonly string[];
  readonly bootTools: readonly string[];
  /** The ISO boots through GRUB from a pinned .deb (the `grub` attribute), not the host's. */
  readonly grubFromDeb: boolean;
  /**
   * The boot test runs the CFI attack programs (xsc-cfi-tests), so the ISO's root must hold them:
   * QEMU enforces aarch64's BTI and PAC under TCG; it does not emulate x86's CET.
   */
  readonly cfiAttacks: boolean;
  /** The boot test's hard limit on the QEMU run when the target gives none (TCG). */
  readonly bootTimeoutSeconds: number;
  readonly bootMemoryMb: number;
}

const ROOTFS_TOOLS = ['/usr/bin/bash', '/usr/bin/dpkg-deb', '/usr/bin/cpio', '/usr/bin/gzip', '/usr/bin/readelf'];
const REPO_TOOLS = ['/usr/bin/dpkg-scanpackages', '/usr/bin/apt-ftparchive', '/usr/bin/gzip'];
const ARCHES: Readonly<Record<KernelInfo['arch'], ArchSpec>> = {
  x86_64: {
    debArch: 'amd64',
    isoTools: [
      '/usr/bin/bash', '/usr/bin/grub-mkrescue', '/usr/bin/grub-mkimage', '/usr/bin/xorriso',
      '/usr/lib/grub/i386-pc/boot.img', '/usr/lib/grub/i386-pc/cdboot.img', '/usr/lib/grub/i386-pc/kernel.img',
      ...REPO_TOOLS,
    ],
    bootTools: ['/usr/bin/bash', '/usr/bin/qemu-system-x86_64', '/usr/share/seabios/bios-256k.bin', '/usr/bin/xorriso', '/usr/bin/dpkg-deb', '/usr/bin/readelf'],
    grubFromDeb: false,
    cfiAttacks: false,
    bootTimeoutSeconds: 300,
    bootMemoryMb: 512,
  },
  aarch64: {
    debArch: 'arm64',
    // grub-mkimage makes the EFI image from the .deb's modules; mtools makes its FAT image.
    isoTools: ['/usr/bin/bash', '/usr/bin/dpkg-deb', '/usr/bin/grub-mkrescue', '/usr/bin/grub-mkimage', '/usr/bin/xorriso',
      '/usr/bin/mformat', '/usr/bin/mcopy', ...REPO_TOOLS],
    bootTools: ['/usr/bin/bash', '/usr/bin/qemu-system-aarch64', '/usr/share/AAVMF/AAVMF_CODE.fd', '/usr/share/AAVMF/AAVMF_VARS.fd',
      '/usr/bin/xorriso', '/usr/bin/dpkg-deb', '/usr/bin/readelf'],
    grubFromDeb: true,
    cfiAttacks: true,
    bootTimeoutSeconds: 600,
    bootMemoryMb: 1024,
  },
};

/** The Debian arch in a .deb's file name (`<name>_<version>_<arch>.deb`). */
function debArchOf(deb: Artifact): string | undefined {
  return /_([a-z0-9-]+)\.deb$/.exec(deb.path)?.[1];
}

/** The .debs of every dependency: only package sets (DebSetInfo) built by xbuild for this variant and arch. */
function collectDebs(deps: readonly DepInfo[], variant: string, arch: KernelInfo['arch'], kernelLabel: string): Artifact[] {
  const seen = new Map<string, Artifact>();
  const { debArch } = ARCHES[arch];
  for (const d of deps) {
    const set = d.providers.DebSetInfo as DebSetInfo | undefined;
    if (!set) {
      throw new Error(`packages: ${d.label} is not a package set (no DebSetInfo): an XSC image holds only .debs xbuild built for its variant`);
    }
    if (set.variant !== variant) {
      throw new Error(`package set ${d.label} is built for variant "${set.variant}", this ISO is "${variant}"`);
    }
    const other = set.debs.filter((f) => debArchOf(f) !== debArch && debArchOf(f) !== 'all');
    if (other.length > 0) {
      const names = other.slice(0, 5).map((f) => f.path.slice(f.path.lastIndexOf('/') + 1));
      throw new Error(`package set ${d.label} holds ${other.length} .debs that are not ${debArch} (the arch of the kernel ${kernelLabel}, ${arch}): `
        + names.join(', ') + (other.length > names.length ? ', ...' : ''));
    }
    for (const f of set.debs) seen.set(f.path, f);
  }
  return [...seen.values()];
}

const CFI_TESTS_PACKAGE = 'xsc-cfi-tests';

export const xscIso = defineRule({
  name: 'xsc_iso',
  doc: 'A bootable, byte-reproducible XSC ISO of the kernel\'s arch: kernel, initramfs root from the package set, APT repository.',
  attrs: {
    variant: attr.string({ values: ['base', 'cfi-compat'] as const }),
    kernel: attr.label({ doc: 'A kernel_image target (KernelInfo) of the same variant; its arch is the ISO\'s.' }),
    packages: attr.labelList({ doc: 'Package sets (DebSetInfo) of this variant and the kernel\'s arch, unpacked in this order.' }),
    run: attr.string({ default: '/usr/bin/hello', doc: 'The program /init runs at boot (and again from its .deb in the ISO\'s repository).' }),
    rootPackages: attr.stringList({ default: [], doc: 'Binary packages of the set unpacked into the root (default: all); the repository holds every one.' }),
    allowlist: attr.label({ default: undefined as string | undefined, doc: 'The CFI JIT allowlist (base only).' }),
    grub: attr.label({ default: undefined as string | undefined, doc: 'aarch64: Debian\'s grub-efi-arm64-bin .deb (a pinned fetch): its arm64-efi modules make the UEFI boot image. x86_64 uses the host\'s grub-pc-bin.' }),
    sourceDateEpoch: attr.int({ default: 0, doc: 'The mtime of every file and the ISO volume dates.' }),
  },
  impl(ctx) {
    const { variant } = ctx.attrs;
    const kernel = ctx.attrs.kernel.providers.KernelInfo as KernelInfo | undefined;
    if (!kernel) throw new Error(`kernel: ${ctx.attrs.kernel.label} is not a kernel_image target (no KernelInfo)`);
    if (kernel.variant !== variant) {
      throw new Error(`kernel ${ctx.attrs.kernel.label} is the ${kernel.variant} variant, this ISO is ${variant}`);
    }
    const { arch } = kernel;
    const spec = ARCHES[arch];
    if (!spec) throw new Error(`kernel ${ctx.attrs.kernel.label} is for ${String(arch)}: ISOs are made for ${Object.keys(ARCHES).join(' and ')}`);
    const allowlist = ctx.attrs.allowlist?.files[0];
    if (variant === 'cfi-compat' && allowlist) {
      throw new Error('allowlist: the cfi-compat ISO never carries /etc/cfi/allowlist (the CFI JIT allowlist is base-only)');
    }
    if (variant === 'base' && !allowlist) throw new Error('allowlist: the base ISO must carry /etc/cfi/allowlist');
    let grubDeb: Artifact | undefined;
    if (spec.grubFromDeb) {
      const files = ctx.attrs.grub?.files.filter((f) => f.path.endsWith('.deb')) ?? [];
      if (files.length !== 1) {
        throw new Error(`grub: an ${arch} ISO needs exactly one GRUB .deb (Debian's grub-efi-${spec.debArch}-bin, a pinned fetch), got ${files.length}`);
      }
      grubDeb = files[0];
      if (debArchOf(grubDeb) !== spec.debArch) throw new Error(`grub: ${grubDeb.path} is not an ${spec.debArch} .deb`);
    } else if (ctx.attrs.grub) {
      throw new Error(`grub: an ${arch} ISO boots through the host's GRUB; only aarch64 takes a GRUB .deb`);
    }
    const debs = collectDebs(ctx.attrs.packages, variant, arch, ctx.attrs.kernel.label);
    const roots = ctx.attrs.rootPackages;
    const cfiAttacks = (roots.length === 0 || roots.includes(CFI_TESTS_PACKAGE))
      && debs.some((d) => d.path.slice(d.path.lastIndexOf('/') + 1).startsWith(`${CFI_TESTS_PACKAGE}_`));
    const allowArgs = allowlist ? ['--allowlist', allowlist.path] : [];
    const sde = ctx.attrs.sourceDateEpoch;

    const initramfs = ctx.actions.declareFile(`${ctx.name}/initramfs.cpio.gz`);
    const manifest = ctx.actions.declareFile(`${ctx.name}/rootfs.manifest`);
    const rootAudit = ctx.actions.declareFile(`${ctx.name}/rootfs.audit`);
    const rootfsScript = ctx.ruleFile('scripts/iso/rootfs.sh');
    ctx.actions.run({
      mnemonic: 'RootfsAssemble',
      progress: `assembling and auditing the ${arch} ${variant} root from ${debs.length} packages`,
      argv: ['/usr/bin/bash', rootfsScript, '--arch', arch, '--variant', variant, '--run', ctx.attrs.run, ...allowArgs,
        ...roots.flatMap((p) => ['--root-package', p]),
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
      progress: `making and auditing the ${arch} ${variant} ISO`,
      argv: ['/usr/bin/bash', isoScript, '--arch', arch, '--variant', variant, '--kernel', kernel.image.path,
        '--initramfs', initramfs.path, ...allowArgs, ...(grubDeb ? ['--grub-deb', grubDeb.path] : []),
        '--out', iso.path, '--out-audit', isoAudit.path, ...debs.map((d) => d.path)],
      inputs: [kernel.image, initramfs, ...debs, ...(allowlist ? [allowlist] : []), ...(grubDeb ? [grubDeb] : [])],
      outputs: [iso, isoAudit],
      tools: [isoScript, ...spec.isoTools],
      sourceDateEpoch: sde,
    });
    const info: IsoInfo = { iso, initramfs, variant: variant as IsoInfo['variant'], arch, run: ctx.attrs.run, cfiAttacks };
    return { files: [iso, rootAudit, isoAudit, manifest], providers: { IsoInfo: info } };
  },
});

export const isoBootTest = defineRule({
  name: 'iso_boot_test',
  doc: 'Boots an xsc_iso in QEMU (TCG) for its arch and checks the serial log: variant banner, program output, foreign binaries refused, CFI attacks.',
  attrs: {
    iso: attr.label({ doc: 'An xsc_iso target (IsoInfo).' }),
    expect: attr.string({ default: 'Hello, world!', doc: 'Text the program /init runs must print.' }),
    foreign: attr.labelList({ default: [], doc: 'Standard (Debian) .debs of the ISO\'s arch whose programs the booted image must refuse to run; put on a second CD-ROM by the test, never in the ISO.' }),
    timeoutSeconds: attr.int({ default: 0, doc: 'Hard limit on the QEMU run; 0: the arch\'s (x86_64 300 s, aarch64 600 s).' }),
  },
  impl(ctx) {
    const info = ctx.attrs.iso.providers.IsoInfo as IsoInfo | undefined;
    if (!info) throw new Error(`iso: ${ctx.attrs.iso.label} is not an xsc_iso target (no IsoInfo)`);
    const spec = ARCHES[info.arch];
    const log = ctx.actions.declareFile(`${ctx.name}/serial.log`);
    const result = ctx.actions.declareFile(`${ctx.name}/result`);
    const script = ctx.ruleFile('scripts/iso/boot-test.sh');
    const foreign = ctx.attrs.foreign.flatMap((d) => d.files).filter((f) => f.path.endsWith('.deb'));
    if (ctx.attrs.foreign.length > 0 && foreign.length === 0) throw new Error('foreign: no .deb among the labels');
    if (spec.cfiAttacks && !info.cfiAttacks) {
      throw new Error(`iso: ${ctx.attrs.iso.label} is ${info.arch}, whose boot test runs the CFI attacks: its root must hold ${CFI_TESTS_PACKAGE} (rootPackages)`);
    }
    const alien = foreign.filter((f) => debArchOf(f) !== spec.debArch && debArchOf(f) !== 'all');
    if (alien.length > 0) {
      throw new Error(`foreign: ${alien.map((f) => f.path).join(', ')}: not ${spec.debArch} .debs (the ISO ${ctx.attrs.iso.label} is ${info.arch}), so a refusal would prove nothing`);
    }
    ctx.actions.run({
      mnemonic: 'BootTest',
      progress: `booting the ${info.arch} ${info.variant} ISO in QEMU`,
      argv: ['/usr/bin/bash', script, '--arch', info.arch, '--iso', info.iso.path, '--variant', info.variant, '--expect', ctx.attrs.expect,
        '--run', info.run, ...(info.cfiAttacks ? ['--cfi-attacks'] : []), ...foreign.flatMap((f) => ['--foreign', f.path]),
        '--log', log.path, '--result', result.path, '--timeout', String(ctx.attrs.timeoutSeconds || spec.bootTimeoutSeconds)],
      inputs: [info.iso, ...foreign],
      outputs: [log, result],
      tools: [script, ...spec.bootTools],
      memoryMb: spec.bootMemoryMb,
    });
    return { files: [result, log], providers: {} };
  },
});
