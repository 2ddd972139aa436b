// The dialect gate: parses a lowered (or minified) bundle and lists everything in it that
// the Espruino interpreter (2v29) lacks, naming the TypeScript file and line it came from.
//
// Sources for every list below: shared/reference/espruino-target.md §6-§7 and a probe run
// on the real Linux build (2v29.277, c5ff787b1; see /work/notes/espruino-findings.md) that
// compared Node's globals, static members and prototype methods with Espruino's.
// `typeof X` of a missing global is allowed (it is how guards such as
// `typeof Symbol !== "undefined"` stay harmless); every other reference is refused.
import { parseSync, traverse, types as t } from "@babel/core";
import type { NodePath } from "@babel/core";
import type * as T from "@babel/types";
import type { SourceMapReader } from "./lib/sourcemap.ts";

export interface Violation {
  rule: string;
  message: string;
  /** Original source file (repo-relative), "babel helper _name", or the bundle label. */
  file: string;
  /** Line in `file` (1-based); for minified output, the minified line. */
  line: number;
  column: number;
  /** Position in the checked code itself. */
  generatedLine: number;
  generatedColumn: number;
}

export interface GateOptions {
  /** Names the checked text in messages, e.g. "dist/linux/camnet.js (minified)". */
  label: string;
  /** Maps positions in `code` back to TypeScript sources. */
  map?: SourceMapReader;
}

/** Globals that do not exist on Espruino (measured: `typeof X === "undefined"`). */
export const MISSING_GLOBALS = new Set([
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy", "Reflect",
  "BigInt", "BigInt64Array", "BigUint64Array", "RangeError", "EvalError", "URIError", "AggregateError",
  "TextEncoder", "TextDecoder", "Intl", "Buffer", "URL", "URLSearchParams", "SharedArrayBuffer", "Atomics",
  "WebAssembly", "AbortController", "AbortSignal", "Event", "EventTarget", "Blob", "queueMicrotask",
  "structuredClone", "setImmediate", "clearImmediate", "performance", "fetch", "crypto", "encodeURI",
  "decodeURI", "escape", "unescape", "exports", "module", "__filename", "__dirname",
]);

const TYPED_ARRAYS = [
  "Uint8Array", "Uint8ClampedArray", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array",
  "Float32Array", "Float64Array",
];

