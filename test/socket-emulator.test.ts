// Issue 6 on the emulated board: socket objects, asyncio streams and ssl of the BUILT bundle
// (dist/<board>/camnet.js) against LAN hosts on the virtual network.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import type { EmulatedBoard } from "../emulator/board.ts";
import { boardOnLan, testPki, until, type TestNet } from "../emulator/espruino/testing.ts";
import type { TcpStream } from "../emulator/lan/types.ts";
import { ev, resolved, settle, thrown } from "./helpers/board.ts";

const PEER = "192.168.1.50";

// Board-side helpers: bytes as a latin1 string (so they survive the JSON round trip), and
// a loop reading until n bytes (or EOF) arrived.
const HELPERS = `var socket = require("socket"), asyncio = require("asyncio"), ssl = require("ssl");
  globalThis.txt = function (u) { var s = ""; for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return s; };
  globalThis.recvAll = function (s, n) { var got = "";
    function more() { return s.recv(4096).then(function (d) { got += txt(d); return d.length && got.length < n ? more() : got; }); }
    return more(); };`;

/** A second, unrelated CA certificate (PEM), made with openssl; null without openssl. */
function otherCaPem(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "camnet-ca2-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "ca.pem",
      "-days", "30", "-subj", "/CN=another CA"], { cwd: dir, stdio: "pipe" });
    return readFileSync(join(dir, "ca.pem"), "utf8");
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The UTF-8 bytes of `s` as a latin1 string (what txt() gives on the board). */
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

