// Issue 4's figures measured against a real avahi-daemon: the emulated Linux board (the
// built bundle, its sockets bridged to real ones) in one network namespace, avahi-daemon with
// its own D-Bus in a second one, and a third one for the observers (the querier below and
// tcpdump) holding a bridge that joins all three, each of a and b by its own veth pair
// (test/peers/netns.ts createBridgedLink, avahi.ts). The querier used to run in avahi's own
// namespace: its queries reached avahi by multicast loopback and avahi's answers came back
// the same way, while the board's crossed the veth pair both ways. Now both responders sit
// one veth hop from the querier: the same position.
//
// 1. Link-up to resolvable by avahi. The clock starts at the board's link-up event
//    (network "connected", emitted by the board code as the Linux build's app does) and stops
//    when `avahi-resolve -4 -n <name>.local`, started in avahi's namespace before the link
//    came up, prints the board's address: avahi's resolver stays open and completes the
//    moment avahi learns the record (from the first announcement), so no polling interval
//    is added. Every run uses a fresh host name, so nothing comes from avahi's cache.
//    The RFC floor of a run: the responder's own random wait (0-250 ms, read from the
//    board's setTimeout call, not assumed) + 500 ms (three probes 250 ms apart) + 250 ms.
//    We count that last 250 ms: RFC 6762 §8.1 says the host may announce only if "by the
//    time 250 ms has elapsed after the third probe" nothing conflicted, so no compliant
//    responder can be resolvable earlier than wait + 750 ms. The budget: 1.1x that floor.
// 2. Answer latency for a unique record: a neutral querier (a small Node UDP client, not our
//    code) in the observers' namespace multicasts plain QM queries for the board's A record and for
//    avahi's own host A record, alternately, each name at most once per 1.2 s (both
//    responders multicast a record at most once a second, RFC 6762 §6), and times each
//    answer from send to receipt on the same socket. Budget: ours no slower than avahi's.
//
// Without root, `ip netns`, avahi-daemon/avahi-utils/dbus, a figure says why it failed to
// measure; it never prints a made-up number. Namespaces are named camnet-bench-<pid>-a/b/c and
// deleted on exit, error or signal; leftovers of killed runs (dead pids) are deleted first.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { AVAHI, TOOLS, startAvahi, startBus } from "../../test/peers/avahi.ts";
import type { Daemon } from "../../test/peers/helpers.ts";
import { capture, createBridgedLink, ip, missing, netnsProblem, REPO, startBoard, type BridgedLink, type Capture, type Datagram, type NsBoard } from "../../test/peers/netns.ts";
import dnsPacket from "dns-packet";
import type { DecodedPacket } from "dns-packet";
import { median, type Figure } from "./table.ts";

const PREFIX = "camnet-bench-";
const TCPDUMP = "/usr/bin/tcpdump";

