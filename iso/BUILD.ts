// The XSC ISOs and their QEMU boot tests, x86_64.
//   //iso:base, //iso:cfi-compat                         bootable, byte-reproducible ISOs of the
//                                                        package sets //packages:set-<variant> (the
//                                                        set's sources and the XSC glibc), audited:
//                                                        nothing in them comes from anywhere else
//   //iso:base-boot-test, //iso:cfi-compat-boot-test     boot them and check the serial log, with
//                                                        Debian's own binaries on a second CD-ROM
//                                                        that the XSC kernel and ld.so must refuse
import { fetch, isoBootTest, xscIso } from "xbuild";

// Debian 12's own .debs, pinned by the SHA-256 of the archive's Packages index: the boot test's
// standard binaries (a static busybox and a dynamic hello), which the booted XSC image must refuse
// to run. They are never in an ISO: the test attaches them as a second CD-ROM.
const FOREIGN_DEBS = {
  hello: ["pool/main/h/hello/hello_2.10-3_amd64.deb", "2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a"],
  "busybox-static": ["pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb", "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744"],
} as const;
for (const [name, [path, sha256]] of Object.entries(FOREIGN_DEBS)) {
  fetch({ name: `debian-${name}`, urls: [`apt-mirror://debian/${path}`], sha256 });
}

// What the root filesystem holds (the repository holds the whole set): the C library, the shell,
// busybox (mount, ar, xz, tar, reboot for /init), the program the boot runs, and zlib.
const ROOT_PACKAGES = ["libc6", "dash", "busybox", "hello", "zlib1g"];

for (const variant of ["base", "cfi-compat"] as const) {
  xscIso({
    name: variant,
    variant,
    kernel: `//kernel:x86_64-${variant}`,
    packages: [`//packages:set-${variant}`],
    rootPackages: ROOT_PACKAGES,
    run: "/usr/bin/hello",
    ...(variant === "base" ? { allowlist: "cfi-allowlist" } : {}),
  });
  isoBootTest({
    name: `${variant}-boot-test`,
    iso: `:${variant}`,
    expect: "Hello, world!",
    foreign: [":debian-hello", ":debian-busybox-static"],
  });
}
