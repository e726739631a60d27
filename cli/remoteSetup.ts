/**
 * Turns cache settings into a remote cache level for the executor, reading secret key files
 * and trusted keys. Problems are usage errors (exit 2) naming the setting at fault.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { KeyPair, TrustedKeys } from '../cache/signing.js';
import { makeRemoteCacheLevel, type RemoteCacheLevel } from '../cache/remote/remoteCacheLevel.js';
import { describeRemoteCacheEvent, type RemoteCacheEvent } from '../cache/remote/remoteCache.js';
import type { BlobStore } from '../cache/blobStore.js';
import { UsageError } from './args.js';
import type { CacheSettings } from './settings.js';

/**
 * Reads secret key files. A file readable by group or others is refused: whoever can read it
 * can sign entries every client trusting the key accepts. Only this process ever holds the key
 * (it signs in memory); nothing spawned sees it in its argv or environment.
 */
export function loadSigners(paths: readonly string[]): KeyPair[] {
  return paths.map((p) => {
    let text: string;
    let fd: number | undefined;
    try {
      fd = openSync(p, 'r');
      const st = fstatSync(fd);
      if (!st.isFile()) throw new UsageError(`--sign-with ${p}: not a regular file`);
      if ((st.mode & 0o077) !== 0) {
        throw new UsageError(`--sign-with ${p}: the secret key file is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${p}`);
      }
      text = readFileSync(fd, 'utf8');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--sign-with ${p}: cannot read the secret key file (${(e as NodeJS.ErrnoException).code})`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const k = KeyPair.parse(text);
    if (!k.ok) throw new UsageError(`--sign-with ${p}: ${k.error}`);
    return k.value;
  });
}

export function loadTrusted(texts: readonly string[]): TrustedKeys {
  const t = TrustedKeys.parse(texts);
  if (!t.ok) throw new UsageError(`--trusted-key: ${t.error}`);
  return t.value;
}

/** `signal`: aborted when the build is interrupted; every remote request then ends at once. */
export function setupRemote(settings: CacheSettings, store: BlobStore, onEvent: (level: 'warning' | 'info', message: string) => void, signal?: AbortSignal): RemoteCacheLevel | undefined {
  if (!settings.remoteCache) {
    if (settings.remoteUpload) throw new UsageError('--remote-upload needs --remote-cache=URL');
    return undefined;
  }
  const lvl = makeRemoteCacheLevel({
    url: settings.remoteCache,
    store,
    trusted: loadTrusted(settings.trustedKeys),
    signers: loadSigners(settings.signWith),
    upload: settings.remoteUpload,
    signal,
    deadlineMs: settings.remoteTimeoutSeconds === undefined ? undefined : settings.remoteTimeoutSeconds * 1000,
    onEvent: (e: RemoteCacheEvent) => onEvent(e.type === 'remote-disabled' ? 'info' : 'warning', describeRemoteCacheEvent(e)),
  });
  if (!lvl.ok) throw new UsageError(lvl.error);
  return lvl.value;
}
