/**
 * Helpers for the engine benchmark: run xbuild or ninja once on a prepared workspace, time the
 * wall clock, count how many actions really ran, and fail loudly if the build failed (a
 * benchmark of a broken build measures nothing).
 */
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, rmSync, cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the xbuild checkout this benchmark was compiled from (dist/bench/ -> ../..). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const XBUILD = join(REPO, 'bin/xbuild.js');

/** One timed run of a build tool. */
export interface RunResult {
  readonly seconds: number;
  /** Actions whose command ran (xbuild: `executed` events; ninja: edges it started). */
  readonly executed: number;
  /** xbuild only: actions restored from or found in the cache. */
  readonly cached: number;
  /** xbuild only: loading + analysis time from its analysis_finished event, and whether it came from the analysis cache. */
  readonly analysisS?: number;
  readonly analysisFromCache?: boolean;
  /** CPU seconds the whole machine spent (all processes, user + system, from /proc/stat) during the run. */
  readonly machineCpuS: number;
  /** xbuild only: CPU seconds of xbuild's own process (its build_finished event), not the commands it ran. */
  readonly engineCpuS?: number;
  /** xbuild only: seconds from launching the process to its first action_started event. */
  readonly firstActionS?: number;
}

/** Busy CPU time of the whole machine so far (user, nice, system, irq, softirq), seconds; 0 where /proc/stat is missing. */
function machineBusyS(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2] + f[5] + f[6]) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

function timed(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, log: string): { seconds: number; code: number | null; machineCpuS: number; launchedAt: number } {
  const fd = openSync(log, 'w');
  const launchedAt = Date.now();
  const cpu0 = machineBusyS();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd, env, stdio: ['ignore', fd, fd] });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const machineCpuS = machineBusyS() - cpu0;
  closeSync(fd);
  if (r.error) throw r.error;
  return { seconds, code: r.status, machineCpuS, launchedAt };
}

function tail(path: string, lines = 30): string {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') : '';
}

/**
 * Copies the compiled xbuild (bin/, dist/, rules/, serve/ (the dashboard's page), package.json; node_modules linked) to `dir`
 * and returns its bin/xbuild.js. Others recompile dist/ while a long benchmark runs; a snapshot
 * keeps every run of one benchmark on the same code (and the analysis cache, keyed by
 * xbuild's own digest, valid).
 */
export function snapshotXbuild(dir: string, repo = REPO): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const p of ['bin', 'dist', 'rules', 'serve', 'package.json']) if (existsSync(join(repo, p))) cpSync(join(repo, p), join(dir, p), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin/xbuild.js');
}

/**
 * `xbuild build //... -j N` in `ws` with its own cache dir; throws if the build failed. With
 * `withEvents` false (no-op runs: Ninja writes nothing either) the counts come from the last
 * line of its output instead of the event stream.
 */
export function runXbuild(ws: string, cacheDir: string, jobs: number, logDir: string, tag: string, xbuild = XBUILD, withEvents = true): RunResult {
  const events = join(logDir, `xbuild-${tag}.ndjson`);
  const log = join(logDir, `xbuild-${tag}.log`);
  rmSync(events, { force: true });
  const env = { ...process.env, XBUILD_CACHE_DIR: cacheDir, CI: '1' };
  const r = timed(process.execPath, [xbuild, 'build', '//...', '-j', String(jobs), ...(withEvents ? [`--events=${events}`] : [])], ws, env, log);
  if (r.code !== 0) throw new Error(`xbuild ${tag} failed (exit ${r.code}); log ${log}:\n${tail(log)}`);
  if (!withEvents) {
    const last = tail(log, 2).trim().split('\n').pop() ?? '';
    const m = /(\d+) executed, (\d+) cached/.exec(last);
    if (m) return { seconds: r.seconds, executed: Number(m[1]), cached: Number(m[2]), machineCpuS: r.machineCpuS };
    if (/up to date/.test(last)) return { seconds: r.seconds, executed: 0, cached: 0, machineCpuS: r.machineCpuS };
    throw new Error(`xbuild ${tag}: cannot read the outcome from ${log}: ${last}`);
  }
  let executed = 0, cached = 0, analysisS: number | undefined, analysisFromCache: boolean | undefined, engineCpuS: number | undefined, firstActionS: number | undefined;
  if (existsSync(events)) {
    for (const line of readFileSync(events, 'utf8').split('\n')) {
      if (line.includes('"analysis_finished"')) {
        const a = JSON.parse(line) as { ms?: number; fromCache?: boolean };
        analysisS = (a.ms ?? 0) / 1000;
        analysisFromCache = a.fromCache;
      }
      if (line.includes('"build_finished"')) {
        const c = (JSON.parse(line) as { engineCpuMs?: { user: number; system: number } }).engineCpuMs;
        if (c) engineCpuS = (c.user + c.system) / 1000;
      }
      if (firstActionS === undefined && line.includes('"action_started"')) firstActionS = ((JSON.parse(line) as { time: number }).time - r.launchedAt) / 1000;
      if (!line.includes('"action_finished"')) continue;
      const e = JSON.parse(line) as { status?: string };
      if (e.status === 'executed') executed++;
      else if (e.status === 'cached') cached++;
    }
  }
  return { seconds: r.seconds, executed, cached, analysisS, analysisFromCache, machineCpuS: r.machineCpuS, engineCpuS, firstActionS };
}

/** `ninja -j N` in `dir`; throws if the build failed. */
export function runNinja(dir: string, jobs: number, logDir: string, tag: string): RunResult {
  const log = join(logDir, `ninja-${tag}.log`);
  const env = { ...process.env, NINJA_STATUS: '[%f/%t] ' };
  const r = timed('ninja', ['-j', String(jobs)], dir, env, log);
  if (r.code !== 0) throw new Error(`ninja ${tag} failed (exit ${r.code}); log ${log}:\n${tail(log)}`);
  let executed = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /^\[(\d+)\/\d+\] /.exec(line);
    if (m) executed = Math.max(executed, Number(m[1]));
  }
  return { seconds: r.seconds, executed, cached: 0, machineCpuS: r.machineCpuS };
}

/** Wall-clock seconds of `node -e 0`: Node's own start-up, which every xbuild run pays. */
export function nodeStartup(): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('node -e 0 failed');
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
