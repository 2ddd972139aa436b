// Figures measured on the emulated board: boot to connected (as `npm start` boots), JsVars in
// use after boot, cached getaddrinfo look-ups per second through the built bundle, and
// ntptime's offset error against the router's reference clock, and against a real chronyd
// beside ntpsec's ntpdig measuring the same server in the same run.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { defaultLan, LAB_KEY, LAB_SSID } from "../../emulator/default-lan.ts";
import { until } from "../../emulator/espruino/testing.ts";
import { settle } from "../../test/helpers/board.ts";
import { httpGet } from "../../test/helpers/laptop.ts";
import { chronyd, findBinary, waitForNtp, type Daemon } from "../../test/peers/helpers.ts";
import { buildBundle, loadBoards, ROOT } from "../build.ts";
import { median, type Figure } from "./table.ts";

export const HOSTNAME = "kitchen-cam";
const STORAGE = { "camnet.json": JSON.stringify({ ssid: LAB_SSID, key: LAB_KEY, hostname: HOSTNAME }) };

/** ESP32 budget: the runtime and firmware use at most 10% of the board's JsVars. */
export function jsVarBudget(variables: number): number {
  return Math.floor(variables / 10);
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

/** One boot of firmware.js with a Storage config, as `npm start` does: wall ms to the
 *  firmware's "wifi:" line, then to the first 200 for http://kitchen-cam.local/ fetched by a
 *  laptop on the LAN (its mDNS query, then TCP), and the JsVars the emulator estimates. */
async function bootOnce(outDir: string, board: string): Promise<{ ms: number; pageMs: number; usage: number; total: number }> {
  const { lan, router } = defaultLan();
  let b: EmulatedBoard | undefined;
  try {
    const t0 = performance.now();
    b = await bootBoard({ board, lan, bundle: path.join(outDir, "firmware.js"), storage: STORAGE });
    const booted = b;
    await until(() => booted.output.some((l) => l.startsWith("[boot] wifi:")) || booted.errors.length, "the firmware's wifi line", 20000);
    const ms = performance.now() - t0;
    if (b.errors.length) throw new Error(b.errors[0]);
    const wifi = b.output.find((l) => l.startsWith("[boot] wifi:"))!;
    if (!/joined/.test(wifi)) throw new Error(wifi);
    const laptop = lan.addHost({ name: "laptop", ip: "192.168.1.20" });
    let pageMs = NaN;
    while (performance.now() - t0 < 20000) {
      const ok = await httpGet(laptop, router.address, `http://${HOSTNAME}.local/`).then((r) => r.status === 200, () => false);
      if (ok) {
        pageMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (Number.isNaN(pageMs)) throw new Error(`http://${HOSTNAME}.local/ did not answer within 20 s of power-on`);
    // JsVars after boot, as on the real interpreter: every step has logged, 3 s after power-on
    await until(() => ["[boot] http:", "[boot] clock:"].every((p) => booted.output.some((l) => l.startsWith(p))), "the boot's http and clock lines", 20000);
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (performance.now() - t0))));
    const mem = b.memory();
    return { ms, pageMs, usage: mem.usage, total: mem.total };
  } finally {
    b?.powerOff();
    lan.close();
  }
}

