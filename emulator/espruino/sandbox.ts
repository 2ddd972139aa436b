// The emulated chip: a `vm` context whose globals are only what Espruino 2v29 offers, with
// Espruino's timers, events, E, process, require/Modules, getTime/setTime and print.
import vm from "node:vm";
import { randomFillSync } from "node:crypto";
import { PRELUDE } from "./prelude.ts";
import { espruinoExec } from "./regexp.ts";
import { Realm } from "./realm.ts";
import { Runtime, describeError } from "./runtime.ts";
import { createEstimator, snapshotBuiltins, type MemoryEstimator, type Program } from "./memory.ts";
import { isLinux, type BoardProfile } from "./profile.ts";
import { bytesToBinary, binaryToBytes } from "./binary.ts";
import { DnsClient, OFFLINE, type ChipNetwork } from "./network.ts";


/** Vars the interpreter keeps per open socket or server, beyond what the program holds: its
 *  object in the hidden socket lists and the firmware's properties on it (measured on the
 *  2v29 Linux build: dgram.createSocket 27, +9 at bind; net.createServer 19, +8 at listen).
 *  The emulator keeps that state host-side, where the memory walk does not see it. */
const SOCKET_VARS = 25;

export const ESPRUINO_VERSION = "2v29";

/** Built-in module names per firmware (process.env.MODULES). */
export function builtinModules(p: BoardProfile): string[] {
  if (isLinux(p)) return ["timer", "Flash", "Storage", "heatshrink", "fs", "net", "dgram", "tls", "http", "NetworkJS", "TelnetServer", "crypto", "tensorflow"];
  return ["Flash", "Storage", "heatshrink", "net", "dgram", "http", "NetworkJS", "tls", "Wifi", "ESP32", "TelnetServer", "crypto", "neopixel"];
}

export type ModuleFactory = (chip: Chip) => unknown;

export interface ChipOptions {
  console?: (line: string) => void;
  /** Timers fire only through clock.advance()/jump() (deterministic tests). */
  virtualTime?: boolean;
  /** Wall clock at power-on, ms since 1970 (default: 0 on ESP32, host time on Linux). */
  wallStartMs?: number;
}

export class Chip {
  readonly profile: BoardProfile;
  readonly rt: Runtime;
  readonly realm: Realm;
  private readonly factories = new Map<string, ModuleFactory>();
  private readonly builtinCache = new Map<string, unknown>();
  /** Modules.addCached / require cache: name -> exports. */
  private readonly moduleCache = new Map<string, unknown>();
  private readonly estimator: MemoryEstimator;
  /** Objects the firmware provides (not counted by the memory estimate). */
  private readonly builtins: WeakSet<object>;
  private readonly initialGlobals: Set<string>;
  /** Storage files (name -> binary string); the Storage module and require() read it. */
  readonly storage = new Map<string, string>();
  /** The network the firmware's sockets use (set by the board: Wi-Fi driver or Linux stack). */
  network: ChipNetwork = OFFLINE;
  /** lwIP's DNS client (gethostbyname, Wifi.getHostByName). */
  readonly dns: DnsClient;
  private idlePasses = 0;
  private lastIdleCheck = 0;
  private lastFullCheck = 0;
  private oomReported = false;

