// Builds the Espruino bundles: for every boards/<id>.json, src/runtime.ts -> dist/<id>/camnet.js
// and firmware/main.ts -> dist/<id>/firmware.js, then dist/<id>/sizes.json.
//
// The pipeline (shared/reference/espruino-target.md §11.2, verified on Espruino 2v29):
//   1. esbuild build: bundle the ESM TypeScript into one IIFE (target es2022, in memory).
//   2. Babel + preset-env (ie 11, loose): lowers classes, destructuring, default/rest params,
//      spread, ?., **, class fields, block scoping (per-iteration `for (let…)` closures).
//   3. esbuild transform: minify (target es2015, every lowered feature marked unsupported so
//      the minifier cannot bring it back).
//   Then the dialect gate (scripts/dialect-gate.ts) checks the lowered AND the minified code and
//   fails the build, naming the TypeScript file and line, for anything Espruino lacks.
//
// Usage:  tsx scripts/build.ts                      all boards
//         tsx scripts/build.ts --board linux        one board (repeatable)
//         tsx scripts/build.ts --entry f.ts --out dir [--board linux] [--budget N]
// The pipeline is exported (buildBundle, buildBoard, ...) for tests and the bench.
import { execFileSync } from "node:child_process";
import * as esbuild from "esbuild";
import { walkArgs } from "./lib/args.ts";
import { parseSync, transformSync } from "@babel/core";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkDialect, DialectError, type Violation } from "./dialect-gate.ts";
import { BoardFileError, SCHEMA_FILE, validateBoardDir } from "./boards.ts";
import { SourceMapReader, type RawSourceMap } from "./lib/sourcemap.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

/** Native modules of the Espruino builds we target: reached with require("x") at run time. */
export const ESPRUINO_BUILTINS = [
  "Wifi", "dgram", "net", "tls", "crypto", "Storage", "fs", "http", "Flash", "heatshrink", "ESP32",
  "NetworkJS", "TelnetServer",
];

export interface BudgetSpec {
  /** Max bytes of dist/<board>/camnet.js. */
  camnet?: number;
  /** Max bytes of dist/<board>/firmware.js. */
  firmware?: number;
  /** Max minified bytes per module group (see groupOf), in camnet.js. */
  modules?: Record<string, number>;
}

export interface BoardProfile {
  id: string;
  name: string;
  defaultHostname: string;
  capabilities: Record<string, unknown>;
  /** A number limits camnet.js; an object can limit each output and each module. */
  budgetBytes?: number | BudgetSpec;
  [key: string]: unknown;
}

/** Reads every boards/<id>.json, after checking each against boards/schema.json
 *  (scripts/boards.ts): a malformed board file stops the build with a BoardFileError. */
export function loadBoards(dir = path.join(ROOT, "boards")): BoardProfile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && f !== SCHEMA_FILE).sort();
  validateBoardDir(dir, files);
  return files
    .map((f) => {
      const profile = JSON.parse(readFileSync(path.join(dir, f), "utf8")) as BoardProfile;
      return { ...profile, id: f.slice(0, -".json".length) };
    });
}

/** When the sources were committed (s): the firmware's "build date". A clock result before
 *  it cannot be right (ntptime refuses it). Taken from git so that builds are reproducible. */
function buildTime(): number {
  try {
    return Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim()) || 0;
  } catch {
    return 0;
  }
}

/** What device code sees as CAMNET_BOARD (src/types/camnet.d.ts). */
export function boardDefine(board: BoardProfile): string {
  return JSON.stringify({
    id: board.id,
    defaultHostname: board.defaultHostname,
    buildTime: buildTime(),
    capabilities: board.capabilities,
  });
}

// ---- stage options, exactly as §11.2 ----------------------------------------------------

export const BABEL_PRESET_OPTIONS = {
  targets: { ie: "11" },
  loose: true,
  modules: false,
  exclude: [
    "transform-arrow-functions",
    "transform-template-literals",
    "transform-shorthand-properties",
    "transform-function-name",
    "transform-typeof-symbol",
    "transform-for-of",
    "transform-regenerator",
    "transform-async-to-generator",
    "transform-duplicate-keys",
    "transform-sticky-regex",
    "transform-unicode-regex",
    "transform-literals",
  ],
};

