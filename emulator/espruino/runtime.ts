// The emulated chip's core: the idle loop (event queue), timers on a monotonic clock,
// the wall clock, the socket budget, the quirk log and everything powerOff() must stop.
import type { BoardProfile } from "./profile.ts";

export interface Closable {
  close(): void;
}

interface Timer {
  id: number;
  due: number; // monotonic ms
  interval: number;
  recur: boolean;
  fn: unknown;
  args: unknown[];
}

/** Espruino's TIMER_MIN_INTERVAL is tiny; a 0 ms timer still waits for the next idle pass. */
const MIN_INTERVAL = 0.01;
/** Idle passes run in one host tick before the host's event loop runs again (see enqueue). */
const PASSES_PER_TICK = 64;
const RESOLVED = Promise.resolve();

export class Runtime {
  readonly profile: BoardProfile;
  /** Quirks the emulator reproduced or noticed: one line each, for tests and humans. */
  readonly quirks: string[] = [];
  /** Uncaught errors, as the console printed them ("Uncaught Error: ..."). */
  readonly errors: string[] = [];
  powered = true;
  /** Receive chunk size (536 by default; recvBufferSize raises it for every socket). */
  chunkSize = 536;
  socketsInUse = 0;

  private out: (line: string) => void;
  private queue: Array<() => void> = [];
  private drainScheduled = false;
  /** Idle passes run back to back in this host tick (see enqueue). */
  private chained = 0;
  private readonly chainedDrain = () => {
    if (this.chained++ === 0) setImmediate(this.endTick);
    this.drain();
  };
  private readonly chainDrain = () => process.nextTick(this.chainedDrain);
  private readonly endTick = () => {
    this.chained = 0;
  };
  private readonly freshDrain = () => this.drain();
  private timers: Timer[] = [];
  private hostTimer: NodeJS.Timeout | undefined;
  private resources = new Set<Closable>();
  private monoBase: number;
  private skew = 0;
  private wallOffset: number;
  /** In virtual mode the clock moves only through advance()/jump(). */
  readonly virtual: boolean;
  private virtualNow = 0;
  /** Called after every drained event batch (memory check hook). */
  onIdle: (() => void) | undefined;
  /** Set by the sandbox: calls a function/string callback inside the realm. */
  invoke: (fn: unknown, thisArg: unknown, args: unknown[]) => void = () => {};

  constructor(profile: BoardProfile, opts: { console?: (line: string) => void; virtualTime?: boolean; wallStartMs?: number }) {
    this.profile = profile;
    this.out = opts.console ?? ((l) => process.stdout.write(l + "\n"));
    this.virtual = !!opts.virtualTime;
    this.monoBase = performance.now();
    this.wallOffset = (opts.wallStartMs ?? 0) - this.mono();
  }

  // ---- console, quirks, errors ----
  print(line: string): void {
    if (this.powered) this.out(line);
  }
  quirk(msg: string): void {
    this.quirks.push(msg);
  }
  uncaught(e: unknown): void {
    const line = "Uncaught " + describeError(e);
    this.errors.push(line);
    this.print(line);
  }

  // ---- clocks ----
  /** Monotonic ms since power-on: what Espruino's timers run on. */
  mono(): number {
    return this.virtual ? this.virtualNow + this.skew : performance.now() - this.monoBase + this.skew;
  }
  /** Wall clock, ms since 1970. */
  wall(): number {
    return this.mono() + this.wallOffset;
  }
  /** setTime(): sets the wall clock and rebases the timers (they keep their remaining time). */
  setWall(ms: number): void {
    this.wallOffset = ms - this.mono();
  }

