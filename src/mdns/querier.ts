// One-shot mDNS queries (RFC 6762 §5.2-§5.4) on the shared 5353 socket: the first query
// asks for a unicast reply (QU), retransmissions 250 ms, 500 ms, 1 s ... later ask by
// multicast. Records heard are cached by TTL (32 per IO), honouring cache-flush (§10.2).
import { TYPE_A, TYPE_ANY, TYPE_PTR, TYPE_SRV, TYPE_TXT, encodeMessage, parseMessage } from "../dns/message";
import type { Question, ResourceRecord, Srv } from "../dns/message";
import { GROUP, PORT, fail, has, join, leave, lower, matcher } from "./wire";
import type { Channel, MdnsIO } from "./wire";

/** A heard record: lowercase name, expiry and arrival (ms). */
interface Heard { r_: ResourceRecord; n_: string; e_: number; t_: number }

/** Adds `rs` to `c` (at most `max`): a record replaces its earlier copy (a goodbye, TTL 0,
 *  lives 1 s, §10.1); one with cache-flush gives the other records of its name and type
 *  that came more than 1 s earlier 1 s to live (§10.2). */
function store(c: Heard[], rs: ResourceRecord[], now: number, max: number): void {
  rs.forEach((r) => {
    const n = lower(r.name), d = JSON.stringify(r.data);
    for (let i = c.length, x: Heard; i--;) {
      x = c[i];
      if (x.n_ != n || x.r_.type != r.type) continue;
      if (JSON.stringify(x.r_.data) == d) c.splice(i, 1);
      else if (r.flush && now - x.t_ > 1000 && x.e_ > now + 1000) x.e_ = now + 1000;
    }
    c.push({ r_: r, n_: n, e_: now + 1000 * (r.ttl || 1), t_: now });
    if (c.length > max) c.splice(0, 1);
  });
}

/** The live records of `c` named `n` whose type is in `ts` (all for ANY). */
const live = (c: Heard[], now: number, n: string, ts: number[]): ResourceRecord[] =>
  c.filter((x) => x.e_ > now && x.r_.ttl && x.n_ == n && (has(ts, x.r_.type) || ts[0] == TYPE_ANY)).map((x) => x.r_);

/** Sends `ask()`'s questions now and again after 250, 500, 1000 ... ms until `ms`, passes
 *  every record of a response mentioning `watch()` (and the local responder's own
 *  answers) to `take`, which returns true when done. Resolves with `end()`'s result or
 *  rejects with its error. */
function session<T>(io: MdnsIO, ms: number, ask: () => { q: Question[]; known?: ResourceRecord[] },
  watch: () => string[], take: (rs: ResourceRecord[]) => unknown, end: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = io.now() + ms;
    let ch: Channel | null = null, timer: unknown, tries = 0, over = false;
    const finish = (e?: Error): void => {
      if (over) return;
      over = true;
      if (timer !== undefined) io.clearTimeout(timer);
      if (ch) leave(io, ch, recv);
      try {
        if (e) throw e;
        resolve(end());
      } catch (x) {
        reject(x);
      }
    };
    const recv = (b: Uint8Array, s: string): void => {
      if (b[2] & 128 && matcher(watch())!.test(s)) {
        try {
          const m = parseMessage(b);
          if (take(m.answers.concat(m.additionals))) finish();
        } catch (e) {
          // malformed: ignore
        }
      }
    };
    const send = (): void => {
      const a = ask(), c = ch!;
      if (c.own_) a.q.forEach((q) => !over && take(c.own_!(lower(q.name), q.type)) && finish());
      if (over) return;
      if (!tries) a.q.forEach((q) => (q.qu = true));
      c.sock_.send(encodeMessage({ questions: a.q, answers: a.known }), PORT, GROUP);
      const left = deadline - io.now(), wait = 250 << tries++;
      timer = io.setTimeout(wait < left ? send : finish, wait < left ? wait : left);
    };
    join(io, recv).then((c) => {
      ch = c;
      if (over) leave(io, c, recv);
      else send();
    }, finish);
  });
}

