// The `mdns` module: the always-on responder, started by the runtime on every link-up with
// netHostname() (nothing for the app to call), service adverts that survive link
// changes, and the .local querier behind socket.getaddrinfo and friends.
import { TYPE_A, TYPE_AAAA } from "../dns/message";
import { events as netEvents, hostname as netHostname, STA_IF, WLAN } from "../network/index";
import { caps, ifconfig, now, openUdp } from "../platform/index";
import { local } from "../socket/names";
import { browse as browseWith, query as queryWith, Responder, reverseLookup } from "./index";
import type { MdnsIO, Service } from "./index";

const io: MdnsIO = {
  openUdp, now, random: Math.random,
  address: () => ifconfig().ip,
  // looked up at each call (not captured), so a wrapper installed later sees our timers
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** One responder for the board's life, started on every link-up and stopped on link-down;
 *  its services survive link changes. Stock ESP32 firmware already answers <name>.local
 *  with ESP-IDF's responder (nativeMdns): a second responder for the same name would
 *  fight it, so ours then answers only the services, and only once the app advertises one. */
const r = new Responder(io, { hostname: netHostname(), hostRecords: !caps.nativeMdns });
let on = false;
const up = (): boolean => WLAN(STA_IF).isconnected();

/** Events: "claimed" (name), "conflict" (old, new). */
export const events = r;
// A conflict renamed our host: the board takes the new name everywhere.
r.on("conflict", (old: string, n: string) => old === netHostname() && netHostname(n));

function start(): void {
  if (!on && (!caps.nativeMdns || r.services.length)) {
    on = true;
    r.start().catch(() => (on = false));
  }
}

function stop(): void {
  if (on) r.stop();
  on = false;
}

netEvents.on("connected", () => (on ? r.addressChanged() : start()));
netEvents.on("disconnecting", stop); // the link is still up: goodbyes can go out
netEvents.on("disconnected", stop);
netEvents.on("hostname", (n: string) => r.rename(n));
if (up()) start();

/** Advertises a DNS-SD service, e.g. advertise("_http._tcp", 80, {path: "/"}). */
export function advertise(type: string, port: number, txt?: { [k: string]: string }): Service {
  const s = r.advertise(type, port, txt);
  if (up()) start();
  return s;
}

/** Withdraws an advert, with goodbyes for its records. */
export const withdraw = (s: Service): void => r.withdraw(s);

export const query = (name: string, type?: number, timeoutMs?: number) => queryWith(io, name, type || TYPE_A, timeoutMs);
export const browse = (type: string, timeoutMs?: number) => browseWith(io, type, timeoutMs);
export const reverse = (ip: string) => reverseLookup(io, ip);
/** The name the responder holds (after any conflict renaming), or null when not running. */
export const hostname = (): string | null => (on ? r.hostname : null);

// .local names in getaddrinfo, gethostbyname and friends come here, never to unicast DNS:
// A and AAAA (as the caller wants) asked together.
local.lookup = (name, v4, v6) => queryWith(io, name, v6 ? v4 ? [TYPE_A, TYPE_AAAA] : TYPE_AAAA : TYPE_A).then((rrs) => {
  const of = (t: number): string[] => rrs.filter((x) => x.type == t).map((x) => x.data as string);
  return { canonname: name, aliases: [], v4: of(TYPE_A), v6: of(TYPE_AAAA) };
});
local.reverse = reverse;
