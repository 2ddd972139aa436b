// The mDNS responder (RFC 6762) for <host>.local and the DNS-SD services (RFC 6763) the
// app advertises. One flat list of records, each with its own state (probing or live, when
// last multicast, when last unicast): that is all the memory it keeps, so a flood of
// queries cannot grow it. Section numbers below are RFC 6762's.
//
// The state lives in `_` properties (the build shortens them) and the logic in shared
// functions: one responder keeps no closures alive, only its records (plain data).
import {
  CLASS_IN, FLAG_AA, FLAG_QR, FLAG_TC, TYPE_A, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT,
  encodeMessage, parseMessage,
} from "../dns/message";
import type { Message, ResourceRecord } from "../dns/message";
import { Emitter } from "../util/events";
import { GROUP, LOCAL, PORT, add1, has, join, lower, matcher } from "./wire";
import { codedError as fail } from "../util/errors";
import type { Channel, MdnsIO } from "./wire";
import { reverseName } from "../dns/ip";

export interface ResponderOptions {
  /** Bare host name ("kitchen-cam"); the responder owns "<hostname>.local". */
  hostname: string;
  /** Called on a host name conflict with the lost name; returns the next one to try, or
   *  undefined for the default "name-2", "name-3", ... */
  onConflict?: (name: string) => string | undefined;
  /** false where the firmware already answers for the host name (caps.nativeMdns): no A,
   *  reverse PTR or host NSEC from us, only the services' PTR/SRV/TXT/NSEC. Default true. */
  hostRecords?: boolean;
}

/** An advertised DNS-SD service instance (RFC 6763). */
export interface Service {
  /** Instance label: the host name unless given (or renamed after a conflict). */
  name: string;
  /** "_http._tcp" */
  type: string;
  port: number;
  /** "key=value" byte strings */
  txt: string[];
  /** The instance label was chosen (it does not follow the host name). */
  fixed_: boolean;
}

/** One record we own, with its state (plain data: name, type, rdata). */
interface Rec {
  name_: string;
  t: number;
  d: any;
  /** unique (cache-flush: 1) or shared (0) */
  u: number;
  /** live (claimed) or not yet (probing) */
  l?: boolean;
  /** last multicast, last unicast (ms; undefined: never, so every `now - s < x` is false) */
  s?: number;
  us?: number;
  svc_?: Service;
}

/** A record's identity: lowercase name, type and rdata bytes. With `rank`, its §8.2 rank
 *  instead: class and type as one UTF-16 unit each (string order is their numeric order),
 *  then the rdata, names uncompressed (a record under the root name compresses nothing),
 *  so the lexicographic tie-break is string order. (Our records: key(rr(r)).) */
const key = (x: ResourceRecord, rank?: boolean): string => (rank ? "" : lower(x.name))
  + String.fromCharCode(rank && x.rclass || 1, x.type)
  + String.fromCharCode.apply(null, encodeMessage({ answers: [{ name: "", type: x.type, ttl: 0, data: x.data }] }).subarray(23) as any);

/** "cam" -> "cam-2", "cam-2" -> "cam-3" (§9). */
export function nextName(name: string): string {
  const m = /^(.*)-(\d+)$/.exec(name);
  return m ? m[1] + "-" + (+m[2] + 1) : name + "-2";
}

// "10.0.0.5" -> "5.0.0.10.in-addr.arpa" (§4)
export { reverseName };

const plain = (r: Rec): boolean => r.t != TYPE_NSEC;
const nameOf = (r: Rec): string => lower(r.name_);

/** `r` as a resource record. TTL (§10): 120 s for records with a host name (A, reverse PTR,
 *  SRV, and the NSECs, which all share a name with one of those), 4500 s for the others
 *  (shared PTRs, TXT). `z`: none, as owned (cache-flush on unique records); 0, a goodbye
 *  (TTL 0, §10.1); 1, legacy unicast (TTL 10, no cache-flush, §6.7); 2, a probe's
 *  proposed record (no cache-flush, §8.1). */
const rr = (r: Rec, z?: number): ResourceRecord =>
  ({ name: r.name_, type: r.t, ttl: z == 1 ? 10 : z === 0 ? 0 : r.t == TYPE_TXT || !r.u ? 4500 : 120, data: r.d, flush: !!r.u && !z });

