// The XSC universe: every source package the image's binaries come from and every source whose
// XSC-built libraries those builds link, from universe.lock.json (`xbuild lock update --config
// packages/universe/lock.config.json`), bootstrapped as bootstrap.json says (universeGraph.ts).
//
//   //packages/universe:build-root-amd64             the universe's build root (buildd set + build-machine tools)
//   //packages/universe:src-<file>, root-<binary>    pinned fetches
//   //packages/universe:<source>-<variant>           the full build of a source
//   //packages/universe:<source>-stage-<variant>     its bootstrap build (profiles of its broken edges)
//   //packages/universe:universe-<variant>           every full build and the XSC glibc (DebSetInfo)
import { debSet, debianBuildRoot, debianPackage, fetch } from "xbuild";
import { VARIANTS, aptMirrorUrl, debFileName } from "../lockTargets.js";
import { lock, planUniverse } from "./universeGraph.js";

for (const p of lock.buildRoot.packages) {
  fetch({ name: `root-${p.name}`, urls: [aptMirrorUrl(p)], sha256: p.sha256, out: `root/${debFileName(p)}` });
}
debianBuildRoot({
  name: "build-root-amd64",
  suite: lock.suite,
  packages: lock.buildRoot.packages.map((p) => `${p.name}=${p.version}`),
  debs: lock.buildRoot.packages.map((p) => `:root-${p.name}`),
});

const plans = planUniverse();
const fetched = new Set<string>();
for (const p of plans) {
  for (const f of lock.sources[p.source].files) {
    if (fetched.has(f.name)) continue;
    fetched.add(f.name);
    fetch({ name: `src-${f.name}`, urls: [aptMirrorUrl(f)], sha256: f.sha256, out: `src/${f.name}` });
  }
}

// Until a build records its time: one minute, plus one per MB of compressed source (hello: 1.7
// min, gcc-12: ~90 min), one CPU. Documented in packages/universe/README.md.
const estimateMs = (source: string) => 60_000 + Math.round(lock.sources[source].files.reduce((n, f) => n + f.size, 0) / 1_048_576 * 60_000);
const target = (source: string, stage: boolean, variant: string) => `:${source}-${stage ? "stage-" : ""}${variant}`;

for (const variant of VARIANTS) {
  for (const p of plans) {
    debianPackage({
      name: target(p.source, p.stage, variant).slice(1),
      source: p.source,
      version: lock.sources[p.source].version,
      binaries: p.binaries,
      srcs: lock.sources[p.source].files.map((f) => `:src-${f.name}`),
      setDeps: p.deps.map((d) => target(d.source, d.stage, variant)),
      setPackages: p.installs,
      onlySetPackages: true,
      profiles: p.profiles,
      root: ":build-root-amd64",
      toolchain: `//toolchains:x86_64-${variant}`,
      variant,
      estimateMs: estimateMs(p.source),
    });
  }
  debSet({
    name: `universe-${variant}`,
    variant,
    packages: [...plans.filter((p) => !p.stage).map((p) => target(p.source, false, variant)), `//toolchains:glibc-${variant}`],
  });
}