export const BABEL_ASSUMPTIONS = {
  setPublicClassFields: true,
  iterableIsArray: true,
  arrayLikeIsIterable: true,
  noDocumentAll: true,
  objectRestNoSymbols: true,
  setSpreadProperties: true,
  ignoreFunctionLength: true,
  pureGetters: true,
};

export const MINIFY_UNSUPPORTED = [
  "destructuring",
  "default-argument",
  "rest-argument",
  "array-spread",
  "object-rest-spread",
  "class-field",
  "optional-chain",
  "nullish-coalescing",
  "exponent-operator",
  "logical-assignment",
  "async-await",
  "generator",
  "optional-catch-binding",
] as const;

/**
 * Babel's loose class transform defines a getter and a setter of the same name with two
 * Object.defineProperty calls (helper _defineAccessor). Espruino REPLACES the accessor on the
 * second call instead of merging (measured: the getter is lost, `obj.x` reads undefined), so
 * the helper is swapped for one that carries over the other half of the pair.
 */
const MERGING_DEFINE_ACCESSOR = `function _defineAccessor(type, obj, key, fn) {
  var d = Object.getOwnPropertyDescriptor(obj, key), c = { configurable: true, enumerable: true };
  if (d && d.get) c.get = d.get;
  if (d && d.set) c.set = d.set;
  c[type] = fn;
  return Object.defineProperty(obj, key, c);
}`;

type BabelPath = { node: any; parentPath: BabelPath | null; remove(): void; replaceWith(n: unknown): void };

/**
 * Babel plugin run with preset-env: fixes helpers for Espruino and drops the "use strict"
 * directives transform-classes adds (Espruino ignores them, §6 Misc: 13 bytes per class).
 * Works in `post`, after every transform has inserted its helpers.
 */
function espruinoFixups() {
  return {
    name: "camnet-espruino-fixups",
    post(file: { path: { traverse(v: object): void } }) {
      file.path.traverse({
        Directive(p: BabelPath) {
          if (p.node.value.value === "use strict") p.remove();
        },
        FunctionDeclaration(p: BabelPath) {
          if (p.node.id?.name === "_defineAccessor" && p.parentPath?.node.type === "Program" && !p.node.camnetFixed) {
            const merged = parseSync(MERGING_DEFINE_ACCESSOR, { configFile: false, babelrc: false })!.program.body[0];
            (merged as { camnetFixed?: boolean }).camnetFixed = true;
            p.replaceWith(merged);
          }
        },
      });
    },
  };
}

/** ES imports of Espruino's native modules cannot be bundled: say what to write instead. */
const builtinImports: esbuild.Plugin = {
  name: "espruino-builtins",
  setup(build) {
    const filter = new RegExp(`^(${ESPRUINO_BUILTINS.join("|")})$`);
    build.onResolve({ filter }, (args) => ({
      errors: [{
        text: `"${args.path}" is an Espruino native module: use require("${args.path}") (inside src/platform only), not import`,
      }],
    }));
  },
};

// ---- one bundle ---------------------------------------------------------------------------

export interface BundleOptions {
  /** Entry file, absolute or relative to root. */
  entry: string;
  /** Board whose profile becomes CAMNET_BOARD; null leaves CAMNET_BOARD undefined in the code. */
  board: BoardProfile | null;
  /** Names the output in messages, e.g. "dist/linux/camnet.js". */
  label: string;
  /** Project root: source paths in messages and sizes are relative to it. */
  root?: string;
}

export interface FileSize {
  file: string;
  bytes: number;
}

export interface BundleResult {
  label: string;
  /** Stage 1 output (esbuild, ES2022). */
  bundled: string;
  /** Stage 2 output (Babel, the code the gate reads with file markers). */
  lowered: string;
  /** Stage 3 output: what gets flashed. */
  minified: string;
  bytes: number;
  /** Minified bytes attributed to each source file (see attributeBytes). */
  files: FileSize[];
  /** Minified bytes per module group (groupOf). */
  groups: Record<string, number>;
}

/**
 * Module group of a source path: src/<dir>/... -> <dir>; src/x.ts -> "runtime";
 * firmware/... -> "firmware"; esbuild's <define:CAMNET_BOARD> -> "board".
 */
export function groupOf(file: string): string {
  const f = file.replace(/\\/g, "/");
  if (f.startsWith("<define:")) return "board"; // the CAMNET_BOARD profile object
  let m = /^src\/([^/]+)\//.exec(f);
  if (m) return m[1];
  if (/^src\/[^/]+$/.test(f)) return "runtime";
  m = /^([^/]+)\//.exec(f);
  if (m && m[1] !== "node_modules") return m[1];
  if (f.startsWith("node_modules/")) return "deps";
  return "glue";
}