  // ---- idle loop ----
  /** Queues work for the next idle-loop pass (Espruino's jsiQueueEvents). The pass runs once
   *  every microtask (promise reaction) has settled, as if it were the next setImmediate; up to
   *  PASSES_PER_TICK passes run back to back that way (a nextTick queued by a microtask queued
   *  last: Node drains the whole microtask queue before it), then the host's event loop gets
   *  its turn (I/O, timers) through setImmediate. */
  enqueue(fn: () => void): void {
    if (!this.powered) return;
    this.queue.push(fn);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      // (a resolved promise's then: a microtask like queueMicrotask's, without the
      // AsyncResource Node makes per queueMicrotask call)
      if (this.chained < PASSES_PER_TICK) void RESOLVED.then(this.chainDrain);
      else setImmediate(this.freshDrain);
    }
  }
  private drain(): void {
    this.drainScheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const fn of batch) {
      if (!this.powered) return;
      try {
        fn();
      } catch (e) {
        this.uncaught(e);
      }
    }
    try {
      this.onIdle?.();
    } catch (e) {
      this.uncaught(e);
    }
  }
  /** Queues `callback` (a function, a string of code or an array of them) with `this`. */
  queueCallback(callback: unknown, thisArg: unknown, args: unknown[]): void {
    if (callback === undefined || callback === null) return;
    const list = Array.isArray(callback) ? callback.slice() : [callback];
    if (list.length === 0) return;
    this.enqueue(() => {
      for (const f of list) {
        if (f === undefined) continue;
        try {
          this.invoke(f, thisArg, args);
        } catch (e) {
          this.uncaught(e);
        }
      }
    });
  }
  /** Resolves once the queue and the microtasks it causes have settled (a few passes). */
  async settle(passes = 5): Promise<void> {
    for (let i = 0; i < passes; i++) await new Promise<void>((r) => setImmediate(r));
  }

  // ---- timers ----
  addTimer(fn: unknown, ms: number, recur: boolean, args: unknown[]): number {
    const interval = Math.max(MIN_INTERVAL, Number(ms) || 0);
    const last = this.timers[this.timers.length - 1];
    // Espruino: the id is the last timer's id + 1, or 1 when there is none (ids are reused).
    const id = last ? last.id + 1 : 1;
    this.timers.push({ id, due: this.mono() + interval, interval, recur, fn, args });
    this.reschedule();
    return id;
  }
  clearTimer(id: unknown): void {
    const i = this.timers.findIndex((t) => t.id === id || (typeof id === "string" && String(t.id) === id));
    if (i >= 0) this.timers.splice(i, 1);
    this.reschedule();
  }
  clearAllTimers(): void {
    this.timers = [];
    this.reschedule();
  }
  changeInterval(id: unknown, ms: number): boolean {
    const t = this.timers.find((x) => x.id === id);
    if (!t) return false;
    t.interval = Math.max(MIN_INTERVAL, Number(ms) || 0);
    t.due = this.mono() + t.interval;
    this.reschedule();
    return true;
  }
  /** Each pending timer's callback and arguments (what it keeps alive). */
  timerEntries(): unknown[][] {
    return this.timers.map((t) => [t.fn, ...t.args]);
  }
  pendingTimers(): number {
    return this.timers.length;
  }
  private reschedule(): void {
    if (this.hostTimer) clearTimeout(this.hostTimer);
    this.hostTimer = undefined;
    if (!this.powered || this.virtual || this.timers.length === 0) return;
    let due = Infinity;
    for (const t of this.timers) due = Math.min(due, t.due);
    const wait = Math.max(0, due - this.mono());
    this.hostTimer = setTimeout(() => {
      this.hostTimer = undefined;
      this.runDue(this.mono());
      this.reschedule();
    }, Math.min(wait, 2 ** 31 - 1));
  }
  /** Runs every timer due at or before `now`, in due order (intervals catch up, as on the board). */
  private runDue(now: number): number {
    let ran = 0;
    for (;;) {
      if (!this.powered) return ran;
      let next: Timer | undefined;
      for (const t of this.timers) if (t.due <= now && (!next || t.due < next.due)) next = t;
      if (!next) return ran;
      const t = next;
      if (t.recur) t.due += t.interval;
      else this.timers.splice(this.timers.indexOf(t), 1);
      ran++;
      this.enqueue(() => this.invoke(t.fn, undefined, t.args));
    }
  }
  private nextDue(): number {
    let due = Infinity;
    for (const t of this.timers) due = Math.min(due, t.due);
    return due;
  }
  /** Moves the monotonic clock (and the wall clock with it) forward by `ms`, firing timers on
   *  time one after another and letting the idle loop run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.mono() + ms;
    for (;;) {
      if (!this.powered) return;
      const due = this.nextDue();
      if (due > target) break;
      const now = this.mono();
      if (due > now) this.shift(due - now);
      this.runDue(this.mono());
      await this.settle(3);
    }
    const now = this.mono();
    if (target > now) this.shift(target - now);
    this.reschedule();
    await this.settle(3);
  }
  /** Jumps the system clock by `ms` underneath the interpreter (what lwIP SNTP's settimeofday
   *  does): every timer due in the gap fires at once, intervals back-to-back. */
  async jump(ms: number): Promise<void> {
    this.quirk(`clock jumped by ${ms} ms underneath the interpreter: pending timers fire at once`);
    this.shift(ms);
    this.runDue(this.mono());
    this.reschedule();
    await this.settle(3);
  }
  private shift(ms: number): void {
    this.skew += ms;
    // The wall clock moves with the monotonic clock (wallOffset is relative to mono()).
  }

  // ---- resources ----
  track(r: Closable): void {
    this.resources.add(r);
  }
  untrack(r: Closable): void {
    this.resources.delete(r);
  }
  /** Takes one socket from the budget (lwIP's CONFIG_LWIP_MAX_SOCKETS); false when none is left. */
  takeSocket(): boolean {
    if (this.socketsInUse >= this.profile.capabilities.maxSockets) {
      this.quirk(`max sockets (${this.profile.capabilities.maxSockets}) reached: error -7`);
      return false;
    }
    this.socketsInUse++;
    return true;
  }
  giveSocket(): void {
    if (this.socketsInUse > 0) this.socketsInUse--;
  }

  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    if (this.hostTimer) clearTimeout(this.hostTimer);
    this.hostTimer = undefined;
    this.timers = [];
    this.queue = [];
    for (const r of [...this.resources]) {
      try {
        r.close();
      } catch {
        /* already closed */
      }
    }
    this.resources.clear();
  }
}

export function describeError(e: unknown): string {
  if (e && typeof e === "object") {
    const o = e as { message?: unknown; stack?: unknown; constructor?: { name?: string } };
    const name = o.constructor?.name && o.constructor.name !== "Object" ? o.constructor.name : "Error";
    if (o.message !== undefined) return `${name}: ${String(o.message)}`;
  }
  return String(e);
}
