/**
 * Remote-cached build benchmark (issue 4): the REAL CLI (`xbuild build //... -j N --events=F`)
 * on a synthetic workspace whose actions write outputs of mixed sizes, against a real nginx
 * (WebDAV, loopback) started here, with `curl` fetching the same blobs from the same server in
 * the same run.
 *
 * Build and run:
 *   npx tsc -p tsconfig.json && node dist/bench/remoteBuildBench.js [--scale S] [--runs N] [--jobs J] [--parallel P] [--json] [--keep]
 *
 * --scale S     multiplies the number of outputs of each size class (default 1: about 270 MB)
 * --runs N      repetitions of the repeatable measurements (local-cached, remote-cached, curl); medians
 * --jobs J      `-j` of every build (default 2)
 * --parallel P  curl's `--parallel-max` (default 4, the remote client's default transfer parallelism)
 * --keep        keep the temp dir (workspaces, caches, logs, event files) and print its path
 *
 * What it does, in one temp dir, with a snapshot of the compiled xbuild (bin/ + dist/ copied, so
 * others recompiling dist/ mid-run do not change the code under test):
 *  0. `xbuild key generate --name bench` -> secret file; the public key is stderr's last line.
 *  1. cold: workspace C, fresh cache, no remote.  cold+upload: workspace A, fresh cache,
 *     `--remote-cache=URL --sign-with=SECRET` (executes and uploads everything).
 *  2. local-cached: in A, `xbuild clean`, then build again (every output restored from A's
 *     local cache); plus a no-op build (nothing to restore: the fixed cost of one build).
 *  3. remote-cached: workspace B (another directory, same sources), fresh empty cache dir each
 *     run, `--remote-cache=URL --trusted-key=bench:PUBLIC`. Must execute 0 actions (checked in the
 *     events, each action must be `cached` from `remote`); bytes downloaded come from the
 *     build_finished event (cross-checked against stderr's `Cache: ... X MiB downloaded` line
 *     and against nginx's access log). The first run's outputs are compared byte for byte with A's.
 *  4. curl: the exact blobs B's first run GOT from /cas/ (nginx's access log), fetched by one curl
 *     process, sequentially and with `--parallel --parallel-max P`, into a temp dir; also timed
 *     with an fsync of every file afterwards (the blob store fsyncs what it writes).
 * 2-4 are interleaved per run (curl seq, curl par, local, remote) so load drift hits all alike.
 *
 * Output bytes are deterministic: `head -c SIZE /dev/zero | openssl enc -aes-128-ctr -K K -iv 0
 * -nosalt`, K = the first 16 bytes of SHA-256 of the target's name (pseudo-random, incompressible,
 * distinct per target, identical in A, B and C).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { snapshotXbuild, median } from './benchRun.js';
import { startNginx, type NginxServer } from '../tests/helpers/nginx.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Args {
  readonly scale: number;
  readonly runs: number;
  readonly jobs: number;
  readonly parallel: number;
  readonly json: boolean;
  readonly keep: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string, dflt: number) => {
    const i = argv.indexOf(flag);
    const eq = argv.find((a) => a.startsWith(`${flag}=`));
    const v = eq ? Number(eq.slice(flag.length + 1)) : i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number`);
    return v;
  };
  return {
    scale: get('--scale', 1), runs: Math.round(get('--runs', 3)), jobs: Math.round(get('--jobs', 2)),
    parallel: Math.round(get('--parallel', 4)), json: argv.includes('--json'), keep: argv.includes('--keep'),
  };
}

interface Target {
  readonly pkg: string;
  readonly name: string;
  readonly size: number;
}

/** The synthetic workspace's targets: one output each, sizes by class. */
function targets(scale: number): Target[] {
  const out: Target[] = [];
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  // many small files (1-16 KiB)
  for (let i = 0; i < n(400); i++) out.push({ pkg: 'gen/small', name: `s${i}`, size: (1 + (i % 16)) * KiB });
  // some medium (256 KiB)
  for (let i = 0; i < n(40); i++) out.push({ pkg: 'gen/medium', name: `m${i}`, size: 256 * KiB });
  // some of a few MB (2-6 MiB)
  for (let i = 0; i < n(24); i++) out.push({ pkg: 'gen/mb', name: `b${i}`, size: (2 + (i % 5)) * MiB });
  // a few of tens of MB (24, 32, 40, 48 MiB, ...)
  for (let i = 0; i < n(4); i++) out.push({ pkg: 'gen/large', name: `l${i}`, size: (24 + 8 * (i % 4)) * MiB });
  return out;
}