/** The group for bytes no source file accounts for: Babel helpers and the IIFE wrapper. */
export const GLUE = "glue";

/**
 * How module sizes are measured: the minified output carries a source map composed through
 * all three stages (esbuild -> Babel -> esbuild). Every byte of the minified code between one
 * mapping segment and the next is attributed to that segment's original source file; bytes
 * with no mapping (Babel helpers, the IIFE wrapper, a few punctuation bytes) count as "glue".
 * The sum over all files plus glue is exactly the size of the output. Mangled names and shared
 * helpers mean a module's figure is what it costs inside this bundle, not on its own.
 */
export function attributeBytes(minified: string, map: SourceMapReader): { files: FileSize[]; glue: number } {
  const perFile = new Map<string, number>();
  let glue = 0;
  const lines = minified.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const lineBytes = Buffer.byteLength(text) + (i < lines.length - 1 ? 1 : 0);
    const segs = map.lines[i] ?? [];
    let attributed = 0;
    for (let s = 0; s < segs.length; s++) {
      const from = segs[s].column;
      const to = s + 1 < segs.length ? segs[s + 1].column : text.length;
      const bytes = Buffer.byteLength(text.slice(from, to));
      attributed += bytes;
      if (segs[s].source < 0) glue += bytes;
      else {
        const file = map.sources[segs[s].source];
        perFile.set(file, (perFile.get(file) ?? 0) + bytes);
      }
    }
    glue += lineBytes - attributed;
  }
  const files = [...perFile].map(([file, bytes]) => ({ file, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { files, glue };
}

function relativeSource(root: string, source: string): string {
  const abs = path.resolve(root, source);
  const rel = path.relative(root, abs).replace(/\\/g, "/");
  return rel.startsWith("..") ? source : rel;
}

function inlineMap(map: unknown): string {
  return "\n//# sourceMappingURL=data:application/json;base64," + Buffer.from(JSON.stringify(map)).toString("base64");
}

/** Runs the three stages and both gates on one entry. Throws DialectError when the gate refuses. */
export async function buildBundle(opts: BundleOptions): Promise<BundleResult> {
  const root = opts.root ?? ROOT;
  const entry = path.resolve(root, opts.entry);
  const define: Record<string, string> = {
    // Espruino's `require` is a plain global function. Left as is, esbuild would wrap it in a
    // `__require` shim built on Proxy (missing on Espruino); as a property read it stays a call.
    require: "globalThis.require",
  };
  if (opts.board) {
    define.CAMNET_BOARD = boardDefine(opts.board);
    // Each capability read as CAMNET_BOARD.capabilities.<name> is a constant, so the other
    // boards' branches (the Linux build's resolv.conf, Wi-Fi on Linux) leave the bundle.
    for (const [k, v] of Object.entries(opts.board.capabilities)) define[`CAMNET_BOARD.capabilities.${k}`] = JSON.stringify(v);
    // So are the profile's other fields: the object itself reaches the bundle only where code
    // reads it whole (an object kept from load costs the board a JsVar per field).
    const profile = JSON.parse(define.CAMNET_BOARD) as Record<string, unknown>;
    for (const k of ["id", "defaultHostname", "buildTime", "capabilities"]) define[`CAMNET_BOARD.${k}`] = JSON.stringify(profile[k]);
  }

  // Stage 1: esbuild bundle, TypeScript stripped, output in memory.
  const stage1 = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    target: "es2022",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    sourcemap: "external",
    sourcesContent: false,
    outfile: path.join(root, "camnet.js"),
    absWorkingDir: root,
    define,
    plugins: [builtinImports],
    logLevel: "silent",
    legalComments: "none",
    // Internal property names end in "_" and become one or two letters: property names are
    // neither shortened by the minifier nor free on the board (each is a string in every object).
    mangleProps: /[A-Za-z0-9]_$/,
    // Exported constants (TYPE_A, AF_INET...) of modules that import nothing become literals
    // where they are used: stage 3 cannot (Babel has made them vars), and a var costs a JsVar.
    minifySyntax: true,
  });
  const bundled = stage1.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  const map1 = JSON.parse(stage1.outputFiles.find((f) => f.path.endsWith(".map"))!.text) as RawSourceMap;

  // Stage 2: Babel, no config files.
  const stage2 = transformSync(bundled, {
    configFile: false,
    babelrc: false,
    sourceType: "script",
    filename: "camnet.js",
    sourceFileName: "camnet.js",
    inputSourceMap: map1,
    sourceMaps: true,
    presets: [[require.resolve("@babel/preset-env"), BABEL_PRESET_OPTIONS]],
    plugins: [espruinoFixups],
    assumptions: BABEL_ASSUMPTIONS,
  });
  if (!stage2?.code || !stage2.map) throw new Error(`${opts.label}: Babel produced no output`);
  const lowered = stage2.code;
  const map2 = stage2.map;
  map2.sources = map2.sources.map((s) => relativeSource(root, s));

  const gateLowered = checkDialect(lowered, { label: `${opts.label} (lowered)`, map: new SourceMapReader(map2) });
  if (gateLowered.length) throw new DialectError(`${opts.label} (lowered)`, gateLowered);

  // Stage 3: minify; the inline map lets esbuild compose the maps back to the sources.
  const supported: Record<string, boolean> = {};
  for (const f of MINIFY_UNSUPPORTED) supported[f] = false;
  const stage3 = await esbuild.transform(lowered + inlineMap(map2), {
    minify: true,
    target: "es2015",
    supported,
    sourcemap: "external",
    sourcefile: "camnet.js",
    legalComments: "none",
  });
  const minified = stage3.code.endsWith("\n") ? stage3.code : stage3.code + "\n";
  const map3 = new SourceMapReader(JSON.parse(stage3.map) as RawSourceMap);
  const minLabel = `${opts.label} (minified)`;
  const gateMinified = checkDialect(minified, { label: minLabel, map: map3 });
  if (gateMinified.length) throw new DialectError(minLabel, gateMinified);

  const { files, glue } = attributeBytes(minified, map3);
  const rel = files.map((f) => ({ file: relativeSource(root, f.file), bytes: f.bytes }));
  const groups: Record<string, number> = {};
  for (const f of rel) groups[groupOf(f.file)] = (groups[groupOf(f.file)] ?? 0) + f.bytes;
  groups[GLUE] = (groups[GLUE] ?? 0) + glue;
  return { label: opts.label, bundled, lowered, minified, bytes: Buffer.byteLength(minified), files: rel, groups };
}

