// The XSC ISOs and their QEMU boot tests, x86_64.
//   //iso:base, //iso:cfi-compat                         bootable, byte-reproducible ISOs of the
//                                                        package sets //packages:set-<variant>
//   //iso:base-boot-test, //iso:cfi-compat-boot-test     boot them and check the serial log
//   //iso:standin-<variant>[-boot-test]                  the same with Debian's own hello + dash
import { fetch, isoBootTest, isoDebSet, xscIso } from "xbuild";

// Debian 12's own .debs, pinned by the SHA-256 of the archive's Packages index and fetched
// through the machine's apt configuration. libc6 is the runtime of the set's programs and
// busybox-static gives /init mount and reboot; neither is rebuilt in the set yet. hello and dash
// make the stand-in set.
const DEBIAN_DEBS = {
  hello: ["pool/main/h/hello/hello_2.10-3_amd64.deb", "2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a"],
  libc6: ["pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb", "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf"],
  dash: ["pool/main/d/dash/dash_0.5.12-2_amd64.deb", "33ea40061da2f1a861ec46212b2b6a34f0776a049b1a3f0abce2fb8cb994258f"],
  "busybox-static": ["pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb", "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744"],
} as const;

for (const [name, [path, sha256]] of Object.entries(DEBIAN_DEBS)) {
  fetch({ name: `debian-${name}`, urls: [`apt-mirror://debian/${path}`], sha256 });
}

// Runtime packages the boot needs whatever the set holds (unpacked first, the set on top).
const RUNTIME = [":debian-libc6", ":debian-busybox-static"];

for (const variant of ["base", "cfi-compat"] as const) {
  const common = {
    variant,
    kernel: `//kernel:x86_64-${variant}`,
    run: "/usr/bin/hello",
    ...(variant === "base" ? { allowlist: "cfi-allowlist" } : {}),
  };
  // The ISO of the distribution: the variant's package set, built from Debian sources.
  xscIso({ name: variant, packages: [...RUNTIME, `//packages:set-${variant}`], ...common });
  isoBootTest({ name: `${variant}-boot-test`, iso: `:${variant}`, expect: "Hello, world!" });

  // The same ISO from Debian's own hello and dash instead of the set: the kernel -> ISO -> boot
  // chain without building packages (scripts/e2e-kernel-iso.sh --standin, kernel work).
  isoDebSet({ name: `standin-set-${variant}`, variant, debs: [":debian-hello", ":debian-dash"] });
  xscIso({ name: `standin-${variant}`, packages: [...RUNTIME, `:standin-set-${variant}`], ...common });
  isoBootTest({ name: `standin-${variant}-boot-test`, iso: `:standin-${variant}`, expect: "Hello, world!" });
}
