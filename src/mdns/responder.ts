// The mDNS responder (RFC 6762) for <host>.local and the DNS-SD services (RFC 6763) the
// app advertises. One flat table of records, each a resource record as the codec sends it
// (names lowercase) plus its state: that is all the memory it keeps, so a flood of queries
// cannot grow it. One timer and one routine (tick) send whatever is due: probes,
// announcements, delayed answers. Section numbers below are RFC 6762's.
//
// The state lives in `_` properties (the build shortens them) and the logic in shared
// functions: one responder keeps no closures alive, only its records (plain data).
import {
  FLAG_AA, FLAG_QR, FLAG_TC, TYPE_A, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT,
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
}

/** An advertised DNS-SD service instance (RFC 6763). */
export interface Service {
  /** Instance label: the host name (until renamed after a conflict). */
  name: string;
  /** "_http._tcp" */
  type: string;
  port: number;
  /** "key=value" byte strings */
  txt: string[];
  /** Renamed after a conflict: the label no longer follows the host name. */
  f_?: boolean;
}

/** One record we own (flush: unique), with its state: l, live (claimed) or probing; s,
 *  when last multicast; us, last unicast; w, when due to be multicast again (its second
 *  announcement, or a delayed answer; a defence against a probe or a unique answer may
 *  come first, and take its place) (ms; absent: never, so every comparison is
 *  false); v_, the service it belongs to. */
interface Rec extends ResourceRecord { l?: boolean; s?: number; us?: number; w?: number; v_?: Service }

/** Class, type (one char each: string order is their numeric order) and rdata of `x`,
 *  names uncompressed (under the root name nothing compresses): the record's identity
 *  within its name, and its §8.2 rank (string order is the lexicographic tie-break). */
const key = (x: ResourceRecord): string => String.fromCharCode(x.rclass || 1, x.type)
  + String.fromCharCode.apply(null, encodeMessage({ answers: [{ name: "", type: x.type, ttl: 0, data: x.data }] }).subarray(23) as any);

/** A copy of `r` with `o` (a goodbye, a probe's or a legacy answer's record). */
const cp = (r: Rec, o: object): Rec => Object.assign({}, r, o);

// "10.0.0.5" -> "5.0.0.10.in-addr.arpa" (§4)
export { reverseName };

/** Sends `rs` as answers, by multicast unless to `a` (then marked sent, nothing more due),
 *  NSECs (§6.1) in Additional with the RFC 6763 §12 records: those named by an answer's
 *  rdata (a PTR's instance, an SRV's host) and the NSEC of each name, no duplicates. `m`:
 *  a legacy query (§6.7): its ID and questions echoed, nothing more in Additional. `rs`
 *  may also be a message, sent as it is. */
const reply = (R: Responder, rs: Rec[] | Partial<Message>, a?: string, port?: number, m?: Message): void => {
  const l = rs as Rec[], all = l.slice && l.slice(), now = R.io_.now();
  let i = 0, x: any;
  if (all) {
    // (absent properties cost no RAM: w is deleted, not cleared)
    if (!a) l.forEach((r) => (r.s = now, delete r.w));
    for (; !m && (x = all[i++]);) {
      // (our names and the names in our rdata are lowercase)
      R.recs_.forEach((r) => r.l && (r.name == (x.data.target || x.data) && r.type != TYPE_PTR || r.type == TYPE_NSEC && r.name == x.name) && add1(all, r));
    }
    rs = {
      flags: FLAG_QR | FLAG_AA, id: m && m.id, questions: m && m.questions,
      answers: l.filter((r) => r.type != TYPE_NSEC), additionals: all.filter((r) => r.type == TYPE_NSEC || !has(l, r)),
    };
  }
  if (!all || l.length) R.ch_!.sock_.send(encodeMessage(rs as Partial<Message>), port || PORT, a || GROUP);
};

/** The one timer's routine; with `p`, (re)starts probing first: after a random 0-250 ms
 *  (p 1, §8.1; 5 s once 15 conflicts came within 10 s), or after `p` ms.
 *  Probing: three probes 250 ms apart, ANY questions with QU for each name, the proposed
 *  records in Authority without cache-flush (§8.1); 250 ms after the third the names are
 *  ours, announced at once and again 1 s later (§8.3). Then the records due go out
 *  together, and the timer is set for the next. */
