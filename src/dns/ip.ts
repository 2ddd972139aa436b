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

/** Sixteen bytes at `offset` as RFC 5952 text. */
export function ipv6ToText(bytes: Uint8Array, offset?: number): string {
  const o = offset! | 0;
  let s = "", i = 0, z: string;
  for (; i < 16; i += 2) s += ":" + (bytes[o + i] << 8 | bytes[o + i + 1]).toString(16);
  if (!s.indexOf(":0:0:0:0:0:ffff:")) return "::ffff:" + ipv4ToText(bytes, o + 12);
  // the longest run of two or more zero groups (the first on a tie) becomes "::". (The "x":
  // Espruino 2v29's indexOf and replace take a needle running past the end as found when
  // the rest of the string starts it, e.g. "abc".indexOf("cd") == 2.)
  for (s += ":x", i = 17; i > 4; i -= 2) {
    z = ":0:0:0:0:0:0:0:0:".substring(0, i);
    if (s.indexOf(z) >= 0) {
      s = s.replace(z, "::");
      break;
    }
  }
  // drop the outer ":" of the first and last group (not of a "::"), and the "x"
  return s.substring(s.charAt(1) != ":" ? 1 : 0, s.length - (s.charAt(s.length - 3) != ":" ? 2 : 1));
}

/** Text -> bytes: a strict dotted quad to 4 bytes, or with `six` any IPv6 text to 16;
 *  null when `text` is not such an address. */
export function textToIp(text: string, six?: unknown): Uint8Array | null {
  const out = new Uint8Array(six ? 16 : 4), h = ("" + text).split(six ? "::" : "."), g: number[] = [];
  // head: where "::" stands in g (9: no "::")
  let head = 9, i = 0, j: number, t: string, v: number, b: Uint8Array | null;
  if (!six) {
    if (h.length != 4) return null;
    for (; i < 4; i++) {
      v = +h[i];
      // String(v) === part rejects "", " 1", "01", "1e2", "0x1", "+1"; the range check "-1".
      if (!(v >= 0 && v < 256) || "" + v !== h[i]) return null;
      out[i] = v;
    }
    return out;
  }
  for (; i < h.length; i++) {
    if (i) head = g.length;
    const p = h[i] ? h[i].split(":") : [];
    for (j = 0; j < p.length; j++) {
      t = p[j];
      if (i == h.length - 1 && j == p.length - 1 && t.indexOf(".") > 0) {
        // a trailing dotted quad: two groups
        if (!(b = textToIp(t))) return null;
        g.push(b[0] << 8 | b[1], b[2] << 8 | b[3]);
        continue;
      }
      v = parseInt(t, 16);
      if (!(t.length < 5 && v >= 0 && ("000" + v.toString(16)).slice(-t.length) == t.toLowerCase())) return null;
      g.push(v);
    }
  }
  // with "::" at least one group is zero-filled; without it there must be exactly eight
  if (h.length > 2 || (head > 8 ? g.length != 8 : g.length > 7)) return null;
  for (i = 0, j = 8 - g.length; i < 8; i++) {
    v = i < head ? g[i] : i < head + j ? 0 : g[i - j];
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v;
  }
  return out;
}

/** The name a reverse look-up asks for: "5.0.0.10.in-addr.arpa" for 10.0.0.5, the 32
 *  nibbles under ip6.arpa for IPv6; "" when `ip` is not an address. */
export function reverseName(ip: string): string {
  if (textToIp(ip)) return ip.split(".").reverse().join(".") + ".in-addr.arpa";
  const b = textToIp(ip, 1);
  if (!b) return "";
  let s = "";
  for (let i = 15; i >= 0; i--) s += (b[i] & 15).toString(16) + "." + (b[i] >> 4).toString(16) + ".";
  return s + "ip6.arpa";
}
