/**
 * Test rig: a temporary workspace on disk and the real `xbuild` CLI (bin/xbuild.js, compiled
 * dist/) run as a child process against it, with its own cache directory. Results carry the
 * exit code, the output and the parsed NDJSON event stream.
 */
import { execa, type ResultPromise } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildReport } from '../../engine/report/buildRecord.js';
import type { BuildEvent } from '../../engine/report/events.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const XBUILD = join(REPO, 'bin/xbuild.js');

/**
 * Where every workspace of this test process keeps its scratch files: commands count their runs
 * there (see counter), also in another workspace's scratch, so every sandbox sees this one
 * directory read-write (XBUILD_TEST_SHARED_DIR), whatever uid the sandbox runs as.
 */
let sharedScratch: string | undefined;
function scratchRoot(): string {
  if (!sharedScratch) {
    sharedScratch = mkdtempSync(join(tmpdir(), 'xbuild-test-scratch-'));
    chmodSync(sharedScratch, 0o1777);
  }
  return sharedScratch;
}

/** What `xbuild report --json` prints: the last build's record (engine/report/buildRecord.ts) with its start and end. */
/** `xbuild report --json`: the build's report, each target with its own actions' logs. */
export type ReportJson = Omit<BuildReport, 'targets'> & {
  readonly targets: readonly (BuildReport['targets'][number] & { readonly logs: readonly string[] })[];
  readonly startedAt: string;
  readonly finishedAt: string;
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The --events NDJSON stream: one engine BuildEvent per line, as NdjsonWriter wrote it. */
  events: BuildEvent[];
  /** Labels of actions whose command really ran. */
  executed: string[];
  cached: string[];
  failed: string[];
}

export class TempWorkspace {
  readonly root: string;
  readonly cacheDir: string;
  readonly scratch: string;
  private n = 0;

  /** The xbuild the commands run (another install of it, in tests of relocation). */
  xbuild = XBUILD;

  constructor(files: Record<string, string> = {}, opts: { cacheDir?: string } = {}) {
    const base = mkdtempSync(join(tmpdir(), 'xbuild-test-'));
    this.root = join(base, 'ws');
    this.cacheDir = opts.cacheDir ?? join(base, 'cache');
    this.scratch = mkdtempSync(join(scratchRoot(), 'ws-'));
    chmodSync(this.scratch, 0o1777);
    mkdirSync(this.root, { recursive: true });
    this.write(files);
  }

  write(files: Record<string, string>): void {
    for (const [p, text] of Object.entries(files)) {
      const abs = join(this.root, p);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
  }

  read(p: string): string {
    return readFileSync(join(this.root, p), 'utf8');
  }

  exists(p: string): boolean {
    return existsSync(join(this.root, p));
  }

  /** A file outside the sandbox that commands append to, so tests count real runs (XBUILD_TEST_SHARED_DIR). */
  counter(name: string): string {
    return join(this.scratch, `${name}.count`);
  }

  count(name: string): number {
    const p = this.counter(name);
    return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).length : 0;
  }

  start(args: string[], env: Record<string, string> = {}): { proc: ResultPromise; eventsFile: string } {
    const eventsFile = join(this.scratch, `events-${++this.n}.ndjson`);
    const withEvents = args[0] === 'build' ? [...args, `--events=${eventsFile}`] : args;
    const proc = execa('node', [this.xbuild, ...withEvents], {
      cwd: this.root, reject: false, env: { XBUILD_CACHE_DIR: this.cacheDir, CI: '1', XBUILD_TEST_SHARED_DIR: scratchRoot(), ...env }, stdin: 'ignore',
    });
    return { proc, eventsFile };
  }

  async run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const { proc, eventsFile } = this.start(args, env);
    const r = await proc;
    return toResult(r.exitCode ?? -1, String(r.stdout), String(r.stderr), eventsFile);
  }

  async build(...args: string[]): Promise<CliResult> {
    return this.run(['build', ...args]);
  }

  cleanup(): void {
    rmSync(dirname(this.root), { recursive: true, force: true });
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

export function toResult(code: number, stdout: string, stderr: string, eventsFile: string): CliResult {
  const events = existsSync(eventsFile)
    ? readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as BuildEvent)
    : [];
  const fin = events.filter((e) => e.type === 'action_finished');
  return {
    code, stdout, stderr, events,
    executed: fin.filter((e) => e.status === 'executed').map((e) => e.label).sort(),
    cached: fin.filter((e) => e.status === 'cached').map((e) => e.label).sort(),
    failed: fin.filter((e) => e.status === 'failed').map((e) => e.label).sort(),
  };
}

/** A chain a -> b -> c of cmd targets whose commands count their runs. */
export function chainWorkspace(): TempWorkspace {
  const ws = new TempWorkspace();
  const c = (n: string) => ws.counter(n);
  ws.write({
    'BUILD.ts': '// root\n',
    'lib/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", srcs: ["a.txt"], outs: ["a.out"], cmd: "echo run >> ${c('a')}; tr a-z A-Z < $< > $@" });
cmd({ name: "b", srcs: [":a", "b.txt"], outs: ["b.out"], cmd: "echo run >> ${c('b')}; cat $(SRCS) > $@" });
cmd({ name: "c", srcs: [":b"], outs: ["c.out"], cmd: "echo run >> ${c('c')}; wc -c < $< > $@" });
cmd({ name: "side", srcs: ["b.txt"], outs: ["side.out"], cmd: "echo run >> ${c('side')}; cp $< $@" });
`,
    'lib/a.txt': 'alpha\n',
    'lib/b.txt': 'beta\n',
  });
  return ws;
}
