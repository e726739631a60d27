/**
 * The action-cache entry as it is stored on a remote cache (`<base>/ac/<actionKey>`) and in a
 * closure archive (`ac/<actionKey>.json`):
 * ```json
 * { "version": 1, "actionKey": "<sha256>", "result": ActionResult, "signatures": [{ "keyName": "...", "sig": "<base64>" }] }
 * ```
 * Public surface: `RemoteEntry`, `makeRemoteEntry`, `encodeRemoteEntry`, `parseRemoteEntry`
 * (strict validation of untrusted bytes), `parseTreeBlob` (strict validation of a Tree blob),
 * `blobsNamedBy` (the digests an entry names directly).
 *
 * Everything read from a remote or an archive is untrusted: the parsers check every field's
 * type, every digest's shape and every output path (relative, no `..`, no NUL) before anything
 * else looks at it, and return a message instead of throwing.
 */
import type { ActionResult, OutputEntry } from '../actionCache.js';
import { parseSha256, type Digest, type Sha256 } from '../digest.js';
import type { EntrySignature, KeyPair, Parsed } from '../signing.js';
import { signEntry } from '../signing.js';
import type { Tree, TreeEntry } from '../tree.js';

export const REMOTE_ENTRY_VERSION = 1;

/** An action result with the signatures that vouch for it. Made by `makeRemoteEntry` or `parseRemoteEntry`. */
export interface RemoteEntry {
  readonly version: typeof REMOTE_ENTRY_VERSION;
  readonly actionKey: Sha256;
  readonly result: ActionResult;
  readonly signatures: readonly EntrySignature[];
}

/** Entries larger than this are refused unread (a sane entry is a few KiB). */
export const MAX_ENTRY_BYTES = 16 << 20;

export function makeRemoteEntry(actionKey: Sha256, result: ActionResult, signers: readonly KeyPair[]): RemoteEntry {
  return { version: REMOTE_ENTRY_VERSION, actionKey, result, signatures: signEntry(actionKey, result, signers) };
}

export function encodeRemoteEntry(e: RemoteEntry): Buffer {
  return Buffer.from(JSON.stringify(e), 'utf8');
}

/** Merges the signatures of `extra` into `base` (same fingerprint assumed); a key signs once. */
export function mergeSignatures(base: readonly EntrySignature[], extra: readonly EntrySignature[]): EntrySignature[] {
  const byKey = new Map<string, EntrySignature>();
  for (const s of [...base, ...extra]) byKey.set(s.keyName, s);
  return [...byKey.values()].sort((a, b) => (a.keyName < b.keyName ? -1 : 1));
}

