// `network`: the board's host name and its Wi-Fi station, as MicroPython's network
// module has them, with Promises where MicroPython blocks. One station, so its state is
// module locals (the minifier shortens those, not properties).
import {
  codedError, ifconfig as platformIf, onWifiDisconnected, setNetifHostname,
  wifiJoin, wifiLeave, wifiStatus,
} from "../platform/index";
import type { CodedError } from "../platform/types";
import { Emitter } from "../util/events";

export const STA_IF = 0;

/** Events: "hostname" (name), "connected" (ifconfig), "disconnecting" (a requested
 *  disconnect, the link still up), "disconnected" (reason), "reconnecting" (delay ms),
 *  "warning" (message). */
export const events = new Emitter();

// MicroPython's ESP32 status codes: STAT_IDLE 1000, STAT_CONNECTING 1001, STAT_GOT_IP 1010,
// STAT_NO_AP_FOUND 201, STAT_WRONG_PASSWORD 202, STAT_CONNECT_FAIL 203.
let name = CAMNET_BOARD.defaultHostname;
let up = !CAMNET_BOARD.capabilities.wifi; // the Linux build's interface is up before we start
let ssid: string | undefined, key: string | undefined;
let want: boolean | undefined; // the app wants to be connected: reconnect after a link loss
let retryMs = 1000;
let timer: any;
let stat = 1000; // 1001 while joining
let isActive = up;

/** Gets or sets the host name (an RFC 1123 label). Set it before link-up so DHCP carries it;
 *  set while up, mDNS follows at once and DHCP at the next link-up. */
export const hostname = (n?: string): string => {
  if (n === undefined) return name;
  let bad: string[] | null;
  // What is wrong, in one template: host name "<n>" <why>; use 1-<max> letters, digits, hyphens
  const why = "" + n !== n ? "is no string"
    : /\.local$/i.test(n) ? `: pass the bare name "${n.slice(0, -6)}"`
    : !n || n.length > CAMNET_BOARD.capabilities.hostnameMax ? `has ${n.length} chars`
    : (bad = n.match(/[^A-Za-z0-9-]/)) ? `contains "${bad}"`
    : /-$|^-/.test(n) ? `has "-" at an end` : ""; // not /^-|-$/: Espruino's matcher misses "a-"
  const h = `host name "${n}"`;
  if (why) throw codedError("EINVAL", `${h} ${why}; use 1-${CAMNET_BOARD.capabilities.hostnameMax} letters, digits, hyphens`);
  if (n != name) {
    name = n;
    if (CAMNET_BOARD.capabilities.wifi && up) {
      setNetifHostname(n);
      const m = h + ": mDNS now, DHCP at next link-up";
      console.log(m);
      events.emit("warning", m);
    }
    events.emit("hostname", n);
  }
  return name;
};

/** [ip, netmask, gateway, dns] as MicroPython gives it; the DNS server is the DHCP-learned
 *  one where the firmware exposes it, else the gateway. With a tuple (the Linux build, whose
 *  interface we cannot read): sets it. (Functions here are arrows with expression bodies,
 *  spare parameters doubling as locals: the shortest form once minified.) */
const ifconfig = (config?: string[], c?: any): string[] => (
  c = platformIf(),
  // A new address on a live interface: the responder re-probes and re-announces (RFC 6762 §8.4).
  !CAMNET_BOARD.capabilities.wifi && config &&
    (platformIf({ ip: config[0], netmask: config[1], gw: config[2], mac: "", dns: [config[3]], ntp: [] }), config[0] != c.ip && events.emit("connected", ifconfig())),
  // Only the Linux build and firmware with dhcpInfo can have c.dns (a constant per board).
  [c.ip, c.netmask, c.gw, (!CAMNET_BOARD.capabilities.wifi || CAMNET_BOARD.capabilities.dhcpInfo) && c.dns[0] || c.gw]);

// `timer = timer && clearTimeout(timer)` clears the retry timer (clearTimeout gives
// undefined; clearTimeout(undefined) throws); written out twice, not a function kept for life.

