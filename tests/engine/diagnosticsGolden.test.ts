// The exact text of the build summary and of each diagnostic class, with its exit code
// (engine/report/blame.ts: whose failure it is decides both). Each case is compared with
// tests/golden/<case>.txt after times and temporary paths are replaced by placeholders.
// After a deliberate change of wording: XBUILD_UPDATE_GOLDEN=1 npx vitest run tests/engine/diagnosticsGolden.test.ts
// rewrites the files; review them with git diff.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

const GOLDEN = join(__dirname, '..', 'golden');
const UPDATE = process.env.XBUILD_UPDATE_GOLDEN === '1';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

/** Times and this run's paths out of the text. */
function normalise(text: string, w: TempWorkspace): string {
  return text
    .split(w.root).join('<workspace>')
    .split(w.cacheDir).join('<cache>')
    .replace(/\b\d+(\.\d+)?(ms| ms|s)\b/g, '<time>')
    .replace(/(\n\s+at [^\n]*)+/g, '\n    at <stack>');
}

async function golden(name: string, args: string[], env?: Record<string, string>): Promise<void> {
  const r = await ws.run(args, env);
  const text = `$ xbuild ${args.join(' ')}\nexit ${r.code}\n${normalise(r.stdout + r.stderr, ws)}`;
  const file = join(GOLDEN, `${name}.txt`);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE && process.env.CI) throw new Error(`tests/golden/${name}.txt is missing: run with XBUILD_UPDATE_GOLDEN=1 and review it`);
    writeFileSync(file, text);
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const OK = 'import { cmd } from "xbuild";\ncmd({ name: "ok", outs: ["ok.txt"], cmd: "echo ok > $@" });\n';

describe('golden output', () => {
  it('build summary: success', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': OK });
    await golden('build-ok', ['build', '//p:ok']);
  });

  it('an action failed (exit 1): its log tail, the failure list, the targets', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `${OK}cmd({ name: "bad", srcs: [":ok"], outs: ["bad.txt"], cmd: "echo about to fail; exit 3" });\n`,
    });
    await golden('action-failed', ['build', '//p:bad']);
  });

  it("the user's input (exit 2): a BUILD file, a label, a flag", async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': `${OK}cmd({ name: 1 });\n` });
    await golden('build-file-error', ['build', '//p:ok']);
    ws.write({ 'p/BUILD.ts': OK });
    await golden('unknown-target', ['build', '//p:okk']);
    await golden('unknown-flag', ['build', '--jobz', '2', '//p:ok']);
  });

  it("this machine's environment (exit 4): a tool the action needs is not installed", async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "t", outs: ["t.txt"], tools: ["/usr/bin/xbuild-no-such-tool"], cmd: "touch $@" });\n',
    });
    await golden('environment-tool-missing', ['build', '//p:t']);
  });

  it('an xbuild bug (exit 3): one wording, with what to report', async () => {
    // The fault is injected from outside (a preloaded module makes chmod of one output throw a
    // TypeError, as a bug in xbuild's own code would): no test switch exists in xbuild.
    const inject = join(GOLDEN, '..', 'helpers', 'injectChmodFault.cjs');
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "bug", outs: ["inject-fault.txt"], cmd: "echo x > $@" });\n' });
    await golden('internal-error', ['build', '//p:bug'], { NODE_OPTIONS: `--require ${inject}` });
  });
});
