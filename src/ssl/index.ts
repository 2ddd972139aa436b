/// <reference path="../types/camnet.d.ts" />
// `ssl`: Python's SSLContext / wrap_socket over the platform's TLS, honest about what the
// firmware can do (caps.tlsVerify, caps.tlsServer):
//   - stock firmware cannot verify certificates: CERT_NONE gives encryption only, and
//     CERT_REQUIRED is refused (CERT_UNVERIFIABLE) before a byte is sent, never silently
//     downgraded;
//   - firmware that verifies gets the CA, the server name and verify; its failures come
//     back from the platform as CERT_UNKNOWN_CA, CERT_EXPIRED, CERT_HOSTNAME_MISMATCH, and
//     the socket's connect raises CLOCK_NOT_SET when the board's clock was never set;
//   - Espruino cannot start TLS on a connected socket: wrap before connect() (or listen());
//     wrapping a connected or listening socket is refused with EISCONN.
// wrap_socket returns the socket itself, carrying the TLS options as plain data (`tls_`)
// that its connect() (or listen()) hands to the platform.
// The firmware takes DER only, so PEM text is decoded here; bytes are taken as DER.
import { cat, methods, raise, type Data, type Socket } from "../socket/socket";

export const CERT_NONE = 0;
export const CERT_REQUIRED = 2;
export const PROTOCOL_TLS_CLIENT = 16;
export const PROTOCOL_TLS_SERVER = 17;

/** DER bytes from DER bytes or PEM text. Of PEM, the blocks whose label names a KEY when
 *  `key`, else the others (certificates), concatenated. */
export function toDer(x: Data, key?: unknown): Uint8Array {
  if (typeof x != "string") return x;
  // "-----BEGIN X-----\nbody\n-----END X-----": labels at 1, 5, ...; bodies at 2, 6, ...
  const p = x.split("-----");
  let o = ""; // DER as a binary string (atob skips the white space)
  for (let i = 2; i < p.length; i += 4) if (p[i - 1].indexOf("KEY") < 0 == !key) o += atob(p[i]);
  if (!o) raise("EINVAL", "no PEM " + (key ? "key" : "cert"), 22);
  return new Uint8Array(o.length).map((_, i) => o.charCodeAt(i));
}

export interface WrapOptions {
  server_hostname?: string;
  server_side?: boolean;
}

export interface SSLContext {
  verify_mode: number;
  check_hostname: boolean;
  ca_?: Uint8Array;
  cert_?: Uint8Array;
  key_?: Uint8Array;
  /** load_verify_locations(cadata), ({cadata}) or (null, null, cadata): PEM text or DER bytes. */
  load_verify_locations(cafile?: any, capath?: any, cadata?: Data): void;
  /** cert and key: PEM text (may hold both) or DER bytes; the key unencrypted. */
  load_cert_chain(certfile: Data, keyfile?: Data): void;
  wrap_socket(sock: Socket, opts?: WrapOptions): Socket;
}

/** SSLContext(protocol): defaults as CPython, PROTOCOL_TLS_CLIENT verifies (CERT_REQUIRED,
 *  check_hostname); anything else does not. */
export const SSLContext = function (this: SSLContext, protocol?: number) {
  this.verify_mode = (this.check_hostname = protocol == 16) ? 2 : 0;
} as unknown as { new (protocol?: number): SSLContext; prototype: SSLContext };

methods(SSLContext.prototype, {
  load_verify_locations(cafile, capath, cadata) {
    const d = toDer(cadata || cafile && cafile.cadata || cafile);
    this.ca_ = this.ca_ ? cat([this.ca_, d]) : d;
  },

  load_cert_chain(certfile, keyfile) {
    this.cert_ = toDer(certfile);
    this.key_ = toDer(keyfile || certfile, 1);
  },

  wrap_socket(sock, opts) {
    const c = this, o = opts || {}, host = o.server_hostname, server = o.server_side, verify = c.verify_mode > 0;
    sock.live_();
    if (c.check_hostname && (!verify || !host && !server)) {
      raise("EINVAL", "check_hostname needs CERT_REQUIRED and server_hostname", 22);
    }
    // Capabilities are build-time constants: another board's branch leaves the bundle.
    if (CAMNET_BOARD.capabilities.tlsVerify) {
      if (verify && !c.ca_) raise("CERT_UNKNOWN_CA", "load_verify_locations() first");
    } else if (verify) {
      raise("CERT_UNVERIFIABLE", "no tlsVerify in this firmware: only CERT_NONE (encryption)");
    }
    if (CAMNET_BOARD.capabilities.tlsServer) {
      if (server && !c.cert_) raise("EINVAL", "load_cert_chain() first", 22);
    } else if (server) {
      raise("EOPNOTSUPP", "no tlsServer in this firmware", 95);
    }
    if (sock.k_) raise("EISCONN", "wrap before connect()", 106);
    sock.tls_ = { ca: c.ca_, cert: c.cert_, key: c.key_, servername: host, verify };
    return sock;
  },
});

/** The old module-level API (CPython's and MicroPython's names): cert_reqs defaults to
 *  CERT_NONE, hostnames are not checked. */
export function wrap_socket(sock: Socket, o?: WrapOptions & {
  cert_reqs?: number; ca_certs?: Data; certfile?: Data; keyfile?: Data;
}): Socket {
  const c = new SSLContext();
  o = o || {};
  c.verify_mode = o.cert_reqs || 0;
  // (absent files load nothing: toDer passes undefined through)
  c.load_verify_locations(o.ca_certs);
  c.load_cert_chain(o.certfile!, o.keyfile);
  return c.wrap_socket(sock, o);
}

/** The module as `require("ssl")` gives it (a plain object: no getter per export). */
export const ssl = { CERT_NONE: 0, CERT_REQUIRED: 2, PROTOCOL_TLS_CLIENT: 16, PROTOCOL_TLS_SERVER: 17, SSLContext, wrap_socket };
