/**
 * The lock's cross-building entries (issue 14, aarch64): `name:arch` input .debs read from a
 * foreign architecture's Packages index, and per-target cross tools resolved with their
 * dependencies, against a real local apt archive with amd64 and arm64 indices (dpkg-deb,
 * dpkg-scanpackages, apt-ftparchive) served on 127.0.0.1, through the real CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebianLock } from '../../lock/lockFile.js';
import { TempWorkspace } from '../helpers/cli.js';
import { LocalArchive } from '../helpers/localArchive.js';

const config = (extra: Record<string, unknown>) => JSON.stringify({
  suite: 'bookworm', arch: 'amd64', buildProfiles: [], buildRoot: 'buildd', set: 'set.txt', toolchainSources: {}, ...extra,
});

describe('the lock for a cross target: foreign-arch inputs and cross tools', () => {
  const archive = new LocalArchive();
  let env: Record<string, string>;

  beforeAll(async () => {
    archive.addBinary('debian', { name: 'base-a', version: '1.0', essential: true, priority: 'required' });
    archive.addBinary('debian', { name: 'apt', version: '2.0', priority: 'required' });
    archive.addBinary('debian', { name: 'gcc-x', version: '12.2' });
    archive.addBinary('debian', { name: 'build-essential', version: '12.9', depends: 'gcc-x' });
    archive.addBinary('debian', { name: 'tool-y', version: '1.0-1' });
    archive.addSource('debian', { name: 'hello-x', version: '1.0-1', buildDepends: 'tool-y', binaries: ['hello-x'] });
    // The same package name in both architectures, at different versions: the pin must be arm64's.
    archive.addBinary('debian', { name: 'uapi-headers', version: '6.1.1-1', arch: 'amd64' });
    archive.addBinary('debian', { name: 'uapi-headers', version: '6.1.2-1', arch: 'arm64' });
    archive.addBinary('debian', { name: 'only-amd64', version: '1.0', arch: 'amd64' });
    // A cross compiler (a build-machine package) and what it pulls in: an arch-all cross libc.
    archive.addBinary('debian', { name: 'libc-arm64-cross', version: '2.36-8cross1', arch: 'all' });
    archive.addBinary('debian', { name: 'gcc-x-aarch64', version: '12.2-14cross1', depends: 'libc-arm64-cross (>= 2.36)' });
    archive.publish();
    await archive.start();
    env = { XBUILD_APT_SOURCES: archive.sourcesFile() };
  });
  afterAll(async () => {
    await archive.stop();
  });

  const workspace = (cfg: string) => new TempWorkspace({
    'BUILD.ts': '// workspace root\n', 'packages/lock.config.json': cfg, 'packages/set.txt': 'hello-x\n',
  });

  it('pins name:arch inputs from that arch\'s index and the cross tools with their dependencies; check accepts them', async () => {
    const ws = workspace(config({
      inputDebs: ['uapi-headers', 'uapi-headers:arm64'], foreignArches: ['arm64'], crossTools: { aarch64: ['gcc-x-aarch64'] },
    }));
    const r = await ws.run(['lock', 'update'], env);
    expect(r.code, r.stderr).toBe(0);
    const lock = JSON.parse(ws.read('packages/debian.lock.json')) as DebianLock;
    expect(lock.inputs['uapi-headers'].version).toBe('6.1.1-1');
    expect(lock.inputs['uapi-headers'].path).toMatch(/_amd64\.deb$/);
    expect(lock.inputs['uapi-headers:arm64'].version).toBe('6.1.2-1');
    expect(lock.inputs['uapi-headers:arm64'].path).toMatch(/uapi-headers_6\.1\.2-1_arm64\.deb$/);
    expect(lock.foreignArches).toEqual(['arm64']);
    expect(lock.crossTools).toEqual({ aarch64: ['gcc-x-aarch64', 'libc-arm64-cross'] });
    expect(lock.binaries['gcc-x-aarch64'].version).toBe('12.2-14cross1');
    expect(lock.binaries['libc-arm64-cross'].version).toBe('2.36-8cross1');

    const check = await ws.run(['lock', 'check'], env);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/0 missing, 0 outdated/);

    // The arm64 pin moves on: check names it with its arch, not amd64's (still 6.1.1-1).
    archive.addBinary('debian-security', { name: 'uapi-headers', version: '6.1.2-1+deb12u1', arch: 'arm64' });
    archive.publish();
    const moved = await ws.run(['lock', 'check'], env);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(/outdated  deb uapi-headers 6\.1\.2-1 \(inputs\): bookworm-security serves 6\.1\.2-1\+deb12u1/);
    expect(moved.stderr).toMatch(/0 missing, 1 outdated/);
  });

  it('an input naming an arch that foreignArches does not list is the user\'s error, naming the file', async () => {
    const ws = workspace(config({ inputDebs: ['uapi-headers:arm64'] }));
    const r = await ws.run(['lock', 'check'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('packages/lock.config.json: inputDebs "uapi-headers:arm64" names architecture arm64, which "foreignArches" does not list');
  });

  it('an input the foreign arch does not have fails the update, naming it', async () => {
    const ws = workspace(config({ inputDebs: ['only-amd64:arm64'], foreignArches: ['arm64'] }));
    const r = await ws.run(['lock', 'update'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('binary package "only-amd64:arm64" (packages/lock.config.json inputDebs): the archive serves none of its versions');
  });
});
