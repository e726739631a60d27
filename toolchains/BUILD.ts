// XSC toolchains for the target triple <arch>-xsc-linux-gnu, and the XSC glibc they link against.
//   //toolchains:<arch>-<variant>-bootstrap   Debian's pinned gcc 12 / binutils 2.40 (aarch64: the
//                                             pinned cross gcc-12-aarch64-linux-gnu) wrapped with the
//                                             variant's flags and the XSC ABI note (builds glibc)
//   //toolchains:glibc-<variant>              x86_64 glibc from Debian's pinned source + patches/glibc/
//   //toolchains:aarch64-glibc-<variant>      (cfi-compat: x86_64 --enable-cet, aarch64 BTI+PAC):
//                                             libc6, libc6-dev, sysroot
//   //toolchains:aarch64-libgcc-<variant>     gcc 12's libgcc (crt files, libgcc.a, libgcc_eh.a,
//                                             libgcc_s.so.1) from the pinned gcc-12-source, built with
//                                             the bootstrap toolchain against that glibc (cfi-compat:
//                                             BTI+PAC on every object)
//   //toolchains:<arch>-<variant>             the bootstrap wrappers + --sysroot on that glibc + the
//                                             variant's link gate: what every package builds with
//                                             (aarch64: linking with the XSC libgcc)
// aarch64 is built by cross compiling on this x86_64 machine, in the same build root with the
// lock's crossTools installed. See rules/toolchain.ts and rules/glibc.ts.
import { fetch, xscGlibc, xscLibgcc, xscToolchain } from "xbuild";
import { BUILD_ROOT, VARIANTS, aptMirrorUrl, debFileName, debLabels, lock, sourceFileLabels } from "../packages/lockTargets.js";

/** The XSC glibc patch series (applied after Debian's own), in series order. */
const GLIBC_PATCHES = [
  "patches/glibc/0001-xsc-ld.so-refuses-objects-without-the-xsc-abi-note.patch",
];

/** What every XSC glibc target shares: Debian's source, both series, the build root. */
const GLIBC_COMMON = {
  version: lock.sources.glibc.version,
  srcs: sourceFileLabels("glibc"),
  series: "patches/glibc/series",
  patches: GLIBC_PATCHES,
  root: BUILD_ROOT,
} as const;

for (const variant of VARIANTS) {
  xscToolchain({ name: `x86_64-${variant}-bootstrap`, arch: "x86_64", variant });
  xscGlibc({
    ...GLIBC_COMMON,
    name: `glibc-${variant}`,
    variant,
    buildDeps: debLabels(lock.sources.glibc.buildDepends),
    toolchain: `:x86_64-${variant}-bootstrap`,
  });
  xscToolchain({ name: `x86_64-${variant}`, arch: "x86_64", variant, glibc: `:glibc-${variant}` });
}

// aarch64: Debian's linux-libc-dev for arm64 gives the uapi headers (the root's are amd64's).
const arm64Headers = lock.inputs["linux-libc-dev:arm64"];
fetch({ name: "linux-libc-dev-arm64", urls: [aptMirrorUrl(arm64Headers)], sha256: arm64Headers.sha256, out: debFileName(arm64Headers) });
// gcc's own source (Debian's gcc-12-source: the upstream tarball and Debian's patches), for the
// XSC gcc run time (libgcc): Debian's cross gcc's own has no BTI marks and is a Debian binary.
const gccSource = lock.inputs["gcc-12-source"];
fetch({ name: "gcc-12-source", urls: [aptMirrorUrl(gccSource)], sha256: gccSource.sha256, out: debFileName(gccSource) });

for (const variant of VARIANTS) {
  xscToolchain({ name: `aarch64-${variant}-bootstrap`, arch: "aarch64", variant });
  // cfi-compat: glibc links ld.so and libc.so with -z force-bti, so the libgcc.a it links (-lgcc:
  // 128-bit long double arithmetic) must be BTI-marked: the XSC static stage, built before glibc.
  // (base links the cross gcc's own libgcc.a, as x86_64 links Debian's gcc's.)
  if (variant === "cfi-compat") {
    xscLibgcc({ name: `aarch64-libgcc-static-${variant}`, variant, source: ":gcc-12-source", toolchain: `:aarch64-${variant}-bootstrap` });
  }
  xscGlibc({
    ...GLIBC_COMMON,
    name: `aarch64-glibc-${variant}`,
    variant,
    buildDeps: debLabels([...lock.sources.glibc.buildDepends, ...lock.crossTools.aarch64]),
    kernelHeaders: ":linux-libc-dev-arm64",
    toolchain: `:aarch64-${variant}-bootstrap`,
    ...(variant === "cfi-compat" ? { libgcc: `:aarch64-libgcc-static-${variant}` } : {}),
  });
  xscLibgcc({
    name: `aarch64-libgcc-${variant}`,
    variant,
    source: ":gcc-12-source",
    toolchain: `:aarch64-${variant}-bootstrap`,
    glibc: `:aarch64-glibc-${variant}`,
  });
  xscToolchain({ name: `aarch64-${variant}`, arch: "aarch64", variant, glibc: `:aarch64-glibc-${variant}`, libgcc: `:aarch64-libgcc-${variant}` });
}