/** Boot-to-connected (median of `runs`) and JsVars after the firmware's boot. */
export async function benchBoot(outDir: string, board: string, runs: number): Promise<Figure[]> {
  const times: number[] = [];
  const pages: number[] = [];
  let usage = 0, total = 16383;
  try {
    for (let i = 0; i < runs; i++) {
      const r = await bootOnce(outDir, board);
      times.push(r.ms);
      pages.push(r.pageMs);
      usage = r.usage;
      total = r.total;
    }
  } catch (e) {
    const note = "failed: " + errorText(e);
    return [
      { what: `boot to connected, ${board} firmware.js on the virtual LAN (wall)`, value: null, unit: "ms", max: 1000, note },
      { what: `power-on to serving http://${HOSTNAME}.local/ to a laptop (wall)`, value: null, unit: "ms", note },
      { what: `JsVars in use after firmware boot (${board}, emulator estimate)`, value: null, unit: "vars", note },
    ];
  }
  return [
    { what: `boot to connected, ${board} firmware.js on the virtual LAN (wall)`, value: median(times), unit: "ms", max: 1000, decimals: 1,
      note: `median of ${runs}` + (runs > 1 ? `, ${Math.round(Math.min(...times))}-${Math.round(Math.max(...times))}` : "") },
    { what: `power-on to serving http://${HOSTNAME}.local/ to a laptop (wall)`, value: median(pages), unit: "ms", decimals: 1,
      note: `median of ${runs}; ` + (loadBoards().find((p) => p.id === board)?.capabilities.nativeMdns
        ? "the name is answered by the firmware's own mDNS responder (nativeMdns)"
        : "includes camnet's mDNS probing (a 0-250 ms random wait, three probes 250 ms apart)") },
    { what: `JsVars in use after firmware boot (${board}, emulator estimate)`, value: usage, unit: "vars", max: jsVarBudget(total),
      note: `10% of ${total}; 3 s after power-on, every step logged; code in flash as flashed; live functions, closure scopes, timers and sockets as the interpreter lays them out (emulator/espruino/memory.ts)` },
  ];
}

/** Boots the full runtime (camnet.js) and joins the lab Wi-Fi. */
async function bootRuntime(outDir: string, board: string, latencyMs = 0) {
  const net = defaultLan({ latencyMs });
  const b = await bootBoard({ board, lan: net.lan, bundle: path.join(outDir, "camnet.js") });
  const close = () => {
    b.powerOff();
    net.lan.close();
  };
  try {
    if (b.errors.length) throw new Error(b.errors[0]);
    const joined = await settle(b, `require("network").WLAN(0).connect(${JSON.stringify(LAB_SSID)}, ${JSON.stringify(LAB_KEY)})`, 20000);
    if (!joined.ok) throw new Error(`join: ${joined.code}: ${joined.message}`);
  } catch (e) {
    close();
    throw e;
  }
  return { board: b, router: net.router, close };
}

const registered = (b: EmulatedBoard, name: string) =>
  b.eval(`typeof Modules !== "undefined" && Modules.getCached().indexOf(${JSON.stringify(name)}) >= 0`) === true;

/**
 * Cached getaddrinfo("example.com", 80) look-ups per second, driven inside the emulator's
 * sandbox: after one warm-up look-up, a loop of look-ups one after another, each started
 * when the previous Promise settled; settled Promises per second of wall time.
 */
async function cachedLookups(b: EmulatedBoard, ms: number): Promise<number> {
  const warm = await settle(b, `require("socket").getaddrinfo("example.com", 80)`, 10000);
  if (!warm.ok) throw new Error(`warm-up getaddrinfo: ${warm.code}: ${warm.message}`);
  const run = async (n: number) => {
    b.eval(`globalThis.__benchDone = false; (function () {
      var s = require("socket"), left = ${n};
      function next() { if (!left--) { globalThis.__benchDone = true; return; }
        s.getaddrinfo("example.com", 80).then(next, next); }
      next(); })();`);
    const t0 = performance.now();
    await until(() => b.eval("globalThis.__benchDone"), "the getaddrinfo loop", 60000);
    return performance.now() - t0;
  };
  const probe = 1000;
  await run(probe); // warm-up (JIT)
  const dt = await run(probe);
  const n = Math.max(probe, Math.round((probe * ms) / Math.max(dt, 1)));
  const t = await run(n);
  return Math.round(n / (t / 1000));
}

