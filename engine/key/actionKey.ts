/**
 * The action key: one SHA-256 over everything that can change what an action produces.
 *
 * `ActionKeyInputs` is the single list of those inputs; `computeActionKey` is the only place
 * that hashes them. Canonical encoding: JSON with object keys sorted and lists in the order
 * documented per field (env sorted by name, inputs and tools sorted by path), so equal inputs
 * give equal keys on every machine. Add a field here, never hash something elsewhere.
 */
import { createHash } from 'node:crypto';
import type { Sha256 } from '../../cache/digest.js';

/** Bump when the meaning of a key changes (sandbox layout, output storing, encoding). */
/** v2: commands run in the bwrap sandbox of engine/execute/isolation.ts (other paths, another uid). */
export const ENGINE_KEY_VERSION = 'xbuild-action-v2';

export interface KeyedInput {
  readonly path: string;
  readonly kind: 'file' | 'dir';
  /** SHA-256 of the file, or of the canonical Tree of a directory. */
  readonly digest: Sha256;
}

export interface ActionKeyInputs {
  /** The engine and key format: a new sandbox or encoding must not reuse old results. */
  readonly engine: string;
  /** run, write or fetch: the same fields mean different things per kind. */
  readonly kind: string;
  /** The exact command line: a changed flag changes the output. */
  readonly argv: readonly string[];
  /** Declared environment, sorted by name: the only variables the command sees. */
  readonly env: readonly (readonly [string, string])[];
  /** Every input's exec-root path and content digest, sorted by path: content and place both matter. */
  readonly inputs: readonly KeyedInput[];
  /** Host tools (compilers, scripts) by absolute path and content digest, sorted by path. */
  readonly tools: readonly { readonly path: string; readonly digest: Sha256 }[];
  /** Declared outputs with their kinds, sorted by path: a renamed output is a different action. */
  readonly outputs: readonly { readonly path: string; readonly kind: 'file' | 'dir' }[];
  /** OS and CPU architecture of the machine that runs it: outputs are not portable across them. */
  readonly platform: string;
  /** SOURCE_DATE_EPOCH given to the command: it is stamped into archives. */
  readonly sourceDateEpoch: number;
  /** Whether the network is reachable: only pinned fetches may have it. */
  readonly network: boolean;
  /** Root of a user namespace with a uid range, or one unprivileged uid: file owners in outputs differ. Absent when false. */
  readonly uidRange?: true;
  /** The input shown unpacked at $XBUILD_UNPACKED: the command's environment differs. Absent when none. */
  readonly unpack?: string;
  /** kind 'write': the file's bytes and mode are the whole action. */
  readonly content?: string;
  readonly executable?: boolean;
  /** kind 'fetch': the pinned digest alone identifies the result (URLs may change freely). */
  readonly sha256?: string;
}

export function computeActionKey(k: ActionKeyInputs): Sha256 {
  return createHash('sha256').update(canonicalJson(k)).digest('hex') as Sha256;
}

/** JSON with object keys sorted at every level; undefined fields omitted. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
