// `ssl`: Python's SSLContext / wrap_socket over the platform's TLS client, honest about
// what the firmware can do (caps.tlsVerify, caps.tlsServer):
//   - stock firmware cannot verify certificates: CERT_NONE gives encryption only, and
//     CERT_REQUIRED / CERT_OPTIONAL are refused (CERT_UNVERIFIABLE) before a byte is sent,
//     never silently downgraded;
//   - firmware that verifies gets the CA, the server name and verify, and its failures come
//     back as CERT_UNKNOWN_CA, CERT_EXPIRED, CERT_HOSTNAME_MISMATCH; CLOCK_NOT_SET when the
//     board's clock was never set and certificate dates cannot be checked;
//   - Espruino cannot start TLS on a connected socket: wrap before connect(). A connected
//     socket that has moved no byte yet is closed and reconnected through TLS to the same
//     peer; one that has moved data is refused (EISCONN).
// The firmware takes DER only, so PEM text is decoded here (base64, no atob needed).
import { cat, err, P, Socket, socket, type Data } from "../socket/socket";
import type { CodedError, TlsOptions } from "../platform/types";

export const PROTOCOL_TLS = 2;
export const PROTOCOL_TLS_CLIENT = 16;
export const PROTOCOL_TLS_SERVER = 17;
export const CERT_NONE = 0;
export const CERT_OPTIONAL = 1;
export const CERT_REQUIRED = 2;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 text -> bytes; other characters (white space, "=") are skipped. */
export function base64(s: string): Uint8Array {
  const o: number[] = [];
  let acc = 0, bits = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B64.indexOf(s.charAt(i));
    if (v < 0) continue;
    acc = acc << 6 | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o.push(acc >> bits & 255);
    }
  }
  return new Uint8Array(o);
}

/** DER bytes from DER (bytes or a binary string) or PEM (text or bytes). Of PEM, the blocks
 *  whose label names a KEY when `key`, else the others (certificates), concatenated. */
