// Socket objects and asyncio streams of the built Linux bundle on the REAL interpreter
// (Espruino's Linux build, real loopback sockets) against a Node echo server in this process.
// Skipped without the binary ($ESPRUINO_BIN or ../espruino-src/bin/espruino).
//
// It pins what the emulator cannot show: Espruino's Uint8Array.subarray does not clamp its
// end to the length (it reads past the end), so a last 1 KB piece of sendall, a recv(n)
// larger than what arrived, or a recvfrom(n) larger than the datagram must not use it so.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../scripts/build.ts";
import { espruinoBinary } from "../scripts/lib/espruino-run.ts";

/** Runs `code` after the bundle on the interpreter, asynchronously (this process keeps
 *  serving); resolves with the printed lines after the banner. */
function runAsync(bin: string, code: string, limitMs = 20000): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "camnet-espruino-sock-"));
  const file = path.join(dir, "run.js");
  writeFileSync(file, readFileSync(path.join(ROOT, "dist", "linux", "camnet.js"), "utf8") + "\n" + code);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      const text = out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
      const start = text.indexOf("espruino.com/Donate");
      if (start < 0) return reject(new Error("no Espruino banner: " + text));
      resolve(text.slice(start).split("\n").slice(1).map((l) => l.replace(/^>+/, "").trimEnd()).filter((l) => l));
    });
  });
}

