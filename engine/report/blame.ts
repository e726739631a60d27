/**
 * Whose failure it is, as Buck2 classifies errors. Every failure xbuild reports has one tier, and
 * the tier decides the exit code and the words around the message:
 * - user: the user's input (a BUILD file, a label or flag on the command line, a config file, a
 *   declared source that does not exist). Exit 2. Fix the input.
 * - action: a build action's own command failed (a compiler error, a failing test). Exit 1.
 *   Fix the package or its rule; the action's log says why.
 * - environment: this machine or what it reaches (a missing tool, no uid range for the sandbox,
 *   the archive or a server unreachable, a process killed by a signal, a damaged cache file).
 *   Exit 4. Such action failures are tried again (--retries); fix the machine.
 * - internal: a bug in xbuild. Exit 3. Worded in one place (`internalErrorText`).
 * Interrupted builds exit 130 whatever failed.
 */
export type Blame = 'user' | 'action' | 'environment' | 'internal';

/** The exit code of each tier. */
export const EXIT_CODE: Readonly<Record<Blame, number>> = { action: 1, user: 2, internal: 3, environment: 4 };

/** How a failure of each tier is introduced in summaries. */
export const BLAME_WORDS: Readonly<Record<Blame, string>> = {
  user: 'in your input (a BUILD file, a label, a flag or a config file)',
  action: 'in a build action',
  environment: "in this machine's environment",
  internal: 'in xbuild itself (a bug)',
};

/** When several failures end a command, the exit code is the most serious tier's: a bug first, then the machine, the input, the actions. */
const SEVERITY: readonly Blame[] = ['internal', 'environment', 'user', 'action'];

export function exitCodeOf(blames: Iterable<Blame>): number {
  const seen = new Set(blames);
  const worst = SEVERITY.find((b) => seen.has(b));
  return worst ? EXIT_CODE[worst] : 0;
}

/**
 * A failure with its tier, thrown below the CLI: by the executor when an action cannot be keyed or set
 * up (it becomes that action's failure), by the lock tool (AptError), and otherwise printed by
 * cli/main.ts with the tier's exit code.
 */
export class BlamedError extends Error {
  constructor(readonly blame: Blame, message: string) {
    super(message);
  }
}

/** The one wording of an internal error (an xbuild bug), with what to report. */
export function internalErrorText(e: unknown): string {
  const detail = e instanceof Error ? e.stack ?? e.message : String(e);
  return `internal error (this is an xbuild bug, please report it with this text):\n${detail}`;
}