// ---- budgets -----------------------------------------------------------------------------

export class BudgetError extends Error {
  readonly overruns: string[];
  /** The board whose budget was exceeded. */
  readonly board: string | undefined;
  constructor(overruns: string[], board?: string) {
    super(`size budget${board ? ` of board ${board}` : ""} exceeded:\n  ${overruns.join("\n  ")}`);
    this.overruns = overruns;
    this.board = board;
  }
}

/** Lists every budget the outputs break, with the overrun in bytes. */
export function budgetOverruns(board: BoardProfile, outputs: Record<string, BundleResult>): string[] {
  const spec: BudgetSpec | undefined =
    typeof board.budgetBytes === "number" ? { camnet: board.budgetBytes } : board.budgetBytes;
  if (!spec) return [];
  const out: string[] = [];
  const src = `boards/${board.id}.json budgetBytes`;
  const over = (what: string, bytes: number, limit: number) => {
    if (bytes > limit) out.push(`${what} is ${bytes} bytes: ${bytes - limit} bytes over its budget of ${limit} (${src})`);
  };
  if (spec.camnet !== undefined && outputs["camnet.js"]) over(`dist/${board.id}/camnet.js`, outputs["camnet.js"].bytes, spec.camnet);
  if (spec.firmware !== undefined && outputs["firmware.js"]) over(`dist/${board.id}/firmware.js`, outputs["firmware.js"].bytes, spec.firmware);
  for (const [group, limit] of Object.entries(spec.modules ?? {})) {
    const bytes = outputs["camnet.js"]?.groups[group] ?? 0;
    over(`module ${group} in dist/${board.id}/camnet.js`, bytes, limit);
  }
  return out;
}

// ---- one board ---------------------------------------------------------------------------

export interface SizesReport {
  board: string;
  measuredBy: string;
  outputs: Record<string, { bytes: number; loweredBytes: number; groups: Record<string, number>; files: FileSize[] }>;
}

export interface BoardBuild {
  board: BoardProfile;
  outDir: string;
  outputs: Record<string, BundleResult>;
  sizes: SizesReport;
}

