// A fake world for the ntptime client: a monotonic fake time that drives every timer,
// a local wall clock the client can step, "true" UTC for the servers, a fake DNS and
// a fake UDP transport with scripted NTP servers. Deterministic; no real timers.

import type { NtpDeps } from "../src/ntptime/index.ts";
import type { UdpSocket } from "../src/platform/types.ts";

export const NTP_UNIX = 2208988800n;
export const ERA1_MS = Date.parse("2036-02-07T06:28:16Z");

/** An NTP timestamp (8 bytes) for a Unix time in ms, written independently of the code
 *  under test (BigInt, modulo 2^32 seconds). */
export function ntpTimestamp(unixMs: number): Uint8Array {
  const ms = BigInt(Math.floor(unixMs));
  const sub = unixMs - Math.floor(unixMs); // sub-millisecond part
  let seconds = ms / 1000n - (ms % 1000n < 0n ? 1n : 0n);
  const msInSecond = Number(ms - seconds * 1000n) + sub;
  seconds = (seconds + NTP_UNIX) & 0xffffffffn;
  const fraction = BigInt(Math.round((msInSecond / 1000) * 2 ** 32)) & 0xffffffffn;
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, Number(seconds));
  v.setUint32(4, Number(fraction));
  return out;
}

/** One getaddrinfo entry for an IPv4 address, port 123. */
export const addrInfo = (address: string): [number, number, number, string, [string, number]] => [2, 2, 17, "", [address, 123]];

export interface ReplyFields {
  li?: number;
  vn?: number;
  mode?: number;
  stratum?: number;
  refid?: string;
  origin: Uint8Array;
  t2: number | null; // null: zero timestamp
  t3: number | null;
}

export function buildReply(f: ReplyFields): Uint8Array {
  const p = new Uint8Array(48);
  p[0] = ((f.li ?? 0) << 6) | ((f.vn ?? 4) << 3) | (f.mode ?? 4);
  p[1] = f.stratum ?? 2;
  p[2] = 6;
  p[3] = 0xec;
  const refid = f.refid ?? "GPS\0";
  for (let i = 0; i < 4; i++) p[12 + i] = refid.charCodeAt(i) || 0;
  p.set(f.origin, 24);
  if (f.t2 !== null) p.set(ntpTimestamp(f.t2), 32);
  if (f.t3 !== null) p.set(ntpTimestamp(f.t3), 40);
  return p;
}

export interface Request {
  data: Uint8Array;
  address: string;
  port: number;
  at: number; // fake monotonic time
  nonce: Uint8Array;
}

/** Sends `data` to the client's socket after `delay` ms, from `from`:`port`. */
export type Deliver = (data: Uint8Array, delay: number, from?: string, port?: number) => void;
export type Server = (req: Request, deliver: Deliver, lab: Lab) => void;

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  client: boolean;
}

export class Lab {
  /** Monotonic fake time (ms); every timer runs on it. */
  mono = 1000;
  /** Local wall clock = mono + wallOffset (starts near 1970, like an ESP32 at power-on). */
  wallOffset = 0;
  /** True UTC = mono + trueOffset. */
  trueOffset = Date.parse("2026-03-01T12:00:00Z");
  buildTimeMs = Date.parse("2025-06-01T00:00:00Z");
  timers = new Map<number, Timer>();
  private seq = 0;
  opens = 0;
  closes = 0;
  requests: Request[] = [];
  setClockCalls: number[] = [];
  servers: Record<string, Server> = {};
  dns: Record<string, string[] | { code: string; message: string }> = {};
  resolved: string[] = [];
  dhcp: string[] = [];
  private randomCounter = 1;

  trueNow(): number {
    return this.mono + this.trueOffset;
  }

  at(delay: number, fn: () => void, client = false): number {
    const id = ++this.seq;
    this.timers.set(id, { at: this.mono + delay, seq: id, fn, client });
    return id;
  }

  /** A client interval: re-armed (same id) before each run. */
  every(ms: number, fn: () => void): number {
    const id = ++this.seq;
    const arm = () => this.timers.set(id, { at: this.mono + ms, seq: id, fn: () => (arm(), fn()), client: true });
    arm();
    return id;
  }

  clientTimers(): number {
    let n = 0;
    for (const t of this.timers.values()) if (t.client) n++;
    return n;
  }

