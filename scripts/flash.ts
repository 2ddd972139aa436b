// `npm run flash -- --board esp32-cam --port /dev/ttyUSB0`: build, then upload the firmware
// with the Espruino CLI (package `espruino`) so that it runs at boot.
//
//   --board ID           a board of boards/ (required)
//   --port PATH|tcp://HOST[:PORT]   serial port, or the board's telnet console (ESP32: port 23)
//   --emulator           no board: flash an emulated one (its console on 127.0.0.1) on the
//                        default virtual LAN, show its boot log, keep it running (Ctrl-C stops)
//   --runtime            upload dist/<board>/camnet.js (the runtime only) instead of firmware.js
//   --ssid S --key K --hostname H   Wi-Fi and host name for Storage file camnet.json
//                        (default: camnet.config.json, a local file git ignores)
//   --keep-config        do not write camnet.json (the board keeps the one it has)
//   --no-build           upload what dist/<board>/ holds
//   --baud N             serial speed (default: the board's "baud")
//   --verbose            everything the Espruino CLI prints
//
// How: the CLI gets a local board JSON (built-in modules and firmware version, so it neither
// probes the board nor goes online), `--storage camnet.json:<file>` (written first), and
// `--config SAVE_ON_SEND=1`: the bundle goes to Storage file .bootcde in 1 KB
// require("Storage").write() lines, then load() runs it; at every power-on it runs again.
// Over tcp:// the CLI's 250 ms pause after each Storage write (it protects serial links without
// flow control) is turned off (STORAGE_UPLOAD_METHOD=1): TCP has flow control.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildBoard, ESPRUINO_BUILTINS, loadBoards, ROOT, type BoardProfile } from "./build.ts";

export const ESPRUINO_CLI = path.join(ROOT, "node_modules", "espruino", "bin", "espruino-cli.js");
/** Lets the CLI open a serial port that udev does not list (see the file). */
const SERIAL_LIST = path.join(ROOT, "scripts", "lib", "serial-list.cjs");
export const CONFIG_FILE = path.join(ROOT, "camnet.config.json");
/** The interpreter version the generated board JSON declares (Storage uploads need >= 1v96). */
const FIRMWARE_VERSION = "2v29";

export interface WifiConfig {
  ssid?: string;
  key?: string;
  hostname?: string;
}

export interface FlashOptions {
  board: string;
  /** Serial device path or tcp://HOST[:PORT]. */
  port: string;
  /** Upload camnet.js (runtime only) instead of firmware.js. */
  runtime?: boolean;
  /** Build first (default true); false uploads what dist/<board>/ holds (built if missing). */
  build?: boolean;
  /** What to write to Storage camnet.json; null leaves the board's file alone. */
  wifi: WifiConfig | null;
  baud?: number;
  /** Progress, errors and the board's output, line by line (default console.log). */
  log?: (line: string) => void;
  verbose?: boolean;
  /** Kills the CLI (and fails the flash) when aborted. */
  signal?: AbortSignal;
  /** Kills the CLI after this long (default 180 s). */
  timeoutMs?: number;
}

export interface FlashResult {
  bundle: string;
  bytes: number;
  /** Lines the board printed during the upload. */
  boardOutput: string[];
}

type Coded = Error & { code: string };
export function flashError(code: string, message: string): Coded {
  return Object.assign(new Error(message), { code });
}

export function findBoard(id: string | undefined): BoardProfile {
  const all = loadBoards();
  const names = all.map((b) => `${b.id} (${b.name})`).join("\n  ");
  if (!id) throw flashError("EBOARD", `which board? pass --board ID, one of:\n  ${names}`);
  const board = all.find((b) => b.id === id);
  if (!board) throw flashError("EBOARD", `no board "${id}" in boards/; the boards are:\n  ${names}`);
  return board;
}

/** The board JSON given to the CLI (`--board file.json`): no probing, no download. */
export function cliBoardJson(board: BoardProfile): Record<string, unknown> {
  return {
    info: {
      name: board.name,
      builtin_modules: ESPRUINO_BUILTINS,
      binary_version: FIRMWARE_VERSION,
    },
  };
}

export function boardBaud(board: BoardProfile): number {
  return typeof board.baud === "number" ? board.baud : 115200;
}