/** Deletes camnet-bench-<pid>-* namespaces whose bench process is gone. */
function sweepLeftovers(): void {
  const names = ip("netns", "list").split("\n").map((l) => l.split(" ")[0]);
  for (const n of names) {
    const m = new RegExp("^" + PREFIX + "(\\d+)-").exec(n);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(+m[1], 0);
    } catch (e) {
      alive = (e as { code?: string }).code === "EPERM";
    }
    if (!alive) {
      try {
        ip("netns", "del", n);
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** The bench's board code: the address set by the app (the Linux build cannot read it), the
 *  mdns events, and every setTimeout call recorded after link-up (to read the responder's
 *  random probe wait). linkUp(name) / linkDown() drive the network events. */
export function benchBoardCode(address: string): string {
  return `var net = require("network"), mdns = require("mdns");
    globalThis.seen = { claimed: [], timers: [], rec: false, t0: 0 };
    mdns.events.on("claimed", function (n) { seen.claimed.push([n, Date.now()]); });
    var st0 = setTimeout;
    setTimeout = function (f, ms) {
      if (seen.rec) seen.timers.push([Date.now(), ms]);
      return st0.apply(this, arguments);
    };
    net.WLAN(0).ifconfig(["${address}", "255.255.255.0", "0.0.0.0", "0.0.0.0"]);
    globalThis.linkUp = function (name) {
      net.hostname(name);
      seen.timers = []; seen.claimed = []; seen.rec = true;
      seen.t0 = Date.now();
      net.events.emit("connected", net.WLAN(0).ifconfig());
      return seen.t0;
    };
    globalThis.linkDown = function () { seen.rec = false; net.events.emit("disconnected"); };`;
}

/** The responder's random wait among the setTimeout calls after link-up: the last delay of
 *  0-250 ms that is followed by three 250 ms timers (the probe intervals). [call time, ms]. */
export function probeWait(timers: [number, number][]): [number, number] | undefined {
  let found: [number, number] | undefined;
  for (let i = 0; i < timers.length; i++) {
    const ms = timers[i][1];
    if (ms >= 0 && ms <= 250 && timers.slice(i + 1).filter((t) => t[1] === 250).length >= 3) found = timers[i];
  }
  return found;
}

/** `avahi-resolve -4 -n name` in namespace `ns`; resolves with the time (Date.now()) its
 *  answer line arrived and the line, or rejects with its error. */
function avahiResolve(ns: string, bus: string, name: string, limitMs: number): { done: Promise<{ at: number; line: string }>; kill(): void } {
  const child = spawn("ip", ["netns", "exec", ns, "env", `DBUS_SYSTEM_BUS_ADDRESS=${bus}`, "avahi-resolve", "-4", "-n", name], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  const done = new Promise<{ at: number; line: string }>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill();
      reject(new Error(`avahi-resolve -n ${name}: no answer within ${limitMs} ms`));
    }, limitMs);
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(t);
        resolve({ at: Date.now(), line: out.trim() });
      }
    });
    child.stderr!.on("data", (d) => (err += d));
    child.once("exit", (c) => {
      clearTimeout(t);
      if (!out.includes("\n")) reject(new Error(`avahi-resolve -n ${name} exited ${c}: ${err.trim()}`));
    });
  });
  return { done, kill: () => child.kill() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LinkUpRun {
  name: string;
  /** ms after link-up: avahi resolved, the board said "claimed", the first probe and the
   *  first announcement crossed the link (tcpdump; NaN without it) */
  resolved: number;
  claimed: number;
  probe1: number;
  announce1: number;
  /** the responder's random wait (ms) and when it was set (ms after link-up) */
  wait: number;
  waitSetAt: number;
  floor: number;
}

/** One link-up: a fresh host name, avahi-resolve already waiting, then link-up. */
async function linkUpRun(board: NsBoard, link: BridgedLink, bus: string, name: string, cap: Capture | undefined): Promise<LinkUpRun> {
  const resolver = avahiResolve(link.b, bus, name + ".local", 8000);
  resolver.done.catch(() => {});
  // avahi-resolve registers its resolver over D-Bus and avahi sends its first query; a
  // resolver that came too late would only make the figure worse (it would then be the
  // resolver's start-up), never better
  await sleep(600);
  const t0: number = await board.eval(`linkUp(${JSON.stringify(name)})`);
  let got: { at: number; line: string };
  try {
    got = await resolver.done;
  } finally {
    resolver.kill();
  }
  if (!got.line.endsWith("\t" + link.addrA)) throw new Error(`avahi-resolve said "${got.line}", not ${link.addrA}`);
  const claimedAt: [string, number] | undefined = (await board.until("seen.claimed[0]", 3000));
  const timers: [number, number][] = await board.eval("seen.timers");
  await board.eval("linkDown()");
  const w = probeWait(timers);
  if (!w) throw new Error(`no probe wait among the board's timers after link-up: ${JSON.stringify(timers)}`);
  if (claimedAt![0] !== name) throw new Error(`the board claimed ${claimedAt![0]}, not ${name}`);
  let probe1 = NaN, announce1 = NaN;
  if (cap) {
    // the capture keeps running across runs; this run's packets are those after t0
    const seen = cap.peek();
    const ours = seen.filter((d) => d.src === link.addrA && d.t >= t0 - 5 && d.payload.includes(Buffer.from(name)));
    const first = (isResponse: boolean) => ours.find((d) => (d.payload[2] & 0x80) === (isResponse ? 0x80 : 0));
    probe1 = (first(false)?.t ?? NaN) - t0;
    announce1 = (first(true)?.t ?? NaN) - t0;
  }
  return {
    name, resolved: got.at - t0, claimed: claimedAt![1] - t0, probe1, announce1,
    wait: w[1], waitSetAt: w[0] - t0, floor: w[1] + 750,
  };
}

/** The neutral querier, run with `node -e` in the observers' namespace: plain QM queries
 *  from port 5353, one name at a time, each name again only after
 *  `gap` ms; prints one JSON line per query: {name, ms, from, at} (ms null: no answer
 *  within 1 s; at: Date.now() when sent). */
const QUERIER = String.raw`
const dgram = require("node:dgram"), dnsPacket = require(process.argv[1]);
const [, , local, rounds, gap, ...names] = process.argv;
const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
let waiting = null;
s.on("message", (msg, r) => {
  if (!waiting) return;
  let m;
  try { m = dnsPacket.decode(msg); } catch { return; }
  if (m.type !== "response") return;
  const hit = (m.answers || []).some((a) => a.type === "A" && a.ttl > 0 && a.name.toLowerCase() === waiting.name);
  if (hit) { const w = waiting; waiting = null; w.done(Number(process.hrtime.bigint() - w.t) / 1e6, r.address); }
});
const ask = (name) => new Promise((resolve) => {
  const q = dnsPacket.encode({ type: "query", id: 0, questions: [{ type: "A", class: "IN", name }] });
  const timer = setTimeout(() => { waiting = null; resolve([null, ""]); }, 1000);
  waiting = { name: name.toLowerCase(), done: (ms, from) => { clearTimeout(timer); resolve([ms, from]); } };
  waiting.t = process.hrtime.bigint();
  s.send(q, 5353, "224.0.0.251");
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const last = {};
s.bind(5353, async () => {
  s.addMembership("224.0.0.251", local);
  s.setMulticastInterface(local);
  s.setMulticastTTL(255);
  for (let i = 0; i < +rounds; i++) {
    for (const name of names) {
      await sleep(Math.max(100, (last[name] || 0) + +gap - Date.now()));
      last[name] = Date.now();
      const [ms, from] = await ask(name);
      console.log(JSON.stringify({ name, ms, from, at: last[name] }));
    }
  }
  s.close();
});`;

function runQuerier(ns: string, local: string, rounds: number, names: string[]): Promise<{ name: string; ms: number | null; from: string; at: number }[]> {
  const dnsPacketPath = path.join(REPO, "node_modules", "dns-packet");
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", QUERIER, dnsPacketPath, local, String(rounds), "1200", ...names],
      { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    child.once("exit", (c) => {
      if (c !== 0) return reject(new Error(`querier exited ${c}: ${err.trim()}`));
      resolve(out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)));
    });
  });
}

