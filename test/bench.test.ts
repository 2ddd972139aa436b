// `npm run bench` runs to the end in its tiny mode and prints its tables; the table logic
// marks figures over budget. Speed itself is never asserted.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, type SizesReport } from "../scripts/build.ts";
import { budgetedSums, moduleSizes, SOCKET_OBJECTS_FILE } from "../scripts/bench/sizes.ts";
import { formatGrid, formatSection, median, verdict, type Figure } from "../scripts/bench/table.ts";
import { espruinoBinary } from "../scripts/lib/espruino-run.ts";
import { probeWait, wireLatencies } from "../scripts/bench/mdns.ts";
import dnsPacket from "dns-packet";

function runBench(args: string[], limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/bench.ts", ...args], { cwd: ROOT });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bench did not exit within ${limitMs} ms:\n${stdout}\n${stderr}`));
    }, limitMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("bench: npm run bench -- --quick", function () {
  this.timeout(120000);
  let tmp = "";
  let run: { code: number | null; stdout: string; stderr: string };

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "camnet-bench-"));
    run = await runBench(["--quick", "--out", tmp], 110000);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("exits 0 by itself and prints every table heading", () => {
    assert.equal(run.code, 0, run.stderr + run.stdout);
    for (const heading of [
      "== Bundle size: camnet.js, minified bytes per module",
      "== Bundle size: whole outputs against each board's budget",
      "== Emulator: boot (as npm start) and memory",
      "== DNS and names (Node)",
      "== ntptime (emulator)",
      "== mdns against avahi-daemon",
      "== Streams and TLS",
      "== Summary:",
    ]) assert.ok(run.stdout.includes(heading), `missing "${heading}" in:\n${run.stdout}`);
    assert.doesNotMatch(run.stdout, /Real interpreter/, "no --espruino, no real-interpreter section");
  });

  it("prints every figure the issues ask for, each with its budget", () => {
    for (const row of [
      /^= platform \+ network .* <= 4096/m,
      /^= dns \+ socket names .* <= 7168/m,
      /^= mdns .* <= 6144/m,
      /^= ntptime .* <= 2048/m,
      /^= socket objects \+ asyncio \+ ssl .* <= 5120/m,
      /^= whole runtime \(camnet\.js\) .* <= 24576/m,
      /^boot to connected, esp32 firmware\.js .* <= 1000 ms/m,
      /^power-on to serving http:\/\/kitchen-cam\.local\/ to a laptop \(wall\) +[\d.]+ ms/m,
      /^JsVars in use after firmware boot .* <= 1638 vars/m,
      /^dns: parse typical answer .* dns-packet: \d+/m,
      /^cached getaddrinfo, bundle in the emulator .* >= 50000 \/s/m,
      /^cached Resolver\.query .* >= 50000 \/s/m,
      /^ntptime\.settime\(\) offset error .* <= 1 ms/m,
      /^TCP echo throughput, shim \/ raw Node net .* >= 0\.8 x/m,
      /^TLS handshake, connect\(\) to handshake done/m,
      /^ntptime\.settime\(\): board clock error vs real chronyd .*(ntpdig: [\d.]+ \(x[\d.]+\)|failed: )/m,
    ]) assert.match(run.stdout, row);
  });

  it("prints issue 4's figures against avahi, each with a value or the reason it failed to measure", () => {
    for (const row of [/^link-up to resolvable by avahi /m, /^ {2}the same \/ its RFC floor /m, /^answer latency, unique A: /m]) {
      const line = run.stdout.split("\n").find((l) => row.test(l));
      assert.ok(line, `no row ${row} in:\n${run.stdout}`);
      assert.match(line!, / [\d.]+ (ms|x) .*|failed to measure: \S/, line);
    }
    assert.match(run.stdout, /RFC floor .* <= 1\.1 x/);
  });

  it("prints issue 3's cold getaddrinfo beside c-ares against one dnsmasq, or why it failed to measure", () => {
    for (const row of [/^cold getaddrinfo \(A, AF_INET\)/m, /^cold getaddrinfo \/ c-ares resolve4/m]) {
      const line = run.stdout.split("\n").find((l) => row.test(l));
      assert.ok(line, `no row ${row} in:\n${run.stdout}`);
      assert.match(line!, / [\d.]+ (ms|x) .*|failed to measure: \S/, line);
    }
    assert.match(run.stdout, /c-ares resolve4: [\d.]+ \(x[\d.]+\)|failed to measure/);
    assert.match(run.stdout, /c-ares resolve4, same dnsmasq, same run .*<= 1\.5 x|failed to measure/);
  });

  it("reads the sizes of the fresh build it made", () => {
    for (const board of ["esp32", "linux"]) {
      const sizes = JSON.parse(readFileSync(path.join(tmp, board, "sizes.json"), "utf8")) as SizesReport;
      const bytes = sizes.outputs["camnet.js"].bytes;
      assert.match(run.stdout, new RegExp(`^${board}/camnet\\.js +${bytes}\\b`, "m"));
    }
  });

  it("boots, joins and sets the clock in the emulator (the boot and ntptime rows have values)", () => {
    assert.match(run.stdout, /^boot to connected, esp32 firmware\.js \S.* +[\d.]+ ms +<=/m);
    assert.doesNotMatch(run.stdout, /^ {2}FAIL {2}boot/m);
  });
});

