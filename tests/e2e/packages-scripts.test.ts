/**
 * Fast checks of the package-side scripts with real processes (host gcc, binutils, dpkg-deb,
 * apt): the toolchain wrappers, the XSC ABI note they link in, their sysroot and CET gate, the
 * CET + XSC-note audit, the APT repository. No build
 * root and no network; the full chain runs in scripts/e2e-packages.sh (tests/e2e/packages.test.ts).
 *
 * Run: scripts/e2e-packages.sh --scripts-only   (~3 s; tests/e2e is outside the default vitest
 * suite, so the script runs this file with its own config). Needs gcc, binutils, dpkg-dev, apt.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readlinkSync, existsSync, copyFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const scripts = join(repo, 'rules/scripts');
const HELLO = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n';

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
function features(file: string): string {
  return /x86 feature: [A-Z, ]+/.exec(execFileSync('readelf', ['-nW', file], { encoding: 'utf8' }))?.[0] ?? '';
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xsc-pkg-scripts-'));
  writeFileSync(join(dir, 'hello.c'), HELLO);
});

/** The XSC ABI note as readelf -n prints it (owner XSC, 4-byte descriptor = version 1). */
function hasXscNote(file: string): boolean {
  return /^\s+XSC\s+0x00000004\s.*description data: 01 00 00 00/m.test(execFileSync('readelf', ['-nW', file], { encoding: 'utf8' }));
}