/** Sends answers, with negative answers (NSEC, §6.1) and the RFC 6763 §12 additional
 *  records in Additional: after a service PTR its SRV and TXT; after that PTR or an
 *  SRV the host's address and NSEC; after an A its NSEC; no duplicates. Legacy: TTL
 *  <= 10, no cache-flush, no additional records (§6.7). Without an address:
 *  multicast, and marked sent. `list` may also be a message, sent as it is. */
const reply = (R: Responder, list: Rec[] | Partial<Message>, a?: string, port?: number, legacy?: Message): void => {
  if ((list as Rec[]).pop) {
    const f = (r: Rec): ResourceRecord => rr(r, legacy && 1),
      add = (list as Rec[]).filter((r) => !plain(r)), h = lower(R.hostname + LOCAL), now = R.io_.now();
    if (!a) (list as Rec[]).forEach((r) => (r.s = now));
    if (!(list as Rec[]).length) return;
    if (!legacy) {
      (list as Rec[]).forEach((a) => R.recs_.forEach((r) => {
        const p = a.t == TYPE_PTR && a.svc_, n = nameOf(r);
        if (r.l && !has(list as Rec[], r) && (p && r.svc_ == a.svc_ && r.t != TYPE_PTR
          || (p || a.t == TYPE_SRV) && n == h || a.t == TYPE_A && n == nameOf(a) && !plain(r))) add1(add, r);
      }));
    }
    list = {
      flags: FLAG_QR | FLAG_AA, id: legacy && legacy.id, questions: legacy && legacy.questions,
      answers: (list as Rec[]).filter(plain).map(f), additionals: add.map(f),
    };
  }
  try {
    R.ch_!.sock_.send(encodeMessage(list as Partial<Message>), port || PORT, a || GROUP);
  } catch (e) {
    // the link went away: nothing to tell anyone
  }
};

/** With `c`, (re)starts probing after `c` ms (1: the default, a random 0-250 ms, §8.1; 5 s
 *  once 15 conflicts came within 10 s). Without, the probe itself: three 250 ms apart, ANY
 *  questions with QU for each name, the proposed records in Authority without cache-flush
 *  (§8.1); 250 ms after the third the names are ours, announced twice, 1 s apart,
 *  cache-flush on unique records (§8.3). */
const probe = (R: Responder, c?: number): void => {
  const io = R.io_, hits = R.hits_, p = R.recs_.filter((r) => !r.l && r.u && plain(r)), q: string[] = [];
  io.clearTimeout(R.pt_);
  R.pt_ = undefined;
  if (c) R.probes_ = 0;
  else if (R.probes_++ < 3 && p.length) {
    p.forEach((r) => add1(q, r.name_));
    reply(R, {
      questions: q.map((n) => ({ name: n, type: TYPE_ANY, qu: true })),
      authorities: p.map((r) => rr(r, 2)),
    });
    c = 250;
  }
  if (c) {
    R.pt_ = io.setTimeout(() => probe(R), c > 1 ? c : hits.length > 14 && io.now() - hits[0] < 10000 ? 5000 : io.random() * 250);
    return;
  }
  const fresh = R.recs_.filter((r) => !r.l);
  fresh.forEach((r) => {
    r.l = true;
    if (plain(r)) add1(R.ann_, r);
  });
  reply(R, fresh.filter(plain));
  if (fresh.length) {
    io.clearTimeout(R.at_);
    R.at_ = io.setTimeout(() => {
      const a = R.ann_.filter((r) => r.l && has(R.recs_, r));
      R.ann_ = [];
      R.at_ = undefined;
      reply(R, a);
    }, 1000);
  }
  if (fresh.some((r) => nameOf(r) == lower(R.hostname + LOCAL))) R.emit("claimed", R.hostname);
  // start() is done
  if (R.ready_) R.ready_();
  R.ready_ = null;
};

/** Builds the record list from the host name, address and services (none when `z` is 2:
 *  stopping), keeping the records (and their state) that did not change; goodbyes (TTL 0,
 *  §10.1) for live ones that went away; probes the new ones (all of them when `z` is 1). */
