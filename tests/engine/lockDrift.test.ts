/**
 * The Debian lock against an archive that moves: `xbuild lock update|check|ensure` and a build
 * meeting a stale pin, with a real local apt archive (dpkg-deb, dpkg-source, dpkg-scanpackages,
 * dpkg-scansources, apt-ftparchive) served over HTTP on 127.0.0.1, and the real CLI.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebianLock } from '../../lock/lockFile.js';
import { TempWorkspace } from '../helpers/cli.js';
import { LocalArchive } from '../helpers/localArchive.js';

const CONFIG = JSON.stringify({
  suite: 'bookworm', arch: 'amd64', buildProfiles: [], buildRoot: 'buildd', set: 'set.txt', toolchainSources: {}, inputDebs: ['kernel-src'],
});

// Every pin of the lock as a fetch target, as packages/BUILD.ts and kernel/BUILD.ts make them.
const PACKAGES_BUILD = `
import { fetch } from "xbuild";
import lock from "./debian.lock.json";
const url = (p: { archive: string; path: string }) => "apt-mirror://" + p.archive + "/" + p.path;
const base = (p: { path: string }) => p.path.slice(p.path.lastIndexOf("/") + 1);
for (const s of Object.values(lock.sources)) for (const f of s.files) fetch({ name: "src-" + f.name, urls: [url(f)], sha256: f.sha256, out: f.name });
for (const p of lock.buildRoot.packages) fetch({ name: "root-" + p.name, urls: [url(p)], sha256: p.sha256, out: "root/" + base(p) });
for (const p of Object.values(lock.binaries)) fetch({ name: "deb-" + p.name, urls: [url(p)], sha256: p.sha256, out: base(p) });
for (const p of Object.values(lock.inputs)) fetch({ name: "input-" + p.name, urls: [url(p)], sha256: p.sha256, out: base(p) });
`;

describe('the Debian lock against a moving archive', () => {
  const archive = new LocalArchive();
  let env: Record<string, string>;
  let ws: TempWorkspace;

  beforeAll(async () => {
    archive.addBinary('debian', { name: 'base-a', version: '1.0', essential: true, priority: 'required' });
    archive.addBinary('debian', { name: 'libapt', version: '1.0' });
    archive.addBinary('debian', { name: 'apt', version: '2.0', priority: 'required', depends: 'libapt (>= 1)' });
    archive.addBinary('debian', { name: 'gcc-x', version: '12.2' });
    archive.addBinary('debian', { name: 'build-essential', version: '12.9', depends: 'gcc-x' });
    archive.addBinary('debian', { name: 'libfoo1', version: '1.0-1', priority: 'required' });
    archive.addBinary('debian', { name: 'tool-y', version: '1.0-1' });
    archive.addBinary('debian', { name: 'kernel-src', version: '6.1.1-1', arch: 'all' });
    archive.addSource('debian', { name: 'hello-x', version: '1.0-1', buildDepends: 'tool-y', binaries: ['hello-x'] });
    // bookworm-security: a newer libfoo1 (served), and a hello-x update whose binary is served but
    // whose source files the archive does not serve (listed in Sources, 404 when fetched).
    archive.addBinary('debian-security', { name: 'libfoo1', version: '1.0-1+deb12u1', priority: 'required' });
    archive.addBinary('debian-security', { name: 'hello-x', version: '1.0-1+deb12u1', source: 'hello-x' });
    archive.addSource('debian-security', { name: 'hello-x', version: '1.0-1+deb12u1', buildDepends: 'tool-y', binaries: ['hello-x'] });
    archive.hidden.add('debian-security/pool/main/hello-x_1.0-1+deb12u1.dsc');
    archive.hidden.add('debian-security/pool/main/hello-x_1.0-1+deb12u1.tar.gz');
    archive.publish();
    await archive.start();
    env = { XBUILD_APT_SOURCES: archive.sourcesFile() };
    ws = new TempWorkspace({
      'BUILD.ts': '// workspace root\n',
      'packages/lock.config.json': CONFIG,
      'packages/set.txt': '# the set\nhello-x\n',
      'packages/BUILD.ts': PACKAGES_BUILD,
    });
  });
  afterAll(async () => {
    await archive.stop();
  });

  it('update pins the newest served versions, says what it passed over and why, and warns about the unfixed source', async () => {
    const r = await ws.run(['lock', 'update'], env);
    expect(r.code, r.stderr).toBe(0);
    const lock = JSON.parse(ws.read('packages/debian.lock.json')) as DebianLock;
    expect(lock.sources['hello-x'].version).toBe('1.0-1');
    expect(lock.sources['hello-x'].files.map((f) => `${f.archive}/${f.path}`))
      .toEqual(['debian/pool/main/hello-x_1.0-1.dsc', 'debian/pool/main/hello-x_1.0-1.tar.gz']);
    expect(lock.sources['hello-x'].buildDepends).toEqual(['tool-y']);
    expect(lock.sources['hello-x'].debs).toEqual(['hello-x']);
    expect(lock.buildRoot.packages.map((p) => `${p.name}=${p.version}`))
      .toEqual(['apt=2.0', 'base-a=1.0', 'build-essential=12.9', 'gcc-x=12.2', 'libapt=1.0', 'libfoo1=1.0-1+deb12u1']);
    expect(lock.buildRoot.packages.find((p) => p.name === 'libfoo1')?.archive).toBe('debian-security');
    expect(lock.inputs['kernel-src'].version).toBe('6.1.1-1');
    expect(lock.passedOver).toEqual([{ kind: 'source', name: 'hello-x', version: '1.0-1+deb12u1', suite: 'bookworm-security', why: 'hello-x_1.0-1+deb12u1.dsc: HTTP 404' }]);
    expect(lock.warnings.join('\n')).toMatch(/hello-x: the lock builds source 1\.0-1, but Debian's binary hello-x 1\.0-1\+deb12u1 \(bookworm-security\) comes from source 1\.0-1\+deb12u1, which the archive does not serve/);
    expect(r.stderr).toContain('passed over source hello-x 1.0-1+deb12u1 (bookworm-security): hello-x_1.0-1+deb12u1.dsc: HTTP 404');
    expect(JSON.stringify(lock)).not.toContain('127.0.0.1');

    const check = await ws.run(['lock', 'check'], env);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/9 pins \(10 files\) checked in [\d.]+ s: 0 missing, 0 outdated/);
    const build = await ws.run(['build', '//packages:all'], env);
    expect(build.code, build.stderr).toBe(0);
  });

  it('after the archive moves, check lists the stale pins, a build names them with the fix, and ensure recovers', async () => {
    const before = ws.read('packages/debian.lock.json');
    // The archive moves on: libfoo1's update is replaced by a newer one (the old file is gone),
    // and a newer kernel-src appears while the pinned one is still served.
    archive.addBinary('debian-security', { name: 'libfoo1', version: '1.0-1+deb12u2', priority: 'required' });
    archive.remove('debian-security', 'pool/main/libfoo1_1.0-1+deb12u1_amd64.deb');
    archive.addBinary('debian-security', { name: 'kernel-src', version: '6.1.2-1', arch: 'all' });
    archive.publish();

    const check = await ws.run(['lock', 'check'], env);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/error: missing   deb libfoo1 1\.0-1\+deb12u1 \(buildRoot\): not served: libfoo1_1\.0-1\+deb12u1_amd64\.deb: HTTP 404; the archive now has 1\.0-1\+deb12u2/);
    expect(check.stderr).toMatch(/warning: outdated  deb kernel-src 6\.1\.1-1 \(inputs\): bookworm-security serves 6\.1\.2-1/);
    expect(check.stderr).toMatch(/1 missing, 1 outdated/);

    // A newcomer's machine: this lock, an empty cache. The build fails with one clear message.
    const fresh = join(mkdtempSync(join(tmpdir(), 'xbuild-newcomer-')), 'ws');
    cpSync(ws.root, fresh, { recursive: true, filter: (p) => !/xbuild-out|\.xbuild/.test(p) });
    const newcomer = new TempWorkspace({});
    const stale = await newcomer.run(['build', '-C', fresh, '//packages:all'], env);
    expect(stale.code).toBe(2); // the lock is the user's input to update (engine/report/blame.ts)
    expect(stale.stderr).toContain("error[stale-pin] Debian's archive no longer serves a file that packages/debian.lock.json pins:");
    expect(stale.stderr).toMatch(/deb libfoo1 1\.0-1\+deb12u1 \(buildRoot\): libfoo1_1\.0-1\+deb12u1_amd64\.deb: HTTP 404; the archive now has 1\.0-1\+deb12u2/);
    expect(stale.stderr).toContain('fix: xbuild lock update');
    expect(stale.stderr).not.toMatch(/SHA-256 mismatch/);

    // What scripts/setup.sh runs: the pin is gone, so the lock is updated, saying what moved.
    const ensure = await newcomer.run(['lock', 'ensure', '-C', fresh], env);
    expect(ensure.code, ensure.stderr).toBe(0);
    expect(ensure.stderr).toContain('1 pin is no longer served: updating the lock');
    expect(ensure.stderr).toContain('deb libfoo1: 1.0-1+deb12u1 -> 1.0-1+deb12u2');
    expect(ensure.stderr).toContain('deb kernel-src: 6.1.1-1 -> 6.1.2-1');
    expect(ensure.stderr).toContain('now differs from the committed one');
    expect(readFileSync(join(fresh, 'packages/debian.lock.json'), 'utf8')).not.toBe(before);
    const rebuilt = await newcomer.run(['build', '-C', fresh, '//packages:all'], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
  });

  it('ensure leaves a lock whose pins are all served as it is, even when newer versions exist', async () => {
    await ws.run(['lock', 'update'], env);
    archive.addBinary('debian-security', { name: 'tool-y', version: '1.0-1+deb12u1' });
    archive.publish();
    const lockBefore = ws.read('packages/debian.lock.json');
    const check = await ws.run(['lock', 'check'], env);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/outdated  deb tool-y 1\.0-1 \(binaries\): bookworm-security serves 1\.0-1\+deb12u1/);
    const ensure = await ws.run(['lock', 'ensure'], env);
    expect(ensure.code, ensure.stderr).toBe(0);
    expect(ensure.stderr).toContain('every pin is still served');
    expect(ws.read('packages/debian.lock.json')).toBe(lockBefore);
  });

  it('a bad lock configuration is the user\'s error, naming the file', async () => {
    const bad = new TempWorkspace({ 'BUILD.ts': '', 'packages/lock.config.json': '{"suite": "bookworm", "arch": "amd64", "set": "nope.txt"}' });
    const r = await bad.run(['lock', 'check'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[lock-config] packages/lock.config.json: "set" names packages/nope.txt, which does not exist');
  });
});
