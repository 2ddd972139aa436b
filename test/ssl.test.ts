// ssl (src/ssl/index.ts) on the in-memory platform: capability refusals before any byte,
// PEM -> DER, wrapping unconnected and connected sockets, certificate error codes.
import assert from "node:assert/strict";
import { configure, create_connection, socket } from "../src/socket/socket.ts";
import * as ssl from "../src/ssl/index.ts";
import * as asyncio from "../src/asyncio/index.ts";
import { FakeNet, settle, bytesOf, codedError, type End } from "./socket-fake-platform.ts";

let net: FakeNet;
let peers: End[];

// A made-up "certificate": any bytes work, the firmware is faked.
const DER = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 255);
const b64 = Buffer.from(DER).toString("base64");
const PEM = "-----BEGIN CERTIFICATE-----\n" + b64.replace(/(.{64})/g, "$1\n") + "\n-----END CERTIFICATE-----\n";
const KEY = new Uint8Array([48, 130, 1, 2, 3, 250]);
const KEY_PEM = "-----BEGIN PRIVATE KEY-----\n" + Buffer.from(KEY).toString("base64") + "\n-----END PRIVATE KEY-----\n";

function verifyingBoard(): void {
  net.caps.tlsVerify = true;
  net.caps.tlsServer = true;
}

function rejectsWith(p: Promise<unknown>, code: string): Promise<any> {
  return p.then(() => assert.fail("expected " + code), (e) => {
    assert.equal(e.code, code, e.message);
    return e;
  });
}

