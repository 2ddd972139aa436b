// An ESTIMATE of Espruino JsVars in use, for process.memory() and E.getSizeOf().
//
// Espruino stores everything in fixed-size blocks ("JsVars": 14 bytes on ESP32, 16383 of
// them). The emulator cannot see the real layout, so it walks what the program can still
// reach, from the new globals and the pending timers, and charges each value what the
// interpreter's layout costs (read off `trace()` on the 2v29 Linux build):
//   object, array: 1 var; each own property / element: 1 (its name; +ceil((len-4)/12) for
//     long names), then its value: integers and undefined are packed into the name (0),
//     other numbers, booleans and null 1, strings max(1, ceil(len/12))
//   typed array: view 1 + ArrayBuffer 1 + its bytes as a string (counted once when shared)
//   function: 1, +1 per parameter, +2 for its code when it comes from a program run from
//     Storage (a name and a pointer into flash), else 1 + its text in 12-char blocks;
//     +1 for the link to its scope when it was made inside another function, and where
//     that is two or more functions deep, an array of the scopes (1 + 1 per level)
//   scope (one per call of a function that made a closure still alive, shared by all the
//     closures it made): 1, +1 per parameter and local (every one, not only those the
//     closures use: the interpreter keeps the call's whole scope), then the values
//   a pending timer: 4 (its entry: time, interval, callback) + its callback and arguments
//   `prototype`: only when the program put something on it (Espruino makes it on demand)
// V8 hides closures' variables from a walk of the object graph, so the walk asks V8's
// inspector for each function's location and scopes ([[Scopes]]: the variables closures
// use, with their values), and parses the program (Babel) for the parameters and locals
// each scope holds. A scope is told apart from another call's by the values it holds (an
// object held is told by identity), so two calls holding only equal numbers count once.
// Measured against the Linux build: {a:1,b:'hello'} -> 4 (real 4); per entry of
// scripts/jsvars/ and dist/linux/firmware.js: see the bench (npm run bench) and
// test/espruino-sandbox.test.ts.
import { Session } from "node:inspector";
import { parseSync } from "@babel/core";

export interface MemoryEstimator {
  /** Estimated vars reachable from the new globals of `root`, the pending `timers` (each
   *  its callback and arguments) and the module cache (`modules`: name -> exports), skipping
   *  objects in `builtins`. */
  usage(root: object, initialKeys: Set<string>, timers?: unknown[][], modules?: Map<string, unknown>, shallow?: boolean): number;
  sizeOf(v: unknown): number;
}

/** A program the chip ran: its text and whether it was run from Storage (code in flash). */
export interface Program {
  code: string;
  flash: boolean;
}

const MAX_VISIT = 2_000_000;
const strVars = (len: number) => Math.max(1, Math.ceil(len / 12));
const nameVars = (k: string) => 1 + (k.length > 4 ? Math.ceil((k.length - 4) / 12) : 0);

// ---------------------------------------------------------------- the program's functions

/** What the parse tells of one function literal. */
interface FnInfo {
  params: number;
  /** Parameters and locals: what a call's scope holds. */
  locals: Set<string>;
  /** Locals that name a function literal (a declaration, or `var x = function/arrow`):
   *  the scope keeps such a function even where no closure uses it (V8 then drops it). */
  fnLocals: Map<string, FnInfo>;
  /** The enclosing function, or null at the program's top level. */
  parent: FnInfo | null;
  depth: number;
  id: number;
}

interface ProgramInfo {
  code: string;
  flash: boolean;
  /** Line starts, for V8's (line, column) locations. */
  lines: number[];
  /** Offsets V8 may report for a function (its start, its parameter list's "(") -> info. */
  at: Map<number, FnInfo>;
}

let nextFnId = 0;
/** Parses by program text (boards in one process mostly run the same bundle). */
const parses = new Map<string, ProgramInfo>();

