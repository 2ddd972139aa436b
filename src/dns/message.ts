// The DNS message codec (RFC 1035 §4, with the mDNS bits of RFC 6762 §18): pure functions
// over bytes. It runs on every received DNS and mDNS packet on a slow interpreter, so the
// parser touches each byte as little as it can: labels become strings by one native call
// each, and a name that a compression pointer leads to is decoded once per message (a small
// cache by offset), so the usual "answer name = pointer to the question" costs nothing.
//
// Names in text form: labels joined by ".", no trailing dot, the root is "". Each character
// is one octet (Espruino strings are byte strings; on Node the same Latin-1 view), so
// UTF-8 names arrive as their UTF-8 bytes. A "." or "\" inside a label is escaped as "\."
// and "\\" (RFC 1035 §5.1 style); the encoder also reads "\DDD" (decimal octet) and "\X".
// The encoder writes characters above 0xFF (Node strings only) as UTF-8.
// Names keep the case they arrived in; compare them case-insensitively (nameEquals, or
// toLowerCase on both sides).
//
// Malformed input (RFC 1035 §4.1.4, protocols.md §2.3) throws an Error with code "EBADMSG":
// compression pointers that do not point strictly before the name being read, reserved
// label types 01/10, names over 255 octets, rdata that overruns its RDLENGTH or does not
// fill it (for the types decoded here), a message shorter than its section counts.
// Truncation: when TC is set, a message that ends early is returned with its complete
// records only (the caller retries over TCP, RFC 7766); without TC it is EBADMSG.
// Bytes after the last record are ignored.
import { ipv4ToText, ipv6ToText, putIpv4, putIpv6 } from "./ip";
import { codedError } from "../util/errors";

export const TYPE_A = 1, TYPE_NS = 2, TYPE_CNAME = 5, TYPE_SOA = 6, TYPE_PTR = 12, TYPE_TXT = 16,
  TYPE_AAAA = 28, TYPE_SRV = 33, TYPE_OPT = 41, TYPE_NSEC = 47, TYPE_ANY = 255, CLASS_IN = 1;
export const FLAG_QR = 0x8000, FLAG_AA = 0x400, FLAG_TC = 0x200, FLAG_RD = 0x100, FLAG_RA = 0x80;

/** RCODE (RFC 1035 §4.1.1): 0 NOERROR, 1 FORMERR, 2 SERVFAIL, 3 NXDOMAIN, 4 NOTIMP, 5 REFUSED. */
export function rcode(flags: number): number { return flags & 15; }
/** OPCODE: 0 QUERY; mDNS ignores messages with any other (RFC 6762 §18.3). */
export function opcode(flags: number): number { return flags >> 11 & 15; }

