// A DNS stub resolver: random ID and source port per query (RFC 5452), replies accepted
// only from the server asked with the same ID and question, retry with backoff across
// servers, TCP on truncation, CNAME chains followed, and a bounded TTL cache with
// negative caching (RFC 2308). IO is handed in, so it runs on the board, the emulator
// and in unit tests alike.
import type { CodedError, TcpStream, UdpSocket } from "../platform/types";
import {
  CLASS_IN, FLAG_RD, FLAG_TC, encodeMessage, parseMessage, TYPE_CNAME, TYPE_SOA,
} from "./message";
import type { Message, ResourceRecord } from "./message";

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

interface CacheEntry {
  expires: number;
  answer: Answer | null;
  /** For negative entries: the EAI code to fail with. */
  code: string;
}

const TRIES = 2;
const FIRST_TIMEOUT_MS = 1000;
const MAX_CHAIN = 8;
const MAX_TTL = 86400;
const CACHE_SIZE = 32;
const FAILURE_TTL = 2; // seconds a SERVFAIL or unreachable server is remembered (RFC 2308 §7)

const lower = (s: string): string => s.toLowerCase();
const sameName = (a: string, b: string): boolean => lower(a) === lower(b);

/** TTLs with the top bit set count as 0 (RFC 2181 §8); capped at a day. */
const clampTtl = (ttl: number): number => (ttl < 0 || ttl > 2147483647 ? 0 : Math.min(ttl, MAX_TTL));

export class Resolver {
  private cache: { [key: string]: CacheEntry } = {};
  private pending: { [key: string]: Promise<Answer> | undefined } = {};
  /** Static names: localhost, the board's own name, entries the app adds. */
  hosts: { [name: string]: string[] } = {};

  constructor(private io: ResolverIO) {}

  flush(): void {
    this.cache = {};
  }

  /** Resolves `name` to the records of `type`, following CNAMEs. Rejects with EAI_NONAME
   *  (no such name, or no record of that type), EAI_AGAIN (no server answered, or
   *  SERVFAIL) or EAI_FAIL (the server refused or sent nonsense). */
  query(name: string, type: number): Promise<Answer> {
    const key = lower(name) + "/" + type;
    const hit = this.cache[key];
    if (hit && hit.expires > this.io.now()) {
      return hit.answer ? Promise.resolve(hit.answer) : Promise.reject(this.failure(hit.code, name, type));
    }
    const inflight = this.pending[key];
    if (inflight) return inflight;
    const done = (): void => {
      delete this.pending[key];
    };
    const p = this.resolveChain(name, type, [], 0).then((r) => {
      done();
      this.store(key, r.ttl, r.answer, "");
      return r.answer;
    }, (e: CodedError & { ttl?: number }) => {
      done();
      if (e.ttl) this.store(key, e.ttl, null, e.code);
      throw e;
    });
    return (this.pending[key] = p);
  }

  private store(key: string, ttl: number, answer: Answer | null, code: string): void {
    if (ttl <= 0) return;
    const keys = Object.keys(this.cache);
    if (keys.length >= CACHE_SIZE) {
      // Evict the entry that expires first.
      let oldest = keys[0];
      keys.forEach((k) => {
        if (this.cache[k].expires < this.cache[oldest].expires) oldest = k;
      });
      delete this.cache[oldest];
    }
    this.cache[key] = { expires: this.io.now() + ttl * 1000, answer, code };
  }

  private failure(code: string, name: string, type: number): CodedError {
    const what = code === "EAI_NONAME"
      ? `"${name}" has no ${typeName(type)} record: check the spelling, or that the name exists`
      : code === "EAI_AGAIN"
        ? `no DNS server answered for "${name}" (asked ${this.io.servers().join(", ") || "none"}): check the link, then retry`
        : `the DNS server could not answer for "${name}": try another server`;
    return this.io.error(code, what);
  }

