// mdns: the always-on responder for <hostname>.local and DNS-SD service adverts, and the
// .local querier (query, browse, reverseLookup). IO is handed in (MdnsIO), so the same
// code runs on the board, in the emulator and in unit tests with fake sockets and timers.
export { Responder, reverseName } from "./responder";
export type { ResponderOptions, Service } from "./responder";
export { browse, query, reverseLookup } from "./querier";
export type { Found } from "./querier";
export { GROUP, PORT } from "./wire";
export type { MdnsIO } from "./wire";