export interface Question {
  name: string;
  type: number;
  /** Class without the top bit; default 1 (IN). */
  qclass?: number;
  /** mDNS unicast-response bit (top bit of the class, RFC 6762 §5.4). */
  qu?: boolean;
}
export interface Srv { priority: number; weight: number; port: number; target: string }
export interface Soa { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
export interface Nsec { next: string; types: number[] }
/** EDNS(0) OPT pseudo-record (RFC 6891 §6.1.3): udpSize is the class, the rest the TTL. */
export interface Opt { udpSize: number; extRcode: number; version: number; flags: number; options: Uint8Array }
/** A: "1.2.3.4"; AAAA: RFC 5952 text; NS/CNAME/PTR: a name; TXT: one Uint8Array per string
 *  (the encoder also takes byte strings); unknown types: the raw rdata. */
export type RData = string | Srv | Soa | Nsec | Opt | Uint8Array[] | Uint8Array;
export interface ResourceRecord {
  name: string;
  type: number;
  /** Class without the top bit; default 1 (IN). Ignored for OPT (see Opt.udpSize). */
  rclass?: number;
  /** mDNS cache-flush bit (top bit of the class, RFC 6762 §10.2). */
  flush?: boolean;
  /** Unsigned 32-bit, as on the wire (RFC 2181 §8 clamping is the cache's business). */
  ttl: number;
  data: RData;
}
export interface Message {
  id: number;
  flags: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}
export interface Header { id: number; flags: number; qd: number; an: number; ns: number; ar: number }

const coded = codedError;
/** Set when the last EBADMSG was "ends early" (tolerated under TC). */
let short = 0;
function bad(what: string, at: number, end?: number): Error {
  short = end as number;
  return coded("EBADMSG", "malformed DNS message (" + what + " at byte " + at + "): dropped");
}

/** A copy of b[s..e). (Espruino's typed-array slice() returns a plain Array.) */
function copy(b: Uint8Array, s: number, e: number): Uint8Array {
  return new Uint8Array(b.subarray(s, e));
}

// ---- parsing --------------------------------------------------------------------------
// Espruino runs the source text itself: every call lexes the whole body of the function and
// every loop iteration its whole body, taken or skipped. So the hot path (header, question,
// A records, names) is a few short functions, and everything rare sits in functions of its
// own (rdata of other types, pointers, escapes).

/** Offset after the in-place part of the name read last. */
let after = 0;
// names decoded in this message, by wire offset: the name text and its wire length
const cacheAt: number[] = [], cacheName: string[] = [], cacheLen: number[] = [];
let cached = 0;
// state of the name being read, for `pointer`
let run = 0, hops = 0, wire = 0, jumpAt = 0, jumpText = 0, jumpWire = 0;

function remember(at: number, name: string, len: number): void {
  if (cached < 24) { cacheAt[cached] = at; cacheName[cached] = name; cacheLen[cached++] = len; }
}

function escape(l: string): string {
  return l.split("\\").join("\\\\").split(".").join("\\.");
}

/** Reads the name at `o`; sets `after`. Pointers must point before the start of the label
 *  run being read, so every jump goes strictly backwards and the walk ends. */
function name(b: Uint8Array, o: number): string {
  let s = "", c = b[o], l: string, end = -1;
  const st = o;
  // the usual answer name: a pointer to the first name of the message
  if (c > 191 && cached && o + 1 < b.length && ((c & 63) << 8 | b[o + 1]) == cacheAt[0]) {
    after = o + 2;
    return cacheName[0];
  }
  run = o; hops = 0; wire = 1; jumpAt = -1;
  for (;;) {
    while ((c = b[o]) && c < 64) {
      if (o + c >= b.length || (wire += c + 1) > 255) throw bad(wire > 255 ? "name over 255 octets" : "label past end", o, 1);
      l = String.fromCharCode.apply(null, b.subarray(o + 1, o += c + 1) as any);
      if (l.indexOf(".") + l.indexOf("\\") > -2) l = escape(l);
      s = s ? s + "." + l : l;
    }
    if (!(c > 191)) break;
    if (end < 0) end = o + 2;
    o = pointer(b, o, s);
    if (o < 0) { s = s && cacheName[-o - 1] ? s + "." + cacheName[-o - 1] : s + cacheName[-o - 1]; break; }
  }
  if (c === undefined || c > 63 && c < 192) throw bad(c ? "label type" : "name past end", o, c ? 0 : 1);
  after = end < 0 ? o + 1 : end;
  remember(st, s, wire);
  if (jumpAt >= 0) remember(jumpAt, jumpText ? s.substring(jumpText + 1) : s, wire - jumpWire + 1);
  return s;
}

/** Follows the pointer at `o` (name text so far: `s`): the offset to go on reading at, or
 *  -1 - i when cache entry i holds the rest of the name. */
function pointer(b: Uint8Array, o: number, s: string): number {
  if (o + 1 >= b.length) throw bad("name past end", o, 1);
  const t = (b[o] & 63) << 8 | b[o + 1];
  if (t >= run || ++hops > 127) throw bad("pointer not backwards", o);
  let i = 0;
  for (; i < cached && cacheAt[i] != t; i++);
  if (i < cached) {
    if ((wire += cacheLen[i] - 1) > 255) throw bad("name over 255 octets", o);
    return -1 - i;
  }
  if (jumpAt < 0) { jumpAt = t; jumpText = s.length; jumpWire = wire; }
  return run = t;
}

/** The name at `offset` and the offset after it (after its pointer, if compressed). */
export function readName(bytes: Uint8Array, offset: number): [string, number] {
  cached = 0;
  const s = name(bytes, offset);
  return [s, after];
}

/** The offset after the name at `offset` without decoding it; -1 when it runs off the end
 *  or has a reserved label type. */
export function nameEnd(bytes: Uint8Array, offset: number): number {
  for (let o = offset, c: number; o < bytes.length; o += c + 1) {
    c = bytes[o];
    if (c > 191) return o + 2 > bytes.length ? -1 : o + 2;
    if (c > 63) return -1;
    if (!c) return o + 1;
  }
  return -1;
}

/** Whether the (possibly compressed) name at `offset` equals `lowerName` (lowercase text,
 *  escapes as readName gives them), ignoring ASCII case (RFC 1035 §2.3.3, RFC 6762 §16).
 *  Rejects on the first label's length before decoding anything; false on malformed input. */
export function nameEquals(bytes: Uint8Array, offset: number, lowerName: string): boolean {
  const c = bytes[offset], d = lowerName.indexOf(".");
  if (c < 64 && lowerName.indexOf("\\") < 0 && c != (d < 0 ? lowerName.length : d)) return false;
  try {
    return readName(bytes, offset)[0].toLowerCase() === lowerName;
  } catch (e) {
    return false;
  }
}

/** The 12-byte header (RFC 1035 §4.1.1); EBADMSG when shorter. */
export function readHeader(b: Uint8Array): Header {
  if (b.length < 12) throw bad("short header", b.length);
  return {
    id: b[0] << 8 | b[1], flags: b[2] << 8 | b[3], qd: b[4] << 8 | b[5],
    an: b[6] << 8 | b[7], ns: b[8] << 8 | b[9], ar: b[10] << 8 | b[11],
  };
}

/** Decodes a whole message; throws EBADMSG (see the top of this file). */
export function parseMessage(b: Uint8Array): Message {
  const h = readHeader(b),
    m: Message = { id: h.id, flags: h.flags, questions: [], answers: [], authorities: [], additionals: [] };
  let o = 12, k: number;
  cached = short = 0;
  try {
    for (k = h.qd; k > 0; k--) o = question(b, o, m.questions);
    for (k = h.an; k > 0; k--) o = record(b, o, m.answers);
    for (k = h.ns; k > 0; k--) o = record(b, o, m.authorities);
    for (k = h.ar; k > 0; k--) o = record(b, o, m.additionals);
  } catch (e) {
    if (!(short && m.flags & FLAG_TC)) throw e;
  }
  return m;
}

function question(b: Uint8Array, o: number, list: Question[]): number {
  const n = name(b, o);
  o = after + 4;
  if (o > b.length) throw bad("question past end", o - 4, 1);
  const c = b[o - 2] << 8 | b[o - 1];
  list.push({ name: n, type: b[o - 4] << 8 | b[o - 3], qclass: c & 32767, qu: c > 32767 });
  return o;
}

function record(b: Uint8Array, o: number, list: ResourceRecord[]): number {
  const n = name(b, o);
  o = after + 10;
  const type = b[o - 10] << 8 | b[o - 9], c = b[o - 8] << 8 | b[o - 7], e = o + (b[o - 2] << 8 | b[o - 1]),
    ttl = (b[o - 6] << 24 | b[o - 5] << 16 | b[o - 4] << 8 | b[o - 3]) >>> 0;
  if (o > b.length || e > b.length) throw bad("record past end", o, 1);
  list.push({
    name: n, type, rclass: c & 32767, flush: c > 32767, ttl,
    data: type == 1 && e - o == 4 ? b[o] + "." + b[o + 1] + "." + b[o + 2] + "." + b[o + 3] : rdata(b, o, e, type, c, ttl),
  });
  return e;
}

/** The rdata of every type but a well-formed A. */
function rdata(b: Uint8Array, o: number, e: number, type: number, c: number, ttl: number): RData {
  let d: RData, x = e - o, fit = type != 1;
  const u = (i: number): number => (b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]) >>> 0;
  if (type == 28) {
    fit = x == 16;
    d = ipv6ToText(b, o);
  } else if (type == 2 || type == 5 || type == 12) {
    d = name(b, o);
    fit = after == e;
  } else if (type == 33) {
    if (x < 7) throw bad("rdata length", o);
    d = { priority: b[o] << 8 | b[o + 1], weight: b[o + 2] << 8 | b[o + 3], port: b[o + 4] << 8 | b[o + 5], target: name(b, o + 6) };
    fit = after == e;
  } else if (type == 16) {
    const t: Uint8Array[] = d = [];
    for (x = o; x < e; x += b[x] + 1) {
      if (x + b[x] >= e) throw bad("rdata length", x);
      t.push(copy(b, x + 1, x + b[x] + 1));
    }
  } else if (type == 6) {
    const mname = name(b, o), rname = name(b, after);
    x = after;
    fit = x + 20 == e;
    d = { mname, rname, serial: u(x), refresh: u(x + 4), retry: u(x + 8), expire: u(x + 12), minimum: u(x + 16) };
  } else if (type == 47) {
    const types: number[] = [];
    d = { next: name(b, o), types };
    // type bitmap (RFC 4034 §4.1.2): windows in increasing order, 1-32 bytes each
    for (let x = after, p = -1; x < e; x += b[x + 1] + 2) {
      const w = b[x], l = b[x + 1];
      if (w <= p || !l || l > 32 || x + l + 2 > e) throw bad("NSEC bitmap", x);
      p = w;
      for (let j = 0; j < l * 8; j++) if (b[x + 2 + (j >> 3)] & 128 >> (j & 7)) types.push(w * 256 + j);
    }
  } else if (type == 41) {
    d = { udpSize: c, extRcode: ttl >>> 24, version: ttl >> 16 & 255, flags: ttl & 65535, options: copy(b, o, e) };
  } else {
    d = copy(b, o, e);
  }
  if (!fit) throw bad("rdata length", o);
  return d;
}

