// A DNS stub resolver: random ID and source port per query (RFC 5452), replies accepted
// only from the server asked with the same ID and question, retry with backoff across
// servers, TCP on truncation, CNAME chains followed, and a bounded TTL cache with
// negative caching (RFC 2308). IO is handed in, so it runs on the board, the emulator
// and in unit tests alike.
import type { CodedError, TcpStream, UdpSocket } from "../platform/types";
import { encodeMessage, parseMessage } from "./message";
import type { Message } from "./message";

export interface ResolverIO {
  openUdp(opts: { port?: number }): Promise<UdpSocket>;
  connectTcp(host: string, port: number): Promise<TcpStream>;
  now(): number;
  randomBytes(n: number): Uint8Array;
  /** The servers to ask, in order. */
  servers(): string[];
  error(code: string, message: string): CodedError;
  /** Last resort for A records where the servers cannot be reached (Wifi.getHostByName):
   *  the address, or null or undefined for none. */
  hostByName?: (name: string) => Promise<string | null | undefined>;
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

// Each server is asked in turn, 2 rounds, the timeout doubling each round (from 1 s). A
// CNAME chain has at most 8 links; TTLs are capped at a day (86400 s); the cache holds up
// to 32 answers; a SERVFAIL or unreachable server is remembered 2 s (RFC 2308 §7). (Plain
// numbers below: each top-level constant would hold a JsVar for the board's life.)

/** A resolver over the IO functions of ResolverIO, handed in one by one (a closure over
 *  parameters, not a class or an object: local names minify, properties do not). Only
 *  `flush` and `query` exist between queries: the functions a look-up needs are made
 *  per look-up (after a cache miss), so they hold no RAM while the resolver is idle. */
export function createResolver(openUdp: ResolverIO["openUdp"], connectTcp: ResolverIO["connectTcp"], now: () => number,
  randomBytes: ResolverIO["randomBytes"], servers: () => string[], error: ResolverIO["error"], hostByName?: ResolverIO["hostByName"]): Resolver {
  // by "name/type": [expires (ms), the answer or the EAI code to fail with], or while a
  // look-up runs [0, its promise]
  let cache: { [key: string]: [number, any] } = {};

  /** A live cache entry's answer or failure, or a look-up of `name` after a cache miss
   *  (joining one in flight for the same name and type). The functions below are made per
   *  look-up, inside this one: query is the only function kept between look-ups. */
  const query = (name: string, type: number): Promise<Answer> => {
    const key = name.toLowerCase() + "/" + type, hit: any = cache[key];
    const failure = (code: string, name: string, ttl?: number): CodedError & { ttl?: number } =>
      Object.assign(error(code, name + (code > "EAI_G" ? ": no such DNS record" : code > "EAI_B" ? ": DNS failed" : ": no DNS answer from " + servers())), { ttl });
    // a look-up in flight, a live answer, or a live failure (the EAI code: a string, no .data)
    if (hit && !hit[0]) return hit[1];
    if (hit && hit[0] > now()) return hit[1].data ? Promise.resolve(hit[1]) : Promise.reject(failure(hit[1], name));
    const lower = (s: string): string => s.toLowerCase();
    /** TTLs with the top bit set count as 0 (RFC 2181 §8); capped at a day. */
    const clampTtl = (ttl: number): number => (ttl > 2147483647 ? 0 : Math.min(ttl, 86400));

    /** One exchange with `server`: resolves with the reply to exactly this query (RFC 5452
     *  §9.1: from the server asked, QR set, opcode 0, same ID and question), rejects on a
     *  timeout or a broken connection. Anything else is noted in `seen` and ignored. Over
     *  UDP (from a random port) unless `id` is given: then over TCP (RFC 7766), after a
     *  truncated UDP reply with that ID. */
    const ask = (server: string, name: string, type: number, ms: number, seen: any[], id?: number): Promise<Message> => {
      const tcp = id! >= 0, r = randomBytes(4);
      if (!tcp) id = r[0] << 8 | r[1];
      const q = encodeMessage({ id, flags: 256 /* RD */, questions: [{ name, type }] });
      let buf = new Uint8Array(0);
      return (tcp ? connectTcp(server, 53) as Promise<any>
        : openUdp({ port: 1024 + (r[2] << 8 | r[3]) % 64512 }).catch(() => openUdp({}))).then((s) => new Promise<Message>((resolve, reject) => {
        const end = (m?: Message | Promise<Message>): void => {
          clearTimeout(timer);
          s.ondata = s.onclose = s.onerror = s.onmessage = null;
          tcp ? s.destroy() : s.close();
          m ? resolve(m) : reject();
        };
        const timer = setTimeout(() => end(), ms);
        const got = (d: Uint8Array): void => {
          let m: Message | undefined, x;
          try {
            m = parseMessage(d);
            x = m.questions[0];
          } catch (e) {}
          if (m && m.id == id && m.flags >> 11 == 16 /* QR, opcode 0 */ && x && !m.questions[1]
            && lower(x!.name) == lower(name) && x!.type == type && x!.qclass == 1) {
            // Truncated: the answer is incomplete; ask again over TCP.
            end(!tcp && m.flags & 512 /* TC */ ? ask(server, name, type, ms, seen, id) : m);
          } else if (tcp) end();
          else seen[0] = 1;
        };
        if (tcp) {
          s.ondata = (d: Uint8Array) => {
            const b = new Uint8Array(buf.length + d.length);
            b.set(buf);
            b.set(d, buf.length);
            // the 2-byte length prefix (RFC 1035 §4.2.2); a missing byte reads as 0
            if ((buf = b).length > (d = (b[0] << 8 | b[1]) + 1 as any)) got(b.subarray(2, +d + 1));
          };
          s.onclose = s.onerror = () => end();
          s.write(new Uint8Array([q.length >> 8, q.length]));
          s.write(q);
        } else {
          s.onmessage = (d: Uint8Array, a: string, p: number) => a == server && p == 53 ? got(d) : seen[0] = 1;
          // (if send throws, the promise rejects and the timer closes the socket)
          s.send(q, 53, server);
        }
      }));
    };

    /** Asks the servers in turn. A SERVFAIL or REFUSED moves on to the next server; the last
     *  such answer is returned. When replies came that failed the checks (forged, or a broken
     *  server), there is no last resort (Wifi.getHostByName, A only): the firmware's resolver
     *  checks less and would take them. */
    const exchange = (name: string, type: number): Promise<Message> => {
      const list = servers(), n = list.length, seen: any[] = [];
      let last: Message | undefined;
      const attempt = (i: number): Promise<Message> => {
        if (i < n * 2) {
          return ask(list[i % n], name, type, 1000 << i / n, seen).then((m) => {
            if ((m.flags & 15) % 3 != 2) return m;
            last = m;
            return attempt(i + 1);
          }, () => attempt(i + 1));
        }
        return Promise.resolve(last || type == 1 && !seen[0] && hostByName && hostByName(name)).then((x: any) => {
          if (!x) throw failure("EAI_AGAIN", name, 2);
          // an address from the last resort, as an answer
          return x.flags >= 0 ? x : { authorities: [], answers: [{ name, type, ttl: 0, data: x }] };
        });
      };
      return attempt(0);
    };

    /** Asks for `name`, follows the CNAME chain in the answer whatever the order of its
     *  records, and re-asks for the end of the chain when the server gave only part of it
     *  (dnsmasq's authoritative mode sends one CNAME). The answer and its TTL. */
    const resolve = (name: string, type: number, chain: string[]): Promise<[Answer, number]> => exchange(name, type).then((m) => {
      let target = name, ttl = 86400, next: string | undefined, i: number;
      const list = m.answers, data: any[] = [], rc = m.flags & 15, neg = !rc || rc == 3;
      for (;;) {
        next = "";
        for (i = 0; i < list.length; i++) {
          const rr = list[i];
          if (lower(rr.name) != lower(target) || rr.type != type && rr.type != 5) continue;
          if (rr.type == type) data.push(rr.data);
          else next = rr.data as string;
          ttl = Math.min(ttl, clampTtl(rr.ttl));
        }
        if (data.length) return [{ canonname: target, aliases: chain, data }, ttl] as [Answer, number];
        if (!next) break;
        // a loop or an endless chain
        if (chain.length >= 8 || chain.concat(name).map(lower).indexOf(lower(next)) >= 0) throw failure("EAI_FAIL", name);
        chain.push(target);
        target = next;
      }
      if (!rc && target != name) return resolve(target, type, chain);
      // NXDOMAIN (3) or NODATA (0): negative-cached for min(SOA TTL, SOA MINIMUM).
      ttl = neg ? 0 : 2;
      m.authorities.map((rr) => {
        if (neg && rr.type == 6) ttl = Math.min(clampTtl(rr.ttl), clampTtl((rr.data as any).minimum));
      });
      throw failure(neg ? "EAI_NONAME" : rc == 2 ? "EAI_AGAIN" : "EAI_FAIL", name, ttl);
    });

    const done = (r: any, e?: any) => {
      delete cache[key];
      if (r[1] > 0) {
        if (Object.keys(cache).length >= 32) cache = {};
        cache[key] = [now() + r[1] * 1000, e ? e.code : r[0]];
      }
      if (e) throw e;
      return r[0];
    };
    return (cache[key] = [0, resolve(name, type, []).then(done, (e) => done([0, e.ttl], e))])[1];
  };

  return {
    hosts: {},
    flush() {
      cache = {};
    },
    query,
  };
}

/** `new Resolver(io)` (on Node); device code calls createResolver. */
export const Resolver = function (io: ResolverIO) {
  return createResolver(io.openUdp, io.connectTcp, io.now, io.randomBytes, io.servers, io.error, io.hostByName);
} as unknown as new (io: ResolverIO) => Resolver;
