/**
 * Runners start an action's command. The executor prepares the sandbox and reads the result;
 * the runner only starts the process with exactly the given argv, cwd and environment, sends
 * its stdout and stderr to the log file, and reports how it ended. Tests and benchmarks can
 * inject another runner (e.g. a pool of long-lived workers).
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';

export interface RunRequest {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
  /** false: the command runs in a new, empty network namespace. */
  readonly network: boolean;
}

export interface RunOutcome {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  readonly spawnError?: string;
}

export interface ActionRunner {
  run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome>;
}

const UNSHARE = '/usr/bin/unshare';

/** Can this process create network namespaces? (root with util-linux's unshare) */
export const canIsolateNetwork = process.getuid?.() === 0 && existsSync(UNSHARE);

export class ProcessRunner implements ActionRunner {
  async run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    const [file, ...args] = req.network || !canIsolateNetwork ? req.argv : [UNSHARE, '--net', '--', ...req.argv];
    {
      const r = await execa(file, args, {
        cwd: req.cwd,
        env: req.env,
        extendEnv: false,
        stdin: 'ignore',
        stdout: { file: req.logPath, append: true },
        stderr: { file: req.logPath, append: true },
        reject: false,
        cancelSignal: signal,
        forceKillAfterDelay: 5000,
      });
      if (r.failed && r.exitCode === undefined && !r.signal) return { exitCode: undefined, signal: undefined, spawnError: r.shortMessage };
      return { exitCode: r.exitCode, signal: r.signal };
    }
  }
}
