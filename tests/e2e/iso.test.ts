/**
 * The ISO scripts (rules/scripts/iso/) as real processes, on small .debs made here.
 * x86_64:
 *   - rootfs.sh refuses Debian's own binaries (no XSC ABI note), naming each file and its .deb;
 *   - initramfs and ISO are byte-identical when built twice in different directories, and the ISO
 *     audit classifies every file (kernel, audited root, set .debs, rule files, GRUB boot code);
 *   - the cfi-compat audit refuses an ELF without IBT+SHSTK; the base root and ISO carry
 *     /etc/cfi/allowlist, cfi-compat refuses one;
 *   - a root whose program lacks its ELF interpreter, or two .debs installing one file, fail naming it;
 *   - the boot test fails printing the serial log's tail when /init cannot run (a real XSC kernel
 *     from `xbuild build //kernel:x86_64-base`, cache in $XSC_E2E_CACHE, default
 *     /var/tmp/xsc-e2e-cache: minutes cold, seconds warm). The passing boot of real images is
 *     scripts/e2e-kernel-iso.sh's job (it needs the XSC glibc and busybox).
 * aarch64:
 *   - rootfs.sh refuses Debian's own arm64 hello and busybox-static (pinned in the lock, fetched by
 *     the real CLI: no XSC ABI note, no BTI+PAC) and amd64 .debs in an arm64 root (their arch);
 *   - an arm64 root of XSC .debs passes ("AArch64 ELF files, all BTI+PAC, all XSC-marked"), its
 *     /init runs the CFI attack programs when the root has them, and the UEFI ISO (GRUB from the
 *     pinned grub-efi-arm64-bin) is byte-identical in two directories, with an EFI El Torito image;
 *   - the cfi-compat audit refuses an arm64 ELF without BTI+PAC;
 *   - boot-test.sh boots that ISO with AAVMF (qemu-system-aarch64, pflash, virtio-scsi): the serial
 *     log shows the firmware starting GRUB from the CD-ROM and GRUB loading /boot/Image (a dummy
 *     kernel here, so it powers off and the test fails naming the missing banner).
 * "XSC" .debs here: tiny programs with no libc (a raw exit/write syscall), linked with the XSC
 * toolchain's ABI note (make-toolchain.sh's specs) and -fcf-protection=full (aarch64:
 * -mbranch-protection=standard), so they pass both variants' audits without building glibc.
 * Slow (e2e): outside the default suite; scripts/e2e-kernel-iso.sh runs it (step 8). Needs
 * grub-pc-bin grub-common xorriso mtools qemu-system-x86 qemu-system-arm qemu-efi-aarch64
 * gcc-12-aarch64-linux-gnu cpio dpkg-dev apt-utils gcc, and apt access to Debian's archive for
 * the standard .debs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, XBUILD } from '../helpers/cli.js';

const SCRIPTS = join(REPO, 'rules/scripts');
const ALLOWLIST = join(REPO, 'iso/cfi-allowlist');
const DEBIAN = ['hello', 'libc6', 'dash', 'busybox'];
// 0 is what the engine gives actions by default (and what once let grub-mkrescue's own files keep
// the build time: xorriso reads all_file_dates =0 as "off").
const SDE = '0';

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const CACHE = process.env.XSC_E2E_CACHE ?? '/var/tmp/xsc-e2e-cache';

/** Runs a script with a clean environment in `cwd`, TMPDIR inside it. */
async function script(name: string, args: string[], cwd: string) {
  mkdirSync(join(cwd, '.tmp'), { recursive: true });
  return execa('bash', [join(SCRIPTS, 'iso', name), ...args], {
    cwd, reject: false, all: true,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SOURCE_DATE_EPOCH: SDE, TMPDIR: join(cwd, '.tmp') }, extendEnv: false,
  });
}

