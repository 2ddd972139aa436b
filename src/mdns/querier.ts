// One-shot mDNS queries (RFC 6762 §5.2-§5.4) on the shared 5353 socket: the first query
// asks for a unicast reply (QU), retransmissions 250 ms, 500 ms, 1 s ... later ask by
// multicast. Records heard are cached by TTL (64 per IO), honouring cache-flush (§10.2).
import { TYPE_A, TYPE_ANY, TYPE_PTR, TYPE_SRV, TYPE_TXT, encodeMessage, parseMessage } from "../dns/message";
import { reverseName } from "../dns/ip";
import type { ResourceRecord, Srv } from "../dns/message";
import { GROUP, LOCAL, PORT, has, join, lower, matcher } from "./wire";
import { codedError as fail } from "../util/errors";
import type { Channel, MdnsIO } from "./wire";

/** A heard record, with its expiry and arrival (ms). */
interface Heard extends ResourceRecord { e_: number; t_: number }

/** The records of `type` (A, AAAA, PTR, SRV, TXT, ANY; or several types, asked together)
 *  for a .local `name`, from the cache, the local responder's live records or the link:
 *  asked now and again after 250, 500, 1000 ... ms (QU the first time, §5.4);
 *  rejects with EAI_NONAME when nobody answers within `ms` (default 2000). With `all`,
 *  keeps asking and listening for the whole `ms`, with the answers known so far in each
 *  query (§7.1), and never rejects. */
export function query(io: MdnsIO, name: string, type: number | number[], ms?: number, all?: boolean): Promise<ResourceRecord[]> {
  const n = lower(name), ts: number[] = [].concat(type as any), re = matcher([n]),
    c: Heard[] = (io as any).mdnsCache_ || ((io as any).mdnsCache_ = []),
    got = (): ResourceRecord[] => c.concat((io.own_ || c as any).recs_ || []).filter((x: any) => (x.e_ > io.now() || x.l) && x.ttl && lower(x.name) == n && (has(ts, x.type) || ts[0] == TYPE_ANY));
  if (got().length && !all) return Promise.resolve(got());
  return new Promise((resolve, reject) => {
    const end = io.now() + (ms || 2000);
    let ch: Channel, timer: unknown, tries = 0, over: unknown;
    /** Caches `rs` (at most 64): a record replaces its earlier copy (a goodbye, TTL 0,
     *  lives 1 s, §10.1); one with cache-flush gives the other records of its name and
     *  type that came more than 1 s earlier 1 s to live (§10.2). Done once they answer us. */
    const take = (rs: Heard[]): void => {
      const now = io.now();
      rs.forEach((r) => {
        const d = JSON.stringify(r.data);
        for (let i = c.length, x: Heard; i--;) {
          x = c[i];
          if (lower(x.name) == lower(r.name) && x.type == r.type) {
            if (JSON.stringify(x.data) == d) c.splice(i, 1);
            else if (r.flush && now - x.t_ > 1000) x.e_ = Math.min(x.e_, now + 1000);
          }
        }
        r.e_ = now + 1000 * (r.ttl || 1);
        r.t_ = now;
        c.push(r) > 64 && c.shift();
      });
      if (!all && got().length) step(1);
    };
    const recv = {
      rx_: (b: any, s: string): void => {
        try {
          if (b[2] & 128 && re.test(s)) take((b = parseMessage(b)).answers.concat(b.additionals) as Heard[]);
        } catch (e) {
          // malformed: ignore
        }
      },
    };
    /** Asks, and again after 250, 500, 1000 ... ms until the
     *  deadline; `done`, or the deadline: over. */
    const step = (done?: number): void => {
      const left = end - io.now();
      if (over) return;
      if (done || left <= 0) {
        over = 1;
        io.clearTimeout(timer);
        join(io, recv, ch);
        if (all || got().length) resolve(got());
        else reject(fail("EAI_NONAME", "no mDNS answer for " + name + ": check name and network"));
      } else {
        ch.sock_.send(encodeMessage({ questions: ts.map((t) => ({ name: name, type: t, qu: !tries })), answers: all ? got() : [] }), PORT, GROUP);
        timer = io.setTimeout(step, Math.min(250 << tries++, left));
      }
    };
    join(io, recv).then((x) => {
      ch = x;
      step();
    }, reject);
  });
}

/** The host name of an address on the link, from its reverse PTR (§4). */
export function reverseLookup(io: MdnsIO, ip: string, ms?: number): Promise<string> {
  const n = reverseName(ip);
  return n ? query(io, n, TYPE_PTR, ms).then((r) => r[0].data as string) : Promise.reject(fail("EINVAL", ip + " is not an IP address"));
}

export interface Found {
  /** instance name ("kitchen-cam") */
  name: string;
  /** target host ("kitchen-cam.local") */
  host: string;
  port: number;
  txt: { [k: string]: string };
  addresses: string[];
}

/** The instances of a DNS-SD service type ("_http._tcp") on the link: PTRs gathered for
 *  `ms` (default 3000; goodbyes remove), then each instance's SRV, TXT and address, from
 *  the additional records that came with them or asked for. */
export function browse(io: MdnsIO, type: string, ms?: number): Promise<Found[]> {
  const ptr = type + LOCAL;
  return query(io, ptr, TYPE_PTR, ms || 3000, true).then((ps) => Promise.all(ps.map((p) => {
    const full = p.data as string, txt: { [k: string]: string } = {};
    let s: Srv;
    return query(io, full, [TYPE_SRV, TYPE_TXT]).then((rs) => {
      rs.forEach((r) => r.type == TYPE_SRV ? s = r.data as Srv : (r.data as any[]).forEach((b) => {
        let e: any = String.fromCharCode.apply(null, b);
        if (e) txt[(e = e.split("=")).shift()] = e.join("=");
      }));
      return query(io, s.target, TYPE_A);
    }).then((a) => ({
      name: full.slice(0, -ptr.length - 1).split("\\.").join("."), host: s.target, port: s.port, txt: txt,
      addresses: a.map((r) => r.data as string),
    }), () => null);
  }))).then((f) => f.filter((x) => x) as Found[]);
}
