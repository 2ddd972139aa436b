// require("net") and require("tls") as Espruino's socketserver implements them over lwIP
// (ESP32) or BSD sockets (Linux), quirks included:
// - payloads are binary strings; write() of a non-string sends its toString(); write() returns
//   false and `drain` fires when the send buffer is empty
// - data moves in chunkSize (536) pieces, one per idle pass; data arriving while nobody
//   listens to "data" is buffered and delivered when a listener is added
// - errors are {code: negative int, message}; connect() failures: see connectFailed()
// - a host name is resolved by lwIP's DNS (blocking on the board; async here)
// - tls: "connect" and the callback fire at TCP connect, BEFORE the handshake; writes are
//   queued until it completes. Stock firmware never verifies (VERIFY_NONE) and sends SNI
//   "mbed TLS Server 1" (ESP32) or none (Linux); ca/key/cert must be DER binary strings (PEM
//   is rejected with mbedtls' "Invalid format"). Handshake failure: an uncaught InternalError,
//   then error {code:-8} and close(true).
// - capabilities.tlsVerify (our verifying firmware): the chain is checked against `ca`, the
//   validity dates against the EMULATED wall clock and the name against `host`. Error codes
//   (our invention): -16 unknown CA, -17 expired / not yet valid, -18 host name mismatch.
import { X509Certificate, createPrivateKey } from "node:crypto";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import type { TcpServerHandle } from "../lan/types.ts";
import { binaryToBytes, isBinaryString } from "./binary.ts";
import { socketError } from "./dgram.ts";
import { isIpv4 } from "./network.ts";
import { isLinux } from "./profile.ts";
import type { Chip } from "./sandbox.ts";

type Stream = Duplex & { remote?: { address: string; port: number } };

interface ConnState {
  stream: Stream | null;
  /** TLS: the handshake finished (and verification passed). Plain TCP: connected. */
  ready: boolean;
  pending: Uint8Array[];
  /** Data received while nobody listened to "data". */
  buffered: string;
  closed: boolean;
  ending: boolean;
  hasSocket: boolean;
  /** The host stream's buffer is full (its "drain" is awaited). */
  full: boolean;
  /** A flush is queued (see queueFlush). */
  flushing: boolean;
}

export const TLS_VERIFY_ERRORS = { unknownCa: -16, expired: -17, hostMismatch: -18 } as const;