describe('XSC ISO scripts', () => {
  let work: string;
  let debianDir: string;
  const debian = (only = DEBIAN) => only.map((n) => join(debianDir, readdirSync(debianDir).find((f) => f.startsWith(`${n}_`))!));
  const xsc: Record<string, string> = {};

  /** A .deb of `files` (path -> C source of a libc-free program, or '->target' for a link). */
  async function makeDeb(name: string, files: Record<string, string>, opts: { cet?: boolean; note?: boolean } = {}) {
    const root = join(work, `deb-${name}`);
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(join(root, 'DEBIAN/control'),
      `Package: ${name}\nVersion: 1.0+xsc1\nArchitecture: amd64\nMaintainer: XSC <build@xsc.invalid>\nDescription: test\n`);
    const tc = join(work, 'tc');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      if (content.startsWith('->')) { symlinkSync(content.slice(2), join(root, path)); continue; }
      const c = join(work, `${name}-${path.replace(/\//g, '_')}.c`);
      writeFileSync(c, content);
      await execa('gcc', [...(opts.note === false ? [] : [`-B${tc}/lib/`, `-specs=${tc}/lib/xsc-abi.specs`]),
        `-fcf-protection=${opts.cet === false ? 'none' : 'full'}`, '-static', '-nostdlib', '-O2', '-o', join(root, path), c]);
    }
    const deb = join(work, `${name}_1.0+xsc1_amd64.deb`);
    await execa('dpkg-deb', ['--root-owner-group', '--build', root, deb], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    return deb;
  }
  const EXIT0 = 'void _start(void) { __asm__ volatile ("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n';
  const HELLO = 'static const char m[] = "Hello, world!\\n";\n'
    + 'void _start(void) { __asm__ volatile ("mov $1, %%eax\\n mov $1, %%edi\\n mov %0, %%rsi\\n mov $14, %%edx\\n syscall\\n'
    + ' mov $60, %%eax\\n xor %%edi, %%edi\\n syscall" :: "r"(m) : "rax", "rdi", "rsi", "rdx"); }\n';

  beforeAll(async () => {
    work = mkdtempSync('/var/tmp/xsc-iso-test-');
    debianDir = join(work, 'debian');
    mkdirSync(debianDir);
    const r = await execa('apt-get', ['download', ...DEBIAN], { cwd: debianDir, reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`apt-get download ${DEBIAN.join(' ')} failed:\n${r.all}`);
    await execa('bash', [join(SCRIPTS, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', join(work, 'tc')]);
    xsc.busybox = await makeDeb('busybox', { 'bin/busybox': EXIT0, 'bin/sh': '->busybox' });
    xsc.hello = await makeDeb('hello', { 'usr/bin/hello': HELLO });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("refuses a root of Debian's own binaries, naming each file and its .deb", async () => {
    const dir = join(work, 'debian-root');
    mkdirSync(dir, { recursive: true });
    const r = await script('rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', ...debian()], dir);
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/\/usr\/bin\/hello \(hello_2\.10-3_amd64\.deb\): ELF without the XSC ABI note/);
    expect(r.all).toMatch(/\/lib\/x86_64-linux-gnu\/libc\.so\.6 \(libc6_[^)]*\.deb\): ELF without the XSC ABI note/);
    expect(r.all).toContain('fails the image audit');
    expect(r.all).toMatch(/hello_2\.10-3_amd64\.deb: hello 2\.10-3 is not an XSC build/);
    expect(existsSync(join(dir, 'i.cpio.gz'))).toBe(false);
  }, 600_000);

  it('makes byte-identical initramfs and ISO in two directories, and audits every file of both', async () => {
    const kernel = join(work, 'fake-bzImage'); // iso.sh copies it, never runs it
    await execa('bash', ['-c', `head -c 300000 /dev/urandom > ${kernel}`]);
    const shas: string[][] = [];
    for (const dir of [join(work, 'a'), join(work, 'deeper/b')]) {
      mkdirSync(dir, { recursive: true });
      const root = await script('rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
        '--out', 'initramfs.cpio.gz', '--out-manifest', 'manifest', '--out-audit', 'audit', xsc.busybox, xsc.hello], dir);
      expect(root.exitCode, root.all).toBe(0);
      expect(root.all).toContain('[audit] base root: ');
      expect(root.all).toContain('2 ELF files, all XSC-marked (2 with IBT+SHSTK; base does not require them)');
      const iso = await script('iso.sh', ['--variant', 'base', '--kernel', kernel, '--initramfs', 'initramfs.cpio.gz',
        '--allowlist', ALLOWLIST, '--out', 'out/xsc.iso', '--out-audit', 'iso.audit', xsc.busybox, xsc.hello], dir);
      expect(iso.exitCode, iso.all).toBe(0);
      expect(iso.all).toMatch(/\[audit\] base ISO: \d+ files: kernel 1, audited root 1, set \.debs 2, written by iso\.sh 6, GRUB boot code \d+ \(grub-pc-bin /);
      shas.push([sha256(join(dir, 'initramfs.cpio.gz')), sha256(join(dir, 'out/xsc.iso'))]);
      await new Promise((r) => setTimeout(r, 1100)); // a leaked build time would differ
      const manifest = readFileSync(join(dir, 'manifest'), 'utf8');
      expect(manifest).toContain('/etc/cfi/allowlist\t(written by rootfs.sh)\n');
      expect(manifest).toContain('/usr/bin/hello\thello_1.0+xsc1_amd64.deb\n');
      expect(manifest).toContain('/bin/busybox\tbusybox_1.0+xsc1_amd64.deb\n');
      expect(readFileSync(join(dir, 'audit'), 'utf8')).toContain('ELF /usr/bin/hello (hello_1.0+xsc1_amd64.deb): XSC-marked yes, IBT+SHSTK yes');
      expect(readFileSync(join(dir, 'iso.audit'), 'utf8')).toMatch(/^set +\/repo\/pool\/hello_1\.0\+xsc1_amd64\.deb$/m);
    }
    expect(shas[1]).toEqual(shas[0]);
    // The ISO itself carries the allowlist and an APT repository of the set.
    const ls = await execa('xorriso', ['-indev', join(work, 'a/out/xsc.iso'), '-find', '/', '-exec', 'lsdl'], { all: true });
    const listed = ls.stdout.split('\n').filter((l) => /^[-dl][-rwx]{9} .*'\/.*'$/.test(l));
    expect(listed.length).toBeGreaterThan(100);
    // Every file, grub's own included, carries the fixed date, not the build time.
    expect(listed.filter((l) => !/ Jan  ?1  ?1970 /.test(l))).toEqual([]);
    expect(ls.all).toContain("'/etc/cfi/allowlist'");
    expect(ls.all).toContain("'/repo/Packages.gz'");
    expect(ls.all).toContain("'/boot/initramfs.cpio.gz'");
  }, 300_000);

  it('cfi-compat: refuses /etc/cfi/allowlist and an ELF without IBT+SHSTK', async () => {
    const dir = join(work, 'cfi');
    mkdirSync(dir, { recursive: true });
    const withList = await script('rootfs.sh', ['--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', xsc.busybox, xsc.hello], dir);
    expect(withList.exitCode).not.toBe(0);
    expect(withList.all).toContain('the cfi-compat root never carries /etc/cfi/allowlist');
    const ok = await script('rootfs.sh', ['--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--out', 'i.cpio.gz',
      '--out-manifest', 'manifest', xsc.busybox, xsc.hello], dir);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.all).toContain('2 ELF files, all IBT+SHSTK, all XSC-marked');
    expect(readFileSync(join(dir, 'manifest'), 'utf8')).not.toContain('cfi/allowlist');
    const nocet = await makeDeb('nocet', { 'usr/bin/nocet': EXIT0 }, { cet: false });
    const bad = await script('rootfs.sh', ['--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--out', 'i.cpio.gz',
      xsc.busybox, xsc.hello, nocet], dir);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.all).toContain('/usr/bin/nocet (nocet_1.0+xsc1_amd64.deb): ELF without IBT+SHSTK');
  }, 120_000);

  it('names the missing ELF interpreter, and two .debs installing one file', async () => {
    const dir = join(work, 'nolibc');
    mkdirSync(dir, { recursive: true });
    // Debian's dynamic hello without any libc6: its interpreter is missing.
    const r = await script('rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', xsc.busybox, ...debian(['hello'])], dir);
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toContain('/usr/bin/hello needs the ELF interpreter /lib64/ld-linux-x86-64.so.2');
    const twin = await makeDeb('twin', { 'usr/bin/hello': HELLO });
    const c = await script('rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', xsc.busybox, xsc.hello, twin], dir);
    expect(c.exitCode).not.toBe(0);
    expect(c.all).toContain('/usr/bin/hello: hello_1.0+xsc1_amd64.deb and twin_1.0+xsc1_amd64.deb');
  }, 120_000);

  it('boot test fails with the serial tail when /init cannot run', async () => {
    // A real XSC kernel from the real CLI, on a copy of the workspace's kernel/ package.
    const ws = join(work, 'ws');
    mkdirSync(ws, { recursive: true });
    cpSync(join(REPO, 'kernel'), join(ws, 'kernel'), { recursive: true });
    writeFileSync(join(ws, 'BUILD.ts'), '// workspace root\n');
    const b = await execa('node', [XBUILD, 'build', '-C', ws, '--jobs', '2', '//kernel:x86_64-base'],
      { reject: false, all: true, env: { XBUILD_CACHE_DIR: CACHE } });
    expect(b.exitCode, b.all).toBe(0);
    const kernel = join(ws, 'xbuild-out/kernel/x86_64-base/bzImage');
    expect(existsSync(kernel)).toBe(true);

    const dir = join(work, 'boot');
    mkdirSync(dir, { recursive: true });
    // /init's shell is the fake busybox, which exits at once: the kernel runs it (it carries the
    // note) and then has no init left.
    for (const [name, args] of [
      ['rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST, '--out', 'i.cpio.gz', xsc.busybox, xsc.hello]],
      ['iso.sh', ['--variant', 'base', '--kernel', kernel, '--initramfs', 'i.cpio.gz', '--allowlist', ALLOWLIST, '--out', 'x.iso', xsc.busybox, xsc.hello]],
    ] as const) {
      const r = await script(name, [...args], dir);
      expect(r.exitCode, r.all).toBe(0);
    }
    const fail = await script('boot-test.sh', ['--iso', 'x.iso', '--variant', 'base', '--expect', 'Hello, world!',
      '--foreign', debian(['busybox'])[0], '--log', 'serial.log', '--timeout', '240'], dir);
    expect(fail.exitCode).not.toBe(0);
    expect(fail.all).toContain("/init never ran (no 'xsc-init: running' line)");
    expect(fail.all).toContain('last 40 lines of the serial log');
    const log = readFileSync(join(dir, 'serial.log'), 'utf8');
    expect(log).toContain('XSC kernel variant: base');
  }, 1_200_000);
});

