// Driving the built bundle on an emulated board: await a Promise made inside the sandbox.
import type { EmulatedBoard } from "../../emulator/board.ts";
import { until } from "../../emulator/espruino/testing.ts";

let next = 0;

export interface Outcome {
  ok: boolean;
  value?: any;
  code?: string;
  message?: string;
}

/** Evaluates `expr` (a Promise or a value) on the board and waits until it settles.
 *  Values come back through a JSON round trip, errors as {code, message}. */
export async function settle(board: EmulatedBoard, expr: string, limitMs = 10000): Promise<Outcome> {
  const slot = `__t${next++}`;
  board.eval(`globalThis.${slot} = null; Promise.resolve().then(function () { return ${expr}; }).then(
    function (v) { globalThis.${slot} = JSON.stringify({ ok: true, value: v }); },
    function (e) { globalThis.${slot} = JSON.stringify({ ok: false, code: e && e.code, message: e && e.message }); });`);
  await until(() => board.eval(`globalThis.${slot}`), expr, limitMs);
  const out = JSON.parse(board.eval(`globalThis.${slot}`) as string) as Outcome;
  board.eval(`delete globalThis.${slot}`);
  return out;
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