function derToPem(der: string, label: string): string {
  const b64 = Buffer.from(binaryToBytes(der)).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, "$1\n")}\n-----END ${label}-----\n`;
}

function derKeyToPem(der: string): string {
  const buf = Buffer.from(binaryToBytes(der));
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      return createPrivateKey({ key: buf, format: "der", type }).export({ format: "pem", type: "pkcs8" }) as string;
    } catch {
      /* try the next encoding */
    }
  }
  throw new Error("mbedtls_pk_parse_key of 'key': Invalid format");
}

export function createNetModules(chip: Chip): { net: unknown; tls: unknown } {
  const { realm, rt, profile } = chip;
  const states = new WeakMap<object, ConnState>();
  const st = (s: unknown): ConnState => {
    const x = states.get(s as object);
    if (!x) throw realm.error("Not a socket", "TypeError");
    return x;
  };

  const newConn = (): [Record<string, unknown>, ConnState] => {
    const sock = realm.instance(socketProto);
    const s: ConnState = { stream: null, ready: false, pending: [], buffered: "", closed: false, ending: false, hasSocket: false, full: false, flushing: false };
    states.set(sock, s);
    realm.onListenerAdded(sock, (evt) => {
      if (evt === "data" && s.buffered) {
        const b = s.buffered;
        s.buffered = "";
        realm.emit(sock, "data", b);
      }
    });
    const closer = { close: () => destroy(sock, s, false, true) };
    closers.set(sock, closer);
    rt.track(closer);
    return [sock, s];
  };
  const closers = new WeakMap<object, { close(): void }>();

  function destroy(sock: object, s: ConnState, hadError: boolean, silent = false): void {
    if (s.closed) return;
    s.closed = true;
    s.ready = false;
    const stream = s.stream;
    s.stream = null;
    if (stream) {
      if (stream.writableCorked) stream.uncork(); // what the board handed over still leaves
      stream.removeAllListeners("data");
      stream.on("error", () => {});
      stream.destroy();
    }
    if (s.hasSocket) {
      s.hasSocket = false;
      rt.giveSocket();
    }
    const c = closers.get(sock);
    if (c) rt.untrack(c);
    if (!silent) realm.emit(sock, "close", hadError);
  }

  function fail(sock: object, s: ConnState, code: number, message?: string): void {
    if (s.closed) return;
    realm.emit(sock, "error", socketError(chip, code, message));
    destroy(sock, s, true);
  }

  function flush(sock: object, s: ConnState): void {
    s.flushing = false;
    if (!s.ready || !s.stream) return;
    const out = s.pending;
    if (out.length) {
      s.pending = [];
      const stream = s.stream;
      // The pass hands the bytes to the TCP stack (lwIP's send buffer: here the host stream's
      // buffer, corked until the host's next tick so that the passes of one tick leave in one
      // host write). "drain" follows the hand-over, or waits while that buffer is full.
      if (!stream.writableCorked) {
        stream.cork();
        setImmediate(() => stream.uncork());
      }
      if (stream.write(out.length === 1 ? out[0]! : Buffer.concat(out))) realm.emit(sock, "drain");
      else if (!s.full) {
        s.full = true;
        stream.once("drain", () => {
          s.full = false;
          if (!s.closed && s.pending.length === 0) realm.emit(sock, "drain");
        });
      }
    }
    if (s.ending && s.stream) s.stream.end();
  }
  /** Flushes the socket once the code running now (this idle pass's event, or the promise
   *  reactions after it) is done, however many writes it made: the board's socket idle step
   *  that follows the events of its pass. "drain" then comes in the next pass. */
  function queueFlush(sock: object, s: ConnState): void {
    if (s.flushing) return;
    s.flushing = true;
    queueMicrotask(() => {
      if (rt.powered) flush(sock, s);
    });
  }

  /** Wires a connected (or handshaken) Node stream to the socket object. */
  function attach(sock: object, s: ConnState, stream: Stream): void {
    s.stream = stream;
    stream.on("data", (chunk: Buffer) => {
      // one "data" event per chunkSize piece, as socketserver reads (one queue entry per
      // host chunk: its pieces are queued in order, all in the same pass as before)
      rt.enqueue(() => {
        if (s.closed) return;
        if (!realm.hasListener(sock, "data")) {
          s.buffered += chunk.toString("latin1");
          return;
        }
        // what realm.emit() per piece would queue, as one entry: the listeners as they are
        // now, called once per piece, in order
        const l = realm.listeners(sock, "data");
        const list = Array.isArray(l) ? l.slice() : [l];
        const size = rt.chunkSize;
        rt.enqueue(() => {
          for (let i = 0; i < chunk.length && rt.powered; i += size) {
            const piece = chunk.toString("latin1", i, Math.min(i + size, chunk.length));
            for (const f of list) {
              try {
                rt.invoke(f, sock, [piece]);
              } catch (e) {
                rt.uncaught(e);
              }
            }
          }
        });
      });
    });
    stream.on("end", () => {
      rt.enqueue(() => {
        if (s.closed) return;
        realm.emit(sock, "end");
        destroy(sock, s, false);
      });
    });
    stream.on("error", (e: Error & { code?: string }) => {
      rt.enqueue(() => fail(sock, s, e.code === "ECONNRESET" ? -9 : -1, e.message));
    });
    stream.on("close", () => {
      rt.enqueue(() => destroy(sock, s, false));
    });
  }

  /** On the board connect() blocks and a failure throws "Unable to create socket" out of
   *  net.connect(); the emulator cannot throw synchronously, so it reports an error event. */
  function connectFailed(sock: object, s: ConnState, why: string): void {
    rt.quirk(`net.connect failed (${why}): on the board this THROWS InternalError "Unable to create socket" from connect()`);
    fail(sock, s, -1, `Unable to create socket (${why})`);
  }

  const socketProto = realm.proto({
    write(this: unknown, data: unknown) {
      const sock = this as object;
      const s = st(sock);
      let text: string;
      if (typeof data !== "string") {
        text = String(data);
        rt.quirk(`net: write() of a non-string sends its toString() "${text.slice(0, 40)}" (use E.toString)`);
      } else text = data;
      if (!isBinaryString(text)) rt.quirk("net: write() of chars above 255: only their low 8 bits go out");
      if (s.closed) return false;
      s.pending.push(Buffer.from(text, "latin1"));
      queueFlush(sock, s);
      return false;
    },
    end(this: unknown, data: unknown) {
      const sock = this as object;
      const s = st(sock);
      if (data !== undefined) (socketProto as Record<string, (d: unknown) => void>).write!.call(sock, data);
      if (s.closed) return;
      s.ending = true;
      queueFlush(sock, s);
    },
    destroy(this: unknown) {
      rt.quirk("net: socket.destroy() does not exist on Espruino");
      throw realm.error("Function \"destroy\" not found!", "TypeError");
    },
    available(this: unknown) {
      return st(this).buffered.length;
    },
    read(this: unknown, n: unknown) {
      const s = st(this);
      const k = n === undefined ? s.buffered.length : Math.min(Number(n), s.buffered.length);
      const r = s.buffered.slice(0, k);
      s.buffered = s.buffered.slice(k);
      return r;
    },
  });

  function connectCommon(opts: Record<string, unknown>, cb: unknown, secure: boolean): Record<string, unknown> {
    const stack = chip.network.stack();
    if (!chip.network.online() || !stack) throw realm.error("Not connected to the internet", "InternalError");
    const host = opts.host === undefined ? "127.0.0.1" : String(opts.host);
    const port = Number(opts.port ?? (secure ? 443 : 80));
    const [sock, s] = newConn();
    if (typeof cb === "function") sock["#onconnect"] = realm.arr([cb]);
    if (!rt.takeSocket()) {
      rt.enqueue(() => fail(sock, s, -7));
      return sock;
    }
    s.hasSocket = true;
    let creds: { ca?: string; key?: string; cert?: string } | undefined;
    if (secure) {
      try {
        creds = tlsCredentials(opts);
      } catch (e) {
        rt.enqueue(() => {
          rt.uncaught(realm.error((e as Error).message, "InternalError"));
          fail(sock, s, -8);
        });
        return sock;
      }
    }
    const resolved = isIpv4(host) ? Promise.resolve(host) : chip.dns.lookup(host);
    resolved
      .then((ip) => {
        if (s.closed) return;
        if (!ip) return connectFailed(sock, s, `cannot resolve ${host}`);
        return stack.tcpConnect(ip, port).then(
          (stream) => {
            if (s.closed || !rt.powered) {
              stream.destroy();
              return;
            }
            // Both net and tls: "connect" fires at TCP connect.
            rt.enqueue(() => {
              if (!s.closed) realm.emit(sock, "connect", sock);
            });
            if (!secure) {
              attach(sock, s, stream);
              s.ready = true;
              rt.enqueue(() => flush(sock, s));
            } else startTls(sock, s, stream, host, creds!, opts.rejectUnauthorized !== false);
          },
          (e: Error & { code?: string }) => {
            if (!s.closed) rt.enqueue(() => connectFailed(sock, s, e.code ?? e.message));
          },
        );
      })
      .catch((e) => rt.uncaught(e));
    return sock;
  }

  function tlsCredentials(opts: Record<string, unknown>): { ca?: string; key?: string; cert?: string } {
    const out: { ca?: string; key?: string; cert?: string } = {};
    for (const name of ["ca", "key", "cert"] as const) {
      let v = opts[name];
      if (v === undefined) continue;
      if (typeof v === "function") v = (v as () => unknown)();
      let text = String(v);
      if (text.length <= 100 && isLinux(profile) && !text.includes("\0")) {
        const f = chip.storage.get(text);
        if (f !== undefined) text = f;
      }
      if (text.includes("-----BEGIN")) {
        throw new Error(
          name === "key" ? "mbedtls_pk_parse_key of 'key': Invalid format" : `mbedtls_x509_crt_parse of '${name}': Invalid format`,
        );
      }
      if (name === "key") out.key = derKeyToPem(text);
      else {
        try {
          new X509Certificate(Buffer.from(binaryToBytes(text)));
        } catch {
          throw new Error(`mbedtls_x509_crt_parse of '${name}': Invalid format`);
        }
        out[name] = derToPem(text, "CERTIFICATE");
      }
    }
    return out;
  }

  function handshakeFailed(sock: object, s: ConnState, detail: string, code = -8): void {
    if (s.closed) return;
    rt.uncaught(realm.error(`mbedtls_ssl_handshake returned ${detail}`, "InternalError"));
    fail(sock, s, code, code === -8 ? undefined : detail);
  }

  function startTls(sock: object, s: ConnState, stream: Stream, host: string, creds: { ca?: string; key?: string; cert?: string }, wanted: boolean): void {
    stream.on("error", () => {}); // reported through the TLS socket
    // the verifying firmware checks unless told rejectUnauthorized: false; stock never checks
    const verify = profile.capabilities.tlsVerify && wanted;
    const servername = profile.capabilities.tlsVerify ? (isIpv4(host) ? "" : host) : isLinux(profile) ? "" : "mbed TLS Server 1";
    if (!verify && creds.ca) rt.quirk("tls: `ca` is parsed but never enforced (MBEDTLS_SSL_VERIFY_NONE)");
    const t = tls.connect({
      socket: stream,
      rejectUnauthorized: false,
      servername: servername || undefined,
      key: creds.key,
      cert: creds.cert,
      minVersion: "TLSv1.2",
    });
    if (!servername) {
      // Node would otherwise send "localhost"; mbedTLS on Linux sends no SNI at all
      (t as unknown as { servername?: string }).servername = undefined;
    }
    let secured = false;
    t.on("secureConnect", () => {
      secured = true;
      if (verify) {
        const err = verifyChain(t, host, creds.ca);
        if (err) {
          rt.enqueue(() => handshakeFailed(sock, s, err.message, err.code));
          return;
        }
      }
      rt.enqueue(() => {
        if (s.closed) return;
        s.ready = true;
        flush(sock, s);
      });
    });
    t.on("error", (e: Error & { code?: string }) => {
      if (!secured) rt.enqueue(() => handshakeFailed(sock, s, `-0x7780 (${e.code ?? e.message})`));
    });
    attach(sock, s, t as unknown as Stream);
  }

  function verifyChain(t: tls.TLSSocket, host: string, caPem: string | undefined): { code: number; message: string } | null {
    const chain: X509Certificate[] = [];
    let c = t.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
    const seen = new Set<string>();
    while (c && c.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      chain.push(new X509Certificate(c.raw));
      c = c.issuerCertificate;
    }
    if (!chain.length) return { code: TLS_VERIFY_ERRORS.unknownCa, message: "no peer certificate" };
    const now = rt.wall();
    for (const cert of chain) {
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
        return { code: TLS_VERIFY_ERRORS.expired, message: `certificate expired or not yet valid (clock ${new Date(now).toISOString()})` };
      }
    }
    const leaf = chain[0]!;
    const nameOk = isIpv4(host) ? !!leaf.checkIP(host) : !!leaf.checkHost(host);
    if (!nameOk) return { code: TLS_VERIFY_ERRORS.hostMismatch, message: `certificate does not match host ${host}` };
    const anchors: X509Certificate[] = [];
    if (caPem) for (const m of caPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) anchors.push(new X509Certificate(m));
    const issuedBy = (cert: X509Certificate, by: X509Certificate) => cert.issuer === by.subject && cert.verify(by.publicKey);
    for (let i = 0; i < chain.length; i++) {
      const cert = chain[i]!;
      if (anchors.some((a) => issuedBy(cert, a))) return null;
      if (anchors.some((a) => a.fingerprint256 === cert.fingerprint256)) return null;
      const next = chain[i + 1];
      if (!next || !issuedBy(cert, next)) break;
    }
    return { code: TLS_VERIFY_ERRORS.unknownCa, message: "certificate not signed by a trusted CA" };
  }

  // ---- servers ----
  function createServer(cb: unknown, secure: Record<string, unknown> | null): Record<string, unknown> {
    const server = realm.instance(serverProto);
    servers.set(server, { handle: null, cb, secure, hasSocket: false });
    return server;
  }
  interface ServerState {
    handle: TcpServerHandle | null;
    cb: unknown;
    secure: Record<string, unknown> | null;
    hasSocket: boolean;
  }
  const servers = new WeakMap<object, ServerState>();
  const serverProto = realm.proto({
    listen(this: unknown, port: unknown) {
      const server = this as object;
      const ss = servers.get(server)!;
      const stack = chip.network.stack();
      if (!chip.network.online() || !stack) throw realm.error("Not connected to the internet", "InternalError");
      if (!rt.takeSocket()) {
        realm.emit(server, "error", socketError(chip, -7));
        return server;
      }
      ss.hasSocket = true;
      let creds: { key?: string; cert?: string } | null = null;
      if (ss.secure) creds = tlsCredentials(ss.secure);
      ss.handle = stack.tcpListen(Number(port), (stream) => {
        if (!rt.powered) return void stream.destroy();
        if (!rt.takeSocket()) {
          stream.destroy();
          return;
        }
        const [sock, s] = newConn();
        s.hasSocket = true;
        if (!creds) {
          attach(sock, s, stream);
          s.ready = true;
          rt.queueCallback(ss.cb, server, [sock]);
          return;
        }
        const t = new tls.TLSSocket(stream, { isServer: true, key: creds.key, cert: creds.cert });
        t.on("secure", () => {
          s.ready = true;
          rt.queueCallback(ss.cb, server, [sock]);
          rt.enqueue(() => flush(sock, s));
        });
        t.on("error", () => rt.enqueue(() => fail(sock, s, -13)));
        attach(sock, s, t as unknown as Stream);
      });
      const closer = { close: () => ss.handle?.close() };
      rt.track(closer);
      return server;
    },
    close(this: unknown) {
      const ss = servers.get(this as object)!;
      ss.handle?.close();
      ss.handle = null;
      if (ss.hasSocket) {
        ss.hasSocket = false;
        rt.giveSocket();
      }
    },
  });

  const normalize = (opts: unknown): Record<string, unknown> => {
    if (typeof opts === "string") {
      const u = new URL(opts.includes("://") ? opts : `tcp://${opts}`);
      return { host: u.hostname, port: u.port ? Number(u.port) : undefined };
    }
    if (!opts || typeof opts !== "object") throw realm.error(`Expecting Options to be an Object but it was ${typeof opts}`);
    return opts as Record<string, unknown>;
  };
  const net = realm.obj();
  const tlsMod = realm.obj();
  const def = (o: object, name: string, f: (...a: any[]) => unknown) =>
    Object.defineProperty(o, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
  def(net, "connect", (opts: unknown, cb: unknown) => connectCommon(normalize(opts), cb, false));
  def(net, "createServer", (cb: unknown) => createServer(cb, null));
  def(tlsMod, "connect", (opts: unknown, cb: unknown) => connectCommon(normalize(opts), cb, true));
  if (profile.capabilities.tlsServer) {
    def(tlsMod, "createServer", (opts: unknown, cb: unknown) => createServer(cb, normalize(opts)));
  }
  return { net, tls: tlsMod };
}