const join = (ms?: number): Promise<string[]> => (
  stat = 1001,
  wifiJoin(ssid!, key, name, ms).then((c?: any) => (
    up = true,
    stat = 1010,
    retryMs = 1000,
    c = ifconfig(),
    events.emit("connected", c),
    c
  ), (e: CodedError) => {
    up = false;
    stat = e.errno!; // STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD or STAT_CONNECT_FAIL
    throw e;
  }));

/** Reconnects after `retryMs` (doubling up to a minute) while the app wants the link. */
const retry = (delay?: any): unknown => want && (
  delay = retryMs,
  retryMs = delay < 30000 ? delay * 2 : 60000,
  events.emit("reconnecting", delay),
  timer = setTimeout(() => {
    timer = 0;
    join().catch(retry);
  }, delay));

/** The station interface. */
const sta = {
  active: (on?: boolean): boolean => (on != null && (isActive = on, on || sta.disconnect()), isActive),

  /** Joins `s`; resolves when the board has an address. Rejects with NO_AP_FOUND,
   *  AUTH_FAIL or ETIMEDOUT (after `ms`, default 20 s). */
  // (Without Wi-Fi, a function without parameters: each costs a JsVar for life.)
  connect: !CAMNET_BOARD.capabilities.wifi ? (): Promise<string[]> => Promise.resolve(ifconfig())
    : (s?: string, k?: string, ms?: number): Promise<string[]> => !s ? Promise.reject(codedError("EINVAL", "no SSID given"))
    : (ssid = s, key = k, isActive = want = true, timer = timer && clearTimeout(timer), join(ms)),

  // Listeners may still send on the live link (mDNS goodbyes): tell them, give them a
  // moment, then leave.
  disconnect: (): Promise<void> => (want = false, timer = timer && clearTimeout(timer), !CAMNET_BOARD.capabilities.wifi ? Promise.resolve()
    : (stat = 1000, !up ? wifiLeave() : (events.emit("disconnecting"), new Promise<void>((r) => setTimeout(() => {
      up = false;
      r(wifiLeave());
    }, 100)).then(() => events.emit("disconnected", "requested"))))),

  isconnected: (): boolean => up,

  /** A STAT_* code, or with "rssi" the signal strength. */
  status: (param?: string): number | undefined => (param == "rssi" ? wifiStatus().rssi : stat),

  ifconfig,

  config(k: string): unknown {
    const c = platformIf(), st = wifiStatus();
    const v: { [k: string]: unknown } = {
      mac: c.mac, ssid: ssid || st.ssid, hostname: name, dhcp_hostname: name,
      channel: st.channel, dns: dnsServers(), ntp: c.ntp,
    };
    if (!(k in v)) throw codedError("EINVAL", `no key "${k}": use ${Object.keys(v)}`);
    return v[k];
  },
};

export const WLAN = (iface?: number): typeof sta => {
  if (iface) throw codedError("EOPNOTSUPP", "no AP mode: use STA_IF");
  return sta;
};

/** Servers for the resolver and SNTP: DHCP-learned where exposed, else the gateway. */
export const dnsServers = (c?: any): string[] => (
  c = platformIf(),
  // Only the Linux build and firmware with dhcpInfo can have c.dns (a constant per board).
  (!CAMNET_BOARD.capabilities.wifi || CAMNET_BOARD.capabilities.dhcpInfo) && c.dns.length ? c.dns
    : c.gw > "1" ? [c.gw] : []); // not "0.0.0.0" (none): a real one starts with 1-9

/** The `network` module as require("network") gives it (one plain object: re-exported
 *  names would each cost a getter in the bundle). */
export const networkModule = {
  STA_IF, AP_IF: 1, STAT_IDLE: 1000, STAT_CONNECTING: 1001, STAT_GOT_IP: 1010, STAT_NO_AP_FOUND: 201,
  STAT_WRONG_PASSWORD: 202, STAT_CONNECT_FAIL: 203, events, hostname, WLAN, dnsServers,
};

// The driver gave up on the link (registered last: a statement here does not break the
// bundle's var chain): reconnect with backoff until told to stop.
if (CAMNET_BOARD.capabilities.wifi) {
  onWifiDisconnected((d) => {
    if (stat == 1001 || !up) return;
    up = false;
    stat = 1000;
    events.emit("disconnected", d.msg);
    retry();
  });
}

