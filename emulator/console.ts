// Espruino's console over TCP, as the ESP32 build offers it on its telnet port (23): what the
// Espruino CLI (`espruino -p tcp://HOST:PORT`) and a person with `nc`/`telnet` talk to.
//
// Reproduced from Espruino's jsinteractive.c, as far as the CLI and a person need it:
// - input is echoed; Enter (\r, \n, or \r\n) runs the line when its brackets are closed, else
//   the line continues (":" prompt); ESC+LF (the CLI's "Alt-Enter") continues without running;
//   ESC [ ... sequences (the CLI's line numbers "\x1b[12d", arrow keys) are ignored; backspace
//   and Ctrl-C (clears the line) work; telnet IAC negotiation is dropped.
// - after a line: "=<value>" (Espruino's REPL formatting) then the ">" prompt.
// - \x10 at the start of a line: no echo and no "=value" for that line (the CLI prefixes every
//   line it uploads with it); echo(0) turns both off until echo(1) or a reset.
// - console output while the prompt shows erases the prompt ("\x08 \x08"), prints the line and
//   shows the prompt again.
// - reset() (a fresh chip, Storage kept, .bootrst runs), load(file?) (a fresh chip running
//   .bootcde or `file`), E.reboot() (power-cycle: .boot0-3 and .bootcde), save(),
//   E.setBootCode(code, alwaysExec), require("Storage").write(...) (the chip's own Storage),
//   process.env (BOARD, VERSION, MODULES, plus CONSOLE "Telnet" while a client is connected).
// Not reproduced: save() stores a RAM image (.varimg) on a real board; the emulator cannot
// snapshot a JS heap, so save() stores the code run at the console since the last reset
// (Storage writes and console commands left out) in .bootcde, to run at boot. On a real ESP32
// Wi-Fi stays associated across reset()/load(); here every restart is a fresh chip, so the
// firmware joins again. One client at a time: a new connection replaces the previous one.
import net from "node:net";
import type { EmulatedBoard, RestartMode } from "./board.ts";
import { ESPRUINO_VERSION } from "./espruino/sandbox.ts";
import type { Chip } from "./espruino/sandbox.ts";

export interface ConsoleServer {
  /** The TCP port the console listens on (127.0.0.1). */
  readonly port: number;
  /** The board the console talks to now: reset(), load(), E.reboot() and powerCycle() replace it. */
  readonly board: EmulatedBoard;
  /** The reset button: a fresh chip, Storage kept, its boot code runs. Resolves with the new board. */
  powerCycle(): Promise<EmulatedBoard>;
  /** Calls `listener` with every board the console switches to. */
  onBoard(listener: (board: EmulatedBoard) => void): void;
  /** Closes the client and the listening socket; the board keeps running (power it off yourself). */
  close(): Promise<void>;
}

type Pending = { mode: RestartMode; file?: string };

const BANNER = [
  " ____                 _",
  "|  __|___ ___ ___ _ _|_|___ ___",
  "|  __|_ -| . |  _| | | |   | . |",
  "|____|___|  _|_| |___|_|_|_|___|",
  "         |_| espruino.com",
  ` ${ESPRUINO_VERSION} (c) 2025 G.Williams (camnet emulator)`,
  "",
];

