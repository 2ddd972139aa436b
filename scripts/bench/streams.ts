// Issue 6's figures: TCP echo throughput through camnet's socket objects and asyncio streams
// on the emulated board, beside raw Node `net` doing the same transfer in the same run; and
// the TLS handshake time on the emulated board, beside Node's own tls client.
//
// The peers are real: a Node `net` echo server and a Node `tls` server on 127.0.0.1. The board
// is the Linux profile bridged to the OS's sockets (emulator/lan/real-stack.ts), running the
// built bundle (camnet.js). Every transfer moves `kb` KB to the echo server and reads the same
// bytes back, sending and reading at once; MB/s is the bytes sent over the wall time from the
// first write to the last byte read back (the connection is made before the clock starts).
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { testPki } from "../../emulator/espruino/testing.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { settle } from "../../test/helpers/board.ts";
import { median, type Figure } from "./table.ts";

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** A Node echo server on 127.0.0.1 (ephemeral port). */
function echoServer(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((c) => {
      c.on("error", () => {});
      c.pipe(c);
    });
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

/** Raw Node net: writes `bytes` in 1 KB pieces (as sendall hands them over) while reading the
 *  echo; ms from the first write to the last byte back. */
function rawEcho(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1", () => {
      const data = Buffer.alloc(bytes, 7);
      let got = 0, i = 0;
      const t0 = performance.now();
      c.on("data", (d: Buffer) => {
        got += d.length;
        if (got >= bytes) {
          resolve(performance.now() - t0);
          c.destroy();
        }
      });
      const pump = () => {
        while (i < bytes) {
          const ok = c.write(data.subarray(i, i += 1024));
          if (!ok) return void c.once("drain", pump);
        }
      };
      pump();
    });
    c.on("error", reject);
  });
}

/** Board-side code: the same transfer through socket.sendall/recv, or asyncio write/drain/read. */
const BOARD_HELPERS = `globalThis.__echo = function (mode, port, n) {
  var data = new Uint8Array(n), got = 0, t0;
  for (var i = 0; i < n; i++) data[i] = i & 255;
  function reader(read) { return read().then(function (d) { got += d.length; return d.length && got < n ? reader(read) : got; }); }
  if (mode == "net") {
    // the emulated firmware's own net module, no camnet: binary strings, 1 KB writes
    var str = ""; for (i = 0; i < 1024; i++) str += String.fromCharCode(i & 255);
    return new Promise(function (resolve, reject) {
      var c = require("net").connect({ host: "127.0.0.1", port: port }, function () {
        var k = 0;
        t0 = Date.now();
        function pump() { while (k < n) { k += 1024; if (c.write(str) === false) return; } }
        c.on("drain", pump);
        pump();
      });
      c.on("data", function (d) { got += d.length; if (got >= n) { c.end(); resolve([got, Date.now() - t0]); } });
      c.on("error", function (e) { reject(new Error("net: " + e.message)); });
    });
  }
  if (mode == "socket") {
    var s = require("socket").socket();
    return s.connect(["127.0.0.1", port]).then(function () {
      t0 = Date.now();
      return Promise.all([s.sendall(data), reader(function () { return s.recv(4096); })]);
    }).then(function () { s.close(); return [got, Date.now() - t0]; });
  }
  return require("asyncio").open_connection("127.0.0.1", port).then(function (rw) {
    var w = rw[1], r = rw[0], k = 0;
    t0 = Date.now();
    function writer() { if (k >= n) return w.drain(); w.write(data.subarray(k, k += 1024)); return w.drain().then(writer); }
    return Promise.all([writer(), reader(function () { return r.read(4096); })]).then(function () { w.close(); return [got, Date.now() - t0]; });
  });
};`;

interface Booted {
  board: EmulatedBoard;
  stack: RealStack;
  close(): void;
}

async function bootLinux(linuxOutDir: string): Promise<Booted> {
  const stack = realStack("127.0.0.1");
  let board: EmulatedBoard;
  try {
    board = await bootBoard({ board: "linux", host: stack, resolvConf: "", bundle: path.join(linuxOutDir, "camnet.js") });
  } catch (e) {
    stack.close();
    throw e;
  }
  const close = () => {
    board.powerOff();
    stack.close();
  };
  if (board.errors.length) {
    close();
    throw new Error(board.errors[0]);
  }
  board.eval(BOARD_HELPERS);
  return { board, stack, close };
}

/** One board transfer; the board's own clock (Date.now(), the host's wall clock on the Linux
 *  profile) times it from the first write, after connect. */
async function boardEcho(b: EmulatedBoard, mode: "socket" | "asyncio" | "net", port: number, bytes: number): Promise<number> {
  const o = await settle(b, `__echo(${JSON.stringify(mode)}, ${port}, ${bytes})`, 120000);
  if (!o.ok) throw new Error(`${mode}: ${o.code}: ${o.message}`);
  const [got, ms] = o.value as [number, number];
  if (got !== bytes) throw new Error(`${mode}: ${got} of ${bytes} bytes came back`);
  return Math.max(ms, 1);
}

/** TCP echo MB/s: socket objects and asyncio streams on the board, raw Node net as the peer.
 *  Median of `runs` transfers of `kb` KB each. */