/** Reads camnet.config.json ({ssid, key, hostname}); {} when absent. */
export function readConfigFile(file = CONFIG_FILE): WifiConfig {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw flashError("ECONFIG", `${file} is not valid JSON (${(e as Error).message}); expected {"ssid": "...", "key": "...", "hostname": "..."}`);
  }
  if (!parsed || typeof parsed !== "object") throw flashError("ECONFIG", `${file}: expected an object {"ssid", "key", "hostname"}`);
  const o = parsed as Record<string, unknown>;
  const out: WifiConfig = {};
  for (const k of ["ssid", "key", "hostname"] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== "string") throw flashError("ECONFIG", `${file}: "${k}" must be a string`);
    out[k] = o[k] as string;
  }
  return out;
}

/** Checks what can be checked before starting the CLI; throws a coded Error that says what to do. */
export function checkPort(port: string | undefined): string {
  if (!port) {
    throw flashError(
      "ENOPORT",
      "which port? pass --port /dev/ttyUSB0 (the board's USB serial: ls /dev/ttyUSB* /dev/ttyACM*), " +
        "--port tcp://HOST for the board's telnet console, or --emulator to flash an emulated board",
    );
  }
  if (port.startsWith("tcp://")) {
    if (!/^tcp:\/\/[^:/\s]*(:\d{1,5})?$/.test(port)) throw flashError("ENOPORT", `bad port "${port}": expected tcp://HOST or tcp://HOST:PORT`);
    return port;
  }
  if (!existsSync(ESPRUINO_CLI)) throw flashError("ENOCLI", "the Espruino CLI (npm package espruino) is not installed: run npm install");
  try {
    createRequire(ESPRUINO_CLI).resolve("serialport");
  } catch {
    throw flashError(
      "ENOSERIAL",
      "serial support is missing: the Espruino CLI needs its optional dependency serialport " +
        "(npm install serialport, or npm install without --no-optional / --omit=optional); " +
        "a board on Wi-Fi can be flashed with --port tcp://BOARD_IP instead",
    );
  }
  if (!existsSync(port)) throw flashError("ENOPORT", `no serial port ${port}: is the board plugged in? (ls /dev/ttyUSB* /dev/ttyACM*)`);
  return port;
}

/** The Espruino CLI's arguments for an upload that runs at boot. */
export function cliArgs(o: { port: string; baud: number; boardJson: string; bundle: string; storage?: Record<string, string>; verbose?: boolean }): string[] {
  const args = ["--no-ble", "-v", "-p", o.port, "-b", String(o.baud), "--board", o.boardJson];
  for (const [name, file] of Object.entries(o.storage ?? {})) args.push("--storage", `${name}:${file}`);
  args.push("--config", "SAVE_ON_SEND=1");
  if (o.port.startsWith("tcp://")) args.push("--config", "STORAGE_UPLOAD_METHOD=1");
  args.push(o.bundle);
  return args;
}

/** Runs the CLI; resolves with its output lines (stdout and stderr, in order) and exit code. */
export function runCli(
  args: string[],
  opts: { onLine?: (line: string) => void; signal?: AbortSignal; timeoutMs?: number; stdio?: "pipe" | "inherit" },
): Promise<{ code: number | null; lines: string[]; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    if (!existsSync(ESPRUINO_CLI)) return reject(flashError("ENOCLI", "the Espruino CLI (npm package espruino) is not installed: run npm install"));
    const port = args[args.indexOf("-p") + 1] ?? "";
    const serial = args.includes("-p") && !port.startsWith("tcp://");
    const child = spawn(process.execPath, [...(serial ? ["-r", SERIAL_LIST] : []), ESPRUINO_CLI, ...args], {
      stdio: opts.stdio === "inherit" ? "inherit" : ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_NO_WARNINGS: "1", ...(serial ? { CAMNET_SERIAL_PORT: port } : {}) },
    });
    const lines: string[] = [];
    const split = () => {
      let rest = "";
      return (chunk: Buffer) => {
        const parts = (rest + chunk.toString("latin1")).split("\n");
        rest = parts.pop()!;
        for (const p of parts) {
          const line = p.replace(/\r$/, "");
          lines.push(line);
          opts.onLine?.(line);
        }
      };
    };
    child.stdout?.on("data", split());
    child.stderr?.on("data", split());
    let timer: NodeJS.Timeout | undefined;
    const kill = (why: Coded) => {
      child.kill("SIGKILL");
      reject(why);
    };
    const onAbort = () => kill(flashError("EABORTED", "flash aborted"));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    if (opts.timeoutMs) timer = setTimeout(() => kill(flashError("ETIMEDOUT", `the Espruino CLI did not finish within ${opts.timeoutMs! / 1000} s`)), opts.timeoutMs);
    child.on("error", (e) => reject(flashError("ECLI", `could not start the Espruino CLI: ${e.message}`)));
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({ code, lines, child });
    });
  });
}

