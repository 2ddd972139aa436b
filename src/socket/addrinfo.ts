// getaddrinfo's rules as pure functions, following glibc (what CPython on Linux calls):
//
//   checkAddrInfoRequest(req, env)  every check that needs no network, in glibc's order,
//                                   and what the resolver must look up (the plan);
//   buildAddrInfo(req, resolved, env)  the result list from what the resolver found.
//
// Where the board differs from glibc on purpose:
//   - host "" means the same as None (loopback, or the wildcard with AI_PASSIVE), as the
//     seeds describe; glibc answers EAI_NONAME. "*" is None in both.
//   - a port outside 0-65535 is EAI_SERVICE; glibc silently takes it modulo 65536.
//   - no SCTP / DCCP / UDP-Lite: SOCK_SEQPACKET is EAI_SOCKTYPE, and a protocol other than
//     TCP or UDP with type 0 selects SOCK_RAW (which takes no port).
//   - no IPv6 zone ("fe80::1%eth0"): such a host is a name, EAI_NONAME with AI_NUMERICHOST.
//   - env.hasV6 counts a routable IPv6 address only; glibc's AI_ADDRCONFIG also counts
//     link-local ones.
//
// Address order: RFC 6724 §6 destination rules, with the board's source addresses inferred
// (it has one interface): 1 avoid unusable (IPv4 needs env.hasV4, IPv6 and ::1 env.hasV6,
// 127/8 always works), 2 prefer matching scope (only 169.254/16 misses: the board's IPv4
// source is taken to be routable), 5 prefer matching label (the IPv6 source is taken to be
// a plain global or link-local address, label 1), 6 higher precedence (§2.1 default table),
// 8 smaller scope, 10 otherwise the resolver's order. Rules 3, 4 and 7 need state the board
// lacks (deprecated, home and tunnel addresses) and rule 9 (longest prefix) is skipped,
// which keeps DNS round-robin order. The outcome: an IPv4-only board lists IPv4 first; a
// dual-stack board lists global IPv6 first, then IPv4; loopback lists ::1 first only when
// IPv6 works; the passive wildcard lists 0.0.0.0 before ::, as Linux does.
import { ipv4ToText, putIpv4, textToIpv6 } from "../dns/ip";
import {
  AF_INET, AF_INET6, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE,
  AI_V4MAPPED, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
} from "./constants";
import { gaierror } from "./errors";
import { ipv6Text, parseIpv4Lenient } from "./inet";
import { servicePort } from "./services";

/** The arguments of getaddrinfo(host, port, family, type, proto, flags). */
export interface AddrInfoRequest {
  host: string | null;
  port: number | string | null;
  family: number;
  type: number;
  proto: number;
  flags: number;
}

/** What the resolver found for `plan.name`: the canonical name (the end of the CNAME
 *  chain, or the name itself) and the A and AAAA addresses as text, in answer order. */
export interface Resolved {
  canonname: string;
  v4: string[];
  v6: string[];
}

/** The board's addresses: a non-loopback IPv4 address; a routable IPv6 address. */
export interface AddrEnv {
  hasV4: boolean;
  hasV6: boolean;
}

/** [ip, port] for AF_INET, [ip, port, flowinfo, scope_id] for AF_INET6. */
export type SockAddr = [string, number] | [string, number, number, number];
/** [family, type, proto, canonname, sockaddr]: `[0][4]` is Python's `[0][-1]`. */
export type AddrInfo = [number, number, number, string, SockAddr];

export interface AddrInfoPlan {
  /** The name to resolve; null when none is needed (empty host or a numeric address). */
  name: string | null;
  /** Which records to ask for (A, AAAA) when `name` is set. */
  v4: boolean;
  v6: boolean;
  /** The family after AI_ADDRCONFIG narrowed AF_UNSPEC. */
  family: number;
  /** [family, ip text] of the empty or numeric host (empty when `name` is set). */
  addrs: [number, string][];
  /** [type, proto, port] of each entry per address. */
  kinds: number[][];
}

/** A numeric host as getaddrinfo reads it: IPv4 in inet_aton's syntax without trailing
 *  text ("127.1"), else any IPv6 text. [family, canonical text], or null for a name. */
export function parseNumericHost(host: string): [number, string] | null {
  const b4 = parseIpv4Lenient(host, true);
  if (b4) return [AF_INET, ipv4ToText(b4)];
  const b6 = host.indexOf(":") >= 0 ? textToIpv6(host) : null; // no colon, no IPv6 (the usual name)
  return b6 ? [AF_INET6, ipv6Text(b6)] : null;
}

// glibc's socket types without SCTP/DCCP/UDP-Lite: [type, proto, transport for the service
// table]; SOCK_RAW takes any protocol and no service.
const KINDS: [number, number, string][] = [[SOCK_STREAM, IPPROTO_TCP, "tcp"], [SOCK_DGRAM, IPPROTO_UDP, "udp"], [SOCK_RAW, 0, ""]];