function analyse(p: Program): ProgramInfo {
  const lines = [0];
  for (let i = 0; i < p.code.length; i++) if (p.code.charCodeAt(i) === 10) lines.push(i + 1);
  const info: ProgramInfo = { code: p.code, flash: p.flash, lines, at: new Map() };
  let ast: any;
  try {
    ast = parseSync(p.code, { configFile: false, babelrc: false, sourceType: "script", parserOpts: { errorRecovery: true, allowReturnOutsideFunction: true } });
  } catch {
    return info; // not parseable as a script: its functions are charged without scope detail
  }
  const isFn = (n: any) => /Function|Method|^ClassPrivateMethod$/.test(n.type) && n.type !== "FunctionTypeAnnotation";
  const names = (pat: any, into: Set<string>) => {
    if (!pat) return;
    if (pat.type === "Identifier") into.add(pat.name);
    else if (pat.type === "AssignmentPattern") names(pat.left, into);
    else if (pat.type === "RestElement") names(pat.argument, into);
    else if (pat.type === "ArrayPattern") pat.elements.forEach((e: any) => names(e, into));
    else if (pat.type === "ObjectPattern") pat.properties.forEach((q: any) => names(q.type === "RestElement" ? q : q.value, into));
  };
  // Declarations of `fn`'s own scope: var anywhere in its body (not in nested functions),
  // function declarations, and let/const/class directly in the body.
  const declare = (node: any, into: Set<string>, top: boolean) => {
    if (!node || typeof node.type !== "string") return;
    if (isFn(node)) {
      if (node.type === "FunctionDeclaration" && node.id) into.add(node.id.name);
      return;
    }
    if (node.type === "VariableDeclaration" && (node.kind === "var" || top)) node.declarations.forEach((d: any) => names(d.id, into));
    if (node.type === "ClassDeclaration" && top && node.id) into.add(node.id.name);
    for (const k of Object.keys(node)) {
      if (k === "loc" || k === "start" || k === "end") continue;
      const v = node[k];
      if (Array.isArray(v)) v.forEach((c) => declare(c, into, false));
      else if (v && typeof v.type === "string" && k !== "id") declare(v, into, false);
    }
  };
  const visit = (node: any, parent: FnInfo | null, declName?: string) => {
    if (!node || typeof node.type !== "string") return;
    let here = parent;
    if (isFn(node)) {
      const locals = new Set<string>();
      node.params.forEach((q: any) => names(q, locals));
      if (node.body && node.body.type === "BlockStatement") node.body.body.forEach((s: any) => declare(s, locals, true));
      here = { params: node.params.length, locals, fnLocals: new Map(), parent, depth: parent ? parent.depth + 1 : 0, id: nextFnId++ };
      if (parent && node.type === "FunctionDeclaration" && node.id) parent.fnLocals.set(node.id.name, here);
      if (parent && declName && node.type !== "FunctionDeclaration") parent.fnLocals.set(declName, here);
      info.at.set(node.start, here);
      const from = node.key ? node.key.end : node.id ? node.id.end : node.start;
      const paren = p.code.indexOf("(", from);
      if (paren >= 0 && (!node.params[0] || paren < node.params[0].start)) info.at.set(paren, here);
      if (node.params[0]) info.at.set(node.params[0].start, here);
    }
    for (const k of Object.keys(node)) {
      if (k === "loc") continue;
      const v = node[k];
      if (Array.isArray(v)) v.forEach((c) => visit(c, here));
      else if (v && typeof v.type === "string") visit(v, here, node.type === "VariableDeclarator" && k === "init" && node.id.type === "Identifier" ? node.id.name : undefined);
    }
  };
  try {
    visit(ast.program, null);
  } catch {
    // nested too deeply to walk: the functions found so far keep their detail
  }
  return info;
}

// ---------------------------------------------------------------- V8's view of a function

let session: Session | undefined;

/** One inspector call; the same-thread session answers synchronously. */
function post(method: string, params: object): any {
  if (!session) {
    session = new Session();
    session.connect();
  }
  let out: any, err: Error | null = null, done = false;
  session.post(method, params, (e, r) => {
    err = e;
    out = r;
    done = true;
  });
  if (!done) throw new Error(`inspector ${method} did not answer synchronously`);
  if (err) throw err;
  return out;
}

