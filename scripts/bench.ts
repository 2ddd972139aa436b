// `npm run bench`: prints camnet's figures, each beside its budget (and beside the peer it is
// compared with in the same run), with OVER where a budget is missed. Never a test: speed is
// printed, not asserted.
//
//   npm run bench                          fresh build into dist/<board>, every figure
//   npm run bench -- --quick               every measurement short (for test/bench.test.ts)
//   npm run bench -- --espruino PATH       also micro-benchmarks on a real interpreter binary
//   npm run bench -- --out DIR             build into DIR/<board> instead of dist/
//   npm run bench -- --board esp32         the board booted in the emulator (default esp32)
import path from "node:path";
import { existsSync } from "node:fs";
import { benchDns } from "./bench/dns.ts";
import { benchBoot, benchNtp, benchNtpChrony, benchRuntime } from "./bench/emulator.ts";
import { benchEspruino } from "./bench/espruino.ts";
import { benchGetaddrinfoCold } from "./bench/getaddrinfo-cold.ts";
import { benchMdns } from "./bench/mdns.ts";
import { benchResolver } from "./bench/resolver.ts";
import { benchStreams, benchTlsHandshake } from "./bench/streams.ts";
import { buildAll, sizeGrids } from "./bench/sizes.ts";
import { formatGrid, formatSection, verdict, type Figure, type Section } from "./bench/table.ts";
import { ROOT } from "./build.ts";
import { walkArgs } from "./lib/args.ts";

export interface BenchArgs {
  quick: boolean;
  espruino?: string;
  out?: string;
  board: string;
}

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { quick: false, board: "esp32" };
  walkArgs(argv, {
    "--quick": () => (args.quick = true),
    "--espruino": (v) => (args.espruino = v()),
    "--out": (v) => (args.out = path.resolve(v())),
    "--board": (v) => (args.board = v()),
  }, "bench.ts [--quick] [--espruino PATH] [--out DIR] [--board id]");
  return args;
}

const out = (text: string) => console.log(text + "\n");

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const ms = args.quick ? 50 : 500;
  const runs = args.quick ? 1 : 5;
  const started = performance.now();
  console.log(`camnet bench${args.quick ? " (--quick: short runs, figures are rough)" : ""}, Node ${process.version}\n`);

  const builds = await buildAll(args.out);
  const grids = sizeGrids(builds);
  for (const g of grids) out(formatGrid(g));
  // One summary line per budget row and figure, naming the boards it is over on.
  const sizesOver = grids.flatMap((g) => g.rows.flatMap((r) => {
    const byValue = new Map<number, string[]>();
    r.cells.forEach((v, i) => {
      if (v !== null && r.max !== undefined && v > r.max) byValue.set(v, [...(byValue.get(v) ?? []), g.columns[i]]);
    });
    const label = r.label.replace(/^= /, "");
    return [...byValue].map(([v, cols]) => `${label}: ${v} > ${r.max} bytes` + (g.columns.length > 1 ? ` (${cols.join(", ")})` : ""));
  }));
  const booted = builds.find((b) => b.board.id === args.board);
  if (!booted) throw new Error(`no board "${args.board}" in boards/`);
  const outDir = booted.outDir;
  const linuxDir = builds.find((b) => b.board.id === "linux")?.outDir ?? path.join(ROOT, "dist", "linux");

  const sections: Section[] = [];
  const show = (s: Section) => {
    sections.push(s);
    out(formatSection(s));
  };

  const [lookups, runtimeVars] = await benchRuntime(outDir, args.board, ms);
  show({ title: "Emulator: boot (as npm start) and memory", figures: [...(await benchBoot(outDir, args.board, runs)), runtimeVars] });

  const dns: Figure[] = benchDns(ms).map((r) => ({
    what: r.what, value: r.ours, unit: r.unit, peer: r.peer, peerName: "dns-packet",
    note: r.unit === "ops/s" ? "Node, same run" : undefined,
  }));
  show({ title: "DNS and names (Node)", figures: [...dns, lookups, ...(await benchResolver(ms))] });

  show({ title: "cold getaddrinfo against dnsmasq, beside c-ares (Linux board, loopback)", figures: await benchGetaddrinfoCold(linuxDir, { quick: args.quick }) });

  show({ title: "ntptime (emulator)", figures: await benchNtp(outDir, args.board, runs) });
  show({ title: "ntptime vs a real chronyd, beside ntpdig (same run)", figures: await benchNtpChrony(linuxDir, 2 * runs + 1) });

  show({ title: "mdns against avahi-daemon (Linux board and avahi in network namespaces)", figures: await benchMdns(linuxDir, { quick: args.quick }) });

  show({ title: "Streams and TLS (linux board in the emulator, real sockets on loopback)",
    figures: [...(await benchStreams(linuxDir, args.quick ? 32 : 1024, runs)), ...(await benchTlsHandshake(linuxDir, args.quick ? 1 : 9))] });

  if (args.espruino) {
    if (!existsSync(args.espruino)) show({ title: "Real interpreter", figures: [{ what: "micro-benchmarks", value: null, unit: "", note: `failed: no binary at ${args.espruino}` }] });
    else show({ title: `Real interpreter (${args.espruino})`, figures: await benchEspruino(args.espruino, { quick: args.quick, linuxOutDir: linuxDir }) });
  }

  const all = sections.flatMap((s) => s.figures);
  const over = all.filter((f) => verdict(f) === "OVER").map((f) => f.what);
  const failed = all.filter((f) => verdict(f) === "FAIL").map((f) => f.what);
  console.log(`== Summary: ${sizesOver.length} size(s) and ${over.length} other figure(s) OVER budget, ${failed.length} failed to measure; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const w of [...sizesOver, ...over]) console.log("  OVER  " + w);
  for (const w of failed) console.log("  FAIL  " + w);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);
