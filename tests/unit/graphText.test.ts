// The analysed graph as text (engine/analyze/graphText.ts): each artifact and argv word once,
// read back deep-equal, with one shared Artifact object per artifact.
import { describe, expect, it } from 'vitest';
import { graphFromJson, graphToJson } from '../../engine/analyze/graphText.js';
import type { Action, ConfiguredTarget } from '../../engine/analyze/action.js';
import type { AnalysisGraph } from '../../engine/analyze/analysisInWorker.js';
import type { LabelString } from '../../engine/load/label.js';

const root = { path: 'xbuild-out/root.tar', kind: 'file', source: false } as const;
const src = { path: 'pkg/a.c', kind: 'file', source: true } as const;
const tree = { path: 'pkg/tree', kind: 'dir', source: true } as const;

function action(id: string, inputs: Action['inputs'], out: string): Action {
  return {
    id, label: id.split('#')[0], kind: 'run', mnemonic: 'Cc', progress: `cc ${id}`, argv: ['/usr/bin/cc', '--root', root.path, out],
    env: { A: '1' }, inputs, outputs: [{ path: out, kind: 'file', source: false }], tools: ['/usr/bin/cc'], cpu: 1, memoryMb: 0,
    network: false, sourceDateEpoch: 0, estimateMs: 5,
  } as unknown as Action;
}

const graph: AnalysisGraph = {
  targets: [{
    label: '//pkg:a', rule: 'r', files: [root, src], deps: ['//pkg:b'], actions: ['//pkg:a#0'], location: { file: 'pkg/BUILD.ts', line: 3, column: 1 }, tags: [],
    // A provider holding artifacts among other values, and an object that only looks like one.
    providers: { Info: { debs: [root, { ...src }], n: 2, nested: { tree }, notArtifact: { path: 'x', kind: 'file', source: true, extra: 1 }, nil: null } },
  } as unknown as ConfiguredTarget],
  actions: [action('//pkg:a#0', [root, src, tree], 'xbuild-out/a.o'), action('//pkg:a#1', [root, { ...src }], 'xbuild-out/b.o')],
  requested: ['//pkg:a' as LabelString],
};

describe('graphText', () => {
  it('round-trips the graph deep-equal', () => {
    const back = graphFromJson(JSON.parse(graphToJson(graph)));
    expect(back).toEqual(graph);
  });

  it('writes each artifact and argv word once, and reads them back as shared objects', () => {
    const text = graphToJson(graph);
    // Once as an artifact, once as an argv word: not once per action and target naming it.
    expect(text.split('xbuild-out/root.tar').length - 1).toBe(2);
    const back = graphFromJson(JSON.parse(text));
    const [a0, a1] = back.actions;
    expect(a0.inputs[0]).toBe(a1.inputs[0]);
    expect(a0.inputs[1]).toBe(a1.inputs[1]);
    expect((back.targets[0].providers.Info as { debs: unknown[] }).debs[0]).toBe(a0.inputs[0]);
    expect(Object.isFrozen(a0.inputs[0])).toBe(true);
  });

  it('refuses text of another format, naming it an xbuild bug', () => {
    expect(() => graphFromJson({ format: 'xbuild-graph-0' })).toThrow(/format xbuild-graph-0, not xbuild-graph-2 \(this is an xbuild bug\)/);
  });
});
