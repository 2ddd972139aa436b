// inet_aton / inet_ntoa / inet_pton / inet_ntop as CPython on Linux has them. The text
// forms, strict (inet_pton's) and glibc's lenient inet_aton syntax ("127.1", "0x7f.1",
// "0177.0.0.1"), live in src/dns/ip.ts, shared with the DNS codec; this file adds the
// Python errors.
import { ipv4ToText, ipv6ToText, textToIp } from "../dns/ip";
import { oserror } from "./errors";

/** glibc's inet_aton syntax (textToIp's modes 2 and 3): "127.1" -> 127.0.0.1; `exact`
 *  (getaddrinfo's inet_aton_exact) refuses anything after the number. The 4 bytes, or null. */
export const parseIpv4Lenient = (text: string, exact?: boolean): Uint8Array | null => textToIp(text, exact ? 3 : 2);

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
    b = textToIp(data, aton ? 2 : n > 4);
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