describe("socket, asyncio and ssl of the bundle on an emulated board", function () {
  this.timeout(20000);
  let net: TestNet | undefined;
  afterEach(() => {
    net?.close();
    net = undefined;
  });

  async function online(board = "esp32"): Promise<TestNet & { b: EmulatedBoard }> {
    net = await boardOnLan({ board });
    ev(net.board, HELPERS);
    await resolved(net.board, `require("network").WLAN(0).connect("home", "secret123")`);
    return Object.assign(net, { b: net.board });
  }

  /** A LAN host echoing every TCP byte back on `port`; counts connections. */
  function echoHost(n: TestNet, port = 7, ip = PEER): { accepted: number; streams: TcpStream[] } {
    const stats = { accepted: 0, streams: [] as TcpStream[] };
    n.lan.addHost({ ip }).tcpListen(port, (s) => {
      stats.accepted++;
      stats.streams.push(s);
      s.on("error", () => {});
      s.on("data", (d: Buffer) => s.write(d));
      s.on("end", () => s.end()); // closes when the board closes
    });
    return stats;
  }

  describe("TCP", function () {
    it("echoes a few KB (many 536-byte chunks) through connect/sendall/recv; strings go out as UTF-8", async function () {
      const n = await online();
      const peer = echoHost(n);
      const text = "héllo € 𝄞 " + "camnet ".repeat(500); // > 3 KB, multi-byte characters
      ev(n.b, `globalThis.s = socket.socket(); globalThis.text = ${JSON.stringify(text)};`);
      await resolved(n.b, `s.connect(["${PEER}", 7])`);
      assert.deepEqual(ev(n.b, "s.getpeername()"), [PEER, 7]);
      await resolved(n.b, `s.sendall(text)`);
      const got = await resolved(n.b, `recvAll(s, ${Buffer.byteLength(text)})`);
      assert.equal(got.length, Buffer.byteLength(text));
      assert.equal(got, utf8(text));
      assert.equal(peer.accepted, 1);
      ev(n.b, "s.close()");
      await until(() => n.b.socketsInUse() === 0, "board socket released");
    });

    it("connect((name, port)): the first A record refuses, the second listens: it connects (seed 000)", async function () {
      const n = await online();
      n.router.dns.add("multi.lan", "A", "192.168.1.60"); // a host with nothing listening
      n.router.dns.add("multi.lan", "A", PEER);
      n.lan.addHost({ ip: "192.168.1.60" });
      const peer = echoHost(n);
      const info = await resolved(n.b, `socket.getaddrinfo("multi.lan", 7, 2, 1)`);
      assert.deepEqual(info.map((a: any) => a[4][0]), ["192.168.1.60", PEER], "the refusing address comes first");
      ev(n.b, `globalThis.s = socket.socket()`);
      await resolved(n.b, `s.connect(["multi.lan", 7])`);
      assert.deepEqual(ev(n.b, "s.getpeername()"), [PEER, 7]);
      await resolved(n.b, `s.sendall("ping")`);
      assert.equal(await resolved(n.b, `recvAll(s, 4)`), "ping");
      assert.equal(peer.accepted, 1);
      assert.equal(ev(n.b, "s.close(), 0"), 0);
    });

    it("nothing listening: ECONNREFUSED, and the board socket is given back", async function () {
      const n = await online();
      n.lan.addHost({ ip: PEER });
      const o = await settle(n.b, `socket.socket().connect(["${PEER}", 9])`);
      assert.equal(o.code, "ECONNREFUSED", o.message);
      await until(() => n.b.socketsInUse() === 0, "board socket released");
      echoHost(n, 7, "192.168.1.51");
      // the module's own count was given back too: ten connections still fit
      ev(n.b, `globalThis.all = []; for (var i = 0; i < 10; i++) all.push(socket.socket());`);
      await resolved(n.b, `Promise.all(all.map(function (s) { return s.connect(["192.168.1.51", 7]); }))`);
    });

    it("the peer resets mid-stream: recv gives what arrived, then rejects ECONNRESET", async function () {
      const n = await online();
      const peer = echoHost(n);
      ev(n.b, `globalThis.s = socket.socket()`);
      await resolved(n.b, `s.connect(["${PEER}", 7])`);
      await resolved(n.b, `s.sendall("part")`);
      assert.equal(await resolved(n.b, `s.recv(100).then(txt)`), "part");
      peer.streams[0]!.destroy();
      const o = await settle(n.b, `s.recv(100)`);
      assert.equal(o.code, "ECONNRESET", o.message);
      const again = await settle(n.b, `s.recv(100)`);
      assert.equal(again.code, "ECONNRESET", "the error stays");
      await until(() => n.b.socketsInUse() === 0, "board socket released");
    });

    it("the peer closes gracefully: recv gives what arrived, then an empty read", async function () {
      const n = await online();
      n.lan.addHost({ ip: PEER }).tcpListen(7, (s) => s.end("bye"));
      ev(n.b, `globalThis.s = socket.socket()`);
      await resolved(n.b, `s.connect(["${PEER}", 7])`);
      assert.equal(await resolved(n.b, `recvAll(s, 100)`), "bye");
      assert.equal(await resolved(n.b, `s.recv(100).then(function (d) { return d.length; })`), 0);
    });

    it("use after close: EBADF", async function () {
      const n = await online();
      echoHost(n);
      ev(n.b, `globalThis.s = socket.socket()`);
      await resolved(n.b, `s.connect(["${PEER}", 7])`);
      ev(n.b, "s.close(); s.close()"); // idempotent
      for (const call of [`s.recv(1)`, `s.send("x")`, `s.sendall("x")`, `s.connect(["${PEER}", 7])`]) {
        const o = await settle(n.b, call);
        assert.equal(o.code, "EBADF", call);
      }
      assert.equal(thrown(n.b, "s.getpeername()").code, "EBADF");
    });

    it("settimeout(0.5) and a recv nobody answers: ETIMEDOUT; the socket still works after", async function () {
      const n = await online();
      let stream: TcpStream | undefined;
      n.lan.addHost({ ip: PEER }).tcpListen(7, (s) => { stream = s; });
      ev(n.b, `globalThis.s = socket.socket(); s.settimeout(0.5)`);
      assert.equal(ev(n.b, "s.gettimeout()"), 0.5);
      await resolved(n.b, `s.connect(["${PEER}", 7])`);
      const o = await settle(n.b, `s.recv(10)`);
      assert.equal(o.code, "ETIMEDOUT");
      stream!.write("late");
      assert.equal(await resolved(n.b, `s.recv(10).then(txt)`), "late");
      ev(n.b, "s.setblocking(false)");
      assert.equal((await settle(n.b, `s.recv(10)`)).code, "EAGAIN");
    });

    it("connect timeout: an address nobody has -> ETIMEDOUT after settimeout", async function () {
      const n = await online();
      ev(n.b, `globalThis.s = socket.socket(); s.settimeout(0.5)`);
      const o = await settle(n.b, `s.connect(["192.168.1.99", 7])`);
      assert.equal(o.code, "ETIMEDOUT");
    });

    it("sockets up to the board limit (maxSockets 10), one past it -> EMFILE naming the limit; closing one frees a slot", async function () {
      const n = await online();
      const peer = echoHost(n);
      assert.equal(n.b.profile.capabilities.maxSockets, 10);
      ev(n.b, `globalThis.all = []; for (var i = 0; i < 10; i++) all.push(socket.socket());`);
      await resolved(n.b, `Promise.all(all.map(function (s) { return s.connect(["${PEER}", 7]); }))`);
      assert.equal(peer.accepted, 10);
      assert.equal(n.b.socketsInUse(), 10);
      const o = await settle(n.b, `socket.socket().connect(["${PEER}", 7])`);
      assert.equal(o.code, "EMFILE");
      assert.match(o.message!, /10/);
      assert.equal(peer.accepted, 10, "nothing reached the peer");
      // all ten still work
      await resolved(n.b, `Promise.all(all.map(function (s, i) { return s.sendall("#" + i).then(function () { return recvAll(s, 2); }); }))`);
      ev(n.b, `all[3].close()`);
      await until(() => n.b.socketsInUse() === 9, "the closed socket's slot given back");
      ev(n.b, `globalThis.eleventh = socket.socket()`);
      await resolved(n.b, `eleventh.connect(["${PEER}", 7])`);
      assert.equal(peer.accepted, 11);
      await resolved(n.b, `eleventh.sendall("ok")`);
      assert.equal(await resolved(n.b, `recvAll(eleventh, 2)`), "ok");
    });

    it("a board server: bind/listen/accept, a LAN host connects", async function () {
      const n = await online();
      const ip = ev(n.b, `require("network").WLAN(0).ifconfig()[0]`);
      ev(n.b, `globalThis.srv = socket.socket(); globalThis.done = srv.bind(["", 8080]).then(function () { return srv.listen(); })
        .then(function () { return srv.accept(); }).then(function (r) { globalThis.peerAddr = r[1];
          return r[0].recv(100).then(function (d) { return r[0].sendall("up:" + txt(d)); }).then(function () { r[0].close(); }); });`);
      await n.b.settle();
      const client = await n.lan.addHost({ ip: PEER }).tcpConnect(ip, 8080);
      let reply = "";
      client.on("data", (d: Buffer) => (reply += d.toString()));
      client.write("hi");
      await resolved(n.b, "done");
      await until(() => reply === "up:hi", "reply");
      // Espruino's sockets have no remoteAddress: the peer of an accepted connection is unknown
      assert.deepEqual(ev(n.b, "peerAddr"), ["", 0]);
    });
  });

  describe("UDP", function () {
    it("bind, sendto a LAN host, recvfrom the reply with the peer's [ip, port]", async function () {
      const n = await online();
      const peer = n.lan.addHost({ ip: PEER });
      const h = peer.udpBind({ port: 9999, onMessage: (d, from) => h.send(Uint8Array.from([...d].reverse()), from.port, from.address) });
      ev(n.b, `globalThis.u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)`);
      await resolved(n.b, `u.bind(["", 5005])`);
      assert.deepEqual(ev(n.b, "u.getsockname()"), ["0.0.0.0", 5005]);
      assert.equal(await resolved(n.b, `u.sendto("abc€", ["${PEER}", 9999])`), 6);
      const r = await resolved(n.b, `u.recvfrom(100).then(function (r) { return [txt(r[0]), r[1]]; })`);
      assert.deepEqual(r, [utf8("abc€").split("").reverse().join(""), [PEER, 9999]]);
      ev(n.b, "u.close()");
      assert.equal((await settle(n.b, `u.recvfrom(1)`)).code, "EBADF");
    });
  });

  describe("asyncio streams", function () {
    it("open_connection to a LAN line-echo server: write + drain, readline, readexactly, peername", async function () {
      const n = await online();
      n.lan.addHost({ ip: PEER }).tcpListen(7, (s) => {
        let buf = "";
        s.on("data", (d: Buffer) => {
          buf += d.toString("latin1");
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            s.write(Buffer.from("echo " + buf.slice(0, i + 1), "latin1"));
            buf = buf.slice(i + 1);
          }
        });
      });
      ev(n.b, `globalThis.rw = null; asyncio.open_connection("${PEER}", 7).then(function (x) { rw = x; })`);
      await until(() => ev(n.b, "rw !== null"), "open_connection");
      assert.deepEqual(ev(n.b, `rw[1].get_extra_info("peername")`), [PEER, 7]);
      const line = await resolved(n.b, `(rw[1].write("one\\ntw"), rw[1].drain()).then(function () { rw[1].write("o\\n"); return rw[1].drain(); })
        .then(function () { return rw[0].readline(); }).then(txt)`);
      assert.equal(line, "echo one\n");
      assert.equal(await resolved(n.b, `rw[0].readexactly(5).then(txt)`), "echo ");
      assert.equal(await resolved(n.b, `rw[0].readline().then(txt)`), "two\n");
      ev(n.b, "rw[1].close()");
      await resolved(n.b, "rw[1].wait_closed()");
      assert.equal((await settle(n.b, `rw[0].readline()`)).code, "EBADF");
    });

    it("readexactly: the peer closing first rejects EOF with the partial bytes", async function () {
      const n = await online();
      n.lan.addHost({ ip: PEER }).tcpListen(7, (s) => s.end("abc"));
      const o = await settle(n.b, `asyncio.open_connection("${PEER}", 7).then(function (rw) { return rw[0].readexactly(10); })`);
      assert.equal(o.code, "EOF");
      assert.match(o.message!, /3 of 10/);
    });

    it("start_server on the board; a LAN host connects and is answered", async function () {
      const n = await online();
      const ip = ev(n.b, `require("network").WLAN(0).ifconfig()[0]`);
      ev(n.b, `globalThis.server = null; asyncio.start_server(function (r, w) {
          return r.readline().then(function (l) { w.write("hello " + txt(l)); return w.drain(); }).then(function () { w.close(); });
        }, "0.0.0.0", 8888).then(function (s) { server = s; });`);
      await until(() => ev(n.b, "server !== null"), "start_server");
      const laptop = n.lan.addHost({ ip: PEER });
      for (const who of ["laptop\n", "phone\n"]) {
        const c = await laptop.tcpConnect(ip, 8888);
        let reply = "";
        let ended = false;
        c.on("data", (d: Buffer) => (reply += d.toString()));
        c.on("end", () => {
          ended = true;
          c.end();
        });
        c.write(who);
        await until(() => ended, "the board closes");
        assert.equal(reply, "hello " + who);
      }
      ev(n.b, "server.close()");
      await until(() => n.b.socketsInUse() === 0, "listener released");
      await assert.rejects(laptop.tcpConnect(ip, 8888), /ECONNREFUSED|refused/);
    });
  });

  describe("ssl on stock firmware (esp32: no verification)", function () {
    /** A Node TLS server on a LAN host (port 443) that answers "re:<data>"; counts connections. */
    function tlsHost(n: TestNet, ip = PEER): { accepted: number; secure: number; ciphers: string[] } {
      const pki = testPki()!;
      const ctx = tls.createSecureContext({ key: pki.serverKeyPem, cert: pki.serverCertPem });
      const stats = { accepted: 0, secure: 0, ciphers: [] as string[] };
      n.lan.addHost({ ip }).tcpListen(443, (stream) => {
        stats.accepted++;
        const t = new tls.TLSSocket(stream, { isServer: true, secureContext: ctx });
        t.on("secure", () => {
          stats.secure++;
          stats.ciphers.push(t.getCipher().name);
        });
        t.on("data", (d: Buffer) => t.write("re:" + d.toString()));
        t.on("error", () => {});
      });
      return stats;
    }

    it("CERT_REQUIRED (SSLContext(PROTOCOL_TLS_CLIENT) defaults) is refused with CERT_UNVERIFIABLE; the peer sees no connection", async function () {
      if (!testPki()) return this.skip();
      const n = await online();
      const peer = tlsHost(n);
      ev(n.b, `globalThis.ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); globalThis.s = socket.socket()`);
      assert.equal(ev(n.b, "ctx.verify_mode"), ev(n.b, "ssl.CERT_REQUIRED"));
      const e = thrown(n.b, `ctx.wrap_socket(s, {server_hostname: "peer.example"})`);
      assert.equal(e.code, "CERT_UNVERIFIABLE");
      assert.match(e.message!, /CERT_NONE/);
      const o = await settle(n.b, `asyncio.open_connection("${PEER}", 443, {ssl: true, server_hostname: "peer.example"})`);
      assert.equal(o.code, "CERT_UNVERIFIABLE");
      await n.b.settle();
      assert.equal(peer.accepted, 0, "not a byte was sent");
      assert.equal(n.b.socketsInUse(), 0);
    });

    it("CERT_NONE: an encrypted connection to a Node tls server", async function () {
      if (!testPki()) return this.skip();
      const n = await online();
      const peer = tlsHost(n);
      ev(n.b, `globalThis.ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = false; ctx.verify_mode = ssl.CERT_NONE;
        globalThis.s = ctx.wrap_socket(socket.socket(), {server_hostname: "peer.example"})`);
      await resolved(n.b, `s.connect(["${PEER}", 443])`);
      await resolved(n.b, `s.sendall("secret")`);
      assert.equal(await resolved(n.b, `recvAll(s, 9)`), "re:secret");
      assert.equal(peer.secure, 1, "the handshake completed");
      assert.ok(peer.ciphers[0], "a cipher was negotiated");
      ev(n.b, "s.close()");
    });

    it("ssl.wrap_socket (module level, CERT_NONE default) through asyncio-less code; wrapping a connected socket that moved data -> EISCONN", async function () {
      if (!testPki()) return this.skip();
      const n = await online();
      tlsHost(n);
      echoHost(n, 7, "192.168.1.51");
      ev(n.b, `globalThis.s = ssl.wrap_socket(socket.socket())`);
      await resolved(n.b, `s.connect(["${PEER}", 443]).then(function () { return s.sendall("m"); })`);
      assert.equal(await resolved(n.b, `recvAll(s, 4)`), "re:m");
      ev(n.b, `globalThis.p = socket.socket()`);
      await resolved(n.b, `p.connect(["192.168.1.51", 7]).then(function () { return p.sendall("x"); })`);
      assert.equal(thrown(n.b, `ssl.wrap_socket(p)`).code, "EISCONN");
    });
  });

  describe("ssl on the verifying firmware (esp32-verify: tlsVerify)", function () {
    async function verifying(clock: number | null): Promise<TestNet & { b: EmulatedBoard; accepted: () => number }> {
      const n = await online("esp32-verify");
      const pki = testPki()!;
      n.router.dns.add("peer.example", "A", PEER);
      n.router.dns.add("other.example", "A", PEER);
      const ctx = tls.createSecureContext({ key: pki.serverKeyPem, cert: pki.serverCertPem });
      let accepted = 0;
      n.lan.addHost({ ip: PEER }).tcpListen(443, (stream) => {
        accepted++;
        const t = new tls.TLSSocket(stream, { isServer: true, secureContext: ctx });
        t.on("data", (d: Buffer) => t.write("re:" + d.toString()));
        t.on("error", () => {});
      });
      if (clock !== null) n.b.clock.setWall(clock);
      ev(n.b, `globalThis.CA = ${JSON.stringify(pki.caPem)};
        globalThis.attempt = function (host, ca, name) {
          var ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); if (ca) ctx.load_verify_locations(null, null, ca);
          var s = ctx.wrap_socket(socket.socket(), {server_hostname: name || host});
          return s.connect([host, 443]).then(function () { return s.sendall("v"); }).then(function () { return recvAll(s, 4); })
            .then(function (r) { s.close(); return r; }, function (e) { s.close(); throw e; });
        };`);
      return Object.assign(n, { b: n.board, accepted: () => accepted });
    }

    it("a valid certificate with load_verify_locations(CA PEM) and server_hostname peer.example is accepted", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(Date.now());
      assert.equal(await resolved(n.b, `attempt("peer.example", CA)`), "re:v");
    });

    it("wrong host name -> CERT_HOSTNAME_MISMATCH", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(Date.now());
      const o = await settle(n.b, `attempt("other.example", CA)`);
      assert.equal(o.code, "CERT_HOSTNAME_MISMATCH", JSON.stringify(o));
    });

    it("server_hostname other than the certificate's, connecting by address -> CERT_HOSTNAME_MISMATCH", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(Date.now());
      const o = await settle(n.b, `attempt("${PEER}", CA, "other.example")`);
      assert.equal(o.code, "CERT_HOSTNAME_MISMATCH", JSON.stringify(o));
    });

    it("unknown CA -> CERT_UNKNOWN_CA", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(Date.now());
      // a CA the server's certificate was not signed by
      const other = otherCaPem();
      if (!other) return this.skip();
      const o = await settle(n.b, `attempt("peer.example", ${JSON.stringify(other)})`);
      assert.equal(o.code, "CERT_UNKNOWN_CA", JSON.stringify(o));
      const none = await settle(n.b, `attempt("peer.example", null)`);
      assert.equal(none.code, "CERT_UNKNOWN_CA", "no CA loaded at all");
    });

    it("a certificate past its notAfter (board clock a day later) -> CERT_EXPIRED", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(testPki()!.notAfter + 86400000);
      const o = await settle(n.b, `attempt("peer.example", CA)`);
      assert.equal(o.code, "CERT_EXPIRED", JSON.stringify(o));
    });

    it("clock never set (1970) -> CLOCK_NOT_SET before any connection; after setting the clock it connects", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(null);
      assert.ok(n.b.clock.now() < 1e9);
      const o = await settle(n.b, `attempt("peer.example", CA)`);
      assert.equal(o.code, "CLOCK_NOT_SET");
      assert.match(o.message!, /ntptime/);
      assert.equal(n.accepted(), 0, "nothing was sent");
      n.b.clock.setWall(Date.now());
      assert.equal(await resolved(n.b, `attempt("peer.example", CA)`), "re:v");
    });

    it("the clock set by ntptime.settime() from the router's NTP server", async function () {
      if (!testPki()) return this.skip();
      const n = await verifying(null);
      ev(n.b, `require("ntptime").host = "${n.router.address}"`);
      await resolved(n.b, `require("ntptime").settime()`);
      assert.equal(await resolved(n.b, `attempt("peer.example", CA)`), "re:v");
    });
  });
});