const rebuild = (R: Responder, z?: number): void => {
  if (!R.ch_) return;
  const old = R.recs_, oks = old.map((r) => key(rr(r))), ks: string[] = [], h = R.hostname + LOCAL, list: Rec[] = [],
    addr = R.addr_, names: string[] = [], uniq: string[] = [];
  const add = (name: string, t: number, d: any, u: number, svc?: Service): void => {
    const k = key({ name: name, type: t, data: d } as ResourceRecord), i = oks.indexOf(k);
    if (!has(ks, k)) {
      ks.push(k);
      list.push(i >= 0 ? old[i] : { name_: name, t: t, d: d, u: u, svc_: svc });
    }
  };
  if (z != 2) {
    if (R.opts_.hostRecords !== false && addr && addr != "0.0.0.0") {
      add(h, TYPE_A, addr, 1);
      add(reverseName(addr), TYPE_PTR, h, 1);
    }
    R.services.forEach((s) => {
      if (!s.fixed_) s.name = R.hostname;
      const type = s.type + LOCAL, inst = s.name.split(".").join("\\.") + "." + type;
      add(type, TYPE_PTR, inst, 0, s);
      add("_services._dns-sd._udp" + LOCAL, TYPE_PTR, type, 0);
      add(inst, TYPE_SRV, { priority: 0, weight: 0, port: s.port, target: h }, 1, s);
      add(inst, TYPE_TXT, s.txt, 1, s);
    });
  }
  // one NSEC per unique name, listing the types it has (§6.1)
  list.slice().forEach((r) => {
    const n = nameOf(r);
    add1(names, n);
    if (r.u && !has(uniq, n)) {
      uniq.push(n);
      add(r.name_, TYPE_NSEC, { next: r.name_, types: list.filter((x) => nameOf(x) == n && x.u).map((x) => x.t) }, 1);
    }
  });
  // fast-path patterns: all our names, our unique names
  R.reAll_ = matcher(names);
  R.reUniq_ = matcher(uniq);
  const g = old.filter((r) => r.l && plain(r) && !has(list, r));
  if (g.length) reply(R, { flags: FLAG_QR | FLAG_AA, answers: g.map((r) => rr(r, 0)) });
  if (z) list.forEach((r) => (r.l = false));
  R.recs_ = list;
  R.pend_ = R.pend_.filter((r) => r.l && has(list, r));
  // probe the new ones; nothing new (no address, no service): start() is done at once
  probe(R, +list.some((r) => !r.l));
};

/** Events: "claimed"(hostname) when probing won the host name; "conflict"(old, new) when a
 *  name was lost (host: bare names; service instances: full names). */
export class Responder extends Emitter {
  declare hostname: string;
  services: Service[] = [];
  declare io_: MdnsIO;
  declare opts_: ResponderOptions;
  recs_: Rec[] = [];
  // records waiting out the shared-answer delay (§6), for the second announcement
  pend_: Rec[] = [];
  ann_: Rec[] = [];
  // times of the last 15 conflicts (§8.1 rate limit)
  hits_: number[] = [];
  declare addr_: string;
  declare ch_: Channel | null;
  // fast-path patterns: all our names, our unique names
  declare reAll_: RegExp | null;
  declare reUniq_: RegExp | null;
  declare probes_: number;
  declare pt_: unknown;
  declare at_: unknown;
  declare dt_: unknown;
  declare ready_: (() => void) | null;

  constructor(io: MdnsIO, opts: ResponderOptions) {
    super();
    this.io_ = io;
    this.opts_ = opts;
    this.hostname = opts.hostname;
  }

  /** Opens the socket, probes (§8.1) and announces (§8.3); resolves once the records are
   *  claimed (after any renaming). */
  start(): Promise<void> {
    const R = this;
    return R.ch_ ? Promise.resolve() : join(R.io_, R).then((c) => {
      R.ch_ = c;
      c.own_ = R;
      return new Promise<void>((resolve) => {
        R.ready_ = resolve;
        R.addressChanged();
      });
    });
  }

  /** Goodbyes (TTL 0, §10.1) for everything live, then closes. */
  stop(): void {
    const R = this, io = R.io_, ch = R.ch_;
    // goodbyes for everything live, no records, start() done
    rebuild(R, 2);
    io.clearTimeout(R.at_);
    io.clearTimeout(R.dt_);
    R.at_ = R.dt_ = undefined;
    // (ch.own_ may stay: with no records, it answers nothing)
    if (ch) join(io, R, ch);
    R.ch_ = null;
  }

