/**
 * The universe (issue 15) end to end through the CLI, on a real local apt archive: `xbuild lock
 * update --config packages/universe/lock.config.json` selects the image from priorities, splits
 * build dependencies between the build machine (Multi-Arch: foreign) and XSC builds, closes over
 * them, and writes the bootstrap (a cycle a build profile breaks, one that needs a build twice);
 * the repository's own packages/universe/BUILD.ts and universeGraph.ts then make the stage and
 * full builds, `xbuild query` says why a package is there and what a change rebuilds, the dry run
 * forecasts on N cores against the lower bound and the 4-stage master builder, and a broken edge
 * taken out of bootstrap.json makes analysis fail naming the cycle edge by edge.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempWorkspace } from '../helpers/cli.js';
import { LocalArchive } from '../helpers/localArchive.js';

const REPO = join(__dirname, '..', '..');
const repoFile = (p: string) => readFileSync(join(REPO, p), 'utf8');

const CONFIG = JSON.stringify({
  kind: 'universe', suite: 'bookworm', arch: 'amd64', buildProfiles: ['cross', 'nocheck'],
  select: { priorities: ['standard'], essential: false, tasks: [], recommends: true },
  toolchainSources: [], buildMachine: {},
});

// A stand-in for //toolchains: a ToolchainInfo per variant and an XSC glibc DebInfo (no real toolchain needed to plan).
const TOOLCHAINS_BUILD = `
import { defineRule, attr } from "xbuild";
const tc = defineRule({ name: "fake_toolchain", attrs: { variant: attr.string() }, impl(ctx) {
  const dir = ctx.actions.write(ctx.name + "/flags.env", "");
  return { files: [dir], providers: { ToolchainInfo: { dir, stage: "final", triple: "x86_64-xsc-linux-gnu", arch: "x86_64", variant: ctx.attrs.variant, cflags: "", ldflags: "" } } };
} });
const glibc = defineRule({ name: "fake_glibc", attrs: { variant: attr.string() }, impl(ctx) {
  const deb = ctx.actions.write(ctx.name + "/libc6_2.36_amd64.deb", "");
  return { files: [deb], providers: { DebInfo: { source: "glibc", version: "2.36", variant: ctx.attrs.variant, debs: [deb], packages: ["libc6"] } } };
} });
for (const v of ["base", "cfi-compat"]) { tc({ name: "x86_64-" + v, variant: v }); glibc({ name: "glibc-" + v, variant: v }); }
`;

describe('the universe: lock, bootstrap, plan and forecast', () => {
  const archive = new LocalArchive();
  let env: Record<string, string>;
  let ws: TempWorkspace;

  beforeAll(async () => {
    archive.addBinary('debian', { name: 'base-a', version: '1.0', essential: true, priority: 'required' });
    archive.addBinary('debian', { name: 'apt', version: '2.0', priority: 'required' });
    archive.addBinary('debian', { name: 'build-essential', version: '12.9' });
    archive.addBinary('debian', { name: 'tool-y', version: '1.0-1', multiArch: 'foreign', depends: 'tool-lib-virtual' });
    // A tool's own Depends, met through a virtual name: installed with the tool, beyond the root.
    archive.addBinary('debian', { name: 'tool-lib', version: '1.0-1', multiArch: 'foreign', provides: 'tool-lib-virtual' });
    const lib = (name: string, buildDepends: string, dependsOf?: string) => {
      archive.addSource('debian', { name, version: '1.0-1', buildDepends, binaries: [`${name}1`, `${name}-dev`] });
      archive.addBinary('debian', { name: `${name}1`, version: '1.0-1', source: name, ...(dependsOf ? { depends: dependsOf } : {}) });
      archive.addBinary('debian', { name: `${name}-dev`, version: '1.0-1', source: name, depends: `${name}1 (= 1.0-1)` });
    };
    // liba <-> libb: Debian's own bootstrap breaks it (liba without libb under stage1).
    lib('liba', 'tool-y, libb-dev <!stage1>');
    lib('libb', 'tool-y, liba-dev');
    // libc <-> libd: no profile breaks it: one of them is built twice.
    lib('libc', 'libd-dev');
    // libe: reached only as a library libd1 links (the Depends of an XSC binary a build installs).
    lib('libd', 'libc-dev', 'libe1');
    // libe1 needs libe-bin at its own version: Multi-Arch: foreign, but a binary of the same
    // source, so only the XSC build meets it (as pkgconf needs pkgconf-bin).
    archive.addSource('debian', { name: 'libe', version: '1.0-1', buildDepends: 'tool-y', binaries: ['libe1', 'libe-dev', 'libe-bin'] });
    archive.addBinary('debian', { name: 'libe1', version: '1.0-1', source: 'libe', depends: 'libe-bin (= 1.0-1)' });
    archive.addBinary('debian', { name: 'libe-dev', version: '1.0-1', source: 'libe', depends: 'libe1 (= 1.0-1)' });
    archive.addBinary('debian', { name: 'libe-bin', version: '1.0-1', source: 'libe', multiArch: 'foreign' });
    archive.addSource('debian', { name: 'app', version: '2.0-1', buildDepends: 'tool-y, liba-dev, libc-dev', binaries: ['app'] });
    archive.addBinary('debian', { name: 'app', version: '2.0-1', source: 'app', priority: 'standard', depends: 'liba1, libc1' });
    archive.publish();
    await archive.start();
    env = { XBUILD_APT_SOURCES: archive.sourcesFile() };
    ws = new TempWorkspace({
      'BUILD.ts': '// workspace root\n',
      'packages/BUILD.ts': '// the default set is not part of this test\n',
      'packages/debian.lock.json': repoFile('packages/debian.lock.json'),
      'packages/lockTargets.ts': repoFile('packages/lockTargets.ts'),
      'packages/universe/lock.config.json': CONFIG,
      'packages/universe/BUILD.ts': repoFile('packages/universe/BUILD.ts'),
      'packages/universe/universeGraph.ts': repoFile('packages/universe/universeGraph.ts'),
      'lock/dependsClosure.ts': repoFile('lock/dependsClosure.ts'),
      'packages/universe/universeTargets.ts': repoFile('packages/universe/universeTargets.ts'),
      'packages/universe/base/BUILD.ts': repoFile('packages/universe/base/BUILD.ts'),
      'packages/universe/cfi-compat/BUILD.ts': repoFile('packages/universe/cfi-compat/BUILD.ts'),
      'toolchains/BUILD.ts': TOOLCHAINS_BUILD,
    });
  }, 120_000);
  afterAll(async () => {
    await archive.stop();
  });

  it('lock update declares the universe from the indices and writes the bootstrap with reasons', async () => {
    const r = await ws.run(['lock', 'update', '--config', 'packages/universe/lock.config.json'], env);
    expect(r.code, r.stderr).toBe(0);
    const lock = JSON.parse(ws.read('packages/universe/universe.lock.json'));
    expect(lock.universe.selection.binaries).toEqual(['app', 'liba1', 'libc1']);
    expect(Object.keys(lock.sources).sort()).toEqual(['app', 'liba', 'libb', 'libc', 'libd', 'libe']);
    // tool-y is Multi-Arch: foreign: the build machine's, not an XSC build. The build root is the
    // buildd set alone; each build installs its tools' closure (tool-lib, the provider of what
    // tool-y depends on) from pinned .debs.
    expect(lock.sources.app.buildDepends).toEqual(['tool-lib', 'tool-y']);
    expect(lock.buildRoot.packages.map((p: { name: string }) => p.name).sort()).toEqual(['apt', 'base-a', 'build-essential']);
    expect(Object.keys(lock.binaries).sort()).toEqual(['tool-lib', 'tool-y']);
    expect(lock.universe.sources.app.xscBuildDeps).toEqual([['liba-dev'], ['libc-dev']]);
    expect(lock.universe.sources.liba.xscBuildDeps).toEqual([['libb-dev', 'stage1']]);
    expect(lock.universe.sources.libb.why).toBe('xsc: libb-dev for liba');
    expect(lock.universe.sources.libe.why).toBe('xsc: libe1 for libc');
    expect(lock.universe.xsc.libe1).toEqual({ source: 'libe', deps: ['libe-bin'] });
    expect(lock.universe.xsc['libe-bin']).toEqual({ source: 'libe', deps: [] });
    const boot = JSON.parse(ws.read('packages/universe/bootstrap.json'));
    expect(boot.counts).toMatchObject({ sources: 6, cyclicComponents: 2, brokenProfile: 1, brokenTwice: 1, brokenSelf: 0 });
    expect(boot.broken.map((b: { from: string; to: string; kind: string; profile?: string }) => `${b.from} -> ${b.to} ${b.kind} ${b.profile ?? ''}`.trim()))
      .toEqual(['liba -> libb profile stage1', 'libd -> libc twice']);
    // One edge a line, each with the cycle it closes.
    expect(ws.read('packages/universe/bootstrap.json')).toContain('{"from":"liba","to":"libb","kind":"profile","profile":"stage1","via":["libb-dev"],"cycle":["libb","liba"]}');
    expect(r.stderr).toMatch(/bootstrap: 6 sources, \d+ edges, 2 cycles .*broken: 1 by a build profile, 1 built twice, 0 self/);
  }, 300_000);

  it('plans stage and full builds; query says why a package is there and what a change rebuilds', async () => {
    const path = await ws.run(['query', 'somepath(//packages/universe/cfi-compat:app, //packages/universe/cfi-compat:libd-stage)']);
    expect(path.code, path.stderr).toBe(0);
    // app installs libc's full build, built against libd's stage build (libd first without libc).
    expect(path.stdout.trim().split('\n').sort()).toEqual([
      '//packages/universe/cfi-compat:app', '//packages/universe/cfi-compat:libc', '//packages/universe/cfi-compat:libd-stage',
    ]);
    const rdeps = await ws.run(['query', 'rdeps(//packages/universe/..., //packages/universe/cfi-compat:liba-stage, 1)']);
    expect(rdeps.code, rdeps.stderr).toBe(0);
    expect(rdeps.stdout.trim().split('\n').sort()).toEqual(['//packages/universe/cfi-compat:liba-stage', '//packages/universe/cfi-compat:libb']);
    // A build names its build-machine tools as one group (named after the first source that
    // installs that set), which holds the .debs every set has in tools-common.
    const tools = await ws.run(['query', 'deps(//packages/universe/cfi-compat:app, 1) ^ //packages/universe:all']);
    expect(tools.code, tools.stderr).toBe(0);
    expect(tools.stdout.trim().split('\n')).toContain('//packages/universe:tools-app');
    const group = await ws.run(['query', 'deps(//packages/universe:tools-app)']);
    expect(group.stdout.trim().split('\n').filter((l) => !l.includes(':deb-')).sort()).toEqual(['//packages/universe:tools-app', '//packages/universe:tools-common']);
    expect(group.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['//packages/universe:deb-tool-y', '//packages/universe:deb-tool-lib']));
    expect((await ws.run(['query', 'deps(//packages/universe/cfi-compat:libc, 1) ^ //packages/universe:all'])).stdout).not.toContain(':tools-');
  }, 300_000);

  it('the dry run forecasts at N cores against the lower bound and the four-stage master builder', async () => {
    const r = await ws.run(['build', '//packages/universe/cfi-compat:universe', '--dry-run', '--forecast-cores', '80']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/RUN {4}DebBuild \/\/packages\/universe\/cfi-compat:liba-stage/);
    // 8 package builds: six sources, liba's and libd's stage builds.
    expect(r.stdout).toMatch(/Durations: 0 recorded by earlier runs, \d+ estimated/);
    expect(r.stdout).toMatch(/lower bound max\(critical path, work\/80\) +\d+h\d\d +1\.000x/);
    expect(r.stdout).toMatch(/xbuild's scheduler at -j80 +\d+h\d\d +1\.0\d\dx/);
    expect(r.stdout).toMatch(/old master builder: 4 stages, barriers \(1, 20, 40, 80 jobs\) +\d+h\d\d +\d\.\d{3}x/);
    expect((r.stdout.match(/^RUN {4}DebBuild /gm) ?? []).length).toBe(8);
    // What bounds it: the chain, with its longest actions (package builds: a minute each, estimated from source size).
    expect(r.stdout).toMatch(/critical path: \d+ actions; the longest on it: \/\/packages\/universe\/cfi-compat:\S+ 0h01/);
  }, 300_000);

  it('a broken edge taken out of bootstrap.json makes analysis fail, naming the cycle edge by edge', async () => {
    const boot = JSON.parse(ws.read('packages/universe/bootstrap.json'));
    ws.write({ 'packages/universe/bootstrap.json': JSON.stringify({ ...boot, broken: boot.broken.filter((b: { from: string }) => b.from !== 'libd') }) });
    const r = await ws.run(['build', '//packages/universe/cfi-compat:universe', '--dry-run']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('the universe\'s build graph has a cycle of 2 edges');
    expect(r.stderr).toContain('libc needs libd (installs libd-dev, libd1)');
    expect(r.stderr).toContain('libd needs libc (installs libc-dev, libc1)');
    expect(r.stderr).toContain('packages/universe/bootstrap.json');
  }, 300_000);
});
