// Socket objects: Python's socket.socket over camnet's platform, with Promises where Python
// blocks. TCP (connect/bind/listen/accept/send/sendall/recv), UDP (bind/sendto/recvfrom,
// connect+send/recv, broadcast, multicast), timeouts, errors with errno names.
//
// IO is handed in: configure(platform, resolve) wires the platform (src/platform/index.ts on
// the board, a fake in unit tests) and name resolution (getaddrinfo). asyncio and ssl build
// on these objects and the same wiring.
//
// Every operation that may wait is a check function re-run on each event of the socket
// (_wait/_poke): it returns a value (done), undefined (keep waiting) or throws (fail).
//
// The minifier keeps property names, so internal fields are short. Legend:
//   _c closed       _t timeout (s; null waits forever, 0 non-blocking)    _q received queue
//   _s TCP stream   _l TCP listener   _u UDP socket (promise)   _b unbound broadcast helper
//   _w waiters      _e error that ended the connection   _z the peer closed (or error)
//   _k connect/listen in progress   _f send buffer full (wait for drain)
//   _m a byte moved (too late for TLS)   _h board sockets held   _p peer   _n local address
//   _o options   _tls TLS options (set by ssl)   _x error mapper (set by ssl)
import type { Capabilities, CodedError, TcpStream, TlsOptions, UdpOptions, UdpSocket } from "../platform/types";
import { AF_INET, IPPROTO_IP, SOCK_DGRAM, SOCK_STREAM, constants } from "./constants";
import { oserror } from "./errors";
import { inet_ntoa } from "./inet";

/** [ip, port] */
export type Address = [string, number];
/** Bytes; a string is sent as UTF-8. */
export type Data = Uint8Array | string;

/** What the socket objects need of src/platform/index.ts. */
export interface Platform {
  caps: Capabilities;
  connectTcp(host: string, port: number, tls?: TlsOptions): Promise<TcpStream>;
  /** `tls`: a TLS server (only asked for where caps.tlsServer). */
  listenTcp(port: number, onConnection: (s: TcpStream) => void, tls?: TlsOptions): Promise<{ close(): void }>;
  openUdp(opts: UdpOptions): Promise<UdpSocket>;
  /** Wall clock, ms since 1970. */
  now(): number;
}

/** getaddrinfo(host, port, 0, type): [family, type, proto, canonname, [ip, port]][]. */
export type Resolve = (host: string, port: number, type: number) => Promise<[number, number, number, string, Address][]>;

export let P: Platform;
// Board sockets in use by this module: the lwIP pool (caps.maxSockets) is shared by UDP,
// TCP and TLS sockets and by listeners.
let inUse = 0;
let R: Resolve | undefined;

/** Wires the platform and name resolution (once, at boot; tests pass fakes). */
export function configure(platform: Platform, resolve?: Resolve): void {
  P = platform;
  R = resolve;
  inUse = 0; // a new platform has no sockets open
}

export const err = oserror;
const notConnected = () => err("ENOTCONN", "not connected: connect() first", 107);
const invalid = (what: string) => err("EINVAL", what, 22);
export const timedOut = () => err("ETIMEDOUT", "timed out", 110);

/** Resolves with f()'s value; a throw becomes a rejection. */
export const run = <T>(f: () => T | Promise<T>): Promise<T> => new Promise<T>((y) => y(f()));

/** p, or ETIMEDOUT after `s` seconds (null: no limit), without Promise.race. `late` gets a
 *  value that arrived after the timeout. */
export function timed<T>(p: Promise<T>, s: number | null | undefined, late?: (v: T) => void): Promise<T> {
  return s == null ? p : new Promise<T>((y, n) => {
    let done = 0;
    const t = setTimeout(() => { done = 1; n(timedOut()); }, s * 1000);
    p.then((v) => { if (done) { if (late) late(v); } else { done = 1; clearTimeout(t); y(v); } },
      (e) => { if (!done) { done = 1; clearTimeout(t); n(e); } });
  });
}

