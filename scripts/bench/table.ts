// The bench's output: plain-text tables where every figure stands beside its budget (and the
// peer it is compared with), and a figure that misses its budget says OVER.

/** One measured figure. `value` null: not measured (see `note`). */
export interface Figure {
  /** What was measured, and how (e.g. "cached getaddrinfo, in the emulator"). */
  what: string;
  value: number | null;
  unit: string;
  /** The budget: the figure must be at most `max` / at least `min`. */
  max?: number;
  min?: number;
  /** The peer doing the same work in the same run, and its name. */
  peer?: number;
  peerName?: string;
  /** Shown when there is no value, or after it (e.g. "not wired yet", "median of 5"). */
  note?: string;
  /** Decimals shown; default: 0 for values >= 100, else 3 significant-ish places. */
  decimals?: number;
}

export interface Section {
  title: string;
  figures: Figure[];
}

export type Verdict = "ok" | "OVER" | "-" | "FAIL";

/** Whether a figure meets its budget: "-" when it has none or was not measured. */
export function verdict(f: Figure): Verdict {
  if (f.value === null) return f.note && /^fail/i.test(f.note) ? "FAIL" : "-";
  if (f.max !== undefined && f.value > f.max) return "OVER";
  if (f.min !== undefined && f.value < f.min) return "OVER";
  return f.max !== undefined || f.min !== undefined ? "ok" : "-";
}

export function formatNumber(v: number, decimals?: number): string {
  if (decimals !== undefined) return v.toFixed(decimals);
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function budgetText(f: Figure): string {
  if (f.max !== undefined) return "<= " + f.max + " " + f.unit;
  if (f.min !== undefined) return ">= " + f.min + " " + f.unit;
  return "";
}

function peerText(f: Figure): string {
  if (f.peer === undefined) return "";
  let s = `${f.peerName ?? "peer"}: ${formatNumber(f.peer, f.decimals)}`;
  if (f.value !== null && f.peer !== 0) s += ` (x${(f.value / f.peer).toFixed(2)})`;
  return s;
}

function align(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd());
}

/** A section as text: figure | value unit | budget | peer (ratio) | verdict | note. */
export function formatSection(s: Section): string {
  const rows: string[][] = [["figure", "value", "budget", "peer (ours/peer)", "verdict", "note"]];
  for (const f of s.figures) {
    const value = f.value === null ? "-" : `${formatNumber(f.value, f.decimals)} ${f.unit}`;
    rows.push([f.what, value, budgetText(f), peerText(f), verdict(f), f.note ?? ""]);
  }
  const lines = align(rows, [false, true, false, false, false, false]);
  return [`== ${s.title}`, ...lines].join("\n");
}

/** A grid (e.g. module sizes per board): cells over their budget carry " OVER". */
export interface Grid {
  title: string;
  columns: string[];
  /** Each row: label, one cell per column, then the budget text. */
  rows: { label: string; cells: (number | null)[]; max?: number; note?: string }[];
}

export function formatGrid(g: Grid): string {
  const head = ["", ...g.columns, "budget", "note"];
  const rows: string[][] = [head];
  for (const r of g.rows) {
    const cells = r.cells.map((v) => (v === null ? "-" : String(v) + (r.max !== undefined && v > r.max ? " OVER" : "")));
    rows.push([r.label, ...cells, r.max !== undefined ? "<= " + r.max : "", r.note ?? ""]);
  }
  const right = head.map((_, c) => c > 0 && c <= g.columns.length);
  return [`== ${g.title}`, ...align(rows, right)].join("\n");
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
