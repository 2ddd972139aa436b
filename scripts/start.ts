// `npm start`: build, boot the emulated camera's firmware on the default virtual LAN,
// print the boot log, then open a REPL on the board (with no TTY: print and exit 0).
import readline from "node:readline";
import { inspect } from "node:util";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { defaultLan, LAB_KEY, LAB_SSID } from "../emulator/default-lan.ts";
import { until } from "../emulator/espruino/testing.ts";
import { buildBoard, formatSizeTable, loadBoards } from "./build.ts";
import { cameraStorage } from "../emulator/camera.ts";
import type { Host } from "../emulator/lan/host.ts";
import { httpGet } from "../test/helpers/laptop.ts";

const BOARD = process.env.CAMNET_BOARD || "esp32";
const HOSTNAME = "kitchen-cam";

async function main(): Promise<void> {
  const profile = loadBoards().find((b) => b.id === BOARD);
  if (!profile) throw new Error(`no board "${BOARD}" in boards/`);
  const built = await buildBoard(profile);
  console.log(formatSizeTable(built.sizes).split("\n").pop()!.replace(/\s+/g, " ") + " bytes (camnet.js, firmware.js)");

  const { lan, router } = defaultLan();
  const started = Date.now();
  const board = await bootBoard({
    board: BOARD,
    lan,
    bundle: `${built.outDir}/firmware.js`,
    storage: { "camnet.json": JSON.stringify({ ssid: LAB_SSID, key: LAB_KEY, hostname: HOSTNAME }), ...cameraStorage() },
    console: (line) => console.log(line),
  });
  const booted = (step: string) => board.output.some((l) => l.startsWith(`[boot] ${step}:`));
  await until(() => (booted("http") && booted("clock")) || board.errors.length, "the page and the clock", 20000);
  if (board.errors.length) throw new Error(board.errors.join("\n"));
  console.log(`[emulator] serving in ${Date.now() - started} ms of wall time`);

  // A second host on the LAN reaches the camera by both names, as a laptop would.
  const laptop = lan.addHost({ name: "laptop", ip: "192.168.1.20" });
  for (const url of [`http://${HOSTNAME}.local/`, `http://${HOSTNAME}.lan/`]) {
    const how = url.includes(".local") ? "mDNS" : `the router's DNS (${router.address})`;
    const r = await httpGet(laptop, router.address, url);
    console.log(`[laptop] GET ${url} -> ${r.ip} by ${how}: ${r.statusLine}`);
  }
  console.log(`[emulator] try, from the laptop (192.168.1.20): .fetch http://${HOSTNAME}.local/  .fetch http://${HOSTNAME}.lan/snapshot`);

  if (!process.stdin.isTTY) {
    board.powerOff();
    lan.close();
    return;
  }
  console.log(`[emulator] REPL on the board: try require("network").hostname(), require("network").WLAN(0).ifconfig(); .exit to quit`);
  await repl(board, laptop, router.address);
  board.powerOff();
  lan.close();
}

/** `.fetch URL` from the laptop: status line, headers, then the text body or its size. */
async function fetchFromLaptop(laptop: Host, router: string, url: string): Promise<void> {
  const r = await httpGet(laptop, router, url);
  console.log(`${r.statusLine}   (from ${r.ip})`);
  for (const [k, v] of Object.entries(r.headers)) console.log(`${k}: ${v}`);
  console.log((r.headers["content-type"] ?? "").startsWith("text/") ? "\n" + r.body.toString("latin1").trimEnd() : `\n(${r.body.length} bytes)`);
}

/** A line-by-line REPL evaluated in the board's sandbox; Promises are awaited. `.fetch URL`
 *  runs on the laptop instead. */
function repl(board: EmulatedBoard, laptop: Host, router: string): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: ">>> " });
  let n = 0;
  const show = (v: unknown) => console.log(inspect(v, { colors: true, depth: 4 }));
  rl.prompt();
  rl.on("line", async (line) => {
    if (line.trim() === ".exit") return rl.close();
    const fetch = /^\.fetch\s+(\S+)/.exec(line.trim());
    if (fetch) {
      await fetchFromLaptop(laptop, router, fetch[1]).catch((e) => console.log(`fetch failed: ${e instanceof Error ? e.message : e}`));
    } else if (line.trim()) {
      const slot = `__repl${n++}`;
      try {
        board.eval(`globalThis.${slot} = (${line})`);
        const isPromise = board.eval(`!!(globalThis.${slot} && typeof globalThis.${slot}.then === "function")`);
        if (isPromise) {
          board.eval(`globalThis.${slot}.then(function (v) { globalThis.${slot} = { ok: v }; }, function (e) { globalThis.${slot} = { err: e }; })`);
          await until(() => board.eval(`!(globalThis.${slot} && globalThis.${slot}.then)`), "the Promise", 60000);
          const r = board.eval(`globalThis.${slot}`) as { ok?: unknown; err?: { code?: string; message?: string } };
          if (r.err) console.log(`Uncaught ${r.err.code ?? "Error"}: ${r.err.message}`);
          else show(r.ok);
        } else {
          show(board.eval(`globalThis.${slot}`));
        }
      } catch (e) {
        const err = e as { code?: string; message?: string };
        console.log(`Uncaught ${err.code ?? "Error"}: ${err.message}`);
      }
      board.eval(`delete globalThis.${slot}`);
    }
    rl.prompt();
  });
  return new Promise((resolve) => rl.on("close", () => resolve()));
}

main().then(() => process.exit(0), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