/** Console lines that are commands or Storage operations: not part of the program save() keeps. */
const NOT_PROGRAM =
  /^\s*(reset|load|save|echo|setTime|E\.setBootCode|E\.reboot)\s*\(|^\s*print\(\)\s*;?\s*$|^\s*require\(\s*["']Storage["']\s*\)\s*\.\s*(write|writeJSON|erase|eraseAll|compact)\s*\(/;

export async function startConsole(
  target: EmulatedBoard | (() => Promise<EmulatedBoard>),
  port = 0,
): Promise<ConsoleServer> {
  let board = typeof target === "function" ? await target() : target;
  const boardListeners: ((b: EmulatedBoard) => void)[] = [];

  let client: net.Socket | null = null;
  // interpreter console state (jsiStatus and the input line)
  let line = "";
  let echoOn = true;
  let echoOffForLine = false;
  let promptShown = false;
  let lastWasCR = false;
  let esc: "" | "esc" | "csi" | "ss3" = "";
  let iac = 0;
  let pending: Pending | null = null;
  /** Code run at the console since the last (re)start: what save() stores. */
  let program: string[] = [];

  const write = (s: string) => {
    if (client && !client.destroyed) client.write(s, "latin1");
  };
  const show = () => echoOn && !echoOffForLine;
  const removePrompt = () => {
    if (!promptShown) return;
    promptShown = false;
    if (show()) write("\x08 \x08".repeat(line.replace(/[\s\S]*\n/, "").length + 1));
  };
  const returnPrompt = () => {
    if (promptShown || !echoOn || echoOffForLine) return;
    promptShown = true;
    write(">" + line.replace(/\n/g, "\r\n:"));
  };

  // console lines of the chip (and of every chip restart() makes: the listener carries over)
  let busy = false;
  let promptTimer: NodeJS.Immediate | undefined;
  const onLine = (text: string) => {
    removePrompt();
    write(text.replace(/\r?\n/g, "\r\n") + "\r\n");
    if (!busy && !promptTimer) {
      promptTimer = setImmediate(() => {
        promptTimer = undefined;
        if (!busy) returnPrompt();
      });
    }
  };

  const adopt = (b: EmulatedBoard, bootCode: string) => {
    board = b;
    program = bootCode ? [bootCode] : [];
    echoOn = true;
    for (const l of boardListeners) l(b);
  };

  /** The console's built-ins on a chip: reset(), load(), save(), echo(), E.setBootCode, E.reboot. */
  const install = (chip: Chip) => {
    const { realm } = chip;
    const g = realm.global as Record<string, unknown>;
    const def = (obj: Record<string, unknown>, name: string, f: (...a: any[]) => unknown) =>
      Object.defineProperty(obj, name, { value: realm.fn(f, name), writable: true, configurable: true, enumerable: false });
    def(g, "reset", (clearFlash?: unknown) => {
      if (clearFlash) chip.storage.clear();
      pending = { mode: "reset" };
    });
    def(g, "load", (file?: unknown) => {
      pending = { mode: "load", file: file === undefined ? undefined : String(file) };
    });
    def(g, "save", () => {
      const code = program.join("\n");
      chip.storage.set(".bootcde", code);
      chip.rt.print(`Saved ${code.length} bytes to Storage ".bootcde" (emulator: the code run at the console since reset(), not a RAM image)`);
    });
    def(g, "echo", (on?: unknown) => {
      echoOn = !!on;
    });
    const E = g.E as Record<string, unknown>;
    def(E, "setBootCode", (code?: unknown, alwaysExec?: unknown) => {
      chip.storage.set(alwaysExec ? ".bootrst" : ".bootcde", code === undefined ? "" : String(code));
    });
    def(E, "reboot", () => {
      pending = { mode: "power" };
    });
    const env = (g.process as { env?: Record<string, unknown> } | undefined)?.env;
    if (env && typeof env === "object") env.CONSOLE = client ? "Telnet" : "Serial1";
  };

  const restart = async (p: Pending) => {
    const old = board;
    const next = await old.restart(p.mode, p.file);
    const code = p.mode === "load" && p.file !== undefined ? (next.storage.get(p.file) ?? "") : bootCodeOf(next, p.mode);
    adopt(next, code);
    if (p.mode !== "load") for (const l of BANNER) write(l + "\r\n");
    return next;
  };

  board.onConsole(onLine);
  board.onRestart((chip) => install(chip));
  install(board.chip);

  // ---- the line discipline ----
  const execute = async () => {
    const code = line;
    const visible = show();
    line = "";
    if (visible) {
      promptShown = false; // the line stays on screen; a new prompt follows the result
      write("\r\n");
    }
    let value: unknown;
    let failed = false;
    try {
      value = board.eval(code);
    } catch (e) {
      failed = true;
      board.chip.rt.uncaught(e);
    }
    if (!failed && show()) write("=" + formatResult(value) + "\r\n");
    if (!failed && code.trim() && !NOT_PROGRAM.test(code)) program.push(code);
    echoOffForLine = false;
    const p = pending as Pending | null;
    pending = null;
    if (p) await restart(p);
    returnPrompt();
  };

  const handleChar = async (ch: string) => {
    const c = ch.charCodeAt(0);
    if (esc === "esc") {
      esc = ch === "[" ? "csi" : ch === "O" ? "ss3" : "";
      if (ch === "\n") {
        // Alt-Enter: a new line in the input without running it
        line += "\n";
        if (show()) write("\r\n:");
      }
      return;
    }
    if (esc === "csi") {
      if (c >= 0x40 && c <= 0x7e) esc = "";
      return;
    }
    if (esc === "ss3") {
      esc = "";
      return;
    }
    const wasCR = lastWasCR;
    lastWasCR = ch === "\r";
    if (ch === "\n" && wasCR) return;
    if (c === 0x1b) esc = "esc";
    else if (c === 0x10) echoOffForLine = true;
    else if (c === 0x03) {
      removePrompt();
      line = "";
      echoOffForLine = false;
      returnPrompt();
    } else if (c === 0x08 || c === 0x7f) {
      if (line.length && line[line.length - 1] !== "\n") {
        line = line.slice(0, -1);
        if (show()) write("\x08 \x08");
      }
    } else if (ch === "\r" || ch === "\n") {
      if (bracketDepth(line) > 0) {
        line += "\n";
        if (show()) write("\r\n:");
      } else await execute();
    } else if (c >= 32 || c === 9) {
      line += ch;
      if (show()) write(ch);
    }
  };

  let input = "";
  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      while (input.length) {
        const ch = input[0]!;
        input = input.slice(1);
        await handleChar(ch);
      }
    } finally {
      busy = false;
    }
  };
  const receive = (data: Buffer) => {
    let text = "";
    for (const b of data) {
      // telnet negotiation: IAC (255) cmd [option]
      if (iac === 1) {
        iac = b >= 251 && b <= 254 ? 2 : 0;
        if (b === 255) text += "\xff";
        continue;
      }
      if (iac === 2) {
        iac = 0;
        continue;
      }
      if (b === 255) {
        iac = 1;
        continue;
      }
      text += String.fromCharCode(b);
    }
    input += text;
    void pump().catch((e) => write(`\r\nconsole error: ${(e as Error).message}\r\n`));
  };

  const server = net.createServer((socket) => {
    if (client) client.destroy();
    client = socket;
    socket.setNoDelay(true);
    setEnv(board, "Telnet");
    socket.on("data", receive);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (client === socket) {
        client = null;
        setEnv(board, "Serial1");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    port: address.port,
    get board() {
      return board;
    },
    powerCycle: () => restart({ mode: "power" }),
    onBoard: (l) => void boardListeners.push(l),
    close: () =>
      new Promise<void>((resolve) => {
        client?.destroy();
        client = null;
        if (promptTimer) clearImmediate(promptTimer);
        server.close(() => resolve());
      }),
  };
}

function setEnv(board: EmulatedBoard, consoleName: string): void {
  const env = (board.chip.realm.global.process as { env?: Record<string, unknown> } | undefined)?.env;
  if (env && typeof env === "object") env.CONSOLE = consoleName;
}

/** The code a restart in `mode` ran (what the new chip's RAM holds, for save()). */
function bootCodeOf(board: EmulatedBoard, mode: RestartMode): string {
  const s = board.storage;
  const main = mode === "reset" ? s.get(".bootrst") : s.get(".bootcde") || s.get(".bootrst");
  return main ?? "";
}

/** Open brackets at the end of `code` (jsiCountBracketsInInput): strings, template literals,
 *  comments and regular expressions skipped. */
export function bracketDepth(code: string): number {
  let depth = 0;
  let i = 0;
  let prev = ""; // last significant character, for telling a regex from a division
  const templates: number[] = []; // depth at each open `${`
  const regexCanFollow = () => prev === "" || "(,=:[!&|?{};+-*%<>~^".includes(prev);
  const skipString = (q: string) => {
    i++;
    while (i < code.length && code[i] !== q) {
      if (code[i] === "\\") i++;
      else if (code[i] === "\n" && q !== "`") return;
      i++;
    }
    i++;
  };
  const skipTemplate = (): boolean => {
    // from inside a template literal: to its end (false) or to a `${` (true)
    while (i < code.length) {
      if (code[i] === "\\") i += 2;
      else if (code[i] === "`") {
        i++;
        return false;
      } else if (code[i] === "$" && code[i + 1] === "{") {
        i += 2;
        return true;
      } else i++;
    }
    depth++; // an unterminated template keeps the line open
    return false;
  };
  while (i < code.length) {
    const ch = code[i]!;
    if (ch === '"' || ch === "'") {
      skipString(ch);
      prev = "a";
    } else if (ch === "`") {
      i++;
      if (skipTemplate()) {
        templates.push(depth);
        depth++;
      }
      prev = "a";
    } else if (ch === "/" && code[i + 1] === "/") {
      while (i < code.length && code[i] !== "\n") i++;
    } else if (ch === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      i = end < 0 ? code.length : end + 2;
    } else if (ch === "/" && regexCanFollow()) {
      i++;
      let inClass = false;
      while (i < code.length && code[i] !== "\n" && (code[i] !== "/" || inClass)) {
        if (code[i] === "\\") i++;
        else if (code[i] === "[") inClass = true;
        else if (code[i] === "]") inClass = false;
        i++;
      }
      i++;
      prev = "a";
    } else {
      if (ch === "(" || ch === "[" || ch === "{") depth++;
      else if (ch === ")" || ch === "]") depth--;
      else if (ch === "}") {
        depth--;
        if (templates.length && templates[templates.length - 1] === depth) {
          templates.pop();
          i++;
          if (skipTemplate()) {
            templates.push(depth);
            depth++;
          }
          prev = "a";
          continue;
        }
      }
      if (!/\s/.test(ch)) prev = /[\w$]/.test(ch) ? "a" : ch;
      i++;
    }
  }
  return depth;
}

/** The REPL's "=value": Espruino's jsfPrintJSON with JSON_DROP_QUOTES | JSON_SHOW_OBJECT_NAMES. */
export function formatResult(v: unknown, depth = 0, seen: unknown[] = []): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") {
    const text = Function.prototype.toString.call(v);
    return text.length > 200 ? text.slice(0, 200) + "..." : text;
  }
  if (typeof v !== "object") return String(v);
  if (seen.includes(v)) return "[circular]";
  if (depth > 4) return "...";
  const inner = [...seen, v];
  const tag = Object.prototype.toString.call(v);
  if (Array.isArray(v)) return v.length ? `[ ${v.map((x) => formatResult(x, depth + 1, inner)).join(", ")} ]` : "[ ]";
  if (ArrayBuffer.isView(v)) return `new ${v.constructor.name}([${Array.prototype.join.call(v, ", ")}])`;
  if (tag === "[object ArrayBuffer]") return `new ArrayBuffer([${Array.prototype.join.call(new Uint8Array(v as ArrayBuffer), ", ")}])`;
  if (tag === "[object Promise]") return "Promise: { }";
  if (tag === "[object Error]") {
    const e = v as { message?: string; code?: string };
    return `${(v as object).constructor?.name ?? "Error"}: ${e.code ? e.code + ": " : ""}${e.message ?? ""}`;
  }
  const keys = Object.keys(v);
  const name = (v as object).constructor?.name;
  const prefix = name && name !== "Object" ? `${name}: ` : "";
  if (!keys.length) return prefix + "{ }";
  const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
  return prefix + `{ ${keys.map((k) => `${key(k)}: ${formatResult((v as Record<string, unknown>)[k], depth + 1, inner)}`).join(", ")} }`;
}