  constructor(profile: BoardProfile, opts: ChipOptions = {}) {
    this.profile = profile;
    const linux = isLinux(profile);
    this.rt = new Runtime(profile, {
      console: opts.console,
      virtualTime: opts.virtualTime,
      wallStartMs: opts.wallStartMs ?? (linux ? Date.now() : 0),
    });
    const context = vm.createContext({}, { name: `espruino-${profile.id}`, codeGeneration: { strings: true, wasm: false } });
    this.realm = new Realm(context, this.rt);
    this.dns = new DnsClient(this.rt, () => this.network);
    const realm = this.realm;
    const rt = this.rt;
    rt.invoke = (fn, thisArg, args) => {
      if (typeof fn === "string") realm.run(fn, "timer");
      else if (typeof fn === "function") (fn as (...a: unknown[]) => unknown).apply(thisArg, args);
    };

    const hostSide = realm.obj({
      wall: realm.fn(() => rt.wall()),
      queue: realm.fn((cb: unknown, thisArg: unknown, args: unknown[]) => rt.queueCallback(cb, thisArg, [...args])),
      listenerAdded: realm.fn((obj: object, evt: string) => realm.listenerAdded(obj, evt)),
      later: realm.fn((fn: () => void) => setImmediate(() => rt.powered && fn())),
      regexExec: realm.fn((source: string, flags: string, str: string, lastIndex: number, sticky: boolean) => {
        try {
          return memoExec(source, flags, str, lastIndex, sticky);
        } catch (e) {
          throw realm.error((e as Error).message, "Error");
        }
      }),
      unhandled: realm.fn((reason: unknown) => {
        rt.errors.push("Unhandled promise rejection: " + describeError(reason));
        rt.print("Uncaught Error: Unhandled promise rejection: " + describeError(reason));
      }),
    });
    (realm.run(PRELUDE, "prelude.js") as (h: unknown) => void)(hostSide);
    this.setTz = hostSide.setTz as (m: number) => void;
    this.installGlobals();

    const builtins = (this.builtins = snapshotBuiltins(realm.global));
    this.initialGlobals = new Set(Object.getOwnPropertyNames(realm.global));
    this.estimator = createEstimator(builtins, () => this.programs);
    // The estimate walks every live function's scopes (a few ms to tens of ms): from the idle
    // loop at most every half second of host time.
    rt.onIdle = () => {
      if (++this.idlePasses % 64 === 0 && performance.now() - this.lastIdleCheck > 500) {
        this.lastIdleCheck = performance.now();
        this.checkMemory();
      }
    };
  }

  private readonly setTz: (m: number) => void;

  /** Registers a built-in module (only names listed in process.env.MODULES can be required). */
  defineModule(name: string, factory: ModuleFactory): void {
    this.factories.set(name, factory);
  }

  /** require() as the sandbox sees it. */
  require(name: unknown): unknown {
    const realm = this.realm;
    if (typeof name !== "string") throw realm.error(`Expecting a module name as a string, but got ${typeof name}`, "TypeError");
    if (this.moduleCache.has(name)) return this.moduleCache.get(name);
    if (this.builtinCache.has(name)) return this.builtinCache.get(name);
    const factory = this.factories.get(name);
    if (factory && builtinModules(this.profile).includes(name)) {
      const exp = factory(this);
      this.builtinCache.set(name, exp);
      // a built-in module's object is the firmware's (native functions, no JsVars per method)
      if (exp && typeof exp === "object") snapshotBuiltins(exp, this.builtins);
      return exp;
    }
    const file = this.storage.get(name);
    if (file !== undefined && file !== "") {
      const exp = this.evaluateModule(file);
      this.moduleCache.set(name, exp);
      return exp;
    }
    throw realm.error(`Module "${name}" not found`);
  }

  /** jspEvaluateModule: runs the module text (or a function's BODY) in a scope holding
   *  `exports` and `module` (module.exports = x replaces exports), `this` = exports. Variables
   *  of the enclosing function are NOT visible (only the body text is used). */
  evaluateModule(source: string | ((...a: unknown[]) => unknown), onError?: (partialExports: unknown) => void): unknown {
    let body: string;
    if (typeof source === "function") {
      const text = Function.prototype.toString.call(source);
      const open = text.indexOf("{");
      const close = text.lastIndexOf("}");
      body = open >= 0 && close > open ? text.slice(open + 1, close) : "";
    } else body = String(source);
    const scope = this.realm.obj();
    scope.exports = this.realm.obj();
    scope.module = scope;
    const F = this.realm.global.Function as FunctionConstructor;
    const run = new F("__scope", "with (__scope) {\n" + body + "\n}");
    try {
      run.call(scope.exports, scope);
    } catch (e) {
      onError?.(scope.exports);
      throw e;
    }
    return scope.exports;
  }

