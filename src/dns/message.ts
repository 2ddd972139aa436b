// The DNS message codec (RFC 1035 §4, with the mDNS bits of RFC 6762 §18): pure functions
// over bytes. It runs on every received DNS and mDNS packet on a slow interpreter, so the
// parser touches each byte as little as it can: labels become strings by one native call
// each, and a name that a compression pointer leads to is decoded once per message (a cache
// by offset), so the usual "answer name = pointer to the question" costs one look-up.
//
// Names in text form: labels joined by ".", no trailing dot, the root is "". Each character
// is one octet (Espruino strings are byte strings; on Node the same Latin-1 view), so
// UTF-8 names arrive as their UTF-8 bytes. A "." or "\" inside a label is escaped as "\."
// and "\\" (RFC 1035 §5.1 style); the encoder reads "\X" as X.
// Names keep the case they arrived in; compare them case-insensitively (nameEquals, or
// toLowerCase on both sides).
//
// Record data other than A/AAAA/names/TXT/raw is an object; fields() below lists each
// type's fields in wire order, and one loop encodes and one decodes them all.
//
// Malformed input (RFC 1035 §4.1.4, protocols.md §2.3) throws an Error with code "EBADMSG":
// compression pointers that do not point strictly before the name being read (at most 127
// followed), reserved label types 01/10, names over 255 octets, rdata that overruns its
// RDLENGTH or does not fill it, a message shorter than its section counts.
// Truncation: when TC is set, a message that ends early is returned with its complete
// records only (the caller retries over TCP, RFC 7766); without TC it is EBADMSG.
// Bytes after the last record are ignored.
import { ipv4ToText, ipv6ToText, textToIp } from "./ip";
import { codedError } from "../util/errors";

// (in a module of their own, which imports nothing: the build writes them as literals
// where they are used, so none is a var kept for the board's life)
export {
  TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_PTR, TYPE_TXT, TYPE_AAAA, TYPE_SRV, TYPE_OPT, TYPE_NSEC, TYPE_ANY, CLASS_IN,
  FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD, FLAG_RA,
} from "./constants";

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
/** A: "1.2.3.4"; AAAA: RFC 5952 text; NS/CNAME/PTR: a name; TXT: one Uint8Array per string
 *  (the encoder also takes byte strings); unknown types and OPT: the raw rdata. The EDNS(0)
 *  OPT pseudo-record (RFC 6891 §6.1.3) is read and written as it stands on the wire: its
 *  class (rclass, flush as the top bit) is the UDP payload size, its TTL the extended RCODE
 *  (top 8 bits), version (next 8) and flags (low 16, DO = 0x8000). */
