// Two hosts on one link for the mDNS peer tests: network namespaces joined by a veth pair
// (shared/reference/protocols.md §5.3), created by the test run and always deleted after
// it. The emulated board runs inside the first namespace in a child Node process (this
// file, run as a program), its sockets bridged to real ones (emulator/lan/real-stack.ts);
// the test drives it over stdin/stdout. The peers (avahi-daemon, python3-zeroconf,
// tcpdump) run in the second namespace.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const REPO = join(fileURLToPath(import.meta.url), "..", "..", "..");

/** Runs `ip args...`; throws with ip's message on failure. */
export function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Why namespaces cannot be used here, or "" when they can (root and a working `ip netns`). */
export function netnsProblem(): string {
  if (process.getuid?.() !== 0) return "network namespaces need root";
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
  } catch {
    return "`ip netns` is unavailable (apt-get install iproute2)";
  }
  return "";
}

/** The first missing program of `paths`, or "". */
export function missing(...paths: string[]): string {
  return paths.find((p) => !existsSync(p)) ?? "";
}

export interface Link {
  /** namespace names: the board's and the peer's */
  a: string;
  b: string;
  /** interface names inside them */
  ifA: string;
  ifB: string;
  /** addresses (/24) */
  addrA: string;
  addrB: string;
  /** Deletes both namespaces (and with them the veth pair). Idempotent. */
  destroy(): void;
}

/** Namespaces `<prefix>a` (addrA) and `<prefix>b` (addrB) on one veth link (interfaces
 *  `<ifPrefix>va`, `<ifPrefix>vb`: at most 15 characters), lo up, and the multicast route in
 *  both (else sendto 224.0.0.251 fails with ENETUNREACH). Leftovers of an earlier killed run
 *  under the same names are deleted first. */