/** From a capture: for each response of `from` carrying an A record of `name`, the time
 *  since the latest query for `name` sent by `querier` before it (ms, kernel timestamps). */
export function wireLatencies(caps: Datagram[], querier: string, from: string, name: string, since: number): number[] {
  const out: number[] = [];
  let asked = NaN;
  for (const d of caps) {
    if (d.t < since) continue;
    let m: DecodedPacket;
    try {
      m = dnsPacket.decode(d.payload);
    } catch {
      continue;
    }
    if (m.type === "query" && d.src === querier && !(m.authorities ?? []).length && (m.questions ?? []).some((q) => q.name.toLowerCase() === name)) asked = d.t;
    else if (m.type === "response" && d.src === from && !isNaN(asked)
      && (m.answers ?? []).some((a) => a.type === "A" && a.name.toLowerCase() === name && (a.ttl ?? 0) > 0)) {
      out.push(d.t - asked);
      asked = NaN;
    }
  }
  return out;
}

/** The responder's own code per answered A query, in Node (src/mdns on the fake link of
 *  test/mdns-fake.ts, no emulator, no sockets): receipt to send, µs, median of `n`. The
 *  answer is sent synchronously inside the receive handler (no timer for unique records,
 *  RFC 6762 §6), so this is all the time src/mdns adds to an answer. */
