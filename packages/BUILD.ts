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
// aarch64 (arm64 .debs, cross-built on this machine: dpkg-buildpackage -a arm64 in the same root
// with the lock's crossTools, //toolchains:aarch64-<variant>):
//   //packages:aarch64-<source>-<variant>       each source of the set
//   //packages:aarch64-xsc-cfi-tests-<variant>  the CFI attack programs (xsc-cfi-tests/ here)
//   //packages:aarch64-audit-cfi-compat         every ELF is AArch64 with BTI+PAC (and XSC-marked)
//   //packages:aarch64-set-<variant>, aarch64-repo-<variant>
import { aptRepository, debCetAudit, debSet, debianBuildRoot, debianPackage, debianSource, fetch } from "xbuild";
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
const binaries = lock.binaries as Record<string, { readonly source: string }>;
/** A source of the set as a package target named `<prefix><source>-<variant>`: its build-dependencies
 *  made by another member of the set come from that member's .debs, the rest from Debian's. */
function setMember(source: SourceName, variant: string, prefix: string) {
  const s = lock.sources[source];
  const fromSet = s.buildDepends.filter((b) => binaries[b].source !== source && setSources.has(binaries[b].source));
  const fromDebian = s.buildDepends.filter((b) => !fromSet.includes(b));
  return {
    name: `${prefix}${source}-${variant}`,
    source,
    version: s.version,
    binaries: s.debs,
    srcs: sourceFileLabels(source),
    buildDeps: debLabels(fromDebian),
    setDeps: [...new Set(fromSet.map((b) => `:${prefix}${binaries[b].source}-${variant}`))],
    setPackages: fromSet,
  };
}

for (const variant of VARIANTS) {
  const built: string[] = [];
  for (const source of lock.set as readonly SourceName[]) {
    debianPackage({ ...setMember(source, variant, ""), root: BUILD_ROOT, toolchain: `//toolchains:x86_64-${variant}`, variant });
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

// aarch64. The XSC glibc of the arch is a build dependency of every package here (its libc6 goes
// into the toolchain's sysroot and its shlibs decide the .debs' Depends; see build-deb.sh).
const crossTools = debLabels(lock.crossTools.aarch64);
debianSource({ name: "xsc-cfi-tests-source", dir: "xsc-cfi-tests", source: "xsc-cfi-tests", version: "1.0" });
for (const variant of VARIANTS) {
  const glibc = `//toolchains:aarch64-glibc-${variant}`;
  const common = {
    root: BUILD_ROOT, toolchain: `//toolchains:aarch64-${variant}`, variant, debArch: "arm64", onlySetPackages: true,
  } as const;
  const built: string[] = [];
  for (const source of lock.set as readonly SourceName[]) {
    const m = setMember(source, variant, "aarch64-");
    debianPackage({
      ...common,
      ...m,
      buildDeps: [...m.buildDeps, ...crossTools],
      setDeps: [...m.setDeps, glibc],
      setPackages: [...m.setPackages, "libc6"],
    });
    built.push(`:aarch64-${source}-${variant}`);
  }
  debianPackage({
    ...common,
    name: `aarch64-xsc-cfi-tests-${variant}`,
    source: "xsc-cfi-tests",
    version: "1.0",
    binaries: ["xsc-cfi-tests"],
    srcs: [":xsc-cfi-tests-source"],
    buildDeps: crossTools,
    setDeps: [glibc],
    setPackages: ["libc6"],
  });
  built.push(`:aarch64-xsc-cfi-tests-${variant}`, glibc);
  if (variant === "cfi-compat") {
    debCetAudit({ name: `aarch64-audit-${variant}`, packages: built, variant, arch: "aarch64" });
    debSet({ name: `aarch64-set-${variant}`, variant, packages: [`:aarch64-audit-${variant}`] });
  } else {
    debSet({ name: `aarch64-set-${variant}`, variant, packages: built });
  }
  aptRepository({ name: `aarch64-repo-${variant}`, set: `:aarch64-set-${variant}` });
}
