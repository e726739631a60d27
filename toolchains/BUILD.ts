// XSC toolchains for the target triple <arch>-xsc-linux-gnu: Debian's pinned gcc 12 / binutils
// 2.40 from the build root, wrapped with the variant's flags. cfi-compat also rebuilds glibc's
// startup objects with CET from the pinned glibc source (see rules/toolchain.ts).
//   //toolchains:x86_64-base, //toolchains:x86_64-cfi-compat
import { xscToolchain } from "xbuild";
import { BUILD_ROOT, VARIANTS, debLabels, lock, sourceFileLabels } from "../packages/lockTargets.js";

for (const variant of VARIANTS) {
  xscToolchain({
    name: `x86_64-${variant}`,
    arch: "x86_64",
    variant,
    root: BUILD_ROOT,
    ...(variant === "cfi-compat"
      ? { glibcSrcs: sourceFileLabels("glibc"), glibcBuildDeps: debLabels(lock.sources.glibc.buildDepends) }
      : {}),
  });
}
