/**
 * Where a value was thrown that carries no stack (`throw 42`, `throw null`, a rejection with a
 * primitive): V8's debugger sees every throw and promise rejection with its position, so a
 * second, identical analysis runs with the debugger told to pause on all of them
 * (`Debugger.setPauseOnExceptions('all')`, a same-thread inspector session, resumed at once).
 * BUILD evaluation is deterministic, so the second run throws the same values at the same
 * places; the last throw of an equal value in a workspace module before the failure was
 * reported is where it came from. Only a failed analysis with such a value pays for this.
 */
import { Session, type Runtime } from 'node:inspector';
import { fileURLToPath } from 'node:url';
import type { ThrownDescription } from './realmPrelude.js';

/** A throw site in the code as it ran (the loader maps it back to the TypeScript). */
export interface ThrowSite {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The same key for a thrown value as the realm describes it and as the debugger shows it. */
function keyOfThrown(t: ThrownDescription): string {
  return t.type === 'object' || t.type === 'function' ? t.type : `${t.type}:${t.value}`;
}
function keyOfRemote(o: Runtime.RemoteObject | undefined): string {
  if (!o) return '';
  if (o.type === 'object' && o.subtype === 'null') return 'null:null';
  if (o.type === 'object' || o.type === 'function') return o.type;
  if (o.type === 'undefined') return 'undefined:undefined';
  if (o.type === 'bigint') return `bigint:${(o.unserializableValue ?? o.description ?? '').replace(/n$/, '')}`;
  if (o.type === 'symbol') return `symbol:${o.description ?? ''}`;
  if (o.type === 'number') return `number:${o.unserializableValue === '-0' ? '0' : o.unserializableValue ?? String(o.value)}`;
  return `${o.type}:${String(o.value)}`;
}

export class DebuggerThrowSites {
  private readonly session = new Session();
  private readonly urls = new Map<string, string>();
  /** Every throw seen, in order: its key and the file frames of its stack, innermost first. */
  private readonly seen: { readonly key: string; readonly frames: readonly ThrowSite[] }[] = [];

  constructor() {
    this.session.connect();
    this.session.on('Debugger.scriptParsed', ({ params: p }) => {
      this.urls.set(p.scriptId, p.url);
    });
    this.session.on('Debugger.paused', ({ params: p }) => {
      if (p.reason === 'exception' || p.reason === 'promiseRejection') {
        const frames: ThrowSite[] = [];
        for (const f of p.callFrames) {
          const url = f.url || this.urls.get(f.location.scriptId) || '';
          if (url.startsWith('file:')) frames.push({ file: fileURLToPath(url), line: f.location.lineNumber + 1, column: (f.location.columnNumber ?? 0) + 1 });
        }
        this.seen.push({ key: keyOfRemote(p.data as Runtime.RemoteObject | undefined), frames });
      }
      this.session.post('Debugger.resume');
    });
    this.post('Debugger.enable');
    this.post('Debugger.setPauseOnExceptions', { state: 'all' });
  }

  private post(method: string, params?: object): void {
    let failure: Error | null = null;
    this.session.post(method, params, (e) => {
      failure = e;
    });
    if (failure) throw failure;
  }

  /** How many throws have been seen so far. */
  mark(): number {
    return this.seen.length;
  }

  /** The last place a value like `t` was thrown or rejected with, in a module `isModule` accepts, among the first `before` throws. */
  find(t: ThrownDescription, isModule: (path: string) => boolean, before = this.seen.length): ThrowSite | undefined {
    const key = keyOfThrown(t);
    for (let i = Math.min(before, this.seen.length) - 1; i >= 0; i--) {
      if (this.seen[i].key !== key) continue;
      const site = this.seen[i].frames.find((f) => isModule(f.file));
      if (site) return site;
    }
    return undefined;
  }
}
