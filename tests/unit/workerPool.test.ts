// The shell workers evaluate `bash -euo pipefail -c SCRIPT` in a forked subshell instead of
// exec'ing bash: what a script sees and prints must match a fresh `bash -c` (the ProcessRunner).
import { afterAll, describe, expect, it } from 'vitest';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPoolRunner } from '../../engine/execute/workerPool.js';
import { ProcessRunner, type RunRequest } from '../../engine/execute/runner.js';
import { isolation } from '../../engine/execute/isolation.js';

const base = mkdtempSync(join(tmpdir(), 'xbuild-workers-'));
// One action's sandbox directory (engine/execute/sandbox.ts), owned by the sandbox uid as the executor makes it.
const dir = join(base, 'sandbox');
for (const d of [dir, join(dir, 'execroot'), join(dir, 'tmp')]) {
  mkdirSync(d);
  if (isolation().asRoot && isolation().mode !== 'none') chownSync(d, isolation().sandboxUid, isolation().sandboxUid);
}
const pool = new WorkerPoolRunner();
const direct = new ProcessRunner();
afterAll(() => {
  pool.close();
  rmSync(base, { recursive: true, force: true });
});

async function run(runner: WorkerPoolRunner | ProcessRunner, script: string, argv?: string[]): Promise<string> {
  const logPath = join(dir, 'log');
  const req: RunRequest = {
    argv: argv ?? ['/bin/bash', '-euo', 'pipefail', '-c', script], env: { PATH: '/usr/bin:/bin', FOO: 'x y', HOME: isolation().insidePath(dir, 'tmp') },
    sandboxDir: dir, cwd: 'execroot', slots: 1, network: false,
  };
  const outcome = await runner.run(req, new AbortController().signal);
  return `${JSON.stringify({ code: outcome.exitCode, signal: outcome.signal })}\n${readFileSync(logPath, 'utf8')}`;
}

const SCRIPTS = [
  // What the script sees: no worker variables, the declared environment plus PWD and SHLVL, its directory.
  'echo "$0 $#"; echo "${__xb_f-unset} ${__xb_s-unset} ${__xb_n-unset} ${__xb_a-unset} ${f-unset} ${n-unset}"; pwd',
  'env | grep -v "^_=" | sort',
  'echo "$-"; shopt -o | grep -E "errexit|nounset|pipefail"',
  // Failures and their messages (line numbers as from bash -c).
  'nosuchcmd foo',
  'true\necho one\nnosuchcmd two\necho not reached',
  'echo ${undefined_variable}',
  'false | true; echo not reached',
  'set +e; false; echo still here',
  'exit 7',
  'f() { return 3; }; f',
  'trap "echo trapped" EXIT; echo body',
  'kill -TERM $BASHPID',
  'echo "$LINENO"; echo "$LINENO"',
  'if [ "${1-}" = "" ]; then echo no-args; fi',
];

describe('shell workers', () => {
  it.each(SCRIPTS)('evaluate %j as a fresh bash -c would', async (script) => {
    expect(await run(pool, script)).toBe(await run(direct, script));
  });

  it('exec other commands as given', async () => {
    expect(await run(pool, '', ['/bin/sh', '-c', 'echo "$0 via sh"; exit 4'])).toBe('{"code":4}\n/bin/sh via sh\n');
    expect(await run(pool, '', ['/bin/bash', '-c', 'echo "not the fast path: $-"'])).toBe(await run(direct, '', ['/bin/bash', '-c', 'echo "not the fast path: $-"']));
  });
});
