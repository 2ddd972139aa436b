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

/** Sixteen bytes at `offset` as RFC 5952 text; with `glibc` as glibc's inet_ntop writes
 *  them: also "::1.2.3.4" for the (deprecated) IPv4-compatible form with a non-zero 7th
 *  word, which CPython on Linux prints that way. */
export function ipv6ToText(bytes: Uint8Array, offset?: number, glibc?: unknown): string {
  const o = offset! | 0;
  let s = "", i = 0, z: string;
  for (; i < 16; i += 2) s += ":" + (bytes[o + i] << 8 | bytes[o + i + 1]).toString(16);
  if (!s.indexOf(":0:0:0:0:0:ffff:")) return "::ffff:" + ipv4ToText(bytes, o + 12);
  // the longest run of two or more zero groups (the first on a tie) becomes "::". (The "x":
  // Espruino 2v29's indexOf and replace take a needle running past the end as found when
  // the rest of the string starts it, e.g. "abc".indexOf("cd") == 2.)
  for (s += ":x", i = 17; i > 4 && s.indexOf(z = ":0:0:0:0:0:0:0:0:".substring(0, i)) < 0; i -= 2);
  if (i > 4) s = s.replace(z!, "::");
  // drop the outer ":" of the first and last group (not of a "::"), and the "x"
  s = s.substring(s.charAt(1) != ":" ? 1 : 0, s.length - (s.charAt(s.length - 3) != ":" ? 2 : 1));
  return glibc && /^::\w+:\w+$/.test(s) ? "::" + ipv4ToText(bytes, o + 12) : s;
}

/** Text -> bytes: a strict dotted quad to 4 bytes, or with `six` (1 or true) any IPv6 text
 *  to 16, or with `six` 2 or 3 glibc's lenient IPv4 syntax to 4 (below); null when `text`
 *  is not such an address. */
export function textToIp(text: string, six?: unknown): Uint8Array | null {
  let t = "" + text, i = t.lastIndexOf(":"), v: any, b: Uint8Array | null, w = 0, r: number, x: number;
  const out = new Uint8Array(six == 1 ? 16 : 4);
  if (!six) {
    v = t.split(".");
    if (v.length != 4) return null;
    // String(n) === part rejects "", " 1", "01", "1e2", "0x1", "+1"; the stored byte "-1", "1.5", "256"
    for (i = 0; i < 4; i++) if ("" + (out[i] = +v[i]) !== v[i] || out[i] != v[i]) return null;
    return out;
  }
  if ((six as number) > 1) {
    // `six` 2 or 3: glibc's inet_aton syntax (socket.inet_aton, getaddrinfo; here, not in
    // a function of its own, which would cost JsVars for life): one to four parts
    // separated by dots, each a C number (0x hex, leading-0 octal, decimal); the last part
    // fills the remaining bytes ("127.1" = 127.0.0.1, "1.16777215" = 1.255.255.255). glibc
    // stops at the first white space ("1.2.3.4 x" is 1.2.3.4); 3 (getaddrinfo's
    // inet_aton_exact) refuses anything after the number.
    v = ((six as number) > 2 ? t : t.split(/\s/)[0]).split(".");
    for (i = 0; i < v.length; i++) {
      // every part but the last is one byte; the last fills what is left (4, 3, 2 or 1 bytes)
      r = i < v.length - 1 ? 256 : [4294967296, 16777216, 65536, 256][i];
      // (each alternative anchored: Espruino ignores a "$" after a group of alternatives;
      // a fifth part finds r undefined)
      if (!/^0x[0-9a-f]+$|^0[0-7]*$|^[1-9][0-9]*$/i.test(v[i]) || !((x = parseInt(v[i], /x/i.test(v[i]) ? 16 : v[i][0] == "0" ? 8 : 10)) < r)) return null;
      w = w * r + x;
    }
    for (i = 4; i--; w = Math.floor(w / 256)) out[i] = w % 256;
    return out;
  }
  // a trailing dotted quad becomes two groups; then "::" stands for the missing zero groups
  if (t.indexOf(".", i) > 0) {
    if (!(b = textToIp(t.slice(++i)))) return null;
    t = t.slice(0, i) + (b[0] << 8 | b[1]).toString(16) + ":" + (b[2] << 8 | b[3]).toString(16);
  }
  const h = t.split("::"), a = h[0] ? h[0].split(":") : [], z = h[1] ? h[1].split(":") : [], n = a.length + z.length;
  if (h.length > 2 || (h[1] == null ? n != 8 : n > 7)) return null;
  for (i = 0; i < 8; i++) {
    v = i < a.length ? a[i] : i < 8 - z.length ? "0" : z[i + z.length - 8];
    if (!(v.length < 5 && /^[0-9a-f]+$/i.test(v))) return null;
    v = parseInt(v, 16);
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
  for (let i = 16; i--;) s += (b[i] & 15).toString(16) + "." + (b[i] >> 4).toString(16) + ".";
  return s + "ip6.arpa";
}
