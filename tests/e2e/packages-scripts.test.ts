/**
 * Fast checks of the package-side scripts with real processes (host gcc, binutils, dpkg-deb,
 * apt): the toolchain wrappers and their CET gate, the CET audit, the APT repository. No build
 * root and no network; the full chain runs in scripts/e2e-packages.sh (tests/e2e/packages.test.ts).
 *
 * Run: scripts/e2e-packages.sh --scripts-only   (~3 s; tests/e2e is outside the default vitest
 * suite, so the script runs this file with its own config). Needs gcc, binutils, dpkg-dev, apt.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, copyFileSync } from 'node:fs';
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

describe('make-toolchain.sh', () => {
  it('names every tool by the triple and leaves base flags alone', () => {
    const tc = join(dir, 'tc-base');
    expect(run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'base', tc]).code).toBe(0);
    for (const t of ['gcc', 'g++', 'cc', 'cpp', 'ld', 'as', 'ar', 'ranlib', 'nm', 'strip', 'objcopy', 'objdump', 'readelf']) {
      expect(existsSync(join(tc, 'bin', `x86_64-xsc-linux-gnu-${t}`))).toBe(true);
    }
    const r = run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-O2', '-fcf-protection=none', '-o', join(dir, 'hello-base'), join(dir, 'hello.c')]);
    expect(r.out).toBe('');
    expect(execFileSync(join(dir, 'hello-base'), { encoding: 'utf8' })).toBe('hello\n');
    expect(features(join(dir, 'hello-base'))).toBe('');
  });

  it('cfi-compat refuses to run without CET startfiles', () => {
    const r = run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', join(dir, 'tc-none')]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('needs the CET startfiles');
  });

  it("cfi-compat uses the startfiles of its lib/ and fails the link naming Debian's unmarked Scrt1.o", () => {
    // Stand-in startfiles: Debian's own, which lack IBT/SHSTK. The gate must catch them.
    const stock = join(dir, 'stock-startfiles');
    mkdirSync(stock);
    for (const f of ['crt1.o', 'Scrt1.o', 'crti.o', 'crtn.o', 'libc_nonshared.a']) {
      copyFileSync(`/usr/lib/x86_64-linux-gnu/${f}`, join(stock, f));
    }
    const tc = join(dir, 'tc-cfi');
    expect(run('bash', [join(scripts, 'toolchain/make-toolchain.sh'), 'x86_64', 'cfi-compat', tc, stock]).code).toBe(0);
    expect(readFileSync(join(tc, 'lib/libc.so'), 'utf8')).toContain('libxsc_c_nonshared.a');
    const r = run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-O2', '-o', join(dir, 'hello-cfi'), join(dir, 'hello.c')]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/tc-cfi\/bin\/\.\.\/lib\/Scrt1\.o: error: missing IBT and SHSTK properties/);
    // Its own object is fine: compiled with -fcf-protection=full by the wrapper.
    expect(run(join(tc, 'bin/x86_64-xsc-linux-gnu-gcc'), ['-c', '-o', join(dir, 'hello-cfi.o'), join(dir, 'hello.c')]).code).toBe(0);
    expect(features(join(dir, 'hello-cfi.o'))).toBe('x86 feature: IBT, SHSTK');
  });
});

/** Makes a .deb holding one shared library, compiled with the given -fcf-protection. */
function makeDeb(name: string, cfProtection: 'full' | 'none'): string {
  const root = join(dir, `deb-${name}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  writeFileSync(join(root, 'DEBIAN/control'),
    `Package: ${name}\nVersion: 1.0+xsc1\nArchitecture: amd64\nMaintainer: XSC <build@xsc.invalid>\nDescription: test\n`);
  writeFileSync(join(dir, `${name}.c`), 'int answer(void) { return 42; }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-nostartfiles', `-fcf-protection=${cfProtection}`, '-o', join(root, `usr/lib/lib${name}.so`), join(dir, `${name}.c`)]);
  const deb = join(dir, `${name}_1.0+xsc1_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  return deb;
}

describe('audit-cet.sh', () => {
  it('passes CET-marked ELF files and copies the .debs on', () => {
    const deb = makeDeb('marked', 'full');
    const r = run('bash', [join(scripts, 'debian/audit-cet.sh'), '--copy-to', join(dir, 'passed'), join(dir, 'report-ok.txt'), deb]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('PASS: 1 ELF objects in 1 packages');
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
