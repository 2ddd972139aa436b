/// <reference path="../types/camnet.d.ts" />
// Socket objects: Python's socket.socket over camnet's platform, with Promises where Python
// blocks. TCP (connect/bind/listen/accept/send/sendall/recv), UDP (bind/sendto/recvfrom,
// connect+send/recv, broadcast, multicast), timeouts, errors with errno names. asyncio adds
// its stream methods to the same objects (src/asyncio/index.ts); ssl sets `tls_`.
//
// IO is handed in: configure(platform, resolve) wires the platform (src/platform/index.ts on
// the board, a fake in unit tests) and name resolution (getaddrinfo).
//
// Every operation that may wait is a check function re-run on each event of the socket
// (wait_/poke_): it returns a value (done), undefined (keep waiting) or throws (fail). A
// closed socket fails every check with EBADF. The timeout is applied there, once.
//
// Methods sit on one shared prototype (an object literal: fewer bytes than a lowered class,
// and no per-socket function objects). Fields ending in "_" are internal (the build renames
// them to one or two letters):
//   k_ the TCP state: undefined new, 1 connecting, 2 connected (stays after the peer's
//      close), 3 listen() in progress, 4 listening
//   c_ closed   t_ timeout (s; null waits forever, 0 non-blocking)   q_ received queue
//   w_ waiters  h_ board sockets held   n_ local address   p_ peer
//   s_ TCP stream (null once closed)   l_ TCP listener   u_ UDP socket (promise)
//   b_ unbound broadcast helper   e_ error that ended the connection   z_ no more to read
//   f_ send buffer full (wait for drain)   g_ multicast group   tls_ TLS options (ssl)
// Socket options are kept on the socket itself under "level.option" keys.
import type { CodedError, TcpStream, TlsOptions, UdpOptions, UdpSocket } from "../platform/types";
import { oserror as err } from "./errors";
import { inet_ntoa } from "./inet";

/** [ip, port] */
export type Address = [string, number];
/** Bytes; a string is sent as UTF-8. */
export type Data = Uint8Array | string;

/** What the socket objects need of src/platform/index.ts. */
export interface Platform {
  connectTcp(host: string, port: number, tls?: TlsOptions): Promise<TcpStream>;
  /** `tls`: a TLS server (only asked for where caps.tlsServer). */
  listenTcp(port: number, onConnection: (s: TcpStream) => void, tls?: TlsOptions): Promise<{ close(): void }>;
  openUdp(opts: UdpOptions): Promise<UdpSocket>;
  /** Wall clock, ms since 1970. */
  now(): number;
}

/** getaddrinfo(host, port, 0, type): [family, type, proto, canonname, [ip, port]][]. */
export type Resolve = (host: string, port: number, type: number) => Promise<[number, number, number, string, Address][]>;

let P: Platform;
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

const BROADCAST = "255.255.255.255";
/** Throws an errno-style error (see errors.ts), or `code` itself when it is a coded error. */
export const raise: (code: any, message?: string, errno?: number) => never = (code, message, errno) => {
  throw code.code ? code : err(code, message!, errno);
};
const notConnected: () => never = () => raise("ENOTCONN", "not connected", 107);
const invalid: (what: string) => never = (what) => raise("EINVAL", what, 22);

/** UTF-8 for strings (the board has no TextEncoder); bytes pass through. */
export function bytes(d: Data): Uint8Array {
  if (typeof d != "string") return d;
  const o = new Uint8Array(d.length * 3);
  let k = 0;
  for (let i = 0; i < d.length; i++) {
    // c: the code point (a high surrogate takes the low one after it); n: continuation bytes
    let c = d.charCodeAt(i), n = c < 128 ? 0 : c < 2048 ? 1 : c >> 10 == 54 ? (c = (c - 55232 << 10) + (d.charCodeAt(++i) & 1023), 3) : 2;
    o[k++] = (n && -128 >> n & 255) | c >> 6 * n; // lead byte: 110xxxxx, 1110xxxx, 11110xxx
    while (n--) o[k++] = 128 | c >> 6 * n & 63;
  }
  return o.subarray(0, k);
}

