// The XSC ISOs and their QEMU boot tests, x86_64.
//   //iso:base, //iso:cfi-compat                         bootable, byte-reproducible ISOs
//   //iso:base-boot-test, //iso:cfi-compat-boot-test     boot them and check the serial log
import { fetch, isoBootTest, isoDebSet, xscIso } from "xbuild";

// TEMPORARY stand-in for the package sets (`//packages:set-<variant>`, DebSetInfo) until they
// exist: Debian 12's own .debs, pinned by the SHA-256 of the archive's Packages index and fetched
// through the machine's apt configuration. hello is the program the boot test runs; libc6 is its
// runtime, dash the shell of /init, busybox-static gives /init mount and reboot.
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
const RUNTIME = [":debian-libc6", ":debian-dash", ":debian-busybox-static"];

for (const variant of ["base", "cfi-compat"] as const) {
  isoDebSet({ name: `standin-set-${variant}`, variant, debs: [":debian-hello"] });
  xscIso({
    name: variant,
    variant,
    kernel: `//kernel:x86_64-${variant}`,
    packages: [...RUNTIME, `:standin-set-${variant}`],
    run: "/usr/bin/hello",
    ...(variant === "base" ? { allowlist: "cfi-allowlist" } : {}),
  });
  isoBootTest({ name: `${variant}-boot-test`, iso: `:${variant}`, expect: "Hello, world!" });
}
