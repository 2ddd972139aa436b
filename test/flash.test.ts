// The flashing path without a board: the real Espruino CLI (spawned) uploads the built firmware
// into an emulated ESP32 through the emulator's console (Espruino's telnet console on TCP), the
// firmware then boots from Storage after a power cycle, joins Wi-Fi and registers its name with
// the router; REPL lines over the same console are answered; config errors show at boot.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { bracketDepth, startConsole, type ConsoleServer } from "../emulator/console.ts";
import { defaultLan, LAB_KEY, LAB_SSID } from "../emulator/default-lan.ts";
import { until } from "../emulator/espruino/testing.ts";
import type { Lan, Router } from "../emulator/lan/lan.ts";
import { ROOT } from "../scripts/build.ts";
import { checkPort, cliBoardJson, findBoard, flash, parseArgs, runCli } from "../scripts/flash.ts";
import { dnsData } from "./helpers/dns.ts";

/** A raw client of the console: what a person with `nc 127.0.0.1 PORT` sees. */
class ConsoleClient {
  text = "";
  private socket: net.Socket;
  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d) => (this.text += d.toString("latin1")));
  }
  static open(port: number): Promise<ConsoleClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(new ConsoleClient(s)));
      s.once("error", reject);
    });
  }
  /** Sends `input` and resolves with what came back up to the next prompt. */
  async send(input: string, endsWith = "\r\n>"): Promise<string> {
    const from = this.text.length;
    this.socket.write(input, "latin1");
    await until(() => this.text.slice(from).endsWith(endsWith), JSON.stringify(input), 5000);
    return this.text.slice(from);
  }
  /** Sends without waiting. */
  write(input: string): void {
    this.socket.write(input, "latin1");
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A serial port with the emulated console at its other end (test/helpers/pty-bridge.py). */
function serialPort(consolePort: number): Promise<{ port: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const bridge = spawn("python3", [path.join(ROOT, "test", "helpers", "pty-bridge.py"), String(consolePort)], { stdio: ["pipe", "pipe", "inherit"] });
    bridge.once("error", reject);
    bridge.stdout.once("data", (d: Buffer) => resolve({ port: d.toString().trim(), close: () => bridge.stdin.end() }));
  });
}

const CONFIG = { ssid: LAB_SSID, key: LAB_KEY, hostname: "kitchen-cam" };
const bootLine = (b: EmulatedBoard, re: RegExp) => b.output.find((l) => re.test(l));