// ---- encoding -------------------------------------------------------------------------

/** The output buffer, kept between calls and grown as needed; each message is copied out. */
let out = new Uint8Array(512);
let at = 0;
// compression dictionary: lowercased name suffix -> offset (only entries below `keys`)
const dictName: string[] = [], dictAt: number[] = [], dictLen: number[] = [];
let keys = 0;

function room(n: number): void {
  if (at + n > out.length) {
    const x = new Uint8Array(2 * (at + n));
    x.set(out);
    out = x;
  }
}
function put16(v: number): void { room(2); out[at++] = v >> 8; out[at++] = v; }
function put32(v: number): void { room(4); out[at++] = v >>> 24; out[at++] = v >> 16; out[at++] = v >> 8; out[at++] = v; }

function invalid(what: string): Error {
  return coded("EINVAL", "cannot encode DNS message: " + what);
}

/** Writes a text name, compressed against the names written before (case-insensitively,
 *  RFC 1035 §4.1.4); registers its suffixes for the names after it. */
function putName(text: string): void {
  let t = "" + text, i = 0, c: number, k: number;
  if (t.charCodeAt(t.length - 1) == 46 && t.charCodeAt(t.length - 2) != 92) t = t.slice(0, -1);
  const lower = t.toLowerCase(), n = t.length, first = keys, start = at;
  let extra = 0;
  while (i < n) {
    // at a label boundary: is the rest of the name already in the message?
    const rest = i ? lower.substring(i) : lower;
    k = dictName.indexOf(rest);
    if (k >= 0 && k < first) { extra = dictLen[k] - 2; put16(49152 | dictAt[k]); break; }
    if (at < 16384) { dictName[keys] = rest; dictAt[keys++] = at; }
    room(200);
    const l = at++;
    for (; i < n && (c = t.charCodeAt(i)) != 46; i++) {
      if (c == 92) c = t.charCodeAt(++i);
      if (c > 255) throw invalid("character above 0xFF in " + t + ": pass UTF-8 bytes");
      out[at++] = c;
    }
    if (at - l < 2 || at - l > 64) throw invalid("empty or >63-octet label in " + t);
    out[l] = at - l - 1;
    i++;
  }
  if (i >= n) { room(1); out[at++] = 0; }
  // wire length of the whole name, and of each suffix registered above
  extra += at - start;
  if (extra > 255) throw invalid("name over 255 octets: " + t);
  for (k = first; k < keys; k++) dictLen[k] = extra - dictAt[k] + start;
}