/** What a failed CLI run means, from what it printed (it exits 0 even when it could not connect). */
function diagnose(lines: string[], port: string): string | null {
  // not what was sent ("serial: ...", it holds the bundle's own error strings) nor the board's output
  const text = lines.filter((l) => !l.startsWith("serial: ") && !l.startsWith("--] ")).join("\n");
  if (/ECONNREFUSED/.test(text)) return `nothing answers at ${port}: is the board on the network with its telnet console on (Espruino ESP32: port 23)?`;
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN/.test(text)) return `cannot reach ${port}: check the address and that this computer is on the board's network`;
  if (/Port .* not found|Unable to connect/.test(text)) return `could not open ${port}: check the cable, that no other program (a serial monitor, another CLI) holds the port, and your permission to it (Linux: the dialout group)`;
  if (/Prompt not detected/.test(text)) return `the board did not come back to its prompt after the upload: it may be busy or out of memory; reset it and try again`;
  if (!/Upload Complete/.test(text)) return `the upload did not complete`;
  return null;
}

/** Builds (unless build: false) and uploads to a board; throws a coded Error on failure. */
export async function flash(opts: FlashOptions): Promise<FlashResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const board = findBoard(opts.board);
  const port = checkPort(opts.port);
  const outName = opts.runtime ? "camnet.js" : "firmware.js";
  let bundle = path.join(ROOT, "dist", board.id, outName);
  if (opts.build !== false || !existsSync(bundle)) {
    log(`building ${board.id} ...`);
    const built = await buildBoard(board);
    bundle = path.join(built.outDir, outName);
  }
  if (!existsSync(bundle)) throw flashError("ENOENT", `${path.relative(ROOT, bundle)} was not built (no ${opts.runtime ? "src/runtime.ts" : "firmware/main.ts"}?)`);
  const bytes = readFileSync(bundle).length;

  const tmp = mkdtempSync(path.join(tmpdir(), "camnet-flash-"));
  try {
    const boardJson = path.join(tmp, "board.json");
    writeFileSync(boardJson, JSON.stringify(cliBoardJson(board)));
    const storage: Record<string, string> = {};
    if (opts.wifi) {
      const cfg: WifiConfig = {};
      for (const k of ["ssid", "key", "hostname"] as const) if (opts.wifi[k] !== undefined) cfg[k] = opts.wifi[k];
      storage["camnet.json"] = path.join(tmp, "camnet.json");
      writeFileSync(storage["camnet.json"], JSON.stringify(cfg));
      log(`Storage camnet.json: ssid ${cfg.ssid ? JSON.stringify(cfg.ssid) : "(none)"}, key ${cfg.key ? "(set)" : "(none)"}, hostname ${cfg.hostname ?? "(board default)"}`);
    }
    const baud = opts.baud ?? boardBaud(board);
    log(`uploading ${path.relative(ROOT, bundle)} (${bytes} bytes) to ${port}${port.startsWith("tcp://") ? "" : ` at ${baud} baud`} as Storage .bootcde`);

    let total = 0;
    let sent = 0;
    let shown = -1;
    const boardOutput: string[] = [];
    const onLine = (line: string) => {
      if (opts.verbose) return log(line);
      if (line.startsWith("serial: ---> ")) {
        total = jsonLength(line.slice(13));
        return;
      }
      const m = /^serial: Sending (".*")$/.exec(line);
      if (m && !total) return;
      if (m && total) {
        sent += jsonLength(m[1]!);
        const pct = total ? Math.min(100, Math.floor((sent / total) * 10) * 10) : 0;
        if (pct > shown) {
          shown = pct;
          log(`  upload ${String(pct).padStart(3)}%  ${Math.round(sent / 1024)} of ${Math.round(total / 1024)} KB`);
        }
        return;
      }
      if (line.startsWith("--] ")) {
        const text = line.slice(4).replace(/\x08 \x08|\x08/g, "").replace(/^>+\s?/, "");
        if (!text.trim() || /^=undefined$/.test(text.trim())) return;
        boardOutput.push(text);
        log(`  board: ${text}`);
        return;
      }
      if (/^(Connecting to|Connected$|Upload Complete|Unable to connect|RECEIVE ERROR|Prompt not detected|WARNING|ERROR:|serial: Port .* not found)/.test(line)) log(line);
    };
    const run = await runCli(cliArgs({ port, baud, boardJson, bundle, storage }), { onLine, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 180000 });
    if (run.code !== 0) {
      throw flashError("ECLI", `the Espruino CLI failed (exit code ${run.code}):\n  ${run.lines.filter((l) => /error|Error/.test(l)).slice(-5).join("\n  ")}`);
    }
    const why = diagnose(run.lines, port);
    if (why) throw flashError("ECLI", why);
    log(`done: ${board.id} runs ${outName} at boot (Storage .bootcde)`);
    return { bundle, bytes, boardOutput };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function jsonLength(s: string): number {
  try {
    return (JSON.parse(s) as string).length;
  } catch {
    return 0;
  }
}

// ---- command line ----

export function parseArgs(argv: string[], booleans: string[], values: string[]): Record<string, string | true> {
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw flashError("EUSAGE", `unexpected argument "${a}"`);
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    // a mistyped flag (--buad) must not be ignored
    if (!booleans.includes(name) && !values.includes(name)) {
      throw flashError("EUSAGE", `unknown flag --${name}; known: ${[...values, ...booleans].map((f) => "--" + f).join(" ")}`);
    }
    if (eq > 0) flags[name] = a.slice(eq + 1);
    else if (booleans.includes(name)) flags[name] = true;
    else {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw flashError("EUSAGE", `--${name} needs a value`);
      flags[name] = v;
    }
  }
  return flags;
}

