// Boots an emulated board: the chip (emulator/espruino/) with the board profile's firmware
// (boards/<id>.json), joined to a network, running the bundle.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dhcpClient, type Lease } from "./lan/dhcp-client.ts";
import type { Host } from "./lan/host.ts";
import type { Lan } from "./lan/lan.ts";
import type { NetStack } from "./lan/types.ts";
import { Chip } from "./espruino/sandbox.ts";
import { createDgramModule } from "./espruino/dgram.ts";
import { createNetModules } from "./espruino/net.ts";
import { createCryptoModule, createFsModule, createStorageModule } from "./espruino/storage.ts";
import { WifiDriver } from "./espruino/wifi.ts";
import { isLinux, loadBoardProfile, REPO_ROOT, type BoardProfile } from "./espruino/profile.ts";

export interface BootOptions {
  /** Board id (boards/<id>.json) or a path to a profile JSON. */
  board: string;
  /** The virtual LAN (ESP32: Wi-Fi joins its access points). */
  lan?: Lan;
  /** The board's host on the LAN (ESP32; default: lan.addHost({wifi: true})), or for Linux any
   *  NetStack (a LAN host or the bridge), already up. */
  host?: Host | NetStack;
  /** Bundle path; default dist/<board>/camnet.js when it exists. */
  bundle?: string;
  /** Code to run instead of (or, with bundle, after) the bundle. */
  code?: string;
  /** Every console line (default: dropped; lines are kept in `output` anyway). */
  console?: (line: string) => void;
  /** Timers fire only through clock.advance()/jump(). */
  virtualTime?: boolean;
  /** Wall clock at power-on (ms since 1970). Default 0 on ESP32, host time on Linux. */
  wallStartMs?: number;
  /** Linux: the text of /etc/resolv.conf (default: the LAN router or the DHCP lease's servers). */
  resolvConf?: string;
  /** Storage files present at power-on (name -> binary string). */
  storage?: Record<string, string>;
  /** DHCP deadline per exchange, LAN ms. */
  dhcpTimeoutMs?: number;
}

export interface BoardClock {
  /** Wall clock, ms since 1970 (what Date.now() says on the board). */
  now(): number;
  /** Monotonic ms since power-on (what timers run on). */
  mono(): number;
  /** Moves time forward, firing timers on time one after another. */
  advance(ms: number): Promise<void>;
  /** Jumps the system clock underneath the interpreter (SNTP's settimeofday): due timers fire at once. */
  jump(ms: number): Promise<void>;
  /** Sets the wall clock as setTime() does (timers keep their remaining time). */
  setWall(ms: number): void;
}

export interface EmulatedBoard {
  readonly profile: BoardProfile;
  readonly chip: Chip;
  /** The LAN host (ESP32) or the NetStack (Linux) the firmware's sockets use. */
  readonly host: Host | NetStack | undefined;
  /** The Wi-Fi driver (ESP32 only). */
  readonly wifi: WifiDriver | undefined;
  /** Runs code at the sandbox's top level; returns its completion value. */
  eval(code: string): unknown;
  /** require() as the sandbox sees it. */
  require(name: string): unknown;
  /** Quirks reproduced or noticed (one line each). */
  readonly quirks: string[];
  /** Uncaught errors ("Uncaught Error: ..."). */
  readonly errors: string[];
  /** Every console line printed so far. */
  readonly output: string[];
  /** Storage files (name -> binary string). */
  readonly storage: Map<string, string>;
  readonly clock: BoardClock;
  /** Lets queued events, timers due now and the promises they cause run. */
  settle(passes?: number): Promise<void>;
  /** Estimated JsVars: {free, usage, total, ...}. */
  memory(): { free: number; usage: number; total: number; blocksize: number };
  /** Sockets in use against capabilities.maxSockets. */
  socketsInUse(): number;
  /** Stops everything: timers, queued events, sockets, the Wi-Fi driver. Idempotent. */
  powerOff(): void;
  /** Calls `listener` with every console line from now on (and on the boards restart() makes);
   *  returns the function that stops it. */
  onConsole(listener: (line: string) => void): () => void;
  /** Calls `hook` with every fresh chip restart() makes, before any of its code runs. */
  onRestart(hook: (chip: Chip) => void): () => void;
  /** Stops this chip and starts a fresh one on the same LAN host with the same options and
   *  Storage, and returns it (this board stays off). What runs (Storage boot code only, never the
   *  default bundle): "power" (power-on, the reset button) .boot0-.boot3, then .bootcde (or
   *  .bootrst when there is no .bootcde); "reset" (reset()) .boot0-.boot3 and .bootrst, keeping
   *  the wall clock; "load" (load(file)) `file`, or without one what "power" runs, keeping the
   *  wall clock. */
  restart(mode?: RestartMode, file?: string): Promise<EmulatedBoard>;
}

export type RestartMode = "power" | "reset" | "load";

/** The Storage boot code a (re)start runs, in Espruino's order (jsfLoadBootCodeFromFlash). */
export function storageBootCode(storage: ReadonlyMap<string, string>, mode: RestartMode, file?: string): string {
  if (mode === "load" && file !== undefined) return storage.get(file) ?? "";
  const parts: string[] = [];
  for (const f of [".boot0", ".boot1", ".boot2", ".boot3"]) if (storage.get(f)) parts.push(storage.get(f)!);
  const main = mode === "reset" ? storage.get(".bootrst") : (storage.get(".bootcde") || storage.get(".bootrst"));
  if (main) parts.push(main);
  return parts.join("\n;");
}

function parseResolvConf(text: string): string[] {
  return text
    .split("\n")
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}

