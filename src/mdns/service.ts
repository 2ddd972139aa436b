// The `mdns` module: the always-on responder, started by the runtime on every link-up with
// netHostname() (nothing for the app to call), service adverts that survive link
// changes, and the .local querier behind socket.getaddrinfo and friends.
import { TYPE_A, TYPE_AAAA } from "../dns/message";
import { events as netEvents, hostname as netHostname, STA_IF, WLAN } from "../network/index";
import { caps, ifconfig, now, openUdp } from "../platform/index";
import { local } from "../socket/names";
import { Emitter } from "../util/events";
import { browse as browseWith, query as queryWith, Responder, reverseLookup } from "./index";
import type { MdnsIO, Service } from "./index";

const io: MdnsIO = {
  openUdp, now, random: Math.random,
  address: () => ifconfig().ip,
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** Events: "claimed" (name), "conflict" (old, new). */
export const events = new Emitter();

interface Advert { type: string; port: number; txt?: { [k: string]: string }; live_?: Service }
const adverts: Advert[] = [];
let responder: Responder | null = null;

/** Stock ESP32 firmware already answers <name>.local with ESP-IDF's responder (nativeMdns):
 *  a second responder for the same name would fight it, so ours then answers only the
 *  services, and only once the app advertises one. */
function start(): void {
  if (responder || (caps.nativeMdns && !adverts.length)) return;
  const r = responder = new Responder(io, { hostname: netHostname(), hostRecords: !caps.nativeMdns });
  r.on("claimed", (n: string) => events.emit("claimed", n));
  r.on("conflict", (old: string, n: string) => {
    events.emit("conflict", old, n);
    // A conflict renamed our host: the board takes the new name everywhere.
    if (old === netHostname()) netHostname(n);
  });
  adverts.forEach((a) => { a.live_ = r.advertise(a.type, a.port, a.txt); });
  r.start().catch(() => {});
}

function stop(): void {
  if (responder) responder.stop().catch(() => {});
  responder = null;
  adverts.forEach((a) => { a.live_ = undefined; });
}

netEvents.on("connected", () => (responder ? responder.addressChanged() : start()));
netEvents.on("disconnecting", stop); // the link is still up: goodbyes can go out
netEvents.on("disconnected", stop);
netEvents.on("hostname", (n: string) => responder && responder.rename(n));
if (WLAN(STA_IF).isconnected()) start();

/** Advertises a DNS-SD service, e.g. advertise("_http._tcp", 80, {path: "/"}). */
export function advertise(type: string, port: number, txt?: { [k: string]: string }): Advert {
  const a: Advert = { type, port, txt };
  adverts.push(a);
  if (responder) a.live_ = responder.advertise(type, port, txt);
  else if (WLAN(STA_IF).isconnected()) start();
  return a;
}

/** Withdraws an advert, with goodbyes for its records. */
export function withdraw(a: Advert): void {
  const i = adverts.indexOf(a);
  if (i >= 0) adverts.splice(i, 1);
  if (responder && a.live_) responder.withdraw(a.live_);
}

export const query = (name: string, type?: number, timeoutMs?: number) => queryWith(io, name, type || TYPE_A, timeoutMs);
export const browse = (type: string, timeoutMs?: number) => browseWith(io, type, timeoutMs);
export const reverse = (ip: string) => reverseLookup(io, ip);
/** The name the responder holds (after any conflict renaming), or null when not running. */
export const hostname = (): string | null => (responder ? responder.hostname : null);

// .local names in getaddrinfo, gethostbyname and friends come here, never to unicast DNS:
// A and AAAA (as the caller wants) asked together.
local.lookup = (name, v4, v6) => queryWith(io, name, v6 ? v4 ? [TYPE_A, TYPE_AAAA] : TYPE_AAAA : TYPE_A).then((rrs) => {
  const of = (t: number): string[] => rrs.filter((r) => r.type == t).map((r) => r.data as string);
  return { canonname: name, aliases: [], v4: of(TYPE_A), v6: of(TYPE_AAAA) };
});
local.reverse = reverse;