/** The parts joined into a new array. */
export function cat(parts: Uint8Array[]): Uint8Array {
  const o = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let n = 0;
  parts.forEach((p) => {
    o.set(p, n);
    n += p.length;
  });
  return o;
}

/** A chunk queue's bytes as one chunk (merged in place); empty when there are none. */
export function flat(q: Uint8Array[]): Uint8Array {
  if (q.length > 1) q.splice(0, q.length, cat(q));
  return q[0] || new Uint8Array(0);
}

/** Takes up to n bytes off the front of a chunk queue. The queue is merged only when its
 *  first chunk is short of n, so a byte is copied about once however the reads are cut.
 *  Quirk: Espruino's subarray does not clamp its end to the length (it reads past the
 *  end), so no end here is ever beyond it. */
export function take(q: Uint8Array[], n: number): Uint8Array {
  const b = q.length && q[0].length >= n ? q[0] : flat(q);
  if (n < b.length) {
    q[0] = b.subarray(n);
    return b.subarray(0, n);
  }
  q.shift();
  return b;
}

interface Waiter {
  (): number | undefined;
  t?: any;
}

export interface Socket {
  type: number;
  /** UDP */
  d_: boolean;
  t_: number | null;
  q_: any[];
  w_: Waiter[];
  h_: number;
  n_?: Address;
  c_?: number;
  k_?: number;
  s_?: TcpStream | null;
  l_?: { close(): void };
  u_?: Promise<UdpSocket>;
  b_?: Promise<UdpSocket>;
  e_?: CodedError;
  z_?: number;
  f_?: number;
  g_?: string;
  p_?: Address;
  /** ssl: the TLS options for the platform. */
  tls_?: TlsOptions;
  [option: string]: any;

  /** check(s) gets the socket itself (no `const s = this` needed around it). */
  wait_<T>(check: (s: Socket) => T | PromiseLike<T> | undefined): Promise<T>;
  poke_(...ignored: any[]): void;
  live_(): void;
  claim_(): void;
  free_(e?: any): any;
  io_(w?: number): any;
  put_(d: Uint8Array): void;
  addr_(a: Address): Promise<Address[]>;
  attach_(t: TcpStream): void;
  open_(l: Address[], i: number): Promise<unknown>;
  udp_(o: UdpOptions): Promise<UdpSocket>;

  connect(address: Address): Promise<unknown>;
  bind(address: Address): Promise<unknown>;
  listen(backlog?: number): Promise<unknown>;
  accept(): Promise<[Socket, Address]>;
  send(data: Data): Promise<number>;
  sendall(data: Data): Promise<number>;
  recv(n: number): Promise<Uint8Array>;
  recvfrom(n: number): Promise<[Uint8Array, Address | undefined]>;
  sendto(data: Data, address: Address): Promise<number>;
  shutdown(how: number): void;
  close(): void;
  settimeout(seconds: number | null): void;
  gettimeout(): number | null;
  setblocking(flag: boolean): void;
  getsockname(): Address;
  getpeername(): Address;
  setsockopt(level: number, option: number, value: number | Uint8Array): void;
  getsockopt(level: number, option: number): any;

  // asyncio streams (src/asyncio/index.ts): the reader and the writer are the socket
  read(n?: number): Promise<Uint8Array>;
  readline(): Promise<Uint8Array>;
  readexactly(n: number): Promise<Uint8Array>;
  write(data: Data): void;
  drain(): Promise<unknown>;
  wait_closed(): Promise<void>;
  get_extra_info(name: string, d?: any): any;
}

/** Adds properties to an object (typed: `this` in methods is the object). */
export const methods = Object.assign as <T>(proto: T, m: Partial<T> & ThisType<T>) => T;

export const Socket = function (this: Socket, type: number) {
  methods(this, { type, d_: type > 1, t_: null, q_: [], w_: [], h_: 0 });
} as unknown as { new (type: number): Socket; prototype: Socket };

