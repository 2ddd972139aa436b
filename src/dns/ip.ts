// IPv4 and IPv6 addresses between bytes and text. Shared by the DNS codec (A/AAAA rdata)
// and the socket module (inet_ntop / inet_pton). Device code: plain loops, no regex.
//
// Text forms:
//   IPv4: strict dotted quad, "1.2.3.4": exactly four decimal parts 0-255, no leading zeros,
//         no spaces, no other notations (like glibc inet_pton).
//   IPv6: RFC 5952 on output (lowercase, no leading zeros, the longest run of two or more zero
//         groups as "::", the first one on a tie, "::ffff:1.2.3.4" for IPv4-mapped addresses);
//         on input any RFC 4291 §2.2 form, including a trailing dotted quad. No zone ("%eth0").

/** Four bytes at `offset` as "a.b.c.d". */
export function ipv4ToText(bytes: Uint8Array, offset?: number): string {
  const o = offset! | 0;
  return bytes[o] + "." + bytes[o + 1] + "." + bytes[o + 2] + "." + bytes[o + 3];
}

/** Writes the four bytes of dotted-quad `text` at `out[offset]`; false (nothing useful
 *  written) when `text` is not a strict dotted quad. */
export function putIpv4(text: string, out: Uint8Array, offset: number): boolean {
  const p = ("" + text).split(".");
  if (p.length != 4) return false;
  for (let i = 0; i < 4; i++) {
    const v = +p[i];
    // String(v) === part rejects "", " 1", "01", "1e2", "0x1", "+1"; the range check "-1".
    if (!(v >= 0 && v < 256) || "" + v !== p[i]) return false;
    out[offset + i] = v;
  }
  return true;
}

/** "1.2.3.4" -> 4 bytes, or null when it is not a strict dotted quad. */
export function textToIpv4(text: string): Uint8Array | null {
  const b = new Uint8Array(4);
  return putIpv4(text, b, 0) ? b : null;
}

/** Sixteen bytes at `offset` as RFC 5952 text. */
export function ipv6ToText(bytes: Uint8Array, offset?: number): string {
  const o = offset! | 0;
  // the longest run of zero groups (at least two); bs = its first group, bl = its length
  let bs = -1, bl = 1, cs = 0, cl = 0, i: number;
  for (i = 0; i < 8; i++) {
    if (bytes[o + 2 * i] | bytes[o + 2 * i + 1]) cl = 0;
    else {
      if (!cl++) cs = i;
      if (cl > bl) { bl = cl; bs = cs; }
    }
  }
  if (!bs && bl == 5 && (bytes[o + 10] & bytes[o + 11]) == 255) return "::ffff:" + ipv4ToText(bytes, o + 12);
  let s = "";
  for (i = 0; i < 8; i++) {
    if (i == bs) { s += "::"; i += bl - 1; continue; }
    s += (i && i != bs + bl ? ":" : "") + (bytes[o + 2 * i] << 8 | bytes[o + 2 * i + 1]).toString(16);
  }
  return s;
}

/** Writes the sixteen bytes of IPv6 `text` at `out[offset]`; false when it is not an IPv6 address. */
export function putIpv6(text: string, out: Uint8Array, offset: number): boolean {
  const s = "" + text, halves = s.split("::");
  if (halves.length > 2) return false;
  // groups before and after "::" (or all eight without one), as 16-bit values
  const g: number[] = [];
  let head = -1, h: number, k: number;
  for (h = 0; h < halves.length; h++) {
    if (h) head = g.length;
    if (!halves[h]) continue;
    const parts = halves[h].split(":");
    for (k = 0; k < parts.length; k++) {
      const t = parts[k], n = t.length;
      if (h == halves.length - 1 && k == parts.length - 1 && t.indexOf(".") > 0) {
        // trailing dotted quad: two groups
        if (!putIpv4(t, out, offset)) return false;
        g.push(out[offset] << 8 | out[offset + 1], out[offset + 2] << 8 | out[offset + 3]);
        continue;
      }
      const v = parseInt(t, 16);
      if (!n || n > 4 || !(v >= 0) || ("000" + v.toString(16)).slice(-n) !== t.toLowerCase()) return false;
      g.push(v);
    }
  }
  // with "::" at least one group is zero-filled; without it there must be exactly eight
  const fill = 8 - g.length;
  if (head < 0 ? fill : fill < 1) return false;
  for (h = 0, k = 0; h < 8; h++) {
    const v = head >= 0 && h >= head && h < head + fill ? 0 : g[k++];
    out[offset + 2 * h] = v >> 8;
    out[offset + 2 * h + 1] = v;
  }
  return true;
}

/** IPv6 text -> 16 bytes, or null when it is not an IPv6 address. */
export function textToIpv6(text: string): Uint8Array | null {
  const b = new Uint8Array(16);
  return putIpv6(text, b, 0) ? b : null;
}

/** The name a reverse look-up asks for: "5.0.0.10.in-addr.arpa" for 10.0.0.5, the 32
 *  nibbles under ip6.arpa for IPv6; "" when `ip` is not an address. */
export function reverseName(ip: string): string {
  if (textToIpv4(ip)) return ip.split(".").reverse().join(".") + ".in-addr.arpa";
  const b = textToIpv6(ip);
  if (!b) return "";
  let s = "";
  for (let i = 15; i >= 0; i--) s += (b[i] & 15).toString(16) + "." + (b[i] >> 4).toString(16) + ".";
  return s + "ip6.arpa";
}