  deps(): NtpDeps {
    return {
      openUdp_: () => {
        this.opens++;
        let closed = false;
        const sock: UdpSocket = {
          port: 0,
          onmessage: null,
          send: (data, port, address) => {
            if (closed) throw new Error("send on a closed socket");
            const req: Request = { data: data.slice(), address, port, at: this.mono, nonce: data.slice(40, 48) };
            this.requests.push(req);
            const server = port == 123 ? this.servers[address] : undefined;
            if (server)
              server(
                req,
                (reply, delay, from = address, fromPort = 123) =>
                  this.at(delay, () => {
                    if (!closed && sock.onmessage) sock.onmessage(reply.slice(), from, fromPort);
                  }),
                this
              );
          },
          close: () => {
            if (closed) throw new Error("socket closed twice");
            closed = true;
            this.closes++;
          },
        };
        return Promise.resolve(sock);
      },
      now_: () => this.mono + this.wallOffset,
      setClock_: (ms) => {
        this.setClockCalls.push(ms);
        this.wallOffset = ms - this.mono;
      },
      // getaddrinfo(host, 123, AF_INET): [family, type, proto, canonname, [address, port]]
      resolve_: (host, port, family) => {
        this.resolved.push(host);
        if (port !== 123 || family !== 2) throw new Error(`getaddrinfo(${host}, ${port}, ${family}): expected port 123, AF_INET`);
        const info = (list: string[]) => Promise.resolve(list.map((a) => addrInfo(a)));
        if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return info([host]);
        const r = this.dns[host];
        if (!r) return Promise.reject(Object.assign(new Error(`getaddrinfo: "${host}" does not exist`), { code: "EAI_NONAME" }));
        if (!Array.isArray(r)) return Promise.reject(Object.assign(new Error(r.message), { code: r.code }));
        return info(r);
      },
      ifconfig_: () => ({ ntp: this.dhcp.slice() }),
      random_: (n) => {
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i++) b[i] = (this.randomCounter * 37 + i * 11) & 255;
        this.randomCounter++;
        return b;
      },
      build_: this.buildTimeMs,
      setTimeout_: (fn, ms) => this.at(ms, fn, true),
      setInterval_: (fn, ms) => this.every(ms, fn),
      // clears timeouts and intervals alike, as Espruino's clearTimeout does
      clearTimeout_: (id) => {
        if (id === undefined) throw new Error("clearTimeout(undefined) throws on Espruino");
        this.timers.delete(id as number);
      },
    };
  }

  /** Runs the earliest timer; false when none is pending. */
  step(limit = Infinity): boolean {
    let next: Timer | undefined;
    let nextId = 0;
    for (const [id, t] of this.timers) if (!next || t.at < next.at || (t.at == next.at && t.seq < next.seq)) (next = t), (nextId = id);
    if (!next || next.at > limit) return false;
    this.timers.delete(nextId);
    this.mono = Math.max(this.mono, next.at);
    next.fn();
    return true;
  }

  /** Lets the promise chains run, then time, until `p` settles. */
  async settle<T>(p: Promise<T>): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true)
    );
    for (let i = 0; i < 10000; i++) {
      await flush();
      if (done) return p;
      if (!this.step()) break;
    }
    await flush();
    if (!done) throw new Error("promise never settled and no timer is pending");
    return p;
  }

  /** Advances fake time by `ms`, running the timers due and the promise chains. */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    await flush();
    while (this.step(end)) await flush();
    this.mono = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A well-behaved server: `out` ms to reach it, `proc` ms inside, `back` ms to return;
 *  its clock is true UTC + `skew`. */
export function goodServer(o: { out?: number; back?: number; proc?: number; skew?: number; stratum?: number; vn?: number } = {}): Server {
  const out = o.out ?? 10;
  const back = o.back ?? out;
  const proc = o.proc ?? 1;
  return (req, deliver, lab) => {
    const t2 = lab.trueNow() + out + (o.skew ?? 0);
    deliver(buildReply({ origin: req.nonce, t2, t3: t2 + proc, stratum: o.stratum ?? 2, vn: o.vn ?? 4 }), out + proc + back);
  };
}

/** A server answering with `make(req, trueTimeAtServer)` after `delay` ms (then maybe more). */
export function scriptedServer(replies: Array<(req: Request, t: number) => { data: Uint8Array; delay: number; from?: string; port?: number }>): Server {
  return (req, deliver, lab) => {
    for (const make of replies) {
      const r = make(req, lab.trueNow() + 5);
      deliver(r.data, r.delay, r.from, r.port);
    }
  };
}