export function createLink(prefix: string, subnet: string, ifPrefix = prefix): Link {
  const a = prefix + "a", b = prefix + "b", ifA = ifPrefix + "va", ifB = ifPrefix + "vb";
  const addrA = subnet + ".1", addrB = subnet + ".2";
  const destroy = () => {
    for (const n of [a, b]) {
      try {
        ip("netns", "del", n);
      } catch {
        // not there
      }
    }
  };
  destroy();
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
    for (const [n, i, addr] of [[a, ifA, addrA], [b, ifB, addrB]]) {
      ip("-n", n, "addr", "add", addr + "/24", "dev", i);
      ip("-n", n, "link", "set", "lo", "up");
      ip("-n", n, "link", "set", i, "up");
      ip("-n", n, "route", "add", "224.0.0.0/4", "dev", i);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return { a, b, ifA, ifB, addrA, addrB, destroy };
}

export interface BridgedLink extends Link {
  /** the observer's namespace (holding the bridge), its bridge interface and address (.3) */
  c: string;
  ifC: string;
  addrC: string;
}

/** Three namespaces on one Ethernet segment: `<prefix>a` (addrA) and `<prefix>b` (addrB) as
 *  createLink makes them, each joined by its own veth pair to a bridge in `<prefix>c`
 *  (`<ifPrefix>br`, addrC .3), so an observer in c is one veth hop from a and from b alike.
 *  The bridge floods multicast (224.0.0.251 is link-local: never snooped; snooping is off). */
export function createBridgedLink(prefix: string, subnet: string, ifPrefix = prefix): BridgedLink {
  const a = prefix + "a", b = prefix + "b", c = prefix + "c", ifA = ifPrefix + "va", ifB = ifPrefix + "vb", ifC = ifPrefix + "br";
  const addrA = subnet + ".1", addrB = subnet + ".2", addrC = subnet + ".3";
  const destroy = () => {
    for (const n of [a, b, c]) {
      try {
        ip("netns", "del", n);
      } catch {
        // not there
      }
    }
  };
  destroy();
  try {
    for (const n of [a, b, c]) ip("netns", "add", n);
    ip("-n", c, "link", "add", ifC, "type", "bridge", "mcast_snooping", "0");
    for (const [n, i, port, addr] of [[a, ifA, ifPrefix + "ca", addrA], [b, ifB, ifPrefix + "cb", addrB]]) {
      ip("link", "add", i, "netns", n, "type", "veth", "peer", "name", port, "netns", c);
      ip("-n", c, "link", "set", port, "master", ifC);
      ip("-n", c, "link", "set", port, "up");
      ip("-n", n, "addr", "add", addr + "/24", "dev", i);
    }
    ip("-n", c, "addr", "add", addrC + "/24", "dev", ifC);
    for (const [n, i] of [[a, ifA], [b, ifB], [c, ifC]]) {
      ip("-n", n, "link", "set", "lo", "up");
      ip("-n", n, "link", "set", i, "up");
      ip("-n", n, "route", "add", "224.0.0.0/4", "dev", i);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return { a, b, c, ifA, ifB, ifC, addrA, addrB, addrC, destroy };
}

export interface Outcome {
  ok: boolean;
  value?: any;
  code?: string;
  message?: string;
}

/** The emulated Linux board in a namespace: the built bundle (`bundle`, default
 *  dist/linux/camnet.js) with real sockets on `address`, then `code`. */
export interface NsBoard {
  /** Runs code on the board; its completion value through JSON. */
  eval(code: string): Promise<any>;
  /** Awaits a Promise made on the board: {ok, value} or {ok: false, code, message}. */
  settle(expr: string, limitMs?: number): Promise<Outcome>;
  /** Like settle(), but rejects unless it resolved. */
  resolved(expr: string, limitMs?: number): Promise<any>;
  /** Polls `expr` (evaluated on the board) until truthy; its value. */
  until(expr: string, limitMs?: number): Promise<any>;
  /** The board's console and the child's errors. */
  log(): string;
  /** Powers the board off (sockets closed) and ends the child. Idempotent. */
  stop(): Promise<void>;
}

export async function startBoard(ns: string, address: string, code: string, bundle = join(REPO, "dist", "linux", "camnet.js")): Promise<NsBoard> {
  const child: ChildProcess = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), address, bundle], {
    cwd: REPO, stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "", next = 0, exited = false;
  const waiting = new Map<number, (r: any) => void>();
  child.stderr!.on("data", (d) => (out += d));
  child.once("exit", (c) => {
    exited = true;
    out += `\n(board process exited ${c})`;
    for (const w of waiting.values()) w({ id: -1, ok: false, code: "EXITED", message: "board process exited\n" + out });
    waiting.clear();
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    let r: any;
    try {
      r = JSON.parse(line);
    } catch {
      out += line + "\n";
      return;
    }
    const w = waiting.get(r.id);
    waiting.delete(r.id);
    w?.(r);
  });
  const call = (op: string, code: string, limitMs = 10000): Promise<Outcome> => new Promise((resolve) => {
    if (exited) return resolve({ ok: false, code: "EXITED", message: "board process exited\n" + out });
    const id = next++;
    waiting.set(id, resolve);
    child.stdin!.write(JSON.stringify({ id, op, code, limitMs }) + "\n");
  });
  const must = async (o: Promise<Outcome>, what: string) => {
    const r = await o;
    if (!r.ok) throw new Error(`${what}: ${r.code}: ${r.message}`);
    return r.value;
  };
  const board: NsBoard = {
    eval: (c) => must(call("eval", c), c),
    settle: (e, limitMs) => call("settle", e, limitMs),
    resolved: (e, limitMs) => must(call("settle", e, limitMs), e),
    until: (e, limitMs) => must(call("until", e, limitMs), e),
    log: () => out,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.stdin!.end();
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(t);
    },
  };
  await must(call("boot", code, 20000), "boot");
  return board;
}

/** The board's code after the bundle: the host name, the address (the Linux build cannot
 *  read it, the app sets it; network does not report that as an address change, so the
 *  test says "connected" itself), an _http._tcp advert, and the mdns events recorded. */
export function boardCode(address: string, name = "kitchen-cam"): string {
  return `var net = require("network"), mdns = require("mdns");
    globalThis.seen = { claimed: [], conflict: [] };
    mdns.events.on("claimed", function (n) { seen.claimed.push(n); });
    mdns.events.on("conflict", function (o, n) { seen.conflict.push(o + ">" + n); });
    net.hostname(${JSON.stringify(name)});
    net.WLAN(0).ifconfig(["${address}", "255.255.255.0", "0.0.0.0", "0.0.0.0"]);
    net.events.emit("connected", net.WLAN(0).ifconfig());
    globalThis.web = mdns.advertise("_http._tcp", 80, { path: "/" });`;
}

// ---- the child: `node --import tsx netns.ts <address> <bundle>` inside the namespace ----
async function child(address: string, bundle: string): Promise<void> {
  const { bootBoard } = await import("../../emulator/board.ts");
  const { realStack } = await import("../../emulator/lan/real-stack.ts");
  const { settle, ev } = await import("../helpers/board.ts");
  const { until } = await import("../../emulator/espruino/testing.ts");
  const stack = realStack(address, { netmask: "255.255.255.0" });
  let board: Awaited<ReturnType<typeof bootBoard>> | undefined;
  const reply = (r: object) => process.stdout.write(JSON.stringify(r) + "\n");
  const rl = createInterface({ input: process.stdin });
  rl.on("line", async (line) => {
    const { id, op, code, limitMs } = JSON.parse(line);
    try {
      if (op === "boot") {
        board = await bootBoard({
          board: "linux", host: stack, resolvConf: "", bundle, code,
          console: (l) => process.stderr.write("[board] " + l + "\n"),
        });
        if (board.errors.length) throw new Error(board.errors.join("\n"));
        reply({ id, ok: true });
      } else if (op === "eval") {
        reply({ id, ok: true, value: ev(board!, code) });
      } else if (op === "until") {
        await until(() => ev(board!, code), code, limitMs);
        reply({ id, ok: true, value: ev(board!, code) });
      } else {
        reply({ id, ...(await settle(board!, code, limitMs)) });
      }
    } catch (e) {
      reply({ id, ok: false, code: (e as { code?: string }).code ?? "ERROR", message: (e as Error).message });
    }
  });
  rl.on("close", () => {
    board?.powerOff();
    stack.close();
    process.exit(0);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void child(process.argv[2], process.argv[3]);

/** One captured IPv4/UDP datagram. */
export interface Datagram {
  /** capture time, ms */
  t: number;
  src: string;
  dst: string;
  /** the IP header's TTL as it crossed the link */
  ttl: number;
  sport: number;
  dport: number;
  payload: Buffer;
}

/** The IPv4/UDP datagrams of a pcap file (Ethernet link type), parsed here from the
 *  bytes tcpdump wrote: what crossed the link, not what our code says it sent. */
export function readPcap(file: Buffer): Datagram[] {
  const out: Datagram[] = [];
  if (file.length < 24) return out;
  const le = file.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  for (let p = 24; p + 16 <= file.length;) {
    const t = u32(p) * 1000 + u32(p + 4) / 1000, len = u32(p + 8);
    const f = file.subarray(p + 16, p + 16 + len);
    p += 16 + len;
    if (f.length < 42 || f.readUInt16BE(12) !== 0x0800) continue;
    const ipH = f.subarray(14), ihl = (ipH[0] & 15) * 4;
    if (ipH[9] !== 17) continue;
    const udp = ipH.subarray(ihl);
    out.push({
      t, ttl: ipH[8], src: [...ipH.subarray(12, 16)].join("."), dst: [...ipH.subarray(16, 20)].join("."),
      sport: udp.readUInt16BE(0), dport: udp.readUInt16BE(2), payload: udp.subarray(8, udp.readUInt16BE(4)),
    });
  }
  return out;
}

export interface Capture {
  /** What it captured so far (tcpdump -U writes each packet as it comes). */
  peek(): Datagram[];
  /** Stops tcpdump (SIGINT flushes the file) and returns what it captured. */
  stop(): Promise<Datagram[]>;
}

/** tcpdump on `iface` in namespace `ns`, udp port 5353, into `dir`/cap.pcap; resolves once
 *  it listens. */
export async function capture(ns: string, iface: string, file: string): Promise<Capture> {
  const child = spawn("ip", ["netns", "exec", ns, "tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-Z", "root", "-w", file, "udp", "port", "5353"],
    { stdio: ["ignore", "ignore", "pipe"] });
  let err = "", exited = false;
  child.stderr!.on("data", (d) => (err += d));
  child.once("exit", () => (exited = true));
  const start = Date.now();
  while (!/listening on/.test(err)) {
    if (exited || Date.now() - start > 5000) throw new Error("tcpdump did not start: " + err);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    peek: () => (existsSync(file) ? readPcap(readFileSync(file)) : []),
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGINT");
        await gone;
      }
      return existsSync(file) ? readPcap(readFileSync(file)) : [];
    },
  };
}
