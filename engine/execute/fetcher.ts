/**
 * Fixed-output downloads. The result is trusted only when its SHA-256 equals the pinned one;
 * otherwise nothing is stored. `apt-mirror://<archive>/<path>` resolves against the machine's
 * own apt configuration (the `URIs:` whose last path component is <archive>), so no mirror
 * hostname is ever written into a workspace.
 */
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sha256Tap } from '../../cache/digest.js';
import { fileURLToPath } from 'node:url';
import { listDir } from './removeTree.js';

export interface FetchResult { readonly ok: true; readonly url: string }
/**
 * `notServed`: every URL was answered "not found" (HTTP 404/410): the server no longer has the
 * file, so trying again cannot help (for an `apt-mirror://` pin: the lock is stale).
 */
export interface FetchFailure { readonly ok: false; readonly errors: readonly string[]; readonly notServed: boolean }

/**
 * Every base URI in apt's configuration (deb822 .sources files and sources.list), or in the
 * one file `$XBUILD_APT_SOURCES` names (another archive, e.g. a local one in tests).
 */
function aptBaseUris(): string[] {
  const uris: string[] = [];
  const files = process.env.XBUILD_APT_SOURCES ? [process.env.XBUILD_APT_SOURCES] : [
    ...listDir('/etc/apt/sources.list.d').filter((f) => f.endsWith('.sources') || f.endsWith('.list')).map((f) => `/etc/apt/sources.list.d/${f}`),
    '/etc/apt/sources.list',
  ];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      const m822 = /^URIs:\s*(.+)$/i.exec(t);
      if (m822) uris.push(...m822[1].split(/\s+/));
      const mList = /^deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(t);
      if (mList) uris.push(mList[1]);
    }
  }
  return [...new Set(uris.map((u) => u.replace(/\/+$/, '')))];
}

function resolveFetchUrl(url: string): string[] {
  const m = /^apt-mirror:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) return [url];
  const [, archive, path] = m;
  const bases = aptBaseUris().filter((u) => u.split('/').pop() === archive);
  if (bases.length === 0) throw new Error(`${url}: no apt source in /etc/apt has an archive named "${archive}"`);
  return bases.map((b) => `${b}/${path}`);
}

/** Downloads the first URL that yields the pinned bytes into `dest`. */
export async function fetchPinned(urls: readonly string[], sha256: string, dest: string, signal: AbortSignal): Promise<FetchResult | FetchFailure> {
  const errors: string[] = [];
  let notFound = 0;
  for (const u of urls) {
    let candidates: string[];
    try {
      candidates = resolveFetchUrl(u);
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    for (const url of candidates) {
      try {
        const got = await download(url, dest, signal);
        if (got === sha256) return { ok: true, url };
        errors.push(`${url}: SHA-256 mismatch: expected ${sha256}, got ${got}`);
      } catch (e) {
        errors.push(`${url}: ${(e as Error).message}`);
        if ((e as { status?: number }).status === 404 || (e as { status?: number }).status === 410) notFound++;
      }
      rmSync(dest, { force: true });
    }
  }
  return { ok: false, errors, notServed: notFound > 0 && notFound === errors.length };
}

async function download(url: string, dest: string, signal: AbortSignal): Promise<string> {
  const tap = sha256Tap();
  let body: Readable;
  if (url.startsWith('file://')) body = createReadStream(fileURLToPath(url));
  else if (url.startsWith('http://') || url.startsWith('https://')) {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(15 * 60_000)]), redirect: 'follow' });
    if (!res.ok || !res.body) throw Object.assign(new Error(`HTTP ${res.status} ${res.statusText}`), { status: res.status });
    body = Readable.fromWeb(res.body as never);
  } else throw new Error('unsupported URL scheme (use http, https, file or apt-mirror)');
  await pipeline(body, tap.stream, createWriteStream(dest));
  return tap.digest().hash;
}
