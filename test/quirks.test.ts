// One test per Espruino quirk the emulator reproduces (shared/reference/espruino-target.md).
// Each test name says which quirk; each would fail if the emulator behaved like plain Node.
import assert from "node:assert/strict";
import tls from "node:tls";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { connectWifi, testPki, until } from "../emulator/espruino/testing.ts";
import { lanBoards } from "./helpers/board.ts";

describe("Espruino quirks reproduced by the emulator", function () {
  const { online, offline } = lanBoards();
  /** Evaluates in the sandbox; objects come back as plain host data (JSON round trip). */
  const ev = (b: EmulatedBoard, code: string): unknown => {
    const v = b.eval(code);
    return v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v;
  };

  it("quirk: dgram addMembership() only takes effect before bind()", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const tx = peer.udpBind({ onMessage: () => {} });
    ev(board, `
      var ip = require("Wifi").getIP().ip, dgram = require("dgram");
      globalThis.before = []; globalThis.after = [];
      var a = dgram.createSocket({type: "udp4", reuseAddr: true});
      a.on("message", function (m) { before.push(m); });
      a.addMembership("239.1.2.3", ip);
      a.bind(7000);
      var b = dgram.createSocket({type: "udp4", reuseAddr: true});
      b.on("message", function (m) { after.push(m); });
      b.bind(7001, function () { b.addMembership("239.1.2.4", ip); });`);
    await board.settle();
    tx.send(new TextEncoder().encode("to-a"), 7000, "239.1.2.3");
    tx.send(new TextEncoder().encode("to-b"), 7001, "239.1.2.4");
    await until(() => ev(board, "before.length") === 1, "multicast datagram");
    await board.settle();
    assert.deepEqual(ev(board, "before.concat(after)"), ["to-a"]);
    assert.ok(board.quirks.some((q) => q.includes("addMembership(239.1.2.4) after bind()")));
  });

  it("quirk: datagrams are truncated to 528 bytes unless recvBufferSize raised the (global) chunk size", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const tx = peer.udpBind({ onMessage: () => {} });
    ev(board, `
      globalThis.sizes = [];
      var s = require("dgram").createSocket("udp4");
      s.on("message", function (m, r) { sizes.push(m.length + "/" + r.size); });
      s.bind(7100);`);
    await board.settle();
    tx.send(new Uint8Array(1000), 7100, board.eval("require('Wifi').getIP().ip") as string);
    await until(() => ev(board, "sizes.length") === 1, "first datagram");
    ev(board, `require("dgram").createSocket({type: "udp4", recvBufferSize: 2048});`);
    tx.send(new Uint8Array(1000), 7100, board.eval("require('Wifi').getIP().ip") as string);
    await until(() => ev(board, "sizes.length") === 2, "second datagram");
    assert.deepEqual(ev(board, "sizes"), ["528/528", "1000/1000"]);
    assert.equal(board.chip.rt.chunkSize, 2048, "recvBufferSize raised the global chunk size (TCP too)");
  });

  it("quirk: dgram send() of a typed array sends its toString() \"1,2,3\"", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const got: string[] = [];
    peer.udpBind({ port: 9999, onMessage: (d) => got.push(Buffer.from(d).toString("latin1")) });
    ev(board, `require("dgram").createSocket("udp4").send(new Uint8Array([1,2,3]), 9999, "192.168.1.50");`);
    await until(() => got.length === 1, "datagram");
    assert.equal(got[0], "1,2,3");
    assert.ok(board.quirks.some((q) => q.includes('"1,2,3"')));
  });

  it("quirk: payloads are binary strings (chars 0-255), both ways", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const got: Uint8Array[] = [];
    let from = { address: "", port: 0 };
    const h = peer.udpBind({
      port: 9999,
      onMessage: (d, f) => {
        got.push(d);
        from = f;
      },
    });
    ev(board, `
      globalThis.rx = null;
      var s = require("dgram").createSocket("udp4");
      s.on("message", function (m) { rx = [typeof m, m.length, m.charCodeAt(0), m.charCodeAt(1)]; });
      s.send(E.toString(new Uint8Array([0, 255, 128])), 9999, "192.168.1.50");`);
    await until(() => got.length === 1, "datagram at the peer");
    assert.deepEqual([...got[0]!], [0, 255, 128]);
    h.send(Uint8Array.of(200, 7), from.port, from.address);
    await until(() => ev(board, "rx") !== null, "reply at the board");
    assert.deepEqual(ev(board, "rx"), ["string", 2, 200, 7]);
  });

  it("quirk: a bound socket cannot send to broadcast (the datagram is lost; unbound sockets can)", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const got: string[] = [];
    peer.udpBind({ port: 6666, onMessage: (d) => got.push(Buffer.from(d).toString("latin1")) });
    ev(board, `
      var d = require("dgram");
      var bound = d.createSocket("udp4");
      bound.bind(6000, function () { bound.send("from-bound", 6666, "255.255.255.255"); });
      d.createSocket("udp4").send("from-unbound", 6666, "255.255.255.255");`);
    await until(() => got.length >= 1, "broadcast from the unbound socket");
    await board.settle(10);
    assert.deepEqual(got, ["from-unbound"]);
    assert.ok(board.quirks.some((q) => q.includes("broadcast") && q.includes("bound socket")));
  });

  it("quirk: tls connect/cb fire at TCP connect, before the handshake; writes wait for it", async function () {
    const pki = testPki();
    if (!pki) return this.skip();
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const ctx = tls.createSecureContext({ key: pki.serverKeyPem, cert: pki.serverCertPem });
    let handshakes = 0;
    const received: string[] = [];
    let held: import("node:stream").Duplex | null = null;
    // The server answers the handshake only when the test lets it: the callback must not wait for it.
    peer.tcpListen(443, (stream) => {
      held = stream;
    });
    ev(board, `
      globalThis.atConnect = null; globalThis.reply = "";
      var s = require("tls").connect({host: "192.168.1.50", port: 443}, function () { atConnect = "cb"; s.write("hello"); });
      s.on("data", function (d) { reply += d; });`);
    await until(() => ev(board, "atConnect") === "cb", "tls connect callback");
    assert.equal(handshakes, 0, "the callback ran before any handshake");
    const t = new tls.TLSSocket(held!, { isServer: true, secureContext: ctx });
    t.on("secure", () => handshakes++);
    t.on("data", (d: Buffer) => {
      received.push(d.toString());
      t.end("bye");
    });
    t.on("error", () => {});
    await until(() => ev(board, "reply") === "bye", "reply over TLS");
    assert.deepEqual(received, ["hello"]);
  });

  it("quirk: after link loss the driver retries at most twice more, emits disconnected and stops Wi-Fi", async function () {
    const { ap, board } = await online();
    ev(board, `globalThis.events = []; var W = require("Wifi");
      W.on("disconnected", function (d) { events.push("disconnected:" + d.msg); });
      W.on("associated", function () { events.push("associated"); });`);
    ap.setEnabled(false);
    await until(() => (ev(board, "events") as string[]).length > 0, "disconnected event");
    await board.settle(10);
    assert.deepEqual(ev(board, "events"), ["disconnected:NO_AP_FOUND"]);
    assert.equal(board.wifi!.started, false, "Wi-Fi stopped");
    ap.setEnabled(true);
    await board.settle(20);
    assert.deepEqual(ev(board, "events"), ["disconnected:NO_AP_FOUND"], "no automatic reconnect");
    assert.equal(ev(board, `require("Wifi").getIP().ip`), "0.0.0.0");
  });

  it("quirk: the netif host name is reset to \"espressif\" at every Wi-Fi start (setHostname before connect is lost)", async function () {
    const { board, router } = await offline();
    ev(board, `require("Wifi").setHostname("kitchen-cam");`);
    assert.equal(await connectWifi(board), null);
    assert.equal(ev(board, `require("Wifi").getHostname()`), "espressif");
    assert.equal(router.dhcp.lease(board.wifi!.host.mac)?.hostname, "espressif");
    // set it while up, then disconnect: the next start resets it again
    ev(board, `require("Wifi").setHostname("kitchen-cam"); require("Wifi").disconnect();`);
    await until(() => !board.wifi!.started, "Wi-Fi stopped");
    assert.equal(await connectWifi(board), null);
    assert.deepEqual(board.wifi!.dhcpHostnames, ["espressif", "espressif"]);
  });

  it("quirk: setHostname() does not renegotiate DHCP; a reconnect while connected carries the name", async function () {
    const { board, router } = await online();
    ev(board, `require("Wifi").setHostname("kitchen-cam");`);
    await board.settle(10);
    assert.equal(ev(board, `require("Wifi").getHostname()`), "kitchen-cam");
    assert.deepEqual(board.wifi!.dhcpHostnames, ["espressif"], "no new DHCP exchange");
    assert.equal(router.dhcp.lease(board.wifi!.host.mac)?.hostname, "espressif");
    assert.equal(await connectWifi(board), null); // forced disconnect + reassociation, Wi-Fi not stopped
    assert.deepEqual(board.wifi!.dhcpHostnames, ["espressif", "kitchen-cam"]);
    assert.equal(router.dhcp.lease(board.wifi!.host.mac)?.hostname, "kitchen-cam");
  });

  it("quirk: Wifi.disconnect(cb) calls cb twice (at once and at the disconnected event)", async function () {
    const { board } = await online();
    ev(board, `globalThis.calls = 0; require("Wifi").disconnect(function () { calls++; });`);
    await until(() => !board.wifi!.started, "Wi-Fi stopped");
    await board.settle(10);
    assert.equal(ev(board, "calls"), 2);
  });

  it("quirk: Wifi.getHostByName has one callback slot: a second call replaces the first's callback", async function () {
    const { board, router } = await online();
    router.dns.add("one.example", "A", "10.0.0.1");
    router.dns.add("two.example", "A", "10.0.0.2");
    ev(board, `globalThis.answers = []; var W = require("Wifi");
      W.getHostByName("one.example", function (ip) { answers.push("first:" + ip); });
      W.getHostByName("two.example", function (ip) { answers.push("second:" + ip); });`);
    await until(() => (ev(board, "answers") as string[]).length > 0, "an answer");
    await board.settle(20);
    const answers = ev(board, "answers") as string[];
    assert.equal(answers.length, 1, "only one callback ever runs");
    assert.match(answers[0]!, /^second:10\.0\.0\.[12]$/);
  });

  it("quirk: clearTimeout(undefined) / clearInterval(undefined) throw", async function () {
    const board = await bootBoard({ board: "esp32", code: "" });
    try {
      assert.throws(() => board.eval("clearTimeout(undefined)"), /clearTimeout\(undefined\) not allowed/);
      assert.throws(() => board.eval("clearInterval(undefined)"), /clearInterval\(undefined\) not allowed/);
      assert.equal(board.eval("clearTimeout(12345); 'unknown ids are ignored'"), "unknown ids are ignored");
    } finally {
      board.powerOff();
    }
  });

  it("quirk: built-ins Espruino lacks are absent in the sandbox (Map, Symbol, Array.from, Promise.race...)", async function () {
    const board = await bootBoard({ board: "esp32", code: "" });
    try {
      const missing = [
        "Map", "Set", "WeakMap", "WeakSet", "Symbol", "Proxy", "Reflect", "BigInt", "RangeError", "TextEncoder",
        "TextDecoder", "Intl", "Array.from", "Array.of", "Math.imul", "Date.UTC", "Number.isInteger",
        "Object.freeze", "Object.seal", "Object.is", "Uint8Array.from", "Uint8Array.of",
        "Float64Array.from", "String.raw", "Promise.race", "Promise.allSettled", "Promise.any", "Promise.prototype.finally",
        "ArrayBuffer.prototype.slice", "''.codePointAt", "''.trimStart", "''.trimEnd", "''.at", "''.localeCompare",
        "''.normalize", "[].flat", "[].flatMap", "[].lastIndexOf", "[].reduceRight", "[].findLast", "[].keys",
        "[].values", "[].entries", "process.nextTick", "Buffer", "setImmediate", "queueMicrotask", "structuredClone",
        "fetch", "URL",
      ];
      const present = missing.filter((e) => board.eval(`typeof ${e}`) !== "undefined");
      assert.deepEqual(present, []);
      for (const e of ["Promise.all", "Uint8Array", "DataView", "JSON.stringify", "E.toString", "process.memory", "globalThis", "global"]) {
        assert.notEqual(board.eval(`typeof ${e}`), "undefined", e);
      }
    } finally {
      board.powerOff();
    }
  });

  it("quirk: emit() is asynchronous (queued), max 4 arguments, listeners are enumerable #on<evt>", async function () {
    const board = await bootBoard({ board: "esp32", code: "" });
    try {
      board.eval(`globalThis.r = []; globalThis.o = {}; o.on("x", function (v) { r.push(v); }); o.emit("x", 1); r.push("after");`);
      assert.deepEqual(ev(board, "r"), ["after"]);
      await board.settle();
      assert.deepEqual(ev(board, "r"), ["after", 1]);
      assert.deepEqual(ev(board, "Object.keys(o)"), ["#onx"]);
      assert.throws(() => board.eval(`o.emit("x", 1, 2, 3, 4, 5)`), /Too many arguments/);
    } finally {
      board.powerOff();
    }
  });

  it("quirk: setTime() jumps the wall clock but timers keep their remaining time (Espruino rebases)", async function () {
    const board = await bootBoard({ board: "esp32", code: "", virtualTime: true });
    try {
      assert.ok((board.eval("Date.now()") as number) < 1000, "ESP32 clock starts at 1970");
      board.eval(`globalThis.fired = []; setTimeout(function () { fired.push(Math.round(getTime())); }, 1000); setTime(1790000000);`);
      await board.clock.advance(999);
      assert.deepEqual(ev(board, "fired"), []);
      await board.clock.advance(1);
      assert.deepEqual(ev(board, "fired"), [1790000001]);
      // ... whereas a jump underneath the interpreter (lwIP SNTP) fires everything at once
      board.eval(`globalThis.n = 0; setInterval(function () { n++; }, 1000);`);
      await board.clock.jump(5000);
      assert.equal(board.eval("n"), 5);
    } finally {
      board.powerOff();
    }
  });

  it("quirk: UDP, TCP and TLS share maxSockets; over it the error is {code:-7, message:'max sockets'}", async function () {
    const { lan, board } = await online();
    const peer = lan.addHost({ ip: "192.168.1.50" });
    peer.tcpListen(80, () => {});
    const max = board.profile.capabilities.maxSockets;
    ev(board, `globalThis.errs = []; var d = require("dgram");
      for (var i = 0; i < ${max - 1}; i++) d.createSocket("udp4").bind(8000 + i);
      var c = require("net").connect({host: "192.168.1.50", port: 80});
      var extra = d.createSocket("udp4"); extra.on("error", function (e) { errs.push(e); }); extra.bind(9000);`);
    await until(() => (ev(board, "errs") as unknown[]).length === 1, "max sockets error");
    assert.deepEqual(ev(board, "errs[0]"), { code: -7, message: "max sockets" });
    assert.equal(board.socketsInUse(), max);
  });

  it("quirk: a typed array's slice() returns a plain Array (subarray() keeps the type)", async function () {
    const board = await bootBoard({ board: "esp32", code: "" });
    try {
      assert.equal(ev(board, "Array.isArray(new Uint8Array([1, 2, 3]).slice(1))"), true);
      assert.deepEqual(ev(board, "new Uint8Array([1, 2, 3]).slice(1)"), [2, 3]);
      assert.equal(ev(board, "new Uint8Array([1, 2, 3]).subarray(1) instanceof Uint8Array"), true);
    } finally {
      board.powerOff();
    }
  });
});
