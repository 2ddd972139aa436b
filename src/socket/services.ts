// Service and protocol names: the board has no /etc/services or /etc/protocols, so a small
// table stands in for them. Entries and their transports follow Debian 12's netbase (what
// CPython on Linux reads), so getaddrinfo("host", "http") gives a TCP entry only and
// "ntp" a UDP one only. Differences from netbase: 143 is named "imap" (alias "imap2"), as
// IANA and the seeds name it; mqtt / secure-mqtt come from IANA; only common services.
// Look-ups are case-sensitive, like glibc's.
import { oserror } from "./errors";

/** socket.getservbyname("www") -> 80 and socket.getservbyport(80) -> "http" (a number first),
 *  one function for both, over `proto` ("tcp", "udp", or any when absent); unknown: ENOENT
 *  "service/proto not found" ("port/proto" for a port), or -1 with `soft` (getaddrinfo's
 *  look-up); a port outside 0-65535: EINVAL "getservbyport: port must be 0-65535."
 *  (OverflowError in CPython). */
export function getservbyname(key: string | number, proto?: string, soft?: unknown): any {
  const port = typeof key == "number";
  if (port && !(key >= 0 && key <= 65535 && key % 1 == 0)) // (no whole number in 0-65535)
    throw oserror("EINVAL", "getservbyport: port must be 0-65535.");
  // "port transports name aliases...": transports t (tcp), u (udp) or tu (both). One string
  // split on each look-up, held only while one runs (not for the board's life).
  const all = ("7 tu echo,20 t ftp-data,21 t ftp,22 t ssh,23 t telnet,25 t smtp mail,53 tu domain,69 u tftp," +
    "70 t gopher,80 t http www,110 t pop3,123 u ntp,143 t imap imap2,161 tu snmp,443 tu https,554 tu rtsp," +
    "993 t imaps,995 t pop3s,1883 tu mqtt,5353 u mdns,8883 tu secure-mqtt").split(",");
  for (let i = 0; i < all.length; i++) {
    const f = all[i].split(" ");
    if ((port ? f[0] == key as any : f.indexOf(key as string) > 1) &&
      (!proto || f[1].indexOf(({ tcp: "t", udp: "u" } as any)[proto]) >= 0)) return port ? f[2] : +f[0];
  }
  if (soft) return -1;
  throw oserror("ENOENT", (port ? "port" : "service") + "/proto not found: " + key + (proto ? "/" + proto : ""));
}
export const getservbyport = getservbyname as (port: number, proto?: string) => string;

/** socket.getprotobyname("udp") or ("UDP") -> 17; unknown: ENOENT "protocol not found". */
export function getprotobyname(name: string): number {
  // /etc/protocols: name and number; each also answers to its alias ("ICMP", "IPv6")
  const p = "ip IP 0 icmp ICMP 1 igmp IGMP 2 tcp TCP 6 udp UDP 17 ipv6 IPv6 41 ipv6-icmp IPv6-ICMP 58".split(" "), i = p.indexOf(name);
  if (i < 0 || i % 3 > 1) throw oserror("ENOENT", "protocol not found: " + name);
  return +p[i + 2 - i % 3];
}
