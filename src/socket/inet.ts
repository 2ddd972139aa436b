// inet_aton / inet_ntoa / inet_pton / inet_ntop as CPython on Linux has them. The strict
// text forms (inet_pton's) live in src/dns/ip.ts, shared with the DNS codec; this file adds
// glibc's lenient inet_aton syntax ("127.1", "0x7f.1", "0177.0.0.1") and the Python errors.
import { ipv4ToText, ipv6ToText, textToIp } from "../dns/ip";
import { oserror } from "./errors";

/**
 * glibc's inet_aton syntax: one to four parts separated by dots, each a C number (0x hex,
 * leading-0 octal, decimal); the last part fills the remaining bytes ("127.1" = 127.0.0.1,
 * "1.16777215" = 1.255.255.255). glibc stops at the first white space ("1.2.3.4 x" is
 * 1.2.3.4); `exact` (getaddrinfo's inet_aton_exact) refuses anything after the number.
 * Returns the 4 bytes, or null when the text is not such an address.
 */
export function parseIpv4Lenient(text: string, exact?: boolean): Uint8Array | null {
  const parts = (exact ? text : text.split(/\s/)[0]).split("."), n = parts.length, out = new Uint8Array(4);
  let v = 0, i = 0, p: string, room: number, x: number;
  for (; i < n; i++) {
    p = parts[i];
    // every part but the last is one byte; the last fills what is left (4, 3, 2 or 1 bytes)
    room = i < n - 1 ? 256 : [4294967296, 16777216, 65536, 256][i];
    // (each alternative anchored: Espruino ignores a "$" after a group of alternatives;
    // a fifth part finds room undefined)
    if (!/^0x[0-9a-f]+$|^0[0-7]*$|^[1-9][0-9]*$/i.test(p) || !((x = parseInt(p, /x/i.test(p) ? 16 : p[0] == "0" ? 8 : 10)) < room)) return null;
    v = v * room + x;
  }
  for (i = 4; i--; v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/**
 * inet_pton, inet_ntop, inet_aton and inet_ntoa in one function (one kept for the board's
 * life, not four), told apart by their arguments:
 * - (family, text): inet_pton, strict text -> bytes: AF_INET a dotted quad (4 bytes),
 *   AF_INET6 any RFC 4291 form (16 bytes); bad text: EINVAL;
 * - (family, packed): inet_ntop, bytes -> text: AF_INET "a.b.c.d", AF_INET6 RFC 5952
 *   ("::ffff:1.2.3.4" for mapped addresses); wrong length: EINVAL "invalid length of
 *   packed IP address string";
 * - (text): inet_aton, glibc's lenient IPv4 syntax ("127.1" -> [127, 0, 0, 1]);
 * - (packed): inet_ntoa, 4 bytes -> "a.b.c.d".
 * A family other than AF_INET or AF_INET6: EAFNOSUPPORT (errno 97).
 */
export function inet_pton(family: any, data?: any): any {
  const aton = typeof family == "string";
  if (typeof family != "number") data = family, family = 2;
  if (family != 2 && family != 10) throw oserror("EAFNOSUPPORT", "Address family not supported by protocol: " + family, 97);
  const n = family == 2 ? 4 : 16;
  let b: Uint8Array | null;
  if (typeof data == "string") {
    b = aton ? parseIpv4Lenient(data) : textToIp(data, n > 4);
    if (!b) throw oserror("EINVAL", "illegal IP address string passed to inet_" + (aton ? "aton: " : "pton: ") + data);
    return b;
  }
  b = new Uint8Array(data);
  if (b.length != n) throw oserror("EINVAL", "invalid length of packed IP address string: " + b.length + " bytes, need " + n);
  return n == 4 ? ipv4ToText(b) : ipv6ToText(b, 0, 1);
}

export const inet_ntop = inet_pton as (family: number, packed: Uint8Array | number[]) => string;
/** "127.1" -> Uint8Array [127, 0, 0, 1] (glibc's lenient syntax); bad: EINVAL. */
export const inet_aton = inet_pton as (text: string) => Uint8Array;
/** 4 bytes -> "a.b.c.d"; other lengths: EINVAL. */
export const inet_ntoa = inet_pton as (packed: Uint8Array | number[]) => string;
