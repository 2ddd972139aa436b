// ssl on firmware that verifies (capabilities tlsVerify and tlsServer, as boards/esp32-verify),
// against real openssl on loopback: a chain, dates and host name checked against a CA of this
// test's own, each failure its own code; a client certificate where the server asks for one;
// a TLS server (asyncio.start_server with ssl) that `openssl s_client` verifies. The bundle is
// built for a Linux-network board with those capabilities so that its sockets are real ones.
// Skips only when openssl is missing.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { realStack, type RealStack } from "../emulator/lan/real-stack.ts";
import { buildBundle, loadBoards, ROOT } from "../scripts/build.ts";
import { ev, resolved, settle } from "./helpers/board.ts";
import { freePort, startDaemon, tcpListening, type Daemon } from "./peers/helpers.ts";

/** A CA, server certificates for localhost and for peer.example, a client certificate, and a
 *  second CA nobody trusts. The firmware connects to the name it verifies (Espruino's
 *  tls.connect has one `host` for both), and "localhost" is the one name it resolves here. */
interface Pki {
  dir: string;
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  notAfter: number;
}

function makePki(): Pki | null {
  const dir = mkdtempSync(join(tmpdir(), "camnet-tls-verify-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" }).toString();
  try {
    const ca = (name: string, cn: string) =>
      run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "3650", "-subj", `/CN=${cn}`);
    const leaf = (name: string, cn: string, ext: string) => {
      run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
      writeFileSync(join(dir, `${name}.cnf`), ext + "\n");
      run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "30", "-extfile", `${name}.cnf`);
    };
    ca("ca", "camnet verify test CA");
    ca("other", "a CA nobody here trusts");
    leaf("srv", "localhost", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth");
    leaf("peer", "peer.example", "subjectAltName=DNS:peer.example\nextendedKeyUsage=serverAuth");
    leaf("cli", "kitchen-cam", "extendedKeyUsage=clientAuth");
    const end = /notAfter=(.*)/.exec(run("x509", "-in", "srv.pem", "-noout", "-enddate"))![1]!;
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    return {
      dir, ca: read("ca.pem"), otherCa: read("other.pem"), serverCert: read("srv.pem"), serverKey: read("srv.key"),
      clientCert: read("cli.pem"), clientKey: read("cli.key"), notAfter: Date.parse(end),
    };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}



