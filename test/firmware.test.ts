// The camera firmware (firmware/main.ts, built fresh) booting on emulated boards on the
// default virtual LAN: its boot log, its page reached by another host by <name>.local and
// <name>.lan, the snapshot, bad input, and steps that fail at boot and recover.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { cameraStorage, TEST_FRAME } from "../emulator/camera.ts";
import { defaultLan, LAB_KEY, LAB_SSID } from "../emulator/default-lan.ts";
import { until } from "../emulator/espruino/testing.ts";
import type { Host } from "../emulator/lan/host.ts";
import { buildBoard, loadBoards } from "../scripts/build.ts";
import { ev } from "./helpers/board.ts";
import { exchange, httpGet, parseReply } from "./helpers/laptop.ts";

const CONFIG = { ssid: LAB_SSID, key: LAB_KEY, hostname: "kitchen-cam" };

describe("camera firmware on the emulator", function () {
  this.timeout(30000);
  let tmp: string;
  const bundles: Record<string, string> = {};
  let net: ReturnType<typeof defaultLan>;
  let laptop: Host;
  const boards: EmulatedBoard[] = [];

  before(async function () {
    this.timeout(60000);
    tmp = mkdtempSync(path.join(tmpdir(), "camnet-firmware-"));
    for (const b of loadBoards().filter((p) => p.id === "esp32" || p.id === "esp32-verify")) {
      const built = await buildBoard({ ...b, budgetBytes: undefined }, { outDir: path.join(tmp, b.id) });
      bundles[b.id] = path.join(built.outDir, "firmware.js");
    }
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  beforeEach(() => {
    net = defaultLan();
    laptop = net.lan.addHost({ name: "laptop", ip: "192.168.1.20" });
  });
  afterEach(() => {
    boards.splice(0).forEach((b) => b.powerOff());
    net.lan.close();
  });

  async function boot(board: string, storage: Record<string, string> = {}, config: object | null = CONFIG): Promise<EmulatedBoard> {
    const files = config ? { "camnet.json": JSON.stringify(config), ...storage } : storage;
    const b = await bootBoard({ board, lan: net.lan, bundle: bundles[board], storage: files });
    boards.push(b);
    return b;
  }
  const lines = (b: EmulatedBoard, step: string) => b.output.filter((l) => l.startsWith(`[boot] ${step}`));
  const logged = (b: EmulatedBoard, step: string, what: RegExp, limitMs = 10000) =>
    until(() => lines(b, step).some((l) => what.test(l)) || b.errors.length, `${step} ${what}`, limitMs).then(() => {
      assert.deepEqual(b.errors, []);
      return lines(b, step).find((l) => what.test(l))!;
    });
  const serving = (b: EmulatedBoard) => logged(b, "http:", /serving/);
  const get = (url: string) => httpGet(laptop, net.router.address, url);
  const ip = (b: EmulatedBoard) => ev(b, `require("network").WLAN(0).ifconfig()[0]`) as string;

  it("boots step by step, one [boot] line each, and serves its page by .local (our responder) and .lan", async () => {
    const b = await boot("esp32-verify");
    await serving(b);
    await logged(b, "clock:", /set to \d{4}-/);
    for (const step of ["host name kitchen-cam", "mdns:", "wifi: joined", "http: serving", "clock: set"]) {
      assert.equal(b.output.filter((l) => l.startsWith("[boot] " + step)).length, 1, step);
    }
    const local = await get("http://kitchen-cam.local/");
    const lan = await get("http://kitchen-cam.lan/");
    assert.equal(local.ip, ip(b));
    assert.equal(lan.ip, ip(b));
    for (const r of [local, lan]) {
      assert.equal(r.statusLine, "HTTP/1.0 200 OK");
      assert.equal(r.headers["content-type"], "text/plain");
      assert.equal(Number(r.headers["content-length"]), r.body.length);
    }
    const page = local.body.toString();
    assert.match(page, /^name: kitchen-cam$/m);
    assert.match(page, new RegExp(`^address: ${ip(b).replace(/\./g, "\\.")}$`, "m"));
    const clock = /^clock: (.*)$/m.exec(page)![1];
    assert.ok(Math.abs(Date.parse(clock) - Date.now()) < 5000, `the clock was set: ${clock}`);
    const uptime = Number(/^uptime: (\d+) s$/m.exec(page)![1]);
    assert.ok(uptime < 60, `uptime follows the clock step from 1970: ${uptime} s`);
    assert.match(page, /^free memory: \d+ vars$/m);
    assert.equal(ev(b, `require("mdns").hostname()`), "kitchen-cam", "our responder holds the name");
    // the firmware offers the name functions, not socket objects: their constants stay out too
    assert.deepEqual(ev(b, `var s = require("socket"); [s.AF_INET, s.EAI_NONAME, typeof s.socket, typeof s.SO_REUSEADDR]`),
      [2, -2, "undefined", "undefined"]);
  });

  it("stock ESP32: the firmware's own responder answers kitchen-cam.local; the page is reachable by both names", async () => {
    const b = await boot("esp32");
    await serving(b);
    assert.match(lines(b, "mdns:")[0], /firmware's responder/);
    assert.equal((await get("http://kitchen-cam.local/")).status, 200);
    assert.equal((await get("http://kitchen-cam.lan/")).status, 200);
  });

  it("the page says 'clock: not set' before the clock is set (NTP down), then the time once it comes back", async () => {
    net.router.ntp.enabled = false;
    const b = await boot("esp32");
    await serving(b);
    const failed = await logged(b, "clock:", /retrying in 1 s/);
    assert.match(failed, /ETIMEDOUT/);
    assert.match((await get("http://kitchen-cam.lan/")).body.toString(), /^clock: not set$/m);
    net.router.ntp.enabled = true;
    await logged(b, "clock:", /set to \d{4}-/, 15000);
    assert.doesNotMatch((await get("http://kitchen-cam.lan/")).body.toString(), /not set/);
  });

  it("/snapshot gives the emulator's test frame as image/jpeg; without a camera driver 503 says so", async () => {
    const withCamera = await boot("esp32", cameraStorage());
    await serving(withCamera);
    const r = await get("http://kitchen-cam.lan/snapshot");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "image/jpeg");
    assert.deepEqual(new Uint8Array(r.body), TEST_FRAME);
    assert.deepEqual([...r.body.subarray(0, 2)], [0xff, 0xd8], "JPEG SOI");

    withCamera.powerOff();
    const bare = await boot("esp32", {}, { ...CONFIG, hostname: "bare-cam" });
    await serving(bare);
    const none = await get("http://bare-cam.lan/snapshot?size=vga");
    assert.equal(none.statusLine, "HTTP/1.0 503 Service Unavailable");
    assert.equal(none.body.toString(), "no camera driver on this board\n");
  });

  it("bad requests get 400 (405 for other methods, 404 for other paths) and the server keeps serving", async () => {
    const b = await boot("esp32");
    await serving(b);
    const at = ip(b);
    const garbage: (string | Uint8Array)[] = [
      "hello\r\n", "\x00\xff\xfe\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET nopath HTTP/1.1\r\n\r\n",
      "get / http/1.1\r\n\r\n", "GET /" + "a".repeat(3000), new Uint8Array(600).map((_, i) => (i * 37) & 255),
    ];
    for (const g of garbage) {
      const r = parseReply(await exchange(laptop, at, 80, g).catch((e) => { throw new Error(JSON.stringify(g).slice(0, 40) + ": " + e.message); }));
      assert.equal(r.statusLine, "HTTP/1.0 400 Bad Request", JSON.stringify(g).slice(0, 40));
    }
    assert.equal(parseReply(await exchange(laptop, at, 80, "POST / HTTP/1.1\r\n\r\n")).status, 405);
    assert.equal(parseReply(await exchange(laptop, at, 80, "GET /admin HTTP/1.0\n\n")).status, 404);
    // A request split across segments, LF line ends, HTTP/1.0: still answered.
    const s = await laptop.tcpConnect(at, 80);
    const chunks: Buffer[] = [];
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => s.end());
    const closed = new Promise((resolve) => s.on("close", resolve));
    s.on("error", (e: Error) => chunks.push(Buffer.from(`(${e.message})`)));
    s.write("GE");
    await new Promise((r) => setTimeout(r, 20));
    s.write("T / HTTP/1.0\nHost: x\n\n");
    await closed;
    assert.equal(parseReply(Buffer.concat(chunks)).status, 200);
    assert.equal((await get("http://kitchen-cam.lan/")).status, 200);
    assert.deepEqual(b.errors, []);
  });

  it("config errors are named at boot: no SSID, a bad host name, no camnet.json", async () => {
    const noSsid = await boot("esp32", {}, { key: "x", hostname: "kitchen-cam" });
    await logged(noSsid, "config:", /no Wi-Fi SSID in camnet\.json: add "ssid" and "key"/);
    assert.equal(lines(noSsid, "wifi:").length, 0, "no join attempted");
    assert.match(lines(noSsid, "host name")[0], /kitchen-cam/, "the other steps still ran");
    assert.equal(lines(noSsid, "mdns:").length, 1);

    const badName = await boot("esp32", {}, { ...CONFIG, hostname: "kitchen_cam" });
    await logged(badName, "config:", /host name "kitchen_cam" contains "_".*; keeping espressif/);
    await logged(badName, "wifi:", /joined/);
    await serving(badName);

    const none = await boot("esp32", {}, null);
    await logged(none, "config:", /no readable Storage file camnet\.json/);
  });

  it("Wi-Fi down at boot is retried with backoff; the page comes up once the access point appears", async () => {
    net.ap.setEnabled(false);
    const b = await boot("esp32");
    const first = await logged(b, "wifi:", /retrying in 1 s/);
    assert.match(first, /NO_AP_FOUND.*camnet-lab/);
    await logged(b, "wifi:", /retrying in 2 s/, 5000);
    assert.equal(lines(b, "http:").length, 0);
    net.ap.setEnabled(true);
    await logged(b, "wifi:", /joined/, 10000);
    await serving(b);
    assert.equal((await get("http://kitchen-cam.local/")).status, 200);
    await logged(b, "clock:", /set to/);
  });

  it("a lost link is logged and rejoined by the network module; the page is served again", async () => {
    const b = await boot("esp32");
    await serving(b);
    net.ap.setEnabled(false);
    await logged(b, "wifi:", /link lost/);
    net.ap.setEnabled(true);
    const deadline = Date.now() + 15000;
    while ((await get("http://kitchen-cam.lan/").catch(() => null))?.status !== 200) {
      assert.ok(Date.now() < deadline, "the page is back within 15 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    await logged(b, "wifi:", /reconnecting in/);
    assert.deepEqual(b.errors, []);
  });
});