export async function benchStreams(linuxOutDir: string, kb: number, runs: number): Promise<Figure[]> {
  const bytes = kb * 1024;
  const rows = {
    socket: `TCP echo ${kb} KB, socket.sendall/recv, bundle in the emulator (linux, loopback)`,
    asyncio: `TCP echo ${kb} KB, asyncio write/drain/read, bundle in the emulator (linux, loopback)`,
    net: `TCP echo ${kb} KB, the emulated firmware's own net module, no camnet (linux, loopback)`,
  };
  const failed = (note: string): Figure[] => Object.values(rows).map((what) => ({ what, value: null, unit: "MB/s", note }));
  let srv: net.Server;
  try {
    srv = await echoServer();
  } catch (e) {
    return failed("failed: the Node echo server did not start: " + errorText(e));
  }
  let booted: Booted | undefined;
  try {
    const port = portOf(srv);
    booted = await bootLinux(linuxOutDir);
    const raw: number[] = [], sock: number[] = [], aio: number[] = [], fw: number[] = [];
    for (let i = 0; i < runs; i++) {
      raw.push(mbps(bytes, await rawEcho(port, bytes)));
      fw.push(mbps(bytes, await boardEcho(booted.board, "net", port, bytes)));
      sock.push(mbps(bytes, await boardEcho(booted.board, "socket", port, bytes)));
      aio.push(mbps(bytes, await boardEcho(booted.board, "asyncio", port, bytes)));
    }
    const peer = median(raw);
    const ratio = (v: number) => `x${(v / peer).toFixed(3)} of raw Node net; median of ${runs}`;
    return [
      { what: rows.socket, value: median(sock), unit: "MB/s", peer, peerName: "raw Node net", decimals: 3, note: ratio(median(sock)) },
      { what: rows.asyncio, value: median(aio), unit: "MB/s", peer, peerName: "raw Node net", decimals: 3, note: ratio(median(aio)) },
      { what: rows.net, value: median(fw), unit: "MB/s", peer, peerName: "raw Node net", decimals: 3,
        note: `what the emulator itself allows; socket objects reach x${(median(sock) / median(fw)).toFixed(2)} of it` },
      { what: "TCP echo throughput, shim / raw Node net (socket objects)", value: median(sock) / peer, unit: "x", min: 0.8, decimals: 3,
        note: `same run, same echo server, ${kb} KB` },
    ];
  } catch (e) {
    return failed("failed: " + errorText(e));
  } finally {
    booted?.close();
    srv.close();
  }
}

/** A Node TLS server on 127.0.0.1 with the test PKI's server certificate; `secure` is called
 *  at each completed handshake. */
function tlsServer(pki: NonNullable<ReturnType<typeof testPki>>, secure: () => void): Promise<tls.Server> {
  return new Promise((resolve, reject) => {
    const srv = tls.createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, (c) => {
      c.on("error", () => {});
      c.pipe(c);
    });
    srv.on("secureConnection", secure);
    srv.on("tlsClientError", () => {});
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

/**
 * TLS handshake time on the emulated board: from the board's connect() call (host clock, just
 * before the call) to the server's "secureConnection" (the handshake's last message arrived).
 * Node's tls.connect to the same server is the peer, timed the same way. Median of `runs`.
 */
export async function benchTlsHandshake(linuxOutDir: string, runs: number): Promise<Figure[]> {
  const what = "TLS handshake, connect() to handshake done, bundle in the emulator (linux, Node tls server on loopback)";
  const pki = testPki();
  if (!pki) return [{ what, value: null, unit: "ms", note: "failed: no test certificates (openssl missing?)" }];
  let done: (() => void) | null = null;
  let srv: tls.Server;
  try {
    srv = await tlsServer(pki, () => done?.());
  } catch (e) {
    return [{ what, value: null, unit: "ms", note: "failed: the Node tls server did not start: " + errorText(e) }];
  }
  const port = (srv.address() as net.AddressInfo).port;
  const handshake = async (connect: () => void) => {
    let t1 = 0;
    const hs = new Promise<void>((resolve) => {
      done = () => {
        t1 = performance.now();
        resolve();
      };
    });
    const t0 = performance.now();
    connect();
    await Promise.race([hs, new Promise((_, reject) => setTimeout(() => reject(new Error("no handshake within 10 s")), 10000))]);
    done = null;
    return t1 - t0;
  };
  let booted: Booted | undefined;
  try {
    booted = await bootLinux(linuxOutDir);
    const b = booted.board;
    b.eval(`globalThis.__ssl = require("ssl"); globalThis.__ctx = new __ssl.SSLContext(__ssl.PROTOCOL_TLS_CLIENT);
      __ctx.check_hostname = false; __ctx.verify_mode = __ssl.CERT_NONE; globalThis.__tls = [];`);
    const ours: number[] = [], node: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await handshake(() => b.eval(`(function () { var s = __ctx.wrap_socket(require("socket").socket());
        __tls.push(s); s.connect(["127.0.0.1", ${port}]).then(undefined, function (e) { globalThis.__tlsError = e.code + ": " + e.message; }); })()`)));
      const err = b.eval("globalThis.__tlsError");
      if (err) throw new Error(String(err));
      b.eval("__tls.forEach(function (s) { s.close(); }); __tls = [];");
      let c: tls.TLSSocket | undefined;
      node.push(await handshake(() => {
        c = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
        c.on("error", () => {});
      }));
      c?.destroy();
    }
    return [{ what, value: median(ours), unit: "ms", peer: median(node), peerName: "Node tls.connect", decimals: 2,
      note: `median of ${runs}, CERT_NONE (the emulator's TLS is Node's)` }];
  } catch (e) {
    return [{ what, value: null, unit: "ms", note: "failed: " + errorText(e) }];
  } finally {
    booted?.close();
    srv.close();
  }
}