// Socket option keys (level "." option): SOL_SOCKET 1, SO_REUSEADDR 2, SO_BROADCAST 6;
// IPPROTO_IP 0, IP_ADD_MEMBERSHIP 35.
methods(Socket.prototype, {
  /** Resolves with check()'s first defined value, re-checked on every event; a throw
   *  rejects. Honours the timeout: ETIMEDOUT, or EAGAIN when non-blocking (timeout 0).
   *  A waiter is a function: it runs the check and says 1 once settled. */
  wait_(check) {
    const s = this, t = s.t_;
    return new Promise((y, n) => {
      const w: Waiter = () => {
        try {
          s.live_();
          const v = check(s);
          if (v === undefined) return;
          y(v as any);
        } catch (e) {
          n(e);
        }
        if (w.t) clearTimeout(w.t);
        return 1;
      };
      if (!w()) {
        s.w_.push(w);
        if (t != null) {
          w.t = setTimeout(() => {
            s.w_.splice(s.w_.indexOf(w), 1);
            n(t ? err("ETIMEDOUT", "timed out", 110) : err("EAGAIN", "nothing ready", 11));
          }, t * 1000);
        }
      }
    });
  },

  /** Every waiter re-checks; those done leave the list. (Arguments are ignored: callers
   *  pass the side effect that preceded it.) */
  poke_() {
    this.w_ = this.w_.filter((w) => !w());
  },

  live_() {
    if (this.c_) raise("EBADF", "socket closed", 9);
  },

  /** Claims a board socket: EMFILE at the board's limit, before the platform is asked. */
  claim_() {
    if (inUse >= CAMNET_BOARD.capabilities.maxSockets) {
      raise("EMFILE", CAMNET_BOARD.capabilities.maxSockets + " sockets in use: close one", 24);
    }
    inUse++;
    this.h_++;
  },

  /** Gives back a board socket (if one is held); with `e`, the operation failed: the TCP
   *  state goes back to new and e is thrown. */
  free_(e) {
    const s = this;
    if (s.h_) {
      inUse--;
      s.h_--;
    }
    if (e) {
      s.k_ = 0;
      throw e;
    }
  },

  /** Reads (w falsy): truthy when one can complete (data, or EOF). Writes (w): truthy when
   *  one can go now, falsy while connecting or the send buffer is full. Throws when it
   *  never will: the error that ended the connection, ENOTCONN, or EPIPE. */
  io_(w) {
    const s = this;
    if (!w && s.q_.length) return 1;
    if (s.e_) raise(s.e_);
    if (!(s.k_! < 3)) notConnected();
    if (!w) return s.z_;
    if (s.k_! > 1 && !s.s_) raise("EPIPE", "the peer closed", 32);
    return s.s_ && !s.f_;
  },

  put_(d) {
    if (!this.s_!.write(d)) this.f_ = 1;
  },

  /** [host, port] -> the addresses to try ("<broadcast>" as in Python). */
  addr_(a) {
    const h = a[0] == "<broadcast>" ? BROADCAST : a[0];
    return R && !/^[\d.]+$/.test(h) ? R(h, a[1], this.type).then((l) => l.map((e) => e[4]))
      : Promise.resolve([[h, a[1]] as Address]);
  },

  /** Espruino has no half-open connections: "close" follows the peer's end and any error. */
  attach_(t) {
    const s = this;
    s.s_ = t;
    s.p_ = [t.remoteAddress, t.remotePort];
    s.k_ = 2;
    t.ondata = (d) => s.poke_(s.q_.push(d));
    t.ondrain = () => s.poke_(s.f_ = 0);
    t.onerror = (e) => s.e_ = e;
    t.onclose = () => {
      if (s.s_) s.free_();
      s.s_ = null;
      s.poke_(s.z_ = 1);
    };
  },

  /** Connects to l[i], else to the next address (seed 000: a name may have several
   *  addresses; each is tried in turn until one connects). The timeout applies to each
   *  attempt; a stream that arrives after a timeout or close is closed at once. Where the
   *  firmware verifies certificates, a clock never set refuses before anything is sent. */
  open_(l, i) {
    const s = this, a = l[i], tls = s.tls_;
    let r: any; // 1 connected, an error, or 2 given up
    if (CAMNET_BOARD.capabilities.tlsVerify && tls && tls.verify && P.now() < 1577836800000) { // before 2020
      raise("CLOCK_NOT_SET", "clock not set: ntptime.settime() first");
    }
    s.claim_();
    P.connectTcp(a[0], a[1], tls).then((t) => {
      r || s.c_ ? t.destroy() : s.attach_(t);
      s.poke_(r = 1);
    }, (e) => s.poke_(r = r || e));
    return s.wait_(() => r && (r.code ? raise(r) : 0)).catch((e) => {
      r = r || 2;
      return ++i < l.length && !s.c_ ? (s.free_(), s.open_(l, i)) : s.free_(e);
    });
  },

  /** A UDP socket: bound when `o.port`, else an unbound client socket (ephemeral port). */
  udp_(o) {
    const s = this;
    s.claim_();
    return P.openUdp(o).then((u) => {
      u.onmessage = (d, ip, port) => {
        const p = s.p_;
        // a connected UDP socket takes its peer's datagrams only; at most 32 wait
        s.poke_((!p || p[0] == ip && p[1] == port) && s.q_.length < 32 && s.q_.push([d, [ip, port]]));
      };
      return u;
    }, (e) => s.free_(e));
  },

  // ---- public API (Python's names)

  connect(address) {
    return this.wait_((s) => {
      if (s.d_) return s.addr_(address).then((l) => { s.p_ = l[0]; });
      if (s.k_) raise("EISCONN", "already connected", 106);
      s.k_ = 1;
      return s.addr_(address).then((l) => s.open_(l, 0), (e) => s.free_(e));
    });
  },

  /** Espruino binds to 0.0.0.0 always: the host part is not used. Ports in use are
   *  reported by the platform (EADDRINUSE). Resolves once bound. */
  bind(address) {
    const port = address[1];
    return this.wait_<unknown>((s) => {
      if (s.n_ || s.u_ || s.k_) invalid("already bound");
      s.n_ = ["0.0.0.0", port];
      return s.d_ ? s.u_ = s.udp_({ port, group: s.g_, reuse: s["1.2"] }) : 0;
    });
  },

  /** The backlog is not used: Espruino accepts every connection; they queue here. */
  listen() {
    return this.wait_<unknown>((s) => {
      if (s.k_! > 2) return 0;
      if (s.d_ || s.k_ || !s.n_) invalid("bind() first");
      s.claim_();
      s.k_ = 3;
      return P.listenTcp(s.n_[1], (t) => {
        const c = new Socket(1);
        inUse += c.h_ = 1;
        c.attach_(t);
        s.poke_(s.q_.push([c, c.p_]));
      }, s.tls_).then((l) => { // (TLS options reach a platform that has tlsServer only from ssl)
        s.k_ = 4;
        s.l_ = l;
        if (s.c_) l.close();
      }, (e) => s.free_(e));
    });
  },

  accept() {
    return this.wait_((s) => {
      if (!(s.k_! > 2)) invalid("listen() first");
      return s.q_.shift();
    });
  },

  /** As sendall (camnet hands every byte over); resolves to the number of bytes. */
  send(data) {
    return this.sendall(data);
  },

  /** Resolves (to the number of bytes) once every byte is handed over and the platform's
   *  send buffer has drained. UDP: one datagram to the connected peer. */
  sendall(data) {
    const s = this, d = bytes(data), q = [d];
    return s.d_ ? s.sendto(d, s.p_!) : s.wait_(() => {
      // 1 KB at a time while the platform takes them (big strings cost the board RAM)
      while (s.io_(1)) {
        if (!q.length) return d.length;
        s.put_(take(q, 1024));
      }
    });
  },

  /** Up to n buffered bytes; waits if none; empty once the peer closed and all was read. */
  recv(n) {
    return this.recvfrom(n).then((r) => r[0]);
  },

  /** UDP: one datagram cut to n bytes, with its sender. TCP: as recv, with the peer. */
  recvfrom(n) {
    return this.wait_((s) => {
      if (!s.d_) return s.io_() ? [take(s.q_, n)] : undefined; // (no address: Python gives None)
      const m = s.q_.shift();
      return m && [take([m[0]], n), m[1]];
    });
  },

  /** Broadcast needs SO_BROADCAST. Espruino cannot broadcast from a bound socket (the
   *  platform says EACCES): such a datagram goes through an unbound helper socket, whose
   *  replies arrive in this socket's queue too. */
  sendto(data, address) {
    const s = this, d = bytes(data);
    let a = address;
    const go = (u: UdpSocket) => {
      u.send(d, a[1], a[0]);
      return d.length;
    };
    return !s.d_ ? s.sendall(d) : s.wait_(() => {
      if (!a) notConnected();
      return s.addr_(a).then((l) => (a = l[0], s.u_ || (s.u_ = s.udp_({})))).then((u) => {
        const bc = s["1.6"];
        if (!bc && a[0] == BROADCAST) raise("EACCES", "broadcast needs SO_BROADCAST", 13);
        try {
          return go(u);
        } catch (e: any) {
          if (!bc || e.code != "EACCES") throw e; // (the platform's refusal of a subnet broadcast)
        }
        return (s.b_ || (s.b_ = s.udp_({}))).then(go);
      });
    });
  },

  /** SHUT_WR/SHUT_RDWR end the stream once queued bytes are sent. Espruino has no
   *  half-close: the whole connection closes, so read the reply first. */
  shutdown(how) {
    const s = this;
    s.live_();
    if (!s.s_) notConnected();
    if (how) s.s_.end();
    if (how != 1) {
      s.q_ = [];
      s.poke_(s.z_ = 1);
    }
  },

  /** Idempotent. Queued bytes still go out: the platform ends the stream gracefully. */
  close() {
    const s = this;
    if (!s.c_) {
      s.c_ = 1;
      if (s.s_) s.s_.end();
      if (s.l_) s.l_.close();
      [s.u_, s.b_].forEach((x) => x && x.then((u) => u.close(), () => {}));
      inUse -= s.h_;
      s.h_ = 0;
      // connections accepted but never taken
      if (s.k_! > 2) s.q_.forEach((m) => m[0].close());
      s.q_ = [];
      s.poke_();
    }
  },

  settimeout(seconds) {
    if (seconds! < 0) invalid("timeout < 0");
    this.t_ = seconds;
  },

  gettimeout() {
    return this.t_;
  },

  setblocking(flag) {
    this.t_ = flag ? null : 0;
  },

  getsockname() {
    this.live_();
    return this.n_ || ["0.0.0.0", 0];
  },

  getpeername() {
    this.live_();
    return this.p_ || notConnected();
  },

  /** SO_REUSEADDR, SO_BROADCAST take effect. TCP_NODELAY is accepted and does nothing
   *  (Espruino has no setNoDelay). IP_ADD_MEMBERSHIP (inet_aton(group)+inet_aton(iface))
   *  must come before bind(); the platform joins on the board's interface. */
  setsockopt(level, option, value) {
    const s = this, k = level + "." + option;
    s.live_();
    if (k == "0.35") {
      if (s.u_) invalid("join groups before bind()");
      s.g_ = inet_ntoa((value as Uint8Array).subarray(0, 4));
    }
    s[k] = value;
  },

  getsockopt(level, option) {
    this.live_();
    return this[level + "." + option] || 0;
  },
});

/** socket.socket(family=AF_INET, type=SOCK_STREAM, proto=0) */
export function socket(family?: number, type?: number): Socket {
  if ((family || 2) != 2 || (type = type || 1) > 2) raise("EAFNOSUPPORT", "AF_INET, SOCK_STREAM or SOCK_DGRAM only", 97);
  return new Socket(type);
}

/** A new TCP socket once f(it) (run as a check: a throw rejects) has settled; closed if it failed. */
export const ready = (f: (s: Socket) => any): Promise<Socket> => {
  const s = socket();
  return s.wait_(f).then(() => s, (e) => {
    s.close();
    throw e;
  });
};

/** A connected TCP socket; `timeout` (s) applies to each attempt and to later calls. */
export function create_connection(address: Address, timeout?: number | null): Promise<Socket> {
  return ready((s) => {
    if (timeout !== undefined) s.settimeout(timeout);
    return s.connect(address);
  });
}

/** A listening TCP socket. */
export function create_server(address: Address): Promise<Socket> {
  return ready((s) => s.bind(address).then(() => s.listen()));
}
