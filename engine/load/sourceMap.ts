/**
 * Maps positions in transpiled BUILD code back to the TypeScript the user wrote, from the
 * source map the TypeScript compiler emits (v3, base64 VLQ mappings). Code from the fast path
 * (engine/load/stripTypes.ts) keeps its lines and maps with its own `SegmentMap` instead.
 */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** One decoded segment: generated column -> original line/column (all 0-based). */
interface Segment { readonly genCol: number; readonly srcLine: number; readonly srcCol: number }

/** Where a position in the code that ran was written in the TypeScript (1-based lines and columns). */
export interface PositionMap {
  original(line: number, column: number): { line: number; column: number };
}

export class SourceMap implements PositionMap {
  private readonly lines: Segment[][] = [];

  constructor(mappings: string) {
    let srcLine = 0;
    let srcCol = 0;
    for (const lineText of mappings.split(';')) {
      const segs: Segment[] = [];
      let genCol = 0;
      if (lineText) {
        for (const seg of lineText.split(',')) {
          const v = decodeVlq(seg);
          genCol += v[0];
          if (v.length >= 4) { // v[1] is the source file's index: a transpiled module has one
            srcLine += v[2];
            srcCol += v[3];
            segs.push({ genCol, srcLine, srcCol });
          }
        }
      }
      this.lines.push(segs);
    }
  }

  /** 1-based line/column in, 1-based line/column out. */
  original(line: number, column: number): { line: number; column: number } {
    const segs = this.lines[line - 1];
    if (!segs || segs.length === 0) return { line, column };
    let best = segs[0];
    for (const s of segs) {
      if (s.genCol <= column - 1) best = s;
      else break;
    }
    return { line: best.srcLine + 1, column: best.srcCol + 1 + Math.max(0, column - 1 - best.genCol) };
  }
}

function decodeVlq(s: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of s) {
    const digit = B64_INDEX.get(ch);
    if (digit === undefined) throw new Error(`bad source map character ${ch}`);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}
