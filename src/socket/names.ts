// The socket module's name functions over the board's DNS: getaddrinfo, gethostbyname(_ex),
// gethostbyaddr, getfqdn, gethostname. Python blocks; these return Promises.
import { reverseName, textToIp } from "../dns/ip";
import { createResolver } from "../dns/resolver";
import type { Answer } from "../dns/resolver";
import { dnsServers, hostname } from "../network/index";
import { connectTcp, hostByName, ifconfig, now, openUdp, randomBytes } from "../platform/index";
import { addrinfo, fqdn, hostbynameEx } from "./addrinfo";
import type { AddrInfo, Resolved } from "./addrinfo";
import { oserror } from "./errors";

// gaierror (oserror itself) gives EAI_* codes their errno and leaves others (ETIMEDOUT...)
// plain coded errors
export const resolver = createResolver(openUdp, connectTcp, now, randomBytes, dnsServers, oserror, hostByName);

/** Where `.local` names go (RFC 6762 §3): the mdns module (always in the bundle) installs
 *  its querier here; they never go to unicast DNS. */
export const local: {
  lookup: (name: string, v4: boolean, v6: boolean) => Promise<Resolved & { aliases: string[] }>;
  reverse: (ip: string) => Promise<string>;
} = {} as any;

type Found = Resolved & { aliases: string[] };

/** A name's addresses: localhost, the board's own name and resolver.hosts, then mDNS for
 *  .local, else unicast DNS (A and AAAA asked together). Fails only when every family
 *  asked for failed, with the A error first. */
function lookup(name: string, v4: boolean, v6: boolean): Promise<Found> {
  const n = name.toLowerCase().replace(/\.$/, "");
  const list = /\.localhost$/.test("." + n) ? ["127.0.0.1", "::1"] : n == hostname().toLowerCase() ? [ifconfig().ip] : resolver.hosts[n];
  if (list) {
    return Promise.resolve({
      canonname: name, aliases: [], v4: list.filter((a) => a.indexOf(":") < 0), v6: list.filter((a) => a.indexOf(":") >= 0),
    });
  }
  if (/\.local$/.test(n)) return local.lookup(name, v4, v6);
  const ask = (want: boolean, type: number) => (want ? resolver.query(name, type).catch((e) => e) : 0);
  return Promise.all([ask(v4, 1), ask(v6, 28)]).then((r: (Answer | Error | 0)[]) => {
    const a = r[0] as Answer, b = r[1] as Answer, ok = a.data ? a : b.data ? b : 0;
    if (!ok) throw r[0] || r[1];
    return { canonname: ok.canonname, aliases: ok.aliases, v4: a.data || [], v6: b.data || [] };
  });
}

/** CPython's getaddrinfo: a list of [family, type, proto, canonname, sockaddr]. */
// (its arguments passed on as they came: named parameters would cost a JsVar each, for life)
export const getaddrinfo = function (): Promise<AddrInfo[]> {
  const a: any[] = [].slice.call(arguments, 0, 6);
  // the Linux build's interface is up before we start; on Wi-Fi boards, once joined
  a[6] = { v4_: !CAMNET_BOARD.capabilities.wifi || ifconfig().ip != "0.0.0.0", v6_: CAMNET_BOARD.capabilities.ipv6 };
  a[7] = lookup;
  return (addrinfo as any).apply(0, a);
} as (host: string | null, port: number | string | null, family?: number, type?: number, proto?: number, flags?: number) => Promise<AddrInfo[]>;

/** The board's host name. A function of its own, not network.hostname itself: an argument
 *  given by mistake must not rename the board (CPython's takes none). */
export const gethostname = (): string => hostname();

/** [canonical name, aliases, IPv4 addresses]. */
export const gethostbyname_ex = (name: string): Promise<[string, string[], string[]]> =>
  (textToIp(name) ? Promise.resolve([name, [], [name]] as [string, string[], string[]])
    : lookup(name, true, false).then((r) => hostbynameEx(r.canonname, r.aliases, r.v4)));

/** One IPv4 address of `name`, as CPython gives it. */
export const gethostbyname = (name: string): Promise<string> => gethostbyname_ex(name).then((r) => r[2][0]);

/** [hostname, aliases, [ip]] from the PTR record of `ip` (a name is resolved first). */
export const gethostbyaddr = (ip: string): Promise<[string, string[], string[]]> =>
  (reverseName(ip) ? Promise.resolve(ip) : gethostbyname(ip)).then((a) =>
    // 127.0.0.1 and ::1 as /etc/hosts has them; link-local addresses are asked by mDNS
    (a == "127.0.0.1" || a == "::1" ? Promise.resolve(["localhost"])
      : /^(169\.254\.|fe80:)/i.test(a) ? local.reverse(a).then((n) => [n])
        : resolver.query(reverseName(a), 12).then((r) => r.data as string[]))
      .then((d): [string, string[], string[]] => [d[0], d.slice(1), [a]]));

/** The fully qualified name of `name` (default: this board), as CPython picks it. */
export const getfqdn = (name?: string): Promise<string> => fqdn(name, hostname(), gethostbyaddr);