async function flashEmulator(flags: Record<string, string | true>): Promise<void> {
  const { bootBoard } = await import("../emulator/board.ts");
  const { startConsole } = await import("../emulator/console.ts");
  const { defaultLan, LAB_KEY, LAB_SSID } = await import("../emulator/default-lan.ts");
  const board = findBoard(str(flags.board));
  const { lan } = defaultLan();
  const emulated = await bootBoard({ board: board.id, lan, code: "" });
  const con = await startConsole(emulated, flags["console-port"] ? Number(flags["console-port"]) : 0);
  const port = `tcp://127.0.0.1:${con.port}`;
  console.log(`[emulator] ${board.id} on the default virtual LAN, its console on ${port}`);
  await flash({
    board: board.id,
    port,
    runtime: flags.runtime === true,
    build: flags["no-build"] !== true,
    verbose: flags.verbose === true,
    // the emulated LAN's access point, unless told otherwise on the command line
    wifi: flags["keep-config"] ? null : { ssid: str(flags.ssid) ?? LAB_SSID, key: str(flags.key) ?? LAB_KEY, hostname: str(flags.hostname) ?? "kitchen-cam" },
  });
  con.board.onConsole((l) => console.log(`  board: ${l}`));
  const stop = () => {
    void con.close();
    con.board.powerOff();
    lan.close();
    process.exit(0);
  };
  if (!process.stdin.isTTY) {
    // no one to talk to: let it boot, then stop
    const until = Date.now() + 10000;
    while (Date.now() < until && !con.board.output.some((l) => /^\[boot\] wifi:|^\[boot\] config:/.test(l))) await new Promise((r) => setTimeout(r, 20));
    return stop();
  }
  console.log(`[emulator] running: npm run repl -- --port ${port}   (Ctrl-C stops the emulator)`);
  process.on("SIGINT", stop);
  await new Promise(() => undefined);
}

function str(v: string | true | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export async function main(argv: string[]): Promise<void> {
  const flags = parseArgs(argv, ["emulator", "runtime", "keep-config", "no-build", "verbose", "help"],
    ["board", "port", "ssid", "key", "hostname", "baud", "console-port"]);
  if (flags.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).slice(0, 16).map((l) => l.slice(3)).join("\n"));
    return;
  }
  if (flags.emulator) return flashEmulator(flags);
  const board = findBoard(str(flags.board));
  const port = checkPort(str(flags.port));
  let wifi: WifiConfig | null = null;
  if (!flags["keep-config"]) {
    wifi = { ...readConfigFile(), ...Object.fromEntries((["ssid", "key", "hostname"] as const).filter((k) => str(flags[k]) !== undefined).map((k) => [k, str(flags[k])])) };
    if (!wifi.ssid) {
      throw flashError(
        "ECONFIG",
        `no Wi-Fi network to join: pass --ssid NAME --key PASSWORD [--hostname NAME], or write them to ${path.relative(process.cwd(), CONFIG_FILE) || CONFIG_FILE} ` +
          `({"ssid": "...", "key": "...", "hostname": "kitchen-cam"}; git ignores it); --keep-config keeps the board's camnet.json`,
      );
    }
  }
  await flash({
    board: board.id,
    port,
    wifi,
    runtime: flags.runtime === true,
    build: flags["no-build"] !== true,
    baud: flags.baud ? Number(flags.baud) : undefined,
    verbose: flags.verbose === true,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: Error & { code?: string }) => {
      console.error(e.code ? `flash: ${e.message}` : e);
      process.exit(1);
    },
  );
}