/** Static members missing on Espruino (measured against Node's own property names). */
export const MISSING_STATICS: Record<string, string[]> = {
  Object: ["freeze", "seal", "is", "preventExtensions", "isExtensible", "isFrozen", "isSealed",
    "getOwnPropertySymbols", "hasOwn", "groupBy"],
  Array: ["from", "of", "fromAsync"],
  String: ["raw", "fromCodePoint"],
  Number: ["isInteger", "isSafeInteger", "isFinite", "isNaN", "parseFloat", "parseInt", "MAX_SAFE_INTEGER",
    "MIN_SAFE_INTEGER", "EPSILON"],
  Math: ["imul", "clz32", "fround", "trunc", "cbrt", "hypot", "log2", "log10", "log1p", "expm1",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"],
  Promise: ["race", "allSettled", "any", "withResolvers"],
  Date: ["UTC"],
  ArrayBuffer: ["isView"],
  Error: ["captureStackTrace"],
};
for (const ta of TYPED_ARRAYS) MISSING_STATICS[ta] = ["from", "of", "BYTES_PER_ELEMENT"];

/** Method names no Espruino built-in has, and that user code rarely defines (any receiver). */
export const MISSING_METHODS = new Set([
  "finally", "flat", "flatMap", "findLast", "findLastIndex", "reduceRight", "copyWithin", "toReversed",
  "toSorted", "toSpliced", "codePointAt", "trimStart", "trimEnd", "trimLeft", "trimRight", "matchAll",
  "normalize", "localeCompare", "isWellFormed", "toWellFormed", "toExponential", "toPrecision",
  "toLocaleString", "toLocaleDateString", "toLocaleTimeString", "toLocaleLowerCase", "toLocaleUpperCase",
  "toDateString", "toTimeString", "setUTCDate", "setUTCFullYear", "setUTCHours", "setUTCMilliseconds",
  "setUTCMinutes", "setUTCMonth", "setUTCSeconds", "at",
]);

/** `Builtin.prototype.<m>` reads that DO work on Espruino (measured); every other one is undefined. */
const PROTOTYPE_READABLE: Record<string, string[]> = {
  Object: ["hasOwnProperty", "toString", "valueOf"],
  Array: ["toString"],
  String: ["toString", "valueOf"],
  Number: ["toString", "valueOf"],
  Boolean: ["toString", "valueOf"],
  Date: ["toString", "valueOf"],
  RegExp: ["toString"],
  Function: ["toString"],
  Error: ["toString"],
};
const PROTOTYPE_OWNERS = new Set([
  ...Object.keys(PROTOTYPE_READABLE), "Promise", "ArrayBuffer", "DataView", ...TYPED_ARRAYS, "TypeError",
  "SyntaxError", "ReferenceError", "InternalError",
]);

/** Classes that cannot be extended on Espruino (message/instanceof break, measured). */
const NATIVE_SUPERS = new Set(["Error", "TypeError", "SyntaxError", "ReferenceError", "InternalError",
  "RangeError", "Array", "Promise", "RegExp", "Date", "Function", "String", "Number", "Boolean",
  ...TYPED_ARRAYS]);

/** Problems of a regular expression for Espruino's engine (src/jswrap_regexp.c; §6/§7). */
export function regexProblems(pattern: string, flags: string): string[] {
  const out = new Set<string>();
  for (const f of flags) if (f !== "g" && f !== "i") out.add(`flag "${f}" (only g and i exist)`);
  let inClass = false;
  let last: "atom" | "group" | "quantifier" | "none" = "none";
  let groups = 0;
  // per open group: whether it holds a "|" of its own
  const alternation: boolean[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i];
    if (c === "\\") {
      const n = pattern[i + 1] ?? "";
      if (!inClass && (n === "b" || n === "B")) out.add(`\\${n} word boundary (Espruino reads \\b as backspace)`);
      if (n === "u") out.add("\\u escape (use \\xHH)");
      if (n === "p" || n === "P") out.add("\\p{...} unicode property");
      if (n === "k") out.add("named backreference \\k");
      if (n === "c") out.add("\\c control escape");
      if (!inClass && n >= "1" && n <= "9") out.add(`backreference \\${n}`);
      i += 2;
      last = "atom";
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      i++;
      if (pattern[i] === "^") i++;
      if (pattern[i] === "]") i++; // "[]" / "[^]" as in JS: ']' first closes nothing in our scan
      last = "atom";
      continue;
    }
    if (c === "(") {
      if (pattern[i + 1] === "?") out.add("(?...) group (non-capturing, lookaround or named)");
      groups++;
      alternation.push(false);
      i++;
      last = "none";
      continue;
    }
    if (c === "|" && alternation.length) alternation[alternation.length - 1] = true;
    if (c === ")") {
      i++;
      // measured: /^a(0|1)$/ misses "a1" and /^_\w+\._(tcp|udp)$/ takes "_x._tcpx": what
      // follows a group with alternatives is checked against the first alternative only
      if (alternation.pop() && i < pattern.length) out.add("a group with | followed by more pattern (Espruino checks the rest against the first alternative only; use alternatives of whole patterns, or a [class])");
      last = "group";
      continue;
    }
    if (c === "*" || c === "+" || c === "?") {
      if (c === "?" && last === "quantifier") out.add("lazy quantifier (*? +?)");
      else if (c === "?") out.add("? quantifier (write the alternatives out with |)");
      if (last === "group") out.add(`quantifier ${c} after a group`);
      i++;
      last = c === "?" ? "none" : "quantifier";
      continue;
    }
    if (c === "{" && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      out.add("{n,m} quantifier (repeat the atom instead)");
      i = pattern.indexOf("}", i) + 1;
      last = "quantifier";
      continue;
    }
    i++;
    last = "atom";
  }
  // measured: /^-|-$/ misses "a-": when `^` fails past the start, the alternatives after it
  // are never tried at that position
  const alts = topLevelAlternatives(pattern);
  if (alts.slice(0, -1).some((a) => a.startsWith("^")) && alts.slice(1).some((a) => !a.startsWith("^"))) {
    out.add("a ^-anchored alternative before an unanchored one (Espruino then never tries the others past the start; test them separately)");
  }
  if (groups > 9) out.add(`${groups} capture groups (max 9)`);
  return [...out];
}

