// Failing actions: what the user sees, what is (not) cached, --keep-going, sandbox rules.
import { afterEach, describe, expect, it } from 'vitest';
import { execaSync } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { TempWorkspace, toResult, type ReportJson } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const failing = (extra = '') => ({
  'BUILD.ts': '',
  'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "bad1", outs: ["bad1.out"], cmd: "echo first-failure-detail; exit 3" });
cmd({ name: "bad2", outs: ["bad2.out"], cmd: "echo second-failure-detail >&2; false" });
cmd({ name: "good", outs: ["good.out"], cmd: "sleep 0.3; echo good-output; echo ok > $@" });
cmd({ name: "after1", srcs: [":bad1"], outs: ["after1.out"], cmd: "cp $< $@" });
${extra}`,
});

describe('failures', () => {
  it('a failed action shows its label, the log tail and the log path; exit code 1; never cached', async () => {
    ws = new TempWorkspace(failing());
    const r = await ws.build('//p:bad1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED //p:bad1 (Cmd): exited with code 3');
    expect(r.stderr).toContain('first-failure-detail');
    expect(r.stderr).toMatch(/full log: \.xbuild\/logs\/p__bad1\.0\.Cmd\.log/);
    expect(ws.read('.xbuild/logs/p__bad1.0.Cmd.log')).toContain('first-failure-detail');
    const again = await ws.build('//p:bad1');
    expect(again.code).toBe(1);
    expect(again.failed).toEqual(['//p:bad1']); // ran again: failures are not cached
  });

  it('--keep-going finishes independent work and reports every failure; dependents are skipped', async () => {
    ws = new TempWorkspace(failing());
    const r = await ws.build('//p:all', '--keep-going', '-j', '2');
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['//p:bad1', '//p:bad2']);
    expect(r.executed).toEqual(['//p:good']);
    const skipped = r.events.filter((e) => e.type === 'action_skipped');
    expect(skipped.map((e) => [e.label, e.becauseLabel])).toEqual([['//p:after1', '//p:bad1']]);
    expect(r.stderr).toMatch(/2 actions failed:\n {2}\/\/p:bad\d: .*\n {2}\/\/p:bad\d: /);
    expect(r.stderr).toContain('first-failure-detail');
    expect(r.stderr).toContain('second-failure-detail');
    expect(r.stderr).toMatch(/Targets:\n {2}failed +\/\/p:bad1\n {2}failed +\/\/p:bad2\n {2}skipped +\/\/p:after1 \(dependency \/\/p:bad1 failed\)\n {2}ok +\/\/p:good/);
    const report = await ws.run(['report', '--json']);
    expect(report.code).toBe(0);
    const json = JSON.parse(report.stdout) as ReportJson;
    expect(json.ok).toBe(false);
    expect(json.targets.map((t) => `${t.status} ${t.label}`)).toEqual(['failed //p:bad1', 'failed //p:bad2', 'skipped //p:after1', 'ok //p:good']);
    expect(json.failures.map((f) => f.logPath)).toEqual([expect.stringMatching(/p__bad\d\.0\.Cmd\.log$/), expect.stringMatching(/p__bad\d\.0\.Cmd\.log$/)]);
    // The seed's per-package logs: each target with its own actions' logs (a skipped one has none;
    // an action that printed nothing keeps no log).
    expect(Object.fromEntries(json.targets.map((t) => [t.label, t.logs.map((l) => l.split('/').pop())]))).toEqual({
      '//p:bad1': ['p__bad1.0.Cmd.log'], '//p:bad2': ['p__bad2.0.Cmd.log'], '//p:after1': [], '//p:good': ['p__good.0.Cmd.log'],
    });
    const text = await ws.run(['report']);
    expect(text.stdout).toMatch(/FAILED .*\n.*executed: 1/);
    expect(text.stdout).toMatch(/ok +\/\/p:good\n +log: \.xbuild\/logs\/p__good\.0\.Cmd\.log\n/);
  });

  it('without --keep-going the build stops starting new work after the first failure', async () => {
    ws = new TempWorkspace(failing());
    const r = await ws.build('//p:bad1', '//p:after1', '-j', '1');
    expect(r.code).toBe(1);
    expect(r.executed).toEqual([]);
  });

  it('an action that reads an undeclared file fails', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "sneaky", srcs: ["declared.txt"], outs: ["o.txt"], cmd: "cat p/declared.txt p/undeclared.txt > $@" });
cmd({ name: "honest", srcs: ["declared.txt", "undeclared.txt"], outs: ["h.txt"], cmd: "cat p/declared.txt p/undeclared.txt > $@" });`,
      'p/declared.txt': 'yes\n',
      'p/undeclared.txt': 'secret\n',
    });
    const r = await ws.build('//p:sneaky');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/undeclared\.txt: No such file or directory/);
    const ok = await ws.build('//p:honest');
    expect(ok.code).toBe(0);
    expect(ws.read('xbuild-out/p/h.txt')).toBe('yes\nsecret\n');
  });

  it('a declared output that is not created fails naming it', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "lazy", outs: ["made.txt", "forgotten.txt"], cmd: "touch xbuild-out/p/made.txt" });`,
    });
    const r = await ws.build('//p:lazy');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('declared output xbuild-out/p/forgotten.txt was not created');
  });

  it('actions see only the declared environment and no network', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "env", outs: ["env.txt"], env: { GREETING: "hi" }, cmd: "env | cut -d= -f1 | sort > $@; echo \\"$GREETING $SOURCE_DATE_EPOCH\\" >> $@" });
cmd({ name: "net", outs: ["net.txt"], cmd: "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > $@" });`,
    });
    const r = await ws.run(['build', '//p:env', '//p:net'], { SECRET_TOKEN: 'leak' });
    expect(r.code, r.stderr).toBe(0);
    const env = ws.read('xbuild-out/p/env.txt');
    expect(env).not.toContain('SECRET_TOKEN');
    expect(env).toContain('hi 0');
    for (const v of ['GREETING', 'HOME', 'PATH', 'SOURCE_DATE_EPOCH', 'TMPDIR']) expect(env).toContain(v);
    // Its own network namespace for any user (bwrap --unshare-net), not only as root.
    expect(ws.read('xbuild-out/p/net.txt').trim()).toBe('lo');
  });

  it('exit code 2 for usage errors', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    expect((await ws.run(['build'])).code).toBe(2);
    expect((await ws.run(['frobnicate'])).code).toBe(2);
    expect((await ws.run(['build', '//x', '--no-such-flag'])).code).toBe(2);
    const bad = await ws.run(['build', '//a//b:c']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('malformed label "//a//b:c": package path has an empty component');
  });
});