  /** One step of a CNAME chain: ask for `name`, follow the chain in the answer whatever
   *  the order of its records, and re-ask for the end of the chain when the server gave
   *  only part of it (dnsmasq's authoritative mode sends one CNAME). */
  private resolveChain(name: string, type: number, aliases: string[], depth: number):
    Promise<{ answer: Answer; ttl: number }> {
    return this.exchange(name, type).then((m) => {
      let target = name;
      let ttl = MAX_TTL;
      const chain = aliases.slice();
      for (let hops = 0; hops <= MAX_CHAIN; hops++) {
        const data: any[] = [];
        let next = "";
        m.answers.forEach((rr: ResourceRecord) => {
          if (!sameName(rr.name, target)) return;
          if (rr.type === type) {
            data.push(rr.data);
            ttl = Math.min(ttl, clampTtl(rr.ttl));
          } else if (rr.type === TYPE_CNAME) {
            next = rr.data as string;
            ttl = Math.min(ttl, clampTtl(rr.ttl));
          }
        });
        if (data.length) return { answer: { canonname: target, aliases: chain, data }, ttl };
        if (!next) break;
        if (chain.length >= MAX_CHAIN || chain.indexOf(lower(next)) >= 0 || sameName(next, name)) {
          throw this.failure("EAI_FAIL", name, type); // a loop or an endless chain
        }
        chain.push(target);
        target = next;
      }
      const rcode = m.flags & 15;
      if (rcode === 0 && target !== name && depth < 2) {
        return this.resolveChain(target, type, chain, depth + 1);
      }
      // NXDOMAIN (3) or NODATA (0): negative-cached for min(SOA TTL, SOA MINIMUM).
      if (rcode === 0 || rcode === 3) {
        const e: CodedError & { ttl?: number } = this.failure("EAI_NONAME", name, type);
        m.authorities.forEach((rr: ResourceRecord) => {
          if (rr.type === TYPE_SOA) e.ttl = Math.min(clampTtl(rr.ttl), clampTtl((rr.data as any).minimum));
        });
        throw e;
      }
      const e: CodedError & { ttl?: number } = this.failure(rcode === 2 ? "EAI_AGAIN" : "EAI_FAIL", name, type);
      e.ttl = FAILURE_TTL;
      throw e;
    });
  }

  /** Asks the servers in turn, TRIES rounds, the timeout doubling each round. A SERVFAIL
   *  or REFUSED moves on to the next server; the last such answer is returned. When
   *  replies came that failed the checks (forged, or a broken server), there is no last
   *  resort: the firmware's resolver checks less and would take them. */
  private exchange(name: string, type: number): Promise<Message> {
    const servers = this.io.servers();
    let last: Message | null = null;
    const seen = { bad: false };
    const attempt = (i: number): Promise<Message> => {
      if (i >= servers.length * TRIES) {
        if (last) return Promise.resolve(last);
        return this.lastResort(name, type, seen.bad);
      }
      const server = servers[i % servers.length];
      const timeout = FIRST_TIMEOUT_MS << Math.floor(i / servers.length);
      return this.udpExchange(server, name, type, timeout, seen).then((m) => {
        const rcode = m.flags & 15;
        if (rcode !== 2 && rcode !== 5) return m;
        last = m;
        return attempt(i + 1);
      }, () => attempt(i + 1));
    };
    return attempt(0);
  }

  private lastResort(name: string, type: number, forged: boolean): Promise<Message> {
    const fail = (): Promise<Message> => {
      const e: CodedError & { ttl?: number } = this.failure("EAI_AGAIN", name, type);
      e.ttl = FAILURE_TTL;
      return Promise.reject(e);
    };
    if (type !== 1 || forged || !this.io.hostByName) return fail();
    return this.io.hostByName(name).then((ip) => ip
      ? { id: 0, flags: 0, questions: [], authorities: [], additionals: [],
          answers: [{ name, type: 1, ttl: 0, data: ip }] }
      : fail());
  }

  private question(id: number, name: string, type: number): Uint8Array {
    return encodeMessage({ id, flags: FLAG_RD, questions: [{ name, type }] });
  }

