// Checks board files (boards/<id>.json) against boards/schema.json before the build uses them.
// No schema library: a small validator for the subset the schema uses (type with arrays for
// nullable, required, properties, additionalProperties as false or a schema, enum, minimum,
// maximum, pattern, minLength, maxLength), plus the checks a schema cannot say (the id is the
// file name, the default host name fits the firmware's limit).
import { readFileSync } from "node:fs";
import path from "node:path";

export interface Schema {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  description?: string;
  [key: string]: unknown;
}

/** One thing wrong with a board file. */
export interface BoardProblem {
  /** e.g. "boards/esp32-cam.json" */
  file: string;
  /** Dotted path of the field, "" for the whole file. */
  field: string;
  /** What is wrong. */
  problem: string;
  /** What to do about it. */
  fix: string;
}

export function formatProblem(p: BoardProblem): string {
  return `${p.file}: ${p.field || "(file)"}: ${p.problem}; ${p.fix}`;
}

/** Thrown by loadBoards when a board file is malformed; lists every problem found. */
export class BoardFileError extends Error {
  readonly problems: BoardProblem[];
  constructor(problems: BoardProblem[]) {
    super(`invalid board file${problems.length > 1 ? "s" : ""} (schema: boards/schema.json):\n  ${problems.map(formatProblem).join("\n  ")}`);
    this.name = "BoardFileError";
    this.problems = problems;
  }
}

export const SCHEMA_FILE = "schema.json";

export function loadSchema(dir: string): Schema {
  return JSON.parse(readFileSync(path.join(dir, SCHEMA_FILE), "utf8")) as Schema;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(v: unknown, type: string): boolean {
  const t = typeOf(v);
  return t === type || (type === "number" && t === "integer");
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** Problems of `value` against `schema`, each with the dotted path of its field. */
export function validate(value: unknown, schema: Schema, file: string, at = ""): BoardProblem[] {
  const out: BoardProblem[] = [];
  const problem = (field: string, what: string, fix: string) => out.push({ file, field, problem: what, fix });
  const field = at;
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length && !types.some((t) => typeMatches(value, t))) {
    problem(field, `is ${show(value)} (${typeOf(value)}), must be ${types.join(" or ")}`, `write ${types.map((t) => (t === "null" ? "null" : "a " + t)).join(" or ")}`);
    return out;
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    problem(field, `is ${show(value)}, must be one of ${schema.enum.map(show).join(", ")}`, "pick one of those values");
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problem(field, `is ${value}, below the minimum ${schema.minimum}`, `use a value of at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problem(field, `is ${value}, above the maximum ${schema.maximum}`, `use a value of at most ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) problem(field, `is ${show(value)}, shorter than ${schema.minLength} characters`, "fill it in");
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problem(field, `is ${value.length} characters long, more than ${schema.maxLength}`, `shorten it to ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) problem(field, `is ${show(value)}, which does not match ${schema.pattern}`, "use lower-case letters, digits and hyphens");
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = schema.properties ?? {};
    const join = (k: string) => (at ? `${at}.${k}` : k);
    for (const k of schema.required ?? []) {
      if (!(k in obj)) {
        const desc = props[k]?.description ? ` (${props[k].description})` : "";
        problem(join(k), "is missing", `add "${k}"${desc}`);
      }
    }
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) out.push(...validate(v, props[k], file, join(k)));
      else if (schema.additionalProperties === false) {
        const known = Object.keys(props).join(", ");
        problem(join(k), "is not a known field", `remove it or correct its spelling (known: ${known})`);
      } else if (typeof schema.additionalProperties === "object") {
        out.push(...validate(v, schema.additionalProperties, file, join(k)));
      }
    }
  }
  return out;
}

/**
 * Every problem of one board file: its JSON, the schema, and the rules the schema cannot
 * express. `file` names it in messages (e.g. "boards/esp32.json"); `id` is the file's name.
 */
export function checkBoard(text: string, file: string, id: string, schema: Schema): BoardProblem[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return [{ file, field: "", problem: `is not JSON (${(e as Error).message})`, fix: "fix the syntax" }];
  }
  const out = validate(data, schema, file);
  if (typeOf(data) !== "object") return out;
  const board = data as Record<string, unknown>;
  if (typeof board.id === "string" && board.id !== id) {
    out.push({ file, field: "id", problem: `is "${board.id}" but the file is ${id}.json`, fix: `set "id": "${id}" or rename the file` });
  }
  const caps = board.capabilities as Record<string, unknown> | undefined;
  if (typeof board.defaultHostname === "string" && typeof caps?.hostnameMax === "number" && board.defaultHostname.length > caps.hostnameMax) {
    out.push({
      file, field: "defaultHostname",
      problem: `has ${board.defaultHostname.length} characters, more than capabilities.hostnameMax ${caps.hostnameMax}`,
      fix: "choose a shorter name",
    });
  }
  if (board.chip === "ESP32" && caps?.wifi === false) {
    out.push({ file, field: "capabilities.wifi", problem: "is false on an ESP32", fix: "set it to true (every ESP32 Espruino build has Wi-Fi)" });
  }
  return out;
}

/** Checks every boards/*.json but the schema; throws BoardFileError listing all problems. */
export function validateBoardDir(dir: string, files: string[]): void {
  const schema = loadSchema(dir);
  const rel = path.basename(dir);
  const problems: BoardProblem[] = [];
  for (const f of files) {
    problems.push(...checkBoard(readFileSync(path.join(dir, f), "utf8"), `${rel}/${f}`, f.slice(0, -".json".length), schema));
  }
  if (problems.length) throw new BoardFileError(problems);
}