/** A stand-in sysroot from the host's own (Debian) libc6-dev: unmarked start files. */
function stockSysroot(): string {
  const sys = join(dir, 'stock-sysroot');
  if (existsSync(sys)) return sys;
  for (const d of ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu', 'lib64']) mkdirSync(join(sys, d), { recursive: true });
  symlinkSync('/usr/include', join(sys, 'usr/include'));
  symlinkSync('/lib/x86_64-linux-gnu/libc.so.6', join(sys, 'lib/x86_64-linux-gnu/libc.so.6'));
  symlinkSync('/lib64/ld-linux-x86-64.so.2', join(sys, 'lib64/ld-linux-x86-64.so.2'));
  for (const f of ['crt1.o', 'Scrt1.o', 'crti.o', 'crtn.o', 'libc_nonshared.a', 'libc.so']) {
    copyFileSync(`/usr/lib/x86_64-linux-gnu/${f}`, join(sys, 'usr/lib/x86_64-linux-gnu', f));
  }
  return sys;
}

describe('make-toolchain.sh', () => {
  it('names every tool by the triple, shims gcc/cc in native/, and leaves base flags alone', () => {
    const tc = join(dir, 'tc-base');
    expect(run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'base', tc]).code).toBe(0);
    for (const t of ['gcc', 'g++', 'cc', 'cpp', 'ld', 'as', 'ar', 'ranlib', 'nm', 'strip', 'objcopy', 'objdump', 'readelf']) {
      expect(existsSync(join(tc, 'bin', `x86_64-xsc-linux-gnu-${t}`))).toBe(true);
    }
    for (const n of ['gcc', 'cc', 'x86_64-linux-gnu-gcc']) expect(readlinkSync(join(tc, 'native', n))).toBe('../bin/x86_64-xsc-linux-gnu-gcc');
    const r = run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-O2', '-fcf-protection=none', '-o', join(dir, 'hello-base'), join(dir, 'hello.c')]);
    expect(r.out).toBe('');
    expect(execFileSync(join(dir, 'hello-base'), { encoding: 'utf8' })).toBe('hello\n');
    expect(features(join(dir, 'hello-base'))).toBe('');
    // A gcc called by its plain name through native/ is the same wrapper.
    const n = run('gcc', ['-o', join(dir, 'hello-native'), join(dir, 'hello.c')], { env: { ...process.env, PATH: `${join(tc, 'native')}:${process.env.PATH}` } });
    expect(n.code, n.out).toBe(0);
    expect(hasXscNote(join(dir, 'hello-native'))).toBe(true);
  });

  it('links the XSC ABI note into every executable and shared object, never into -c or -r output', () => {
    const tc = join(dir, 'tc-base');
    const gcc = join(tc, 'bin/x86_64-xsc-linux-gnu-gcc');
    expect(hasXscNote(join(dir, 'hello-base'))).toBe(true);
    // In a PT_NOTE segment (what the kernel and ld.so read), not only a section.
    const seg = execFileSync('readelf', ['-lW', join(dir, 'hello-base')], { encoding: 'utf8' });
    expect(seg).toMatch(/\.note\.xsc-abi/);
    expect(run(gcc, ['-c', '-o', join(dir, 'hello.o'), join(dir, 'hello.c')]).code).toBe(0);
    expect(hasXscNote(join(dir, 'hello.o'))).toBe(false);
    expect(run(gcc, ['-r', '-o', join(dir, 'hello-r.o'), join(dir, 'hello.o')]).code).toBe(0);
    expect(hasXscNote(join(dir, 'hello-r.o'))).toBe(false);
    // -nostdlib -nostartfiles (how glibc links ld.so and libc.so.6) still gets it.
    expect(run(gcc, ['-shared', '-nostdlib', '-nostartfiles', '-o', join(dir, 'libx.so'), join(dir, 'hello.o')]).code).toBe(0);
    expect(hasXscNote(join(dir, 'libx.so'))).toBe(true);
    // Host gcc without the toolchain: no note (what a standard binary looks like).
    execFileSync('gcc', ['-o', join(dir, 'hello-debian'), join(dir, 'hello.c')]);
    expect(hasXscNote(join(dir, 'hello-debian'))).toBe(false);
  });

  it('the final stage refuses a directory that is no glibc sysroot', () => {
    const r = run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', join(dir, 'tc-none'), join(dir, 'no-such-sysroot')]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('is not an XSC glibc sysroot');
  });

  it("cfi-compat compiles against its sysroot and fails the link naming the sysroot's unmarked Scrt1.o", () => {
    // Stand-in sysroot: Debian's own start files, which lack IBT/SHSTK. The gate must catch them.
    const tc = join(dir, 'tc-cfi');
    expect(run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', tc, stockSysroot()]).code).toBe(0);
    const r = run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-O2', '-o', join(dir, 'hello-cfi'), join(dir, 'hello.c')]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/tc-cfi\/bin\/\.\.\/sysroot\/usr\/lib\/x86_64-linux-gnu\/Scrt1\.o: error: missing IBT and SHSTK properties/);
    // Nothing outside the sysroot: gcc's own relative search paths hold no libc.
    const libc = run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-print-file-name=libc.so']);
    expect(libc.out.trim()).toBe(`${tc}/bin/../sysroot/usr/lib/x86_64-linux-gnu/libc.so`);
    expect(run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-print-file-name=libz.a']).out.trim()).toBe('libz.a');
    // Its own object is fine: compiled with -fcf-protection=full by the wrapper.
    expect(run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-c', '-o', join(dir, 'hello-cfi.o'), join(dir, 'hello.c')]).code).toBe(0);
    expect(features(join(dir, 'hello-cfi.o'))).toBe('x86 feature: IBT, SHSTK');
    // The bootstrap stage (what builds glibc) has no gate: configure's test links must work.
    const boot = join(dir, 'tc-cfi-boot');
    expect(run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', boot]).code).toBe(0);
    expect(run(join(boot, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-o', join(dir, 'hello-boot'), join(dir, 'hello.c')]).code).toBe(0);
  });
});

/** Makes a .deb holding one shared library, compiled with the given -fcf-protection, with the
 *  XSC ABI note (linked by the toolchain's specs) unless `note` is false. */
function makeDeb(name: string, cfProtection: 'full' | 'none', note = true): string {
  const root = join(dir, `deb-${name}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  writeFileSync(join(root, 'DEBIAN/control'),
    `Package: ${name}\nVersion: 1.0+xsc1\nArchitecture: amd64\nMaintainer: XSC <build@xsc.invalid>\nDescription: test\n`);
  writeFileSync(join(dir, `${name}.c`), 'int answer(void) { return 42; }\n');
  const tc = join(dir, 'tc-audit');
  if (!existsSync(tc)) execFileSync('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', tc]);
  const spec = note ? [`-B${tc}/lib/`, `-specs=${tc}/lib/xsc-abi.specs`] : [];
  execFileSync('gcc', [...spec, '-shared', '-fPIC', '-nostartfiles', `-fcf-protection=${cfProtection}`, '-o', join(root, `usr/lib/lib${name}.so`), join(dir, `${name}.c`)]);
  const deb = join(dir, `${name}_1.0+xsc1_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  return deb;
}

describe('audit-cet.sh', () => {
  it('passes CET-marked ELF files and copies the .debs on', () => {
    const deb = makeDeb('marked', 'full');
    const r = run('bash', [join(scripts, 'debian/audit-cet.sh'), '--copy-to', join(dir, 'passed'), join(dir, 'report-ok.txt'), deb]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS: 1 ELF objects in 1 packages carry IBT+SHSTK; the 1 executables and shared objects among them carry the XSC ABI note');
    expect(existsSync(join(dir, 'passed/marked_1.0+xsc1_amd64.deb'))).toBe(true);
  });

  it('fails naming the package and the file without IBT/SHSTK, and copies nothing', () => {
    const good = makeDeb('good', 'full');
    const bad = makeDeb('unmarked', 'none');
    const r = run('bash', [join(scripts, 'debian/audit-cet.sh'), '--copy-to', join(dir, 'nope'), join(dir, 'report-bad.txt'), good, bad]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('unmarked 1.0+xsc1: /usr/lib/libunmarked.so: missing IBT/SHSTK');
    expect(r.out).toContain('FAIL: 1 of 2 ELF objects in 2 packages');
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });

  it('fails naming the shared object without the XSC ABI note', () => {
    const standard = makeDeb('standard', 'full', false);
    const r = run('bash', [join(scripts, 'debian/audit-cet.sh'), join(dir, 'report-note.txt'), standard]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('standard 1.0+xsc1: /usr/lib/libstandard.so: missing the XSC ABI note');
  });
});

describe('apt-repo.sh', () => {
  it('makes a repository apt accepts, byte-identical across runs', () => {
    const debs = [makeDeb('repoa', 'full'), makeDeb('repob', 'none')];
    const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
    const outs = ['r1', 'r2'].map((n) => {
      const r = run('bash', [join(scripts, 'debian/apt-repo.sh'), '--out', join(dir, n), ...(n === 'r1' ? debs : [...debs].reverse())], { env });
      expect(r.out).toContain('apt accepts');
      expect(r.code).toBe(0);
      return ['Packages', 'Packages.gz', 'Release'].map((f) => readFileSync(join(dir, n, f)).toString('base64'));
    });
    expect(outs[0]).toEqual(outs[1]);
    expect(readFileSync(join(dir, 'r1/Release'), 'utf8')).toContain('Date: Tue, 14 Nov 2023 22:13:20 UTC');
  });
});
