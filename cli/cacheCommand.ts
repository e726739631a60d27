/**
 * `xbuild cache stats|gc|export|import` and `xbuild key generate`.
 */
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectGarbage, parseSize, unpackedTrees } from '../cache/gc.js';
import { describeLease } from '../cache/cacheLease.js';
import { exportClosure, importClosure } from '../cache/closureArchive.js';
import { generateKey } from '../cache/signing.js';
import type { Sha256 } from '../cache/digest.js';
import { UsageError } from './args.js';
import { analyze, openSession } from './session.js';
import { cacheSettings } from './settings.js';
import { loadSigners, loadTrusted } from './remoteSetup.js';
import { actionsFor } from '../engine/analyze/action.js';
import { formatBytes } from './buildEnd.js';
import type { CommandContext } from './commandContext.js';

export async function cacheCommand(ctx: CommandContext): Promise<number> {
  const [sub, ...args] = ctx.positional;
  const session = await openSession(ctx.root, ctx.cacheDir, `cache ${sub ?? ''}`);
  const out = process.stdout;
  try {
    switch (sub) {
      case 'stats': {
        let blobs = 0, bytes = 0;
        for (const b of session.blobs.entries()) {
          blobs++;
          bytes += b.size;
        }
        const rows = (session.db.prepare('SELECT COUNT(*) n FROM action_results').get() as { n: number }).n;
        const builds = (session.db.prepare('SELECT summary FROM builds WHERE summary IS NOT NULL ORDER BY id DESC LIMIT 50').all() as { summary: string }[])
          .map((r) => JSON.parse(r.summary) as { executed: number; cachedLocal: number; cachedRemote: number; remote?: { bytesDownloaded?: number; bytesUploaded?: number } });
        const sum = (f: (b: (typeof builds)[number]) => number) => builds.reduce((s, b) => s + f(b), 0);
        const total = sum((b) => b.executed + b.cachedLocal + b.cachedRemote);
        const pct = (n: number) => (total ? `${((100 * n) / total).toFixed(1)}%` : '-');
        out.write(`cache directory: ${ctx.cacheDir}\n`);
        out.write(`blob store:      ${blobs} blobs, ${formatBytes(bytes)}\n`);
        out.write(`action cache:    ${rows} entries\n`);
        const trees = unpackedTrees(ctx.cacheDir).length;
        if (trees > 0) out.write(`unpacked trees:  ${trees} (build roots unpacked once, each as large as its root; gc removes one with its tarball)\n`);
        out.write(`last ${builds.length} builds: ${total} actions, local hits ${pct(sum((b) => b.cachedLocal))}, remote hits ${pct(sum((b) => b.cachedRemote))}, misses ${pct(sum((b) => b.executed))}\n`);
        out.write(`remote transfer: ${formatBytes(sum((b) => b.remote?.bytesDownloaded ?? 0))} downloaded, ${formatBytes(sum((b) => b.remote?.bytesUploaded ?? 0))} uploaded\n`);
        return 0;
      }
      case 'gc': {
        const max = parseSize(String(ctx.flags['max-size'] ?? ''));
        if (max === undefined) throw new UsageError('cache gc needs --max-size SIZE (e.g. 50G, 512M)');
        const r = collectGarbage(session.db, session.actionCache, session.blobs, max);
        for (const l of r.running) out.write(`gc: kept what ${describeLease(l)} uses\n`);
        out.write(`gc: ${formatBytes(r.bytesBefore)} -> ${formatBytes(r.bytesAfter)}; removed ${r.blobsRemoved} blobs and ${r.rowsRemoved} action-cache entries; kept ${r.protectedRows} entries the newest builds or running builds need${r.treesRemoved ? `; removed ${r.treesRemoved} unpacked trees` : ''}${r.sourceCopiesRemoved ? `; removed ${r.sourceCopiesRemoved} unused source copies` : ''}\n`);
        if (r.bytesAfter > max) out.write(`gc: still above ${formatBytes(max)}: what remains is needed by the newest build of some target\n`);
        return 0;
      }
      case 'export': {
        if (args.length === 0) throw new UsageError('cache export needs a target label: xbuild cache export //iso:cfi-compat -o closure.tar');
        const outPath = ctx.flags.o ?? ctx.flags.output;
        if (typeof outPath !== 'string') throw new UsageError('cache export needs -o FILE');
        const signers = loadSigners(cacheSettings(ctx.root, ctx.flags).signWith);
        if (signers.length === 0) throw new UsageError('cache export signs every entry: pass --sign-with=SECRET_KEY_FILE (see xbuild key generate)');
        // The closure: every action the targets need, by the key of its last successful run.
        const { graph, labels } = await analyze(session, args);
        const needed = actionsFor(graph, labels.flatMap((l) => graph.targets.get(l as never)?.files ?? []));
        const keys: Sha256[] = [];
        for (const id of needed) {
          const h = session.history.read(id);
          const result = h && h.status !== 'failed' ? session.actionCache.get(h.key as Sha256) : undefined;
          if (!result) throw new UsageError(`${graph.actions.get(id)!.label} has not been built successfully here (or its result was evicted); build ${args.join(' ')} first, then export`);
          keys.push(h!.key as Sha256);
        }
        const r = await exportClosure({ keys, actionCache: session.actionCache, store: session.blobs, signers, outPath: resolve(outPath) });
        if (r.status === 'failed') {
          process.stderr.write(`cache export failed:\n  ${r.problems.join('\n  ')}\n`);
          return 1;
        }
        out.write(`exported ${r.entries} action results and ${r.blobs} blobs (${formatBytes(r.blobBytes)}) to ${outPath}\n`);
        return 0;
      }
      case 'import': {
        if (args.length !== 1) throw new UsageError('cache import takes one archive: xbuild cache import closure.tar --trusted-key=NAME:KEY');
        const trusted = loadTrusted(cacheSettings(ctx.root, ctx.flags).trustedKeys);
        if (trusted.size === 0) throw new UsageError('cache import verifies signatures: pass --trusted-key=NAME:PUBLIC_KEY');
        const r = await importClosure({ archivePath: resolve(args[0]), store: session.blobs, actionCache: session.actionCache, trusted });
        if (r.status === 'rejected') {
          process.stderr.write(`cache import rejected ${args[0]}; nothing was written:\n  ${r.problems.join('\n  ')}\n`);
          return 1;
        }
        out.write(`imported ${r.entries} action results; ${r.blobsAdded} blobs added (${formatBytes(r.bytesAdded)}), ${r.blobsPresent} already present\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown cache command "${sub ?? ''}" (stats, gc, export, import)`);
    }
  } finally {
    session.close();
  }
}

export async function keyCommand(ctx: CommandContext): Promise<number> {
  if (ctx.positional[0] !== 'generate') throw new UsageError('usage: xbuild key generate --name NAME [-o NAME.secret]');
  const name = ctx.flags.name;
  if (typeof name !== 'string') throw new UsageError('key generate needs --name NAME');
  let k;
  try {
    k = generateKey(name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const outPath = ctx.flags.o ?? ctx.flags.out;
  if (typeof outPath === 'string') writeSecretFile(outPath, `${k.secretText}\n`);
  else {
    guardSecretStdout();
    process.stdout.write(`${k.secretText}\n`);
  }
  process.stderr.write(`public key (give it to clients as --trusted-key):\n${k.publicText}\n`);
  return 0;
}

/** Creates `path` readable by its owner only (0600) with the secret; an existing file is not replaced. */
function writeSecretFile(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} exists; a signing key is never overwritten: remove it first or choose another name`);
    throw new UsageError(`cannot create ${path} (${code})`);
  }
  try {
    fchmodSync(fd, 0o600); // whatever the umask
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  process.stderr.write(`secret key written to ${path} (mode 0600)\n`);
}

/**
 * Stdout redirected to a file (`> NAME.secret`): the shell made it with the umask's mode,
 * usually world-readable. A regular file we own is made 0600 before the secret is written; one
 * we do not own is refused (its owner decides who reads it).
 */
function guardSecretStdout(): void {
  let st;
  try {
    st = fstatSync(1);
  } catch {
    return;
  }
  if (!st.isFile()) return; // a terminal or a pipe: the reader decides where it goes
  if (process.getuid && st.uid !== process.getuid()) {
    throw new UsageError('stdout is a file owned by another user: the secret key would be readable by them; use -o FILE instead');
  }
  if ((st.mode & 0o077) !== 0) {
    fchmodSync(1, 0o600);
    process.stderr.write(`xbuild: stdout is a file readable by others (mode ${(st.mode & 0o777).toString(8)}); made it readable by you only (chmod 600), since it holds the secret key\n`);
  }
}
