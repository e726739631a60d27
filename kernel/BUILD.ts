// The XSC Linux kernel, Linux 6.1 from Debian's linux-source-6.1, one target per arch and variant.
// The series under patches/ is applied in order; config fragments are merged onto tinyconfig in
// the order given (common, per arch, per variant) and every option they ask for is checked.
import { kernelImage } from "xbuild";

/** Debian 12's linux-source-6.1 6.1.192-3: SHA-256 of /usr/src/linux-source-6.1.tar.xz. */
const LINUX_SOURCE_SHA256 = "cacdc3830989309d042083be3307969e55600ed7f908cf00df544c5ff50759a1";

const PATCHES = [
  "patches/0001-xsc-variant-boot-banner.patch",
  "patches/0002-cfi-jit-allowlist-option.patch",
  "patches/0003-xsc-abi-enforce.patch",
];

for (const variant of ["base", "cfi-compat"] as const) {
  kernelImage({
    name: `x86_64-${variant}`,
    arch: "x86_64",
    variant,
    sourceSha256: LINUX_SOURCE_SHA256,
    series: "patches/series",
    patches: PATCHES,
    configs: ["configs/common.config", "configs/x86_64.config", `configs/${variant}.config`],
    jobs: 2,
  });
}