/** Every getaddrinfo check that needs no network, in glibc's order; throws the gaierror
 *  glibc would give. Returns what to look up and how to shape the entries. */
export function checkAddrInfoRequest(req: AddrInfoRequest, env: AddrEnv): AddrInfoPlan {
  const host = req.host, flags = req.flags, type = req.type, proto = req.proto;
  const empty = !host || host == "*";
  let family = req.family, service = req.port === "" ? null : req.port;
  if (empty && req.port == null) throw gaierror("EAI_NONAME", "no host and no port");
  if (flags & ~0x7ff || flags & AI_CANONNAME && empty) throw gaierror("EAI_BADFLAGS", "flags " + flags + (empty ? " without a host" : ""));
  if (family && family != AF_INET && family != AF_INET6) throw gaierror("EAI_FAMILY", "family " + family);
  if (flags & AI_ADDRCONFIG) {
    if (!family) {
      if (env.hasV4 != env.hasV6) family = env.hasV4 ? AF_INET : AF_INET6;
    } else if (family == AF_INET ? !env.hasV4 : !env.hasV6) {
      throw gaierror("EAI_NONAME", "AI_ADDRCONFIG and no address of family " + family + " yet");
    }
  }
  if (typeof service == "string" && /^\d+$/.test(service)) service = +service;
  if (typeof service == "string" && flags & AI_NUMERICSERV) throw gaierror("EAI_NONAME", "AI_NUMERICSERV and port " + service);
  if (typeof service == "number" && !(service >= 0 && service <= 65535 && service % 1 == 0)) throw gaierror("EAI_SERVICE", "port " + service);
  // the socket types, as glibc's get_servtuples picks them
  const kinds: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const k = KINDS[i];
    if (type && type != k[0] || proto && k[2] && proto != k[1]) continue;
    const port = typeof service == "string" ? k[2] ? servicePort(service, k[2]) : -1 : service || 0;
    if (type || proto) {
      // one type asked for (or implied by the protocol): its service must exist
      if (service != null && (port < 0 || !k[2])) throw gaierror("EAI_SERVICE", "port " + service + " for type " + k[0]);
      kinds.push([k[0], k[2] ? k[1] : proto, port]);
      break;
    }
    if (port >= 0) kinds.push([k[0], k[1], port]);
  }
  // a type no row has (with type 0 a protocol always finds SOCK_RAW), or an unknown service
  if (!kinds.length) throw type ? gaierror("EAI_SOCKTYPE", "type " + type + " proto " + proto) : gaierror("EAI_SERVICE", "port " + service);
  // the host: none, numeric, or a name to resolve
  const addrs: [number, string][] = [];
  let name: string | null = null;
  if (empty) {
    const passive = flags & AI_PASSIVE;
    if (family != AF_INET) addrs.push([AF_INET6, passive ? "::" : "::1"]);
    if (family != AF_INET6) addrs.push([AF_INET, passive ? "0.0.0.0" : "127.0.0.1"]);
  } else {
    const n = parseNumericHost(host);
    if (n) {
      if (family && n[0] != family) {
        if (n[0] == AF_INET && flags & AI_V4MAPPED) n[1] = "::ffff:" + n[1];
        else if (n[0] == AF_INET6 && !n[1].indexOf("::ffff:") && n[1].indexOf(".") > 0) n[1] = n[1].slice(7);
        else throw gaierror("EAI_ADDRFAMILY", host + " for family " + family);
        n[0] = family;
      }
      addrs.push(n);
    } else if (flags & AI_NUMERICHOST) {
      throw gaierror("EAI_NONAME", "AI_NUMERICHOST and " + host);
    } else name = host;
  }
  return { name, v4: family != AF_INET6 || !!(flags & AI_V4MAPPED), v6: family != AF_INET, family, addrs, kinds };
}

/** RFC 6724 sort key of one destination (see the top of this file); smaller sorts first.
 *  IPv4 is looked at as ::ffff:a.b.c.d, so mapped AF_INET6 results rank as IPv4. */