/** Writes the workspace: a root BUILD.ts and one BUILD.ts per package with a table of targets. */
function writeWorkspace(root: string, ts: readonly Target[]): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'BUILD.ts'), '// remoteBuildBench workspace root\n');
  const byPkg = new Map<string, Target[]>();
  for (const t of ts) byPkg.set(t.pkg, [...(byPkg.get(t.pkg) ?? []), t]);
  for (const [pkg, list] of byPkg) {
    mkdirSync(join(root, pkg), { recursive: true });
    const rows = list.map((t) => {
      const key = createHash('sha256').update(`//${t.pkg}:${t.name}`).digest('hex').slice(0, 32);
      return `  ["${t.name}", ${t.size}, "${key}"],`;
    });
    writeFileSync(join(root, pkg, 'BUILD.ts'), `import { cmd } from "xbuild";

// [name, bytes, aes-128 key]: deterministic, incompressible, distinct output bytes per target.
const T: [string, number, string][] = [
${rows.join('\n')}
];

for (const [name, size, key] of T) {
  cmd({
    name,
    outs: [name + ".bin"],
    cmd: "head -c " + size + " /dev/zero | openssl enc -aes-128-ctr -nosalt -K " + key + " -iv 00000000000000000000000000000000 > $@",
    tools: ["/usr/bin/head", "/usr/bin/openssl"],
  });
}
`);
  }
}

interface BuildRun {
  readonly ms: number;
  readonly executed: number;
  readonly cachedLocal: number;
  readonly cachedRemote: number;
  readonly bytesDownloaded: number;
  readonly bytesUploaded: number;
  /** The build's own duration (build_finished.durationMs: from opening the cache to the summary). */
  readonly buildMs: number;
  /** Loading + analysis (analysis_finished.ms), and whether the analysis cache answered. */
  readonly analysisMs: number;
  readonly analysisCached: boolean;
  /** `X MiB downloaded` from stderr's Cache: line, when present. */
  readonly stderrDownloaded?: string;
}

class Bench {
  private n = 0;
  constructor(readonly work: string, readonly xbuild: string, readonly jobs: number) {
    mkdirSync(join(work, 'logs'), { recursive: true });
  }

  env(cacheDir: string): NodeJS.ProcessEnv {
    // A private XDG_CONFIG_HOME: no user config (remote cache, keys) leaks into the runs.
    return { ...process.env, XBUILD_CACHE_DIR: cacheDir, CI: '1', XDG_CONFIG_HOME: join(this.work, 'config') };
  }