/** Cached look-ups through the bundle, and JsVars with the full runtime up. */
export async function benchRuntime(outDir: string, board: string, ms: number): Promise<Figure[]> {
  const rowLookups = `cached getaddrinfo, bundle in the emulator (${board})`;
  const rowVars = `JsVars in use, camnet.js after Wi-Fi join (${board}, emulator estimate)`;
  let rt: Awaited<ReturnType<typeof bootRuntime>>;
  try {
    rt = await bootRuntime(outDir, board);
  } catch (e) {
    const note = "failed: " + errorText(e);
    return [{ what: rowLookups, value: null, unit: "/s", note }, { what: rowVars, value: null, unit: "vars", note }];
  }
  try {
    const mem = rt.board.memory();
    const vars: Figure = { what: rowVars, value: mem.usage, unit: "vars", max: jsVarBudget(mem.total), note: `10% of ${mem.total}` };
    let lookups: Figure;
    if (!registered(rt.board, "socket")) lookups = { what: rowLookups, value: null, unit: "/s", min: 50000, note: "not wired yet (no socket module)" };
    else {
      try {
        lookups = { what: rowLookups, value: await cachedLookups(rt.board, ms), unit: "/s", min: 50000, note: "settled Promises, one after another" };
      } catch (e) {
        lookups = { what: rowLookups, value: null, unit: "/s", min: 50000, note: "failed: " + errorText(e) };
      }
    }
    return [lookups, vars];
  } finally {
    rt.close();
  }
}

/**
 * ntptime.settime() on a board whose LAN delays every datagram by `latencyMs` each way;
 * the error is the board's wall clock minus the router's reference clock, read together
 * right after settime() resolves. Median |error| of `runs`.
 */
export async function benchNtp(outDir: string, board: string, runs: number, latencyMs = 20): Promise<Figure[]> {
  const what = `ntptime.settime() offset error vs the router's clock, ${latencyMs} ms each way (${board})`;
  let rt: Awaited<ReturnType<typeof bootRuntime>>;
  try {
    rt = await bootRuntime(outDir, board, latencyMs);
  } catch (e) {
    return [{ what, value: null, unit: "ms", max: 1, note: "failed: " + errorText(e) }];
  }
  try {
    if (!registered(rt.board, "ntptime")) return [{ what, value: null, unit: "ms", max: 1, note: "not wired yet (no ntptime module)" }];
    const errors: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await settle(rt.board, `require("ntptime").settime()`, 20000);
      const error = rt.board.clock.now() - rt.router.ntp.now();
      if (!r.ok) return [{ what, value: null, unit: "ms", max: 1, note: `failed: ${r.code}: ${r.message}` }];
      errors.push(Math.abs(error));
    }
    return [{ what, value: median(errors), unit: "ms", max: 1, decimals: 3, note: `median |error| of ${runs}, worst ${Math.max(...errors).toFixed(3)}` }];
  } finally {
    rt.close();
  }
}

/** The bench's chronyd address (the peer tests use 127.0.0.123-126). */
export const BENCH_CHRONY = "127.0.0.131";

/** The host's clock minus the board's (ms): Date.now() counts whole ms (it lags the true time
 *  by 0-1 ms, 0.5 on average), so the mean over a 20 ms busy loop, plus 0.5. */
/** The host's wall clock to the microsecond (Date.now() has whole milliseconds). */
const hostNow = () => performance.timeOrigin + performance.now();