describe("ssl on verifying firmware against real openssl (loopback)", function () {
  this.timeout(40000);
  let pki: Pki | null = null;
  let tmp = "";
  let profile = "";
  let bundle = "";
  const servers: Daemon[] = [];
  let plain = 0; // s_server -rev with the certificate for localhost
  let mutual = 0; // the same, and it demands a client certificate from our CA
  let other = 0; // s_server -rev with the certificate for peer.example
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;

  before(async function () {
    pki = makePki();
    if (!pki) return this.skip();
    tmp = mkdtempSync(join(tmpdir(), "camnet-linux-verify-"));
    const linux = loadBoards().find((b) => b.id === "linux")!;
    const verifying = { ...linux, id: "linux-verify", capabilities: { ...linux.capabilities, tlsVerify: true, tlsServer: true } };
    profile = join(tmp, "linux-verify.json");
    writeFileSync(profile, JSON.stringify(verifying));
    bundle = join(tmp, "camnet.js");
    writeFileSync(bundle, (await buildBundle({ entry: join(ROOT, "src", "runtime.ts"), board: verifying, label: "linux-verify/camnet.js" })).minified);
    const p = pki;
    const sServer = async (cert: string, extra: string[]) => {
      const port = await freePort();
      const d = startDaemon("openssl", () =>
        ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", join(p.dir, `${cert}.pem`), "-key", join(p.dir, `${cert}.key`), "-rev", ...extra], "camnet-s_server-");
      servers.push(d);
      await tcpListening(port, d);
      return port;
    };
    plain = await sServer("srv", []);
    mutual = await sServer("srv", ["-Verify", "1", "-CAfile", join(p.dir, "ca.pem"), "-verify_return_error"]);
    other = await sServer("peer", []);
  });
  after(async () => {
    for (const s of servers) await s.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(async () => {
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: profile, bundle, host: stack, resolvConf: "" });
    const p = pki!;
    ev(board, `var socket = require("socket"), ssl = require("ssl"), asyncio = require("asyncio");
      globalThis.CA = ${JSON.stringify(p.ca)}; globalThis.OTHER = ${JSON.stringify(p.otherCa)};
      globalThis.txt = function (u) { var s = ""; for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return s; };
      globalThis.client = function (ca) { var c = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.load_verify_locations(ca); return c; };
      globalThis.line = function (s, text) { return s.sendall(text + "\\n").then(function () {
        var got = "";
        function more() { return s.recv(100).then(function (d) { got += txt(d); return got.indexOf("\\n") < 0 && d.length ? more() : got; }); }
        return more(); }); };`);
  });
  afterEach(() => {
    board?.powerOff();
    stack?.close();
  });

  /** Connects a context (a JS expression) to `port` as `name`; the Promise's settlement. */
  const connect = (ctx: string, port: number) =>
    settle(board!, `(function () { globalThis.s = ${ctx}.wrap_socket(socket.socket(), {server_hostname: "localhost"});
      return s.connect(["127.0.0.1", ${port}]).then(function () { return line(s, "verified"); }); })()`);

  it("CERT_REQUIRED with the right CA and name: the chain, dates and name check out, and data flows", async () => {
    const r = await connect("client(CA)", plain);
    assert.ok(r.ok, `${r.code}: ${r.message}`);
    assert.equal(r.value, "deifirev\n");
  });

  it("a chain from a CA not loaded is CERT_UNKNOWN_CA", async () => {
    const r = await connect("client(OTHER)", plain);
    assert.equal(r.code, "CERT_UNKNOWN_CA", r.message);
  });

  it("CERT_NONE on verifying firmware: no check at all (a CA not loaded, another name), and data flows", async () => {
    ev(board!, `globalThis.loose = client(OTHER); loose.check_hostname = false; loose.verify_mode = ssl.CERT_NONE;`);
    const r = await connect("loose", other);
    assert.ok(r.ok, `${r.code}: ${r.message}`);
    assert.equal(r.value, "deifirev\n");
  });

  it("a certificate for another name is CERT_HOSTNAME_MISMATCH", async () => {
    const r = await connect("client(CA)", other);
    assert.equal(r.code, "CERT_HOSTNAME_MISMATCH", r.message);
  });

  it("a certificate past its end date (the board's clock after notAfter) is CERT_EXPIRED", async () => {
    board!.clock.setWall(pki!.notAfter + 86400000);
    const r = await connect("client(CA)", plain);
    assert.equal(r.code, "CERT_EXPIRED", r.message);
  });

  it("a server that demands a client certificate: refused without one, served with load_cert_chain", async () => {
    const without = await connect("client(CA)", mutual);
    // TLS 1.3: the client finishes first, then the server's "certificate required" alert ends it
    assert.ok(without.code === "ECONNRESET" || without.code === "ETLSHANDSHAKE", `${without.code}: ${without.message}`);
    const p = pki!;
    ev(board!, `globalThis.withCert = client(CA); withCert.load_cert_chain(${JSON.stringify(p.clientCert)}, ${JSON.stringify(p.clientKey)})`);
    const r = await connect("withCert", mutual);
    assert.ok(r.ok, `${r.code}: ${r.message}`);
    assert.equal(r.value, "deifirev\n");
  });

  it("asyncio.start_server with ssl: openssl s_client verifies the board's certificate and gets its reply", async () => {
    const p = pki!;
    const port = await freePort();
    await resolved(board!, `(function () {
      var ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
      ctx.load_cert_chain(${JSON.stringify(p.serverCert)}, ${JSON.stringify(p.serverKey)});
      return asyncio.start_server(function (r, w) {
        return r.readline().then(function (l) { w.write("board got " + txt(l)); return w.drain(); }).then(function () { w.close(); });
      }, "127.0.0.1", ${port}, {ssl: ctx}).then(function (srv) { globalThis.srv = srv; });
    })()`);
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", join(p.dir, "ca.pem"),
        "-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost", "-quiet"], { stdio: ["pipe", "pipe", "pipe"] });
      let text = "";
      c.stdout.on("data", (d: Buffer) => (text += d.toString()));
      c.stderr.on("data", (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => c.kill(), 15000);
      c.on("error", reject);
      c.on("close", () => {
        clearTimeout(timer);
        resolve(text);
      });
      c.stdin.write("hello board\n");
    });
    assert.match(out, /board got hello board/, out);
    assert.doesNotMatch(out, /verify error/i, out);
    ev(board!, "srv.close()");
  });
});