/** UTF-8 for strings (the board has no TextEncoder); bytes pass through. */
export function bytes(d: Data): Uint8Array {
  if (typeof d != "string") return d;
  const o: number[] = [];
  for (let i = 0; i < d.length; i++) {
    let c = d.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00) c = 0x10000 + (c - 0xd800) * 1024 + d.charCodeAt(++i) - 0xdc00;
    let n = c < 128 ? 0 : c < 2048 ? 1 : c < 65536 ? 2 : 3; // continuation bytes
    o.push(n ? (0xff00 >> n + 1) & 255 | c >> 6 * n : c);
    while (n--) o.push(128 | c >> 6 * n & 63);
  }
  return new Uint8Array(o);
}

/** The parts joined (no copy for one part). */
export function cat(parts: Uint8Array[]): Uint8Array {
  let len = 0;
  parts.forEach((p) => { len += p.length; });
  const o = parts.length == 1 ? parts[0] : new Uint8Array(len);
  len = 0;
  if (o != parts[0]) parts.forEach((p) => { o.set(p, len); len += p.length; });
  return o;
}

/** Takes up to n bytes off the front of a chunk queue (splits a chunk if need be). */
export function take(q: Uint8Array[], n: number): Uint8Array {
  let len = 0, k = 0;
  while (k < q.length && len + q[k].length <= n) len += q[k++].length;
  if (!k && q.length && n > 0) {
    const c = q[0];
    q[0] = c.subarray(n);
    return c.subarray(0, n);
  }
  return cat(q.splice(0, k));
}

interface Waiter {
  c: () => any;
  y: (v: any) => void;
  n: (e: any) => void;
  t?: any;
}

export class Socket {
  declare family: number;
  declare type: number;
  declare proto: number;
  _t: number | null = null;
  _q: any[] = [];
  _w: Waiter[] = [];
  _h = 0;
  _n: Address = ["0.0.0.0", 0];
  _o: { [k: string]: any } = {};
  declare _c: number;
  declare _s: TcpStream | null;
  declare _l: { close(): void } | null;
  declare _u: Promise<UdpSocket> | null;
  declare _b: Promise<UdpSocket> | null;
  declare _e: CodedError | null;
  declare _z: number;
  declare _k: number;
  declare _f: number;
  declare _m: number;
  declare _p: Address | null;
  declare _tls?: () => TlsOptions;
  declare _x?: (e: CodedError) => CodedError;

  constructor(family: number, type: number, proto: number) {
    this.family = family;
    this.type = type;
    this.proto = proto;
  }

  /** Resolves with check()'s first defined value, re-checked on every event; a throw
   *  rejects. Honours the timeout: ETIMEDOUT, or EAGAIN at once when non-blocking. */
  _wait<T>(check: () => T | undefined): Promise<T> {
    return new Promise<T>((y, n) => {
      const s = this, w: Waiter = { c: check, y, n }, t = s._t;
      if (s._try(w)) return;
      if (t === 0) return n(err("EAGAIN", "nothing ready on a non-blocking socket: setblocking(True) to wait", 11));
      if (t != null) w.t = setTimeout(() => { s._drop(w); n(timedOut()); }, t * 1000);
      s._w.push(w);
    });
  }

  _try(w: Waiter): boolean {
    let v;
    try {
      v = w.c();
      if (v === undefined) return false;
    } catch (e) {
      v = e;
      w.y = w.n;
    }
    this._drop(w);
    w.y(v);
    return true;
  }

  _drop(w: Waiter): void {
    const i = this._w.indexOf(w);
    if (i >= 0) this._w.splice(i, 1);
    if (w.t) clearTimeout(w.t);
  }

  _poke(): void {
    this._w.slice().forEach((w) => this._try(w));
  }

  _live(): void {
    if (this._c) throw err("EBADF", "socket closed: make a new one", 9);
  }

  /** Claims a board socket: EMFILE at the board's limit, before the platform is asked. */
  _claim(): void {
    const max = P.caps.maxSockets;
    if (inUse >= max) throw err("EMFILE", "all " + max + " sockets of the board are open: close one", 24);
    inUse++;
    this._h++;
  }

