// The bundle's ssl + socket objects (Linux board profile, real loopback sockets) against a
// real `openssl s_server -rev` (answers every line reversed) on 127.0.0.1, with the test CA's
// server certificate. Skips only when openssl is missing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { testPki, until } from "../emulator/espruino/testing.ts";
import { realStack, type RealStack } from "../emulator/lan/real-stack.ts";
import { ev, resolved, settle, thrown } from "./helpers/board.ts";
import { freePort, startDaemon, tcpListening, type Daemon } from "./peers/helpers.ts";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}



describe("ssl against a real openssl s_server (Linux board, loopback)", function () {
  this.timeout(30000);
  let server: Daemon | undefined;
  let port = 0;
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;

  before(async function () {
    const pki = hasOpenssl() && testPki();
    if (!pki) return this.skip();
    port = await freePort();
    server = startDaemon("openssl", (dir) => {
      writeFileSync(join(dir, "srv.pem"), pki.serverCertPem);
      writeFileSync(join(dir, "srv.key"), pki.serverKeyPem);
      return ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", join(dir, "srv.pem"), "-key", join(dir, "srv.key"), "-rev"];
    }, "camnet-s_server-");
    await tcpListening(port, server);
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: "linux", host: stack, resolvConf: "" });
    ev(board, `var socket = require("socket"), ssl = require("ssl");
      globalThis.txt = function (u) { var s = ""; for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return s; };`);
  });
  afterEach(() => {
    board?.powerOff();
    stack?.close();
  });

  const established = () => (server!.log().match(/CONNECTION ESTABLISHED/g) ?? []).length;

  it("CERT_NONE: the handshake completes and a line goes both ways", async function () {
    const b = board!;
    const before = established();
    ev(b, `globalThis.ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = false; ctx.verify_mode = ssl.CERT_NONE;
      globalThis.s = ctx.wrap_socket(socket.socket())`);
    await resolved(b, `s.connect(["127.0.0.1", ${port}])`);
    await resolved(b, `s.sendall("hello camnet\\n")`);
    const line = await resolved(b, `(function () { var got = "";
      function more() { return s.recv(100).then(function (d) { got += txt(d); return got.indexOf("\\n") < 0 && d.length ? more() : got; }); }
      return more(); })()`);
    assert.equal(line, "tenmac olleh\n");
    await until(() => established() === before + 1, "openssl saw the handshake");
    assert.match(server!.log(), /Ciphersuite: \S+/);
    ev(b, "s.close()");
  });

  it("CERT_REQUIRED on firmware that cannot verify: CERT_UNVERIFIABLE, and openssl sees no connection", async function () {
    const b = board!;
    const before = established();
    const e = thrown(b, `new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).wrap_socket(socket.socket(), {server_hostname: "peer.example"})`);
    assert.equal(e.code, "CERT_UNVERIFIABLE");
    const o = await settle(b, `require("asyncio").open_connection("127.0.0.1", ${port}, {ssl: true, server_hostname: "peer.example"})`);
    assert.equal(o.code, "CERT_UNVERIFIABLE");
    await new Promise((r) => setTimeout(r, 200)); // give a stray connection time to show up in the log
    assert.equal(established(), before);
  });
});
