// The socket module's constants, with the values CPython has on Linux (so numbers printed
// on the board read the same as on a desktop), built at load time from compact lists (a
// property costs JsVars for life; a list string only while it is read). The named exports
// are for camnet's own code (esbuild drops the unused ones). AF_UNIX, SOCK_SEQPACKET,
// IPPROTO_SCTP and the like are absent: the board has none of them. EAI_* are Linux's gai error numbers (gaierror's errno).

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

/** The name functions' public constants; the module object itself (socket/index.ts). */
export const constants: { [name: string]: number } = {};

/** Adds a compact list to `into`: a word ending in "_" is a prefix for the names after it,
 *  then "<name> <value>" pairs; a name without a value is the one before it plus 1. */
export function addConstants(into: { [name: string]: unknown }, list: string): void {
  for (let i = 0, words = list.split(" "), w: string, prefix = "", key = "", v = 0; i < words.length; i++) {
    // (no regex here: minified, a regex right after the for-header reads as a division to Espruino)
    w = words[i];
    if (w.slice(-1) == "_") prefix = w;
    else if (w == +w as any) into[key] = v = +w;
    else into[key = prefix + w] = ++v;
  }
}

addConstants(constants, "AF_ UNSPEC 0 INET 2 INET6 10 SOCK_ STREAM 1 DGRAM RAW " +
  "IPPROTO_ IP 0 ICMP TCP 6 UDP 17 IPV6 41 " +
  "AI_ PASSIVE 1 CANONNAME NUMERICHOST 4 V4MAPPED 8 ALL 16 ADDRCONFIG 32 NUMERICSERV 1024 " +
  "EAI_ OVERFLOW -12 SYSTEM MEMORY ADDRFAMILY SERVICE SOCKTYPE FAMILY NODATA FAIL AGAIN NONAME BADFLAGS");

/** The socket objects' option, shutdown and flag constants: added with the objects
 *  (runtime.ts), so a bundle without socket objects (the firmware) holds none of them. */
export const OBJECT_CONSTANTS = "SOL_SOCKET 1 TCP_NODELAY 1 IPV6_V6ONLY 26 " +
  "SO_ REUSEADDR 2 TYPE ERROR BROADCAST 6 KEEPALIVE 9 REUSEPORT 15 " +
  "IP_ TTL 2 MULTICAST_IF 32 MULTICAST_TTL MULTICAST_LOOP ADD_MEMBERSHIP DROP_MEMBERSHIP " +
  "SHUT_ RD 0 WR RDWR MSG_ PEEK 2 DONTWAIT 64 INADDR_ ANY 0 LOOPBACK 2130706433 BROADCAST 4294967295";
