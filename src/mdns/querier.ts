// One-shot mDNS queries (RFC 6762 §5.2-§5.4) on the shared 5353 socket: the first query
// asks for a unicast reply (QU), retransmissions 250 ms, 500 ms, 1 s ... later ask by
// multicast. Records heard are cached by TTL (64 per IO), honouring cache-flush (§10.2).
import { TYPE_A, TYPE_ANY, TYPE_PTR, TYPE_SRV, TYPE_TXT, encodeMessage, parseMessage } from "../dns/message";
import { reverseName } from "../dns/ip";
import type { Question, ResourceRecord, Srv } from "../dns/message";
import { GROUP, LOCAL, PORT, has, join, lower, matcher } from "./wire";
import { codedError as fail } from "../util/errors";
import type { Channel, MdnsIO } from "./wire";

/** A heard record: lowercase name, expiry and arrival (ms). */
interface Heard { r_: ResourceRecord; n_: string; e_: number; t_: number }

/** The records of `type` (A, AAAA, PTR, SRV, TXT, ANY; or several types, asked together)
 *  for a .local `name`, from the cache or the link: asked now and again after 250, 500,
 *  1000 ... ms (QU the first time, §5.4), with the local responder's own records too;
 *  rejects with EAI_NONAME when nobody answers within `ms` (default 2000). With `all`,
 *  keeps asking and listening for the whole `ms`, with the answers known so far in each
 *  query (§7.1), and never rejects. */
export function query(io: MdnsIO, name: string, type: number | number[], ms?: number, all?: boolean): Promise<ResourceRecord[]> {
  const n = lower(name), ts: number[] = [].concat(type as any), re = matcher([n])!,
    c: Heard[] = (io as any).mdnsCache_ || ((io as any).mdnsCache_ = []),
    got = (): ResourceRecord[] => c.filter((x) => x.e_ > io.now() && x.r_.ttl && x.n_ == n
      && (has(ts, x.r_.type) || ts[0] == TYPE_ANY)).map((x) => x.r_);
  if (got().length && !all && ts[0] != TYPE_ANY) return Promise.resolve(got());
  ms = ms || 2000;
  return new Promise((resolve, reject) => {
    const deadline = io.now() + ms!;
    let ch: Channel | null = null, timer: unknown, tries = 0, over = false;
    const finish = (e?: Error): void => {
      if (!over) {
        over = true;
        io.clearTimeout(timer);
        if (ch) join(io, recv, ch);
        if (!e && !all && !got().length) e = fail("EAI_NONAME", "no mDNS answer for " + name + ": check name and network");
        if (e) reject(e);
        else resolve(got());
      }
    };
    /** Caches `rs` (at most 64): a record replaces its earlier copy (a goodbye, TTL 0,
     *  lives 1 s, §10.1); one with cache-flush gives the other records of its name and
     *  type that came more than 1 s earlier 1 s to live (§10.2). Done once they answer us. */
    const take = (rs: ResourceRecord[]): void => {
      const now = io.now();
      rs.forEach((r) => {
        const n = lower(r.name), d = JSON.stringify(r.data);
        for (let i = c.length, x: Heard; i--;) {
          x = c[i];
          if (x.n_ != n || x.r_.type != r.type) continue;
          if (JSON.stringify(x.r_.data) == d) c.splice(i, 1);
          else if (r.flush && now - x.t_ > 1000 && x.e_ > now + 1000) x.e_ = now + 1000;
        }
        c.push({ r_: r, n_: n, e_: now + 1000 * (r.ttl || 1), t_: now });
        if (c.length > 64) c.splice(0, 1);
      });
      if (!all && got().length) finish();
    };
    const recv = {
      rx_: (b: Uint8Array, s: string): void => {
        if (b[2] & 128 && re.test(s)) {
          try {
            const m = parseMessage(b);
            take(m.answers.concat(m.additionals));
          } catch (e) {
            // malformed: ignore
          }
        }
      },
    };
    const send = (): void => {
      const q: Question[] = ts.map((t) => ({ name: name, type: t, qu: !tries })), o = ch!.own_;
      if (o) ts.forEach((t) => !over && take(o.rx_(n, t)));
      if (!over) {
        ch!.sock_.send(encodeMessage({ questions: q, answers: all ? got() : [] }), PORT, GROUP);
        const left = deadline - io.now(), wait = 250 << tries++;
        timer = io.setTimeout(wait < left ? send : finish, wait < left ? wait : left);
      }
    };
    join(io, recv).then((x) => {
      ch = x;
      if (over) join(io, recv, x);
      else send();
    }, finish);
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
      rs.forEach((r) => {
        if (r.type == TYPE_SRV) s = r.data as Srv;
        else {
          (r.data as Uint8Array[]).forEach((b) => {
            const e = String.fromCharCode.apply(null, b as any), j = e.indexOf("=");
            if (e) txt[j < 0 ? e : e.slice(0, j)] = j < 0 ? "" : e.slice(j + 1);
          });
        }
      });
      return query(io, s.target, TYPE_A);
    }).then((a) => ({
      name: full.slice(0, full.length - ptr.length - 1).split("\\.").join("."), host: s.target, port: s.port, txt: txt,
      addresses: a.map((r) => r.data as string),
    }), () => null);
  }))).then((f) => f.filter((x) => x) as Found[]);
}
