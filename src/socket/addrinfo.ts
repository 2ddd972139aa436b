// getaddrinfo's rules as one pure function over an injected look-up, following glibc (what
// CPython on Linux calls): every check in glibc's order, then the look-up (only for a
// name), then the list. Where the board differs from glibc on purpose:
//   - host "" means the same as None (loopback, or the wildcard with AI_PASSIVE), as the
//     seeds describe; glibc answers EAI_NONAME. "*" is None in both.
//   - a port outside 0-65535 is EAI_SERVICE; glibc silently takes it modulo 65536.
//   - no SCTP / DCCP / UDP-Lite: SOCK_SEQPACKET is EAI_SOCKTYPE, and a protocol other than
//     TCP or UDP with type 0 selects SOCK_RAW (which takes no port).
//   - no IPv6 zone ("fe80::1%eth0"): such a host is a name, EAI_NONAME with AI_NUMERICHOST.
//   - env.v6_ counts a routable IPv6 address only; glibc's AI_ADDRCONFIG also counts
//     link-local ones.
//
// Address order: RFC 6724 §6 destination rules, with the board's source addresses inferred
// (it has one interface): 1 avoid unusable (IPv4 needs env.v4_, IPv6 and ::1 env.v6_,
// 127/8 always works), 2 prefer matching scope (only 169.254/16 misses: the board's IPv4
// source is taken to be routable), 5 prefer matching label and 6 higher precedence (§2.1
// default table; the IPv6 source is taken to be a plain global or link-local address), 8
// smaller scope, 10 otherwise the resolver's order. Rules 3, 4 and 7 need state the board
// lacks (deprecated, home and tunnel addresses) and rule 9 (longest prefix) is skipped,
// which keeps DNS round-robin order. The outcome: an IPv4-only board lists IPv4 first; a
// dual-stack board lists global IPv6 first, then IPv4; loopback lists ::1 first only when
// IPv6 works; the passive wildcard lists 0.0.0.0 before ::, as Linux does.
// Numbers: AF_INET 2, AF_INET6 10; SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3; IPPROTO_TCP 6,
// IPPROTO_UDP 17; AI_PASSIVE 1, AI_CANONNAME 2, AI_NUMERICHOST 4, AI_V4MAPPED 8, AI_ALL 16,
// AI_ADDRCONFIG 32, AI_NUMERICSERV 1024 (constants.ts).
import { ipv4ToText, ipv6ToText, textToIp } from "../dns/ip";
import { oserror as gaierror } from "./errors";
import { getservbyname } from "./services";

/** What a look-up found: the canonical name (the end of the CNAME chain, or "") and the
 *  A and AAAA addresses as text, in answer order. */
export interface Resolved {
  canonname: string;
  v4: string[];
  v6: string[];
}

/** Resolves a name, asking for A records when `v4`, AAAA when `v6`. */
export type Find = (name: string, v4: boolean, v6: boolean) => Promise<Resolved>;

/** The board's addresses: a non-loopback IPv4 address (v4_); a routable IPv6 address (v6_). */
export interface AddrEnv {
  v4_: boolean;
  v6_: boolean;
}

/** [ip, port] for AF_INET, [ip, port, flowinfo, scope_id] for AF_INET6. */
export type SockAddr = [string, number] | [string, number, number, number];
/** [family, type, proto, canonname, sockaddr]: `[0][4]` is Python's `[0][-1]`. */
export type AddrInfo = [number, number, number, string, SockAddr];

/**
 * CPython's getaddrinfo: a Promise of [family, type, proto, canonname, sockaddr] entries, one
 * per address and socket type, addresses in RFC 6724 order, canonname in the first entry
 * only (with AI_CANONNAME). `find` resolves a name (asked for only when the host is one);
 * `env` says which families the board has. Rejects with the gaierror glibc would give.
 */
