/**
 * Diagnostics: what a stage found wrong, with where and why. Stages return them; only bugs throw.
 * Rendering follows rustc/Ninja: `error[code] message`, ` --> file:line:col`, the source line, a
 * caret, then `= note` lines (suggestions, the chain of labels that led here).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Blame } from './blame.js';

/** A position in a workspace file; line and column are 1-based. */
export interface SourceLocation {
  readonly file: string; // absolute path
  readonly line: number;
  readonly column: number;
  /** Length of the span to underline (default 1). */
  readonly length?: number;
}

/** Whose error a diagnostic is (engine/report/blame.ts): a diagnostic is never an action's failure. */
export type DiagnosticBlame = Exclude<Blame, 'action'>;

export interface Diagnostic {
  readonly code: string;
  readonly message: string;
  readonly location?: SourceLocation;
  readonly notes: readonly string[];
  readonly blame: DiagnosticBlame;
}

export function diag(code: string, message: string, location?: SourceLocation, notes: readonly string[] = [], blame: DiagnosticBlame = 'user'): Diagnostic {
  return { code, message, location, notes, blame };
}

/** A failure carrying diagnostics, thrown from deep inside loading and caught at the stage boundary. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

export function renderDiagnostic(d: Diagnostic, workspaceRoot: string): string {
  const lines = [`error[${d.code}] ${d.message}`];
  if (d.location) {
    const loc = d.location;
    const rel = relative(workspaceRoot, loc.file) || loc.file;
    lines.push(`  --> ${rel}:${loc.line}:${loc.column}`);
    const text = sourceLine(loc.file, loc.line);
    if (text !== undefined) {
      const gutter = String(loc.line).length;
      const pad = ' '.repeat(gutter);
      lines.push(`${pad} |`);
      lines.push(`${loc.line} | ${text}`);
      lines.push(`${pad} | ${' '.repeat(Math.max(0, loc.column - 1))}${'^'.repeat(Math.max(1, loc.length ?? 1))}`);
    }
  }
  for (const n of d.notes) lines.push(`   = ${n}`);
  return lines.join('\n');
}

function sourceLine(file: string, line: number): string | undefined {
  try {
    return readFileSync(file, 'utf8').split('\n')[line - 1]?.replace(/\t/g, ' ');
  } catch {
    return undefined;
  }
}

/** Levenshtein-based "did you mean" over a list of candidates. */
export function didYouMean(wanted: string, candidatesIn: Iterable<string>): string | undefined {
  const candidates = [...candidatesIn];
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(wanted, c);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  if (best !== undefined && bestScore <= Math.max(2, Math.floor(wanted.length / 3))) return best;
  // A name that extends the wanted one ("zlib" -> "zlib-lib") is a good guess too.
  let prefixed: string | undefined;
  for (const c of candidates) if (c.startsWith(wanted) && (!prefixed || c.length < prefixed.length)) prefixed = c;
  return prefixed;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