  /** A name chosen by the app: goodbyes for the old records, probe the new ones. */
  declare rename: (name: string) => void;
  /** Link up again or a new address (§8, §8.4): rebuild, re-probe and re-announce all. */
  declare addressChanged: () => void;
  /** Advertises `type` ("_http._tcp") on `port`: PTR (shared), SRV and TXT (unique), and the
   *  _services._dns-sd._udp enumeration PTR. `txt`: {key: value} or ["key=value"]; the
   *  instance label defaults to the host name. */
  declare advertise: (type: string, port: number, txt?: { [k: string]: string } | string[], name?: string) => Service;
  /** Stops advertising `s`, with goodbyes for its records. */
  declare withdraw: (s: Service) => void;

  /** A packet from the channel. The fast path first: a response can only conflict with
   *  unique names (or repeat a pending answer); a query must name one of ours. With a
   *  (lowercase) name and a type instead: our live records for a querier on the channel. */
  rx_(b: any, s: any, a?: string, port?: number): any {
    const R = this, io = R.io_;
    if (typeof b == "string") return R.recs_.filter((r) => r.l && nameOf(r) == b && (r.t == s || s == TYPE_ANY && plain(r))).map((r) => rr(r));
    const re = b[2] & 128 && !R.pend_.length ? R.reUniq_ : R.reAll_;
    if (re && re.test(s)) try {
      const m = parseMessage(b), now = io.now(), recs = R.recs_;
      if (m.flags & FLAG_QR) {
        // another responder's records: conflicts (§8.1, §9) and duplicate answers (§7.4)
        m.answers.concat(m.authorities, m.additionals).some((x) => {
          const n = lower(x.name), mine = recs.filter((r) => nameOf(r) == n);
          if (mine.length && (x.rclass || 1) == CLASS_IN) {
            const k = key(x), u = mine.filter((r) => r.u && plain(r));
            // §7.4: someone multicast our pending answer with a TTL not less than ours
            if (mine.some((r) => key(rr(r)) == k)) R.pend_ = R.pend_.filter((r) => key(rr(r)) != k || x.ttl < rr(r).ttl);
            else if (u.length && x.ttl) {
              // §8.1: while probing, any record with the name; §9: once live, the same type
              // with other rdata: probe again at once, rename only if that probe fails
              if (u.some((r) => !r.l)) {
                // a name we probe for belongs to someone else: take the next one
                const h = R.hostname, hits = R.hits_, v = R.services.filter((s) => mine.some((r) => r.svc_ == s && r.t == TYPE_SRV))[0];
                hits.push(now);
                if (hits.length > 15) hits.splice(0, 1);
                if (n == lower(h + LOCAL)) {
                  R.hostname = (R.opts_.onConflict && R.opts_.onConflict(h)) || nextName(h);
                  R.emit("conflict", h, R.hostname);
                } else if (v) {
                  const full = (): string => v.name + "." + v.type + LOCAL, old = full();
                  v.name = nextName(v.name);
                  v.fixed_ = true;
                  R.emit("conflict", old, full());
                } else {
                  // our reverse name: another host has our address; nothing to rename
                  return true;
                }
                return rebuild(R), true;
              }
              if (u.some((r) => r.t == x.type)) {
                mine.forEach((r) => (r.l = false));
                return probe(R, 1), true;
              }
            }
          }
        });
        return;
      }
      // a query (§6)
      const probing = m.authorities.length > 0, known: string[] = [], ans: Rec[] = [], qu: Rec[] = [], uniq: string[] = [];
      // §8.2: a probe for a name we are probing too. Both sets sorted by class, type and
      // rdata, compared pairwise: the later one wins, the longer one on a tie; identical
      // sets are our own probe. The loser waits 1 s and probes again.
      if (probing) {
        recs.forEach((r) => r.u && add1(uniq, nameOf(r)));
        uniq.forEach((n) => {
          const ours = recs.filter((r) => nameOf(r) == n && r.u && !r.l && plain(r)).map((r) => key(rr(r), true)).sort();
          const theirs = m.authorities.filter((x) => lower(x.name) == n).map((x) => key(x, true)).sort();
          let i = 0;
          while (i < ours.length && ours[i] == theirs[i]) i++;
          if (ours.length && i < theirs.length && (i == ours.length || theirs[i] > ours[i])) probe(R, 1000);
        });
      }
      // known answers (§7.1): theirs with at least half our TTL suppress ours; they also
      // take back an answer still waiting out its delay (§7.2)
      m.answers.forEach((x) => {
        const n = lower(x.name);
        recs.forEach((r) => nameOf(r) == n && key(rr(r)) == key(x) && x.ttl * 2 >= rr(r).ttl && known.push(key(x)));
      });
      R.pend_ = R.pend_.filter((r) => !has(known, key(rr(r))));
      m.questions.forEach((q) => {
        const n = lower(q.name), t = q.type, c = q.qclass || 1, neg: Rec[] = [];
        let hit = false;
        if (c == CLASS_IN || c == TYPE_ANY) {
          recs.forEach((r) => {
            if (r.l && nameOf(r) == n) {
              // §6.1: NSEC answers a type this name lacks (added below when nothing matched)
              if (!plain(r)) {
                if (t != TYPE_ANY) neg.push(r);
              } else if (r.t == t || t == TYPE_ANY) {
                hit = true;
                if (!has(known, key(rr(r)))) add1(ans, r);
                if (q.qu) add1(qu, r);
              }
            }
          });
        }
        if (!hit) neg.forEach((r) => add1(ans, r));
      });
      // at most one unicast answer per record per second, to anyone (bounded flood cost)
      const uni = (r: Rec): boolean => !(now - r.us! < 1000) && (r.us = now, true);
      // §6.7 legacy unicast (source port not 5353): to the source port, ID and question
      // echoed, TTL <= 10, no cache-flush
      if (port != PORT) return reply(R, ans.filter(uni), a, port, m);
      // §5.4: QU answers by unicast, unless not multicast within a quarter of their TTL
      // (then multicast, so other caches refresh too); probes are defended by multicast
      const u = ans.filter((r) => !probing && has(qu, r) && now - r.s! < rr(r).ttl * 250);
      reply(R, u.filter(uni), a, port);
      // §6: multicast a record at most once a second (250 ms when defending a probe)
      const mc = ans.filter((r) => !has(u, r) && !(now - r.s! < (probing ? 250 : 1000)) && !has(R.pend_, r));
      const tc = m.flags & FLAG_TC;
      // unique answers at once; shared ones (and all after a TC query) after 20-120 ms
      // (400-500 ms), aggregated with whatever else waits (§6, §6.4, §7.2)
      reply(R, mc.filter((r) => r.u && !tc));
      mc.forEach((r) => (!r.u || tc) && R.pend_.push(r));
      if (R.pend_.length && R.dt_ === undefined) {
        R.dt_ = io.setTimeout(() => {
          const p = R.pend_;
          R.pend_ = [];
          R.dt_ = undefined;
          reply(R, p);
        }, (tc ? 400 : 20) + io.random() * 100);
      }
    } catch (e) {
      // malformed: dropped
    }
  }
}