function putRecord(r: ResourceRecord): void {
  putName(r.name);
  const type = r.type, d: any = r.data;
  let c = (r.rclass || 1) | (r.flush ? 32768 : 0), ttl = r.ttl, i: number;
  if (type == 41) { c = d.udpSize; ttl = d.extRcode << 24 | d.version << 16 | d.flags; }
  put16(type);
  put16(c);
  put32(ttl);
  room(18);
  const l = at;
  at += 2;
  if (type == 1) {
    if (!putIpv4(d, out, at)) throw invalid("bad A " + d);
    at += 4;
  } else if (type == 28) {
    if (!putIpv6(d, out, at)) throw invalid("bad AAAA " + d);
    at += 16;
  } else if (type == 2 || type == 5 || type == 12) {
    putName(d);
  } else if (type == 33) {
    put16(d.priority);
    put16(d.weight);
    put16(d.port);
    putName(d.target);
  } else if (type == 16) {
    for (i = 0; i < d.length; i++) putBytes(d[i], 1);
    if (!i) { room(1); out[at++] = 0; } // RFC 6763 §6.1: never empty rdata
  } else if (type == 6) {
    putName(d.mname);
    putName(d.rname);
    put32(d.serial);
    put32(d.refresh);
    put32(d.retry);
    put32(d.expire);
    put32(d.minimum);
  } else if (type == 47) {
    putName(d.next);
    const types: number[] = d.types.slice().sort((a: number, b: number) => a - b);
    // one window per high byte of the types present (RFC 4034 §4.1.2)
    for (i = 0; i < types.length;) {
      const w = types[i] >> 8;
      room(34);
      const s = at;
      for (let j = 0; j < 34; j++) out[s + j] = 0;
      for (; i < types.length && types[i] >> 8 == w; i++) {
        const v = types[i] & 255;
        out[s + 2 + (v >> 3)] |= 128 >> (v & 7);
        at = s + 3 + (v >> 3);
      }
      out[s] = w;
      out[s + 1] = at - s - 2;
    }
  } else {
    putBytes(type == 41 ? d.options || [] : d, 0);
  }
  i = at - l - 2;
  if (i > 65535) throw invalid("rdata over 65535 octets");
  out[l] = i >> 8;
  out[l + 1] = i;
}