describe('XSC ISO scripts, aarch64', () => {
  let work: string;
  const pinned: Record<string, string> = {};
  const xsc: Record<string, string> = {};
  const A64 = ['--arch', 'aarch64'];

  /** An arm64 .deb of `files` (path -> C source of a libc-free AArch64 program, or '->target'). */
  async function makeDeb(name: string, files: Record<string, string>, opts: { bti?: boolean; arch?: 'arm64' | 'amd64' } = {}) {
    const arch = opts.arch ?? 'arm64';
    const root = join(work, `deb-${name}-${arch}`);
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(join(root, 'DEBIAN/control'),
      `Package: ${name}\nVersion: 1.0+xsc1\nArchitecture: ${arch}\nMaintainer: XSC <build@xsc.invalid>\nDescription: test\n`);
    const tc = join(work, arch === 'arm64' ? 'tc-aarch64' : 'tc-x86_64');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      if (content.startsWith('->')) { symlinkSync(content.slice(2), join(root, path)); continue; }
      const c = join(work, `${name}-${arch}-${path.replace(/\//g, '_')}.c`);
      writeFileSync(c, content);
      const [cc, cfi] = arch === 'arm64'
        ? ['aarch64-linux-gnu-gcc-12', `-mbranch-protection=${opts.bti === false ? 'none' : 'standard'}`]
        : ['gcc', '-fcf-protection=full'];
      await execa(cc, [`-B${tc}/lib/`, `-specs=${tc}/lib/xsc-abi.specs`, cfi, '-static', '-nostdlib', '-O2', '-o', join(root, path), c]);
    }
    const deb = join(work, `${name}_1.0+xsc1_${arch}.deb`);
    await execa('dpkg-deb', ['--root-owner-group', '--build', root, deb], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    return deb;
  }
  const EXIT0 = 'void _start(void) { __asm__ volatile ("mov x8, #93\\n mov x0, #0\\n svc #0"); }\n';
  const HELLO = 'static const char m[] = "Hello, world!\\n";\n'
    + 'void _start(void) { __asm__ volatile ("mov x8, #64\\n mov x0, #1\\n mov x1, %0\\n mov x2, #14\\n svc #0\\n'
    + ' mov x8, #93\\n mov x0, #0\\n svc #0" :: "r"(m) : "x0", "x1", "x2", "x8"); }\n';
  const EXIT0_X86 = 'void _start(void) { __asm__ volatile ("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n';

  beforeAll(async () => {
    work = mkdtempSync('/var/tmp/xsc-iso-a64-test-');
    // Debian's arm64 .debs and GRUB, as the workspace pins them: the real CLI fetches them in a
    // workspace of iso/ and the lock (the cache is the e2e one, so they are usually hits).
    const ws = join(work, 'ws');
    mkdirSync(join(ws, 'packages'), { recursive: true });
    cpSync(join(REPO, 'iso'), join(ws, 'iso'), { recursive: true, filter: (p) => !p.includes('xbuild-out') });
    for (const f of ['lockTargets.ts', 'debian.lock.json']) cpSync(join(REPO, 'packages', f), join(ws, 'packages', f));
    writeFileSync(join(ws, 'BUILD.ts'), '// workspace root\n');
    const labels = { hello: '//iso:debian-hello-arm64', busybox: '//iso:debian-busybox-static-arm64', grub: '//iso:grub-efi-arm64-bin' };
    const b = await execa('node', [XBUILD, 'build', '-C', ws, '--jobs', '2', ...Object.values(labels)],
      { reject: false, all: true, env: { XBUILD_CACHE_DIR: CACHE } });
    if (b.exitCode !== 0) throw new Error(`fetching Debian's arm64 .debs failed:\n${b.all}`);
    const out = join(ws, 'xbuild-out/iso');
    for (const [k, prefix] of [['hello', 'hello_'], ['busybox', 'busybox-static_'], ['grub', 'grub-efi-arm64-bin_']] as const) {
      pinned[k] = join(out, readdirSync(out).find((f) => f.startsWith(prefix) && f.endsWith('_arm64.deb'))!);
    }
    await execa('bash', [join(SCRIPTS, 'toolchain/make-toolchain.sh'), 'aarch64', 'cfi-compat', join(work, 'tc-aarch64')]);
    await execa('bash', [join(SCRIPTS, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', join(work, 'tc-x86_64')]);
    xsc.busybox = await makeDeb('busybox', { 'bin/busybox': EXIT0, 'bin/sh': '->busybox' });
    xsc.hello = await makeDeb('hello', { 'usr/bin/hello': HELLO });
    xsc.cfiTests = await makeDeb('xsc-cfi-tests', { 'usr/bin/xsc-bti-attack': EXIT0, 'usr/bin/xsc-pac-attack': EXIT0 });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("refuses a root of Debian's own arm64 binaries, and amd64 .debs in an arm64 root", async () => {
    const dir = join(work, 'debian-root');
    mkdirSync(dir, { recursive: true });
    const r = await script('rootfs.sh', [...A64, '--variant', 'cfi-compat', '--run', '/bin/busybox',
      '--out', 'i.cpio.gz', pinned.busybox, pinned.hello], dir);
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/\/bin\/busybox \(busybox-static_[^)]*_arm64\.deb\): ELF without the XSC ABI note/);
    expect(r.all).toMatch(/\/usr\/bin\/hello \(hello_2\.10-3_arm64\.deb\): ELF without the XSC ABI note/);
    expect(r.all).toMatch(/\/usr\/bin\/hello \(hello_2\.10-3_arm64\.deb\): ELF without BTI\+PAC \(AArch64 feature: none\)/);
    expect(r.all).toMatch(/hello_2\.10-3_arm64\.deb: hello 2\.10-3 is not an XSC build/);
    expect(r.all).toContain('the aarch64 cfi-compat root fails the image audit');
    expect(existsSync(join(dir, 'i.cpio.gz'))).toBe(false);
    // base asks no BTI+PAC, and still refuses them: no XSC ABI note
    const base = await script('rootfs.sh', [...A64, '--variant', 'base', '--run', '/bin/busybox', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', pinned.busybox], dir);
    expect(base.exitCode).not.toBe(0);
    expect(base.all).toMatch(/\/bin\/busybox \(busybox-static_[^)]*_arm64\.deb\): ELF without the XSC ABI note/);
    expect(base.all).not.toContain('BTI+PAC (');
    const amd64 = await makeDeb('amd64prog', { 'usr/bin/amd64prog': EXIT0_X86 }, { arch: 'amd64' });
    const mixed = await script('rootfs.sh', [...A64, '--variant', 'cfi-compat', '--run', '/usr/bin/hello',
      '--out', 'i.cpio.gz', xsc.busybox, xsc.hello, amd64], dir);
    expect(mixed.exitCode).not.toBe(0);
    expect(mixed.all).toContain('amd64prog_1.0+xsc1_amd64.deb: amd64prog 1.0+xsc1 is for amd64, this is an aarch64 (arm64) root');
    expect(mixed.all).toContain('/usr/bin/amd64prog (amd64prog_1.0+xsc1_amd64.deb): ELF for Advanced Micro Devices X86-64, not aarch64 (AArch64)');
  }, 300_000);

  it('makes byte-identical arm64 initramfs and UEFI ISO in two directories; /init runs the CFI attacks', async () => {
    const kernel = join(work, 'fake-Image'); // iso.sh copies it, never runs it
    await execa('bash', ['-c', `head -c 300000 /dev/urandom > ${kernel}`]);
    const shas: string[][] = [];
    for (const dir of [join(work, 'a'), join(work, 'deeper/b')]) {
      mkdirSync(dir, { recursive: true });
      const root = await script('rootfs.sh', [...A64, '--variant', 'cfi-compat', '--run', '/usr/bin/hello',
        '--out', 'initramfs.cpio.gz', '--out-manifest', 'manifest', '--out-audit', 'audit', xsc.busybox, xsc.hello, xsc.cfiTests], dir);
      expect(root.exitCode, root.all).toBe(0);
      expect(root.all).toContain('[audit] cfi-compat root: ');
      expect(root.all).toContain('4 AArch64 ELF files, all BTI+PAC, all XSC-marked');
      const iso = await script('iso.sh', [...A64, '--variant', 'cfi-compat', '--kernel', kernel, '--initramfs', 'initramfs.cpio.gz',
        '--grub-deb', pinned.grub, '--out', 'out/xsc.iso', '--out-audit', 'iso.audit', xsc.busybox, xsc.hello, xsc.cfiTests], dir);
      expect(iso.exitCode, iso.all).toBe(0);
      expect(iso.all).toMatch(/\[audit\] cfi-compat ISO: \d+ files: kernel 1, audited root 1, set \.debs 3, written by iso\.sh 5, GRUB boot code \d+ \(grub-efi-arm64-bin 2\.06-13\+deb12u2 arm64, /);
      shas.push([sha256(join(dir, 'initramfs.cpio.gz')), sha256(join(dir, 'out/xsc.iso'))]);
      await new Promise((r) => setTimeout(r, 1100)); // a leaked build time would differ
      expect(readFileSync(join(dir, 'audit'), 'utf8')).toContain('ELF /usr/bin/hello (hello_1.0+xsc1_arm64.deb): XSC-marked yes, BTI+PAC yes');
      const audit = readFileSync(join(dir, 'iso.audit'), 'utf8');
      expect(audit).toMatch(/^kernel +\/boot\/Image$/m);
      expect(audit).toMatch(/^bootloader +\/efi\.img$/m);
      expect(audit).toMatch(/^bootloader +\/boot\/grub\/arm64-efi\/linux\.mod$/m);
      expect(audit).not.toContain('i386-pc');
    }
    expect(shas[1]).toEqual(shas[0]);
    const init = await execa('bash', ['-c', `gzip -dc ${join(work, 'a/initramfs.cpio.gz')} | cpio -i --quiet --to-stdout init`]);
    expect(init.stdout).toContain('/usr/bin/xsc-bti-attack\necho "XSC-ATTACK bti exit=$?"\n');
    expect(init.stdout).toContain('/usr/bin/xsc-pac-attack\necho "XSC-ATTACK pac exit=$?"\n');
    expect(init.stdout).toContain('/lib/ld-linux-aarch64.so.1 /foreign$f --version');
    // The ISO boots by UEFI only: an EFI El Torito image (EFI/BOOT/BOOTAA64.EFI inside /efi.img).
    const et = await execa('xorriso', ['-indev', join(work, 'a/out/xsc.iso'), '-report_el_torito', 'plain'], { all: true });
    expect(et.all).toMatch(/El Torito boot img : +1 +UEFI +y /);
    expect(et.all).toMatch(/El Torito img path : +1 +\/efi\.img/);
    expect(et.all).not.toMatch(/BIOS/);
  }, 300_000);

  it('cfi-compat: refuses an arm64 ELF without BTI+PAC; a root without the attack programs has no attack lines', async () => {
    const dir = join(work, 'nobti');
    mkdirSync(dir, { recursive: true });
    const nobti = await makeDeb('nobti', { 'usr/bin/nobti': EXIT0 }, { bti: false });
    const bad = await script('rootfs.sh', [...A64, '--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--out', 'i.cpio.gz',
      xsc.busybox, xsc.hello, nobti], dir);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.all).toContain('/usr/bin/nobti (nobti_1.0+xsc1_arm64.deb): ELF without BTI+PAC (AArch64 feature: none)');
    const base = await script('rootfs.sh', [...A64, '--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', xsc.busybox, xsc.hello, nobti], dir);
    expect(base.exitCode, base.all).toBe(0);
    expect(base.all).toContain('3 AArch64 ELF files, all XSC-marked (2 with BTI+PAC; base does not require them)');
    const init = await execa('bash', ['-c', `gzip -dc ${join(dir, 'i.cpio.gz')} | cpio -i --quiet --to-stdout init`]);
    expect(init.stdout).toContain('xsc-init: running /usr/bin/hello');
    expect(init.stdout).not.toContain('XSC-ATTACK');
  }, 120_000);

  it('boots the UEFI ISO with AAVMF to GRUB, which loads /boot/Image from the virtio-scsi CD-ROM', async () => {
    const dir = join(work, 'boot');
    mkdirSync(dir, { recursive: true });
    // A dummy kernel GRUB cannot load: grub.cfg then powers off, and the test fails naming the banner.
    const fail = await script('boot-test.sh', [...A64, '--iso', join(work, 'a/out/xsc.iso'), '--variant', 'cfi-compat',
      '--expect', 'Hello, world!', '--cfi-attacks', '--foreign', pinned.hello, '--log', 'serial.log', '--timeout', '240'], dir);
    expect(fail.exitCode).not.toBe(0);
    expect(fail.all).toContain("no kernel banner 'XSC kernel variant: cfi-compat'");
    expect(fail.all).toContain('last 40 lines of the serial log');
    expect(fail.all).toMatch(/boot time \(aarch64, TCG\): .* QEMU ran \d+ s/);
    const log = readFileSync(join(dir, 'serial.log'), 'utf8');
    expect(log).toContain('UEFI firmware');
    expect(log).toMatch(/BdsDxe: starting Boot\d+ "UEFI QEMU QEMU CD-ROM/);
    expect(log).toContain('Welcome to GRUB!');
    expect(log).toContain('XSC GRUB: loading /boot/Image (cfi-compat, aarch64)');
    expect(log).toContain('XSC GRUB: cannot load /boot/Image, powering off');
  }, 600_000);
});
