// Cold getaddrinfo beside c-ares (issue 3's figure): a real dnsmasq on 127.163.x.y:53 (an
// address of its own per run, so the peer tests on 127.0.0.153 and other bench runs do not
// collide) answers every name under cold.test from --address, so no look-up goes upstream and
// every name is new to both clients (its answers carry TTL 0: nothing is cached either side).
// camnet: getaddrinfo(name, 80, AF_INET, SOCK_STREAM) one after another in the built Linux
// bundle on the emulated board (real loopback sockets), each timed inside the board with
// getTime(). c-ares: Node's dns.promises.Resolver.resolve4(name) pointed at the same server,
// one after another. Both ask one A question per name; the medians per look-up and their ratio
// are printed (budget: camnet within 1.5x of c-ares), and the resolver's query alone on the
// board. Needs dnsmasq and root (port 53); otherwise the figures say why they failed to measure.
import { Resolver } from "node:dns/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { until } from "../../emulator/espruino/testing.ts";
import { findBinary, startDaemon, waitForDns, type Daemon } from "../../test/peers/helpers.ts";
import { median, type Figure } from "./table.ts";

// a loopback address of its own per run (127.163.x.y): concurrent bench runs do not collide
const SERVER = `127.163.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
const ZONE = "cold.test";
const WHAT = "cold getaddrinfo (A, AF_INET), bundle in the emulator (linux), median per look-up";
const RATIO = "cold getaddrinfo / c-ares resolve4, same dnsmasq, same run";
const QUERY = "  of which the resolver's A query alone (socket.resolver.query)";

/** Median ms of `n` look-ups of fresh names `<prefix><i>.cold.test` on the board: getaddrinfo,
 *  or with `query` the resolver's A query alone (what getaddrinfo adds is the difference). */
async function boardLookups(board: EmulatedBoard, prefix: string, n: number, query?: boolean): Promise<number> {
  const call = query ? `s.resolver.query(name, 1)` : `s.getaddrinfo(name, 80, s.AF_INET, s.SOCK_STREAM)`;
  board.eval(`globalThis.__cold = null; (function () {
    var s = require("socket"), i = 0, t = [];
    function next() {
      if (i >= ${n}) { globalThis.__cold = JSON.stringify({ t: t }); return; }
      var t0 = getTime(), name = "${prefix}" + i++ + ".${ZONE}";
      ${call}.then(function () {
        t.push((getTime() - t0) * 1000); next();
      }, function (e) { globalThis.__cold = JSON.stringify({ error: e.code + ": " + e.message }); });
    }
    next(); })();`);
  let out: { t?: number[]; error?: string } | undefined;
  await until(() => {
    const s = board.eval("globalThis.__cold") as string | null;
    return s ? (out = JSON.parse(s)) : undefined;
  }, "the board's look-ups", 30000 + n * 100);
  if (out!.error) throw new Error("getaddrinfo on the board failed: " + out!.error);
  return median(out!.t!);
}

/** Median ms of `n` resolve4 calls for fresh names `<prefix><i>.cold.test`. */
async function caresLookups(resolver: Resolver, prefix: string, n: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await resolver.resolve4(`${prefix}${i}.${ZONE}`);
    t.push(performance.now() - t0);
  }
  return median(t);
}

export async function benchGetaddrinfoCold(linuxOutDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const failed = (why: string): Figure[] => [WHAT, RATIO, QUERY].map((what) => ({ what, value: null, unit: "", note: "failed to measure: " + why }));
  const bundle = path.join(linuxOutDir, "camnet.js");
  if (!existsSync(bundle)) return failed(`no Linux bundle at ${bundle}`);
  const bin = findBinary("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq");
  if (!bin) return failed("dnsmasq is not installed (apt-get install dnsmasq-base)");
  if (process.getuid?.() !== 0) return failed("dnsmasq needs root for port 53");
  const n = opts.quick ? 20 : 200; // look-ups per round and client
  const rounds = opts.quick ? 1 : 3;
  let dnsmasq: Daemon | undefined, stack: RealStack | undefined, board: EmulatedBoard | undefined;
  try {
    dnsmasq = startDaemon(bin, (dir) => [
      "--keep-in-foreground", "--conf-file=/dev/null", "--port=53", `--listen-address=${SERVER}`, "--bind-interfaces",
      "--no-resolv", "--no-hosts", `--address=/${ZONE}/192.0.2.99`, `--pid-file=${path.join(dir, "dnsmasq.pid")}`,
      `--dhcp-leasefile=${path.join(dir, "leases")}`, "--user=root", "--log-facility=-",
    ], "camnet-bench-dnsmasq-");
    await waitForDns(dnsmasq, SERVER, 53, "probe." + ZONE);
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: "linux", host: stack, bundle, resolvConf: `nameserver ${SERVER}` });
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([SERVER]);
    // warm-up (JIT, sockets), then rounds that alternate the two clients; every name is new
    await boardLookups(board, "w", 20);
    await caresLookups(resolver, "v", 20);
    const ours: number[] = [], theirs: number[] = [], queries: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await boardLookups(board, `b${r}-`, n));
      theirs.push(await caresLookups(resolver, `n${r}-`, n));
      queries.push(await boardLookups(board, `q${r}-`, n, true));
    }
    const a = median(ours), b = median(theirs);
    const note = `${rounds} round(s) of ${n} fresh names each; median of the rounds' medians`;
    return [
      { what: WHAT, value: a, unit: "ms", peer: b, peerName: "c-ares resolve4", decimals: 3, note },
      { what: RATIO, value: a / b, unit: "x", max: 1.5, decimals: 2 },
      { what: QUERY, value: median(queries), unit: "ms", decimals: 3, note: "the same path without getaddrinfo's own rules" },
    ];
  } catch (e) {
    return failed((e as Error).message.split("\n")[0]);
  } finally {
    board?.powerOff();
    stack?.close();
    await dnsmasq?.stop();
  }
}

// `npx tsx scripts/bench/getaddrinfo-cold.ts [--quick]`: these figures alone, against dist/linux.
if (import.meta.url === "file://" + process.argv[1]) {
  const { formatSection } = await import("./table.ts");
  const { ROOT } = await import("../build.ts");
  const figures = await benchGetaddrinfoCold(path.join(ROOT, "dist", "linux"), { quick: process.argv.includes("--quick") });
  console.log(formatSection({ title: "cold getaddrinfo against dnsmasq, beside c-ares", figures }));
}
