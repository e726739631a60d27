/**
 * The ISO scripts (rules/scripts/iso/) as real processes, on small .debs made here:
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
 * "XSC" .debs here: tiny programs with no libc (a raw exit/write syscall), linked with the XSC
 * toolchain's ABI note (make-toolchain.sh's specs) and -fcf-protection=full, so they pass both
 * variants' audits without building glibc.
 * Slow (e2e): outside the default suite; scripts/e2e-kernel-iso.sh runs it (step 8). Needs
 * grub-pc-bin grub-common xorriso mtools qemu-system-x86 cpio dpkg-dev apt-utils gcc, and apt
 * access to Debian's archive for the standard .debs.
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
    const cache = process.env.XSC_E2E_CACHE ?? '/var/tmp/xsc-e2e-cache';
    const b = await execa('node', [XBUILD, 'build', '-C', ws, '--jobs', '2', '//kernel:x86_64-base'],
      { reject: false, all: true, env: { XBUILD_CACHE_DIR: cache } });
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