describe('resources', () => {
  it('offers a GNU make jobserver with the action\'s CPU slots to nested makes', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'm/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "par", srcs: ["Makefile"], outs: ["trace.txt"], cpu: 3, tools: ["/usr/bin/make"],
  cmd: "make -s -f $< TRACE=$PWD/$@ all" });`,
      'm/Makefile': `all: t1 t2 t3 t4 t5 t6
t%:
\t@echo + >> $(TRACE); sleep 0.4; echo - >> $(TRACE)
.PHONY: all
`,
    });
    const r = await ws.build('//m:par', '-j', '4');
    expect(r.code, r.stderr).toBe(0);
    let running = 0, max = 0;
    for (const l of ws.read('xbuild-out/m/trace.txt').split('\n').filter(Boolean)) {
      running += l === '+' ? 1 : -1;
      max = Math.max(max, running);
    }
    expect(max).toBe(3); // the action's 3 slots: not 1 (no jobserver), not unbounded
  });
});

describe('interrupting a build', () => {
  // Unique sleep lengths, so the processes of this test can be told from any other.
  const tag = `4${Math.floor(Math.random() * 9000 + 1000)}`;
  const sleeps = (which: string) => execaSync('pgrep', ['-f', `^sleep ${tag}\\.${which}`], { reject: false }).stdout.split('\n').filter(Boolean);
  const until = async (what: () => boolean, ms = 20_000) => {
    for (const end = Date.now() + ms; !what(); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) throw new Error('timed out');
    }
  };
  const started = (eventsFile: string) => (existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l.includes('"action_started"')).length : 0);

  it('SIGINT stops every running command with all it started, retries nothing, skips the rest and exits 130', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "pipe", outs: ["pipe.out"], cmd: "sleep ${tag}.1 | cat; echo done > $@" });
cmd({ name: "bg", outs: ["bg.out"], cmd: "(sleep ${tag}.2; true) & wait; echo done > $@" });
cmd({ name: "multi", outs: ["multi.out"], cpu: 2, cmd: "sleep ${tag}.3; echo done > $@" });
cmd({ name: "after", srcs: [":pipe"], outs: ["after.out"], cmd: "cp $< $@" });`,
    });
    // pipe and bg go to the shell workers, multi (2 CPU slots) is spawned directly.
    const { proc, eventsFile } = ws.start(['build', '//p:after', '//p:bg', '//p:multi', '-j', '4']);
    await until(() => sleeps('[123]').length === 3);
    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    await until(() => sleeps('[123]').length === 0, 3000);
    const res = toResult(r.exitCode ?? -1, String(r.stdout), String(r.stderr), eventsFile);
    expect(started(eventsFile)).toBe(3); // none retried, and after never started
    expect(res.stderr).toContain('interrupted: stopped with the build');
    expect(res.stderr).toMatch(/INTERRUPTED/);
    expect(ws.exists('xbuild-out/p/after.out')).toBe(false);
  });

  it('when xbuild itself is killed (SIGKILL), its commands stop too', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "pipe", outs: ["pipe.out"], cmd: "sleep ${tag}.5 | cat; echo done > $@" });
cmd({ name: "multi", outs: ["multi.out"], cpu: 2, cmd: "sleep ${tag}.6 | cat; echo done > $@" });`,
    });
    const { proc } = ws.start(['build', '//p:all', '-j', '4']);
    await until(() => sleeps('[56]').length === 2);
    proc.kill('SIGKILL');
    expect((await proc).signal, 'xbuild had ended before the kill').toBe('SIGKILL');
    await until(() => sleeps('[56]').length === 0, 3000);
  });

  it('also when only what an edited file reaches is rebuilt', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "reader", srcs: ["mode.txt"], outs: ["reader.out"], cmd: "if grep -q slow $<; then sleep ${tag}.4 | cat; fi; cp $< $@" });`,
      'p/mode.txt': 'fast\n',
    });
    expect((await ws.build('//p:reader')).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1200)); // past the stamp's 1 s "racy" window
    await ws.build('//p:reader');
    expect((await ws.build('//p:reader')).stderr).toMatch(/up to date/);
    ws.write({ 'p/mode.txt': 'slow\n' });
    const { proc, eventsFile } = ws.start(['build', '//p:reader']);
    await until(() => sleeps('4').length === 1);
    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    await until(() => sleeps('4').length === 0, 3000);
    expect(String(r.stderr)).toContain('running only what it reaches');
    expect(started(eventsFile)).toBe(1);
  });
});
