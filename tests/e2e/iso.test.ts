/**
 * The ISO scripts (rules/scripts/iso/) on Debian's own .debs, run as real processes:
 *   - initramfs and ISO are byte-identical when built twice in different directories;
 *   - the base ISO and root carry /etc/cfi/allowlist, cfi-compat refuses one;
 *   - a root without the program's ELF interpreter fails naming it;
 *   - the boot test passes on a real XSC kernel and fails, printing the serial log's tail, when
 *     the expected output is not there (the kernel comes from `xbuild build //kernel:x86_64-base`
 *     with the cache in $XSC_E2E_CACHE, default /var/tmp/xsc-e2e-cache: minutes cold, seconds warm).
 * Slow (e2e): outside the default suite; scripts/e2e-kernel-iso.sh runs it (step 8). Needs grub-pc-bin grub-common xorriso mtools
 * qemu-system-x86 cpio dpkg-dev apt-utils, and apt access to Debian's archive for the .debs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, XBUILD } from '../helpers/cli.js';

const SCRIPTS = join(REPO, 'rules/scripts/iso');
const ALLOWLIST = join(REPO, 'iso/cfi-allowlist');
const DEBS = ['hello', 'libc6', 'dash', 'busybox-static'];
// 0 is what the engine gives actions by default (and what once let grub-mkrescue's own files keep
// the build time: xorriso reads all_file_dates =0 as "off").
const SDE = '0';

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Runs a script with a clean environment in `cwd`, TMPDIR inside it. */
async function script(name: string, args: string[], cwd: string) {
  mkdirSync(join(cwd, '.tmp'), { recursive: true });
  return execa('bash', [join(SCRIPTS, name), ...args], {
    cwd, reject: false, all: true,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SOURCE_DATE_EPOCH: SDE, TMPDIR: join(cwd, '.tmp') }, extendEnv: false,
  });
}

describe('XSC ISO scripts', () => {
  let work: string;
  let debDir: string;
  const debPaths = (only = DEBS) => only.map((n) => join(debDir, readdirSync(debDir).find((f) => f.startsWith(`${n}_`))!));

  beforeAll(async () => {
    work = mkdtempSync('/var/tmp/xsc-iso-test-');
    debDir = join(work, 'debs');
    mkdirSync(debDir);
    const r = await execa('apt-get', ['download', ...DEBS], { cwd: debDir, reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`apt-get download ${DEBS.join(' ')} failed:\n${r.all}`);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('makes byte-identical initramfs and ISO in two different directories', async () => {
    const kernel = join(work, 'fake-bzImage'); // iso.sh copies it, never runs it
    await execa('bash', ['-c', `head -c 300000 /dev/urandom > ${kernel}`]);
    const shas: string[][] = [];
    for (const dir of [join(work, 'a'), join(work, 'deeper/b')]) {
      mkdirSync(dir, { recursive: true });
      const root = await script('rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
        '--out', 'initramfs.cpio.gz', '--out-manifest', 'manifest', ...debPaths()], dir);
      expect(root.exitCode, root.all).toBe(0);
      const iso = await script('iso.sh', ['--variant', 'base', '--kernel', kernel, '--initramfs', 'initramfs.cpio.gz',
        '--allowlist', ALLOWLIST, '--out', 'out/xsc.iso', ...debPaths()], dir);
      expect(iso.exitCode, iso.all).toBe(0);
      shas.push([sha256(join(dir, 'initramfs.cpio.gz')), sha256(join(dir, 'out/xsc.iso'))]);
      await new Promise((r) => setTimeout(r, 1100)); // a leaked build time would differ
      expect(readFileSync(join(dir, 'manifest'), 'utf8')).toContain('./etc/cfi/allowlist\n');
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

  it('refuses /etc/cfi/allowlist in a cfi-compat root and ISO', async () => {
    const dir = join(work, 'cfi');
    mkdirSync(dir, { recursive: true });
    const root = await script('rootfs.sh', ['--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST,
      '--out', 'i.cpio.gz', ...debPaths()], dir);
    expect(root.exitCode).not.toBe(0);
    expect(root.all).toContain('the cfi-compat root never carries /etc/cfi/allowlist');
    const ok = await script('rootfs.sh', ['--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--out', 'i.cpio.gz',
      '--out-manifest', 'manifest', ...debPaths()], dir);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(readFileSync(join(dir, 'manifest'), 'utf8')).not.toContain('cfi/allowlist');
  }, 120_000);

  it('names the missing ELF interpreter when the set lacks libc6', async () => {
    const dir = join(work, 'nolibc');
    mkdirSync(dir, { recursive: true });
    const r = await script('rootfs.sh', ['--variant', 'cfi-compat', '--run', '/usr/bin/hello', '--out', 'i.cpio.gz',
      ...debPaths(['hello', 'dash'])], dir);
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toContain('/usr/bin/hello needs the ELF interpreter /lib64/ld-linux-x86-64.so.2');
  }, 120_000);

  it('boot test passes on an XSC kernel and fails with the serial tail otherwise', async () => {
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
    for (const [name, args] of [
      ['rootfs.sh', ['--variant', 'base', '--run', '/usr/bin/hello', '--allowlist', ALLOWLIST, '--out', 'i.cpio.gz', ...debPaths()]],
      ['iso.sh', ['--variant', 'base', '--kernel', kernel, '--initramfs', 'i.cpio.gz', '--allowlist', ALLOWLIST, '--out', 'x.iso', ...debPaths()]],
    ] as const) {
      const r = await script(name, [...args], dir);
      expect(r.exitCode, r.all).toBe(0);
    }
    const pass = await script('boot-test.sh', ['--iso', 'x.iso', '--variant', 'base', '--expect', 'Hello, world!',
      '--log', 'serial.log', '--result', 'result', '--timeout', '240'], dir);
    expect(pass.exitCode, pass.all).toBe(0);
    const log = readFileSync(join(dir, 'serial.log'), 'utf8');
    expect(log).toContain('XSC kernel variant: base');
    expect(log).toContain('XSC CFI JIT allowlist: /etc/cfi/allowlist');
    expect(log).toContain('Hello, world!');
    expect(readFileSync(join(dir, 'result'), 'utf8')).toMatch(/^passed: base ISO sha256 [0-9a-f]{64}/);

    // Same ISO, asked to show the other variant's banner: fails and prints the serial tail.
    const wrong = await script('boot-test.sh', ['--iso', 'x.iso', '--variant', 'cfi-compat', '--expect', 'Hello, world!',
      '--log', 'serial2.log', '--timeout', '240'], dir);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.all).toContain("no kernel banner 'XSC kernel variant: cfi-compat'");
    expect(wrong.all).toContain('last 40 lines of the serial log');
    expect(wrong.all).toContain('xsc-init: running /usr/bin/hello');
  }, 1_200_000);
});