export function addrinfo(host: string | null, port: number | string | null, family: number | undefined,
  type: number | undefined, proto: number | undefined, flags: number | undefined, env: AddrEnv, find: Find): Promise<AddrInfo[]> {
  return Promise.resolve().then(() => {
    const ty = type! | 0, pr = proto! | 0, fl = flags! | 0, empty = !host || host == "*";
    let f = family! | 0, s = port === "" ? null : port;
    // one message shape: "getaddrinfo(host, port): what"
    const fail = (code: string, what: string): never => { throw gaierror("EAI_" + code, "getaddrinfo(" + host + ", " + port + "): " + what); };
    if (empty && port == null) fail("NONAME", "give a host or a port");
    if (fl & ~0x7ff || fl & 2 && empty) fail("BADFLAGS", "bad flags " + fl);
    if (f && f != 2 && f != 10) fail("FAMILY", "bad family " + f);
    if (fl & 32) { // AI_ADDRCONFIG: only the families the board has an address of
      if (!f) {
        if (env.v4_ != env.v6_) f = env.v4_ ? 2 : 10;
      } else if (f == 2 ? !env.v4_ : !env.v6_) fail("NONAME", "no address of family " + f);
    }
    if (/^\d+$/.test(s as string)) s = +s!;
    const named = typeof s == "string";
    if (named && fl & 1024) fail("NONAME", "service not numeric");
    if (!named && s != null && !((s as number) >= 0 && (s as number) <= 65535 && (s as number) % 1 == 0)) fail("SERVICE", "bad port");
    // the socket types as glibc's get_servtuples picks them: [type, proto, port]
    const kinds: number[][] = [];
    for (let t = 1; t < 4; t++) {
      const tr = t == 1 ? "tcp" : t == 2 ? "udp" : "", p = tr ? 11 * t - 5 : 0;
      if (ty && ty != t || pr && tr && pr != p) continue;
      const n = named ? tr ? getservbyname(s as string, tr, 1) : -1 : (s as number) || 0;
      if (ty || pr) { // one type asked for (or implied by the protocol): its service must exist
        if (s != null && (n < 0 || !tr)) fail("SERVICE", "no such service for type " + t);
        kinds.push([t, p || pr, n]);
        break;
      }
      if (n >= 0) kinds.push([t, p, n]);
    }
    // a type no row has (with type 0 a protocol always finds SOCK_RAW), or an unknown service
    if (!kinds.length) fail(ty ? "SOCKTYPE" : "SERVICE", ty ? "bad type " + ty + " for proto " + pr : "no such service");
    // what the host gives without a look-up: none (loopback or the wildcard), or a literal
    let r: Resolved | null = null;
    if (empty) {
      r = { canonname: "", v4: f == 10 ? [] : [fl & 1 ? "0.0.0.0" : "127.0.0.1"], v6: [fl & 1 ? "::" : "::1"] };
    } else {
      // a literal: IPv4 in inet_aton's syntax without trailing text ("127.1"), or IPv6
      const b4 = textToIp(host!, 3), b6 = !b4 && host!.indexOf(":") >= 0 && textToIp(host!, 1);
      if (b4 || b6) {
        let ip = b4 ? ipv4ToText(b4) : ipv6ToText(b6 as Uint8Array, 0, 1), v4 = !!b4;
        if (f == 2 && /^::ffff:\d+\./.test(ip)) { // IPv4-mapped for AF_INET: the IPv4 address
          ip = ip.slice(7);
          v4 = true;
        }
        // another family: only IPv4 for AF_INET6 with AI_V4MAPPED (mapped below)
        if (f && (v4 ? 2 : 10) != f && !(v4 && fl & 8)) fail("ADDRFAMILY", "host not of family " + f);
        r = { canonname: host!, v4: v4 ? [ip] : [], v6: v4 ? [] : [ip] };
      } else if (fl & 4) fail("NONAME", "host not numeric");
    }
    const build = (r: Resolved): AddrInfo[] => {
      // AF_INET6 takes IPv4 only as mapped addresses: with AI_V4MAPPED when there is no
      // IPv6 address, or always with AI_ALL as well
      const v6 = f != 2 ? r.v6 : [], v4 = f != 10 || fl & 8 && (fl & 16 || !v6.length) ? r.v4 : [];
      const addrs = v4.map((a): [number, string] => (f == 10 ? [10, "::ffff:" + a] : [2, a]))
        .concat(v6.map((a): [number, string] => [10, a]));
      if (!addrs.length) fail("NONAME", "no address of family " + f);
      const out: AddrInfo[] = [];
      // sort keys: the RFC 6724 rank of each destination (see the top of this file; smaller
      // sorts first), then the resolver's order (rank < 1024, at most 4096 addresses). IPv4
      // is looked at as ::ffff:a.b.c.d, so mapped AF_INET6 results rank as IPv4.
      addrs.map((a, i) => {
        const t = (a[0] == 2 ? "::ffff:" : "") + a[1], v4 = /^::ffff:\d+\./.test(t);
        const loop = /^(::ffff:127\.|::1$)/.test(t), link = /^(::ffff:169\.254\.|fe[89ab])/.test(t);
        // rules 5 and 6: ::1, other IPv6 (precedence 40), IPv4 (35), then the labels a plain
        // source does not match: 6to4 (30), Teredo (5), ULA (3), site-local, 6bone, IPv4-compatible (1)
        const label = v4 ? 2 : loop ? 0 : /^2002:/.test(t) ? 3 : /^2001:0*:/.test(t) ? 4 : /^f[cd]/.test(t) ? 5
          : /^(fe[c-f]|3ffe:|::[\w.]*:*\w*$)/.test(t) ? 6 : 1;
        // scope: loopback and link-local 2, site-local 5, multicast its own, else global 14
        const scope = loop || link ? 2 : /^fe[c-f]/.test(t) ? 5 : /^ff/.test(t) ? parseInt(t[3], 16) : 14;
        return ((((loop && v4 || (v4 ? env.v4_ : env.v6_) ? 0 : 2) + (v4 && link ? 1 : 0)) * 8 + label) * 16 + scope) * 4096 + i;
      }).sort((x, y) => x - y).forEach((k) => {
        const a = addrs[k % 4096];
        kinds.forEach((t) => out.push([a[0], t[0], t[1], "", a[0] == 2 ? [a[1], t[2]] : [a[1], t[2], 0, 0]]));
      });
      if (fl & 2) out[0][3] = r.canonname || host!;
      return out;
    };
    return r ? build(r) : find(host!, f != 10 || !!(fl & 8), f != 2).then(build);
  });
}
/** gethostbyname_ex's triple: [canonical name, aliases (the other names on the CNAME
 *  chain, without the canonical one or repeats), addresses]; no address: EAI_NONAME. */
export function hostbynameEx(canonname: string, aliases: string[], addrs: string[]): [string, string[], string[]] {
  if (!addrs.length) throw gaierror("EAI_NONAME", canonname + " has no IPv4 address");
  return [canonname, aliases.filter((a, i) => a.toLowerCase() != canonname.toLowerCase() && aliases.indexOf(a) == i), addrs];
}

/** CPython's getfqdn over `byaddr` (gethostbyaddr): it looks up `name` trimmed, or
 *  `hostname` (the board's) when that is empty, "0.0.0.0" or "::", and gives the first
 *  name with a dot among the hostname and aliases found, else the hostname; no answer:
 *  the name looked up. */
export function fqdn(name: string | undefined, hostname: string,
  byaddr: (n: string) => Promise<[string, string[], string[]]>): Promise<string> {
  let n = (name || "").trim();
  if (!n || n == "0.0.0.0" || n == "::") n = hostname;
  return byaddr(n).then((r) => [r[0]].concat(r[1]).filter((x) => x.indexOf(".") >= 0)[0] || r[0], () => n);
}
