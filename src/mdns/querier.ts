// One-shot mDNS queries (RFC 6762 §5.2-§5.4) on the shared 5353 socket: the first query
// asks for a unicast reply (QU), retransmissions 250 ms, 500 ms, 1 s ... later ask by
// multicast. Answers are cached by their TTL (16 entries per IO).
import { TYPE_A, TYPE_ANY, TYPE_PTR, TYPE_SRV, TYPE_TXT, encodeMessage, parseMessage } from "../dns/message";
import type { Question, ResourceRecord, Srv } from "../dns/message";
import { GROUP, PORT, fail, join, leave, lower, mentions } from "./wire";
import type { Channel, MdnsIO } from "./wire";

/** Sends `ask()`'s questions now and again after 250, 500, 1000 ... ms until `timeoutMs`,
 *  passes every record of a response mentioning `watch()` (and the local responder's own
 *  answers) to `take`, which returns true when done. Resolves with `end()`'s result or
 *  rejects with its error. */
function session<T>(io: MdnsIO, timeoutMs: number, ask: () => { q: Question[]; known?: ResourceRecord[] },
  watch: () => string[], take: (rs: ResourceRecord[]) => boolean, end: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = io.now() + timeoutMs;
    let ch: Channel | null = null, timer: unknown, tries = 0, over = false;
    const finish = (e?: Error): void => {
      if (over) return;
      over = true;
      if (timer !== undefined) io.clearTimeout(timer);
      if (ch) leave(io, ch, recv);
      if (e) return reject(e);
      try {
        resolve(end());
      } catch (x) {
        reject(x);
      }
    };
    const recv = (b: Uint8Array): void => {
      if (!(b[2] & 128) || !mentions(b, watch())) return;
      try {
        const m = parseMessage(b);
        if (take(m.answers.concat(m.additionals))) finish();
      } catch (e) {
        // malformed: ignore
      }
    };
    const send = (): void => {
      const a = ask();
      if (ch && ch.own) a.q.forEach((q) => !over && take(ch!.own!(lower(q.name), q.type)) && finish());
      if (over || !ch) return;
      if (!tries) a.q.forEach((q) => (q.qu = true));
      ch.sock.send(encodeMessage({ questions: a.q, answers: a.known }), PORT, GROUP);
      const left = deadline - io.now(), wait = 250 << tries++;
      timer = io.setTimeout(wait < left ? send : () => finish(), wait < left ? wait : left);
    };
    join(io, recv).then((c) => {
      ch = c;
      if (over) leave(io, c, recv);
      else send();
    }, (e) => finish(e));
  });
}

/** The records of `type` (A, AAAA, PTR, SRV, TXT, ANY) for a .local `name`; rejects with
 *  EAI_NONAME when nobody answers within `timeoutMs` (default 2000). */
export function query(io: MdnsIO, name: string, type: number, timeoutMs?: number): Promise<ResourceRecord[]> {
  const n = lower(name), k = n + "/" + type, now = io.now(), ms = timeoutMs || 2000,
    // answers by TTL, per IO (per board), at most 16
    cache: { k: string; e: number; r: ResourceRecord[] }[] = (io as any).mdnsCache || ((io as any).mdnsCache = []);
  for (let i = 0; i < cache.length; i++) {
    if (cache[i].k == k) {
      if (cache[i].e > now) return Promise.resolve(cache[i].r.slice());
      cache.splice(i--, 1);
    }
  }
  let got: ResourceRecord[] = [];
  return session(io, ms, () => ({ q: [{ name: name, type: type }] }), () => [n], (rs) => {
    got = rs.filter((r) => r.ttl && lower(r.name) == n && (r.type == type || type == TYPE_ANY));
    return got.length > 0;
  }, () => {
    if (!got.length) {
      throw fail("EAI_NONAME", "no mDNS answer for " + name + " within " + ms
        + " ms: check the name and that the device is on this network");
    }
    cache.push({ k: k, e: io.now() + 1000 * Math.min.apply(null, got.map((r) => r.ttl)), r: got });
    if (cache.length > 16) cache.splice(0, 1);
    return got.slice();
  });
}

/** The host name of an IPv4 address on the link, from its reverse PTR (§4). */
export function reverseLookup(io: MdnsIO, ip: string, timeoutMs?: number): Promise<string> {
  const p = ("" + ip).split(".");
  if (p.length != 4) return Promise.reject(fail("EINVAL", ip + " is not an IPv4 address like 10.0.0.5"));
  return query(io, p.reverse().join(".") + ".in-addr.arpa", TYPE_PTR, timeoutMs).then((r) => r[0].data as string);
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

/** The instances of a DNS-SD service type ("_http._tcp") on the link, gathered for
 *  `timeoutMs` (default 3000): PTR, then SRV/TXT and addresses (asked for when they did
 *  not come as additional records). Repeated queries carry the PTRs already known
 *  (§7.1). Keeps at most 64 records. */
export function browse(io: MdnsIO, type: string, timeoutMs?: number): Promise<Found[]> {
  const ptr = lower(type) + ".local", got: ResourceRecord[] = [];
  const find = (n: string, t: number): ResourceRecord[] => got.filter((r) => r.type == t && lower(r.name) == n);
  const insts = (): string[] => find(ptr, TYPE_PTR).map((r) => lower(r.data as string));
  const hosts = (): string[] => got.filter((r) => r.type == TYPE_SRV).map((r) => lower((r.data as Srv).target));
  return session(io, timeoutMs || 3000, () => {
    const q: Question[] = [{ name: ptr, type: TYPE_PTR }];
    insts().forEach((i) => find(i, TYPE_SRV).length || q.push({ name: i, type: TYPE_SRV }, { name: i, type: TYPE_TXT }));
    hosts().forEach((h) => find(h, TYPE_A).length || q.push({ name: h, type: TYPE_A }));
    return { q: q, known: find(ptr, TYPE_PTR) };
  }, () => [ptr].concat(insts(), hosts()), (rs) => {
    const w = [ptr].concat(insts(), hosts());
    rs.forEach((r) => {
      if (w.indexOf(lower(r.name)) < 0) return;
      const k = JSON.stringify([lower(r.name), r.type, r.data]);
      for (let i = got.length; i--;) if (JSON.stringify([lower(got[i].name), got[i].type, got[i].data]) == k) got.splice(i, 1);
      // a goodbye (TTL 0, §10.1) only removes
      if (r.ttl && got.length < 64) {
        got.push(r);
        if (r.type == TYPE_PTR) w.push(lower(r.data as string));
        if (r.type == TYPE_SRV) w.push(lower((r.data as Srv).target));
      }
    });
    return false;
  }, () => find(ptr, TYPE_PTR).map((p) => {
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