const slot = globalThis as unknown as { __camnetJsvIn?: unknown; __camnetJsvOut?: unknown };

/** The function's location and its closure scopes (innermost first), each as an object
 *  holding the variables the closures use, with their live values. */
function inspectFunction(f: Function): { scriptId?: string; line: number; column: number; scopes: Array<Record<string, unknown>> } {
  slot.__camnetJsvIn = f;
  try {
    const fn = post("Runtime.evaluate", { expression: "globalThis.__camnetJsvIn", objectGroup: "camnet-jsv", silent: true }).result;
    const props = post("Runtime.getProperties", { objectId: fn.objectId, ownProperties: true, objectGroup: "camnet-jsv" });
    const internal: any[] = props.internalProperties ?? [];
    const loc = internal.find((x) => x.name === "[[FunctionLocation]]")?.value?.value;
    const list = internal.find((x) => x.name === "[[Scopes]]")?.value;
    const scopes: Array<Record<string, unknown>> = [];
    if (list?.objectId) {
      const entries = post("Runtime.getProperties", { objectId: list.objectId, ownProperties: true, objectGroup: "camnet-jsv" }).result as any[];
      for (const e of entries) {
        if (!/^Closure/.test(e.value?.description ?? "") || !e.value.objectId) continue;
        post("Runtime.callFunctionOn", { objectId: e.value.objectId, functionDeclaration: "function () { globalThis.__camnetJsvOut = this.object; }", objectGroup: "camnet-jsv", silent: true });
        scopes.push(slot.__camnetJsvOut as Record<string, unknown>);
      }
    }
    return { scriptId: loc?.scriptId, line: loc?.lineNumber ?? -1, column: loc?.columnNumber ?? -1, scopes };
  } finally {
    delete slot.__camnetJsvIn;
    delete slot.__camnetJsvOut;
  }
}

// ---------------------------------------------------------------- the estimate

/** A function literal's own vars (no properties), from the parse alone. */
const staticFnVars = (f: FnInfo, flash: boolean) => 1 + f.params + (flash ? 2 : 3) + (f.depth === 0 ? 0 : f.depth === 1 ? 1 : 2 + f.depth);

