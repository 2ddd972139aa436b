// Micro-benchmarks on a real Espruino interpreter binary given by path (`--espruino PATH`;
// the project never builds one): a small entry built with the project's own pipeline for
// the linux board runs there, times each case with getTime() and prints one line per
// figure; `timeout` makes sure a hang cannot stall the bench.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildBundle, loadBoards, ROOT } from "../build.ts";
import { encodeMessage, TYPE_A } from "../../src/dns/message.ts";
import type { Message } from "../../src/dns/message.ts";
import { TYPICAL_ANSWER } from "./dns.ts";
import { jsVarBudget } from "./emulator.ts";
import type { Figure } from "./table.ts";

const TYPE_PTR = 12, TYPE_SRV = 33, TYPE_TXT = 16;

/** What another host multicasts that asks nothing of us: a service query... */
const OTHER_QUERY: Message = {
  id: 0, flags: 0, questions: [{ name: "_googlecast._tcp.local", type: TYPE_PTR }], answers: [], authorities: [], additionals: [],
};
/** ...and a printer's announcement (PTR, SRV, TXT, A). */
const OTHER_ANNOUNCEMENT: Message = {
  id: 0, flags: 0x8400, questions: [],
  answers: [
    { name: "_ipp._tcp.local", type: TYPE_PTR, ttl: 4500, data: "Office Printer._ipp._tcp.local" },
    { name: "Office Printer._ipp._tcp.local", type: TYPE_SRV, ttl: 120, data: { priority: 0, weight: 0, port: 631, target: "printer.local" } },
    { name: "Office Printer._ipp._tcp.local", type: TYPE_TXT, ttl: 4500, data: [Buffer.from("txtvers=1"), Buffer.from("ty=Office Printer")] },
    { name: "printer.local", type: TYPE_A, ttl: 120, data: "192.168.1.30" },
  ],
  authorities: [], additionals: [],
};
/** The names the camera's responder owns. */
const OWN_NAMES = ["kitchen-cam.local", "100.1.168.192.in-addr.arpa"];

const bytes = (m: Message) => JSON.stringify(Array.from(encodeMessage(m)));

/** The device-side entry: each case runs `n` times between two getTime() readings. */
function entrySource(n: number): string {
  const src = (f: string) => JSON.stringify(path.join(ROOT, "src", f));
  return `import { encodeMessage, parseMessage } from ${src("dns/message")};
import { matcher, mentions } from ${src("mdns/wire")};
declare function getTime(): number;
declare function print(s: string): void;
declare function quit(): void;
const N = ${n};
function time(name: string, fn: () => unknown): void {
  fn();
  const t0 = getTime();
  for (let i = 0; i < N; i++) fn();
  print("BENCH " + name + " " + ((getTime() - t0) * 1000) / N);
}
const answer = new Uint8Array(${bytes(TYPICAL_ANSWER)});
const message = ${JSON.stringify(TYPICAL_ANSWER)};
const query = new Uint8Array(${bytes(OTHER_QUERY)});
const announcement = new Uint8Array(${bytes(OTHER_ANNOUNCEMENT)});
const names = matcher(${JSON.stringify(OWN_NAMES)});
time("loop", () => 0);
time("parse", () => parseMessage(answer));
time("encode", () => encodeMessage(message as any));
time("dropQuery", () => mentions(query, names));
time("dropAnnouncement", () => mentions(announcement, names));
quit();
`;
}

