/** What cli/main.ts hands each command: the workspace, the cache and the parsed arguments. */
export interface CommandContext {
  readonly root: string;
  readonly cacheDir: string;
  readonly paths: { readonly outDir: string; readonly stateDir: string };
  readonly positional: readonly string[];
  readonly flags: Record<string, string | boolean | number | string[]>;
  /** The workspace lock was taken over from an xbuild that died holding it (its leftovers may be around). */
  readonly lockTakenOver?: boolean;
}