export async function responderCostUs(n: number): Promise<number> {
  const { Clock, Lan, packet, q } = await import("../../test/mdns-fake.ts");
  const { Responder } = await import("../../src/mdns/index.ts");
  const clock = new Clock(), lan = new Lan(clock), r = new Responder(lan.io("10.0.0.5"), { hostname: "bench-cam" });
  const started = r.start();
  await clock.run(3000);
  await started;
  const sock = lan.members.find((m) => m.host === "10.0.0.5")!.sock, query = packet(q("bench-cam.local"));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    clock.t += 1001; // past the once-a-second multicast limit
    lan.sent = [];
    const t = process.hrtime.bigint();
    sock.onmessage!(query, "10.0.0.9", 5353);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
    if (lan.sent.length !== 1) throw new Error("the responder did not answer at once");
  }
  await r.stop();
  return median(times);
}

const LINKUP = "link-up to resolvable by avahi (avahi-resolve -n)";
const RATIO = "  the same / its RFC floor (median of runs)";
const ANSWER = "answer latency, unique A: the board (avahi's own A beside it)";

/** Why this cannot run here, or "". */
function problem(bundle: string): string {
  return netnsProblem()
    || (missing(AVAHI, ...TOOLS) && `${missing(AVAHI, ...TOOLS)} is missing (apt-get install avahi-daemon avahi-utils dbus)`)
    || (!existsSync(bundle) ? `no Linux bundle at ${bundle}` : "");
}

