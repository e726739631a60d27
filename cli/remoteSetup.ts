/**
 * Turns cache settings into a remote cache level for the executor, reading secret key files
 * and trusted keys. Problems are usage errors (exit 2) naming the setting at fault.
 */
import { readFileSync } from 'node:fs';
import { KeyPair, TrustedKeys } from '../cache/signing.js';
import { makeRemoteCacheLevel, type RemoteCacheLevel } from '../cache/remote/remoteCacheLevel.js';
import { describeRemoteCacheEvent, type RemoteCacheEvent } from '../cache/remote/remoteCache.js';
import type { BlobStore } from '../cache/blobStore.js';
import { UsageError } from './args.js';
import type { CacheSettings } from './settings.js';

export function loadSigners(paths: readonly string[]): KeyPair[] {
  return paths.map((p) => {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw new UsageError(`--sign-with ${p}: cannot read the secret key file (${(e as NodeJS.ErrnoException).code})`);
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

export function setupRemote(settings: CacheSettings, store: BlobStore, onEvent: (level: 'warning' | 'info', message: string) => void): RemoteCacheLevel | undefined {
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
    onEvent: (e: RemoteCacheEvent) => onEvent(e.type === 'remote-disabled' ? 'info' : 'warning', describeRemoteCacheEvent(e)),
  });
  if (!lvl.ok) throw new UsageError(lvl.error);
  return lvl.value;
}