  _free(): void {
    inUse--;
    this._h--;
  }

  /** True when a read can complete (data, or EOF); throws when it never will. */
  _ready(): boolean {
    const s = this;
    s._live();
    if (s._q.length) return true;
    if (s._e) throw s._e;
    if (!s._s && !s._k && !s._z) throw notConnected();
    return !!s._z;
  }

  /** True when a write can go now; false while connecting or the send buffer is full. */
  _wr(): boolean {
    const s = this;
    s._live();
    if (s._e) throw s._e;
    if (!s._s) {
      if (s._k) return false;
      throw s._z ? err("EPIPE", "the peer closed the connection: reconnect", 32) : notConnected();
    }
    return !s._f;
  }

  _put(d: Uint8Array): void {
    this._m = 1;
    if (!this._s!.write(d)) this._f = 1;
  }

  /** [host, port] -> the addresses to try ("<broadcast>" as in Python). */
  _addr(a: Address): Promise<Address[]> {
    const h = a[0] == "<broadcast>" ? "255.255.255.255" : a[0];
    return R && !/^[\d.]+$/.test(h) ? R(h, a[1], this.type).then((l) => l.map((e) => e[4]))
      : Promise.resolve([[h, a[1]] as Address]);
  }

  _attach(t: TcpStream, a: Address): void {
    const s = this, poke = () => s._poke();
    s._s = t;
    s._p = a;
    t.ondata = (d) => {
      if (d.length) s._q.push(d);
      s._m = 1;
      poke();
    };
    t.ondrain = () => { s._f = 0; poke(); };
    t.onend = () => { s._z = 1; poke(); };
    t.onerror = (e) => {
      s._e = s._e || (s._x ? s._x(e) : e);
      t.onend!();
    };
    t.onclose = () => {
      if (s._s) { s._s = null; s._free(); }
      t.onend!();
    };
  }

  _open(a: Address): Promise<void> {
    const s = this;
    return run(() => {
      const tls = s._tls && s._tls(); // may refuse (CLOCK_NOT_SET) before anything is sent
      s._claim();
      return timed(P.connectTcp(a[0], a[1], tls), s._t, (t) => t.destroy()).then((t) => {
        if (s._c) t.destroy(); else s._attach(t, a);
      }, (e) => {
        s._free();
        throw s._x ? s._x(e) : e;
      });
    });
  }

  /** A UDP socket: bound when `o.port`, else an unbound client socket (ephemeral port). */
  _udp(o: UdpOptions): Promise<UdpSocket> {
    const s = this;
    return run(() => {
      s._claim();
      return P.openUdp(o).then((u) => {
        u.onmessage = (d, ip, port) => {
          const p = s._p;
          // a connected UDP socket takes its peer's datagrams only; at most 32 wait
          if ((!p || p[0] == ip && p[1] == port) && s._q.length < 32) s._q.push([d, [ip, port]]);
          s._poke();
        };
        return u;
      }, (e) => {
        s._free();
        throw e;
      });
    });
  }

  // ---- public API (Python's names)

  connect(address: Address): Promise<void> {
    const s = this;
    return run(() => {
      s._live();
      if (s.type == SOCK_DGRAM) return s._addr(address).then((l) => { s._p = l[0]; });
      if (s._s || s._k || s._l) throw err("EISCONN", "already connected: use a new socket", 106);
      s._k = 1;
      return s._addr(address).then((list) => {
        let i = 0;
        // seed 000: a name may have several addresses; try each in turn until one connects
        const next = (e?: CodedError): Promise<void> =>
          i < list.length && !s._c && (!e || e.code != "EMFILE") ? s._open(list[i++]).then(undefined, next) : Promise.reject(e);
        return next();
      }).then(() => { s._k = 0; }, (e) => { s._k = 0; throw e; });
    });
  }

