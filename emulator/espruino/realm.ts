// Helpers to make values that belong to the sandbox realm (so `instanceof`, Object.prototype.on
// and the trimmed prototypes behave as they do for code written in the sandbox).
import vm from "node:vm";
import type { Runtime } from "./runtime.ts";

type AnyFn = (this: unknown, ...args: any[]) => unknown;

export class Realm {
  readonly context: vm.Context;
  readonly global: Record<string, unknown>;
  private readonly rt: Runtime;
  private readonly wrapper: (f: AnyFn, name: string) => AnyFn;
  /** Realm functions making an empty object / array: per datagram, cheaper than compiling
   *  "({})" with vm.runInContext each time. */
  private readonly newObj: () => Record<string, unknown>;
  private readonly newArr: () => unknown[];
  private readonly dataHooks = new WeakMap<object, (evt: string) => void>();

  constructor(context: vm.Context, rt: Runtime) {
    this.context = context;
    this.rt = rt;
    this.global = vm.runInContext("globalThis", context) as Record<string, unknown>;
    this.wrapper = vm.runInContext(
      "(function (f, name) { var w = function () { return f.apply(this, arguments); }; return w; })",
      context,
    ) as (f: AnyFn, name: string) => AnyFn;
    this.newObj = vm.runInContext("(function () { return {}; })", context) as () => Record<string, unknown>;
    this.newArr = vm.runInContext("(function () { return []; })", context) as () => unknown[];
  }

  run(code: string, filename = "espruino"): unknown {
    return vm.runInContext(code, this.context, { filename });
  }

  /** A realm function calling host function `f`. */
  fn(f: AnyFn, name = "native"): AnyFn {
    return this.wrapper(f, name);
  }
  obj(props?: Record<string, unknown>): Record<string, unknown> {
    const o = this.newObj();
    if (props) Object.assign(o, props);
    return o;
  }
  arr(items: unknown[] = []): unknown[] {
    const a = this.newArr();
    for (const x of items) a.push(x);
    return a;
  }
  /** Deep-copies plain data (objects, arrays, primitives) into the realm. */
  data(v: unknown): unknown {
    if (Array.isArray(v)) return this.arr(v.map((x) => this.data(x)));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      const o = this.obj();
      for (const [k, x] of Object.entries(v)) o[k] = this.data(x);
      return o;
    }
    return v;
  }
  u8(bytes: ArrayLike<number>): Uint8Array {
    const U = this.global.Uint8Array as Uint8ArrayConstructor;
    const u = new U(bytes.length);
    u.set(bytes as ArrayLike<number>);
    return u;
  }
  arrayBuffer(bytes: Uint8Array): ArrayBuffer {
    return this.u8(bytes).buffer as ArrayBuffer;
  }
  /** A realm Error (or TypeError, InternalError...) with extra fields. */
  error(message: string, type = "Error", extra?: Record<string, unknown>): Error {
    const C = this.global[type] as new (m: string) => Error;
    const e = new C(message);
    if (extra) Object.assign(e, extra);
    return e;
  }
  /** A prototype object with non-enumerable methods (as Espruino's built-in classes have). */
  proto(methods: Record<string, AnyFn>): object {
    const p = this.obj();
    for (const [k, f] of Object.entries(methods)) {
      Object.defineProperty(p, k, { value: this.fn(f, k), writable: true, configurable: true, enumerable: false });
    }
    return p;
  }
  instance(proto: object, props?: Record<string, unknown>): Record<string, unknown> {
    const o = (this.global.Object as ObjectConstructor).create(proto) as Record<string, unknown>;
    if (props) Object.assign(o, props);
    return o;
  }

  // ---- events ----
  listeners(obj: object, evt: string): unknown {
    return (obj as Record<string, unknown>)["#on" + evt];
  }
  hasListener(obj: object, evt: string): boolean {
    const l = this.listeners(obj, evt);
    return Array.isArray(l) ? l.length > 0 : !!l;
  }
  /** Queues obj's `evt` listeners as the firmware does (jsiQueueObjectCallbacks). */
  emit(obj: object, evt: string, ...args: unknown[]): void {
    const l = this.listeners(obj, evt);
    if (l) this.rt.queueCallback(l, obj, args);
  }
  /** Called (by the prelude) when a listener is added; used to flush buffered socket data. */
  onListenerAdded(obj: object, hook: (evt: string) => void): void {
    this.dataHooks.set(obj, hook);
  }
  listenerAdded(obj: object, evt: string): void {
    this.dataHooks.get(obj)?.(evt);
  }
}
