/**
 * Build roots: the chroot every Debian package and the cfi-compat toolchain build in.
 *
 * One action installs exactly the packages of packages/debian.lock.json's buildRoot section,
 * from their pinned .debs (fetch targets: the engine checks each SHA-256), with
 * `mmdebstrap --variant=essential --include=<the pinned set>` over a local repository of those
 * .debs, and checks that the root holds exactly that set (rules/scripts/debian/make-root.sh).
 * No network: nothing of the host's installed packages or of the archive's current state enters
 * it. Its output is a tarball, stored by content like any other output; SOURCE_DATE_EPOCH makes
 * it byte-reproducible.
 */
import { defineRule, attr, type Artifact } from '../engine/analyze/api.js';

/** A build root tarball. Made by `debian_build_root`; consumed by toolchains and package builds. */
export interface BuildRootInfo {
  /** The root filesystem as a tar archive (extract as root with `tar -xf`). */
  readonly tarball: Artifact;
  /** Debian architecture of the root (amd64). */
  readonly debArch: string;
  /** The pin file it was made from (suite, then "name version" lines). */
  readonly pins: Artifact;
}

/**
 * Host programs every action that unpacks and enters a build root runs (in-root.sh). Such an
 * action declares `uidRange: true`: it is root only inside its own user namespace.
 */
export const ROOT_TOOLS = ['/usr/bin/bash', '/usr/bin/tar', '/usr/bin/unshare', '/usr/sbin/chroot'];

export const debianBuildRoot = defineRule({
  name: 'debian_build_root',
  doc: 'A pinned mmdebstrap --variant=buildd root, as a reproducible tarball.',
  attrs: {
    suite: attr.string({ doc: 'Debian suite of the archive (bookworm).' }),
    packages: attr.stringList({ doc: '"name=version" of every package of the root (the lock\'s buildRoot), exactly.' }),
    debs: attr.labelList({ doc: 'The pinned .deb of every one of those packages (fetch targets).' }),
    debArch: attr.string({ default: 'amd64', values: ['amd64', 'arm64'] }),
    sourceDateEpoch: attr.int({ default: 1700000000, doc: 'Clamps every mtime in the tarball.' }),
  },
  impl(ctx) {
    if (ctx.attrs.packages.length === 0) throw new Error('packages: a build root needs its pinned package list');
    for (const p of ctx.attrs.packages) {
      if (!/^[a-z0-9][a-z0-9+.-]*=[A-Za-z0-9.+~:-]+$/.test(p)) throw new Error(`packages: "${p}" is not name=version`);
    }
    // Only the root's own pins are an input, so editing other parts of the lock keeps the root.
    const pins = ctx.actions.write(`${ctx.name}.pins`,
      `${ctx.attrs.suite}\n${[...ctx.attrs.packages].sort().map((p) => p.replace('=', ' ')).join('\n')}\n`);
    const debs = ctx.attrs.debs.flatMap((d) => d.files);
    if (debs.length !== ctx.attrs.packages.length) {
      throw new Error(`debs: ${debs.length} .debs for ${ctx.attrs.packages.length} pinned packages; give one pinned .deb per package`);
    }
    const tarball = ctx.actions.declareFile(`${ctx.name}.tar`);
    const script = ctx.ruleFile('scripts/debian/make-root.sh');
    ctx.actions.run({
      mnemonic: 'BuildRoot',
      progress: `mmdebstrap: build root of ${debs.length} pinned packages ${ctx.label}`,
      argv: ['/usr/bin/bash', script, pins.path, tarball.path, ...debs.map((d) => d.path)],
      inputs: [pins, ...debs],
      outputs: [tarball],
      tools: [script, '/usr/bin/mmdebstrap', '/usr/bin/dpkg-scanpackages', '/usr/bin/apt-ftparchive'],
      // mmdebstrap makes a root filesystem (files of many owners): root of a user namespace with a uid range.
      uidRange: true,
      sourceDateEpoch: ctx.attrs.sourceDateEpoch,
      memoryMb: 1024,
    });
    const info: BuildRootInfo = { tarball, debArch: ctx.attrs.debArch, pins };
    return { files: [tarball], providers: { BuildRootInfo: info } };
  },
});
