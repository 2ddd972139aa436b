// The mDNS responder (RFC 6762) for <host>.local and the DNS-SD services (RFC 6763) the
// app advertises. One flat list of records, each with its own state (probing or live, when
// last multicast, when last unicast): that is all the memory it keeps, so a flood of
// queries cannot grow it. Section numbers below are RFC 6762's.
//
// The state lives in the constructor's closure (local names minify; properties do not).
import {
  CLASS_IN, FLAG_AA, FLAG_QR, FLAG_TC, TYPE_A, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT,
  encodeMessage, parseMessage,
} from "../dns/message";
import type { Message, ResourceRecord } from "../dns/message";
import { Emitter } from "../util/events";
import { GROUP, PORT, add1, fail, has, join, leave, lower, matcher } from "./wire";
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

/** One record we own, with its state. */
interface Rec {
  name_: string;
  /** lowercase name */
  n: string;
  t: number;
  d: any;
  ttl_: number;
  /** unique (cache-flush) or shared */
  u: boolean;
  /** live (claimed) or not yet (probing) */
  l?: boolean;
  /** last multicast, last unicast (ms; undefined: never, so every `now - s < x` is false) */
  s?: number;
  us?: number;
  /** identity: lowercase name, type and rdata bytes */
  k: string;
  svc_?: Service;
}

/** Rdata as a byte string, names uncompressed (a record under the root name compresses
 *  nothing): for identity and for the §8.2 lexicographic tie-break. */
const rdata = (type: number, data: any): string =>
  String.fromCharCode.apply(null, encodeMessage({ answers: [{ name: "", type: type, ttl: 0, data: data }] })
    .subarray(23) as any);
const keyOf = (name: string, t: number, d: any): string => lower(name) + "/" + t + "/" + rdata(t, d);

/** "cam" -> "cam-2", "cam-2" -> "cam-3" (§9). */
export function nextName(name: string): string {
  const m = /^(.*)-(\d+)$/.exec(name);
  return m ? m[1] + "-" + (+m[2] + 1) : name + "-2";
}

// "10.0.0.5" -> "5.0.0.10.in-addr.arpa" (§4)
export { reverseName };

const plain = (r: Rec): boolean => r.t != TYPE_NSEC;

/** Events: "claimed"(hostname) when probing won the host name; "conflict"(old, new) when a
 *  name was lost (host: bare names; service instances: full names). */
export class Responder extends Emitter {
  declare hostname: string;
  declare services: Service[];
  /** Opens the socket, probes (§8.1) and announces (§8.3); resolves once the records are
   *  claimed (after any renaming). */
  declare start: () => Promise<void>;
  /** Goodbyes (TTL 0, §10.1) for everything live, then closes. */
  declare stop: () => void;
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

