// The XSC ISOs and their QEMU boot tests, one per arch and variant.
//   //iso:<arch>-<variant>               bootable, byte-reproducible ISOs of the package set (the
//                                        set's sources and the XSC glibc), audited: nothing in them
//                                        comes from anywhere else. x86_64: BIOS (the host's GRUB);
//                                        aarch64: UEFI (GRUB from Debian's pinned grub-efi-arm64-bin)
//   //iso:<arch>-<variant>-boot-test     boot them in QEMU (TCG) and check the serial log, with
//                                        Debian's own binaries of the arch on a second CD-ROM that
//                                        the XSC kernel and ld.so must refuse; aarch64 also runs the
//                                        BTI and PAC attack programs (xsc-cfi-tests)
//   //iso:<variant>, //iso:<variant>-boot-test   the x86_64 ones under their first names (filegroups
//                                        of the same files: building one builds the other)
// <arch> is x86_64 or aarch64, <variant> base or cfi-compat.
import { fetch, filegroup, isoBootTest, xscIso } from "xbuild";
import { aptMirrorUrl, debFileName, lock } from "../packages/lockTargets.js";

// Debian 12's own amd64 .debs, pinned by the SHA-256 of the archive's Packages index: the x86_64
// boot test's standard binaries (a static busybox and a dynamic hello), which the booted XSC image
// must refuse to run. They are never in an ISO: the test attaches them as a second CD-ROM.
const FOREIGN_DEBS = {
  hello: ["pool/main/h/hello/hello_2.10-3_amd64.deb", "2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a"],
  "busybox-static": ["pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb", "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744"],
} as const;
for (const [name, [path, sha256]] of Object.entries(FOREIGN_DEBS)) {
  fetch({ name: `debian-${name}`, urls: [`apt-mirror://debian/${path}`], sha256 });
}

// The arm64 ones come from the lock's inputs (packages/debian.lock.json), with the UEFI GRUB the
// aarch64 ISO boots through: its modules and EFI image are the ISO action's inputs, never the
// host's.
const ARM64_INPUTS = { "debian-hello-arm64": "hello:arm64", "debian-busybox-static-arm64": "busybox-static:arm64", "grub-efi-arm64-bin": "grub-efi-arm64-bin:arm64" } as const;
for (const [name, key] of Object.entries(ARM64_INPUTS)) {
  const deb = lock.inputs[key];
  fetch({ name, urls: [aptMirrorUrl(deb)], sha256: deb.sha256, out: debFileName(deb) });
}

// What the root filesystem holds (the repository holds the whole set): the C library, the shell,
// busybox (mount, ar, xz, tar, reboot for /init), the program the boot runs, and zlib; on aarch64
// also the CFI attack programs /init runs (xsc-bti-attack, xsc-pac-attack).
const ROOT_PACKAGES = ["libc6", "dash", "busybox", "hello", "zlib1g"];

const ARCHES = {
  x86_64: { set: "set", rootPackages: ROOT_PACKAGES, foreign: [":debian-hello", ":debian-busybox-static"], grub: {} },
  aarch64: {
    set: "aarch64-set",
    rootPackages: [...ROOT_PACKAGES, "xsc-cfi-tests"],
    foreign: [":debian-hello-arm64", ":debian-busybox-static-arm64"],
    grub: { grub: ":grub-efi-arm64-bin" },
  },
} as const;

for (const [arch, a] of Object.entries(ARCHES)) {
  for (const variant of ["base", "cfi-compat"] as const) {
    const name = `${arch}-${variant}`;
    xscIso({
      name,
      variant,
      kernel: `//kernel:${arch}-${variant}`,
      packages: [`//packages:${a.set}-${variant}`],
      rootPackages: a.rootPackages,
      run: "/usr/bin/hello",
      ...a.grub,
      ...(variant === "base" ? { allowlist: "cfi-allowlist" } : {}),
    });
    isoBootTest({
      name: `${name}-boot-test`,
      iso: `:${name}`,
      expect: "Hello, world!",
      foreign: a.foreign,
    });
  }
}

// The user's first entry points: the x86_64 ISOs and boot tests under their variant's name.
for (const variant of ["base", "cfi-compat"] as const) {
  filegroup({ name: variant, srcs: [`:x86_64-${variant}`] });
  filegroup({ name: `${variant}-boot-test`, srcs: [`:x86_64-${variant}-boot-test`] });
}
