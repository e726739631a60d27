/**
 * Command-line parsing: `xbuild <command> [flags] [args]`. Flags are `--name value`,
 * `--name=value` or boolean `--name` (`--name=false` too); `-j8`, `-j 8` and `-k` are short for
 * `--jobs 8` and `--keep-going`; after `--` everything is positional. Unknown flags are a usage
 * error (exit 2).
 *
 * Not `util.parseArgs`: its strict mode refuses `--name=false` and a value that starts with `-`,
 * has no whole-number type and words its own errors; its tokens mode needs every check below
 * again and reads `-abc` and `-10` as short flags where these are positional
 * (bench/keptLibraries/argsEval.mjs).
 */
export interface FlagSpec {
  readonly [name: string]: 'string' | 'boolean' | 'int' | 'list';
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Record<string, string | boolean | number | string[]>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const positional: string[] = [];
  const flags: ParsedArgs['flags'] = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const jn = /^-j(\d+)$/.exec(a);
    if (jn && spec.jobs) {
      flags.jobs = Number(jn[1]);
      continue;
    }
    if (!a.startsWith('--') && !(a.startsWith('-') && a.length === 2)) {
      positional.push(a);
      continue;
    }
    let name = a.replace(/^--?/, '');
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === 'j') name = 'jobs';
    if (name === 'k') name = 'keep-going';
    const type = spec[name];
    if (!type) throw new UsageError(`unknown flag --${name}`);
    if (type === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(`--${name} takes no value`);
      flags[name] = value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (type === 'int') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number, got "${value}"`);
      flags[name] = n;
    } else if (type === 'list') {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    } else flags[name] = value;
  }
  return { positional, flags };
}