  /** Programs the chip ran, for the memory estimate (memory.ts): those run from Storage (a
   *  bundle, .bootcde: what `npm run flash` leaves) keep their functions' code in flash; code
   *  typed or uploaded to RAM keeps its text in RAM. */
  private programs: Program[] = [];

  /** Runs code at the top level of the sandbox (like typing it into the REPL / uploading it). */
  eval(code: string, filename = "upload.js"): unknown {
    this.programs.push({ code, flash: filename !== "upload.js" });
    try {
      return this.realm.run(code, filename);
    } finally {
      this.checkMemory();
    }
  }

  // ---- memory ----
  /** `quick`: a lower bound without closures' scopes (no inspector calls). */
  memoryUsage(quick = false): number {
    return this.estimator.usage(this.realm.global, this.initialGlobals, this.rt.timerEntries(), this.moduleCache, quick) + SOCKET_VARS * this.rt.socketsInUse;
  }
  memory(): { free: number; usage: number; total: number; history: number; gc: number; gctime: number; blocksize: number } {
    const usage = this.memoryUsage();
    const vars = this.profile.capabilities.variables;
    let total = vars;
    if (!vars) {
      total = 4096;
      while (total < usage * 1.25) total *= 2;
    }
    return { free: Math.max(0, total - usage), usage, total, history: 0, gc: 0, gctime: 0, blocksize: vars ? 14 : 27 };
  }
  /** Reports "Out of Memory!" (once) when the estimate exceeds the board's `variables`. */
  checkMemory(): boolean {
    const vars = this.profile.capabilities.variables;
    if (!vars || !this.rt.powered) return true;
    // The quick lower bound decides at once when it is over; the full estimate (closures'
    // scopes: inspector calls) runs at most once a second of host time.
    let usage = this.memoryUsage(true);
    if (usage <= vars && performance.now() - this.lastFullCheck > 1000) {
      this.lastFullCheck = performance.now();
      usage = this.memoryUsage();
    }
    if (usage <= vars) {
      this.oomReported = false;
      return true;
    }
    if (!this.oomReported) {
      this.oomReported = true;
      this.rt.quirk(`Out of Memory: ~${usage} JsVars in use, board has ${vars}`);
      this.rt.errors.push("Out of Memory!");
      this.rt.print("ERROR: Out of Memory!");
    }
    return false;
  }

