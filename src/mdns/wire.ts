// What the responder and the queriers share: the IO handed in, the one UDP socket on
// 224.0.0.251:5353 (shared by reference count), and the per-packet fast path that decides
// whether a packet concerns us at all before anything is decoded.
import type { UdpSocket } from "../platform/types";

declare const E: any;

export const GROUP = "224.0.0.251", PORT = 5353, LOCAL = ".local";

/** IO handed in from outside (the platform on the board, fakes in tests). */
export interface MdnsIO {
  openUdp(o: { port?: number; group?: string; reuse?: boolean }): Promise<UdpSocket>;
  /** Monotonic enough ms clock (the platform's wall clock is fine). */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
  /** Our IPv4 address on the link as `ip` ("" or "0.0.0.0" when none). */
  ifconfig(): { ip: string };
  setTimeout(fn: () => void, ms: number): unknown;
  /** Also takes undefined (no timer: nothing to do). */
  clearTimeout(id: unknown): void;
  /** The local responder's records (set by it): the queriers read them, so the board
   *  resolves its own names without multicast loopback. */
  own_?: { recs_: { l?: boolean }[] };
}

/** Who listens on the channel: `rx_` gets each packet that passed the header check, as
 *  bytes and as a byte string (for the fast path). An object, not a function, so the
 *  responder subscribes itself (a prototype method) instead of a closure kept alive. */
export interface Receiver { rx_(b: Uint8Array, s: string, address: string, port: number): void }

/** The shared socket and who listens on it. */
export interface Channel {
  sock_: UdpSocket;
  subs_: Receiver[];
  /** while the socket opens: the promise of the channel */
  p_?: Promise<Channel> | 0;
}

/** Lowercase text of anything (names, and rdata for the responder's additionals). */
export const lower = (s: unknown): string => ("" + s).toLowerCase();

export const has = <T>(a: T[], x: T): boolean => a.indexOf(x) >= 0;
export const add1 = <T>(a: T[], x: T): unknown => has(a, x) || a.push(x);

/** Subscribes `fn` to the shared mDNS socket of `io`, opening it on first use; `io` holds
 *  the channel. The joins that come while the socket opens wait on a promise of ours (p_,
 *  dropped once open). None chains on the socket's open promise, which the socket keeps
 *  for its life with (on Espruino) every callback chained on it. With `ch` (the channel it
 *  joined): unsubscribes `fn` instead; the last one out closes the socket. */
export function join(io: MdnsIO, fn: Receiver): Promise<Channel>;
export function join(io: MdnsIO, fn: Receiver, ch: Channel): void;
export function join(io: any, fn: Receiver, ch?: Channel): Promise<Channel> | void {
  let c: Channel = ch || io.mdnsChannel_;
  if (ch) {
    // (not there: -1 >>> 0 is past the end, nothing is removed)
    c.subs_.splice(c.subs_.indexOf(fn) >>> 0, 1);
    if (!c.subs_.length) c.sock_.close(), io.mdnsChannel_ = 0;
    return;
  }
  if (!c) {
    let f: any;
    c = io.mdnsChannel_ = { subs_: [], p_: new Promise((r) => (f = r)) } as any;
    const done = (s: any): void => {
      if (s.send) {
        c.sock_ = s;
        // Messages with a non-zero OPCODE or RCODE are dropped (RFC 6762 §18.3, §18.11).
        // Backwards, so a receiver may remove itself while we iterate. The bytes go to the
        // receivers as a string too (on Espruino E.toString views them without copying, so
        // the fast path's regex scans them natively; interpreted per-byte loops cost far more).
        s.onmessage = (b: Uint8Array, a: string, p: number) => {
          if (b.length > 11 && !(b[2] & 0x78 || b[3] & 15)) {
            for (let i = c.subs_.length, t = typeof E == "undefined" ? String.fromCharCode.apply(null, b as any) : E.toString(b); i--;) c.subs_[i].rx_(b, t, a, p);
          }
        };
        s = c;
      } else {
        io.mdnsChannel_ = 0;
        s = Promise.reject(s);
      }
      // the joins waiting: the channel, or the error; then nothing (this function, kept by
      // the open promise, keeps no promise of ours)
      f(s);
      f = c.p_ = 0;
    };
    io.openUdp({ port: PORT, group: GROUP, reuse: true }).then(done, done);
  }
  c.subs_.push(fn);
  return c.p_ || Promise.resolve(c);
}

/** The fast path's pattern for `names` (lowercase): the first label of each, with its
 *  length byte, as it must appear somewhere in any packet that carries the name (a
 *  compression pointer only points back at bytes already in the packet). Matches nothing
 *  for no names. */
export const matcher = (names: string[]): RegExp => new RegExp(names.map((n) => (n = n.split(".")[0], String.fromCharCode(n.length) + n)
  .replace(/[^a-z0-9]/g, (c) => "\\" + c)).filter((x, i, a) => a.indexOf(x) == i).join("|") || "$^", "i");

/** The fast path, run on every packet: false unless the packet (OPCODE and RCODE 0)
 *  holds a first label of ours anywhere, ASCII case-insensitively (§16). A rare false
 *  positive only costs a full parse. (The channel checks the header once and hands
 *  its receivers the string; this is the same test in one call.) */
export const mentions = (b: Uint8Array, re: RegExp): boolean =>
  b.length > 11 && !(b[2] & 0x78 || b[3] & 15)
  && re.test(typeof E == "undefined" ? String.fromCharCode.apply(null, b as any) : E.toString(b));
