// inet_aton / inet_ntoa / inet_pton / inet_ntop as CPython on Linux has them. The strict
// text forms (inet_pton's) live in src/dns/ip.ts, shared with the DNS codec; this file adds
// glibc's lenient inet_aton syntax ("127.1", "0x7f.1", "0177.0.0.1") and the Python errors.
import { ipv4ToText, ipv6ToText, textToIpv4, textToIpv6 } from "../dns/ip";
import { AF_INET, AF_INET6 } from "./constants";
import { oserror } from "./errors";

/** Digits of `p` from `i` on in `base` (2-16, lower case), or NaN when empty or not a digit. */
function digits(p: string, base: number, i: number): number {
  let v = p.length > i ? 0 : NaN;
  for (; i < p.length; i++) {
    const d = "0123456789abcdef".indexOf(p[i]);
    if (d < 0 || d >= base) return NaN;
    v = v * base + d;
  }
  return v;
}

/**
 * glibc's inet_aton syntax: one to four parts separated by dots, each a C number (0x hex,
 * leading-0 octal, decimal); the last part fills the remaining bytes ("127.1" = 127.0.0.1,
 * "1.16777215" = 1.255.255.255). glibc stops at the first white space ("1.2.3.4 x" is
 * 1.2.3.4); `exact` (getaddrinfo's inet_aton_exact) refuses anything after the number.
 * Returns the 4 bytes, or null when the text is not such an address.
 */
export function parseIpv4Lenient(text: string, exact?: boolean): Uint8Array | null {
  const parts = (exact ? text : text.split(/\s/)[0]).toLowerCase().split("."), n = parts.length;
  const out = new Uint8Array(4);
  if (n > 4) return null;
  for (let i = 0; i < n; i++) {
    const p = parts[i];
    let v = p[0] != "0" ? digits(p, 10, 0) : p[1] == "x" ? digits(p, 16, 2) : digits(p, 8, 0);
    // every part but the last is one byte; the last fills what is left (4, 3, 2 or 1 bytes)
    if (!(v <= (i < n - 1 ? 255 : [4294967295, 16777215, 65535, 255][n - 1]))) return null;
    for (let j = i < n - 1 ? i : 3; j >= i; j--) {
      out[j] = v % 256;
      v = Math.floor(v / 256);
    }
  }
  return out;
}

/** RFC 5952 text for 16 bytes, as glibc's inet_ntop writes it: also "::1.2.3.4" for the
 *  (deprecated) IPv4-compatible form, which CPython on Linux prints that way. */
export function ipv6Text(b: Uint8Array): string {
  for (let i = 0; i < 12; i++) if (b[i]) return ipv6ToText(b);
  return b[12] | b[13] ? "::" + ipv4ToText(b, 12) : ipv6ToText(b);
}

const illegal = (fn: string, text: string) => oserror("EINVAL", "illegal IP address string passed to " + fn + ": " + text);

const badFamily = (family: number) => oserror("EAFNOSUPPORT", "Address family not supported by protocol: " + family, 97);

/** "invalid length of packed IP address string: 3 bytes, need 4" */
const badLength = (text: string, n: number, need: number) => oserror("EINVAL", text + ": " + n + " bytes, need " + need);

/** "127.1" -> Uint8Array [127, 0, 0, 1] (glibc's lenient syntax); bad: EINVAL. */
export function inet_aton(text: string): Uint8Array {
  const b = parseIpv4Lenient(text);
  if (!b) throw illegal("inet_aton", text);
  return b;
}

/** 4 bytes -> "a.b.c.d"; other lengths: EINVAL "packed IP wrong length for inet_ntoa". */
export function inet_ntoa(packed: Uint8Array | number[]): string {
  if (packed.length != 4) throw badLength("packed IP wrong length for inet_ntoa", packed.length, 4);
  return ipv4ToText(packed as Uint8Array);
}

/** Strict text -> bytes: AF_INET a dotted quad (4 bytes), AF_INET6 any RFC 4291 form
 *  (16 bytes). Bad text: EINVAL; other families: EAFNOSUPPORT (errno 97). */
export function inet_pton(family: number, text: string): Uint8Array {
  const b = family == AF_INET ? textToIpv4(text) : family == AF_INET6 ? textToIpv6(text) : undefined;
  if (b === undefined) throw badFamily(family);
  if (!b) throw illegal("inet_pton", text);
  return b;
}

/** Bytes -> text: AF_INET "a.b.c.d", AF_INET6 RFC 5952 ("::ffff:1.2.3.4" for mapped
 *  addresses). Wrong length: EINVAL "invalid length of packed IP address string". */
export function inet_ntop(family: number, packed: Uint8Array | number[]): string {
  const n = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
  if (!n) throw badFamily(family);
  if (packed.length != n) throw badLength("invalid length of packed IP address string", packed.length, n);
  const b = new Uint8Array(packed);
  return n == 4 ? ipv4ToText(b) : ipv6Text(b);
}