/** One `ntpdig -j` query of `server`: its measured offset, ms. */
function ntpdigOffset(bin: string, server: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(bin, ["-j", "-t", "1", server], { timeout: 5000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ntpdig: ${(stderr || err.message).trim()}`));
      try {
        const offset = (JSON.parse(stdout) as { offset?: unknown }).offset;
        if (typeof offset != "number") throw new Error("no offset");
        resolve(offset * 1000);
      } catch (e) {
        reject(new Error(`ntpdig printed ${JSON.stringify(stdout.trim())}: ${(e as Error).message}`));
      }
    }),
  );
}

/**
 * Offset error against a real chronyd on loopback (serving the host clock, `local stratum 8`,
 * -x), camnet beside ntpsec's ntpdig in the same run. The server's clock is the host's, so
 * ntpdig's error is |its measured offset|. camnet: the built linux bundle on the emulator,
 * on real loopback sockets (as test/peers/chrony.test.ts): its offset is ntptime.time() minus
 * the board's Date.now(); the emulated board's clock is the host's but a few ms off it (it is
 * read at power-on), so the true offset is that difference, measured from the host right
 * after, and the error is |measured - true|. The runs alternate between the two clients;
 * medians of `runs` each. Budget: at most twice ntpdig's error.
 */
export async function benchNtpChrony(linuxOutDir: string, runs: number): Promise<Figure[]> {
  const what = `ntptime.settime(): board clock error vs real chronyd on loopback (emulator)`;
  const failed = (why: string): Figure[] => [{ what, value: null, unit: "ms", peerName: "ntpdig", note: "failed: " + why }];
  const chrony = findBinary("/usr/sbin/chronyd", "/usr/bin/chronyd");
  const ntpdig = findBinary("/usr/bin/ntpdig", "/usr/sbin/ntpdig");
  if (!chrony) return failed("no chronyd (Debian package chrony)");
  if (!ntpdig) return failed("no ntpdig (Debian package ntpsec-ntpdig)");
  if (process.getuid?.() !== 0) return failed("chronyd on port 123 needs root");
  let daemon: Daemon | undefined;
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;
  const tmp = mkdtempSync(path.join(tmpdir(), "camnet-bench-ntp-"));
  try {
    // The Linux build cannot set its clock (setTime() is a no-op there): the board is the
    // linux profile with a clock it can set, so the figure is what settime() leaves on the
    // clock, read synchronously against the host's (no Promise pass between).
    const linux = loadBoards().find((b) => b.id === "linux")!;
    const settable = { ...linux, id: "linux-settime", capabilities: { ...linux.capabilities, setTime: true } };
    const profile = path.join(tmp, "linux-settime.json"), bundle = path.join(tmp, "camnet.js");
    writeFileSync(profile, JSON.stringify(settable));
    writeFileSync(bundle, (await buildBundle({ entry: path.join(ROOT, "src", "runtime.ts"), board: settable, label: "linux-settime/camnet.js" })).minified);
    daemon = chronyd(chrony, BENCH_CHRONY, { serve: true });
    await waitForNtp(daemon, BENCH_CHRONY);
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: profile, host: stack, resolvConf: "", bundle });
    if (board.errors.length) throw new Error(board.errors[0]);
    if (!registered(board, "ntptime")) return failed("no ntptime module in the linux bundle");
    board.eval(`var ntptime = require("ntptime"); ntptime.host = "${BENCH_CHRONY}"; ntptime.timeout = 1;`);
    const ours: number[] = [];
    const theirs: number[] = [];
    // one warm-up each (first socket, first spawn), then alternate
    for (let i = -1; i < runs; i++) {
      board.clock.setWall(hostNow() + (i % 2 ? 1 : -1) * (100 + 50 * i)); // a clock that needs setting
      const r = await settle(board, `ntptime.settime()`, 10000);
      if (!r.ok) throw new Error(`ntptime.settime(): ${r.code}: ${r.message}`);
      const err = board.clock.now() - hostNow();
      const d = await ntpdigOffset(ntpdig, BENCH_CHRONY);
      if (i >= 0) ours.push(Math.abs(err)), theirs.push(Math.abs(d));
    }
    const peer = median(theirs);
    return [{
      what, value: median(ours), unit: "ms", peer, peerName: "ntpdig", max: Math.round(2000 * peer) / 1000, decimals: 3,
      note: `budget 2 x ntpdig's |offset|; median of ${runs} each, worst ${Math.max(...ours).toFixed(3)} / ${Math.max(...theirs).toFixed(3)}`,
    }];
  } catch (e) {
    return failed(errorText(e));
  } finally {
    board?.powerOff();
    stack?.close();
    await daemon?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