/** What the boards of one power-on share across restart(). */
interface Lineage {
  listeners: Set<(line: string) => void>;
  hooks: Set<(chip: Chip) => void>;
}

export function bootBoard(opts: BootOptions): Promise<EmulatedBoard> {
  return boot(opts, { listeners: new Set(), hooks: new Set() }, false);
}

async function boot(opts: BootOptions, lineage: Lineage, restarted: boolean): Promise<EmulatedBoard> {
  const { listeners } = lineage;
  const profile = loadBoardProfile(opts.board);
  const linux = isLinux(profile);
  const output: string[] = [];
  const chip = new Chip(profile, {
    console: (line) => {
      output.push(line);
      opts.console?.(line);
      for (const l of listeners) l(line);
    },
    virtualTime: opts.virtualTime,
    wallStartMs: opts.wallStartMs,
  });
  for (const [k, v] of Object.entries(opts.storage ?? {})) chip.storage.set(k, v);

  let netMods: { net: unknown; tls: unknown } | undefined;
  const nets = () => (netMods ??= createNetModules(chip));
  chip.defineModule("Storage", createStorageModule);
  chip.defineModule("dgram", createDgramModule);
  chip.defineModule("net", () => nets().net);
  chip.defineModule("tls", () => nets().tls);
  chip.defineModule("crypto", createCryptoModule);

  let wifi: WifiDriver | undefined;
  let host: Host | NetStack | undefined = opts.host;
  if (linux) {
    let lease: Lease | undefined;
    if (!host && opts.lan) host = opts.lan.addHost({ name: profile.defaultHostname });
    const lanHost = host as Host | undefined;
    if (lanHost && lanHost.address === "0.0.0.0" && typeof (lanHost as Host).setAddress === "function") {
      lease = await dhcpClient(lanHost as Host, { hostname: profile.defaultHostname, timeoutMs: opts.dhcpTimeoutMs });
    }
    const resolv =
      opts.resolvConf ??
      (lease ? lease.dns.map((d) => `nameserver ${d}`).join("\n") : opts.lan?.router ? `nameserver ${opts.lan.router.address}` : "");
    const files = new Map<string, string>([["/etc/resolv.conf", resolv + "\n"], ["/etc/hostname", profile.defaultHostname + "\n"]]);
    const stack = host ?? null;
    chip.network = { stack: () => stack, online: () => !!stack, dnsServers: () => parseResolvConf(files.get("/etc/resolv.conf") ?? "") };
    chip.defineModule("fs", (c) => createFsModule(c, files));
  } else if (profile.capabilities.wifi) {
    if (opts.lan) {
      const h = (host as Host | undefined) ?? opts.lan.addHost({ wifi: true });
      host = h;
      wifi = new WifiDriver(chip, { lan: opts.lan, host: h, dhcpTimeoutMs: opts.dhcpTimeoutMs });
      const driver = wifi;
      chip.network = driver.network();
      chip.defineModule("Wifi", () => driver.module);
    }
  }

  const board: EmulatedBoard = {
    profile,
    chip,
    host,
    wifi,
    eval: (code) => chip.eval(code),
    require: (name) => chip.require(name),
    quirks: chip.rt.quirks,
    errors: chip.rt.errors,
    output,
    storage: chip.storage,
    clock: {
      now: () => chip.rt.wall(),
      mono: () => chip.rt.mono(),
      advance: (ms) => chip.rt.advance(ms),
      jump: (ms) => chip.rt.jump(ms),
      setWall: (ms) => chip.rt.setWall(ms),
    },
    settle: (passes) => chip.rt.settle(passes),
    memory: () => chip.memory(),
    socketsInUse: () => chip.rt.socketsInUse,
    powerOff: () => chip.rt.powerOff(),
    onConsole: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onRestart: (hook) => {
      lineage.hooks.add(hook);
      return () => lineage.hooks.delete(hook);
    },
    restart: async (mode = "power", file) => {
      const keepClock = mode !== "power";
      const wallStartMs = chip.rt.wall();
      chip.rt.powerOff();
      // the radio goes down with the chip: off the access point, no address
      const lanHost = host as Host | undefined;
      if (wifi && lanHost) {
        const link = lanHost.link as { disassociate?: (h: Host) => void } | null;
        link?.disassociate?.(lanHost);
        lanHost.setAddress(null);
      }
      return boot(
        {
          ...opts,
          host,
          bundle: undefined,
          code: storageBootCode(chip.storage, mode, file),
          storage: Object.fromEntries(chip.storage),
          wallStartMs: keepClock ? wallStartMs : opts.wallStartMs,
        },
        lineage,
        true,
      );
    },
  };

  // ESP32: restore() runs at boot when a Wi-Fi configuration was saved.
  if (wifi && chip.storage.has(".wificfg")) {
    (chip.require("Wifi") as { restore(): void }).restore();
  }

  if (restarted) for (const hook of lineage.hooks) hook(chip);

  let code = "";
  const bundle = opts.bundle ?? join(REPO_ROOT, "dist", profile.id, "camnet.js");
  // power-on runs the boot code in Storage; only a board without any runs the default bundle
  const stored = opts.bundle === undefined && opts.code === undefined ? storageBootCode(chip.storage, "power") : "";
  if (stored) code = stored;
  else if (opts.bundle !== undefined || (opts.code === undefined && existsSync(bundle))) code = readFileSync(bundle, "utf8");
  if (opts.code !== undefined) code = code ? `${code}\n;${opts.code}` : opts.code;
  if (code) {
    try {
      chip.eval(code, opts.bundle ?? "camnet.js");
    } catch (e) {
      chip.rt.uncaught(e);
    }
  }
  return board;
}
