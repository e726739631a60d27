// The XSC universe: every source package the image's binaries come from and every source whose
// XSC-built libraries those builds link, from universe.lock.json (`xbuild lock update --config
// packages/universe/lock.config.json`), bootstrapped as bootstrap.json says (universeGraph.ts).
//
//   //packages/universe:build-root-amd64             the universe's build root: the buildd set
//   //packages/universe:src-<file>, root-<binary>    pinned fetches: sources, the root's .debs,
//   //packages/universe:deb-<binary>                 and the build-machine tools a build installs on the root
//   //packages/universe:tools-<source>, tools-common those tools in groups: a build names its group
//   //packages/universe/base:..., cfi-compat:...     the package builds of each variant (universeTargets.ts)
import { debianBuildRoot, fetch, filegroup } from "xbuild";
import { aptMirrorUrl, debFileName } from "../lockTargets.js";
import { lock, toolGroups } from "./universeGraph.js";

for (const p of lock.buildRoot.packages) {
  fetch({ name: `root-${p.name}`, urls: [aptMirrorUrl(p)], sha256: p.sha256, out: `root/${debFileName(p)}` });
}
debianBuildRoot({
  name: "build-root-amd64",
  suite: lock.suite,
  packages: lock.buildRoot.packages.map((p) => `${p.name}=${p.version}`),
  debs: lock.buildRoot.packages.map((p) => `:root-${p.name}`),
});

// The build-machine tools: each build installs the closure of the ones it names (its buildDepends).
for (const p of Object.values(lock.binaries)) {
  fetch({ name: `deb-${p.name}`, urls: [aptMirrorUrl(p)], sha256: p.sha256, out: `deb/${debFileName(p)}` });
}
// Each distinct set of them as one group (universeGraph.ts toolGroups): 819 groups of ~60 labels
// rather than 2,007 builds of ~70.
const tools = toolGroups();
filegroup({ name: "tools-common", srcs: tools.common.map((b) => `:deb-${b}`) });
for (const [name, g] of tools.groups) {
  filegroup({ name: `tools-${name}`, srcs: [...(g.common ? [":tools-common"] : []), ...g.debs.map((b) => `:deb-${b}`)] });
}

// The sources of every package build (those with arch-dependent binaries).
const fetched = new Set<string>();
for (const s of Object.values(lock.sources)) {
  if (s.debs.length === 0) continue;
  for (const f of s.files) {
    if (fetched.has(f.name)) continue;
    fetched.add(f.name);
    fetch({ name: `src-${f.name}`, urls: [aptMirrorUrl(f)], sha256: f.sha256, out: `src/${f.name}` });
  }
}
