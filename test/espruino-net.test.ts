// net, tls and dgram of the emulated chip over the virtual LAN.
import assert from "node:assert/strict";
import tls from "node:tls";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { Lan } from "../emulator/lan/lan.ts";
import { testPki, until } from "../emulator/espruino/testing.ts";
import { lanBoards } from "./helpers/board.ts";

const plain = (v: unknown): unknown => (v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v);

describe("espruino net/tls/dgram", function () {
  const { online, offline } = lanBoards();
  const ev = (b: EmulatedBoard, code: string) => plain(b.eval(code));

  it("net.connect before Wi-Fi is up throws 'Not connected to the internet'", async function () {
    const net = await offline();
    assert.throws(() => net.board.eval(`require("net").connect({host: "192.168.1.1", port: 80})`), /Not connected to the internet/);
  });

  it("TCP client: host names via the router's DNS, write() returns false then drain, data as strings", async function () {
    const { lan, board, router } = await online();
    router.dns.add("peer.example", "A", "192.168.1.50");
    const peer = lan.addHost({ ip: "192.168.1.50" });
    peer.tcpListen(8080, (s) => s.on("data", (d: Buffer) => s.end(Buffer.from("echo:" + d.toString("latin1"), "latin1"))));
    board.eval(`globalThis.log = [];
      var c = require("net").connect({host: "peer.example", port: 8080}, function () { log.push("connect"); log.push("write:" + c.write("\\xffping")); });
      c.on("drain", function () { log.push("drain"); });
      c.on("data", function (d) { log.push("data:" + d.length + ":" + d.slice(6)); });
      c.on("end", function () { log.push("end"); });
      c.on("close", function (e) { log.push("close:" + e); });`);
    await until(() => (ev(board, "log") as string[]).includes("close:false"), "close");
    assert.deepEqual(ev(board, "log"), ["connect", "write:false", "drain", "data:10:ping", "end", "close:false"]);
    assert.equal(board.socketsInUse(), 0);
  });

  it("data that arrives before a 'data' listener is buffered, then delivered", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    peer.tcpListen(7, (s) => s.write("early"));
    board.eval(`globalThis.c = require("net").connect({host: "192.168.1.50", port: 7}); globalThis.got = "";`);
    await until(() => (board.eval("c.available()") as number) > 0, "buffered data");
    board.eval(`c.on("data", function (d) { got += d; });`);
    await until(() => board.eval("got") === "early", "delivery");
  });

  it("a refused connect is an error event then close(true) (the board throws from connect instead)", async function () {
    const { board } = await online();
    board.eval(`globalThis.log = []; var c = require("net").connect({host: "192.168.1.1", port: 9});
      c.on("error", function (e) { log.push(e.code); }); c.on("close", function (h) { log.push("close:" + h); });`);
    await until(() => (ev(board, "log") as unknown[]).length === 2, "error and close");
    assert.deepEqual(ev(board, "log"), [-1, "close:true"]);
    assert.ok(board.quirks.some((q) => q.includes("Unable to create socket")));
  });

  it("bulk echo: 1 KB writes each drained before the next, data back in chunkSize (536) pieces, every byte in order", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    peer.tcpListen(7, (s) => s.on("data", (d: Buffer) => s.write(d)));
    board.eval(`globalThis.r = {sizes: [], got: "", sent: "", writes: [], drains: 0};
      var c = require("net").connect({host: "192.168.1.50", port: 7}, function () {
        var k = 0;
        function next() {
          if (k == 40) return;
          var s = ""; for (var i = 0; i < 1024; i++) s += String.fromCharCode((k * 7 + i) & 255);
          k++; r.sent += s; r.writes.push(c.write(s));
        }
        c.on("drain", function () { r.drains++; next(); });
        next();
      });
      c.on("data", function (d) { r.sizes.push(d.length); r.got += d; });`);
    await until(() => (board.eval("r.got.length") as number) >= 40 * 1024, "echo");
    const r = board.eval("r") as { sizes: number[]; got: string; sent: string; writes: boolean[]; drains: number };
    assert.equal(r.got.length, r.sent.length);
    assert.ok(r.got === r.sent, "the bytes came back in order");
    assert.deepEqual([...r.writes], new Array(40).fill(false), "write() always returns false");
    assert.ok(r.drains >= 40, "a drain after every write");
    assert.ok(r.sizes.every((n) => n > 0 && n <= 536), `pieces of at most 536 bytes: ${r.sizes.join(",")}`);
    assert.ok(r.sizes.length >= Math.ceil((40 * 1024) / 536));
    board.eval("c.end()");
  });

  it("net.createServer: the board serves a LAN client", async function () {
    const { lan, board } = await online();
    board.eval(`var srv = require("net").createServer(function (s) { s.on("data", function (d) { s.write(d.toUpperCase()); s.end(); }); }); srv.listen(23);`);
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const stream = await peer.tcpConnect(board.eval(`require("Wifi").getIP().ip`) as string, 23);
    let reply = "";
    stream.on("data", (d: Buffer) => (reply += d.toString()));
    stream.write("hello");
    await until(() => reply === "HELLO", "reply");
    stream.destroy();
  });

  describe("tls on stock firmware", function () {
    const serve = (lan: Lan, onSni: (n: string | false) => void, port = 443) => {
      const pki = testPki()!;
      const ctx = tls.createSecureContext({ key: pki.serverKeyPem, cert: pki.serverCertPem });
      const peer = lan.addHost({ ip: "192.168.1.50" });
      peer.tcpListen(port, (stream) => {
        const t = new tls.TLSSocket(stream, { isServer: true, secureContext: ctx });
        t.on("secure", () => onSni((t as unknown as { servername: string | false }).servername));
        t.on("data", (d: Buffer) => t.end("re:" + d.toString()));
        t.on("error", () => {});
      });
      return peer;
    };

    it("never verifies, and sends SNI \"mbed TLS Server 1\" (ESP32)", async function () {
      if (!testPki()) return this.skip();
      const { lan, board } = await online();
      const snis: (string | false)[] = [];
      serve(lan, (n) => snis.push(n));
      board.eval(`globalThis.r = ""; var s = require("tls").connect({host: "192.168.1.50", port: 443}); s.write("x"); s.on("data", function (d) { r += d; });`);
      await until(() => board.eval("r") === "re:x", "reply");
      assert.deepEqual(snis, ["mbed TLS Server 1"]);
    });

    it("rejects a PEM `ca` with mbedtls' Invalid format, then error -8 and close(true)", async function () {
      const pki = testPki();
      if (!pki) return this.skip();
      const { lan, board } = await online();
      serve(lan, () => {});
      board.eval(`globalThis.log = []; var s = require("tls").connect({host: "192.168.1.50", port: 443, ca: ${JSON.stringify(pki.caPem)}});
        s.on("error", function (e) { log.push(e.code); }); s.on("close", function (h) { log.push("close:" + h); });`);
      await until(() => (ev(board, "log") as unknown[]).length === 2, "error and close");
      assert.deepEqual(ev(board, "log"), [-8, "close:true"]);
      assert.ok(board.errors.some((e) => e.includes("mbedtls_x509_crt_parse of 'ca': Invalid format")));
    });

    it("a failed handshake is an uncaught InternalError, error -8, close(true)", async function () {
      const { lan, board } = await online();
      const peer = lan.addHost({ ip: "192.168.1.50" });
      peer.tcpListen(443, (s) => {
        s.on("error", () => {}); // the board resets the connection
        s.end("this is not TLS\r\n");
      });
      board.eval(`globalThis.log = []; var s = require("tls").connect({host: "192.168.1.50", port: 443}, function () { log.push("connect"); });
        s.on("error", function (e) { log.push(e.code); }); s.on("close", function (h) { log.push("close:" + h); });`);
      await until(() => (ev(board, "log") as unknown[]).includes("close:true"), "close");
      assert.deepEqual(ev(board, "log"), ["connect", -8, "close:true"]);
      assert.ok(board.errors.some((e) => e.includes("mbedtls_ssl_handshake returned")));
    });
  });

  describe("tls on the verifying firmware (esp32-verify)", function () {
    async function attempt(opts: { host: string; ca: boolean; clockMs?: number }): Promise<unknown[]> {
      const pki = testPki()!;
      const { lan, board, router } = await online({ board: "esp32-verify" });
      router.dns.add("peer.example", "A", "192.168.1.50");
      router.dns.add("other.example", "A", "192.168.1.50");
      const ctx = tls.createSecureContext({ key: pki.serverKeyPem, cert: pki.serverCertPem });
      lan.addHost({ ip: "192.168.1.50" }).tcpListen(443, (stream) => {
        const t = new tls.TLSSocket(stream, { isServer: true, secureContext: ctx });
        t.on("data", (d: Buffer) => t.end("re:" + d.toString()));
        t.on("error", () => {});
      });
      if (opts.clockMs !== undefined) board.eval(`setTime(${opts.clockMs / 1000})`);
      board.eval(`globalThis.log = []; var s = require("tls").connect({host: ${JSON.stringify(opts.host)}, port: 443${opts.ca ? `, ca: ${JSON.stringify(pki.caDer)}` : ""}});
        s.write("x"); s.on("data", function (d) { log.push(d); });
        s.on("error", function (e) { log.push(e.code); }); s.on("close", function (h) { log.push("close:" + h); });`);
      await until(() => (ev(board, "log") as unknown[]).some((x) => String(x).startsWith("close")), "close");
      return ev(board, "log") as unknown[];
    }

    it("accepts a chain signed by `ca` for the right name at the right time", async function () {
      if (!testPki()) return this.skip();
      assert.deepEqual(await attempt({ host: "peer.example", ca: true, clockMs: Date.now() }), ["re:x", "close:false"]);
    });
    it("unknown CA -> -16", async function () {
      if (!testPki()) return this.skip();
      assert.deepEqual(await attempt({ host: "peer.example", ca: false, clockMs: Date.now() }), [-16, "close:true"]);
    });
    it("clock not set (1970) or past notAfter -> -17", async function () {
      if (!testPki()) return this.skip();
      assert.deepEqual(await attempt({ host: "peer.example", ca: true }), [-17, "close:true"]);
      assert.deepEqual(await attempt({ host: "peer.example", ca: true, clockMs: testPki()!.notAfter + 86400000 }), [-17, "close:true"]);
    });
    it("wrong host name -> -18", async function () {
      if (!testPki()) return this.skip();
      assert.deepEqual(await attempt({ host: "other.example", ca: true, clockMs: Date.now() }), [-18, "close:true"]);
    });
    it("tls.createServer exists only with capabilities.tlsServer", async function () {
      const pki = testPki();
      if (!pki) return this.skip();
      const { lan, board } = await online({ board: "esp32-verify" });
      const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64").toString("latin1");
      board.eval(`require("tls").createServer({key: ${JSON.stringify(der(pki.serverKeyPem))}, cert: ${JSON.stringify(der(pki.serverCertPem))}},
        function (s) { s.on("data", function (d) { s.end("tls:" + d); }); }).listen(8443);`);
      const peer = lan.addHost({ ip: "192.168.1.50" });
      const stream = await peer.tcpConnect(board.eval(`require("Wifi").getIP().ip`) as string, 8443);
      const t = tls.connect({ socket: stream, ca: pki.caPem, servername: "peer.example" });
      let reply = "";
      t.on("data", (d: Buffer) => (reply += d.toString()));
      t.write("hi");
      await until(() => reply === "tls:hi", "TLS reply");
      t.destroy();
      const stock = await bootBoard({ board: "esp32", code: "" });
      assert.equal(stock.eval(`typeof require("tls").createServer`), "undefined");
      stock.powerOff();
    });
  });

  it("Linux profile: a wired LAN host (DHCP at boot), DNS from resolv.conf, dgram round trip", async function () {
    const lan = new Lan();
    const router = lan.addRouter();
    router.dns.add("peer.example", "A", "192.168.1.50");
    const peer = lan.addHost({ ip: "192.168.1.50" });
    peer.udpBind({ port: 9999, onMessage: (d, from) => h.send(Uint8Array.from([...d].reverse()), from.port, from.address) });
    const h = peer.udpBind({ port: 9998, onMessage: () => {} });
    const board = await bootBoard({ board: "linux", lan });
    try {
      assert.match(board.eval(`require("fs").readFileSync("/etc/resolv.conf")`) as string, /nameserver 192\.168\.1\.1/);
      board.eval(`globalThis.got = null; var s = require("dgram").createSocket("udp4"); s.on("message", function (m) { got = m; }); s.send("abc", 9999, "peer.example");`);
      await until(() => board.eval("got") !== null, "reply");
      assert.equal(board.eval("got"), "cba");
    } finally {
      board.powerOff();
      lan.close();
    }
  });
});