const tick = (R: Responder, p?: number): void => {
  const io = R.io_, now = io.now(), recs = R.recs_, names: string[] = [];
  let t = 9e15, q = recs.filter((r) => !r.l && r.flush && r.type != TYPE_NSEC);
  io.clearTimeout(R.tm_);
  if (p) R.probes_ = 0, R.pd_ = now + (p > 1 ? p : R.hc_ > 14 ? 5000 : io.random() * 250);
  if (R.pd_ <= now) {
    if (R.probes_++ < 3 && q.length) {
      q.forEach((r) => add1(names, r.name));
      reply(R, { questions: names.map((n) => ({ name: n, type: TYPE_ANY, qu: true })), authorities: q.map((r) => cp(r, { flush: false })) });
      R.pd_ = now + 250;
    } else {
      q = recs.filter((r) => !r.l);
      R.pd_ = t;
      q.forEach((r) => (r.l = true));
      reply(R, q);
      q.forEach((r) => (r.w = now + 1000));
      // (our one A record is the host's)
      if (!CAMNET_BOARD.capabilities.nativeMdns && q.some((r) => r.type == TYPE_A)) R.emit("claimed", R.hostname);
    }
  }
  reply(R, recs.filter((r) => r.l && r.w! <= now));
  recs.forEach((r) => r.w! < t && (t = r.w!));
  if (R.pd_ < t) t = R.pd_;
  if (t < 9e15) R.tm_ = io.setTimeout(() => tick(R), t - now);
};

/** Builds the record table from the host name, address and services (none when `z` is 2:
 *  stopping), keeping the records (and their state) that did not change; goodbyes (TTL 0,
 *  §10.1) for live ones that went away; probes the new ones (all of them when `z` is 1). */
const rebuild = (R: Responder, z?: number): void => {
  if (!R.ch_) return;
  const old = R.recs_, oks = old.map((r) => r.name + key(r)), h = lower(R.hostname + LOCAL), list: Rec[] = [], ks: string[] = [];
  let a = R.addr_;
  const add = (name: string, type: number, data: any, u?: boolean, v?: Service): void => {
    const r: Rec = { name: name, type: type, ttl: u && type != TYPE_TXT ? 120 : 4500, data: data, flush: u },
      k = name + key(r), i = oks.indexOf(k);
    if (v) r.v_ = v;
    if (!has(ks, k)) ks.push(k), list.push(i < 0 ? r : old[i]);
  };
  // an NSEC for each unique name, listing the types it has (§6.1)
  const nsec = (n: string, types: number[]): void => add(n, TYPE_NSEC, { next: n, types: types }, true);
  if (z != 2) {
    // (no address: "" or "0.0.0.0")
    // Where the firmware already answers for the host name (nativeMdns, a constant per
    // board): no A, reverse PTR or host NSEC from us, only the services' PTR/SRV/TXT/NSEC.
    if (!CAMNET_BOARD.capabilities.nativeMdns && a > "1") {
      add(h, TYPE_A, a, true);
      nsec(h, [TYPE_A]);
      add(a = reverseName(a), TYPE_PTR, h, true);
      nsec(a, [TYPE_PTR]);
    }
    R.services.forEach((s) => {
      if (!s.f_) s.name = R.hostname;
      const type = lower(s.type + LOCAL), inst = lower(s.name + "." + type);
      add(type, TYPE_PTR, inst, false, s);
      add("_services._dns-sd._udp" + LOCAL, TYPE_PTR, type);
      add(inst, TYPE_SRV, { priority: 0, weight: 0, port: s.port, target: h }, true, s);
      add(inst, TYPE_TXT, s.txt, true, s);
      nsec(inst, [TYPE_SRV, TYPE_TXT]);
    });
  }
  // fast-path patterns: all our names, our unique names
  R.reAll_ = matcher(list.map((r) => r.name));
  R.reUniq_ = matcher(list.filter((r) => r.flush).map((r) => r.name));
  if (z) list.forEach((r) => (r.l = false));
  R.recs_ = list;
  reply(R, old.filter((r) => r.l && r.type != TYPE_NSEC && !has(list, r)).map((r) => cp(r, { ttl: 0 })));
  // probe the new ones; nothing new (no address, no service): nothing to probe
  tick(R, +list.some((r) => !r.l));
};

/** Events: "claimed"(hostname) when probing won the host name; "conflict"(old, new) when a
 *  name was lost (host: bare names; service instances: full names). */