export function toDer(x: Data, key?: boolean): Uint8Array {
  let s = x as string, i: number;
  if (typeof x != "string") {
    if (x[0] != 45) return x; // not "-": DER already
    s = "";
    for (i = 0; i < x.length; i++) s += String.fromCharCode(x[i]);
  }
  if (s.indexOf("-----") < 0) {
    // a binary DER string, as atob() gives
    const b = new Uint8Array(s.length);
    for (i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return b;
  }
  // "-----BEGIN X-----\nbody\n-----END X-----": labels at 1, 5, ...; bodies at 2, 6, ...
  const p = s.split("-----"), out: Uint8Array[] = [];
  for (i = 2; i < p.length; i += 4) if ((p[i - 1].indexOf("KEY") >= 0) == !!key) out.push(base64(p[i]));
  if (!out.length) throw err("EINVAL", "no PEM block", 22);
  return cat(out);
}

export interface WrapOptions {
  server_hostname?: string;
  server_side?: boolean;
}

/** A Socket that connects (or listens) through TLS. */
export type SSLSocket = Socket & {
  context: SSLContext;
  server_side: boolean;
  server_hostname?: string;
  /** The TLS (re)connect started by wrapping a connected socket; resolved otherwise. */
  do_handshake(): Promise<void>;
};

// 2020-01-01: a clock before this was never set (SNTP not run yet).
const CLOCK_FLOOR = 1577836800000;

export class SSLContext {
  declare protocol: number;
  declare verify_mode: number;
  declare check_hostname: boolean;
  declare _ca?: Uint8Array;
  declare _cert?: Uint8Array;
  declare _key?: Uint8Array;

  /** Defaults as CPython: PROTOCOL_TLS_CLIENT verifies (CERT_REQUIRED, check_hostname). */
  constructor(protocol?: number) {
    const client = protocol == PROTOCOL_TLS_CLIENT;
    this.protocol = protocol || PROTOCOL_TLS;
    this.verify_mode = client ? CERT_REQUIRED : CERT_NONE;
    this.check_hostname = client;
  }

  /** load_verify_locations(cadata) or ({cadata}); PEM text or DER bytes. No CA files. */
  load_verify_locations(cafile?: any, capath?: any, cadata?: Data): void {
    const d = cadata || cafile && cafile.cadata || cafile;
    this._ca = this._ca ? cat([this._ca, toDer(d)]) : toDer(d);
  }

  /** cert (PEM or DER) and key (unencrypted; PEM may hold both). */
  load_cert_chain(certfile: Data, keyfile?: Data): void {
    this._cert = toDer(certfile);
    this._key = toDer(keyfile || certfile, true);
  }

  wrap_socket(sock: Socket, opts?: WrapOptions): SSLSocket {
    const o = opts || {}, caps = P.caps, host = o.server_hostname, server = !!o.server_side;
    const verify = this.verify_mode != CERT_NONE;
    sock._live();
    if (server && !caps.tlsServer) {
      throw err("EOPNOTSUPP", "this firmware has no TLS server (tlsServer)", 95);
    }
    if (verify && !caps.tlsVerify) {
      throw err("CERT_UNVERIFIABLE", "this firmware cannot verify certificates: use verify_mode=CERT_NONE " +
        "(and check_hostname=False) knowingly, for encryption without authentication, or a firmware with tlsVerify");
    }
    if (this.check_hostname && (!verify || !host && !server)) {
      throw err("EINVAL", "check_hostname needs CERT_REQUIRED and server_hostname", 22);
    }
    if (server && !this._cert) throw err("EINVAL", "load_cert_chain() first", 22);
    if (verify && !this._ca) {
      throw err("CERT_UNKNOWN_CA", "no CA: load_verify_locations(cadata) first");
    }
    if (sock._k || sock._l || sock._m) {
      throw err("EISCONN", "TLS must be set up before data flows: wrap the socket before connect()", 106);
    }
    const peer = sock._s && sock._p;
    const s = (peer ? socket() : sock) as SSLSocket;
    let hs = Promise.resolve();
    s.context = this;
    s.server_side = server;
    s.server_hostname = host;
    s.do_handshake = () => hs;
    s._tls = (): TlsOptions => {
      if (verify && P.now() < CLOCK_FLOOR) {
        throw err("CLOCK_NOT_SET", "clock not set, certificate dates cannot be checked: ntptime.settime() first");
      }
      return { ca: this._ca, cert: this._cert, key: this._key, servername: host, verify };
    };
    // A failed handshake arrives as a stream error after connect (Espruino connects first).
    s._x = (e: CodedError) => {
      const m = e.message;
      if (e.code != "ETLSHANDSHAKE" || !verify) return e;
      const c = /expired|future/i.test(m) ? "EXPIRED" : /CN|host/.test(m) ? "HOSTNAME_MISMATCH" : /trust|CA|issuer|sign/i.test(m) ? "UNKNOWN_CA" : 0;
      return c ? err("CERT_" + c, m) : e;
    };
    if (peer) {
      // connected, nothing moved yet: reconnect through TLS to the same peer
      s._t = sock._t;
      sock.close();
      hs = s.connect(peer);
      hs.then(undefined, (e) => {
        s._e = e;
        s._poke();
      });
    }
    return s;
  }
}

export function create_default_context(): SSLContext {
  return new SSLContext(PROTOCOL_TLS_CLIENT);
}

/** The old module-level API (CPython's and MicroPython's names): cert_reqs defaults to
 *  CERT_NONE, hostnames are not checked. */
export function wrap_socket(sock: Socket, o?: {
  server_side?: boolean; server_hostname?: string; cert_reqs?: number;
  cadata?: Data; ca_certs?: Data; cert?: Data; certfile?: Data; key?: Data; keyfile?: Data;
}): SSLSocket {
  o = o || {};
  const c = new SSLContext(o.server_side ? PROTOCOL_TLS_SERVER : PROTOCOL_TLS_CLIENT), ca = o.cadata || o.ca_certs, cert = o.cert || o.certfile;
  c.check_hostname = false;
  c.verify_mode = o.cert_reqs || CERT_NONE;
  if (ca) c.load_verify_locations(ca);
  if (cert) c.load_cert_chain(cert, o.key || o.keyfile);
  return c.wrap_socket(sock, o);
}
