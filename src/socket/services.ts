// Service and protocol names: the board has no /etc/services or /etc/protocols, so a small
// table stands in for them. Entries and their transports follow Debian 12's netbase (what
// CPython on Linux reads), so getaddrinfo("host", "http") gives a TCP entry only and
// "ntp" a UDP one only. Differences from netbase: 143 is named "imap" (alias "imap2"), as
// IANA and the seeds name it; mqtt / secure-mqtt come from IANA; only common services.
// Look-ups are case-sensitive, like glibc's.
import { oserror } from "./errors";

// "name port transports aliases...": transports t = tcp only, u = udp only, b = both.
const SERVICES = ("echo 7 b,ftp-data 20 t,ftp 21 t,ssh 22 t,telnet 23 t,smtp 25 t mail,domain 53 b,tftp 69 u," +
  "gopher 70 t,http 80 t www,pop3 110 t,ntp 123 u,imap 143 t imap2,snmp 161 b,https 443 b,rtsp 554 b," +
  "imaps 993 t,pop3s 995 t,mqtt 1883 b,mdns 5353 u,secure-mqtt 8883 b").split(",");

/** The table entry for a service name (or alias) or a port number, over `proto` ("tcp",
 *  "udp", or any when absent), as its fields; undefined when there is none. */
function findService(key: string | number, proto?: string): string[] | undefined {
  for (let i = 0; i < SERVICES.length; i++) {
    const f = SERVICES[i].split(" ");
    if ((typeof key == "number" ? f[1] == "" + key : f[0] == key || f.indexOf(key) > 2) &&
      (proto == "tcp" ? f[2] != "u" : proto == "udp" ? f[2] != "t" : !proto)) return f;
  }
}

/** The port of service `name` over `proto`, or -1 when the table has none (getaddrinfo's use). */
export function servicePort(name: string, proto: string): number {
  const f = findService(name, proto);
  return f ? +f[1] : -1;
}

/** "service/proto not found: gopherx/tcp", as CPython words it, with what was asked. */
const notFound = (what: string, key: string | number, proto?: string) =>
  oserror("ENOENT", what + " not found: " + key + (proto ? "/" + proto : ""));

/** socket.getservbyname("www") -> 80; unknown: Error code ENOENT "service/proto not found". */
export function getservbyname(name: string, proto?: string): number {
  const f = findService(name, proto);
  if (!f) throw notFound("service/proto", name, proto);
  return +f[1];
}

/** socket.getservbyport(80) -> "http"; unknown: ENOENT "port/proto not found"; a port
 *  outside 0-65535: EINVAL "getservbyport: port must be 0-65535." (OverflowError in CPython). */
export function getservbyport(port: number, proto?: string): string {
  if (!(port >= 0 && port <= 65535 && port % 1 == 0)) throw oserror("EINVAL", "getservbyport: port must be 0-65535.");
  const f = findService(port, proto);
  if (!f) throw notFound("port/proto", port, proto);
  return f[0];
}

// /etc/protocols: name and number; each also answers to its upper-case alias ("IPv6" for ipv6).
const PROTOCOLS = "ip 0,icmp 1,igmp 2,tcp 6,udp 17,ipv6 41,ipv6-icmp 58".split(",");

/** socket.getprotobyname("udp") or ("UDP") -> 17; unknown: ENOENT "protocol not found". */
export function getprotobyname(name: string): number {
  for (let i = 0; i < PROTOCOLS.length; i++) {
    const f = PROTOCOLS[i].split(" ");
    if (name == f[0] || name == f[0].toUpperCase().replace("IPV6", "IPv6")) return +f[1];
  }
  throw notFound("protocol", name);
}
