// What the responder and the queriers share: the IO handed in, the one UDP socket on
// 224.0.0.251:5353 (shared by reference count), and the per-packet fast path that decides,
// from the header and the names in place, whether a packet concerns us at all before
// anything is decoded.
import type { UdpSocket } from "../platform/types";
import type { ResourceRecord } from "../dns/message";
import { codedError } from "../util/errors";

export const GROUP = "224.0.0.251", PORT = 5353;

/** IO handed in from outside (the platform on the board, fakes in tests). */
export interface MdnsIO {
  openUdp(o: { port?: number; group?: string; reuse?: boolean }): Promise<UdpSocket>;
  /** Monotonic enough ms clock (the platform's wall clock is fine). */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
  /** Our IPv4 address on the link ("" or "0.0.0.0" when none). */
  address(): string;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export type Receiver = (b: Uint8Array, address: string, port: number) => void;

/** The shared socket and who listens on it. `own` answers from a local responder's
 *  records, so the board can resolve its own names without multicast loopback. */
export interface Channel {
  sock: UdpSocket;
  subs: Receiver[];
  own?: ((name: string, type: number) => ResourceRecord[]) | null;
}

export const fail = codedError;

export const lower = (s: string): string => s.toLowerCase();

/** Subscribes `fn` to the shared mDNS socket of `io`, opening it on first use. */
export function join(io: MdnsIO, fn: Receiver): Promise<Channel> {
  const x = io as any;
  if (!x.mdnsChannel) {
    x.mdnsChannel = io.openUdp({ port: PORT, group: GROUP, reuse: true }).then((sock) => {
      const ch: Channel = { sock: sock, subs: [] };
      // Backwards, so a receiver may remove itself while we iterate.
      sock.onmessage = (b, a, p) => {
        for (let i = ch.subs.length; i--;) ch.subs[i](b, a, p);
      };
      return ch;
    }, (e: any) => {
      x.mdnsChannel = null;
      throw e;
    });
  }
  return (x.mdnsChannel as Promise<Channel>).then((ch) => {
    ch.subs.push(fn);
    return ch;
  });
}

/** Unsubscribes `fn`; the last one out closes the socket. */
export function leave(io: MdnsIO, ch: Channel, fn: Receiver): void {
  const i = ch.subs.indexOf(fn);
  if (i >= 0) ch.subs.splice(i, 1);
  if (!ch.subs.length && (io as any).mdnsChannel) {
    (io as any).mdnsChannel = null;
    ch.sock.close();
  }
}

/** Whether the (possibly compressed) name at `p` is `name` (lowercase text), compared in
 *  place, ASCII case-insensitively (RFC 6762 §16), without allocating. A label with a
 *  literal "." never matches (our names have none). */
export function nameIs(b: Uint8Array, p: number, name: string): boolean {
  const n = name.length;
  let j = 0, hops = 0, l: number, c: number, k: number;
  for (;;) {
    l = b[p];
    if (l > 191) {
      if (++hops > 9) return false;
      p = (l & 63) << 8 | b[p + 1];
      continue;
    }
    if (!l) return j > n;
    if (l > 63 || j + l > n || (j + l < n && name.charCodeAt(j + l) != 46)) return false;
    for (k = 0; k < l; k++) {
      c = b[++p];
      if (c > 64 && c < 91) c += 32;
      if (c !== name.charCodeAt(j++)) return false;
    }
    j++;
    p++;
  }
}

/** The fast path, run on every packet: true when a query's questions or known answers, or
 *  any record of a response, carry one of `names`. Messages with a non-zero OPCODE or
 *  RCODE are false (RFC 6762 §18.3, §18.11). Reads the header and the names in place and
 *  stops at the first hit; most packets cost one byte compare per name. */
export function mentions(b: Uint8Array, names: string[]): boolean {
  const len = b.length, f = b[2], qd = b[4] << 8 | b[5], m = names.length;
  if (len < 12 || f & 0x78 || b[3] & 15) return false;
  const k = qd + (b[6] << 8 | b[7]) + (f & 128 ? (b[8] << 8 | b[9]) + (b[10] << 8 | b[11]) : 0);
  for (let i = 0, p = 12, j: number, l: number, c: number; i < k; i++) {
    // first label length (through one pointer): the cheap reject before comparing
    l = (c = b[p]) > 191 ? b[(c & 63) << 8 | b[p + 1]] : c;
    for (j = 0; j < m; j++) if (names[j].indexOf(".") == l && nameIs(b, p, names[j])) return true;
    // skip the name, then the question's type/class or the record's fixed part and rdata
    while (c && c < 192) c = b[p += c + 1];
    p += c ? 2 : 1;
    if (i >= qd) p += 8 + (b[p + 8] << 8 | b[p + 9]) + 2;
    else p += 4;
    if (p >= len) return false;
  }
  return false;
}