  /** Runs `xbuild <args>` in ws; throws with the output's tail when it fails. */
  cli(ws: string, cacheDir: string, args: readonly string[], tag: string): { ms: number; stdout: string; stderr: string } {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [this.xbuild, ...args], { cwd: ws, env: this.env(cacheDir), encoding: 'utf8', maxBuffer: 256 * MiB, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw r.error;
    const logPath = join(this.work, 'logs', `${++this.n}-${tag}.log`);
    mkdirSync(dirname(logPath), { recursive: true });
    writeFileSync(logPath, `$ xbuild ${args.join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    if (r.status !== 0) {
      throw new Error(`xbuild ${args.join(' ')} (${tag}) failed with exit ${r.status}:\n${r.stderr.split('\n').slice(-30).join('\n')}`);
    }
    return { ms, stdout: r.stdout, stderr: r.stderr };
  }

  build(ws: string, cacheDir: string, extra: readonly string[], tag: string): BuildRun {
    const events = join(this.work, 'logs', `${this.n + 1}-${tag}.ndjson`);
    const r = this.cli(ws, cacheDir, ['build', '//...', '-j', String(this.jobs), `--events=${events}`, ...extra], tag);
    let executed = 0, cachedLocal = 0, cachedRemote = 0, bytesDownloaded = 0, bytesUploaded = 0, buildMs = NaN, analysisMs = NaN, analysisCached = false;
    for (const line of readFileSync(events, 'utf8').split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as { type: string; status?: string; cache?: string; durationMs?: number; ms?: number; fromCache?: boolean; cacheStats?: Record<string, number> };
      if (e.type === 'analysis_finished') {
        analysisMs = e.ms ?? NaN;
        analysisCached = !!e.fromCache;
      } else if (e.type === 'action_finished') {
        if (e.status === 'executed') executed++;
        else if (e.status === 'cached' && e.cache === 'remote') cachedRemote++;
        else if (e.status === 'cached') cachedLocal++;
      } else if (e.type === 'build_finished') {
        bytesDownloaded = e.cacheStats?.bytesDownloaded ?? 0;
        bytesUploaded = e.cacheStats?.bytesUploaded ?? 0;
        buildMs = e.durationMs ?? NaN;
      }
    }
    const m = /Cache:.*?, ([\d.]+ (?:B|KiB|MiB|GiB|TiB)) downloaded/.exec(r.stderr);
    return { ms: r.ms, executed, cachedLocal, cachedRemote, bytesDownloaded, bytesUploaded, buildMs, analysisMs, analysisCached, stderrDownloaded: m?.[1] };
  }
}

/** path -> sha256 of every file under dir. */
function treeDigest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Hashes of /cas/ blobs GOT with status 200 in access-log lines [from, ...), and their bytes. */
function casGets(nginx: NginxServer, from: number): { hashes: string[]; bytes: number; lines: number } {
  const lines = nginx.accessLog().slice(from);
  const hashes = new Set<string>();
  let bytes = 0;
  for (const l of lines) {
    const m = /^GET \S*\/cas\/([0-9a-f]{64}) 200 (\d+)$/.exec(l);
    if (!m) continue;
    hashes.add(m[1]);
    bytes += Number(m[2]);
  }
  return { hashes: [...hashes], bytes, lines: lines.length };
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => { if (!args.json) process.stderr.write(`${s}\n`); };
  const work = mkdtempSync(join(tmpdir(), 'xbuild-remote-build-bench-'));
  let nginx: NginxServer | undefined;
  try {
    const xbuild = snapshotXbuild(join(work, 'xbuild-snapshot'));
    const bench = new Bench(work, xbuild, args.jobs);
    const ts = targets(args.scale);
    const totalBytes = ts.reduce((s, t) => s + t.size, 0);
    const wsA = join(work, 'A/ws'), wsB = join(work, 'B/ws'), wsC = join(work, 'C/ws');
    for (const ws of [wsA, wsB, wsC]) writeWorkspace(ws, ts);
    log(`remoteBuildBench: ${ts.length} actions, ${(totalBytes / 1e6).toFixed(1)} MB of outputs, -j ${args.jobs}, ${args.runs} runs; work dir ${work}`);

    // 0. Signing key, through the CLI.
    const key = spawnSync(process.execPath, [xbuild, 'key', 'generate', '--name', 'bench'], { encoding: 'utf8', env: bench.env(join(work, 'unused-cache')) });
    if (key.status !== 0) throw new Error(`key generate failed: ${key.stderr}`);
    const secretFile = join(work, 'bench.secret');
    writeFileSync(secretFile, key.stdout, { mode: 0o600 });
    const publicKey = key.stderr.trim().split('\n').pop()!.trim();

    nginx = await startNginx({ prefix: 'bench' });
    const url = nginx.baseUrl;

    // Warm-up (untimed): a one-action workspace, so the first timed build does not pay for a
    // cold page cache of the snapshot, Node's compile of it and the first hash of the tools.
    const warm = join(work, 'warm/ws');
    writeWorkspace(warm, [{ pkg: 'gen/small', name: 'w', size: KiB }]);
    bench.build(warm, join(work, 'warm/cache'), [], 'warm-up');
    rmSync(join(work, 'warm'), { recursive: true, force: true });

    // 1. Cold, without and with the remote (upload).
    log('cold build (workspace C, no remote)...');
    const cold = bench.build(wsC, join(work, 'C/cache'), [], 'cold');
    if (cold.executed !== ts.length) throw new Error(`cold build executed ${cold.executed} of ${ts.length} actions`);
    rmSync(join(work, 'C'), { recursive: true, force: true }); // disk space
    log(`  ${(cold.ms / 1000).toFixed(1)} s`);
    log('cold build + upload (workspace A, --remote-cache --sign-with)...');
    const cacheA = join(work, 'A/cache');
    const coldUpload = bench.build(wsA, cacheA, [`--remote-cache=${url}`, `--sign-with=${secretFile}`], 'cold-upload');
    if (coldUpload.executed !== ts.length) throw new Error(`cold+upload build executed ${coldUpload.executed} of ${ts.length} actions`);
    log(`  ${(coldUpload.ms / 1000).toFixed(1)} s, ${(coldUpload.bytesUploaded / 1e6).toFixed(1)} MB uploaded`);
    const casDir = dirname(nginx.pathOf('cas', '0'.repeat(64)));
    const stored = readdirSync(casDir).filter((h) => /^[0-9a-f]{64}$/.test(h));
    const storedBytes = stored.reduce((s, h) => s + statSync(join(casDir, h)).size, 0);

    // 2-4, interleaved per run.
    const local: BuildRun[] = [], noop: BuildRun[] = [], remote: BuildRun[] = [];
    const curlSeq: number[] = [], curlSeqFsync: number[] = [], curlPar: number[] = [], curlParFsync: number[] = [];
    let blobs: string[] = [];
    let blobBytes = 0;
    let identical: boolean | undefined;
    const runCurl = (parallel: boolean): { ms: number; fsyncMs: number } => {
      const dir = join(work, `curl-${randomBytes(4).toString('hex')}`);
      mkdirSync(dir);
      const cfg = join(work, 'curl.cfg');
      writeFileSync(cfg, blobs.map((h) => `url = "${url}cas/${h}"\noutput = "${join(dir, h)}"\n`).join(''));
      const extra = parallel ? ['--parallel', '--parallel-max', String(args.parallel)] : [];
      const t0 = process.hrtime.bigint();
      const r = spawnSync('curl', ['-s', '-S', '-f', ...extra, '-K', cfg], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`curl failed (${r.status}): ${r.stderr}`);
      for (const h of blobs) {
        const fd = openSync(join(dir, h), 'r');
        fsyncSync(fd);
        closeSync(fd);
      }
      const fsyncMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const got = blobs.reduce((s, h) => s + statSync(join(dir, h)).size, 0);
      if (got !== blobBytes) throw new Error(`curl fetched ${got} bytes, expected ${blobBytes}`);
      rmSync(dir, { recursive: true, force: true });
      return { ms, fsyncMs };
    };

    for (let i = 0; i < args.runs; i++) {
      log(`run ${i + 1}/${args.runs}...`);
      // 3. remote-cached (first, in run 1, so the curl set is known)
      const cacheB = join(work, `B/cache-${i}`);
      if (existsSync(join(wsB, 'xbuild-out'))) bench.cli(wsB, cacheB, ['clean'], 'clean-B');
      const logFrom = nginx.accessLog().length;
      const r = bench.build(wsB, cacheB, [`--remote-cache=${url}`, `--trusted-key=${publicKey}`], `remote-${i}`);
      if (r.executed !== 0 || r.cachedRemote !== ts.length) {
        throw new Error(`remote-cached build: ${r.executed} executed, ${r.cachedRemote} from remote, ${r.cachedLocal} local, of ${ts.length} actions (must be 0 executed, all remote)`);
      }
      remote.push(r);
      const gets = casGets(nginx, logFrom);
      if (i === 0) {
        blobs = gets.hashes;
        blobBytes = blobs.reduce((s, h) => s + statSync(nginx!.pathOf('cas', h)).size, 0);
        const a = treeDigest(join(wsA, 'xbuild-out')), b = treeDigest(join(wsB, 'xbuild-out'));
        identical = a.size === b.size && [...a].every(([p, d]) => b.get(p) === d);
        if (!identical) throw new Error('workspace B\'s outputs differ from workspace A\'s');
      }
      rmSync(cacheB, { recursive: true, force: true });
      log(`  remote-cached ${(r.ms / 1000).toFixed(2)} s (${(r.bytesDownloaded / 1e6).toFixed(1)} MB downloaded, nginx sent ${(gets.bytes / 1e6).toFixed(1)} MB in ${gets.hashes.length} cas GETs)`);
      // 4. curl
      const s = runCurl(false);
      curlSeq.push(s.ms); curlSeqFsync.push(s.fsyncMs);
      const p = runCurl(true);
      curlPar.push(p.ms); curlParFsync.push(p.fsyncMs);
      log(`  curl sequential ${(s.ms / 1000).toFixed(2)} s, parallel ${(p.ms / 1000).toFixed(2)} s`);
      // 2. local-cached, then a no-op
      bench.cli(wsA, cacheA, ['clean'], 'clean-A');
      const l = bench.build(wsA, cacheA, [], `local-${i}`);
      if (l.executed !== 0 || l.cachedLocal !== ts.length) throw new Error(`local-cached build: ${l.executed} executed, ${l.cachedLocal} cached of ${ts.length}`);
      local.push(l);
      const nop = bench.build(wsA, cacheA, [], `noop-${i}`);
      noop.push(nop);
      log(`  local-cached ${(l.ms / 1000).toFixed(2)} s, no-op ${(nop.ms / 1000).toFixed(2)} s`);
    }

    const med = (xs: readonly BuildRun[]) => median(xs.map((x) => x.ms));
    const downloaded = median(remote.map((r) => r.bytesDownloaded));
    const remoteMs = med(remote), localMs = med(local), noopMs = med(noop);
    const phase = (xs: readonly BuildRun[]) => median(xs.map((x) => x.buildMs - x.analysisMs));
    const remotePhaseMs = phase(remote), localPhaseMs = phase(local);
    const report = {
      actions: ts.length, outputMB: totalBytes / 1e6, jobs: args.jobs, runs: args.runs, scale: args.scale, curlParallel: args.parallel,
      serverCasBlobs: stored.length, serverCasMB: storedBytes / 1e6,
      coldMs: Math.round(cold.ms), coldUploadMs: Math.round(coldUpload.ms), uploadedMB: coldUpload.bytesUploaded / 1e6,
      localCachedMs: Math.round(localMs), noopMs: Math.round(noopMs), remoteCachedMs: Math.round(remoteMs),
      remoteAnalysisMs: Math.round(median(remote.map((r) => r.analysisMs))), localAnalysisMs: Math.round(median(local.map((r) => r.analysisMs))),
      remoteAnalysisCached: remote.some((r) => r.analysisCached), localAnalysisCached: local.every((r) => r.analysisCached),
      remotePhaseMs: Math.round(remotePhaseMs), localPhaseMs: Math.round(localPhaseMs), remotePhaseOverLocalPhase: remotePhaseMs / localPhaseMs,
      remoteOverLocal: remoteMs / localMs, remoteOverCold: remoteMs / cold.ms, localOverCold: localMs / cold.ms,
      downloadedMB: downloaded / 1e6, downloadedStderr: remote[0].stderrDownloaded, blobsFetched: blobs.length, blobsMB: blobBytes / 1e6,
      outputsIdentical: identical,
      xbuildMBps: mbps(downloaded, remoteMs),
      xbuildPhaseMBps: mbps(downloaded, remotePhaseMs),
      curlSequentialMs: Math.round(median(curlSeq)), curlSequentialMBps: mbps(blobBytes, median(curlSeq)),
      curlSequentialFsyncMBps: mbps(blobBytes, median(curlSeqFsync)),
      curlParallelMs: Math.round(median(curlPar)), curlParallelMBps: mbps(blobBytes, median(curlPar)),
      curlParallelFsyncMBps: mbps(blobBytes, median(curlParFsync)),
      all: {
        remoteMs: remote.map((r) => Math.round(r.ms)), localMs: local.map((r) => Math.round(r.ms)), noopMs: noop.map((r) => Math.round(r.ms)),
        curlSeqMs: curlSeq.map(Math.round), curlParMs: curlPar.map(Math.round),
      },
    };
    if (args.json) {
      console.log(JSON.stringify(report));
      return;
    }
    const f1 = (x: number) => x.toFixed(1);
    const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
    const row = (label: string, ms: number, extra = '') => console.log(`  ${label.padEnd(62)} ${sec(ms)}${extra ? `  ${extra}` : ''}`);
    const ratio = (label: string, x: number) => console.log(`  ${label.padEnd(62)} ${x.toFixed(2).padStart(9)}`);
    const tput = (label: string, mb: number) => console.log(`  ${label.padEnd(62)} ${`${f1(mb)} MB/s`.padStart(12)}`);
    console.log(`remote build bench: ${report.actions} actions, ${f1(report.outputMB)} MB of outputs (server: ${stored.length} cas blobs, ${f1(report.serverCasMB)} MB), `
      + `real CLI -j ${args.jobs}, nginx on 127.0.0.1, median of ${args.runs} (wall clock of the whole command)`);
    row('cold (workspace C, no remote)', report.coldMs);
    row('cold + upload (workspace A, --sign-with)', report.coldUploadMs, `${f1(report.uploadedMB)} MB uploaded`);
    row('local-cached (A after xbuild clean)', report.localCachedMs);
    row('no-op (A, everything up to date)', report.noopMs);
    row('remote-cached (B, empty cache, 0 executed)', report.remoteCachedMs, `${f1(report.downloadedMB)} MB downloaded (stderr: ${report.downloadedStderr})`);
    row('  of which loading + analysis (no analysis cache)', report.remoteAnalysisMs);
    row('  of which execution phase (durationMs - analysis)', report.remotePhaseMs);
    row('local-cached: loading + analysis (analysis cache)', report.localAnalysisMs);
    row('local-cached: execution phase (durationMs - analysis)', report.localPhaseMs);
    ratio('ratio remote-cached / local-cached', report.remoteOverLocal);
    ratio('ratio remote-cached / cold', report.remoteOverCold);
    ratio('ratio local-cached / cold', report.localOverCold);
    ratio('ratio execution phase remote / local', report.remotePhaseOverLocalPhase);
    tput('download, xbuild build (bytes / wall time)', report.xbuildMBps);
    tput('download, xbuild build (bytes / execution phase)', report.xbuildPhaseMBps);
    tput(`download, curl sequential (${blobs.length} blobs, ${f1(report.blobsMB)} MB)`, report.curlSequentialMBps);
    tput('  same, then fsync every file', report.curlSequentialFsyncMBps);
    tput(`download, curl --parallel-max ${args.parallel}`, report.curlParallelMBps);
    tput('  same, then fsync every file', report.curlParallelFsyncMBps);
    ratio('throughput ratio xbuild (wall) / curl sequential', report.xbuildMBps / report.curlSequentialMBps);
    ratio(`throughput ratio xbuild (wall) / curl parallel ${args.parallel}`, report.xbuildMBps / report.curlParallelMBps);
    ratio('throughput ratio xbuild (execution phase) / curl sequential', report.xbuildPhaseMBps / report.curlSequentialMBps);
    ratio(`throughput ratio xbuild (execution phase) / curl parallel ${args.parallel}`, report.xbuildPhaseMBps / report.curlParallelMBps);
    console.log(`  runs (ms): remote ${report.all.remoteMs.join(' ')}; local ${report.all.localMs.join(' ')}; no-op ${report.all.noopMs.join(' ')}; `
      + `curl seq ${report.all.curlSeqMs.join(' ')}; curl par ${report.all.curlParMs.join(' ')}`);
  } finally {
    await nginx?.dispose();
    if (args.keep) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`remoteBuildBench: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
