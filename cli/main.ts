/**
 * The `xbuild` command line. Exit codes follow whose failure it is (engine/report/blame.ts): 0 success,
 * 1 an action failed, 2 the user's input (flags, labels, BUILD files, config), 3 an xbuild bug,
 * 4 this machine's environment, 130 interrupted.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DiagnosticError, renderDiagnostic } from '../engine/report/diagnostics.js';
import { BLAME_WORDS, BlamedError, EXIT_CODE, exitCodeOf, internalErrorText } from '../engine/report/blame.js';
import { defaultCacheDir, findWorkspaceRoot, PidLock } from '../engine/workspace.js';
import { parseArgs, UsageError, type FlagSpec } from './args.js';
import { PARALLEL_FROM, startEarlyHelper } from '../engine/incremental/stampHelper.js';
import type { CommandContext } from './commandContext.js';

// Commands are loaded on demand: a no-op build must not pay for modules it does not use.
const buildCommand = async (ctx: CommandContext) => {
  // After an xbuild died holding the workspace, the full build runs: it clears what that one left.
  if (ctx.lockTakenOver) return (await import('./buildCommand.js')).buildCommand(ctx);
  startEarlyHelper(ctx.paths.stateDir, PARALLEL_FROM);
  const fast = (await import('./fastBuild.js')).tryUpToDate(ctx);
  if (fast && 'code' in fast) return fast.code;
  if (fast?.previous && process.env.XBUILD_NO_INCREMENTAL !== '1') {
    const code = await (await import('./buildCommand.js')).incrementalBuild(ctx, fast.previous);
    if (code !== undefined) return code;
  }
  const code = await (await import('./buildCommand.js')).buildCommand(ctx, fast?.previous);
  if (code !== EXIT.ok && code !== EXIT.interrupted) await explainStalePins(ctx);
  return code;
};

/** After a failed build: fetches of pinned Debian files the archive no longer serves are a stale lock; say so once. */
async function explainStalePins(ctx: CommandContext): Promise<void> {
  const { openSession } = await import('./session.js');
  const { lastBuildReport } = await import('../engine/report/buildRecord.js');
  const { NOT_SERVED } = await import('../engine/execute/fileActions.js');
  const { notServedUrls, stalePinReport } = await import('../lock/stalePins.js');
  const session = await openSession(ctx.root, ctx.cacheDir);
  let urls: string[];
  try {
    urls = notServedUrls(lastBuildReport(session.db, ctx.root)?.report.failures ?? [], NOT_SERVED);
  } finally {
    session.close();
  }
  if (!urls.length) return;
  try {
    for (const line of (await stalePinReport(ctx.root, ctx.cacheDir, urls)) ?? []) process.stderr.write(`${line}\n`);
  } catch (e) {
    process.stderr.write(`error[stale-pin] ${urls.length} pinned file(s) are no longer served (${urls.join(', ')}); checking what the archive has now failed: ${(e as Error).message}\n  fix: xbuild lock update\n`);
  }
}
export const EXIT = { ok: 0, buildFailed: EXIT_CODE.action, usage: EXIT_CODE.user, internal: EXIT_CODE.internal, environment: EXIT_CODE.environment, interrupted: 130 } as const;

