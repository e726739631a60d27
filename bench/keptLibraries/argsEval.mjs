// The smallest wrapper over util.parseArgs (tokens mode) that keeps args.ts' messages, against args.ts on a list of command lines.
import { fileURLToPath } from 'node:url';
const W = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
import { parseArgs as nodeParseArgs } from 'node:util';
const { parseArgs: current, UsageError } = await import(W + '/dist/cli/args.js');
function wrapped(argv, spec) {
  const options = {};
  for (const [name, type] of Object.entries(spec)) options[name] = { type: type === 'boolean' ? 'boolean' : 'string' };
  if (spec.jobs) options.jobs.short = 'j';
  if (spec['keep-going']) options['keep-going'].short = 'k';
  const { tokens } = nodeParseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const positional = [], flags = {};
  for (const t of tokens) {
    if (t.kind === 'positional') { positional.push(t.value); continue; }
    if (t.kind === 'option-terminator') continue;
    const name = t.name === 'j' ? 'jobs' : t.name === 'k' ? 'keep-going' : t.name;
    const type = spec[name];
    if (!type) throw new UsageError(`unknown flag --${name}`);
    if (type === 'boolean') {
      const value = t.value;
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`--${name} takes no value`);
      flags[name] = value !== 'false';
      continue;
    }
    const value = t.value;
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (type === 'int') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number, got "${value}"`);
      flags[name] = n;
    } else if (type === 'list') flags[name] = [...(flags[name] ?? []), value];
    else flags[name] = value;
  }
  return { positional, flags };
}
const spec = { jobs: 'int', 'keep-going': 'boolean', out: 'string', tag: 'list', verbose: 'boolean', o: 'string' };
const noJobs = { out: 'string', verbose: 'boolean' };
const cases = [
  [['build', '//a:b'], spec], [['-j8', '//a'], spec], [['-j', '8'], spec], [['--jobs', '8'], spec], [['--jobs=8'], spec], [['-k'], spec], [['--keep-going'], spec],
  [['--verbose=false'], spec], [['--verbose=true'], spec], [['--verbose=yes'], spec], [['--out', 'f'], spec], [['--out=f'], spec], [['-o', 'f'], spec],
  [['--tag', 'a', '--tag=b'], spec], [['a', '--', '--verbose', '-j8'], spec], [['--out'], spec], [['--jobs', 'x'], spec], [['--jobs=-1'], spec], [['--nope'], spec],
  [['-x'], spec], [['--out', '-x'], spec], [['--out', '--'], spec], [['-abc'], spec], [['-j=8'], spec], [['--jobs='], spec], [['--j', '3'], spec], [['--k'], spec],
  [['-j8'], noJobs], [['-'], spec], [['-10'], spec], [['--verbose', 'x'], spec], [['-jx'], spec], [['--jobs', '2.5'], spec],
];
let same = 0; const diffs = [];
const run = (f, a, s) => { try { return JSON.stringify(f(a, s)); } catch (e) { return (e instanceof UsageError ? 'UsageError: ' : 'THREW ') + e.message; } };
for (const [argv, s] of cases) {
  const a = run(current, argv, s), b = run(wrapped, argv, s);
  if (a === b) same++; else diffs.push(`${JSON.stringify(argv)}${s === noJobs ? ' (no --jobs)' : ''}: args.ts ${a} | parseArgs ${b}`);
}
console.log(`${same}/${cases.length} command lines identical`); for (const d of diffs) console.log('  ' + d);