describe("socket objects on the real interpreter (Linux build, loopback)", function () {
  this.timeout(30000);
  const bin = espruinoBinary();
  let tcp: net.Server | undefined;
  let udp: dgram.Socket | undefined;
  let received = Buffer.alloc(0);

  before(async function () {
    if (!bin) return this.skip();
    tcp = net.createServer((c) => {
      c.on("error", () => {});
      c.on("data", (d) => (received = Buffer.concat([received, d])));
      c.pipe(c);
    });
    await new Promise<void>((r) => tcp!.listen(0, "127.0.0.1", r));
    udp = dgram.createSocket("udp4");
    udp.on("message", (m, r) => udp!.send(m, r.port, r.address));
    await new Promise<void>((r) => udp!.bind(0, "127.0.0.1", r));
  });
  after(() => {
    tcp?.close();
    udp?.close();
  });

  it("sendall of 3007 bytes, recv larger than what arrived, asyncio lines, UDP recvfrom(1000) of 4 bytes, ECONNREFUSED", async () => {
    const port = (tcp!.address() as net.AddressInfo).port, uport = udp!.address().port;
    const lines = await runAsync(bin!, `
var socket = require("socket"), asyncio = require("asyncio");
function txt(u) { var s = ""; for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return s; }
var big = ""; for (var i = 0; i < 3000; i++) big += String.fromCharCode(97 + i % 26);
var s = socket.socket();
s.connect(["127.0.0.1", ${port}]).then(function () { return s.sendall("h\\u00e9llo " + big); }).then(function (n) {
  print("sent " + n);
  var got = ""; function more() { return s.recv(100000).then(function (d) { got += txt(d); return got.length < n ? more() : got; }); }
  return more();
}).then(function (got) { print("echo " + got.length + " " + (got == "h\\u00c3\\u00a9llo " + big)); s.close();
  return asyncio.open_connection("127.0.0.1", ${port}); }).then(function (rw) {
  rw[1].write("line one\\nline two\\n");
  return rw[1].drain().then(function () { return rw[0].readline(); }).then(function (l) { print("readline " + JSON.stringify(txt(l))); return rw[0].readexactly(4); })
    .then(function (x) { print("readexactly " + txt(x)); rw[1].close(); });
}).then(function () {
  var u = socket.socket(2, 2);
  return u.sendto("ping", ["127.0.0.1", ${uport}]).then(function () { return u.recvfrom(1000); })
    .then(function (r) { print("udp " + txt(r[0]) + " " + r[0].length + " " + JSON.stringify(r[1])); u.close(); });
}).then(function () { return socket.socket().connect(["127.0.0.1", 1]); }).then(function () { print("connected?"); }, function (e) { print("refused " + e.code); })
.then(function () { print("done"); setTimeout(quit, 50); }, function (e) { print("ERR " + e.code + " " + e.message); setTimeout(quit, 50); });
`);
    const mine = lines.filter((l) => !/^ERROR: Connect failed/.test(l)); // the firmware's own log line
    assert.deepEqual(mine, [
      "sent 3007",
      "echo 3007 true",
      'readline "line one\\n"',
      "readexactly line",
      `udp ping 4 ["127.0.0.1",${uport}]`,
      "refused ECONNREFUSED",
      "done",
    ]);
    const big = "abcdefghijklmnopqrstuvwxyz".repeat(116).slice(0, 3000);
    assert.equal(received.toString("latin1"), Buffer.from("héllo " + big + "line one\nline two\n", "utf8").toString("latin1"),
      "the echo server got exactly the UTF-8 bytes, nothing past the end of a last piece");
  });

  it("a board server (bind/listen/accept), recv timeout, EOF, asyncio start_server, and EMFILE past maxSockets", async () => {
    const lines = await runAsync(bin!, `
var socket = require("socket"), asyncio = require("asyncio");
function txt(u) { var s = ""; for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return s; }
var srv = socket.socket(), port = 17000 + Math.floor(Math.random() * 900);
srv.bind(["", port]).then(function () { return srv.listen(); }).then(function () {
  var c = socket.socket();
  c.settimeout(0.3);
  var acc = srv.accept().then(function (r) { return r[0].recv(100).then(function (d) { print("server got " + txt(d)); return r[0].sendall("pong"); }).then(function () { return r[0]; }); });
  return c.connect(["127.0.0.1", port]).then(function () { return c.sendall("ping"); }).then(function () { return c.recv(100); })
    .then(function (d) { print("client got " + txt(d)); return c.recv(100); }).then(function () { print("no timeout"); }, function (e) { print("recv " + e.code); })
    .then(function () { c.close(); return acc; }).then(function (sc) { return sc.recv(10); }).then(function (d) { print("server eof " + d.length); });
}).then(function () {
  srv.close();
  return asyncio.start_server(function (r, w) { return r.readline().then(function (l) { w.write("hi " + txt(l)); return w.drain(); }).then(function () { w.close(); }); }, "0.0.0.0", port + 1);
}).then(function (server) {
  return asyncio.open_connection("127.0.0.1", port + 1).then(function (rw) { rw[1].write("bob\\n"); return rw[0].read(); })
    .then(function (d) { print("asyncio " + JSON.stringify(txt(d))); server.close(); });
}).then(function () {
  var all = [], i, max = ${JSON.parse(readFileSync(path.join(ROOT, "boards", "linux.json"), "utf8")).capabilities.maxSockets};
  for (i = 0; i <= max; i++) all.push(socket.socket(2, 2));
  return Promise.all(all.map(function (u) { return u.sendto("x", ["127.0.0.1", 9]).then(function () { return "ok"; }, function (e) { return e.code; }); }))
    .then(function (r) { print("udp " + r.filter(function (x) { return x == "ok"; }).length + " ok, then " + r[max]); all.forEach(function (u) { u.close(); }); });
}).then(function () { print("done"); setTimeout(quit, 100); }, function (e) { print("ERR " + e.code + " " + e.message); setTimeout(quit, 100); });
`);
    const max = JSON.parse(readFileSync(path.join(ROOT, "boards", "linux.json"), "utf8")).capabilities.maxSockets as number;
    assert.deepEqual(lines, [
      "server got ping",
      "client got pong",
      "recv ETIMEDOUT",
      "server eof 0",
      'asyncio "hi bob\\n"',
      `udp ${max} ok, then EMFILE`,
      "done",
    ]);
  });
});