/** The pattern split at its `|` outside groups and classes. */
function topLevelAlternatives(pattern: string): string[] {
  const out: string[] = [];
  let depth = 0, inClass = false, from = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && !depth) {
      out.push(pattern.slice(from, i));
      from = i + 1;
    }
  }
  out.push(pattern.slice(from));
  return out;
}

function staticName(node: T.Node): string | null {
  if (t.isMemberExpression(node) || t.isOptionalMemberExpression(node)) {
    if (!node.computed && t.isIdentifier(node.property)) return node.property.name;
    if (node.computed && t.isStringLiteral(node.property)) return node.property.value;
  }
  return null;
}

function isUnboundGlobal(path: NodePath, node: T.Node, name?: string): node is T.Identifier {
  return t.isIdentifier(node) && (!name || node.name === name) && !path.scope.getBinding(node.name);
}

/** Returns true if an expression certainly evaluates to an ArrayBuffer. */
function isArrayBufferExpr(path: NodePath, node: T.Node, depth = 0): boolean {
  if (t.isNewExpression(node) && isUnboundGlobal(path, node.callee, "ArrayBuffer")) return true;
  if (staticName(node) === "buffer") return true;
  if (t.isCallExpression(node) && staticName(node.callee) === "toArrayBuffer" &&
    t.isMemberExpression(node.callee) && isUnboundGlobal(path, node.callee.object, "E")) return true;
  if (t.isIdentifier(node) && depth < 3) {
    const b = path.scope.getBinding(node.name);
    if (b && b.constantViolations.length === 0 && b.path.isVariableDeclarator() && b.path.node.init) {
      return isArrayBufferExpr(b.path, b.path.node.init, depth + 1);
    }
  }
  return false;
}

/** Lines of esbuild's `// src/file.ts` markers: [line, file], ascending. */
export function fileMarkers(code: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const re = /^[ \t]*\/\/ ((?:[\w@.-]+\/)*[\w@.-]+\.(?:ts|tsx|js|mjs|cjs|json))[ \t]*$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) out.push([code.slice(0, m.index).split("\n").length, m[1]]);
  return out;
}