describe("flash: the Espruino CLI into the emulated console", function () {
  this.timeout(30000);
  let lan: Lan;
  let router: Router;
  let con: ConsoleServer;
  let aborter = new AbortController();
  let tmp = "";
  before(() => (tmp = mkdtempSync(path.join(tmpdir(), "camnet-flash-test-"))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  beforeEach(async () => {
    aborter = new AbortController();
    ({ lan, router } = defaultLan());
    // a board fresh from the factory: an empty Storage, no camnet bundle
    const board = await bootBoard({ board: "esp32", lan, code: "" });
    con = await startConsole(board, 0);
  });
  afterEach(async () => {
    aborter.abort(); // kills a CLI still running after a failure
    await con.close();
    con.board.powerOff();
    lan.close();
  });

  it("uploads the built firmware and camnet.json; after a power cycle it boots, joins Wi-Fi, kitchen-cam.lan resolves and the console answers", async () => {
    const log: string[] = [];
    const result = await flash({ board: "esp32", port: `tcp://127.0.0.1:${con.port}`, build: false, wifi: CONFIG, log: (l) => log.push(l), signal: aborter.signal });
    const firmware = readFileSync(path.join(ROOT, "dist", "esp32", "firmware.js"), "latin1");
    assert.equal(result.bundle, path.join(ROOT, "dist", "esp32", "firmware.js"));
    assert.ok(log.some((l) => /upload 100%/.test(l)), log.join("\n"));
    assert.ok(log.includes("Upload Complete"), log.join("\n"));
    // the CLI wrote both files through require("Storage").write lines
    assert.equal(con.board.storage.get(".bootcde"), firmware);
    assert.deepEqual(JSON.parse(con.board.storage.get("camnet.json")!), CONFIG);

    // the reset button: a fresh chip that only has Storage; the firmware runs from .bootcde
    const before = con.board;
    const board = await con.powerCycle();
    assert.notEqual(board, before);
    await until(() => bootLine(board, /^\[boot\] wifi: /), "the Wi-Fi boot line", 8000);
    assert.match(bootLine(board, /^\[boot\] wifi: /)!, /joined "camnet-lab" as 192\.168\.1\.\d+/);
    assert.match(bootLine(board, /^\[boot\] host name /)!, /kitchen-cam/);
    const ip = board.eval(`require("network").WLAN(0).ifconfig()[0]`) as string;
    const laptop = lan.addHost({ name: "laptop", ip: "192.168.1.20" });
    assert.deepEqual(await dnsData(laptop, router.address, "kitchen-cam.lan", "A"), [ip]);

    // REPL lines over the console: echo, "=value", the prompt
    const client = await ConsoleClient.open(con.port);
    try {
      // (the firmware's boot lines may still come in between: they erase the prompt and print)
      const reply = await client.send(`require("network").hostname()\r`);
      assert.ok(reply.includes(`require("network").hostname()\r\n="kitchen-cam"\r\n>`), JSON.stringify(reply));
      const addr = await client.send(`require("network").WLAN(0).ifconfig()[0]\n`);
      assert.ok(addr.includes(`require("network").WLAN(0).ifconfig()[0]\r\n="${ip}"\r\n>`), JSON.stringify(addr));
    } finally {
      client.close();
    }
  });

  it("a RAM upload with -e save() keeps the code in .bootcde: it runs again at power-on", async () => {
    const file = path.join(tmp, "app.js");
    writeFileSync(file, 'var n = 6 * 7;\nfunction greet(x) {\n  return "answer " + x;\n}\nprint(greet(n));\n');
    const boardJson = path.join(tmp, "board.json");
    writeFileSync(boardJson, JSON.stringify(cliBoardJson(findBoard("esp32"))));
    // the CLI's default upload (to RAM, line by line, with line numbers), then save()
    const args = ["--no-ble", "-p", `tcp://127.0.0.1:${con.port}`, "--board", boardJson, file, "-e", "save()"];
    const run = await runCli(args, { signal: aborter.signal, timeoutMs: 20000 });
    assert.equal(run.code, 0, run.lines.join("\n"));
    assert.ok(con.board.output.includes("answer 42"), con.board.output.join("\n") + "\n---\n" + run.lines.join("\n"));
    assert.match(con.board.storage.get(".bootcde") ?? "", /function greet/);
    const board = await con.powerCycle();
    assert.ok(board.output.includes("answer 42"), board.output.join("\n"));
  });

  it("config errors at boot: no SSID says what to write to camnet.json; a bad host name says why and keeps the default", async () => {
    await flash({ board: "esp32", port: `tcp://127.0.0.1:${con.port}`, build: false, wifi: { hostname: "kitchen-cam" }, log: () => undefined, signal: aborter.signal });
    let board = await con.powerCycle();
    const noSsid = bootLine(board, /^\[boot\] config: /);
    assert.ok(noSsid, board.output.join("\n"));
    assert.match(noSsid, /SSID/);
    assert.match(noSsid, /camnet\.json/);
    assert.ok(!bootLine(board, /^\[boot\] wifi: joined/));

    // fix it over the console the way a person would, with a bad host name this time
    const client = await ConsoleClient.open(con.port);
    try {
      await client.send(`require("Storage").writeJSON("camnet.json", {ssid: "${LAB_SSID}", key: "${LAB_KEY}", hostname: "kitchen_cam!"})\r`);
    } finally {
      client.close();
    }
    board = await con.powerCycle();
    const bad = bootLine(board, /^\[boot\] config: /);
    assert.ok(bad, board.output.join("\n"));
    assert.match(bad, /kitchen_cam!/); // names the bad name
    await until(() => bootLine(board, /^\[boot\] wifi: /), "the Wi-Fi boot line", 8000);
    assert.match(bootLine(board, /^\[boot\] host name /)!, /espressif/);
  });

  it("over a serial port (a pseudo-terminal wired to the console): uploads at the board's baud rate, and the firmware boots from it", async function () {
    this.timeout(90000);
    const { port, close } = await serialPort(con.port);
    try {
      const log: string[] = [];
      await flash({ board: "esp32", port, build: false, wifi: CONFIG, log: (l) => log.push(l), signal: aborter.signal, timeoutMs: 80000 });
      assert.ok(log.some((l) => l.includes(`to ${port} at 115200 baud`)), log.join("\n"));
      assert.ok(log.includes("Upload Complete"), log.join("\n"));
      assert.equal(con.board.storage.get(".bootcde"), readFileSync(path.join(ROOT, "dist", "esp32", "firmware.js"), "latin1"));
      const board = await con.powerCycle();
      await until(() => bootLine(board, /^\[boot\] wifi: joined/), "the Wi-Fi boot line", 8000);
    } finally {
      close();
    }
  });

  it("says what is wrong: unknown board (with the list), no port, a mistyped flag, nothing listening", async () => {
    assert.throws(() => parseArgs(["--board", "esp32", "--buad", "9600"], ["verbose"], ["board", "baud"]),
      (e: Error & { code?: string }) => e.code === "EUSAGE" && /unknown flag --buad; known: --board --baud --verbose/.test(e.message));
    assert.deepEqual(parseArgs(["--board=esp32", "--baud", "9600", "--verbose"], ["verbose"], ["board", "baud"]), { board: "esp32", baud: "9600", verbose: true });
    assert.throws(() => findBoard("esp32-nope"), (e: Error & { code?: string }) => e.code === "EBOARD" && /esp32-nope/.test(e.message) && /\n  esp32 \(/.test(e.message));
    assert.throws(() => checkPort(undefined), (e: Error & { code?: string }) => e.code === "ENOPORT" && /--port/.test(e.message) && /--emulator/.test(e.message));
    assert.throws(() => checkPort("tcp://host:port"), (e: Error & { code?: string }) => e.code === "ENOPORT");
    await con.close(); // nothing listens there any more
    await assert.rejects(
      flash({ board: "esp32", port: `tcp://127.0.0.1:${con.port}`, build: false, wifi: CONFIG, log: () => undefined, signal: aborter.signal }),
      (e: Error & { code?: string }) => e.code === "ECLI" && /nothing answers/.test(e.message),
    );
  });
});

describe("console: Espruino's line discipline", function () {
  let lan: Lan;
  let con: ConsoleServer;
  let client: ConsoleClient;

  beforeEach(async () => {
    ({ lan } = defaultLan());
    con = await startConsole(() => bootBoard({ board: "esp32", lan, code: "" }), 0);
    client = await ConsoleClient.open(con.port);
  });
  afterEach(async () => {
    client.close();
    await con.close();
    con.board.powerOff();
    lan.close();
  });

  it("echoes, prints =value and the prompt; \\x10 silences a line; echo(0) silences all", async () => {
    assert.equal(await client.send("\n"), "\r\n=undefined\r\n>"); // what the CLI sends to find the prompt
    assert.equal(await client.send("1+2\r\n"), "1+2\r\n=3\r\n>");
    assert.equal(await client.send(`({a: [1, "x"], "b-c": null})\r`), `({a: [1, "x"], "b-c": null})\r\n={ a: [ 1, "x" ], "b-c": null }\r\n>`);
    // \x10: no echo and no result; the prompt stays where it was
    client.write("\x10var hidden = 5\n");
    assert.equal(await client.send("hidden\n"), "hidden\r\n=5\r\n>");
    assert.ok(!client.text.includes("var hidden"));
    // the CLI's process.env query
    const env = await client.send(`\x10print("<","<<",JSON.stringify(process.env),">>",">")\n`, ">> >\r\n>");
    const json = JSON.parse(/< << (.*) >> >/.exec(env)![1]!);
    assert.equal(json.BOARD, "ESP32");
    assert.equal(json.VERSION, "2v29");
    assert.match(json.MODULES, /Wifi/);
    assert.equal(json.CONSOLE, "Telnet");
    assert.equal(await client.send("echo(0)\n", "echo(0)\r\n"), "echo(0)\r\n"); // no result, no prompt
    const from = client.text.length;
    client.write("print('quiet')\n");
    await until(() => client.text.slice(from).includes("quiet\r\n"), "print output");
    assert.equal(client.text.slice(from), "quiet\r\n");
  });

  it("continues a line while brackets are open (':'), and on ESC+LF; ignores the CLI's line numbers", async () => {
    assert.equal(await client.send("function f(x) {\r", "\r\n:"), "function f(x) {\r\n:");
    assert.equal(await client.send("  return x * 2;\r", "\r\n:"), "  return x * 2;\r\n:");
    assert.equal(await client.send("}\r"), "}\r\n=undefined\r\n>");
    assert.equal(await client.send("f(21)\r"), "f(21)\r\n=42\r\n>");
    assert.equal(await client.send("\x1b[3dvar s = '{(' +\x1b\n  ')}'\n"), "var s = '{(' +\r\n:  ')}'\r\n=undefined\r\n>");
    assert.equal(await client.send("s\n"), `s\r\n="{()}"\r\n>`);
    assert.equal(bracketDepth("a(/[(]/.test(x), `${ {a: 1}.a }`"), 1);
    assert.equal(bracketDepth("x = 'a(' // (\n"), 0);
  });

  it("reset() starts a fresh chip with Storage kept; save() and E.setBootCode() fill .bootcde; load() runs it", async () => {
    await client.send(`require("Storage").write("keep", "kept")\r`);
    await client.send("var mine = 1\r");
    const first = con.board;
    const reset = await client.send("reset()\r");
    assert.match(reset, /espruino\.com/);
    assert.notEqual(con.board, first);
    assert.match(await client.send("typeof mine\r"), /="undefined"/);
    assert.match(await client.send(`require("Storage").read("keep")\r`), /="kept"/);

    await client.send("var counter = 40\r");
    await client.send("function bump() { counter += 2; print('counter ' + counter); }\r");
    await client.send("bump()\r");
    assert.match(await client.send("save()\r"), /Saved \d+ bytes to Storage ".bootcde"/);
    const saved = con.board.storage.get(".bootcde")!;
    assert.match(saved, /var counter = 40/);
    assert.ok(!/save\(\)|Storage"\)\.write/.test(saved), saved);
    await client.send("load()\r");
    assert.ok(con.board.output.includes("counter 42"));
    assert.match(await client.send("counter\r"), /=42/);

    await client.send(`E.setBootCode("print('from boot code')")\r`);
    const board = await con.powerCycle();
    assert.deepEqual(board.output.filter((l) => l === "from boot code"), ["from boot code"]);
  });
});

