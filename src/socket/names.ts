// The socket module's name functions over the board's DNS: getaddrinfo, gethostbyname(_ex),
// gethostbyaddr, getfqdn, gethostname. Python blocks; these return Promises.
import { reverseName, textToIpv4 } from "../dns/ip";
import { TYPE_A, TYPE_AAAA, TYPE_PTR } from "../dns/message";
import { createResolver } from "../dns/resolver";
import type { Answer } from "../dns/resolver";
import { dnsServers, hostname } from "../network/index";
import {
  caps, codedError, connectTcp, hostByName, ifconfig, now, openUdp, randomBytes,
} from "../platform/index";
import {
  buildAddrInfo, checkAddrInfoRequest, fqdnQuery, hostbynameEx, pickFqdn,
} from "./addrinfo";
import type { AddrEnv, AddrInfo, Resolved } from "./addrinfo";
import { gaierror } from "./errors";

export const resolver = createResolver({
  openUdp, now, randomBytes, hostByName,
  connectTcp: (host, port) => connectTcp(host, port),
  servers: dnsServers,
  error: (code, message) => (code.indexOf("EAI_") ? codedError(code, message) : gaierror(code, message)),
});

/** Where `.local` names go (RFC 6762 §3): the mdns module installs its querier here.
 *  Until then they fail with EAI_NONAME; they never go to unicast DNS. */
export const local: {
  lookup: ((name: string, v4: boolean, v6: boolean) => Promise<Resolved & { aliases: string[] }>) | null;
  reverse: ((ip: string) => Promise<string>) | null;
} = { lookup: null, reverse: null };

function env(): AddrEnv {
  // The Linux build's interface is up before we start; on Wi-Fi boards, once joined.
  return { hasV4: !caps.wifi || ifconfig().ip != "0.0.0.0", hasV6: caps.ipv6 };
}

/** A name's addresses: the hosts table, then mDNS for .local, else unicast DNS (A and
 *  AAAA asked together). Fails only when every family failed, with the A error first. */
function lookup(name: string, v4: boolean, v6: boolean): Promise<Resolved & { aliases: string[] }> {
  const n = name.toLowerCase().replace(/\.$/, "");
  const self = hostname().toLowerCase();
  // `n` is the domain `d` or a name under it
  const under = (d: string): boolean => n == d || n.slice(-d.length - 1) == "." + d;
  const no = (why: string) => Promise.reject(gaierror("EAI_NONAME", name + " is " + why));
  if (under("localhost")) return Promise.resolve({ canonname: name, aliases: [], v4: ["127.0.0.1"], v6: ["::1"] });
  if (n == self || resolver.hosts[n]) {
    const list = n == self ? [ifconfig().ip] : resolver.hosts[n];
    return Promise.resolve({ canonname: name, aliases: [], v4: list.filter((a) => a.indexOf(":") < 0), v6: list.filter((a) => a.indexOf(":") >= 0) });
  }
  if (under("local")) return local.lookup ? local.lookup(name, v4, v6) : no("mDNS and no mDNS querier runs: start mdns");
  if (under("invalid")) return no("reserved (RFC 6761)");
  const out: (Answer | Error)[] = [];
  const ask = (want: boolean, type: number, i: number): Promise<void> => (want
    ? resolver.query(name, type).then((a) => { out[i] = a; }, (e) => { out[i] = e; })
    : Promise.resolve());
  return Promise.all([ask(v4, TYPE_A, 0), ask(v6, TYPE_AAAA, 1)]).then(() => {
    const a = out[0] as Answer | undefined, aaaa = out[1] as Answer | undefined;
    const first = (a && (a as Answer).data ? a : aaaa && (aaaa as Answer).data ? aaaa : null) as Answer | null;
    if (!first) throw out[0] || out[1];
    return {
      canonname: first.canonname, aliases: first.aliases,
      v4: a && a.data ? a.data : [], v6: aaaa && aaaa.data ? aaaa.data : [],
    };
  });
}

/** CPython's getaddrinfo: a list of [family, type, proto, canonname, sockaddr]. */
export function getaddrinfo(host: string | null, port: number | string | null, family?: number,
  type?: number, proto?: number, flags?: number): Promise<AddrInfo[]> {
  const req = { host, port, family: family || 0, type: type || 0, proto: proto || 0, flags: flags || 0 };
  try {
    const e = env();
    const plan = checkAddrInfoRequest(req, e);
    if (plan.name == null) return Promise.resolve(buildAddrInfo(req, { canonname: "", v4: [], v6: [] }, e, plan));
    return lookup(plan.name, plan.v4, plan.v6).then((r) => buildAddrInfo(req, r, e, plan));
  } catch (err) {
    return Promise.reject(err);
  }
}

export function gethostname(): string {
  return hostname();
}

/** [canonical name, aliases, IPv4 addresses]. */
export function gethostbyname_ex(name: string): Promise<[string, string[], string[]]> {
  if (textToIpv4(name)) return Promise.resolve([name, [], [name]]);
  return lookup(name, true, false).then((r) => hostbynameEx(r.canonname, r.aliases, r.v4));
}

/** One IPv4 address of `name`, as CPython gives it. */
export function gethostbyname(name: string): Promise<string> {
  return gethostbyname_ex(name).then((r) => r[2][0]);
}

/** [hostname, aliases, [ip]] from the PTR record of `ip` (a name is resolved first). */
export function gethostbyaddr(ip: string): Promise<[string, string[], string[]]> {
  const addr = textToIpv4(ip) || ip.indexOf(":") >= 0 ? Promise.resolve(ip) : gethostbyname(ip);
  return addr.then((a) => {
    if (a == "127.0.0.1" || a == "::1") return ["localhost", [], [a]] as [string, string[], string[]]; // as /etc/hosts has it
    const rev = reverseName(a);
    if (!rev) throw gaierror("EAI_NONAME", a + " is not an IP address");
    // Link-local addresses have no unicast DNS: their names are asked by mDNS.
    if (local.reverse && (/^169\.254\./.test(a) || /^fe80:/i.test(a))) {
      return local.reverse(a).then((n) => [n, [], [a]] as [string, string[], string[]]);
    }
    return resolver.query(rev, TYPE_PTR).then((r) => [r.data[0], r.data.slice(1), [a]] as [string, string[], string[]]);
  });
}

/** The fully qualified name of `name` (default: this board), as CPython picks it. */
export function getfqdn(name?: string): Promise<string> {
  const n = fqdnQuery(name, hostname());
  return gethostbyaddr(n).then(pickFqdn, () => n);
}

