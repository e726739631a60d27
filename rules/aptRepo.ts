/**
 * A flat APT repository of a package set: pool/*.deb, Packages, Packages.gz, Release
 * (rules/scripts/debian/apt-repo.sh). Byte-reproducible (sorted inputs, gzip -9n, Release dated
 * from SOURCE_DATE_EPOCH); the action fails unless apt, with a private state, accepts the
 * repository and sees every package in it.
 */
import { defineRule, attr, type Artifact } from '../engine/analyze/api.js';

/** A built APT repository. Made by `apt_repository`. Use as `deb [trusted=yes] file:<dir> ./`. */
export interface AptRepoInfo {
  readonly dir: Artifact;
  readonly variant: string;
}

export const aptRepository = defineRule({
  name: 'apt_repository',
  doc: 'A flat, reproducible APT repository of a DebSetInfo, checked with apt.',
  attrs: {
    set: attr.label({ doc: 'A deb_set (DebSetInfo).' }),
    origin: attr.string({ default: 'XSC' }),
    sourceDateEpoch: attr.int({ default: 1700000000 }),
  },
  impl(ctx) {
    const set = ctx.attrs.set.providers.DebSetInfo as { debs: readonly Artifact[]; variant: string } | undefined;
    if (!set) throw new Error(`set: ${ctx.attrs.set.label} does not provide DebSetInfo`);
    const dir = ctx.actions.declareDirectory(ctx.name);
    const script = ctx.ruleFile('scripts/debian/apt-repo.sh');
    ctx.actions.run({
      mnemonic: 'AptRepo',
      progress: `APT repository of ${set.debs.length} ${set.variant} packages`,
      argv: ['/usr/bin/bash', script, '--out', dir.path, '--origin', ctx.attrs.origin, '--label', `XSC ${set.variant}`,
        ...set.debs.map((d) => d.path)],
      inputs: set.debs,
      outputs: [dir],
      tools: [script, '/usr/bin/dpkg-scanpackages', '/usr/bin/apt-ftparchive', '/usr/bin/apt-get', '/usr/bin/gzip'],
      sourceDateEpoch: ctx.attrs.sourceDateEpoch,
    });
    const info: AptRepoInfo = { dir, variant: set.variant };
    return { files: [dir], providers: { AptRepoInfo: info } };
  },
});
