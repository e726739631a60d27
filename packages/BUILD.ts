// The XSC package set, generated from packages/debian.lock.json (`xbuild lock update` writes it;
// lockTargets.ts imports the JSON). Nothing here names a package by hand: a
// 2,600-package lock gives 2,600 source builds per variant through the same loops.
//
//   //packages:build-root-amd64          the build root (tarball) from the pinned .debs of the lock's buildRoot
//   //packages:src-<file>, deb-<binary>  pinned fetches (SHA-256 from the archive's indices)
//   //packages:root-<binary>             pinned fetches of the build root's .debs
//   //packages:<source>-<variant>        dpkg-buildpackage -B with //toolchains:x86_64-<variant>
//   //packages:cet-audit-cfi-compat      every ELF of every cfi-compat .deb has IBT+SHSTK (and every
//                                        linked one the XSC ABI note)
//   //packages:set-<variant>             DebSetInfo for the ISO: the set's .debs and the XSC glibc's
//                                        (//toolchains:glibc-<variant>); cfi-compat: the audited ones
//   //packages:repo-<variant>            flat APT repository of the set
import { aptRepository, debCetAudit, debSet, debianBuildRoot, debianPackage, fetch } from "xbuild";
import { BUILD_ROOT, VARIANTS, aptMirrorUrl, debFileName, debLabels, lock, sourceFileLabels, type SourceName } from "./lockTargets.js";

for (const p of lock.buildRoot.packages) {
  fetch({ name: `root-${p.name}`, urls: [aptMirrorUrl(p)], sha256: p.sha256, out: `root/${debFileName(p)}` });
}
debianBuildRoot({
  name: BUILD_ROOT.split(":")[1],
  suite: lock.suite,
  packages: lock.buildRoot.packages.map((p) => `${p.name}=${p.version}`),
  debs: lock.buildRoot.packages.map((p) => `:root-${p.name}`),
});

for (const source of Object.keys(lock.sources) as SourceName[]) {
  for (const f of lock.sources[source].files) {
    fetch({ name: `src-${f.name}`, urls: [aptMirrorUrl(f)], sha256: f.sha256, out: f.name });
  }
}
for (const [name, b] of Object.entries(lock.binaries)) {
  fetch({ name: `deb-${name}`, urls: [aptMirrorUrl(b)], sha256: b.sha256, out: debFileName(b) });
}

const setSources = new Set<string>(lock.set);
for (const variant of VARIANTS) {
  const built: string[] = [];
  for (const source of lock.set as readonly SourceName[]) {
    const s = lock.sources[source];
    const binaries = lock.binaries as Record<string, { readonly source: string }>;
    // Build-dependencies made by another member of the set come from that member's .debs.
    const fromSet = s.buildDepends.filter((b) => binaries[b].source !== source && setSources.has(binaries[b].source));
    const fromDebian = s.buildDepends.filter((b) => !fromSet.includes(b));
    debianPackage({
      name: `${source}-${variant}`,
      source,
      version: s.version,
      binaries: s.debs,
      srcs: sourceFileLabels(source),
      buildDeps: debLabels(fromDebian),
      setDeps: [...new Set(fromSet.map((b) => `:${binaries[b].source}-${variant}`))],
      setPackages: fromSet,
      root: BUILD_ROOT,
      toolchain: `//toolchains:x86_64-${variant}`,
      variant,
    });
    built.push(`:${source}-${variant}`);
  }
  // The XSC glibc (libc6, libc6-dev) is part of every set: the image's only C library.
  built.push(`//toolchains:glibc-${variant}`);
  if (variant === "cfi-compat") {
    debCetAudit({ name: `cet-audit-${variant}`, packages: built, variant });
    debSet({ name: `set-${variant}`, variant, packages: [`:cet-audit-${variant}`] });
  } else {
    debSet({ name: `set-${variant}`, variant, packages: built });
  }
  aptRepository({ name: `repo-${variant}`, set: `:set-${variant}` });
}