/** Raw bytes (a Uint8Array, or a byte string), with a length octet first if `counted`. */
function putBytes(v: Uint8Array | string, counted: number): void {
  const s = typeof v == "string", n = v.length;
  if (counted && n > 255) throw invalid("TXT string over 255 octets");
  room(n + 1);
  if (counted) out[at++] = n;
  if (s) for (let i = 0; i < n; i++) out[at++] = (v as string).charCodeAt(i);
  else { out.set(v as Uint8Array, at); at += n; }
}

/** Encodes a message (absent sections are empty; id and flags default to 0), compressing
 *  names. Throws EINVAL for data that cannot be encoded (bad address text, label over 63
 *  octets, empty label, name over 255 octets, TXT string over 255 octets). */
export function encodeMessage(m: Partial<Message>): Uint8Array {
  const q = m.questions || [], sections = [m.answers || [], m.authorities || [], m.additionals || []];
  let i: number, s: number;
  at = keys = 0;
  try {
    put16(m.id || 0);
    put16(m.flags || 0);
    put16(q.length);
    for (s = 0; s < 3; s++) put16(sections[s].length);
    for (i = 0; i < q.length; i++) {
      putName(q[i].name);
      put16(q[i].type);
      put16((q[i].qclass || 1) | (q[i].qu ? 32768 : 0));
    }
    for (s = 0; s < 3; s++) for (i = 0; i < sections[s].length; i++) putRecord(sections[s][i]);
  } catch (e: any) {
    throw e.code ? e : invalid(e.message || e);
  }
  return copy(out, 0, at);
}
