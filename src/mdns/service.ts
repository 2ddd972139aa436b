// The `mdns` module: the always-on responder, started by the runtime on every link-up with
// netHostname() (nothing for the app to call), service adverts that survive link
// changes, and the .local querier behind socket.getaddrinfo and friends.
import { TYPE_A, TYPE_AAAA } from "../dns/message";
import { events as netEvents, hostname as netHostname, STA_IF, WLAN } from "../network/index";
import { ifconfig, now, openUdp } from "../platform/index";
import { local } from "../socket/names";
import { browse as browseWith, query as queryWith, Responder, reverseLookup } from "./index";
import type { MdnsIO, Service } from "./index";

const io: MdnsIO = {
  openUdp, now, random: Math.random, ifconfig,
  // Espruino's throws on undefined (no timer); timer ids start at 1
  clearTimeout: (t) => t && clearTimeout(t as any),
  // looked up at each call (not captured), so a wrapper installed later sees our timers
  setTimeout: (f, ms) => setTimeout(f, ms),
};

/** One responder for the board's life, started on every link-up and stopped on link-down;
 *  its services survive link changes. Stock ESP32 firmware already answers <name>.local
 *  with ESP-IDF's responder (nativeMdns): a second responder for the same name would
 *  fight it, so ours then answers only the services, and only once the app advertises one. */
const r = new Responder(io, { hostname: netHostname() });
let on = false;

// The link's events, one listener: "connected" (with the interface config, an array):
// start (if there is something to answer), or re-probe at a new address; "disconnecting"
// (the link is still up: goodbyes can go out) and "disconnected" (a reason or nothing): stop.
const link = (c?: unknown): void => {
  if (typeof c != "object") {
    if (on) r.stop();
    on = false;
  } else if (on || !CAMNET_BOARD.capabilities.nativeMdns || r.services.length) {
    on = true;
    r.start().catch(() => (on = false));
  }
};
// Our host name, one listener: the network's "hostname" (new) renames the responder; the
// responder's "conflict" (old, new) on our host name renames the board everywhere.
const named = (a: string, b?: string): unknown => b === undefined ? r.rename(a) : a === netHostname() && netHostname(b);
netEvents.on("connected", link).on("disconnecting", link).on("disconnected", link).on("hostname", named);
// (no host records where the firmware answers the host name: no conflict on it)
if (!CAMNET_BOARD.capabilities.nativeMdns) r.on("conflict", named);
if (WLAN(STA_IF).isconnected()) link([]);

/** Advertises a DNS-SD service, e.g. advertise("_http._tcp", 80, {path: "/"}); also
 *  withdraw(service), like the responder's (one function tells them apart by the arguments). */
const advertise = (type: string | Service, port?: number, txt?: { [k: string]: string }): Service => {
  const s = r.advertise(type as string, port!, txt);
  if (!on && WLAN(STA_IF).isconnected()) link([]);
  return s;
};

/** The module: one plain object (no getter per export, as `import *` would make). */
export const mdns = {
  /** Events: "claimed" (name), "conflict" (old, new). */
  events: r,
  advertise: advertise as (type: string, port: number, txt?: { [k: string]: string }) => Service,
  /** Withdraws an advert, with goodbyes for its records. */
  withdraw: advertise as (s: Service) => void,
  query: (name: string, type?: number, timeoutMs?: number) => queryWith(io, name, type || TYPE_A, timeoutMs),
  browse: (type: string, timeoutMs?: number) => browseWith(io, type, timeoutMs),
  reverse: (ip: string) => reverseLookup(io, ip),
  /** The name the responder holds (after any conflict renaming), or null when not running. */
  hostname: (): string | null => (on ? r.hostname : null),
};

// .local names in getaddrinfo, gethostbyname and friends come here, never to unicast DNS:
// A and AAAA (as the caller wants) asked together.
local.lookup = (name, v4, v6) => queryWith(io, name, v6 ? v4 ? [TYPE_A, TYPE_AAAA] : TYPE_AAAA : TYPE_A).then((rrs) => {
  const of = (t: number): string[] => rrs.filter((x) => x.type == t).map((x) => x.data as string);
  return { canonname: name, aliases: [], v4: of(TYPE_A), v6: of(TYPE_AAAA) };
});
local.reverse = mdns.reverse;
