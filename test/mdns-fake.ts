// A fake link for the mDNS tests: a deterministic clock that drives every timer, seeded
// randomness, and UDP sockets on one in-process LAN (multicast to 224.0.0.251 reaches every
// member, the sender included, as with IP_MULTICAST_LOOP). Every datagram is logged; the
// tests read them with dns-packet, independently of our codec.
import dnsPacket from "dns-packet";
import type { DecodedPacket, Packet as DnsPacket } from "dns-packet";
import type { MdnsIO } from "../src/mdns/index.ts";
import type { UdpSocket } from "../src/platform/types.ts";
import { seededRandom } from "../emulator/lan/ip.ts";

export const GROUP = "224.0.0.251";

/** The board profile device code reads its capabilities from (CAMNET_BOARD, constants in
 *  the bundle): the responder answers for the host name unless `nativeMdns`. */
export function board(nativeMdns = false): void {
  (globalThis as any).CAMNET_BOARD = { capabilities: { nativeMdns } };
}
board();
// Other suites' fakes set CAMNET_BOARD too (test/socket-fake-platform.ts, wifi and
// nativeMdns true): in a whole-suite run every test starts from this profile again.
// (Outside mocha, as in the bench's responderCostUs, there is no beforeEach.)
if (typeof beforeEach === "function") beforeEach(() => board());

export class Clock {
  t = 1_000_000;
  private q: { at: number; fn: () => void; id: number }[] = [];
  private n = 0;
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.n;
    this.q.push({ at: this.t + Math.max(0, ms || 0), fn, id });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.q = this.q.filter((x) => x.id !== id);
  };
  pending(): number {
    return this.q.length;
  }
  /** Runs every timer due within `ms`, in order, letting promises settle in between. */
  async run(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: { at: number; fn: () => void; id: number } | undefined;
      for (const x of this.q) if (x.at <= end && (!next || x.at < next.at || (x.at == next.at && x.id < next.id))) next = x;
      if (!next) break;
      this.q.splice(this.q.indexOf(next), 1);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Deterministic [0, 1): the LAN's PRNG. */
export const seeded = seededRandom;

export interface Packet {
  at: number;
  from: string;
  fromPort: number;
  to: string;
  port: number;
  data: Uint8Array;
}

interface Member {
  host: string;
  port: number;
  group?: string;
  sock: UdpSocket;
}

export class Lan {
  sent: Packet[] = [];
  members: Member[] = [];
  constructor(public clock: Clock) {}

  /** The IO of a host at `address`; `seed` makes its random() deterministic. */
  io(address: string, seed = 1): MdnsIO & { addr: string; opened: number } {
    const lan = this, clock = this.clock;
    const io = {
      addr: address,
      opened: 0,
      openUdp(o: { port?: number; group?: string }): Promise<UdpSocket> {
        io.opened++;
        return Promise.resolve(lan.socket(io.addr, o.port || 49152 + lan.members.length, o.group));
      },
      now: clock.now,
      random: seeded(seed),
      ifconfig: () => ({ ip: io.addr }),
      setTimeout: clock.setTimeout,
      clearTimeout: clock.clearTimeout,
    };
    return io;
  }

  socket(host: string, port: number, group?: string): UdpSocket & { closed: boolean } {
    const lan = this;
    const sock = {
      port,
      closed: false,
      onmessage: null as UdpSocket["onmessage"],
      send(data: Uint8Array, toPort: number, to: string) {
        if (sock.closed) throw new Error("send on a closed socket");
        lan.transmit({ at: lan.clock.t, from: host, fromPort: port, to, port: toPort, data: data.slice() });
      },
      close() {
        sock.closed = true;
        lan.members = lan.members.filter((m) => m.sock !== sock);
      },
    };
    this.members.push({ host, port, group, sock });
    return sock;
  }

  /** Logs `p` and delivers it on the next turn of the clock. */
  transmit(p: Packet): void {
    this.sent.push(p);
    this.clock.setTimeout(() => {
      for (const m of this.members.slice()) {
        const hit = p.to === GROUP ? m.group === GROUP && m.port === p.port : m.host === p.to && m.port === p.port;
        if (hit && m.sock.onmessage) m.sock.onmessage(p.data.slice(), p.from, p.fromPort);
      }
    }, 0);
  }

  /** A packet from a test peer. */
  inject(from: string, fromPort: number, data: Uint8Array, to = GROUP, port = 5353): void {
    this.transmit({ at: this.clock.t, from, fromPort, to, port, data });
  }

  /** Packets sent by `host` (after `since`, ms on the clock), decoded by dns-packet. */
  from(host: string, since = 0): (Packet & { m: DecodedPacket })[] {
    return this.sent.filter((p) => p.from === host && p.at >= since)
      .map((p) => Object.assign({}, p, { m: dnsPacket.decode(Buffer.from(p.data)) }));
  }
}

/** The class fields of the questions (with the QU bit, which dns-packet loses). */
export function questionClasses(b: Uint8Array): number[] {
  const out: number[] = [];
  let p = 12;
  for (let i = 0; i < (b[4] << 8 | b[5]); i++) {
    while (b[p] && b[p] < 192) p += b[p] + 1;
    p += b[p] ? 2 : 1;
    out.push(b[p + 2] << 8 | b[p + 3]);
    p += 4;
  }
  return out;
}

/** Encodes with dns-packet; `qu` sets the unicast-response bit on every question. */
export function packet(p: DnsPacket, qu = false): Uint8Array {
  const b = new Uint8Array(dnsPacket.encode(p));
  if (qu) {
    let o = 12;
    for (let i = 0; i < (p.questions || []).length; i++) {
      while (b[o] && b[o] < 192) o += b[o] + 1;
      o += b[o] ? 2 : 1;
      b[o + 2] |= 0x80;
      o += 4;
    }
  }
  return b;
}

export const q = (name: string, type = "A"): DnsPacket => ({ type: "query", id: 0, questions: [{ name, type }] });