export function createEstimator(builtins: WeakSet<object>, programs: () => Program[] = () => []): MemoryEstimator {
  const analysed = new Map<Program, ProgramInfo>();
  /** Per function: where it comes from, its code's vars and its scopes' identities. */
  const fnCache = new WeakMap<object, { found: { p: ProgramInfo; info?: FnInfo } | null; code: number; keys?: string[] }>();
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (v: unknown): string => {
    if ((typeof v !== "object" && typeof v !== "function") || v === null) return typeof v + ":" + String(v);
    let n = ids.get(v);
    if (n === undefined) ids.set(v, (n = nextId++));
    return "#" + n;
  };
  /** scriptId -> the program V8 compiled it from (found by matching a function's text). */
  const scripts = new Map<string, ProgramInfo | null>();

  const programOf = (f: Function, where: { scriptId?: string; line: number; column: number }, src: string): { p: ProgramInfo; info?: FnInfo } | null => {
    const locate = (p: ProgramInfo) => {
      const off = (p.lines[where.line] ?? -1e9) + where.column;
      return p.at.get(off);
    };
    const known = where.scriptId !== undefined ? scripts.get(where.scriptId) : undefined;
    if (known) return { p: known, info: locate(known) };
    if (known === null) return null;
    // the program holding the function's text (where several do, the one whose parse
    // places a function at V8's location)
    let match: ProgramInfo | undefined;
    for (const prog of programs()) {
      if (!prog.code.includes(src)) continue;
      let p = analysed.get(prog);
      if (!p) {
        let parsed = parses.get(prog.code);
        if (!parsed) {
          parsed = analyse(prog);
          parses.set(prog.code, parsed);
          if (parses.size > 16) parses.delete(parses.keys().next().value!);
        }
        analysed.set(prog, (p = { ...parsed, flash: prog.flash }));
      }
      if (!match || locate(p)) match = p;
      if (locate(p)) break;
    }
    if (match) {
      if (where.scriptId !== undefined) scripts.set(where.scriptId, match);
      return { p: match, info: locate(match) };
    }
    if (where.scriptId !== undefined) scripts.set(where.scriptId, null);
    return null;
  };

  /** What one function costs besides its properties (pushing its scopes' values onto
   *  `stack` the first time a walk meets each scope). `shallow`: no inspector, no scopes (a
   *  quick lower bound). */
  function fnVars(f: Function, stack: unknown[], seenScopes: Set<string>, shallow: boolean): number {
    let c = fnCache.get(f);
    let where: ReturnType<typeof inspectFunction> | undefined;
    if (!c) {
      let src = "";
      try {
        src = Function.prototype.toString.call(f);
      } catch {
        /* revoked or exotic */
      }
      if (src.includes("[native code]")) c = { found: null, code: 0 };
      else if (shallow) return f.length + 2;
      else {
        try {
          where = inspectFunction(f);
        } catch {
          where = undefined; // no inspector: the function alone
        }
        const found = where ? programOf(f, where, src) : null;
        c = { found, code: found ? (found.p.flash ? 2 : 1 + Math.ceil(src.length / 12)) : 0 };
      }
      fnCache.set(f, c);
    }
    // (not from a program the chip ran: a native, or a function the emulator made, a native
    // in Espruino too; its closures are the emulator's, not the board's)
    if (!c.found) return 0;
    const info = c.found.info;
    let total = (info ? info.params : f.length) + c.code;
    if (!info) return total;
    // the scope link, and the scopes of the calls that made this function
    total += info.depth === 0 ? 0 : info.depth === 1 ? 1 : 2 + info.depth;
    if (shallow || !info.parent || (c.keys && c.keys.every((k) => seenScopes.has(k)))) return total;
    try {
      where = where || inspectFunction(f);
    } catch {
      return total;
    }
    const v8 = where.scopes.slice();
    const chain: Array<{ fn: FnInfo; vars?: Record<string, unknown> }> = [];
    for (let a: FnInfo | null = info.parent; a; a = a.parent) {
      const i = v8.findIndex((s) => Object.keys(s).every((k) => a!.locals.has(k)));
      chain.push({ fn: a, vars: i >= 0 ? v8.splice(i, 1)[0] : undefined });
    }
    // A scope's identity: its function and what it holds that does not change: the functions
    // in it (else its objects, else its values); without a V8 scope, its inner neighbour's.
    // Kept per function: a closure's scopes are fixed when it is made.
    if (!c.keys) {
      let inner = "";
      c.keys = chain.map((e) => {
        let sig = "<" + inner;
        if (e.vars) {
          const vals = Object.keys(e.vars).map((k) => [k, e.vars![k]] as const);
          const pick = (t: (v: unknown) => boolean) => vals.filter(([, v]) => t(v)).map(([k, v]) => k + "=" + idOf(v)).join(",");
          sig = ":" + (pick((v) => typeof v === "function") || pick((v) => typeof v === "object" && v !== null) || pick(() => true));
        }
        return (inner = e.fn.id + sig);
      });
    }
    chain.forEach((e, i) => {
      const key = c!.keys![i]!;
      if (seenScopes.has(key)) return;
      seenScopes.add(key);
      total += 1 + e.fn.locals.size;
      // functions the scope names that no closure uses (V8 keeps no value for them)
      for (const [name, g] of e.fn.fnLocals) if (!e.vars || !(name in e.vars)) total += staticFnVars(g, c!.found!.p.flash);
      if (e.vars) for (const k of Object.keys(e.vars)) stack.push(e.vars[k]);
    });
    return total;
  }

  function walk(roots: unknown[], seen: WeakSet<object>, seenScopes: Set<string>, shallow = false): number {
    let total = 0;
    let visited = 0;
    const stack: unknown[] = [...roots];
    while (stack.length) {
      const v = stack.pop();
      if (typeof v === "string") {
        total += strVars(v.length);
        continue;
      }
      if (typeof v === "number") {
        if (!Number.isInteger(v)) total += 1;
        continue;
      }
      if (typeof v === "boolean") {
        total += 1;
        continue;
      }
      if ((typeof v !== "object" && typeof v !== "function") || v === null) continue;
      const o = v as object;
      if (seen.has(o) || builtins.has(o)) continue;
      seen.add(o);
      if (++visited > MAX_VISIT) break;
      total += 1;
      if (ArrayBuffer.isView(o)) {
        const buf = (o as Uint8Array).buffer;
        if (!seen.has(buf)) {
          seen.add(buf);
          total += 1 + Math.ceil(buf.byteLength / 12);
        }
        continue;
      }
      if (o instanceof ArrayBuffer || Object.prototype.toString.call(o) === "[object ArrayBuffer]") {
        total += Math.ceil((o as ArrayBuffer).byteLength / 12);
        continue;
      }
      if (typeof o === "function") total += fnVars(o as Function, stack, seenScopes, shallow);
      let keys: string[];
      try {
        keys = Object.getOwnPropertyNames(o);
      } catch {
        continue;
      }
      for (const k of keys) {
        if (typeof o === "function" && (k === "length" || k === "name" || k === "arguments" || k === "caller")) continue;
        if (Array.isArray(o) && k === "length") continue;
        const d = Object.getOwnPropertyDescriptor(o, k);
        if (typeof o === "function" && k === "prototype") {
          // Espruino makes a prototype on demand: charge it only when the program filled it.
          const proto = d && d.value;
          if (!proto || typeof proto !== "object" || Object.getOwnPropertyNames(proto).every((n) => n === "constructor")) continue;
        }
        total += nameVars(k);
        if (d && "value" in d) stack.push(d.value);
      }
      const proto = Object.getPrototypeOf(o);
      if (proto) stack.push(proto);
    }
    return total;
  }

  const release = () => {
    if (session) {
      try {
        post("Runtime.releaseObjectGroup", { objectGroup: "camnet-jsv" });
      } catch {
        /* nothing to release */
      }
    }
  };

  return {
    usage(root: object, initialKeys: Set<string>, timers: unknown[][] = [], modules = new Map<string, unknown>(), shallow = false): number {
      const seen = new WeakSet<object>();
      const seenScopes = new Set<string>();
      let total = 0;
      const values: unknown[] = [];
      for (const k of Object.getOwnPropertyNames(root)) {
        if (initialKeys.has(k)) continue;
        total += nameVars(k);
        const d = Object.getOwnPropertyDescriptor(root, k);
        if (d && "value" in d) values.push(d.value);
      }
      for (const t of timers) {
        total += 4;
        values.push(...t);
      }
      for (const [k, v] of modules) {
        total += nameVars(k);
        values.push(v);
      }
      try {
        return total + walk(values, seen, seenScopes, shallow);
      } finally {
        release();
      }
    },
    sizeOf(v: unknown): number {
      try {
        return walk([v], new WeakSet(), new Set());
      } finally {
        release();
      }
    },
  };
}

/** Every object reachable from `root` right now (built-ins at power-on). */
export function snapshotBuiltins(root: object, into: WeakSet<object> = new WeakSet()): WeakSet<object> {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if ((typeof v !== "object" && typeof v !== "function") || v === null) continue;
    const o = v as object;
    if (into.has(o)) continue;
    into.add(o);
    for (const k of Reflect.ownKeys(o)) {
      let d: PropertyDescriptor | undefined;
      try {
        d = Object.getOwnPropertyDescriptor(o, k);
      } catch {
        continue;
      }
      if (!d) continue;
      if ("value" in d) stack.push(d.value);
      if (d.get) stack.push(d.get);
      if (d.set) stack.push(d.set);
    }
    stack.push(Object.getPrototypeOf(o));
  }
  return into;
}