export interface Responder extends Emitter {
  hostname: string;
  services: Service[];
  io_: MdnsIO;
  opts_: ResponderOptions;
  recs_: Rec[];
  addr_: string;
  ch_: Channel | null;
  // fast-path patterns: all our names, our unique names
  reAll_: RegExp;
  reUniq_: RegExp;
  probes_: number;
  /** when the next probe step is due (9e15: none) */
  pd_: number;
  /** when the delayed answers are due (§6) */
  da_: number;
  tm_: unknown;
  // conflicts in the window starting at ht_ (§8.1 rate limit)
  hc_: number;
  ht_: number;
  /** Opens the socket (once), probes (§8.1) and announces (§8.3) all records; resolves once
   *  probing started (the "claimed" event tells when the host name is ours). Again on
   *  link-up or a new address (§8, §8.4): re-probe and re-announce all. */
  start(): Promise<void>;
  /** A name chosen by the app: goodbyes for the old records, probe the new ones. */
  rename(name: string): void;
  /** Advertises `type` ("_http._tcp") on `port`: PTR (shared), SRV and TXT (unique), and the
   *  _services._dns-sd._udp enumeration PTR. `txt`: {key: value}; the instance label
   *  defaults to the host name. */
  advertise(type: string, port: number, txt?: { [k: string]: string }): Service;
  /** Stops advertising `s`, with goodbyes for its records. */
  withdraw(s: Service): void;
  /** Goodbyes (TTL 0, §10.1) for everything live, then closes. */
  stop(): void;
  /** A packet from the channel. */
  rx_(b: any, s: any, a?: string, port?: number): any;
}

// A constructor and prototype methods, not a class (Babel wraps a class in a closure the
// board keeps for life).
export const Responder: new (io: MdnsIO, opts: ResponderOptions) => Responder = function (this: Responder, io: MdnsIO, opts: ResponderOptions) {
  Emitter.call(this);
  Object.assign(this, { io_: io, opts_: opts, hostname: opts.hostname, services: [], recs_: [] });
} as any;

// start(), rename(name), advertise(type, port, txt?) and withdraw(service): one function
// told apart by its arguments (one function instance on the board, not four).
const go = function (this: Responder, a?: any, port?: number, txt?: { [k: string]: string }): Service | Promise<void> | void {
  const R = this, ss = R.services;
  let s: Service | undefined;
  if (port! >= 0) {
    if (!/^_[\w-]+\._tcp$|^_[\w-]+\._udp$/.test(a)) throw fail("EINVAL", "type " + a + " is not like _http._tcp");
    const t: string[] = [];
    // byte strings (8-bit); an empty TXT goes out as one empty string (RFC 6763 §6.1)
    for (const k in txt) t.push(k + "=" + txt[k]);
    ss.push(s = { name: R.hostname, type: a, port: port!, txt: t } as Service);
  } else if (!a) {
    return (R.ch_ ? Promise.resolve(R.ch_) : join(R.io_, R)).then((c) => {
      R.ch_ = c;
      R.io_.own_ = R;
      R.addr_ = R.io_.ifconfig().ip;
      rebuild(R, 1);
    });
  } else if (a.txt) {
    // a Service
    ss.splice(ss.indexOf(a) >>> 0, 1);
  } else R.hostname = a;
  rebuild(R);
  return s;
};

