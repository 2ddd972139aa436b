// A minimal source-map v3 reader: decodes the VLQ "mappings" once and answers
// "which original file/line produced generated line L, column C?". Enough for the
// dialect gate (naming the TypeScript file and line of a forbidden construct) and for
// the size report (attributing minified bytes to source files). No dependency.

export interface RawSourceMap {
  version: number;
  sources: string[];
  mappings: string;
  sourceRoot?: string;
  names?: string[];
}

/** One mapping segment: generated column -> original position (source index -1 = unmapped). */
export interface Segment {
  column: number;
  source: number;
  line: number; // 1-based original line
  originalColumn: number; // 0-based
}

export interface OriginalPosition {
  source: string;
  line: number;
  column: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE: Record<string, number> = {};
for (let i = 0; i < B64.length; i++) B64_VALUE[B64[i]] = i;

function decodeVlq(text: string, start: number, end: number, out: number[]): void {
  let value = 0;
  let shift = 0;
  for (let i = start; i < end; i++) {
    const digit = B64_VALUE[text[i]];
    if (digit === undefined) throw new Error(`source map: bad base64 character ${JSON.stringify(text[i])}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
}

export class SourceMapReader {
  readonly sources: string[];
  /** lines[generatedLine - 1] = segments sorted by generated column. */
  readonly lines: Segment[][];

  constructor(map: RawSourceMap) {
    const root = map.sourceRoot ? map.sourceRoot.replace(/\/?$/, "/") : "";
    this.sources = map.sources.map((s) => root + s);
    this.lines = [];
    let source = 0;
    let line = 0;
    let column = 0;
    const text = map.mappings;
    let lineStart = 0;
    const fields: number[] = [];
    for (let li = 0; lineStart <= text.length; li++) {
      let lineEnd = text.indexOf(";", lineStart);
      if (lineEnd < 0) lineEnd = text.length;
      const segments: Segment[] = [];
      let genColumn = 0;
      let segStart = lineStart;
      while (segStart < lineEnd) {
        let segEnd = text.indexOf(",", segStart);
        if (segEnd < 0 || segEnd > lineEnd) segEnd = lineEnd;
        fields.length = 0;
        decodeVlq(text, segStart, segEnd, fields);
        genColumn += fields[0];
        if (fields.length >= 4) {
          source += fields[1];
          line += fields[2];
          column += fields[3];
          segments.push({ column: genColumn, source, line: line + 1, originalColumn: column });
        } else if (fields.length >= 1) {
          segments.push({ column: genColumn, source: -1, line: 0, originalColumn: 0 });
        }
        segStart = segEnd + 1;
      }
      segments.sort((a, b) => a.column - b.column);
      this.lines.push(segments);
      lineStart = lineEnd + 1;
    }
  }

  /**
   * The original position of generated (line 1-based, column 0-based): the last segment at or
   * before the column on that line; if that line has none, the last segment of an earlier line
   * (code a transform inserted without a mapping belongs to what precedes it).
   */
  originalPositionFor(line: number, column: number): OriginalPosition | null {
    for (let l = line - 1; l >= 0 && l >= line - 50; l--) {
      const segs = this.lines[l];
      if (!segs || segs.length === 0) continue;
      let found: Segment | null = null;
      for (const s of segs) {
        if (l === line - 1 && s.column > column) break;
        found = s;
      }
      if (found && found.source >= 0) {
        return { source: this.sources[found.source], line: found.line, column: found.originalColumn };
      }
      if (found) return null; // explicitly unmapped
    }
    return null;
  }
}