export const SIZE_METHOD =
  "minified bytes attributed to source files through the composed source map (esbuild -> Babel -> esbuild); unmapped bytes (Babel helpers, IIFE wrapper) are 'glue'";

export interface BoardBuildOptions {
  root?: string;
  /** Default <root>/dist/<board.id>. */
  outDir?: string;
  /** Default: src/runtime.ts -> camnet.js and firmware/main.ts -> firmware.js (if present). */
  entries?: Record<string, string>;
}

export async function buildBoard(board: BoardProfile, opts: BoardBuildOptions = {}): Promise<BoardBuild> {
  const root = opts.root ?? ROOT;
  const outDir = opts.outDir ?? path.join(root, "dist", board.id);
  const entries = opts.entries ?? defaultEntries(root);
  const outputs: Record<string, BundleResult> = {};
  for (const [out, entry] of Object.entries(entries)) {
    const label = path.relative(root, path.join(outDir, out)).replace(/\\/g, "/");
    outputs[out] = await buildBundle({ entry, board, label, root });
  }
  const overruns = budgetOverruns(board, outputs);
  if (overruns.length) throw new BudgetError(overruns, board.id);
  mkdirSync(outDir, { recursive: true });
  const sizes: SizesReport = { board: board.id, measuredBy: SIZE_METHOD, outputs: {} };
  for (const [out, r] of Object.entries(outputs)) {
    writeFileSync(path.join(outDir, out), r.minified);
    sizes.outputs[out] = { bytes: r.bytes, loweredBytes: Buffer.byteLength(r.lowered), groups: r.groups, files: r.files };
  }
  writeFileSync(path.join(outDir, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
  return { board, outDir, outputs, sizes };
}

export function defaultEntries(root = ROOT): Record<string, string> {
  const entries: Record<string, string> = { "camnet.js": "src/runtime.ts" };
  if (existsSync(path.join(root, "firmware/main.ts"))) entries["firmware.js"] = "firmware/main.ts";
  return entries;
}

/** A plain-text table: one row per module group, one column per output. */
export function formatSizeTable(sizes: SizesReport): string {
  const outs = Object.keys(sizes.outputs);
  const groups = new Set<string>();
  for (const o of outs) for (const g of Object.keys(sizes.outputs[o].groups)) groups.add(g);
  const order = [...groups].sort((a, b) => (a === GLUE ? 1 : b === GLUE ? -1 : a.localeCompare(b)));
  const rows: string[][] = [["module", ...outs]];
  for (const g of order) rows.push([g, ...outs.map((o) => String(sizes.outputs[o].groups[g] ?? "-"))]);
  rows.push(["total", ...outs.map((o) => String(sizes.outputs[o].bytes))]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const fmt = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [`${sizes.board}: minified bytes per module`, ...rows.map(fmt)].join("\n");
}

// ---- CLI ---------------------------------------------------------------------------------

interface CliArgs {
  boards: string[];
  entry?: string;
  out?: string;
  budget?: number;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { boards: [] };
  walkArgs(argv, {
    "--board": (v) => args.boards.push(v()),
    "--entry": (v) => (args.entry = v()),
    "--out": (v) => (args.out = v()),
    "--budget": (v) => (args.budget = Number(v())),
  }, "build.ts [--board id]... [--entry file --out dir] [--budget bytes]");
  return args;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const all = loadBoards();
  const pick = args.boards.length ? args.boards : args.entry ? ["linux"] : all.map((b) => b.id);
  for (const id of pick) {
    const board = all.find((b) => b.id === id);
    if (!board) throw new Error(`no board "${id}" (boards/: ${all.map((b) => b.id).join(", ")})`);
    const profile = args.budget !== undefined ? { ...board, budgetBytes: args.budget } : board;
    let outDir: string | undefined;
    let entries: Record<string, string> | undefined;
    if (args.entry) {
      outDir = path.resolve(args.out ?? path.join("dist", "custom", id));
      entries = { [path.basename(args.entry).replace(/\.[cm]?tsx?$/, "") + ".js"]: path.resolve(args.entry) };
    }
    const built = await buildBoard(profile, { outDir, entries });
    console.log(formatSizeTable(built.sizes) + "\n");
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof DialectError || e instanceof BudgetError || e instanceof BoardFileError) console.error(e.message);
      else console.error(e);
      process.exit(1);
    },
  );
}

export type { Violation };
