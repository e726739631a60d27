/**
 * Remote cache download throughput: xbuild's client (`RemoteCache.lookup`, which verifies
 * signatures and every blob's SHA-256 and fsyncs each blob into the store) against `curl`
 * fetching the same blobs from the same nginx in the same run.
 *
 * Build and run:  npx tsc -p tsconfig.json && node dist/bench/remoteCacheBench.js [--scale N] [--runs N] [--json]
 *
 * Synthetic workspace: `actions` actions whose outputs have mixed sizes (many 4 KiB files,
 * some 256 KiB, a few 4 MiB and some 32 MiB), about 190 MB at scale 1. Everything is uploaded
 * once (timed), then each method downloads all blobs into an empty directory `runs` times,
 * interleaved (curl, xbuild, curl, ...) so page-cache state is the same for both; medians are
 * printed with the ratios. curl runs as one process per method (keep-alive, no spawn per blob):
 * sequentially, and with `--parallel --parallel-max P` where P is the client's transfer parallelism.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionResult, OutputEntry } from '../cache/actionCache.js';
import { BlobStore } from '../cache/blobStore.js';
import { sha256Hex, type Digest, type Sha256 } from '../cache/digest.js';
import { RemoteCache } from '../cache/remote/remoteCache.js';
import { KeyPair, TrustedKeys, generateKey } from '../cache/signing.js';
import { startNginx } from '../tests/helpers/nginx.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Args {
  readonly scale: number;
  readonly runs: number;
  readonly json: boolean;
  readonly parallel: number;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string, dflt: number) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  return { scale: get('--scale', 1), runs: get('--runs', 3), json: argv.includes('--json'), parallel: get('--parallel', 4) };
}

/** Output sizes of the synthetic workspace, per scale unit. */
function outputSizes(scale: number): number[] {
  const sizes: number[] = [];
  const add = (n: number, size: number) => {
    for (let i = 0; i < Math.max(1, Math.round(n * scale)); i++) sizes.push(size);
  };
  add(400, 4 * KiB);
  add(60, 256 * KiB);
  add(12, 4 * MiB);
  add(4, 32 * MiB);
  return sizes;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'xbuild-remote-bench-'));
  const nginx = await startNginx({ prefix: 'bench' });
  try {
    const keyParse = KeyPair.parse(generateKey('bench').secretText);
    if (!keyParse.ok) throw new Error(keyParse.error);
    const signer = keyParse.value;
    const trusted = new TrustedKeys([signer.publicKey]);

    // 1. The synthetic workspace: outputs spread round-robin over actions.
    const source = new BlobStore(join(work, 'source'));
    const sizes = outputSizes(args.scale);
    const actions = Math.max(1, Math.round(60 * args.scale));
    const outputsOf: OutputEntry[][] = Array.from({ length: actions }, () => []);
    const blobs: Digest[] = [];
    sizes.forEach((size, i) => {
      const d = source.putBytes(randomBytes(size));
      blobs.push(d);
      outputsOf[i % actions].push({ path: `out/${i}.bin`, kind: 'file', digest: d, executable: false });
    });
    const results = outputsOf.map((outputs) => ({ outputs, exitCode: 0, durationMs: 1 }) as ActionResult);
    const keys = results.map((_, i) => sha256Hex(`bench action ${i} ${Date.now()}`) as Sha256);
    const totalBytes = blobs.reduce((s, d) => s + d.sizeBytes, 0);

    // 2. Upload (timed), then again (every blob skipped by HEAD).
    const uploader = new RemoteCache({ url: nginx.baseUrl, store: source, parallelTransfers: args.parallel });
    let t = performance.now();
    for (const [i, r] of results.entries()) {
      const u = await uploader.upload(keys[i], r, signer);
      if (u.status !== 'uploaded') throw new Error(`upload failed: ${u.detail}`);
    }
    const uploadMs = performance.now() - t;
    t = performance.now();
    for (const [i, r] of results.entries()) await uploader.upload(keys[i], r, signer);
    const reuploadMs = performance.now() - t;
    uploader.close();

    // 3. Downloads, interleaved.
    const curlConfig = (dir: string) => {
      const lines = blobs.map((d) => `url = "${nginx.baseUrl}cas/${d.hash}"\noutput = "${join(dir, d.hash)}"`);
      const cfg = join(work, 'curl.cfg');
      writeFileSync(cfg, `${lines.join('\n')}\n`);
      return cfg;
    };
    /** curl's time, and its time plus an fsync of every file (the durability the store gives). */
    const runCurl = (parallel: boolean): { ms: number; withFsyncMs: number } => {
      const dir = join(work, `curl-${randomBytes(4).toString('hex')}`);
      mkdirSync(dir);
      const cfg = curlConfig(dir);
      const extra = parallel ? ['--parallel', '--parallel-max', String(args.parallel)] : [];
      const t0 = performance.now();
      execFileSync('curl', ['-s', '-S', '-f', ...extra, '-K', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = performance.now() - t0;
      for (const d of blobs) {
        const fd = openSync(join(dir, d.hash), 'r');
        fsyncSync(fd);
        closeSync(fd);
      }
      const withFsyncMs = performance.now() - t0;
      rmSync(dir, { recursive: true, force: true });
      return { ms, withFsyncMs };
    };
    /** All lookups, `concurrentLookups` at a time (the engine looks up as many actions as it has jobs). */
    const runClient = async (concurrentLookups: number): Promise<number> => {
      const store = new BlobStore(join(work, `client-${randomBytes(4).toString('hex')}`));
      const client = new RemoteCache({ url: nginx.baseUrl, store, parallelTransfers: args.parallel });
      const t0 = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          const k = keys[next++];
          const r = await client.lookup(k, trusted);
          if (r.status !== 'hit') throw new Error(`lookup ${k}: ${r.reason}: ${r.detail}`);
        }
      };
      await Promise.all(Array.from({ length: concurrentLookups }, worker));
      const ms = performance.now() - t0;
      client.close();
      rmSync(store.root, { recursive: true, force: true });
      return ms;
    };
    runCurl(false); // warm the page cache and nginx
    const curlSeq: number[] = [];
    const curlSeqFsync: number[] = [];
    const curlPar: number[] = [];
    const curlParFsync: number[] = [];
    const client: number[] = [];
    const clientConcurrent: number[] = [];
    for (let i = 0; i < args.runs; i++) {
      const s = runCurl(false);
      curlSeq.push(s.ms);
      curlSeqFsync.push(s.withFsyncMs);
      client.push(await runClient(1));
      const p = runCurl(true);
      curlPar.push(p.ms);
      curlParFsync.push(p.withFsyncMs);
      clientConcurrent.push(await runClient(2));
    }

    const report = {
      blobs: blobs.length,
      actions,
      totalMB: totalBytes / 1e6,
      uploadMs: Math.round(uploadMs),
      uploadMBps: mbps(totalBytes, uploadMs),
      reuploadAllSkippedMs: Math.round(reuploadMs),
      runs: args.runs,
      parallel: args.parallel,
      xbuildMs: Math.round(median(client)),
      xbuildMBps: mbps(totalBytes, median(client)),
      xbuild2LookupsMs: Math.round(median(clientConcurrent)),
      xbuild2LookupsMBps: mbps(totalBytes, median(clientConcurrent)),
      curlSequentialMs: Math.round(median(curlSeq)),
      curlSequentialMBps: mbps(totalBytes, median(curlSeq)),
      curlSequentialFsyncMs: Math.round(median(curlSeqFsync)),
      curlSequentialFsyncMBps: mbps(totalBytes, median(curlSeqFsync)),
      curlParallelMs: Math.round(median(curlPar)),
      curlParallelMBps: mbps(totalBytes, median(curlPar)),
      curlParallelFsyncMs: Math.round(median(curlParFsync)),
      curlParallelFsyncMBps: mbps(totalBytes, median(curlParFsync)),
    };
    if (args.json) {
      console.log(JSON.stringify(report));
      return;
    }
    const f = (x: number) => x.toFixed(1);
    const row = (label: string, ms: number, mb: number) => console.log(`  ${label.padEnd(52)} ${String(ms).padStart(6)} ms ${f(mb).padStart(7)} MB/s`);
    console.log(`remote cache bench: ${report.blobs} blobs (${f(report.totalMB)} MB) in ${actions} actions, nginx on 127.0.0.1, median of ${args.runs}`);
    row('upload (HEAD + PUT, signed entries)', report.uploadMs, report.uploadMBps);
    console.log(`  ${'re-upload (every blob skipped by HEAD)'.padEnd(52)} ${String(report.reuploadAllSkippedMs).padStart(6)} ms`);
    row('download, xbuild (verify + fsync), 1 lookup at a time', report.xbuildMs, report.xbuildMBps);
    row('download, xbuild (verify + fsync), 2 lookups at a time', report.xbuild2LookupsMs, report.xbuild2LookupsMBps);
    row('download, curl, one process, sequential', report.curlSequentialMs, report.curlSequentialMBps);
    row('  same, then fsync every file', report.curlSequentialFsyncMs, report.curlSequentialFsyncMBps);
    row(`download, curl --parallel-max ${args.parallel}`, report.curlParallelMs, report.curlParallelMBps);
    row('  same, then fsync every file', report.curlParallelFsyncMs, report.curlParallelFsyncMBps);
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(`  throughput ratio xbuild(1 lookup) / curl sequential            ${ratio(report.xbuildMBps, report.curlSequentialMBps)}`);
    console.log(`  throughput ratio xbuild(1 lookup) / curl sequential + fsync    ${ratio(report.xbuildMBps, report.curlSequentialFsyncMBps)}`);
    console.log(`  throughput ratio xbuild(2 lookups) / curl parallel             ${ratio(report.xbuild2LookupsMBps, report.curlParallelMBps)}`);
    console.log(`  throughput ratio xbuild(2 lookups) / curl parallel + fsync     ${ratio(report.xbuild2LookupsMBps, report.curlParallelFsyncMBps)}`);
  } finally {
    await nginx.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`remoteCacheBench: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
