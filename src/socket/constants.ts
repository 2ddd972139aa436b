// The socket module's constants, with the values CPython has on Linux (so numbers printed
// on the board read the same as on a desktop). The named exports are the ones camnet's own
// code uses (esbuild inlines them); `constants` holds every public one, built at load time
// from a compact list ("<prefix> <name> <value> ..." groups) to keep the bundle small.
// AF_UNIX, SOCK_SEQPACKET, IPPROTO_SCTP and the like are absent: the board has none of them.

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;

export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;

export const AI_PASSIVE = 1;
export const AI_CANONNAME = 2;
export const AI_NUMERICHOST = 4;
export const AI_V4MAPPED = 8;
export const AI_ALL = 16;
export const AI_ADDRCONFIG = 32;
export const AI_NUMERICSERV = 1024;

/** The EAI_* names in Linux order: EAI_<EAI_NAMES[i]> is -1-i (EAI_BADFLAGS -1, EAI_NONAME -2, ...). */
export const EAI_NAMES = "BADFLAGS NONAME AGAIN FAIL NODATA FAMILY SOCKTYPE SERVICE ADDRFAMILY MEMORY SYSTEM OVERFLOW".split(" ");

/** Every public constant, for `Object.assign(socketModule, constants)`. */
export const constants: { [name: string]: number } = {};

("AF_ UNSPEC 0 INET 2 INET6 10,SOCK_ STREAM 1 DGRAM 2 RAW 3,IPPROTO_ IP 0 ICMP 1 TCP 6 UDP 17 IPV6 41," +
  "AI_ PASSIVE 1 CANONNAME 2 NUMERICHOST 4 V4MAPPED 8 ALL 16 ADDRCONFIG 32 NUMERICSERV 1024," +
  "SO_ REUSEADDR 2 TYPE 3 ERROR 4 BROADCAST 6 KEEPALIVE 9 REUSEPORT 15," +
  "IP_ TTL 2 MULTICAST_IF 32 MULTICAST_TTL 33 MULTICAST_LOOP 34 ADD_MEMBERSHIP 35 DROP_MEMBERSHIP 36," +
  "SHUT_ RD 0 WR 1 RDWR 2, SOL_SOCKET 1 TCP_NODELAY 1 IPV6_V6ONLY 26 INADDR_ANY 0 INADDR_LOOPBACK 2130706433 " +
  "INADDR_BROADCAST 4294967295 MSG_PEEK 2 MSG_DONTWAIT 64").split(",").forEach((group) => {
  const w = group.split(" ");
  for (let i = 1; i < w.length; i += 2) constants[w[0] + w[i]] = +w[i + 1];
});
EAI_NAMES.forEach((name, i) => {
  constants["EAI_" + name] = -1 - i;
});