/** Validates untrusted entry bytes. */
export function parseRemoteEntry(bytes: Uint8Array): Parsed<RemoteEntry> {
  if (bytes.byteLength > MAX_ENTRY_BYTES) return bad(`entry is ${bytes.byteLength} bytes, over the ${MAX_ENTRY_BYTES} limit`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    return bad(`entry is not JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) return bad('entry is not a JSON object');
  if (raw.version !== REMOTE_ENTRY_VERSION) return bad(`entry version ${JSON.stringify(raw.version)} is not ${REMOTE_ENTRY_VERSION}`);
  const actionKey = typeof raw.actionKey === 'string' ? parseSha256(raw.actionKey) : undefined;
  if (!actionKey) return bad('entry.actionKey is not a sha256');
  const result = parseActionResult(raw.result, 'entry.result');
  if (!result.ok) return result;
  if (!Array.isArray(raw.signatures)) return bad('entry.signatures is not an array');
  const signatures: EntrySignature[] = [];
  for (const [i, s] of raw.signatures.entries()) {
    if (!isObject(s) || typeof s.keyName !== 'string' || typeof s.sig !== 'string') {
      return bad(`entry.signatures[${i}] is not {keyName, sig}`);
    }
    signatures.push({ keyName: s.keyName, sig: s.sig });
  }
  return { ok: true, value: { version: REMOTE_ENTRY_VERSION, actionKey, result: result.value, signatures } };
}

/** Validates an ActionResult read from an untrusted source. */
export function parseActionResult(raw: unknown, where: string): Parsed<ActionResult> {
  if (!isObject(raw)) return bad(`${where} is not an object`);
  if (raw.exitCode !== 0) return bad(`${where}.exitCode is not 0 (failures are never cached)`);
  const durationMs = typeof raw.durationMs === 'number' && Number.isFinite(raw.durationMs) && raw.durationMs >= 0 ? raw.durationMs : undefined;
  if (durationMs === undefined) return bad(`${where}.durationMs is not a non-negative number`);
  if (!Array.isArray(raw.outputs)) return bad(`${where}.outputs is not an array`);
  const outputs: OutputEntry[] = [];
  const seen = new Set<string>();
  for (const [i, o] of raw.outputs.entries()) {
    const w = `${where}.outputs[${i}]`;
    if (!isObject(o)) return bad(`${w} is not an object`);
    const pathProblem = checkRelativePath(o.path);
    if (pathProblem) return bad(`${w}.path ${pathProblem}`);
    const path = o.path as string;
    if (seen.has(path)) return bad(`${w}.path ${JSON.stringify(path)} appears twice`);
    seen.add(path);
    if (o.kind !== 'file' && o.kind !== 'dir') return bad(`${w}.kind is not "file" or "dir"`);
    const digest = parseDigest(o.digest);
    if (!digest) return bad(`${w}.digest is not {hash: sha256, sizeBytes: integer}`);
    if (typeof o.executable !== 'boolean') return bad(`${w}.executable is not a boolean`);
    outputs.push({ path, kind: o.kind, digest, executable: o.executable });
  }
  let logDigest: Digest | undefined;
  if (raw.logDigest !== undefined) {
    logDigest = parseDigest(raw.logDigest);
    if (!logDigest) return bad(`${where}.logDigest is not {hash: sha256, sizeBytes: integer}`);
  }
  const result: ActionResult = logDigest ? { outputs, exitCode: 0, durationMs, logDigest } : { outputs, exitCode: 0, durationMs };
  return { ok: true, value: result };
}

/** Validates the bytes of a Tree blob (a directory output), read from an untrusted source. */
export function parseTreeBlob(bytes: Uint8Array, where: string): Parsed<Tree> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    return bad(`${where}: tree blob is not JSON (${(e as Error).message})`);
  }
  if (!isObject(raw) || !Array.isArray(raw.entries)) return bad(`${where}: tree blob has no entries array`);
  const entries: TreeEntry[] = [];
  for (const [i, e] of raw.entries.entries()) {
    const w = `${where}: tree entry #${i}`;
    if (!isObject(e)) return bad(`${w} is not an object`);
    const pathProblem = checkRelativePath(e.path);
    if (pathProblem) return bad(`${w} path ${pathProblem}`);
    const path = e.path as string;
    switch (e.kind) {
      case 'file': {
        const digest = parseDigest(e.digest);
        if (!digest) return bad(`${w} (${path}) has no valid digest`);
        if (typeof e.executable !== 'boolean') return bad(`${w} (${path}) executable is not a boolean`);
        entries.push({ path, kind: 'file', digest, executable: e.executable });
        break;
      }
      case 'symlink':
        if (typeof e.target !== 'string') return bad(`${w} (${path}) symlink has no target`);
        entries.push({ path, kind: 'symlink', target: e.target });
        break;
      case 'dir':
        entries.push({ path, kind: 'dir' });
        break;
      default:
        return bad(`${w} (${path}) has unknown kind ${JSON.stringify(e.kind)}`);
    }
  }
  return { ok: true, value: { entries } };
}

/** The digests an entry names directly: every output (a Tree blob for a dir) and the log. */
export function blobsNamedBy(result: ActionResult): { readonly digest: Digest; readonly isTree: boolean; readonly what: string }[] {
  const out = result.outputs.map((o) => ({ digest: o.digest, isTree: o.kind === 'dir', what: o.path }));
  if (result.logDigest) out.push({ digest: result.logDigest, isTree: false, what: '(action log)' });
  return out;
}

export function parseDigest(raw: unknown): Digest | undefined {
  if (!isObject(raw) || typeof raw.hash !== 'string') return undefined;
  const hash = parseSha256(raw.hash);
  const size = raw.sizeBytes;
  if (!hash || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return { hash, sizeBytes: size };
}

/** Undefined when `p` is a safe relative path; otherwise what is wrong with it. */
function checkRelativePath(p: unknown): string | undefined {
  if (typeof p !== 'string' || p === '') return 'is not a non-empty string';
  if (p.includes('\0')) return `${JSON.stringify(p)} contains NUL`;
  if (p.startsWith('/')) return `${JSON.stringify(p)} is absolute`;
  if (p.split('/').some((seg) => seg === '..')) return `${JSON.stringify(p)} climbs out with ".."`;
  return undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function bad<T>(error: string): Parsed<T> {
  return { ok: false, error };
}