  /** Espruino binds to 0.0.0.0 always: the host part is not used. Ports in use are
   *  reported by the platform (EADDRINUSE). */
  bind(address: Address): Promise<void> {
    const s = this;
    return run(() => {
      s._live();
      const port = address[1];
      if (s._n[1] || s._u || s._s || s._l) throw invalid("already bound or in use");
      s._n = ["0.0.0.0", port];
      if (s.type == SOCK_DGRAM) {
        return (s._u = s._udp({ port, group: s._o.g, reuse: !!s._o[constants.SOL_SOCKET + "." + constants.SO_REUSEADDR] })).then(() => {});
      }
    });
  }

  /** The backlog is not used: Espruino accepts every connection; they queue here. */
  listen(backlog?: number): Promise<void> {
    const s = this;
    return run(() => {
      s._live();
      const port = s._n[1];
      if (s._l || s._k) return;
      if (s.type == SOCK_DGRAM || s._s || !port) throw invalid("bind((host, port)) a TCP socket to a port first");
      s._claim();
      s._k = 1;
      return P.listenTcp(port, (t) => {
        const c = new Socket(s.family, s.type, s.proto);
        c._x = s._x;
        inUse++;
        c._h = 1;
        c._attach(t, [t.remoteAddress, t.remotePort]);
        s._q.push([c, c._p]);
        s._poke();
      }, s._tls && s._tls()).then((l) => {
        s._k = 0;
        if (s._c) l.close(); else s._l = l;
      }, (e) => {
        s._k = 0;
        s._free();
        throw e;
      });
    });
  }

  accept(): Promise<[Socket, Address]> {
    const s = this;
    return s._wait(() => {
      s._live();
      if (!s._l && !s._k) throw invalid("listen() first");
      return s._q.shift();
    });
  }

  /** Hands the bytes to the platform (waits while its send buffer is full). */
  send(data: Data): Promise<number> {
    const s = this, d = bytes(data);
    return s.type == SOCK_DGRAM ? s.sendto(d, s._p!) : s._wait(() => s._wr() ? (s._put(d), d.length) : undefined);
  }

  /** Resolves once every byte is handed over and the platform's buffer has drained. */
  sendall(data: Data): Promise<void> {
    const s = this, d = bytes(data);
    let i = 0;
    const step = (): Promise<any> => s._wait(() => {
      if (!s._wr()) return;
      if (i >= d.length) return 0;
      s._put(d.subarray(i, i += 1024));
      return 1;
    }).then((more) => more && step());
    return (s.type == SOCK_DGRAM ? s.send(d) : step()).then(() => {});
  }

  /** Up to n buffered bytes; waits if none; empty once the peer closed and all was read. */
  recv(n: number): Promise<Uint8Array> {
    const s = this;
    return s.type == SOCK_DGRAM ? s.recvfrom(n).then((r) => r[0]) : s._wait(() => s._ready() ? take(s._q, n) : undefined);
  }

  recvfrom(n: number): Promise<[Uint8Array, Address | null]> {
    const s = this;
    return s.type != SOCK_DGRAM ? s.recv(n).then((d) => [d, s._p] as [Uint8Array, Address]) : s._wait(() => {
      s._live();
      const m = s._q.shift();
      return m && [m[0].subarray(0, n), m[1]];
    });
  }

  sendto(data: Data, address: Address): Promise<number> {
    const s = this, d = bytes(data);
    return run(() => {
      s._live();
      if (s.type != SOCK_DGRAM) return s.send(d);
      if (!address) throw notConnected();
      return s._addr(address).then((l) => (s._u || (s._u = s._udp({}))).then((u) => {
        const a = l[0], bc = s._o[constants.SOL_SOCKET + "." + constants.SO_BROADCAST];
        const denied = () => err("EACCES", "broadcast needs setsockopt(SOL_SOCKET, SO_BROADCAST, 1)", 13);
        if (a[0] == "255.255.255.255" && !bc) throw denied();
        try {
          u.send(d, a[1], a[0]);
        } catch (e: any) {
          if (e.code != "EACCES") throw e;
          if (!bc) throw denied();
          // Espruino cannot broadcast from a bound socket: send through an unbound one,
          // whose replies arrive in this socket's queue too.
          return (s._b || (s._b = s._udp({}))).then((h) => { h.send(d, a[1], a[0]); });
        }
      })).then(() => d.length);
    });
  }