export type RData = string | Srv | Soa | Nsec | Uint8Array[] | Uint8Array;
export interface ResourceRecord {
  name: string;
  type: number;
  /** Class without the top bit; default 1 (IN). OPT: the UDP payload size (see RData). */
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

/** Each type's rdata: fields in wire order, each a kind letter and the field's name (none:
 *  the field is the whole data). N name, 2 16-bit, 4 32-bit, A IPv4, B IPv6 (these need
 *  rdata left), t TXT strings, b NSEC type bitmap, r raw bytes to the end. Other types are
 *  raw. (A string searched per record, not a table: a table's properties would be JsVars
 *  held for the board's life.) */
const fields = (type: number): string[] => {
  const t = "|1:A|28:B|2:N|5:N|12:N|16:t|47:Nnext btypes|33:2priority 2weight 2port Ntarget|6:Nmname Nrname 4serial 4refresh 4retry 4expire 4minimum|",
    i = t.indexOf("|" + type + ":") + 1;
  return (i ? t.substring(t.indexOf(":", i) + 1, t.indexOf("|", i)) : "r").split(" ");
};

/** Set when the last EBADMSG was "ends early" (tolerated under TC). */
let short: any;
/** EBADMSG: `what` is wrong at byte `pos`; no `what`: the message ends early. Without `pos`:
 *  EINVAL, data that cannot be encoded. */
function bad(what: string | 0, pos?: number): Error {
  short = !what;
  return pos! >= 0 ? codedError("EBADMSG", "malformed DNS message: " + (what || "past end") + " at byte " + pos)
    : codedError("EINVAL", "cannot encode DNS message: " + what);
}

// ---- parsing --------------------------------------------------------------------------
// Espruino runs the source text itself: every call lexes the whole body of the function and
// every loop iteration its whole body, taken or skipped. So the hot path (header, question,
// A records, names) is a few short functions, and everything rare sits apart.

/** Offset after the in-place part of the name read last. */
let after = 0;
/** Names decoded in this message, by the wire offset they start at. */
let cache: string[] = [];

const escape = (l: string): string => l.replace(/[\\.]/g, (c) => "\\" + c);
/** Reads the name at `o`; sets `after`. Pointers must point before the start of the label
 *  run being read, so every jump goes strictly backwards and the walk ends. */
function name(b: Uint8Array, o: number): string {
  let s = "", c: number, l: any, run = o, hops = 0, end = 0;
  const st = o;
  for (;;) {
    while ((c = b[o]) && c < 64) {
      if (o + c >= b.length) throw bad(0, o);
      l = String.fromCharCode.apply(null, b.subarray(o + 1, o += c + 1) as any);
      if (l.indexOf(".") + l.indexOf("\\") > -2) l = escape(l);
      s = s ? s + "." + l : l;
    }
    if (!(c > 191)) break;
    if (o + 1 >= b.length) throw bad(0, o);
    c = (c & 63) << 8 | b[o + 1];
    if (c >= run || ++hops > 127) throw bad("pointer", o);
    end = end || o + 2;
    l = cache[c];
    if (l != null) {
      s = s && l ? s + "." + l : s + l;
      c = 0;
      break;
    }
    o = run = c;
  }
  if (c !== 0) throw c ? bad("label type", o) : bad(0, o);
  // (the octets on the wire: an escape is one, plus 2)
  if (s.length > 253 && s.replace(/\\./g, "x").length > 253) throw bad("over 255 octets", st);
  after = end || o + 1;
  return cache[st] = s;
}

/** The name at `offset` and the offset after it (after its pointer, if compressed). */
export function readName(bytes: Uint8Array, offset: number): [string, number] {
  cache = [];
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
  if (b.length < 12) throw bad("short header", b.length);
  const m: any = { id: b[0] << 8 | b[1], flags: b[2] << 8 | b[3] }, l = "questions answers authorities additionals".split(" ");
  let o = 12, k: number, s = 0, n: string, t: number, c: number, e: number;
  for (cache = []; s < 4; s++) m[l[s]] = l[s] = [] as any;
  try {
    // each question (s 4) or record at o into its list
    for (s = 4; s < 12; s += 2) {
      for (k = b[s] << 8 | b[s + 1]; k > 0; k--) {
        n = name(b, o), t = b[after] << 8 | b[after + 1], c = b[after + 2] << 8 | b[after + 3];
        o = after + (s < 6 ? 4 : 10);
        e = s < 6 ? o : o + (b[o - 2] << 8 | b[o - 1]);
        if (e > b.length) throw bad(0, o);
        (l[s / 2 - 2] as any).push(s < 6 ? { name: n, type: t, qclass: c & 32767, qu: c > 32767 } : {
          name: n, type: t, rclass: c & 32767, flush: c > 32767, ttl: (b[o - 6] << 24 | b[o - 5] << 16 | b[o - 4] << 8 | b[o - 3]) >>> 0,
          data: t == 1 && e - o == 4 ? ipv4ToText(b, o) : rdata(b, o, e, t),
        });
        o = e;
      }
    }
  } catch (e) {
    if (!(short && m.flags & 512 /* TC */)) throw e;
  }
  return m;
}

/** The rdata of every type but a well-formed A. (Copies by new Uint8Array(subarray):
 *  Espruino's typed-array slice() gives an Array.) */
function rdata(b: Uint8Array, o: number, e: number, type: number): RData {
  const f = fields(type);
  let d: any = {}, i = 0, k: string, v: any, p: number, w: number, j: number;
  for (; i < f.length; i++) {
    k = f[i][0];
    if (k < "a") {
      if (o >= e) break;
      if (k == "N") { v = name(b, o); o = after; }
      else if (k < "5") for (v = 0, j = +k; j--;) v = v * 256 + b[o++];
      else if (k == "A") { v = ipv4ToText(b, o); o += 4; }
      else { v = ipv6ToText(b, o); o += 16; }
    } else if (k == "t") {
      for (v = []; o < e; o += b[o] + 1) {
        if (o + b[o] >= e) throw bad("rdata length", o);
        v.push(new Uint8Array(b.subarray(o + 1, o + b[o] + 1)));
      }
    } else if (k == "b") {
      // type bitmap (RFC 4034 §4.1.2): windows in increasing order, 1-32 bytes each
      for (v = [], p = -1; o < e; o += b[o + 1] + 2) {
        w = b[o];
        if (w <= p || !b[o + 1] || b[o + 1] > 32 || o + b[o + 1] + 2 > e) throw bad("NSEC bitmap", o);
        for (p = w, j = 0; j < b[o + 1] * 8; j++) if (b[o + 2 + (j >> 3)] & 128 >> (j & 7)) v.push(w * 256 + j);
      }
    } else {
      v = new Uint8Array(b.subarray(o, o = e));
    }
    if (f[i][1]) d[f[i].substring(1)] = v;
    else d = v;
  }
  if (i < f.length || o != e) throw bad("rdata length", o);
  return d;
}

// ---- encoding -------------------------------------------------------------------------

/** The output buffer of the message being encoded, grown as needed (made per message, so
 *  no buffer is held between messages). */
let out: Uint8Array;
let at = 0;
/** Compression dictionary: lowercased name suffix -> its offset. */
let dict: { [suffix: string]: number } = {};

/** Writes `v`: a number as `n` big-endian bytes (0-4), or raw bytes (a Uint8Array, or a
 *  byte string) with a length octet first if `n`. Always leaves room for 64 bytes more
 *  (putName's longest label). */
function put(v: any, n: number): void {
  const l = v.length;
  if (l >= 0) {
    if (n) {
      if (l > 255) throw bad("TXT string over 255 octets");
      put(l, 1);
    }
    n = l;
  }
  if (at + n + 64 > out.length) {
    const x = new Uint8Array(2 * (at + n + 64));
    x.set(out);
    out = x;
  }
  if (!(l >= 0)) for (; n;) out[at++] = v >> 8 * --n;
  else if (v.charCodeAt) for (let i = 0; i < n; i++) out[at++] = v.charCodeAt(i);
  else out.set(v, at), at += n;
}

/** Writes a text name, compressed against the names written before (case-insensitively,
 *  RFC 1035 §4.1.4); registers its suffixes for the names after it. */
function putName(text: string): void {
  let t = "" + text, i = 0, c: number, l = 0, k: string, x = 0;
  if (t.charCodeAt(t.length - 1) == 46 && t.charCodeAt(t.length - 2) != 92) t = t.slice(0, -1);
  const lower = t.toLowerCase();
  if (t.length > 253 && t.replace(/\\./g, "x").length > 253) x = 256;
  for (; i < t.length && x < 256; i++) {
    // at a label boundary: is the rest of the name already in the message?
    k = "." + lower.substring(i); // (not a key Object.prototype has: Espruino finds {}.constructor >= 0)
    if (dict[k] >= 0) return put(49152 | dict[k], 2);
    if (at < 16384) dict[k] = at;
    // (room for the longest label: a longer one is cut short by the array, and refused)
    for (put(0, 0), l = ++at; i < t.length && (c = t.charCodeAt(i)) != 46; i++) {
      if (c == 92) c = t.charCodeAt(++i);
      x |= c;
      out[at++] = c;
    }
    if (at == l || at - l > 63) x = 256;
    out[l - 1] = at - l;
  }
  if (x > 255) throw bad("bad name " + t + ": labels of 1-63 octets up to 0xFF, at most 255 in all");
  put(0, 1);
}

/** Encodes a message (absent sections are empty; id and flags default to 0), compressing
 *  names. Throws EINVAL for data that cannot be encoded (bad address text, label over 63
 *  octets, empty label, name over 255 octets, TXT string over 255 octets). */
export function encodeMessage(m: Partial<Message>): Uint8Array {
  const all = "questions answers authorities additionals".split(" ").map((k) => (m as any)[k] || []);
  let i: number, s = 0, r: any, d: any, f: string[], x: number, j: number, k: string, v: any, l: number, n: any, w: number, b: Uint8Array;
  at = 0;
  dict = {};
  out = new Uint8Array(512);
  try {
    put(m.id || 0, 2);
    put(m.flags || 0, 2);
    for (; s < 4; s++) put(all[s].length, 2);
    // each question (s 0) or record: name, type, class, then a record's TTL and rdata
    for (s = 0; s < 4; s++) {
      for (i = 0; i < all[s].length; i++) {
        r = all[s][i];
        putName(r.name);
        put(r.type, 2);
        put((r.qclass || r.rclass || 1) | (r.qu || r.flush ? 32768 : 0), 2);
        if (!s) continue;
        put(r.ttl, 4);
        put(0, 2);
        for (d = r.data, f = fields(r.type), n = x = 0, l = at; x < f.length; x++) {
          k = f[x][0];
          v = f[x][1] ? d[f[x].substring(1)] : d;
          if (k < "5") put(v, +k);
          else if (k == "N") putName(v);
          else if (k < "a") {
            if (!(n = textToIp(v, k > "A"))) throw bad("bad address " + v);
            put(n, 0);
          } else if (k == "t") {
            for (j = 0; j < v.length; j++) put(v[j], 1);
            if (!j) put(0, 1); // RFC 6763 §6.1: never empty rdata
          } else if (k == "b") {
            v = v.slice().sort((y: number, z: number) => y - z);
            // one window per high byte of the types present (RFC 4034 §4.1.2)
            for (j = 0; j < v.length;) {
              w = v[j] >> 8, b = new Uint8Array(32);
              for (; j < v.length && v[j] >> 8 == w; j++) b[n = v[j] >> 3 & 31] |= 128 >> (v[j] & 7);
              put(w, 1);
              put(++n, 1);
              put(b.subarray(0, n), 0);
            }
          } else put(v || [], 0);
        }
        if ((x = at - l) > 65535) throw bad("rdata over 65535 octets");
        out[l - 2] = x >> 8;
        out[l - 1] = x;
      }
    }
  } catch (e: any) {
    throw e.code ? e : bad(e.message || e);
  }
  dict = {}; // (its keys would hold JsVars until the next encode)
  // (the buffer is dropped: `out` keeps only the copy, no more than the caller holds)
  return out = new Uint8Array(out.subarray(0, at));
}