describe("bench: tables", () => {
  const fig = (f: Partial<Figure>): Figure => ({ what: "x", value: 1, unit: "ms", ...f });

  it("a figure over its budget says OVER, within it ok, without one -", () => {
    assert.equal(verdict(fig({ value: 0.6, max: 0.5 })), "OVER");
    assert.equal(verdict(fig({ value: 0.5, max: 0.5 })), "ok");
    assert.equal(verdict(fig({ value: 40000, min: 50000 })), "OVER");
    assert.equal(verdict(fig({ value: 60000, min: 50000 })), "ok");
    assert.equal(verdict(fig({})), "-");
    assert.equal(verdict(fig({ value: null, note: "not wired yet" })), "-");
    assert.equal(verdict(fig({ value: null, max: 1, note: "failed: ETIMEDOUT" })), "FAIL");
  });

  it("prints the value beside its budget and the peer with the ratio", () => {
    const text = formatSection({ title: "T", figures: [fig({ what: "parse", value: 200, unit: "ops/s", peer: 100, peerName: "dns-packet", min: 150 })] });
    assert.match(text, /^== T$/m);
    assert.match(text, /^parse +200 ops\/s +>= 150 ops\/s +dns-packet: 100 \(x2\.00\) +ok/m);
  });

  it("grid cells over their row's budget carry OVER", () => {
    const text = formatGrid({ title: "G", columns: ["a", "b"], rows: [{ label: "mdns", cells: [6000, 7000], max: 6144 }, { label: "x", cells: [null, 1] }] });
    assert.match(text, /^mdns +6000 +7000 OVER +<= 6144/m);
    assert.match(text, /^x +- +1/m);
  });

  it("splits src/socket into names and objects, and sums the budgeted groups", () => {
    const out = {
      bytes: 1000, loweredBytes: 2000,
      groups: { platform: 100, network: 200, dns: 300, socket: 350, glue: 50 },
      files: [{ file: SOCKET_OBJECTS_FILE, bytes: 120 }, { file: "src/socket/names.ts", bytes: 230 }],
    };
    const m = moduleSizes(out);
    assert.equal(m["socket names"], 230);
    assert.equal(m["socket objects"], 120);
    assert.equal(m.socket, undefined);
    const sums = budgetedSums(m, out.bytes);
    assert.equal(sums["platform + network"], 300);
    assert.equal(sums["dns + socket names"], 530);
    assert.equal(sums["socket objects + asyncio + ssl"], 120);
    assert.equal(sums.mdns, null, "a module not in the bundle has no figure");
    assert.equal(sums["whole runtime (camnet.js)"], 1000);
  });

  it("mdns: the responder's probe wait is the last 0-250 ms timer followed by three 250 ms ones", () => {
    assert.deepEqual(probeWait([[5, 3000], [6, 0], [7, 87.5], [100, 250], [350, 250], [600, 250], [850, 1000]]), [7, 87.5]);
    assert.equal(probeWait([[6, 87.5], [100, 250], [350, 250]]), undefined, "two probe intervals are not probing");
    assert.equal(probeWait([[6, 300], [100, 250], [350, 250], [600, 250]]), undefined, "a 300 ms timer is no probe wait");
  });

  it("mdns: wire latency pairs each answer with the latest query for that name", () => {
    const pkt = (t: number, src: string, p: object) => ({ t, src, dst: "224.0.0.251", ttl: 255, sport: 5353, dport: 5353, payload: dnsPacket.encode(p as never) });
    const ask = { type: "query", questions: [{ name: "a.local", type: "A" }] };
    const ans = (ttl: number) => ({ type: "response", answers: [{ name: "A.local", type: "A", ttl, data: "10.0.0.1" }] });
    const caps = [pkt(0, "q", ask), pkt(5, "q", ask), pkt(6.5, "r", ans(120)), pkt(7, "r", ans(120)), pkt(10, "q", ask), pkt(11, "x", ans(120)),
      pkt(12, "r", ans(0)), pkt(13.25, "r", ans(120))];
    assert.deepEqual(wireLatencies(caps, "q", "r", "a.local", 0), [1.5, 3.25]);
    assert.deepEqual(wireLatencies(caps, "q", "r", "a.local", 8), [3.25]);
  });

  it("median", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});

describe("bench: --espruino on a real interpreter binary", function () {
  const bin = espruinoBinary();
  this.timeout(120000);
  (bin ? it : it.skip)("prints the DNS parse time per parse against 0.5 ms, and exits", async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "camnet-bench-"));
    try {
      const r = await runBench(["--quick", "--out", tmp, "--espruino", bin!], 110000);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /^== Real interpreter/m);
      assert.match(r.stdout, /^dns: parse typical answer \(1 Q \+ 3 A\), per parse +[\d.]+ ms +<= 0\.5 ms/m);
      assert.match(r.stdout, /^mdns: drop a query that asks nothing of us +[\d.]+ ms +<= 0\.05 ms/m);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