/** Runs a JS file on the binary under `timeout`; the BENCH lines as name -> number. */
export function runBench(bin: string, code: string, seconds: number, cwd?: string): { figures: Record<string, number>; output: string; timedOut: boolean } {
  const dir = mkdtempSync(path.join(tmpdir(), "camnet-bench-espruino-"));
  try {
    const file = path.join(dir, "bench.js");
    writeFileSync(file, code);
    // The Linux build keeps Storage in ./espruino.flash: every run gets a directory of its own.
    const r = spawnSync("timeout", ["-k", "2", String(seconds), bin, file], { cwd: cwd ?? dir, input: "", encoding: "utf8", maxBuffer: 16 << 20 });
    const output = ((r.stdout ?? "") + (r.stderr ?? "")).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
    const figures: Record<string, number> = {};
    for (const m of output.matchAll(/BENCH (\w+) (-?[\d.e+-]+)/g)) figures[m[1]] = Number(m[2]);
    if (r.error) throw r.error;
    // Figures printed before a hang still count; the caller notes the hang.
    const timedOut = r.status === 124 || r.status === 137;
    if (timedOut && !Object.keys(figures).length) throw new Error(`timed out after ${seconds} s with no figure printed`);
    return { figures, output, timedOut };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const firstError = (output: string) => /Uncaught[^\n]*/.exec(output)?.[0] ?? output.trim().split("\n").pop() ?? "no output";

/**
 * DNS parse/encode and mDNS drop costs (ms per operation) and the JsVars dist/linux/camnet.js
 * holds once loaded (process.memory().usage minus an empty program's), on the binary `bin`.
 */
export async function benchEspruino(bin: string, opts: { quick: boolean; linuxOutDir: string }): Promise<Figure[]> {
  const tag = "real interpreter, " + path.basename(bin);
  const rows: Figure[] = [];
  const n = opts.quick ? 20 : 500;
  const linux = loadBoards().find((b) => b.id === "linux") ?? null;
  const dir = mkdtempSync(path.join(tmpdir(), "camnet-bench-entry-"));
  try {
    const entry = path.join(dir, "micro.ts");
    writeFileSync(entry, entrySource(n));
    const built = await buildBundle({ entry, board: linux, label: "bench/micro.js" });
    const { figures, output } = runBench(bin, built.minified, opts.quick ? 20 : 120);
    const loop = figures.loop ?? 0;
    const row = (key: string, what: string, max?: number): Figure =>
      figures[key] === undefined
        ? { what, value: null, unit: "ms", max, note: "failed: " + firstError(output) }
        : { what, value: figures[key], unit: "ms", max, decimals: 4, note: `${tag}, mean of ${n} (loop overhead ${loop.toFixed(4)} ms included)` };
    rows.push(
      row("parse", "dns: parse typical answer (1 Q + 3 A), per parse", 0.5),
      row("encode", "dns: encode typical answer (1 Q + 3 A), per encode"),
      row("dropQuery", "mdns: drop a query that asks nothing of us", 0.05),
      row("dropAnnouncement", "mdns: drop another host's announcement (4 RRs)", 0.05),
    );
  } catch (e) {
    rows.push({ what: "dns/mdns micro-benchmarks", value: null, unit: "ms", note: "failed: " + (e instanceof Error ? e.message.split("\n")[0] : String(e)) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // The board runs the firmware the way `npm run flash` leaves it: from Storage (.bootcde),
  // where each function's code stays in flash. Loading the same text from RAM (a plain
  // upload) costs more than twice as many vars, so that is not how it is measured.
  for (const [file, what, settleMs] of [
    ["camnet.js", "JsVars after loading linux/camnet.js from Storage", 10],
    ["firmware.js", "JsVars 3 s after booting linux/firmware.js from Storage", 3000],
  ] as const) {
    try {
      const { vars, empty, timedOut } = storageVars(bin, readFileSync(path.join(opts.linuxOutDir, file), "latin1"), settleMs);
      rows.push({ what, value: vars, unit: "vars", max: jsVarBudget(16383),
        note: `${tag}; ${empty} vars before; budget: 10% of ESP32's 16383`
          + (timedOut ? "; quit() did not end the interpreter (killed by timeout)" : "") });
    } catch (e) {
      rows.push({ what, value: null, unit: "vars", note: "failed: " + (e instanceof Error ? e.message.split("\n")[0] : String(e)) });
    }
  }
  return rows;
}

/** A JavaScript string literal for any latin1 text (Espruino reads "\xNN" escapes). */
const literal = (t: string) => '"' + t.replace(/[\\"\x00-\x1f\x7f-\xff]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0")) + '"';

/**
 * Vars in use `settleMs` after evaluating `bundle` from Storage at the top level, as the
 * board runs .bootcde, minus an empty interpreter's: one run writes the file into the
 * emulated flash, the next loads it.
 */
function storageVars(bin: string, bundle: string, settleMs: number): { vars: number; empty: number; timedOut: boolean } {
  const cwd = mkdtempSync(path.join(tmpdir(), "camnet-bench-storage-"));
  try {
    const probe = `print("BENCH vars " + process.memory().usage);`;
    const stored = runBench(bin, `var S=require("Storage");S.eraseAll();S.write("b.js",${literal(bundle)});print("BENCH len "+S.read("b.js").length);setTimeout(quit,1);`, 30, cwd);
    if (stored.figures.len !== bundle.length) throw new Error(`Storage write failed: ${firstError(stored.output)}`);
    const empty = runBench(bin, probe + "setTimeout(quit,1);", 10, cwd).figures.vars;
    const loaded = runBench(bin, `eval(require("Storage").read("b.js"));setTimeout(function(){${probe}quit();},${settleMs});`, 30, cwd);
    if (empty === undefined || loaded.figures.vars === undefined) throw new Error(firstError(loaded.output));
    return { vars: loaded.figures.vars - empty, empty, timedOut: loaded.timedOut };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
