// A DNS stub resolver: random ID and source port per query (RFC 5452), replies accepted
// only from the server asked with the same ID and question, retry with backoff across
// servers, TCP on truncation, CNAME chains followed, and a bounded TTL cache with
// negative caching (RFC 2308). IO is handed in, so it runs on the board, the emulator
// and in unit tests alike.
import type { CodedError, TcpStream, UdpSocket } from "../platform/types";
import { FLAG_RD, FLAG_TC, encodeMessage, parseMessage, TYPE_CNAME, TYPE_SOA } from "./message";
import type { Message } from "./message";

export interface ResolverIO {
  openUdp(opts: { port?: number }): Promise<UdpSocket>;
  connectTcp(host: string, port: number): Promise<TcpStream>;
  now(): number;
  randomBytes(n: number): Uint8Array;
  /** The servers to ask, in order. */
  servers(): string[];
  error(code: string, message: string): CodedError;
  /** Last resort for A records where the servers cannot be reached (Wifi.getHostByName). */
  hostByName?: (name: string) => Promise<string | null>;
}

/** The records of one type a name resolves to, after its CNAME chain. */
export interface Answer {
  /** The end of the CNAME chain (the name itself when there is none). */
  canonname: string;
  /** The names of the chain before the canonical name. */
  aliases: string[];
  /** The rdata of every record of the type asked: "1.2.3.4" for A, a name for PTR. */
  data: any[];
}

/** A resolver: `query`, `flush`, and `hosts` (static names: entries the app adds). */
export interface Resolver {
  hosts: { [name: string]: string[] };
  flush(): void;
  /** Resolves `name` to the records of `type`, following CNAMEs. Rejects with EAI_NONAME
   *  (no such name, or no record of that type), EAI_AGAIN (no server answered, or
   *  SERVFAIL) or EAI_FAIL (the server refused or sent nonsense). */
  query(name: string, type: number): Promise<Answer>;
}

type Failure = CodedError & { ttl?: number };

const TRIES = 2;
const FIRST_TIMEOUT_MS = 1000;
const MAX_CHAIN = 8;
const MAX_TTL = 86400;
const CACHE_SIZE = 32;
const FAILURE_TTL = 2; // seconds a SERVFAIL or unreachable server is remembered (RFC 2308 §7)

const lower = (s: string): string => s.toLowerCase();
const sameName = (a: string, b: string): boolean => lower(a) == lower(b);

/** TTLs with the top bit set count as 0 (RFC 2181 §8); capped at a day. */
const clampTtl = (ttl: number): number => (ttl < 0 || ttl > 2147483647 ? 0 : Math.min(ttl, MAX_TTL));

