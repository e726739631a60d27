// How targets are named from packages/debian.lock.json, shared by packages/ and toolchains/.
//   //packages:src-<file>          a pinned fetch of one source file (.dsc, .orig.tar.*, .debian.tar.*)
//   //packages:deb-<binary>        a pinned fetch of one Debian .deb (a build dependency)
//   //packages:root-<binary>       a pinned fetch of one .deb of the build root
//   //packages:<source>-<variant>  one source package built with the variant's toolchain
import debianLock from "./debian.lock.json";

export const lock = debianLock;
export type SourceName = keyof typeof debianLock.sources;
export const VARIANTS = ["base", "cfi-compat"] as const;
export const BUILD_ROOT = "//packages:build-root-amd64";

/** The URL the engine's fetcher resolves against the machine's apt sources (no hostname). */
export function aptMirrorUrl(f: { readonly archive: string; readonly path: string }): string {
  return `apt-mirror://${f.archive}/${f.path}`;
}

/** The .deb's file name, from its pool path. */
export function debFileName(p: { readonly path: string }): string {
  return p.path.slice(p.path.lastIndexOf("/") + 1);
}

export function sourceFileLabels(source: SourceName): string[] {
  return debianLock.sources[source].files.map((f) => `//packages:src-${f.name}`);
}

export function debLabel(binary: string): string {
  return `//packages:deb-${binary}`;
}

export function debLabels(binaries: readonly string[]): string[] {
  return binaries.map(debLabel);
}
