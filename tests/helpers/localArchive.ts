/**
 * A real, local Debian archive for tests: .debs made with dpkg-deb, source packages with
 * dpkg-source, indices with dpkg-scanpackages / dpkg-scansources, Release files with
 * apt-ftparchive, served over HTTP on 127.0.0.1 by a server that can be told to answer 404 for
 * files the indices still list (as Debian's archive does for some security sources).
 *
 * Two repositories like Debian's: `debian` (suite bookworm) and `debian-security` (suite
 * bookworm-security), so pins name their archive the same way real ones do.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Repo = 'debian' | 'debian-security';
const SUITE: Record<Repo, string> = { debian: 'bookworm', 'debian-security': 'bookworm-security' };
/** The architectures the archive has indices for (the build machine's, and the one foreign arch tests use). */
const ARCHES = ['amd64', 'arm64'] as const;

export interface BinarySpec {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
  readonly depends?: string;
  readonly essential?: boolean;
  readonly priority?: string;
  readonly source?: string;
  readonly multiArch?: string;
  readonly recommends?: string;
  readonly provides?: string;
}

export interface SourceSpec {
  readonly name: string;
  readonly version: string;
  readonly buildDepends?: string;
  /** Binary packages it declares (debian/control), arch any. */
  readonly binaries: readonly string[];
}

export class LocalArchive {
  readonly dir: string;
  /** URL paths (below the server root) answered with 404 although they exist. */
  readonly hidden = new Set<string>();
  private server?: Server;
  port = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'xbuild-archive-'));
    for (const r of Object.keys(SUITE) as Repo[]) mkdirSync(join(this.dir, r, 'pool', 'main'), { recursive: true });
  }

  /** Adds a binary package to a repository's pool; returns its pool path. */
  addBinary(repo: Repo, b: BinarySpec): string {
    const arch = b.arch ?? 'amd64';
    const work = mkdtempSync(join(tmpdir(), 'xbuild-deb-'));
    mkdirSync(join(work, 'DEBIAN'));
    mkdirSync(join(work, 'usr', 'share', 'doc', b.name), { recursive: true });
    writeFileSync(join(work, 'usr', 'share', 'doc', b.name, 'README'), `${b.name} ${b.version}\n`);
    writeFileSync(join(work, 'DEBIAN', 'control'), [
      `Package: ${b.name}`, `Version: ${b.version}`, `Architecture: ${arch}`, 'Maintainer: Test <test@example.invalid>',
      ...(b.source ? [`Source: ${b.source}`] : []), ...(b.depends ? [`Depends: ${b.depends}`] : []),
      ...(b.multiArch ? [`Multi-Arch: ${b.multiArch}`] : []), ...(b.recommends ? [`Recommends: ${b.recommends}`] : []),
      ...(b.provides ? [`Provides: ${b.provides}`] : []),
      ...(b.essential ? ['Essential: yes'] : []), `Priority: ${b.priority ?? 'optional'}`, 'Section: misc',
      `Description: test package ${b.name}`, '',
    ].join('\n'));
    const rel = `pool/main/${b.name}_${b.version.replace(/^\d+:/, '')}_${arch}.deb`;
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', work, join(this.dir, repo, rel)], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
    return rel;
  }

  /** Adds a source package (format 1.0, native: one tarball) to a repository's pool; returns the .dsc's pool path. */
  addSource(repo: Repo, s: SourceSpec): string {
    const work = mkdtempSync(join(tmpdir(), 'xbuild-src-'));
    const src = join(work, `${s.name}-${s.version}`);
    mkdirSync(join(src, 'debian', 'source'), { recursive: true });
    writeFileSync(join(src, 'debian', 'source', 'format'), '1.0\n');
    writeFileSync(join(src, 'debian', 'control'), [
      `Source: ${s.name}`, 'Section: misc', 'Priority: optional', 'Maintainer: Test <test@example.invalid>',
      `Build-Depends: ${s.buildDepends ?? 'debhelper-compat (= 13)'}`, 'Standards-Version: 4.6.2', '',
      ...s.binaries.flatMap((b) => [`Package: ${b}`, 'Architecture: any', `Description: ${b}`, '']),
    ].join('\n'));
    writeFileSync(join(src, 'debian', 'changelog'),
      `${s.name} (${s.version}) unstable; urgency=medium\n\n  * Test.\n\n -- Test <test@example.invalid>  Mon, 01 Jan 2024 00:00:00 +0000\n`);
    writeFileSync(join(src, 'debian', 'rules'), '#!/usr/bin/make -f\n%:\n\tdh $@\n', { mode: 0o755 });
    writeFileSync(join(src, 'hello.c'), `int main(void) { return 0; } /* ${s.version} */\n`);
    const out = join(this.dir, repo, 'pool', 'main');
    execFileSync('dpkg-source', ['-b', src], { cwd: work, stdio: 'ignore' });
    const ver = s.version.replace(/^\d+:/, '');
    for (const f of readdirSync(work).filter((n) => n.startsWith(`${s.name}_${ver}.`))) execFileSync('cp', [join(work, f), out]);
    rmSync(work, { recursive: true, force: true });
    return `pool/main/${s.name}_${ver}.dsc`;
  }

  /** Removes a file from the pool (the indices, once published again, forget it). */
  remove(repo: Repo, poolPath: string): void {
    rmSync(join(this.dir, repo, poolPath), { force: true });
  }

  /** Writes Packages, Sources and Release of every repository from what its pool holds. */
  publish(): void {
    for (const repo of Object.keys(SUITE) as Repo[]) {
      const root = join(this.dir, repo);
      const dist = join(root, 'dists', SUITE[repo]);
      mkdirSync(join(dist, 'main', 'source'), { recursive: true });
      // One Packages index per architecture, as Debian's: amd64's and arm64's each list their
      // own .debs and the arch: all ones.
      for (const arch of ARCHES) {
        mkdirSync(join(dist, 'main', `binary-${arch}`), { recursive: true });
        const packages = execFileSync('dpkg-scanpackages', ['--multiversion', '--arch', arch, 'pool', '/dev/null'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
        writeFileSync(join(dist, 'main', `binary-${arch}`, 'Packages'), packages);
      }
      const sources = execFileSync('dpkg-scansources', ['pool', '/dev/null'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
      writeFileSync(join(dist, 'main', 'source', 'Sources'), sources);
      const release = execFileSync('apt-ftparchive', [
        '-o', `APT::FTPArchive::Release::Suite=${SUITE[repo]}`, '-o', `APT::FTPArchive::Release::Codename=${SUITE[repo]}`,
        '-o', 'APT::FTPArchive::Release::Components=main', '-o', `APT::FTPArchive::Release::Architectures=${ARCHES.join(' ')} source`,
        'release', '.',
      ], { cwd: dist });
      writeFileSync(join(dist, 'Release'), release);
    }
  }

  /** Starts the HTTP server on 127.0.0.1 (a random port). */
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
      const file = join(this.dir, path);
      if (path.includes('..') || this.hidden.has(path) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': statSync(file).size });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** A deb822 sources file for apt (what `XBUILD_APT_SOURCES` names). */
  sourcesFile(): string {
    const f = join(this.dir, 'test.sources');
    writeFileSync(f, (Object.keys(SUITE) as Repo[]).map((r) =>
      `Types: deb\nURIs: http://127.0.0.1:${this.port}/${r}\nSuites: ${SUITE[r]}\nComponents: main\nTrusted: yes\n`).join('\n'));
    return f;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