  /** Accepts only a response to exactly this query (RFC 5452 §9.1). */
  private matches(m: Message, id: number, name: string, type: number): boolean {
    const q = m.questions[0];
    return m.id === id && (m.flags & 0x8000) !== 0 && (m.flags & 0x7800) === 0 && m.questions.length === 1
      && sameName(q.name, name) && q.type === type && (q.qclass || CLASS_IN) === CLASS_IN;
  }

  private udpExchange(server: string, name: string, type: number, timeoutMs: number, seen: { bad: boolean }): Promise<Message> {
    const r = this.io.randomBytes(4);
    const id = (r[0] << 8) | r[1];
    // A random source port per query: bind one in 1024-65535 (an unbound socket would
    // get lwIP's sequential ephemeral port). Fall back to unbound if it is taken.
    const port = 1024 + (((r[2] << 8) | r[3]) % 64512);
    const open = this.io.openUdp({ port }).then((s) => s, () => this.io.openUdp({}));
    return open.then((sock) => new Promise<Message>((resolve, reject) => {
      const finish = (m: Message | null, e?: CodedError): void => {
        clearTimeout(timer);
        sock.onmessage = null;
        sock.close();
        m ? resolve(m) : reject(e);
      };
      const timer = setTimeout(() => finish(null, this.io.error("ETIMEDOUT", "DNS query timed out")), timeoutMs);
      sock.onmessage = (data, address, from) => {
        // Anything but the reply to this query is dropped (and noted), and we keep waiting.
        let m: Message | null = null;
        try {
          if (address === server && from === 53) m = parseMessage(data);
        } catch (e) {}
        if (!m || !this.matches(m, id, name, type)) {
          seen.bad = true;
          return;
        }
        if (!(m.flags & FLAG_TC)) return finish(m);
        // Truncated: the answer is incomplete; ask again over TCP (RFC 7766).
        clearTimeout(timer);
        sock.onmessage = null;
        sock.close();
        this.tcpExchange(server, id, name, type, timeoutMs).then(resolve, reject);
      };
      try {
        sock.send(this.question(id, name, type), 53, server);
      } catch (e: any) {
        finish(null, e);
      }
    }));
  }

  private tcpExchange(server: string, id: number, name: string, type: number, timeoutMs: number): Promise<Message> {
    return this.io.connectTcp(server, 53).then((s) => new Promise<Message>((resolve, reject) => {
      let buf = new Uint8Array(0);
      let settled = false;
      const finish = (m: Message | null, e?: CodedError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.ondata = s.onclose = s.onerror = null;
        s.destroy();
        m ? resolve(m) : reject(e);
      };
      const timer = setTimeout(() => finish(null, this.io.error("ETIMEDOUT", "DNS query over TCP timed out")), timeoutMs);
      s.ondata = (d) => {
        const b = new Uint8Array(buf.length + d.length);
        b.set(buf);
        b.set(d, buf.length);
        buf = b;
        const len = buf.length >= 2 ? (buf[0] << 8) | buf[1] : -1;
        if (len < 0 || buf.length < len + 2) return;
        try {
          const m = parseMessage(buf.subarray(2, 2 + len));
          finish(this.matches(m, id, name, type) ? m : null, this.io.error("EAI_FAIL", "DNS over TCP: unexpected answer"));
        } catch (e: any) {
          finish(null, e);
        }
      };
      s.onclose = () => finish(null, this.io.error("ECONNRESET", "DNS server closed the TCP connection"));
      s.onerror = (e) => finish(null, e);
      const q = this.question(id, name, type);
      const framed = new Uint8Array(q.length + 2);
      framed[0] = q.length >> 8;
      framed[1] = q.length & 255;
      framed.set(q, 2);
      s.write(framed);
    }));
  }
}

function typeName(type: number): string {
  return type === 1 ? "IPv4 address (A)" : type === 28 ? "IPv6 address (AAAA)" : type === 12 ? "PTR" : "type " + type;
}
