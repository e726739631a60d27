// The package builds of one variant of the universe, declared by packages/universe/<variant>/BUILD.ts
// (one BUILD file a variant keeps each file's evaluation short: 2,070 builds, not 4,140).
//
//   //packages/universe/<variant>:<source>         the full build of a source
//   //packages/universe/<variant>:<source>-stage   its bootstrap build (the profiles of its broken edges)
//   //packages/universe/<variant>:universe         every full build and the XSC glibc (DebSetInfo)
import { debSet, debianPackage } from "xbuild";
import { lock, planUniverse, toolGroups, type PlannedBuild } from "./universeGraph.js";

let plans: readonly PlannedBuild[] | undefined;

// Until a build records its time: one minute, plus one per MB of compressed source (hello: 1.7
// min, gcc-12: ~90 min), one CPU. Documented in packages/universe/README.md.
const estimateMs = (source: string) => 60_000 + Math.round(lock.sources[source].files.reduce((n, f) => n + f.size, 0) / 1_048_576 * 60_000);
// The profiles the lock resolved every build's dependencies with (`cross nocheck nobiarch`: a
// build that kept `<!nocheck>` test dependencies would ask for packages the lock never pinned),
// and a stage build's own. build-deb.sh adds nobiarch itself.
const profilesOf = (p: PlannedBuild) => [...new Set([...lock.buildProfiles, ...p.profiles])].filter((x) => x !== "nobiarch").sort();
const target = (source: string, stage: boolean) => `:${source}${stage ? "-stage" : ""}`;

export function declareVariant(variant: "base" | "cfi-compat"): void {
  plans ??= planUniverse();
  const tools = toolGroups();
  for (const p of plans) {
    debianPackage({
      name: target(p.source, p.stage).slice(1),
      source: p.source,
      version: lock.sources[p.source].version,
      binaries: p.binaries,
      srcs: lock.sources[p.source].files.map((f) => `//packages/universe:src-${f.name}`),
      buildDeps: tools.groupOf.has(p.source) ? [`//packages/universe:tools-${tools.groupOf.get(p.source)}`] : [],
      setDeps: p.deps.map((d) => target(d.source, d.stage)),
      setPackages: p.installs,
      onlySetPackages: true,
      profiles: profilesOf(p),
      root: "//packages/universe:build-root-amd64",
      toolchain: `//toolchains:x86_64-${variant}`,
      variant,
      estimateMs: estimateMs(p.source),
    });
  }
  debSet({
    name: "universe",
    variant,
    packages: [...plans.filter((p) => !p.stage).map((p) => target(p.source, false)), `//toolchains:glibc-${variant}`],
  });
}
