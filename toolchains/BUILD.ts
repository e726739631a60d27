// XSC toolchains for the target triple <arch>-xsc-linux-gnu, and the XSC glibc they link against.
//   //toolchains:x86_64-<variant>-bootstrap   Debian's pinned gcc 12 / binutils 2.40 wrapped with the
//                                             variant's flags and the XSC ABI note (builds glibc)
//   //toolchains:glibc-<variant>              glibc from Debian's pinned source + patches/glibc/
//                                             (cfi-compat: --enable-cet): libc6, libc6-dev, sysroot
//   //toolchains:x86_64-<variant>             the bootstrap wrappers + --sysroot on that glibc + the
//                                             variant's link gate: what every package builds with
// See rules/toolchain.ts and rules/glibc.ts.
import { xscGlibc, xscToolchain } from "xbuild";
import { BUILD_ROOT, VARIANTS, debLabels, lock, sourceFileLabels } from "../packages/lockTargets.js";

/** The XSC glibc patch series (applied after Debian's own), in series order. */
const GLIBC_PATCHES = [
  "patches/glibc/0001-xsc-ld.so-refuses-objects-without-the-xsc-abi-note.patch",
];

for (const variant of VARIANTS) {
  xscToolchain({ name: `x86_64-${variant}-bootstrap`, arch: "x86_64", variant });
  xscGlibc({
    name: `glibc-${variant}`,
    variant,
    version: lock.sources.glibc.version,
    srcs: sourceFileLabels("glibc"),
    series: "patches/glibc/series",
    patches: GLIBC_PATCHES,
    root: BUILD_ROOT,
    buildDeps: debLabels(lock.sources.glibc.buildDepends),
    toolchain: `:x86_64-${variant}-bootstrap`,
  });
  xscToolchain({ name: `x86_64-${variant}`, arch: "x86_64", variant, glibc: `:glibc-${variant}` });
}