const USAGE = `usage: xbuild <command> [flags]

commands:
  build <pattern>...      build targets (//pkg:name, //pkg/..., //pkg:all)
      -j, --jobs N          CPU slots to use (default: number of CPUs)
      -k, --keep-going      finish all independent work after a failure
      --dry-run             print what would run and why, run nothing
      --forecast-cores N    with --dry-run: the forecast at N cores on a virtual clock, vs the lower bound and a 4-stage master builder
      --events FILE         write the build event stream as NDJSON
      --profile FILE        write a Chrome trace (Perfetto) with the critical path marked
      --memory MiB          never run actions whose declared memory exceeds this
      --keep-sandboxes      leave sandboxes in the cache dir for debugging
      --verbose             print cached actions too
  query '<expr>'          deps(x), rdeps(universe, x), somepath(a, b), allpaths(a, b), kind(rule, x), x + y, x - y, x ^ y
      --output label|json|dot
  explain <label>         why each action of a target ran (or did not) last time
  check                   type-check every BUILD.ts file
  report [--json]         the last build: completed, failed (with logs), cached, slowest actions
  serve                   a live dashboard of this workspace's builds (running and past) in the browser
      --port N              port (default 8765)
      --bind ADDR           address (default 127.0.0.1; reach it with ssh -L); any other needs a token
      --token T             every request must carry it (?token=T); made and printed if --bind needs one
  clean [--all|--stale]   remove xbuild-out/ (--all: the cache too, unless a build uses it;
                          --stale: only outputs no target declares any more)
  cache stats             blob store and action cache sizes, hit rates of recent builds
  cache gc --max-size 50G LRU eviction, keeping what the newest and running builds need
  cache export //t -o F   the closure of a built target as one .tar (entries signed: --sign-with)
  cache import F          verify (--trusted-key) then add an exported closure to the cache
  key generate --name N [-o FILE]
                          make an ed25519 signing key (secret to FILE, mode 0600, or stdout;
                          public key on stderr)
  lock update             pin every Debian input again (newest versions the archive serves) in packages/debian.lock.json
  lock check              ask the archive about every pin: missing and outdated ones (exit 1 if any)
  lock ensure             check, and update the lock when a pin is no longer served (what setup runs)
      --config FILE         the lock request (default packages/lock.config.json)

remote cache (build flags; also in xbuild.config.json / ~/.config/xbuild/config.json):
  --remote-cache URL      a Bazel HTTP cache (nginx WebDAV, bazel-remote): /ac/<sha256>, /cas/<sha256>
  --trusted-key NAME:KEY  use remote entries signed by this key (repeatable)
  --sign-with FILE        sign uploads with this secret key (repeatable); enables uploading
  --remote-upload         upload results (default: only when a signing key is given)
  --remote-timeout SECS   total time a remote request may take (default 30; a blob's body adds
                          its size at 256 KiB/s); a server slower than that is dropped for the build

common flags:
  --cache-dir DIR         cache location (default $XBUILD_CACHE_DIR or ~/.cache/xbuild)
  XBUILD_SERVER=1         build: run in a resident build server (started by the first such build;
                          stops after XBUILD_SERVER_IDLE_S seconds idle, default 10800)
  -C, --workspace DIR     workspace root (default: the outermost directory above . with a BUILD.ts)
`;

const COMMON: FlagSpec = { 'cache-dir': 'string', workspace: 'string', C: 'string', help: 'boolean' };