/** The records of `type` (A, AAAA, PTR, SRV, TXT, ANY; or several types, asked together)
 *  for a .local `name`, from the cache or the link; rejects with EAI_NONAME when nobody
 *  answers within `ms` (default 2000). */
export function query(io: MdnsIO, name: string, type: number | number[], ms?: number): Promise<ResourceRecord[]> {
  const n = lower(name), ts: number[] = [].concat(type as any), c: Heard[] = (io as any).mdnsCache_ || ((io as any).mdnsCache_ = []);
  let got = live(c, io.now(), n, ts);
  if (got.length && ts[0] != TYPE_ANY) return Promise.resolve(got);
  ms = ms || 2000;
  return session(io, ms, () => ({ q: ts.map((t) => ({ name: name, type: t })) }), () => [n], (rs) => {
    store(c, rs, io.now(), 32);
    return (got = live(c, io.now(), n, ts)).length;
  }, () => {
    if (!got.length) throw fail("EAI_NONAME", "no mDNS answer for " + name + " in " + ms + " ms: check the name and the network");
    return got;
  });
}

/** The host name of an IPv4 address on the link, from its reverse PTR (§4). */
export function reverseLookup(io: MdnsIO, ip: string, ms?: number): Promise<string> {
  const p = ("" + ip).split(".");
  if (p.length != 4) return Promise.reject(fail("EINVAL", ip + " is not an IPv4 address like 10.0.0.5"));
  return query(io, p.reverse().join(".") + ".in-addr.arpa", TYPE_PTR, ms).then((r) => r[0].data as string);
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

/** The instances of a DNS-SD service type ("_http._tcp") on the link, gathered for `ms`
 *  (default 3000): PTR, then SRV/TXT and addresses (asked for when they did not come as
 *  additional records). Repeated queries carry the PTRs already known (§7.1). Keeps at
 *  most 64 records; goodbyes remove. */
export function browse(io: MdnsIO, type: string, ms?: number): Promise<Found[]> {
  const ptr = lower(type) + ".local", got: Heard[] = [];
  const find = (n: string, t: number): ResourceRecord[] => live(got, io.now(), n, [t]);
  const insts = (): string[] => find(ptr, TYPE_PTR).map((r) => lower(r.data as string));
  const hosts = (): string[] => got.filter((x) => x.r_.type == TYPE_SRV).map((x) => lower((x.r_.data as Srv).target));
  const watch = (): string[] => [ptr].concat(insts(), hosts());
  return session(io, ms || 3000, () => {
    const q: Question[] = [{ name: ptr, type: TYPE_PTR }];
    insts().forEach((i) => find(i, TYPE_SRV).length || q.push({ name: i, type: TYPE_SRV }, { name: i, type: TYPE_TXT }));
    hosts().forEach((h) => find(h, TYPE_A).length || q.push({ name: h, type: TYPE_A }));
    return { q: q, known: find(ptr, TYPE_PTR) };
  }, watch, (rs) => rs.forEach((r) => has(watch(), lower(r.name)) && store(got, [r], io.now(), 64)), () => find(ptr, TYPE_PTR).map((p) => {
    const full = p.data as string, i = lower(full), s = find(i, TYPE_SRV)[0], t = find(i, TYPE_TXT)[0],
      txt: { [k: string]: string } = {};
    if (!s) return null;
    const d = s.data as Srv;
    ((t && t.data) as Uint8Array[] || []).forEach((b) => {
      const e = String.fromCharCode.apply(null, b as any), j = e.indexOf("=");
      if (e) txt[j < 0 ? e : e.slice(0, j)] = j < 0 ? "" : e.slice(j + 1);
    });
    return {
      name: full.slice(0, full.length - ptr.length - 1).split("\\.").join("."), host: d.target, port: d.port, txt: txt,
      addresses: find(lower(d.target), TYPE_A).map((r) => r.data as string),
    };
  }).filter((x) => x) as Found[]);
}