/** A resolver over `io`. (A closure, not a class: local names minify, properties do not.) */
export function createResolver(io: ResolverIO): Resolver {
  // cache entries: e = expires (ms), a = the answer (null: negative), c = the EAI code to fail with
  let cache: { [key: string]: { e: number; a: Answer | null; c: string } } = {};
  const pending: { [key: string]: Promise<Answer> | undefined } = {};

  const failure = (code: string, name: string, type: number, ttl?: number): Failure => {
    const e: Failure = io.error(code, code == "EAI_NONAME"
      ? "no " + (type == 1 ? "A" : type == 28 ? "AAAA" : type == 12 ? "PTR" : "type " + type) + " record for " + name + ": check the name"
      : code == "EAI_AGAIN"
        ? "no answer for " + name + " from DNS " + (io.servers().join(", ") || "(none)") + ": check the link, retry"
        : "DNS failed for " + name + ": try another server");
    if (ttl) e.ttl = ttl;
    return e;
  };

  const store = (key: string, ttl: number, a: Answer | null, c: string): void => {
    if (ttl <= 0) return;
    const keys = Object.keys(cache);
    if (keys.length >= CACHE_SIZE) {
      // Evict the entry that expires first.
      let oldest = keys[0];
      keys.forEach((k) => {
        if (cache[k].e < cache[oldest].e) oldest = k;
      });
      delete cache[oldest];
    }
    cache[key] = { e: io.now() + ttl * 1000, a, c };
  };

  /** Accepts only a response to exactly this query (RFC 5452 §9.1): QR set, opcode 0. */
  const matches = (m: Message, id: number, name: string, type: number): boolean => {
    const q = m.questions[0];
    return m.id == id && (m.flags & 0xf800) == 0x8000 && m.questions.length == 1
      && sameName(q.name, name) && q.type == type && (q.qclass || 1) == 1;
  };

  const ask = (id: number, name: string, type: number): Uint8Array =>
    encodeMessage({ id, flags: FLAG_RD, questions: [{ name, type }] });

  // The errors of one exchange are never shown (the next server is asked), so they are terse.
  const tcp = (server: string, id: number, name: string, type: number, ms: number): Promise<Message> =>
    io.connectTcp(server, 53).then((s) => new Promise<Message>((resolve, reject) => {
      let buf = new Uint8Array(0), done = 0;
      const end = (m: Message | null | false, e?: unknown): void => {
        if (done++) return;
        clearTimeout(timer);
        s.ondata = s.onclose = s.onerror = null;
        s.destroy();
        m ? resolve(m) : reject(e);
      };
      const timer = setTimeout(() => end(null, io.error("ETIMEDOUT", "DNS over TCP timed out")), ms);
      s.ondata = (d) => {
        const b = new Uint8Array(buf.length + d.length);
        b.set(buf);
        b.set(d, buf.length);
        buf = b;
        // the 2-byte length prefix (RFC 1035 §4.2.2); a missing byte reads as 0
        const len = buf[0] << 8 | buf[1];
        if (buf.length < len + 2) return;
        try {
          const m = parseMessage(buf.subarray(2, 2 + len));
          end(matches(m, id, name, type) && m, io.error("EAI_FAIL", "unexpected DNS answer over TCP"));
        } catch (e) {
          end(null, e);
        }
      };
      s.onclose = () => end(null, io.error("ECONNRESET", "DNS server closed TCP"));
      s.onerror = (e) => end(null, e);
      const q = ask(id, name, type), framed = new Uint8Array(q.length + 2);
      framed[0] = q.length >> 8;
      framed[1] = q.length;
      framed.set(q, 2);
      s.write(framed);
    }));

  const udp = (server: string, name: string, type: number, ms: number, seen: { bad?: boolean }): Promise<Message> => {
    const r = io.randomBytes(4), id = r[0] << 8 | r[1];
    // A random source port per query: bind one in 1024-65535 (an unbound socket would
    // get lwIP's sequential ephemeral port). Fall back to unbound if it is taken.
    return io.openUdp({ port: 1024 + (r[2] << 8 | r[3]) % 64512 }).catch(() => io.openUdp({}))
      .then((sock) => new Promise<Message>((resolve, reject) => {
        // m: resolve with it; else e: reject with it; neither: only close (TCP takes over)
        const end = (m: Message | null, e?: unknown): void => {
          clearTimeout(timer);
          sock.onmessage = null;
          sock.close();
          if (m) resolve(m);
          else if (e) reject(e);
        };
        const timer = setTimeout(() => end(null, io.error("ETIMEDOUT", "DNS timed out")), ms);
        sock.onmessage = (data, address, from) => {
          // Anything but the reply to this query is dropped (and noted), and we keep waiting.
          let m: Message | null = null;
          try {
            if (address == server && from == 53) m = parseMessage(data);
          } catch (e) {}
          if (!m || !matches(m, id, name, type)) {
            seen.bad = true;
            return;
          }
          if (!(m.flags & FLAG_TC)) return end(m);
          // Truncated: the answer is incomplete; ask again over TCP (RFC 7766).
          end(null);
          tcp(server, id, name, type, ms).then(resolve, reject);
        };
        try {
          sock.send(ask(id, name, type), 53, server);
        } catch (e) {
          end(null, e);
        }
      }));
  };

  /** Asks the servers in turn, TRIES rounds, the timeout doubling each round. A SERVFAIL
   *  or REFUSED moves on to the next server; the last such answer is returned. When
   *  replies came that failed the checks (forged, or a broken server), there is no last
   *  resort (Wifi.getHostByName, A only): the firmware's resolver checks less and would
   *  take them. */
  const exchange = (name: string, type: number): Promise<Message> => {
    const servers = io.servers(), n = servers.length, seen: { bad?: boolean } = {};
    let last: Message | null = null;
    const fail = (): Promise<Message> => Promise.reject(failure("EAI_AGAIN", name, type, FAILURE_TTL));
    const attempt = (i: number): Promise<Message> => {
      if (i >= n * TRIES) {
        if (last) return Promise.resolve(last);
        if (type != 1 || seen.bad || !io.hostByName) return fail();
        return io.hostByName(name).then((ip) => ip
          ? { id: 0, flags: 0, questions: [], authorities: [], additionals: [], answers: [{ name, type: 1, ttl: 0, data: ip }] }
          : fail());
      }
      return udp(servers[i % n], name, type, FIRST_TIMEOUT_MS << Math.floor(i / n), seen).then((m) => {
        const rcode = m.flags & 15;
        if (rcode != 2 && rcode != 5) return m;
        last = m;
        return attempt(i + 1);
      }, () => attempt(i + 1));
    };
    return attempt(0);
  };

  /** One step of a CNAME chain: ask for `name`, follow the chain in the answer whatever
   *  the order of its records, and re-ask for the end of the chain when the server gave
   *  only part of it (dnsmasq's authoritative mode sends one CNAME). */
  const resolveChain = (name: string, type: number, aliases: string[], depth: number):
    Promise<{ answer: Answer; ttl: number }> => exchange(name, type).then((m) => {
    let target = name, ttl = MAX_TTL, hops: number, i: number, next: string;
    const chain = aliases.slice(), list = m.answers;
    for (hops = 0; hops <= MAX_CHAIN; hops++) {
      const data: any[] = [];
      next = "";
      for (i = 0; i < list.length; i++) {
        const rr = list[i];
        if (!sameName(rr.name, target)) continue;
        if (rr.type == type) data.push(rr.data);
        else if (rr.type == TYPE_CNAME) next = rr.data as string;
        else continue;
        ttl = Math.min(ttl, clampTtl(rr.ttl));
      }
      if (data.length) return { answer: { canonname: target, aliases: chain, data }, ttl };
      if (!next) break;
      if (chain.length >= MAX_CHAIN || chain.indexOf(lower(next)) >= 0 || sameName(next, name)) {
        throw failure("EAI_FAIL", name, type); // a loop or an endless chain
      }
      chain.push(target);
      target = next;
    }
    const rcode = m.flags & 15;
    if (!rcode && target != name && depth < 2) return resolveChain(target, type, chain, depth + 1);
    // NXDOMAIN (3) or NODATA (0): negative-cached for min(SOA TTL, SOA MINIMUM).
    if (!rcode || rcode == 3) {
      const e = failure("EAI_NONAME", name, type);
      m.authorities.forEach((rr) => {
        if (rr.type == TYPE_SOA) e.ttl = Math.min(clampTtl(rr.ttl), clampTtl((rr.data as any).minimum));
      });
      throw e;
    }
    throw failure(rcode == 2 ? "EAI_AGAIN" : "EAI_FAIL", name, type, FAILURE_TTL);
  });

  const self: Resolver = {
    hosts: {},
    flush() {
      cache = {};
    },
    query(name, type) {
      const key = lower(name) + "/" + type, hit = cache[key];
      if (hit && hit.e > io.now()) return hit.a ? Promise.resolve(hit.a) : Promise.reject(failure(hit.c, name, type));
      const inflight = pending[key];
      if (inflight) return inflight;
      return (pending[key] = resolveChain(name, type, [], 0).then((r) => {
        delete pending[key];
        store(key, r.ttl, r.answer, "");
        return r.answer;
      }, (e: Failure) => {
        delete pending[key];
        if (e.ttl) store(key, e.ttl, null, e.code);
        throw e;
      }));
    },
  };
  return self;
}

/** `new Resolver(io)` (on Node) is createResolver(io); device code calls createResolver. */
export const Resolver = createResolver as unknown as new (io: ResolverIO) => Resolver;