function sortKey(family: number, ip: string, env: AddrEnv): number[] {
  let b: Uint8Array = new Uint8Array(16);
  if (family == AF_INET) {
    b[10] = b[11] = 255; // ::ffff:a.b.c.d, built without parsing text
    putIpv4(ip, b, 12);
  } else b = textToIpv6(ip) || b;
  let z = 0;
  for (let i = 0; i < 10; i++) z |= b[i];
  // ::ffff:0:0/96 (IPv4), ::/96, loopback (127/8 or ::1), first 10 bits
  const mapped = !z && (b[10] & b[11]) == 255, compat = !(z | b[10] | b[11]), w0 = b[0] << 8 | b[1], t10 = w0 >> 6;
  const loop = mapped ? b[12] == 127 : compat && !(b[12] | b[13] | b[14]) && b[15] == 1;
  // [precedence, label] from the RFC 6724 §2.1 policy table
  const pl = mapped ? [35, 4] : loop ? [50, 0] : compat ? [1, 3] : w0 == 0x2002 ? [30, 2] : w0 == 0x2001 && !(b[2] | b[3]) ? [5, 5]
    : (b[0] & 254) == 252 ? [3, 13] : t10 == 1019 ? [1, 11] : w0 == 0x3ffe ? [1, 12] : [40, 1];
  // scope: loopback and link-local (169.254/16, fe80::/10) 2, site-local 5, multicast its own
  const scope = loop || (mapped ? b[12] == 169 && b[13] == 254 : t10 == 1018) ? 2 : mapped ? 14 : b[0] == 255 ? b[1] & 15 : t10 == 1019 ? 5 : 14;
  return [
    loop && mapped || (mapped ? env.hasV4 : env.hasV6) ? 0 : 1, // rule 1
    mapped && scope == 2 && !loop ? 1 : 0, // rule 2
    pl[1] == (mapped ? 4 : loop ? 0 : 1) ? 0 : 1, // rule 5
    -pl[0], // rule 6
    scope, // rule 8
  ];
}

/**
 * The getaddrinfo result: one entry per address and socket type, addresses in RFC 6724
 * order, canonname in the first entry only (with AI_CANONNAME). `resolved` is what the
 * resolver found for `checkAddrInfoRequest(req, env).name` (ignored when that is null).
 * Throws EAI_NONAME when no address of the wanted family is left.
 */
export function buildAddrInfo(req: AddrInfoRequest, resolved: Resolved, env: AddrEnv, checked?: AddrInfoPlan): AddrInfo[] {
  // `checked`: the plan the caller already made for this req and env (spares a second check)
  const plan = checked || checkAddrInfoRequest(req, env), flags = req.flags, family = plan.family;
  let addrs = plan.addrs, canon = req.host || "";
  if (plan.name != null) {
    canon = resolved.canonname || plan.name;
    const v6 = family != AF_INET ? resolved.v6 : [];
    // AF_INET6 takes IPv4 only as mapped addresses: with AI_V4MAPPED when there is no
    // IPv6 address, or always with AI_ALL as well
    const v4 = family != AF_INET6 || flags & AI_V4MAPPED && (flags & AI_ALL || !v6.length) ? resolved.v4 : [];
    addrs = [];
    v4.forEach((a) => addrs.push(family == AF_INET6 ? [AF_INET6, "::ffff:" + a] : [AF_INET, a]));
    v6.forEach((a) => addrs.push([AF_INET6, a]));
    if (!addrs.length) {
      throw gaierror("EAI_NONAME", plan.name + " has no address of family " + family);
    }
  }
  // one address needs no ordering (the common case, and the cost of a cached look-up)
  const keys = addrs.length > 1 ? addrs.map((a, i) => sortKey(a[0], a[1], env).concat(i)) : [[0]];
  const order = keys.map((k, i) => i).sort((x, y) => {
    const a = keys[x], b = keys[y];
    let i = 0;
    while (a[i] == b[i]) i++;
    return a[i] - b[i];
  });
  const out: AddrInfo[] = [];
  order.forEach((i) => {
    const a = addrs[i];
    plan.kinds.forEach((k) => out.push([a[0], k[0], k[1], "", a[0] == AF_INET ? [a[1], k[2]] : [a[1], k[2], 0, 0]]));
  });
  if (flags & AI_CANONNAME) out[0][3] = canon;
  return out;
}

/** gethostbyname_ex's triple: [canonical name, aliases (the other names on the CNAME
 *  chain, without the canonical one or repeats), addresses]; no address: EAI_NONAME. */
export function hostbynameEx(canonname: string, aliases: string[], addrs: string[]): [string, string[], string[]] {
  if (!addrs.length) throw gaierror("EAI_NONAME", canonname + " has no IPv4 address");
  const other: string[] = [];
  aliases.forEach((a) => {
    if (a.toLowerCase() != canonname.toLowerCase() && other.indexOf(a) < 0) other.push(a);
  });
  return [canonname, other, addrs];
}

/** The name getfqdn(name) looks up: `name` trimmed, or the board's host name when that is
 *  empty, "0.0.0.0" or "::" (CPython's rule). */
export function fqdnQuery(name: string | undefined, hostname: string): string {
  const n = (name || "").trim();
  return !n || n == "0.0.0.0" || n == "::" ? hostname : n;
}

/** getfqdn's pick from gethostbyaddr's [hostname, aliases, addresses]: the first name with
 *  a dot among hostname and aliases, else the hostname. (When gethostbyaddr fails,
 *  getfqdn returns fqdnQuery's name.) */
export function pickFqdn(hostbyaddr: [string, string[], string[]]): string {
  const names = [hostbyaddr[0]].concat(hostbyaddr[1]);
  for (let i = 0; i < names.length; i++) if (names[i].indexOf(".") >= 0) return names[i];
  return hostbyaddr[0];
}