/** Each command in a workspace: its flags beyond COMMON, whether it holds the workspace lock, and its module, loaded on demand. */
const COMMANDS: Readonly<Record<string, { flags?: FlagSpec; exclusive?: boolean; server?: boolean; run: (ctx: CommandContext) => Promise<number> }>> = {
  build: {
    flags: { jobs: 'int', 'keep-going': 'boolean', 'dry-run': 'boolean', 'forecast-cores': 'int', events: 'string', memory: 'int', 'keep-sandboxes': 'boolean', verbose: 'boolean', retries: 'int',
      'remote-cache': 'string', 'sign-with': 'list', 'trusted-key': 'list', 'remote-upload': 'boolean', 'remote-timeout': 'string', profile: 'string' },
    exclusive: true, server: true, run: buildCommand,
  },
  query: { flags: { output: 'string' }, run: async (ctx) => (await import('./queryCommand.js')).queryCommand(ctx) },
  explain: { run: async (ctx) => (await import('./explainCommand.js')).explainCommand(ctx) },
  check: { run: async (ctx) => (await import('./checkCommand.js')).checkCommand(ctx) },
  report: { flags: { json: 'boolean' }, run: async (ctx) => (await import('./reportCommand.js')).reportCommand(ctx) },
  serve: { flags: { bind: 'string', port: 'int', token: 'string' }, run: async (ctx) => (await import('./serveCommand.js')).serveCommand(ctx) },
  cache: { flags: { 'max-size': 'string', o: 'string', output: 'string', 'sign-with': 'list', 'trusted-key': 'list' }, run: async (ctx) => (await import('./cacheCommand.js')).cacheCommand(ctx) },
  lock: { flags: { config: 'string' }, run: async (ctx) => (await import('./lockCommand.js')).lockCommand(ctx) },
  clean: { flags: { all: 'boolean', stale: 'boolean' }, exclusive: true, run: async (ctx) => (await import('./cleanCommand.js')).cleanCommand(ctx) },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  try {
    if (command === 'key') {
      const { keyCommand } = await import('./cacheCommand.js');
      return await keyCommand({ root: '', cacheDir: '', paths: { outDir: '', stateDir: '' }, ...parseArgs(rest, { name: 'string', out: 'string', o: 'string' }) });
    }
    // The build server, started by a build with XBUILD_SERVER=1 (cli/buildServerClient.ts).
    if (command === '__server') return await (await import('./buildServer.js')).runBuildServer(rest[0]);
    const c = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!c) throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    return await withWorkspace(rest, { ...COMMON, ...c.flags }, c.exclusive ?? false, c.run, c.server ? argv : undefined);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`xbuild: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof BlamedError) {
      process.stderr.write(`xbuild: ${e.message}\n`);
      return EXIT_CODE[e.blame];
    }
    process.stderr.write(`xbuild: ${internalErrorText(e)}\n`);
    return EXIT.internal;
  }
}

/** `serverArgv`: the whole command line, for a command a build server may run instead (XBUILD_SERVER=1). */
async function withWorkspace(argv: readonly string[], spec: FlagSpec, exclusive: boolean, run: (ctx: CommandContext) => Promise<number>, serverArgv?: readonly string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, spec);
  const ws = (flags.workspace ?? flags.C) as string | undefined;
  const root = ws ? resolve(ws) : findWorkspaceRoot(process.cwd());
  if (!root || !existsSync(resolve(root, 'BUILD.ts'))) {
    process.stderr.write(`xbuild: no workspace: no BUILD.ts in ${ws ? resolve(ws) : `${process.cwd()} or any directory above it`}\n`);
    return EXIT.usage;
  }
  const cacheDir = cacheDirOf(flags['cache-dir']);
  const paths = { outDir: resolve(root, 'xbuild-out'), stateDir: resolve(root, '.xbuild') };
  const ctx: CommandContext = { root, cacheDir, paths, positional, flags };
  if (serverArgv && process.env.XBUILD_SERVER === '1') {
    const client = await import('./buildServerClient.js');
    const socket = client.serverSocketPath(root, cacheDir);
    const code = socket ? await client.buildOnServer(socket, serverArgv) : undefined;
    if (code !== undefined) return code;
  }
  if (!exclusive) return runWithDiagnostics(root, () => run(ctx));
  // One build at a time per workspace: the output tree is shared. A second xbuild waits.
  const lock = new PidLock(resolve(paths.stateDir, 'lock'));
  await lock.acquire((pid) => process.stderr.write(`xbuild: another xbuild (pid ${pid}) is using this workspace; waiting for it to finish...\n`));
  const release = () => lock.release();
  process.once('exit', release);
  try {
    return await runWithDiagnostics(root, () => run(lock.tookOver ? { ...ctx, lockTakenOver: true } : ctx));
  } finally {
    process.off('exit', release);
    release();
  }
}

/** The cache directory from `--cache-dir` (or the default); an empty or non-directory path is a usage error. */
function cacheDirOf(flag: unknown): string {
  if (flag === '') throw new UsageError('--cache-dir needs a directory; got an empty string (leave the flag out for the default cache)');
  const dir = typeof flag === 'string' ? resolve(flag) : defaultCacheDir();
  const from = typeof flag === 'string' ? '--cache-dir' : process.env.XBUILD_CACHE_DIR ? 'XBUILD_CACHE_DIR' : 'the default cache directory';
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return dir; // made on first use
    throw new UsageError(`${from} ${dir}: cannot use it (${code})`);
  }
  if (!st.isDirectory()) throw new UsageError(`${from} ${dir} is not a directory`);
  return dir;
}

async function runWithDiagnostics(root: string, f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DiagnosticError) {
      for (const d of e.diagnostics) process.stderr.write(`${renderDiagnostic(d, root)}\n`);
      const code = exitCodeOf(e.diagnostics.map((d) => d.blame));
      const worst = e.diagnostics.find((d) => EXIT_CODE[d.blame] === code)!.blame;
      process.stderr.write(`xbuild: ${e.diagnostics.length} error${e.diagnostics.length === 1 ? '' : 's'} ${BLAME_WORDS[worst]}; nothing was built\n`);
      return code;
    }
    throw e;
  }
}

