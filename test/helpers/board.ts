// Driving the built bundle on an emulated board: await a Promise made inside the sandbox.
import assert from "node:assert/strict";
import type { LanClock } from "../../emulator/lan/lan.ts";
import type { BootOptions, EmulatedBoard } from "../../emulator/board.ts";
import { boardOnLan, connectWifi, until, type TestNet } from "../../emulator/espruino/testing.ts";

let next = 0;

export interface Outcome {
  ok: boolean;
  value?: any;
  code?: string;
  message?: string;
}

/** Starts `expr` (a Promise or a value) on the board; the returned function reads its
 *  outcome (undefined while pending). Values come back through a JSON round trip, errors
 *  as {code, message}. */
export function start(board: EmulatedBoard, expr: string): () => Outcome | undefined {
  const slot = `__t${next++}`;
  board.eval(`globalThis.${slot} = null; Promise.resolve().then(function () { return ${expr}; }).then(
    function (v) { globalThis.${slot} = JSON.stringify({ ok: true, value: v }); },
    function (e) { globalThis.${slot} = JSON.stringify({ ok: false, code: e && e.code, message: e && e.message }); });`);
  let out: Outcome | undefined;
  return () => {
    if (out) return out;
    const s = board.eval(`globalThis.${slot}`) as string | null;
    if (!s) return undefined;
    board.eval(`delete globalThis.${slot}`);
    return (out = JSON.parse(s) as Outcome);
  };
}

/** Waits (in real time) until `expr` settles on the board. */
export async function settle(board: EmulatedBoard, expr: string, limitMs = 10000): Promise<Outcome> {
  const read = start(board, expr);
  let out: Outcome | undefined;
  await until(() => (out = read()), expr, limitMs);
  return out!;
}

/** On a board with virtual time: runs `expr` to completion, letting the idle loop run and
 *  then moving the clock `stepMs` at a time, up to `limitMs` of virtual time. */
export async function runVirtual(board: EmulatedBoard, expr: string, stepMs: number, limitMs: number): Promise<Outcome> {
  const read = start(board, expr);
  for (let elapsed = 0; ; elapsed += stepMs) {
    await board.settle(4);
    const o = read();
    if (o) return o;
    if (elapsed >= limitMs) throw new Error(`${expr} still pending after ${limitMs} virtual ms`);
    await board.clock.advance(stepMs);
  }
}

/** Like settle(), but fails the test unless the Promise resolved; returns its value. */
export async function resolved(board: EmulatedBoard, expr: string, limitMs?: number): Promise<any> {
  const o = await settle(board, expr, limitMs);
  if (!o.ok) throw new Error(`${expr} rejected: ${o.code}: ${o.message}`);
  return o.value;
}

/** Evaluates synchronously; objects come back through a JSON round trip. */
export function ev(board: EmulatedBoard, code: string): any {
  const v = board.eval(code);
  return v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v;
}

/** Runs `code` on the board expecting a throw; returns the error's {code, message}. */
export function thrown(board: EmulatedBoard, code: string): { code?: string; message?: string } {
  return JSON.parse(board.eval(`(function () { try { ${code}; return "null"; } catch (e) {
    return JSON.stringify({ code: e.code, message: e.message }); } })()`) as string);
}

/** A LAN clock on the virtual clock of a board booted later (`board()` gives it once booted):
 *  `base` + the board's monotonic ms, and LAN timers as chip timers (cancelling only disarms
 *  one: a chip timer id may be reused once it fired). */
export function boardClock(board: () => EmulatedBoard | undefined, base = 0): LanClock {
  return {
    now: () => base + (board()?.clock.mono() ?? 0),
    setTimeout: (fn, ms) => {
      const b = board();
      if (!b) throw new Error("LAN timer before the board booted");
      const h = { live: true };
      b.chip.rt.addTimer(() => h.live && ((h.live = false), fn()), ms, false, []);
      return h;
    },
    clearTimeout: (h) => ((h as { live: boolean }).live = false),
  };
}

/** For a describe block: a board on a fresh virtual LAN (testing.ts boardOnLan), one at a
 *  time: making another closes the last, and the last is closed after each test. `online`
 *  also joins the LAN's Wi-Fi. */
export function lanBoards(): { offline(boot?: Partial<BootOptions>): Promise<TestNet>; online(boot?: Partial<BootOptions>): Promise<TestNet> } {
  let net: TestNet | undefined;
  afterEach(() => {
    net?.close();
    net = undefined;
  });
  const offline = async (boot: Partial<BootOptions> = {}) => {
    net?.close();
    return (net = await boardOnLan(boot));
  };
  return {
    offline,
    async online(boot = {}) {
      const n = await offline(boot);
      assert.equal(await connectWifi(n.board), null);
      return n;
    },
  };
}
