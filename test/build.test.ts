// The build: every board profile gives minified bundles, a size report per module, and
// budgets are enforced. One build per board (in a temp dir) is shared by the tests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  BudgetError, buildBoard, buildBundle, defaultEntries, formatSizeTable, groupOf, loadBoards, ROOT,
  type BoardBuild, type BoardProfile, type SizesReport,
} from "../scripts/build.ts";
import { espruinoBinary, runOnEspruino } from "../scripts/lib/espruino-run.ts";
import { answer } from "../firmware/http.ts";

describe("build: every board profile", function () {
  const boards = loadBoards();
  const builds = new Map<string, BoardBuild>();
  let tmp = "";

  before(async function () {
    this.timeout(120000); // seven boards, two bundles each
    tmp = mkdtempSync(path.join(tmpdir(), "camnet-build-"));
    for (const b of boards) builds.set(b.id, await buildBoard(b, { outDir: path.join(tmp, b.id) }));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("finds the board profiles, named by file", () => {
    assert.ok(boards.length >= 3);
    assert.ok(boards.some((b) => b.id === "esp32") && boards.some((b) => b.id === "linux"));
    for (const b of boards) assert.equal(typeof b.capabilities, "object", b.id);
  });

  for (const id of ["esp32", "esp32-verify", "linux"]) {
    it(`${id}: writes camnet.js${existsSync(path.join(ROOT, "firmware/main.ts")) ? ", firmware.js" : ""} and sizes.json`, () => {
      const b = builds.get(id);
      assert.ok(b, `no board ${id}`);
      for (const out of Object.keys(defaultEntries())) {
        const file = path.join(b.outDir, out);
        assert.ok(existsSync(file), `${file} missing`);
        const code = readFileSync(file, "utf8");
        assert.ok(code.length > 500, `${out} is suspiciously small`);
        // Minified: no esbuild file markers, no indentation, very few lines.
        assert.ok(!/\/\/ src\//.test(code), `${out} still has comments`);
        assert.ok(!/\n {2,}\S/.test(code), `${out} is indented`);
        assert.ok(code.split("\n").length < 40, `${out} has ${code.split("\n").length} lines`);
        assert.equal(Buffer.byteLength(code), b.outputs[out].bytes);
      }
      const sizes = JSON.parse(readFileSync(path.join(b.outDir, "sizes.json"), "utf8")) as SizesReport;
      assert.equal(sizes.board, id);
      const camnet = sizes.outputs["camnet.js"];
      const total = Object.values(camnet.groups).reduce((a, n) => a + n, 0);
      assert.equal(total, camnet.bytes, "module figures add up to the bundle size");
      assert.ok(camnet.groups.platform > 0 && camnet.groups.network > 0, JSON.stringify(camnet.groups));
      assert.ok(camnet.loweredBytes > camnet.bytes, "the minified bundle is smaller than the lowered one");
    });
  }

  it("bakes each board's profile into its bundle (CAMNET_BOARD, its fields as constants)", () => {
    const esp = readFileSync(path.join(builds.get("esp32")!.outDir, "camnet.js"), "utf8");
    const linux = readFileSync(path.join(builds.get("linux")!.outDir, "camnet.js"), "utf8");
    assert.match(esp, /"espressif"/);
    assert.match(linux, /"espruino"/);
    // capabilities decide the code: Wi-Fi on the ESP32, resolv.conf on Linux
    assert.match(esp, /\("Wifi"\)/);
    assert.doesNotMatch(esp, /resolv\.conf/);
    assert.match(linux, /resolv\.conf/);
    assert.doesNotMatch(linux, /\("Wifi"\)/);
    // no profile object kept for life: each field read is a constant
    assert.doesNotMatch(esp + linux, /defaultHostname:|buildTime:/);
  });

  it("prints a size table with a row per module and a total", () => {
    const table = formatSizeTable(builds.get("linux")!.sizes);
    assert.match(table, /^linux: minified bytes per module/);
    assert.match(table, /\nplatform +\d+/);
    assert.match(table, /\ntotal +\d+/);
  });

  it("groups sources by src/<dir>/", () => {
    assert.equal(groupOf("src/dns/resolver.ts"), "dns");
    assert.equal(groupOf("src/runtime.ts"), "runtime");
    assert.equal(groupOf("firmware/main.ts"), "firmware");
    assert.equal(groupOf("<define:CAMNET_BOARD>"), "board");
  });

  it("the linux bundle runs on the real Espruino interpreter and registers require('network')", function () {
    const bin = espruinoBinary();
    if (!bin) this.skip(); // set ESPRUINO_BIN to the Linux build to run this
    const code = readFileSync(path.join(builds.get("linux")!.outDir, "camnet.js"), "utf8");
    // quit() once the runtime's start-up (the mDNS responder's socket and probes) has run:
    // quitting in the middle of it fills the interpreter's IO FIFO instead of exiting.
    const lines = runOnEspruino(bin!, code + '\nsetTimeout(function () { print("hostname=" + require("network").hostname());' +
      ' print("mdns=" + require("mdns").hostname()); quit(); }, 2000);\n');
    assert.ok(lines.includes("hostname=espruino"), lines.join("\n"));
    assert.ok(lines.includes("mdns=espruino"), "the JS responder runs on the real interpreter: " + lines.join("\n"));
  });

  it("on the real interpreter, name look-ups succeed and fail with their codes, and nothing is left uncaught", function () {
    const bin = espruinoBinary();
    if (!bin) this.skip();
    const code = readFileSync(path.join(builds.get("linux")!.outDir, "camnet.js"), "utf8");
    const lines = runOnEspruino(bin!, code + `
var socket = require("socket"), out = function (tag) { return function (v) { print(tag + "=" + (v && v.code ? v.code : JSON.stringify(v))); }; };
socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM).then(out("numeric"), out("numeric"));
socket.getaddrinfo("nowhere.invalid", 80).then(out("unresolvable"), out("unresolvable"));
socket.getaddrinfo("printer.local", 80).then(out("local"), out("local"));
print("pton=" + JSON.stringify(socket.inet_pton(socket.AF_INET6, "2001:db8::1").length) + " aton=" + socket.inet_aton("10.1.2.3").length);
setTimeout(quit, 6000);
`, 20000);
    const text = lines.join("\n");
    assert.ok(lines.includes('numeric=[[2,1,6,"",["127.0.0.1",80]]]'), text);
    assert.match(text, /^unresolvable=EAI_(NONAME|AGAIN)$/m);
    assert.ok(lines.includes("local=EAI_NONAME"), text);
    assert.ok(lines.includes("pton=16 aton=4"), text);
    assert.doesNotMatch(text, /Uncaught|not defined|SyntaxError/, text);
  });

  it("the camera's HTTP request parsing answers the same on the real interpreter as on Node (HTTP/1.0 and 1.1, garbage)", async function () {
    const bin = espruinoBinary();
    if (!bin) this.skip();
    const heads = ["GET / HTTP/1.1\r\nHost: cam\r\n\r\n", "GET /snapshot?x=1 HTTP/1.0\r\n\r\n", "GET / HTTP/1.0 junk\r\n\r\n",
      "POST / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "hello\n\n", "GET /x HTTP/1.1\n\n"];
    const dir = mkdtempSync(path.join(tmpdir(), "camnet-http-entry-"));
    try {
      const entry = path.join(dir, "http.ts");
      writeFileSync(entry, `import { answer } from ${JSON.stringify(path.join(process.cwd(), "firmware", "http.ts"))};
declare function print(s: string): void;
for (const h of ${JSON.stringify(heads)}) { const r = answer(h, (p) => ({ status: 200, type: "text/plain", body: p })); print("HTTP " + r.status + " " + r.body); }`);
      const { minified } = await buildBundle({ entry, board: loadBoards().find((b) => b.id === "linux")!, label: "http-entry.js" });
      const board = runOnEspruino(bin!, minified + "\nquit();\n").filter((l) => l.startsWith("HTTP "));
      const node = heads.map((h) => { const r = answer(h, (p) => ({ status: 200, type: "text/plain", body: p })); return "HTTP " + r.status + " " + String(r.body).trimEnd(); });
      assert.deepEqual(board.map((l) => l.trimEnd()), node);
      assert.equal(node[0], "HTTP 200 /");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the linux firmware boots on the real interpreter: every step logs, a failing step retries with its code, nothing uncaught", function () {
    const bin = espruinoBinary();
    if (!bin) this.skip();
    const code = readFileSync(path.join(builds.get("linux")!.outDir, "firmware.js"), "utf8");
    const lines = runOnEspruino(bin!, code + "\nsetTimeout(quit, 3500);\n", 20000);
    const text = lines.join("\n");
    assert.match(text, /\[boot\] host name espruino/);
    assert.match(text, /\[boot\] http: serving \//);
    // no DNS server answers here: the clock step fails with the resolver's code and retries
    assert.match(text, /\[boot\] clock: EAI_\w+: .*retrying in 1 s/);
    assert.doesNotMatch(text, /Uncaught|not defined|SyntaxError/, text);
  });
});

describe("build: budgets", () => {
  const linux = loadBoards().find((b) => b.id === "linux")!;
  const entries = { "camnet.js": "src/runtime.ts" };

  it("refuses a bundle over budgetBytes, saying by how much", async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "camnet-budget-"));
    try {
      const tiny: BoardProfile = { ...linux, budgetBytes: 100 };
      const error = await buildBoard(tiny, { outDir: tmp, entries }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof BudgetError, String(error));
      const m = /camnet\.js is (\d+) bytes: (\d+) bytes over its budget of 100/.exec(error.message);
      assert.ok(m, error.message);
      assert.equal(Number(m[2]), Number(m[1]) - 100);
      assert.ok(!existsSync(path.join(tmp, "camnet.js")), "nothing is written when over budget");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("refuses a module over its own budget, and accepts generous budgets", async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "camnet-budget-"));
    try {
      const perModule: BoardProfile = { ...linux, budgetBytes: { modules: { network: 10 } } };
      const error = await buildBoard(perModule, { outDir: tmp, entries }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof BudgetError, String(error));
      assert.match(error.message, /module network in dist\/linux\/camnet\.js is \d+ bytes: \d+ bytes over its budget of 10/);
      const roomy: BoardProfile = { ...linux, budgetBytes: { camnet: 10_000_000, modules: { network: 10_000_000 } } };
      const ok = await buildBoard(roomy, { outDir: tmp, entries });
      assert.ok(ok.outputs["camnet.js"].bytes > 0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("build: command line --entry/--out", function () {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts", ...args], { cwd: ROOT, encoding: "utf8" });

  it("builds a single entry into --out, and fails naming file and line for a forbidden construct", () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "camnet-cli-"));
    try {
      const good = run(["--entry", "test/fixtures/dialect/clean.ts", "--out", tmp]);
      assert.equal(good.status, 0, good.stderr);
      assert.ok(existsSync(path.join(tmp, "clean.js")) && existsSync(path.join(tmp, "sizes.json")));
      const bad = run(["--entry", "test/fixtures/dialect/async.ts", "--out", tmp]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /test\/fixtures\/dialect\/async\.ts:2:\d+ +\[async\]/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("the exported pipeline keeps the stages apart (bundled -> lowered -> minified)", async () => {
    const r = await buildBundle({ entry: "test/fixtures/dialect/clean.ts", board: null, label: "clean.js" });
    assert.match(r.bundled, /class extends Base/, "stage 1 keeps ES2022 classes");
    assert.ok(!/\bclass\s/.test(r.lowered), "stage 2 lowers classes");
    assert.match(r.lowered, /\/\/ test\/fixtures\/dialect\/clean\.ts/, "stage 2 keeps esbuild's file markers");
    assert.ok(r.minified.length < r.lowered.length * 0.8, "stage 3 minifies");
  });
});