  constructor(io: MdnsIO, opts: ResponderOptions) {
    super();
    const self = this, services: Service[] = this.services = [],
      // times of the last 15 conflicts (§8.1 rate limit)
      hits: number[] = [];
    this.hostname = opts.hostname;
    let recs: Rec[] = [], names: string[] = [], uniq: string[] = [], addr = "", ch: Channel | null = null,
      // fast-path patterns: all our names, our unique names
      reAll: RegExp | null = null, reUniq: RegExp | null = null,
      probes = 0, pt: unknown, at: unknown, dt: unknown, ready: (() => void) | null = null,
      // records waiting out the shared-answer delay (§6), for the second announcement
      pend: Rec[] = [], ann: Rec[] = [];
    const clear = (t: unknown): void => {
      if (t !== undefined) io.clearTimeout(t);
    };
    const host = (): string => lower(self.hostname + ".local");
    const done = (): void => {
      if (ready) ready();
      ready = null;
    };
    const rr = (r: Rec, ttl: number, legacy?: boolean): ResourceRecord =>
      ({ name: r.name_, type: r.t, ttl: ttl, data: r.d, flush: r.u && !legacy });
    const send = (m: Partial<Message>, a?: string, port?: number): void => {
      try {
        ch!.sock_.send(encodeMessage(m), port || PORT, a || GROUP);
      } catch (e) {
        // the link went away: nothing to tell anyone
      }
    };
    /** Sends answers, with negative answers (NSEC, §6.1) and the RFC 6763 §12 additional
     *  records in Additional: after a service PTR its SRV and TXT; after that PTR or an
     *  SRV the host's address and NSEC; after an A its NSEC; no duplicates. Legacy: TTL
     *  <= 10, no cache-flush, no additional records (§6.7). */
    const reply = (list: Rec[], a?: string, port?: number, legacy?: Message): void => {
      const f = (r: Rec): ResourceRecord => rr(r, legacy ? Math.min(r.ttl_, 10) : r.ttl_, !!legacy),
        add = list.filter((r) => !plain(r)), h = host();
      if (!list.length) return;
      if (!legacy) {
        list.forEach((a) => recs.forEach((r) => {
          const p = a.t == TYPE_PTR && a.svc_;
          if (r.l && !has(list, r) && (p && r.svc_ == a.svc_ && r.t != TYPE_PTR
            || (p || a.t == TYPE_SRV) && r.n == h || a.t == TYPE_A && r.n == a.n && !plain(r))) add1(add, r);
        }));
      }
      send({
        flags: FLAG_QR | FLAG_AA, id: legacy && legacy.id, questions: legacy && legacy.questions,
        answers: list.filter(plain).map(f), additionals: add.map(f),
      }, a, port);
    };
    /** Multicasts `list` and marks it sent. */
    const multicast = (list: Rec[], now: number): void => {
      list.forEach((r) => (r.s = now));
      reply(list);
    };
    /** Goodbyes: the live ones of `list` with TTL 0 (§10.1). */
    const bye = (list: Rec[]): void => {
      const g = list.filter((r) => r.l && plain(r));
      if (g.length) send({ flags: FLAG_QR | FLAG_AA, answers: g.map((r) => rr(r, 0)) });
    };
    /** Three probes 250 ms apart: ANY questions with QU for each name, the proposed
     *  records in Authority without cache-flush (§8.1); 250 ms after the third the names
     *  are ours, announced twice, 1 s apart, cache-flush on unique records (§8.3). */
    const probe = (): void => {
      const p = recs.filter((r) => !r.l && r.u && plain(r)), now = io.now(), q: string[] = [];
      pt = undefined;
      if (probes++ < 3 && p.length) {
        p.forEach((r) => add1(q, r.name_));
        send({
          questions: q.map((n) => ({ name: n, type: TYPE_ANY, qu: true })),
          authorities: p.map((r) => rr(r, r.ttl_, true)),
        });
        pt = io.setTimeout(probe, 250);
        return;
      }
      const fresh = recs.filter((r) => !r.l);
      fresh.forEach((r) => {
        r.l = true;
        if (plain(r)) add1(ann, r);
      });
      multicast(fresh.filter(plain), now);
      clear(at);
      at = io.setTimeout(() => {
        const a = ann.filter((r) => r.l && has(recs, r));
        ann = [];
        at = undefined;
        multicast(a, io.now());
      }, 1000);
      if (fresh.some((r) => r.n == host())) self.emit("claimed", self.hostname);
      done();
    };
    /** (Re)starts probing after `delay` ms (default: random 0-250 ms, §8.1; 5 s once 15
     *  conflicts came within 10 s). */
    const claim = (delay?: number): void => {
      clear(pt);
      probes = 0;
      pt = io.setTimeout(probe, delay !== undefined ? delay
        : hits.length > 14 && io.now() - hits[0] < 10000 ? 5000 : io.random() * 250);
    };
    /** Builds the record list from the host name, address and services, keeping the
     *  records (and their state) that did not change; goodbyes for live ones that went
     *  away; probes the new ones (all of them when `reprobe`). */
    const rebuild = (reprobe?: boolean): void => {
      if (!ch) return;
      const old = recs, h = self.hostname + ".local", list: Rec[] = [];
      const add = (name: string, t: number, d: any, ttl: number, u: boolean, svc?: Service): void => {
        const k = keyOf(name, t, d);
        if (!list.some((r) => r.k == k)) {
          list.push(old.filter((r) => r.k == k)[0]
            || { name_: name, n: lower(name), t: t, d: d, ttl_: ttl, u: u, k: k, svc_: svc });
        }
      };
      if (opts.hostRecords !== false && addr && addr != "0.0.0.0") {
        add(h, TYPE_A, addr, 120, true);
        add(reverseName(addr), TYPE_PTR, h, 120, true);
      }
      services.forEach((s) => {
        if (!s.fixed_) s.name = self.hostname;
        const type = s.type + ".local", inst = s.name.split(".").join("\\.") + "." + type;
        add(type, TYPE_PTR, inst, 4500, false, s);
        add("_services._dns-sd._udp.local", TYPE_PTR, type, 4500, false);
        add(inst, TYPE_SRV, { priority: 0, weight: 0, port: s.port, target: h }, 120, true, s);
        add(inst, TYPE_TXT, s.txt, 4500, true, s);
      });
      names = [];
      uniq = [];
      // one NSEC per unique name, listing the types it has (§6.1)
      list.slice().forEach((r) => {
        add1(names, r.n);
        if (r.u && !has(uniq, r.n)) {
          uniq.push(r.n);
          add(r.name_, TYPE_NSEC, { next: r.name_, types: list.filter((x) => x.n == r.n && x.u).map((x) => x.t) }, r.ttl_, true);
        }
      });
      reAll = matcher(names);
      reUniq = matcher(uniq);
      bye(old.filter((r) => !has(list, r)));
      if (reprobe) list.forEach((r) => (r.l = false));
      recs = list;
      pend = pend.filter((r) => r.l && has(list, r));
      if (list.some((r) => !r.l)) claim();
    };

    /** A name we probe for belongs to someone else: take the next one. */
    const conflict = (n: string): void => {
      const h = self.hostname, s = services.filter((s) => recs.some((r) => r.svc_ == s && r.n == n && r.t == TYPE_SRV))[0];
      hits.push(io.now());
      if (hits.length > 15) hits.splice(0, 1);
      if (n == host()) {
        self.hostname = (opts.onConflict && opts.onConflict(h)) || nextName(h);
        self.emit("conflict", h, self.hostname);
      } else if (s) {
        const full = (): string => s.name + "." + s.type + ".local", old = full();
        s.name = nextName(s.name);
        s.fixed_ = true;
        self.emit("conflict", old, full());
      } else {
        // our reverse name: another host has our address; nothing to rename
        return;
      }
      rebuild();
    };

    /** Another responder's records: conflicts (§8.1, §9) and duplicate answers (§7.4). */
    const response = (m: Message): void => {
      m.answers.concat(m.authorities, m.additionals).some((x) => {
        const n = lower(x.name);
        if (!has(names, n) || (x.rclass || 1) != CLASS_IN) return;
        const k = keyOf(n, x.type, x.data), mine = recs.filter((r) => r.n == n), u = mine.filter((r) => r.u && plain(r));
        // §7.4: someone multicast our pending answer with a TTL not less than ours
        if (mine.some((r) => r.k == k)) pend = pend.filter((r) => r.k != k || x.ttl < r.ttl_);
        else if (u.length && x.ttl) {
          // §8.1: while probing, any record with the name; §9: once live, the same type
          // with other rdata: probe again at once, rename only if that probe fails
          if (u.some((r) => !r.l)) return conflict(n), true;
          if (u.some((r) => r.t == x.type)) {
            mine.forEach((r) => (r.l = false));
            return claim(), true;
          }
        }
      });
    };

    /** Answers a query (§6). */
    const query = (m: Message, a: string, port: number): void => {
      const now = io.now(), probing = m.authorities.length > 0, known: string[] = [], ans: Rec[] = [], qu: Rec[] = [];
      // §8.2: a probe for a name we are probing too. Both sets sorted by class, type and
      // rdata, compared pairwise: the later one wins, the longer one on a tie; identical
      // sets are our own probe. The loser waits 1 s and probes again.
      if (probing) {
        // class and type as one UTF-16 unit each: string order is their numeric order
        const rank = (c: number, t: number, d: any): string => String.fromCharCode(c, t) + rdata(t, d);
        uniq.forEach((n) => {
          const ours = recs.filter((r) => r.n == n && r.u && !r.l && plain(r)).map((r) => rank(1, r.t, r.d)).sort();
          const theirs = m.authorities.filter((x) => lower(x.name) == n).map((x) => rank(x.rclass || 1, x.type, x.data)).sort();
          let i = 0;
          while (i < ours.length && ours[i] == theirs[i]) i++;
          if (ours.length && i < theirs.length && (i == ours.length || theirs[i] > ours[i])) claim(1000);
        });
      }
      // known answers (§7.1): theirs with at least half our TTL suppress ours; they also
      // take back an answer still waiting out its delay (§7.2)
      m.answers.forEach((x) => {
        const k = has(names, lower(x.name)) && keyOf(x.name, x.type, x.data);
        recs.forEach((r) => r.k === k && x.ttl * 2 >= r.ttl_ && known.push(k));
      });
      pend = pend.filter((r) => !has(known, r.k));
      m.questions.forEach((q) => {
        const n = lower(q.name), t = q.type, c = q.qclass || 1, neg: Rec[] = [];
        let hit = false;
        if (c == CLASS_IN || c == TYPE_ANY) {
          recs.forEach((r) => {
            if (r.l && r.n == n) {
              // §6.1: NSEC answers a type this name lacks (added below when nothing matched)
              if (!plain(r)) {
                if (t != TYPE_ANY) neg.push(r);
              } else if (r.t == t || t == TYPE_ANY) {
                hit = true;
                if (!has(known, r.k)) add1(ans, r);
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
      if (port != PORT) return reply(ans.filter(uni), a, port, m);
      // §5.4: QU answers by unicast, unless not multicast within a quarter of their TTL
      // (then multicast, so other caches refresh too); probes are defended by multicast
      const u = ans.filter((r) => !probing && has(qu, r) && now - r.s! < r.ttl_ * 250);
      reply(u.filter(uni), a, port);
      // §6: multicast a record at most once a second (250 ms when defending a probe)
      const mc = ans.filter((r) => !has(u, r) && !(now - r.s! < (probing ? 250 : 1000)) && !has(pend, r));
      const tc = m.flags & FLAG_TC;
      // unique answers at once; shared ones (and all after a TC query) after 20-120 ms
      // (400-500 ms), aggregated with whatever else waits (§6, §6.4, §7.2)
      multicast(mc.filter((r) => r.u && !tc), now);
      mc.forEach((r) => (!r.u || tc) && pend.push(r));
      if (pend.length && dt === undefined) {
        dt = io.setTimeout(() => {
          const p = pend;
          pend = [];
          dt = undefined;
          multicast(p, io.now());
        }, (tc ? 400 : 20) + io.random() * 100);
      }
    };

    const recv = (b: Uint8Array, s: string, a: string, port: number): void => {
      // the fast path: a response can only conflict with unique names (or repeat a
      // pending answer); a query must name one of ours
      const re = b[2] & 128 && !pend.length ? reUniq : reAll;
      if (re && re.test(s)) {
        try {
          const m = parseMessage(b);
          if (m.flags & FLAG_QR) response(m);
          else query(m, a, port);
        } catch (e) {
          // malformed: dropped
        }
      }
    };

    this.start = () => ch ? Promise.resolve() : join(io, recv).then((c) => {
      ch = c;
      c.own_ = (n, t) => recs.filter((r) => r.l && r.n == n && (r.t == t || t == TYPE_ANY && plain(r))).map((r) => rr(r, r.ttl_));
      return new Promise<void>((resolve) => {
        ready = resolve;
        self.addressChanged();
      });
    });
    this.stop = () => {
      if (ch) {
        bye(recs);
        [pt, at, dt].forEach(clear);
        pt = at = dt = undefined;
        pend = [];
        ann = [];
        ch.own_ = null;
        leave(io, ch, recv);
      }
      ch = reAll = reUniq = null;
      recs = names = uniq = [];
      done();
    };
    this.rename = (name) => {
      self.hostname = name;
      rebuild();
    };
    this.addressChanged = () => {
      addr = io.address();
      rebuild(true);
    };
    this.advertise = (type, port, txt, name) => {
      if (!/^_[\w-]+\._tcp$|^_[\w-]+\._udp$/.test(type)) throw fail("EINVAL", "service type " + type + " is not like _http._tcp");
      const t: string[] = [];
      if (txt) for (const k in txt) t.push(Array.isArray(txt) ? txt[k as any] : k + "=" + txt[k]);
      // byte strings (8-bit); an empty TXT goes out as one empty string (RFC 6763 §6.1)
      const s: Service = { name: name || self.hostname, type: type, port: port, fixed_: !!name, txt: t };
      services.push(s);
      rebuild();
      return s;
    };
    this.withdraw = (s) => {
      const i = services.indexOf(s);
      if (i >= 0) services.splice(i, 1);
      rebuild();
    };
  }
}
