// An ESTIMATE of Espruino JsVars in use, for process.memory() and E.getSizeOf().
//
// Espruino stores everything in fixed-size blocks ("JsVars": 14 bytes on ESP32, 16383 of
// them). The emulator cannot see the real layout, so it walks the sandbox's object graph
// from the global object and counts, per reachable value not present at power-on:
//   object, array, function, typed array: 1 var
//   each own property / array element: 1 var (the name), +ceil((keyLen-4)/12) for long keys
//   integers, booleans, null, undefined: packed into the name (0 extra)
//   other numbers: 1 var
//   strings: max(1, ceil(len/12)) vars
//   function code: 1 var when the function comes from a program run from Storage (its
//     text stays in flash), else ceil(sourceLength/12) vars (text typed or uploaded to RAM)
//   ArrayBuffer: 1 + ceil(byteLength/12) vars (counted once when shared)
// Closure variables and closure-held functions are invisible to a walk of the object graph,
// so the chip adds a fixed cost per function literal of each program run from Storage
// (sandbox.ts FUNCTION_VARS, calibrated on the 2v29 Linux build: dist/linux/firmware.js
// holds ~2300 vars after boot there; this estimate of the esp32 firmware gives ~2200).
// Measured against the Linux build: {a:1,b:'hello'} -> 4 (real 4).

export interface MemoryEstimator {
  /** Estimated vars reachable from `root`, skipping objects in `builtins`. */
  usage(root: object, initialKeys: Set<string>): number;
  sizeOf(v: unknown): number;
}

const MAX_VISIT = 2_000_000;

function strVars(len: number): number {
  return Math.max(1, Math.ceil(len / 12));
}

export function createEstimator(builtins: WeakSet<object>, flashCode: (src: string) => boolean = () => false): MemoryEstimator {
  function walk(root: unknown, seen: WeakSet<object>): number {
    let total = 0;
    let visited = 0;
    const stack: unknown[] = [root];
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
      if (typeof o === "function") {
        let src = "";
        try {
          src = Function.prototype.toString.call(o);
        } catch {
          /* revoked or exotic */
        }
        // Code loaded from Storage stays in flash: one var points at it. Code typed or
        // uploaded to RAM keeps its text in RAM.
        if (!src.includes("[native code]")) total += flashCode(src) ? 1 : Math.ceil(src.length / 12);
      }
      let keys: string[];
      try {
        keys = Object.getOwnPropertyNames(o);
      } catch {
        continue;
      }
      for (const k of keys) {
        if (typeof o === "function" && (k === "length" || k === "name" || k === "prototype" || k === "arguments" || k === "caller")) {
          if (k !== "prototype") continue;
        }
        if (Array.isArray(o) && k === "length") continue;
        total += 1 + (k.length > 4 ? Math.ceil((k.length - 4) / 12) : 0);
        const d = Object.getOwnPropertyDescriptor(o, k);
        if (d && "value" in d) stack.push(d.value);
      }
      const proto = Object.getPrototypeOf(o);
      if (proto) stack.push(proto);
    }
    return total;
  }
  return {
    usage(root: object, initialKeys: Set<string>): number {
      const seen = new WeakSet<object>();
      let total = 0;
      for (const k of Object.getOwnPropertyNames(root)) {
        if (initialKeys.has(k)) continue;
        total += 1 + (k.length > 4 ? Math.ceil((k.length - 4) / 12) : 0);
        const d = Object.getOwnPropertyDescriptor(root, k);
        if (d && "value" in d) total += walk(d.value, seen);
      }
      return total;
    },
    sizeOf(v: unknown): number {
      return walk(v, new WeakSet());
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