  // ---- globals ----
  private installGlobals(): void {
    const realm = this.realm;
    const rt = this.rt;
    const g = realm.global;
    const profile = this.profile;
    const linux = isLinux(profile);
    const def = (name: string, f: (this: unknown, ...a: any[]) => unknown) => {
      Object.defineProperty(g, name, { value: realm.fn(f, name), writable: true, configurable: true, enumerable: false });
    };

    const print = (...args: unknown[]) => rt.print(args.map((a) => (typeof a === "string" ? a : formatValue(a))).join(" "));
    def("print", print);
    const consoleObj = realm.obj();
    for (const k of ["log", "info", "warn", "error", "debug"]) {
      Object.defineProperty(consoleObj, k, { value: realm.fn(print, k), enumerable: false, writable: true, configurable: true });
    }
    Object.defineProperty(g, "console", { value: consoleObj, writable: true, configurable: true, enumerable: false });

    // timers
    const checkFn = (fn: unknown) => {
      if (typeof fn !== "function" && typeof fn !== "string") throw realm.error("Function or String not supplied!");
    };
    def("setTimeout", (fn: unknown, ms: unknown, ...args: unknown[]) => {
      checkFn(fn);
      return rt.addTimer(fn, Number(ms) || 0, false, args);
    });
    def("setInterval", (fn: unknown, ms: unknown, ...args: unknown[]) => {
      checkFn(fn);
      return rt.addTimer(fn, Number(ms) || 0, true, args);
    });
    const clear = (kind: string) =>
      function (this: unknown, ...a: unknown[]) {
        if (a.length === 0) return rt.clearAllTimers();
        if (a[0] === undefined) throw realm.error(`clear${kind}(undefined) not allowed. Use clear${kind}() instead`);
        rt.clearTimer(a[0]);
      };
    def("clearTimeout", clear("Timeout"));
    def("clearInterval", clear("Interval"));
    def("changeInterval", (id: unknown, ms: unknown) => {
      if (!rt.changeInterval(id, Number(ms))) throw realm.error("Unknown Interval");
    });

    // time
    def("getTime", () => rt.wall() / 1000);
    def("setTime", (secs: unknown) => {
      if (!profile.capabilities.setTime) {
        rt.quirk("setTime() has no effect on the Linux build: the clock stays at host time");
        return;
      }
      rt.setWall(Number(secs) * 1000);
    });

    // binary helpers
    def("atob", (s: unknown) => bytesToBinary(Buffer.from(String(s), "base64")));
    def("btoa", (s: unknown) => Buffer.from(binaryToBytes(String(s))).toString("base64"));
    if (linux) def("quit", () => rt.powerOff());

    // E
    const E = realm.obj();
    const defE = (name: string, f: (this: unknown, ...a: any[]) => unknown) =>
      Object.defineProperty(E, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
    const collect = (args: unknown[]): number[] => {
      const out: number[] = [];
      const add = (v: unknown): void => {
        if (typeof v === "number") out.push(v & 255);
        else if (typeof v === "string") for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 255);
        else if (v && typeof v === "object") {
          if (ArrayBuffer.isView(v)) {
            const view = v as Uint8Array;
            if (view.BYTES_PER_ELEMENT === 1) for (let i = 0; i < view.length; i++) out.push(view[i]! & 255);
            else for (let i = 0; i < view.length; i++) out.push(Number(view[i]) & 255);
          } else if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") add(new Uint8Array(v as ArrayBuffer));
          else if (Array.isArray(v)) for (const x of v) add(x);
          else if ("data" in (v as object)) {
            const o = v as { data: unknown; count?: unknown };
            const n = o.count === undefined ? 1 : Number(o.count);
            for (let i = 0; i < n; i++) add(o.data);
          }
        }
      };
      for (const a of args) add(a);
      return out;
    };
    // (fast paths for the one-argument calls every socket payload makes)
    const oneByteView = (v: unknown): v is Uint8Array => ArrayBuffer.isView(v) && (v as Uint8Array).BYTES_PER_ELEMENT === 1;
    defE("toString", (...args: unknown[]) =>
      args.length === 1 && oneByteView(args[0]) ? bytesToBinary(args[0]) : bytesToBinary(Uint8Array.from(collect(args))));
    const U8 = realm.global.Uint8Array as Uint8ArrayConstructor;
    defE("toUint8Array", function (this: unknown, a: unknown) {
      if (arguments.length !== 1 || typeof a !== "string") return realm.u8(collect([...arguments]));
      // a binary string straight into a realm array (latin1: one byte per char, low 8 bits)
      const u = new U8(a.length);
      Buffer.from(u.buffer, u.byteOffset, u.length).write(a, "latin1");
      return u;
    });
    defE("toArrayBuffer", (s: unknown) => realm.arrayBuffer(binaryToBytes(String(s))));
    defE("toJS", (v: unknown) => JSON.stringify(v));
    // from a pool refilled 1 KB at a time: the resolver draws 4 per query (RFC 5452 ID + port)
    const pool = Buffer.alloc(1024);
    let poolAt = pool.length;
    defE("hwRand", () => {
      if (poolAt === pool.length) {
        randomFillSync(pool);
        poolAt = 0;
      }
      poolAt += 4;
      return pool.readInt32LE(poolAt - 4);
    });
    defE("getSizeOf", (v: unknown) => this.estimator.sizeOf(v) || 1);
    defE("setTimeZone", (h: unknown) => this.setTz(Math.round(Number(h) * 60)));
    defE("setDST", () => rt.quirk("E.setDST() stored but not applied by the emulator"));
    defE("isUTF8", () => false);
    defE("asUTF8", (s: unknown) => Buffer.from(binaryToBytes(String(s))).toString("utf8"));
    defE("fromUTF8", (s: unknown) => bytesToBinary(Buffer.from(String(s), "utf8")));
    defE("getTemperature", () => 40);
    defE("errorFlag", () => realm.arr());
    Object.defineProperty(g, "E", { value: E, writable: true, configurable: true, enumerable: false });

    // process
    const proc = realm.obj();
    proc.env = realm.data({
      VERSION: ESPRUINO_VERSION,
      BOARD: linux ? "LINUX" : "ESP32",
      MODULES: builtinModules(profile).join(","),
    });
    proc.version = ESPRUINO_VERSION;
    Object.defineProperty(proc, "memory", {
      value: realm.fn(() => {
        const m = this.memory();
        this.checkMemory();
        const r = realm.data(m) as Record<string, unknown>;
        if (!linux) r.tx = realm.data({ used: 0, total: 256, free_heap: 100000, largest_block: 60000 });
        return r;
      }, "memory"),
      enumerable: false,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(g, "process", { value: proc, writable: true, configurable: true, enumerable: false });

    // require / Modules
    def("require", (name: unknown) => this.require(name));
    const Modules = realm.obj();
    const defM = (name: string, f: (...a: any[]) => unknown) =>
      Object.defineProperty(Modules, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
    defM("addCached", (id: unknown, src: unknown) => {
      if (typeof id !== "string" || (typeof src !== "string" && typeof src !== "function"))
        throw realm.error("args must be addCached(string, string|function)");
      // a body that throws still leaves the name cached, with its partial exports (measured)
      this.moduleCache.set(id, this.evaluateModule(src as string, (partial) => this.moduleCache.set(id, partial)));
    });
    defM("getCached", () => realm.arr([...this.moduleCache.keys()]));
    defM("removeCached", (id: unknown) => {
      if (typeof id !== "string") throw realm.error("The argument to removeCached must be a string");
      if (!this.moduleCache.delete(id)) throw realm.error(`Module "${id}" not found`);
    });
    defM("removeAllCached", () => this.moduleCache.clear());
    Object.defineProperty(g, "Modules", { value: Modules, writable: true, configurable: true, enumerable: false });

  }
}

// espruinoExec is a pure function of its arguments, and the board matches the same short
// strings again and again (a name per mDNS packet, a port per look-up): the results of short
// subjects are kept (read only: the prelude copies what it needs), up to 512 at a time.
const execMemo = new Map<string, ReturnType<typeof espruinoExec>>();
function memoExec(source: string, flags: string, str: string, lastIndex: number, sticky: boolean): ReturnType<typeof espruinoExec> {
  if (str.length > 128) return espruinoExec(source, flags, str, lastIndex, sticky);
  const key = `${sticky ? "y" : "n"}${lastIndex}/${flags}/${source.length}/${source}${str}`;
  let r = execMemo.get(key);
  if (!r) {
    r = espruinoExec(source, flags, str, lastIndex, sticky);
    if (execMemo.size >= 512) execMemo.clear();
    execMemo.set(key, r);
  }
  return r;
}

/** Espruino-like print formatting: `{ "b": 2 }`, `[ 1, 2 ]`. */
export function formatValue(v: unknown, depth = 0): string {
  if (typeof v === "string") return depth === 0 ? v : JSON.stringify(v);
  if (v === undefined) return "undefined";
  if (v === null || typeof v !== "object") {
    if (typeof v === "function") return "function () { [code] }";
    return String(v);
  }
  if (depth > 4) return "...";
  if (Array.isArray(v)) return v.length ? `[ ${v.map((x) => formatValue(x, depth + 1)).join(", ")} ]` : "[ ]";
  if (ArrayBuffer.isView(v)) return `new ${v.constructor.name}([${Array.prototype.join.call(v, ", ")}])`;
  const keys = Object.keys(v);
  if (!keys.length) return "{ }";
  return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${formatValue((v as Record<string, unknown>)[k], depth + 1)}`).join(", ")} }`;
}