describe("ssl", () => {
  beforeEach(() => {
    net = new FakeNet();
    configure(net);
    peers = [];
    net.serve("10.0.0.5", 443, (p) => { peers.push(p); p.ondata = (d) => p.write(d); });
  });

  it("defaults follow CPython: a client context verifies, the old wrap_socket does not", () => {
    const c = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    assert.equal(c.verify_mode, ssl.CERT_REQUIRED);
    assert.equal(c.check_hostname, true);
    const s = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    assert.equal(s.verify_mode, ssl.CERT_NONE);
    assert.equal(s.check_hostname, false);
  });

  it("stock firmware: CERT_REQUIRED is refused with CERT_UNVERIFIABLE before anything reaches the platform", async () => {
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(PEM);
    assert.throws(() => ctx.wrap_socket(socket(), { server_hostname: "example.com" }),
      (e: any) => e.code === "CERT_UNVERIFIABLE" && /CERT_NONE/.test(e.message) && /tlsVerify/.test(e.message));
    ctx.verify_mode = 1; // CERT_OPTIONAL: verification too
    assert.throws(() => ctx.wrap_socket(socket(), { server_hostname: "example.com" }), { code: "CERT_UNVERIFIABLE" });
    await rejectsWith(asyncio.open_connection("10.0.0.5", 443, { ssl: true }), "CERT_UNVERIFIABLE");
    assert.throws(() => ssl.wrap_socket(socket(), { cert_reqs: ssl.CERT_REQUIRED, ca_certs: PEM }), { code: "CERT_UNVERIFIABLE" });
    assert.deepEqual(net.calls, [], "no connect reached the platform");
    assert.equal(net.open, 0);
  });

  it("stock firmware: CERT_NONE chosen knowingly gives an encrypted connection", async () => {
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    ctx.check_hostname = false;
    ctx.verify_mode = ssl.CERT_NONE;
    const [r, w] = await asyncio.open_connection("10.0.0.5", 443, { ssl: ctx, server_hostname: "cam.example" });
    assert.deepEqual(net.calls, ["connectTcp 10.0.0.5:443 tls"]);
    assert.deepEqual(net.tlsSeen[0], { ca: undefined, cert: undefined, key: undefined, servername: "cam.example", verify: false });
    w.write("hello\n");
    assert.equal(Buffer.from(await r.readline()).toString(), "hello\n");
    w.close();
  });

  it("check_hostname with CERT_NONE is a clear EINVAL", () => {
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    ctx.verify_mode = ssl.CERT_NONE;
    assert.throws(() => ctx.wrap_socket(socket(), { server_hostname: "x" }), { code: "EINVAL" });
  });

  it("PEM text is converted to DER (the firmware rejects PEM); DER bytes pass through", () => {
    assert.deepEqual(ssl.toDer(PEM), DER);
    assert.deepEqual(ssl.toDer(DER), DER);
    // a combined file: certificate and key picked by label
    assert.deepEqual(ssl.toDer(PEM + KEY_PEM), DER);
    assert.deepEqual(ssl.toDer(PEM + KEY_PEM, true), KEY);
    assert.deepEqual(ssl.toDer("-----BEGIN X-----\naGVsbG8=\n-----END X-----"), bytesOf("hello"));
    assert.throws(() => ssl.toDer("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----"), { code: "EINVAL" });
    assert.throws(() => ssl.toDer("not PEM"), { code: "EINVAL" });
  });

  it("a verifying firmware gets CA (as DER), servername and verify", async () => {
    verifyingBoard();
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations({ cadata: PEM });
    ctx.load_cert_chain(PEM, KEY_PEM);
    const s = ctx.wrap_socket(socket(), { server_hostname: "cam.example" });
    await s.connect(["10.0.0.5", 443]);
    const t = net.tlsSeen[0]!;
    assert.deepEqual(t.ca, DER);
    assert.deepEqual(t.cert, DER);
    assert.deepEqual(t.key, KEY);
    assert.equal(t.servername, "cam.example");
    assert.equal(t.verify, true);
    s.close();
  });

  it("CERT_REQUIRED without a CA loaded is refused up front", () => {
    verifyingBoard();
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    assert.throws(() => ctx.wrap_socket(socket(), { server_hostname: "x" }), { code: "CERT_UNKNOWN_CA" });
  });

  it("CLOCK_NOT_SET when verification is asked and the clock was never set", async () => {
    verifyingBoard();
    net.clock = Date.UTC(1970, 0, 1, 0, 5);
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(DER);
    const s = ctx.wrap_socket(socket(), { server_hostname: "cam.example" });
    const e = await rejectsWith(s.connect(["10.0.0.5", 443]), "CLOCK_NOT_SET");
    assert.match(e.message, /ntptime\.settime/);
    assert.deepEqual(net.calls, []);
    assert.equal(net.open, 0);
  });

  it("the platform's verify failures (CERT_UNKNOWN_CA, CERT_EXPIRED, CERT_HOSTNAME_MISMATCH) reach the reader as they are", async () => {
    verifyingBoard();
    for (const code of ["CERT_UNKNOWN_CA", "CERT_EXPIRED", "CERT_HOSTNAME_MISMATCH"]) {
      const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);
      ctx.load_verify_locations(DER);
      net.tlsFailure = codedError(code, "certificate refused");
      const [r, w] = await asyncio.open_connection("10.0.0.5", 443, { ssl: ctx });
      await rejectsWith(r.read(), code);
      w.close();
    }
  });

  it("server_side where the firmware has no TLS server is EOPNOTSUPP", () => {
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(PEM, KEY_PEM);
    assert.throws(() => ctx.wrap_socket(socket(), { server_side: true }), { code: "EOPNOTSUPP" });
  });

  it("a TLS server passes its certificate to the platform's listener", async () => {
    verifyingBoard();
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(PEM + KEY_PEM);
    const server = await asyncio.start_server(() => {}, "", 8443, { ssl: ctx });
    assert.deepEqual(net.calls, ["listenTcp 8443 tls"]);
    server.close();
  });

  it("wrapping an unconnected socket: its connect() goes through TLS", async () => {
    const s = ssl.wrap_socket(socket());
    assert.deepEqual(net.calls, []);
    await s.connect(["10.0.0.5", 443]);
    assert.deepEqual(net.calls, ["connectTcp 10.0.0.5:443 tls"]);
    await s.sendall("x");
    assert.equal(Buffer.from(await s.recv(10)).toString(), "x");
    s.close();
  });

  it("wrapping a connected or listening socket is refused (EISCONN): wrap before connect()", async () => {
    const plain = await create_connection(["10.0.0.5", 443]);
    assert.throws(() => ssl.wrap_socket(plain), { code: "EISCONN", message: /before connect\(\)/ });
    assert.deepEqual(net.calls, ["connectTcp 10.0.0.5:443"]);
    // the plain connection is untouched
    await plain.sendall("x");
    assert.equal(Buffer.from(await plain.recv(10)).toString(), "x");
    plain.close();
    verifyingBoard();
    const ctx = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(PEM + KEY_PEM);
    const srv = socket();
    await srv.bind(["", 8443]);
    await srv.listen();
    assert.throws(() => ctx.wrap_socket(srv, { server_side: true }), { code: "EISCONN" });
    srv.close();
    assert.throws(() => ctx.wrap_socket(srv, { server_side: true }), { code: "EBADF" });
  });

  it("wrapping a socket that already moved data is refused (EISCONN)", async () => {
    const plain = await create_connection(["10.0.0.5", 443]);
    await plain.sendall("hello");
    const e = (() => { try { ssl.wrap_socket(plain); } catch (x) { return x as any; } })();
    assert.equal(e.code, "EISCONN");
    assert.match(e.message, /before connect\(\)/);
    plain.close();
  });
});