/** Checks `code` and returns every construct Espruino lacks, in order of position. */
export function checkDialect(code: string, opts: GateOptions): Violation[] {
  const ast = parseSync(code, {
    sourceType: "script",
    configFile: false,
    babelrc: false,
    parserOpts: { allowReturnOutsideFunction: true },
  });
  if (!ast) throw new Error(`dialect gate: could not parse ${opts.label}`);
  const markers = fileMarkers(code);
  const found: Violation[] = [];
  const seen = new Set<string>();
  // Babel helpers are the top-level `function _name(){}` declarations Babel puts before the bundle.
  const helpers: Array<[number, number, string]> = [];
  for (const stmt of ast.program.body) {
    if (t.isFunctionDeclaration(stmt) && stmt.id && stmt.id.name.startsWith("_") && stmt.start != null) {
      helpers.push([stmt.start, stmt.end ?? stmt.start, stmt.id.name]);
    }
  }

  const locate = (node: T.Node): Pick<Violation, "file" | "line" | "column" | "generatedLine" | "generatedColumn"> => {
    const gl = node.loc?.start.line ?? 0;
    const gc = node.loc?.start.column ?? 0;
    const at = node.start ?? 0;
    const helper = helpers.find(([s, e]) => at >= s && at < e);
    if (helper) return { file: `babel helper ${helper[2]}`, line: gl, column: gc, generatedLine: gl, generatedColumn: gc };
    const orig = opts.map?.originalPositionFor(gl, gc);
    if (orig) return { file: orig.source, line: orig.line, column: orig.column, generatedLine: gl, generatedColumn: gc };
    let file = opts.label;
    for (const [line, f] of markers) if (line <= gl) file = f;
    return { file: file === opts.label ? opts.label : `${file} (bundle)`, line: gl, column: gc, generatedLine: gl, generatedColumn: gc };
  };
  const report = (node: T.Node, rule: string, message: string) => {
    const key = `${node.start}:${rule}:${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push({ rule, message, ...locate(node) });
  };

  traverse(ast, {
    Function(path) {
      const n = path.node;
      if (n.async) report(n, "async", "async function: Espruino has no async/await; use Promise chains");
      if (n.generator) report(n, "generator", "generator function: Espruino has no generators");
      for (const p of n.params) {
        if (t.isAssignmentPattern(p)) report(p, "default-param", "default parameter: Espruino parses only plain identifiers");
      }
    },
    AwaitExpression(path) { report(path.node, "async", "await: Espruino has no async/await"); },
    YieldExpression(path) { report(path.node, "generator", "yield: Espruino has no generators"); },
    ForOfStatement(path) { if (path.node.await) report(path.node, "async", "for await: Espruino has no async iteration"); },
    LabeledStatement(path) { report(path.node, "label", `label "${path.node.label.name}:": Espruino has no labels; use a flag or a function`); },
    ObjectPattern(path) { report(path.node, "destructuring", "destructuring {…}: Espruino has none"); },
    ArrayPattern(path) { report(path.node, "destructuring", "destructuring […]: Espruino has none"); },
    AssignmentPattern(path) {
      if (!path.parentPath.isFunction()) report(path.node, "destructuring", "destructuring default: Espruino has none");
    },
    RestElement(path) { report(path.node, "rest", "rest element ...x: Espruino has no `...`"); },
    SpreadElement(path) { report(path.node, "spread", "spread ...x: Espruino has no `...`"); },
    OptionalMemberExpression(path) { report(path.node, "optional-chain", "optional chaining ?.: Espruino has none"); },
    OptionalCallExpression(path) { report(path.node, "optional-chain", "optional call ?.(): Espruino has none"); },
    BinaryExpression(path) {
      if (path.node.operator === "**") report(path.node, "exponent", "** operator: Espruino has none (and Math.pow is inexact beyond exponent 9)");
    },
    AssignmentExpression(path) {
      const { operator, left } = path.node;
      if (operator === "**=") report(path.node, "exponent", "**= operator: Espruino has none");
      if (operator === "||=" || operator === "&&=" || operator === "??=") {
        report(path.node, "logical-assign", `${operator}: Espruino has no logical assignment`);
      }
      if (staticName(left) === "length") {
        report(path.node, "length-assign", "assignment to .length: throws on Espruino arrays (\"Assignment to a constant\"); use splice");
      }
    },
    UpdateExpression(path) {
      if (staticName(path.node.argument) === "length") {
        report(path.node, "length-assign", "++/-- on .length: throws on Espruino arrays; use push/splice");
      }
    },
    ObjectProperty(path) {
      if (path.node.computed) report(path.node, "computed-key", "computed object key {[k]: v}: Espruino has none; assign obj[k] = v after");
    },
    ObjectMethod(path) {
      if (path.node.computed) report(path.node, "computed-key", "computed method name: Espruino has none");
    },
    ClassMethod(path) {
      const n = path.node;
      if (n.computed || !t.isIdentifier(n.key)) report(n, "class-method-key", "class method with a computed/quoted name: Espruino accepts identifiers only");
    },
    ClassProperty(path) { report(path.node, "class-field", "class field: Espruino stores it once on the prototype; must be lowered"); },
    ClassPrivateProperty(path) { report(path.node, "class-field", "private class field: Espruino has none"); },
    ClassPrivateMethod(path) { report(path.node, "class-field", "private method: Espruino has none"); },
    ClassAccessorProperty(path) { report(path.node, "class-field", "class accessor field: Espruino has none"); },
    StaticBlock(path) { report(path.node, "class-field", "static block: Espruino has none"); },
    Class(path) {
      const sup = path.node.superClass;
      if (sup && t.isIdentifier(sup) && NATIVE_SUPERS.has(sup.name) && !path.scope.getBinding(sup.name)) {
        report(path.node, "extends-builtin", `class extends ${sup.name}: breaks on Espruino; use Object.assign(new Error(msg), {code})`);
      }
    },
    TaggedTemplateExpression(path) { report(path.node, "tagged-template", "tagged template: Espruino has none"); },
    MetaProperty(path) {
      report(path.node, "new-target", `${path.node.meta.name}.${path.node.property.name}: Espruino has none`);
    },
    Import(path) { report(path.node, "dynamic-import", "import(): Espruino has none"); },
    BigIntLiteral(path) { report(path.node, "bigint", "BigInt literal: Espruino has no BigInt"); },
    ArrayExpression(path) {
      // measured: `c=>[,c.x]` and `c=>f([,1])` are SyntaxErrors on Espruino (holes inside an
      // arrow's expression body); elsewhere a hole reads as null, not undefined
      if (path.node.elements.some((e) => e === null)) report(path.node, "array-hole", "array hole [,x]: Espruino cannot parse it inside an arrow's expression body; write the element (undefined or 0)");
    },
    RegExpLiteral(path) {
      const problems = regexProblems(path.node.pattern, path.node.flags);
      if (problems.length) report(path.node, "regex", `regex /${path.node.pattern}/${path.node.flags}: ${problems.join("; ")}`);
      // Espruino's lexer takes `/` for division after `)` (jslex.c, JSLJT_FORWARDSLASH): the
      // minifier makes `if (c) /x/.test(s)` or `for (...) /x/.test(s)` into exactly that.
      let i = (path.node.start ?? 0) - 1;
      while (i >= 0 && /\s/.test(code[i]!)) i--;
      if (code[i] === ")") {
        report(path.node, "regex-after-paren", `regex /${path.node.pattern}/ right after ")": Espruino reads the "/" as division there; keep the regex in a variable`);
      }
    },
    "NewExpression|CallExpression"(path: NodePath<T.NewExpression | T.CallExpression>) {
      const n = path.node;
      const callee = n.callee;
      if (isUnboundGlobal(path, callee, "RegExp") && t.isStringLiteral(n.arguments[0])) {
        const flags = t.isStringLiteral(n.arguments[1]) ? n.arguments[1].value : "";
        const problems = regexProblems(n.arguments[0].value, flags);
        if (problems.length) report(n, "regex", `RegExp(${JSON.stringify(n.arguments[0].value)}): ${problems.join("; ")}`);
      }
      if (t.isIdentifier(callee) && (callee.name === "_wrapNativeSuper" || callee.name === "_isNativeReflectConstruct")) {
        // Babel maps the argument (the `Error` of `extends Error`) to the class's source line.
        const at = n.arguments[0] && t.isIdentifier(n.arguments[0]) ? n.arguments[0] : n;
        const what = t.isIdentifier(at) ? at.name : "a built-in";
        report(at, "extends-builtin", `class extends ${what} (Babel's ${callee.name}): breaks on Espruino; use Object.assign(new Error(msg), {code})`);
      }
      if (t.isCallExpression(n) && t.isMemberExpression(callee) && isUnboundGlobal(path, callee.object, "Math") &&
        staticName(callee) === "pow" && n.arguments.length === 2 && t.isNumericLiteral(n.arguments[1]) &&
        t.isNumericLiteral(n.arguments[0]) && Number.isInteger(n.arguments[1].value) &&
        n.arguments[1].value > 9) {
        report(n, "math-pow", `Math.pow(${n.arguments[0].value}, ${n.arguments[1].value}) is inexact on Espruino (exact only for exponents 0-9): write the literal ${n.arguments[0].value ** n.arguments[1].value}`);
      }
      if (t.isCallExpression(n) && t.isMemberExpression(callee) && staticName(callee) === "slice" && isArrayBufferExpr(path, callee.object)) {
        report(n, "arraybuffer-slice", "ArrayBuffer.prototype.slice: missing on Espruino; slice a Uint8Array view instead");
      }
    },
    MemberExpression(path) {
      const n = path.node;
      const name = staticName(n);
      if (name === null) return;
      const isTarget = path.parentPath.isAssignmentExpression() && path.parentPath.node.left === n;
      // Builtin.prototype.method
      if (t.isMemberExpression(n.object) && staticName(n.object) === "prototype" && t.isIdentifier(n.object.object) &&
        PROTOTYPE_OWNERS.has(n.object.object.name) && !path.scope.getBinding(n.object.object.name) && !isTarget) {
        const owner = n.object.object.name;
        if (!(PROTOTYPE_READABLE[owner] ?? []).includes(name)) {
          report(n, "builtin-prototype", `${owner}.prototype.${name} is undefined on Espruino; use an instance (e.g. [].${name}.call, "".${name}.call)`);
        }
        return;
      }
      if (t.isIdentifier(n.object) && !path.scope.getBinding(n.object.name) && MISSING_STATICS[n.object.name]?.includes(name) && !isTarget) {
        report(n, "missing-static", `${n.object.name}.${name} does not exist on Espruino`);
        return;
      }
      if (MISSING_METHODS.has(name) && !isTarget && !t.isThisExpression(n.object)) {
        report(n, "missing-method", `.${name}(): no Espruino built-in has this method`);
      }
    },
    Identifier(path) {
      const n = path.node;
      if (!MISSING_GLOBALS.has(n.name) || !path.isReferencedIdentifier() || path.scope.getBinding(n.name)) return;
      if (path.parentPath.isUnaryExpression({ operator: "typeof" })) return; // guards are harmless
      report(n, "missing-global", `${n.name} does not exist on Espruino`);
    },
    FunctionDeclaration(path) {
      // Espruino creates a function only when its declaration statement runs: calling it
      // earlier in the same function body (not from a nested function) fails.
      const id = path.node.id;
      if (!id) return;
      const binding = path.parentPath.scope.getBinding(id.name);
      if (!binding || binding.path !== path) return;
      const home = path.parentPath.scope.getFunctionParent() ?? path.parentPath.scope.getProgramParent();
      for (const ref of binding.referencePaths) {
        if ((ref.node.start ?? 0) >= (path.node.start ?? 0)) continue;
        const refHome = ref.scope.getFunctionParent() ?? ref.scope.getProgramParent();
        if (refHome === home) {
          report(ref.node, "hoisting", `${id.name} is used before its declaration: Espruino does not hoist functions; move the declaration up`);
        }
      }
    },
  });
  found.sort((a, b) => a.generatedLine - b.generatedLine || a.generatedColumn - b.generatedColumn);
  return found;
}

export function formatViolations(label: string, vs: Violation[]): string {
  const lines = vs.map((v) => {
    const where = v.file === label ? `${label}:${v.line}:${v.column + 1}` : `${v.file}:${v.line}:${v.column + 1}`;
    return `  ${where}  [${v.rule}] ${v.message}  (at ${label} ${v.generatedLine}:${v.generatedColumn + 1})`;
  });
  return `dialect gate: ${vs.length} construct(s) in ${label} that Espruino lacks:\n${lines.join("\n")}`;
}

export class DialectError extends Error {
  readonly violations: Violation[];
  constructor(label: string, violations: Violation[]) {
    super(formatViolations(label, violations));
    this.violations = violations;
  }
}
