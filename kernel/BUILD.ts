// The XSC Linux kernel, Linux 6.1 from Debian's linux-source-6.1, one target per arch and variant.
// The source is the linux-source-6.1 .deb pinned in packages/debian.lock.json (`inputs`), fetched
// from the archive like every other pin: nothing comes from the host's installed packages.
// The series under patches/ is applied in order; config fragments are merged onto tinyconfig in
// the order given (common, per arch, per variant, then the arch's CFI options for the variant)
// and every option they ask for is checked.
import { fetch, kernelImage } from "xbuild";
import { aptMirrorUrl, lock } from "../packages/lockTargets.js";

const source = lock.inputs["linux-source-6.1"];
fetch({ name: "linux-source", urls: [aptMirrorUrl(source)], sha256: source.sha256, out: source.path.slice(source.path.lastIndexOf("/") + 1) });

const PATCHES = [
  "patches/0001-xsc-variant-boot-banner.patch",
  "patches/0002-cfi-jit-allowlist-option.patch",
  "patches/0003-xsc-abi-enforce.patch",
];

for (const arch of ["x86_64", "aarch64"] as const) {
  for (const variant of ["base", "cfi-compat"] as const) {
    kernelImage({
      name: `${arch}-${variant}`,
      arch,
      variant,
      source: ":linux-source",
      series: "patches/series",
      patches: PATCHES,
      configs: ["configs/common.config", `configs/${arch}.config`, `configs/${variant}.config`, `configs/${arch}-${variant}.config`],
      jobs: 2,
    });
  }
}