export async function benchMdns(linuxOutDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const bundle = path.join(linuxOutDir, "camnet.js");
  const failed = (why: string): Figure[] => [LINKUP, RATIO, ANSWER].map((what) => ({ what, value: null, unit: "", note: "failed to measure: " + why }));
  const why = problem(bundle);
  if (why) return failed(why);

  let link: BridgedLink | undefined, bus: { daemon: Daemon; address: string } | undefined, avahi: Daemon | undefined;
  let board: NsBoard | undefined, cap: Capture | undefined;
  const cleanup = async () => {
    await cap?.stop().catch(() => {});
    await board?.stop().catch(() => {});
    await avahi?.stop().catch(() => {});
    await bus?.daemon.stop().catch(() => {});
    link?.destroy();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    // each stop() signals its process at once; the exit does not wait for them
    for (const p of [cap?.stop(), board?.stop(), avahi?.stop(), bus?.daemon.stop()]) p?.catch(() => {});
    link?.destroy();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const onExit = () => link?.destroy();
  process.once("exit", onExit);
  try {
    sweepLeftovers();
    link = createBridgedLink(`${PREFIX}${process.pid}-`, "10.79.0", `cb${process.pid % 100000}`);
    bus = await startBus();
    avahi = await startAvahi(link.b, link.ifB, bus.address, "bench-avahi");
    // beside the querier, on the bridge: what it sends and both responders' multicast answers
    if (!missing(TCPDUMP)) cap = await capture(link.c, link.ifC, path.join(avahi.dir, "cap.pcap"));
    board = await startBoard(link.a, link.addrA, benchBoardCode(link.addrA), bundle);

    // 1. link-up to resolvable
    const runs: LinkUpRun[] = [];
    let err1 = "";
    try {
      for (let i = 0; i < (opts.quick ? 1 : 5); i++) {
        runs.push(await linkUpRun(board, link, bus.address, `bench-cam-r${i + 1}`, cap));
        // goodbyes went out at linkDown; let avahi drop them (TTL 0: 1 s) before the next
        await sleep(1200);
      }
    } catch (e) {
      err1 = (e as Error).message.split("\n")[0];
    }
    const figures: Figure[] = [];
    if (!runs.length) figures.push(...failed(err1).slice(0, 2));
    else {
      const ratio = median(runs.map((r) => r.resolved / r.floor));
      const perRun = runs.map((r) => `${r.resolved.toFixed(0)}/${r.floor.toFixed(0)}`).join(" ");
      figures.push({
        what: LINKUP, value: median(runs.map((r) => r.resolved)), unit: "ms", decimals: 0,
        note: `RFC floor (random wait + 3 probes 250 ms apart + 250 ms, §8.1) median ${median(runs.map((r) => r.floor)).toFixed(0)} ms;`
          + ` per run resolved/floor: ${perRun}${err1 ? "; then failed: " + err1 : ""}`,
      });
      const wire = runs.filter((r) => !isNaN(r.probe1));
      figures.push({
        what: RATIO, value: ratio, unit: "x", max: 1.1, decimals: 2,
        note: `median of ${runs.length}: waits ${runs.map((r) => r.wait.toFixed(0)).join(" ")} ms set at +${median(runs.map((r) => r.waitSetAt)).toFixed(0)} ms;`
          + ` claimed +${median(runs.map((r) => r.claimed)).toFixed(0)}`
          + (wire.length ? `, wire: probe 1 +${median(wire.map((r) => r.probe1)).toFixed(0)}, announce +${median(wire.map((r) => r.announce1)).toFixed(0)} ms` : ""),
      });
    }

    // 2. answer latency: the board's A beside avahi's
    try {
      await board.eval(`linkUp("bench-cam")`);
      await board.until(`seen.claimed[0]`, 5000);
      await sleep(2200); // 1 s past the second announcement: a record is multicast at most once a second
      const ourName = "bench-cam.local", theirs = "bench-avahi.local";
      const since = Date.now();
      const got = await runQuerier(link.c, link.addrC, opts.quick ? 3 : 10, [ourName, theirs]);
      const ms = (n: string) => got.filter((g) => g.name === n && g.ms !== null).map((g) => g.ms!);
      const ours = ms(ourName), peer = ms(theirs);
      const lost = got.filter((g) => g.ms === null).map((g) => g.name);
      if (!ours.length || !peer.length) throw new Error(`no answers (${got.length} queries, unanswered: ${lost.join(" ")})`);
      const peerMedian = median(peer);
      let wire = "";
      if (cap) {
        const caps = cap.peek(), w = (from: string, n: string) => wireLatencies(caps, link!.addrC, from, n, since);
        const wo = w(link.addrA, ourName), wp = w(link.addrB, theirs);
        if (wo.length && wp.length) wire = `; on the wire (tcpdump beside the querier): ours ${median(wo).toFixed(2)}, avahi ${median(wp).toFixed(2)} ms`;
      }
      const code = await responderCostUs(opts.quick ? 200 : 2000);
      figures.push({
        what: ANSWER, value: median(ours), unit: "ms", peer: peerMedian, peerName: "avahi", max: Number(peerMedian.toFixed(3)),
        note: `median of ${ours.length}/${peer.length} QM queries from a Node querier one veth hop from each; ours ${Math.min(...ours).toFixed(2)}-${Math.max(...ours).toFixed(2)}, avahi ${Math.min(...peer).toFixed(2)}-${Math.max(...peer).toFixed(2)} ms`
          + wire + `; src/mdns answers on receipt, no timer: ${code.toFixed(0)} µs of ours (Node), the rest is the board's socket layer and the emulator`
          + (lost.length ? `; unanswered: ${lost.length}` : ""),
      });
    } catch (e) {
      figures.push({ what: ANSWER, value: null, unit: "", note: "failed to measure: " + (e as Error).message.split("\n")[0] });
    }
    return figures;
  } catch (e) {
    return failed((e as Error).message.split("\n")[0]);
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", onExit);
  }
}

// `npx tsx scripts/bench/mdns.ts [--quick]`: these figures alone, against dist/linux.
if (import.meta.url === "file://" + process.argv[1]) {
  const { formatSection } = await import("./table.ts");
  const figures = await benchMdns(path.join(REPO, "dist", "linux"), { quick: process.argv.includes("--quick") });
  console.log(formatSection({ title: "mdns against avahi-daemon (network namespaces)", figures }));
}