// rename(name), addressChanged(), advertise(type, port, txt?, name?) and withdraw(service):
// one function told apart by its arguments (one function instance on the board, not four).
const proto = Responder.prototype as any;
proto.rename = proto.addressChanged = proto.advertise = proto.withdraw = function (this: Responder, a?: any, port?: number, txt?: { [k: string]: string } | string[], name?: string): Service | void {
  const R = this, ss = R.services;
  let s: Service | undefined, z: number | undefined;
  if (port! >= 0) {
    if (!/^_[\w-]+\._tcp$|^_[\w-]+\._udp$/.test(a)) throw fail("EINVAL", "type " + a + " is not like _http._tcp");
    const t: string[] = [];
    if (txt) for (const k in txt) t.push(Array.isArray(txt) ? txt[k as any] : k + "=" + txt[k]);
    // byte strings (8-bit); an empty TXT goes out as one empty string (RFC 6763 §6.1)
    ss.push(s = { name: name || R.hostname, type: a, port: port!, fixed_: !!name, txt: t });
  } else if (!a) {
    R.addr_ = R.io_.ifconfig().ip;
    z = 1;
  } else if (a.txt) {
    // a Service
    const i = ss.indexOf(a);
    if (i >= 0) ss.splice(i, 1);
  } else R.hostname = a;
  rebuild(R, z);
  return s;
};