Object.assign(Responder.prototype, Emitter.prototype, {
  start: go, rename: go, advertise: go, withdraw: go,

  /** Goodbyes (TTL 0, §10.1) for everything live, then closes. */
  stop(this: Responder): void {
    const R = this;
    // goodbyes for everything live, no records, no timer
    rebuild(R, 2);
    // (io.own_ may stay: with no records, it answers nothing)
    if (R.ch_) join(R.io_, R, R.ch_);
    R.ch_ = null;
  },

  /** A packet from the channel. The fast path first: a response can only conflict with
   *  unique names (or repeat a pending answer); a query must name one of ours. */
  rx_(this: Responder, b: any, s: any, a?: string, port?: number): any {
    const R = this, io = R.io_, recs = R.recs_;
    try {
      // (the clock is read only for a response, and after the fast path for the rest)
      if (!(b[2] & 128 && !(R.da_ > io.now()) ? R.reUniq_ : R.reAll_).test(s)) return;
      const now = io.now(), m = parseMessage(b), mine = (x: ResourceRecord): Rec[] => recs.filter((r) => r.name == lower(x.name));
      if (m.flags & FLAG_QR) {
        // another responder's records (ours come back over the loop: not a conflict):
        // duplicate answers (§7.4), conflicts (§8.1, §9)
        if (a != R.addr_) {
          m.answers.concat(m.authorities, m.additionals).some((x) => {
            const my = mine(x), k = key(x), u = my.filter((r) => r.flush && (!r.l || r.type == x.type));
            // §7.4: someone multicast our pending answer with a TTL not less than ours.
            // §8.1: while probing, any other record with the name; §9: once live, the same
            // type with other rdata: probe again at once, rename only if that probe fails
            if (!my.some((r) => key(r) == k && (x.ttl < r.ttl || delete r.w, 1)) && x.ttl && u.length) {
              if (!u.some((r) => !r.l)) return my.forEach((r) => (r.l = false)), tick(R, 1), true;
              // a name we probe for belongs to someone else: take the next one (§9)
              const h = R.hostname, v = (u.filter((r) => r.v_)[0] || {} as Rec).v_, o = v ? v.name : h,
                n = /-\d+$/.test(o) ? o.replace(/\d+$/, (d) => "" + (+d + 1)) : o + "-2", full = (n: string): string => n + "." + v!.type + LOCAL;
              R.hc_ = now - R.ht_ < 10000 ? R.hc_ + 1 : (R.ht_ = now, 1);
              if (v) R.emit("conflict", full(o), full(v.name = n)), v.f_ = true;
              // (our one A record is the host's)
              else if (!CAMNET_BOARD.capabilities.nativeMdns && my.some((r) => r.type == TYPE_A)) R.emit("conflict", h, R.hostname = (R.opts_.onConflict && R.opts_.onConflict(h)) || n);
              // our reverse name: another host has our address; nothing to rename
              else return true;
              return rebuild(R), true;
            }
          });
        }
        return;
      }
      // a query (§6)
      let t: number;
      const probing = m.authorities.length, known: Rec[] = [], uc: Rec[] = [], mc: Rec[] = [], tc = m.flags & FLAG_TC,
        // at most one unicast answer per record per second, to anyone (bounded flood cost)
        uni = (r: Rec): unknown => !(now - r.us! < 1000) && (r.us = now),
        // §8.2: a probe for a name we are probing too. Both sets sorted by class, type and
        // rdata, compared in order: the later one wins, the longer one on a tie; identical
        // sets are our own probe. The loser waits 1 s and probes again.
        rank = (l: ResourceRecord[], n: string): string => l.filter((x) => lower(x.name) == n && x.type != TYPE_NSEC).map(key).sort().join("\0");
      // (a name's records are probed together: all of ours at a name we probe are in it)
      if (probing) recs.forEach((r) => !r.l && r.flush && rank(recs, r.name) < rank(m.authorities, r.name) && tick(R, 1000));
      // known answers (§7.1): theirs with at least half our TTL suppress ours; they also
      // take back an answer still waiting out its delay (§7.2)
      m.answers.forEach((x) => mine(x).forEach((r) => key(r) == key(x) && x.ttl * 2 >= r.ttl && (known.push(r), delete r.w)));
      m.questions.forEach((q) => {
        const t = q.type;
        // §6.1: the NSEC answers a type this name lacks
        mine(q as any).filter((r) => r.l && (r.type == TYPE_NSEC ? t != TYPE_ANY && !has((r.data as any).types, t) : r.type == t || t == TYPE_ANY)).forEach((r) => has(known, r)
          // §5.4: QU answers by unicast, unless not multicast within a quarter of their TTL
          // (then multicast, so other caches refresh too); probes are defended by multicast
          || add1(q.qu && !probing && now - r.s! < r.ttl * 250 ? uc : mc, r));
      });
      // §6.7 legacy unicast (source port not 5353): to the source port, ID and question
      // echoed, TTL <= 10, no cache-flush
      if (port != PORT) return reply(R, uc.concat(mc).filter(uni).map((r) => cp(r, { ttl: 10, flush: false })), a, port, m);
      reply(R, uc.filter(uni), a, port);
      // §6: multicast a record at most once a second (250 ms when defending a probe);
      // unique answers at once, shared ones (and all after a TC query) after 20-120 ms
      // (400-500 ms), aggregated with whatever else waits (§6, §6.4, §7.2)
      mc.forEach((r) => !(now - r.s! < (probing ? 250 : 1000)) && (t = r.flush && !tc ? now : R.da_ > now ? R.da_ : R.da_ = now + (tc ? 400 : 20) + io.random() * 100)
        && !(r.w! <= t) && (r.w = t));
      tick(R);
    } catch (e) {
      // malformed: dropped
    }
  }
});
