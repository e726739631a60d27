/**
 * Cache-sharing settings from three places, later ones winning:
 *   1. the workspace's `xbuild.config.json` (shared, committed: never secrets),
 *   2. the user's `$XDG_CONFIG_HOME/xbuild/config.json` (default ~/.config/xbuild/config.json),
 *   3. command-line flags.
 * Keys: remoteCache (URL), trustedKeys (["name:base64"]), remoteUpload (bool), signWith (paths
 * of secret key files: user config or flags only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './args.js';

export interface CacheSettings {
  readonly remoteCache?: string;
  readonly trustedKeys: readonly string[];
  readonly remoteUpload?: boolean;
  readonly signWith: readonly string[];
  /** `--remote-timeout`: the total time a remote request may take (plus its body at a minimum rate). */
  readonly remoteTimeoutSeconds?: number;
}

interface FileSettings {
  remoteCache?: string;
  trustedKeys?: string[];
  remoteUpload?: boolean;
  signWith?: string[];
}

function readSettings(path: string, allowSecrets: boolean): FileSettings {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${path}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['remoteCache', 'trustedKeys', 'remoteUpload', 'signWith'].includes(k)) throw new UsageError(`${path}: unknown setting "${k}" (known: remoteCache, trustedKeys, remoteUpload, signWith)`);
  }
  if (!allowSecrets && o.signWith !== undefined) {
    throw new UsageError(`${path}: "signWith" names a secret key and must not be in the workspace; put it in ~/.config/xbuild/config.json or pass --sign-with`);
  }
  const strList = (k: string) => {
    if (o[k] === undefined) return undefined;
    if (!Array.isArray(o[k]) || !(o[k] as unknown[]).every((x) => typeof x === 'string')) throw new UsageError(`${path}: "${k}" must be a list of strings`);
    return o[k] as string[];
  };
  if (o.remoteCache !== undefined && typeof o.remoteCache !== 'string') throw new UsageError(`${path}: "remoteCache" must be a URL string`);
  if (o.remoteUpload !== undefined && typeof o.remoteUpload !== 'boolean') throw new UsageError(`${path}: "remoteUpload" must be true or false`);
  return { remoteCache: o.remoteCache as string | undefined, trustedKeys: strList('trustedKeys'), remoteUpload: o.remoteUpload as boolean | undefined, signWith: strList('signWith') };
}

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config'), 'xbuild', 'config.json');
}

export function cacheSettings(root: string, flags: Record<string, unknown>): CacheSettings {
  const ws = readSettings(join(root, 'xbuild.config.json'), false);
  const user = readSettings(userConfigPath(), true);
  const expand = (p: string) => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : resolve(p));
  return {
    remoteCache: (flags['remote-cache'] as string | undefined) ?? user.remoteCache ?? ws.remoteCache,
    trustedKeys: [...(ws.trustedKeys ?? []), ...(user.trustedKeys ?? []), ...((flags['trusted-key'] as string[] | undefined) ?? [])],
    remoteUpload: (flags['remote-upload'] as boolean | undefined) ?? user.remoteUpload ?? ws.remoteUpload,
    signWith: ((flags['sign-with'] as string[] | undefined) ?? user.signWith ?? []).map(expand),
    remoteTimeoutSeconds: remoteTimeout(flags['remote-timeout']),
  };
}

function remoteTimeout(flag: unknown): number | undefined {
  if (flag === undefined) return undefined;
  const n = Number(flag);
  if (typeof flag !== 'string' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--remote-timeout needs a number of seconds above 0, got ${JSON.stringify(flag)}`);
  return n;
}