  /** SHUT_WR/SHUT_RDWR end the stream once queued bytes are sent. Espruino has no
   *  half-close: the whole connection closes, so read the reply first. */
  shutdown(how: number): void {
    const s = this;
    s._live();
    if (!s._s) throw notConnected();
    if (how) s._s.end();
    if (how != 1) {
      s._z = 1;
      s._q = [];
      s._poke();
    }
  }

  /** Idempotent. Queued bytes still go out: the platform ends the stream gracefully. */
  close(): void {
    const s = this, shut = (x: Promise<UdpSocket> | null) => x && x.then((u) => u.close(), () => {});
    if (s._c) return;
    s._c = 1;
    if (s._s) s._s.end();
    s._s = null;
    if (s._l) s._l.close();
    shut(s._u);
    shut(s._b);
    inUse -= s._h;
    s._h = 0;
    // connections accepted but never taken
    s._q.forEach((m) => { if (m[0] instanceof Socket) m[0].close(); });
    s._q = [];
    s._poke();
  }

  settimeout(seconds: number | null): void {
    if (seconds != null && !(seconds >= 0)) throw invalid("timeout: seconds >= 0, or null");
    this._t = seconds;
  }

  gettimeout(): number | null {
    return this._t;
  }

  setblocking(flag: boolean): void {
    this._t = flag ? null : 0;
  }

  getsockname(): Address {
    this._live();
    return [this._n[0], this._n[1]];
  }

  getpeername(): Address {
    this._live();
    if (!this._p) throw notConnected();
    return this._p;
  }

  /** SO_REUSEADDR, SO_BROADCAST take effect. TCP_NODELAY is accepted and does nothing
   *  (Espruino has no setNoDelay). IP_ADD_MEMBERSHIP (inet_aton(group)+inet_aton(iface))
   *  must come before bind(); the platform joins on the board's interface. */
  setsockopt(level: number, option: number, value: number | Uint8Array): void {
    const s = this;
    s._live();
    if (level == IPPROTO_IP && option == constants.IP_ADD_MEMBERSHIP) {
      if (s._u) throw invalid("join multicast groups before bind(): Espruino cannot join later");
      s._o.g = inet_ntoa((value as Uint8Array).subarray(0, 4));
    }
    s._o[level + "." + option] = value;
  }

  getsockopt(level: number, option: number): any {
    this._live();
    return this._o[level + "." + option] || 0;
  }

  /** Espruino has no file descriptors. */
  fileno(): number {
    return -1;
  }
}

/** socket.socket(family=AF_INET, type=SOCK_STREAM, proto=0) */
export function socket(family?: number, type?: number, proto?: number): Socket {
  family = family || AF_INET;
  type = type || SOCK_STREAM;
  if (family != AF_INET || type != SOCK_STREAM && type != SOCK_DGRAM) {
    throw err("EAFNOSUPPORT", "IPv4 TCP and UDP only: AF_INET with SOCK_STREAM or SOCK_DGRAM", 97);
  }
  return new Socket(family, type, proto || 0);
}

const ready = (s: Socket, p: Promise<any>): Promise<Socket> => p.then(() => s, (e) => { s.close(); throw e; });

/** A connected TCP socket; `timeout` (s) applies to each attempt and to later calls. */
export function create_connection(address: Address, timeout?: number | null): Promise<Socket> {
  const s = socket();
  if (timeout !== undefined) s.settimeout(timeout);
  return ready(s, s.connect(address));
}

/** A listening TCP socket. reuse_port is accepted; Espruino has no SO_REUSEPORT. */
export function create_server(address: Address, opts?: { backlog?: number; reuse_port?: boolean }): Promise<Socket> {
  const s = socket();
  return ready(s, s.bind(address).then(() => s.listen()));
}
