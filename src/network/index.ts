// `network`: the board's host name and its Wi-Fi station, as MicroPython's network
// module has them, with Promises where MicroPython blocks.
import {
  board, caps, codedError, ifconfig as platformIf, onWifiDisconnected, setNetifHostname,
  setStaticIf, wifiJoin, wifiLeave, wifiStatus,
} from "../platform/index";
import type { CodedError } from "../platform/types";
import { Emitter } from "../util/events";

export const STA_IF = 0;
export const AP_IF = 1;
// MicroPython's ESP32 status codes.
export const STAT_IDLE = 1000;
export const STAT_CONNECTING = 1001;
export const STAT_GOT_IP = 1010;
export const STAT_NO_AP_FOUND = 201;
export const STAT_WRONG_PASSWORD = 202;
export const STAT_CONNECT_FAIL = 203;

/** Events: "hostname" (name), "connected" (ifconfig), "disconnecting" (a requested
 *  disconnect, the link still up), "disconnected" (reason), "reconnecting" (delay ms),
 *  "warning" (message). */
export const events = new Emitter();

let name = board.defaultHostname;
let up = !caps.wifi; // the Linux build's interface is up before we start

function warn(message: string): void {
  console.log("camnet: " + message);
  events.emit("warning", message);
}

/** Why `n` is not a usable host name, or "" when it is (RFC 1123 label). */
function hostnameProblem(n: unknown): string {
  if (typeof n !== "string") return "the host name must be a string";
  const max = Math.min(63, caps.hostnameMax);
  if (/\.local$/i.test(n)) return `pass the bare name "${n.slice(0, -6)}": mDNS adds ".local" itself`;
  if (!n.length) return "the host name is empty: give 1 to " + max + " letters, digits or hyphens";
  if (n.length > max) return `"${n}" has ${n.length} characters; this board allows at most ${max}`;
  if (n.indexOf(".") >= 0) return `"${n}" has a dot: a host name is one label, such as "kitchen-cam"`;
  const bad = n.match(/[^A-Za-z0-9-]/);
  if (bad) return `"${n}" contains "${bad[0]}": use only letters, digits and hyphens`;
  if (n[0] === "-" || n[n.length - 1] === "-") return `"${n}" starts or ends with a hyphen, which RFC 1123 forbids`;
  return "";
}

/** Gets or sets the host name. Set it before link-up so DHCP carries it; set while up,
 *  mDNS follows at once and DHCP at the next link-up. */
export function hostname(n?: string): string {
  if (n === undefined) return name;
  const problem = hostnameProblem(n);
  if (problem) throw codedError("EINVAL", "invalid host name: " + problem);
  if (n !== name) {
    name = n;
    if (up) {
      setNetifHostname(n);
      if (caps.wifi) warn(`host name "${n}" is answered by mDNS now; the router learns it by DHCP at the next link-up`);
    }
    events.emit("hostname", n);
  }
  return name;
}

const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 60000;
/** How long a requested disconnect waits after "disconnecting" before leaving the link. */
const GOODBYE_MS = 100;

/** [ip, netmask, gateway, dns] as MicroPython gives it; the DNS server is the DHCP-learned
 *  one where the firmware exposes it, else the gateway. */
function ifconfig(config?: string[]): string[] {
  const c = platformIf();
  const out = [c.ip, c.netmask, c.gateway, c.dns[0] || c.gateway];
  if (!config) return out;
  setStaticIf(config[0], config[1], config[2], [config[3]]);
  // A new address on a live interface: the responder re-probes and re-announces (RFC 6762 §8.4).
  if (up && config[0] !== c.ip) events.emit("connected", ifconfig());
  return ifconfig();
}

/** The station interface. Its state lives in closure locals, not properties: the
 *  minifier can shorten the former only, and this runs on a board counting bytes. */
function createStation() {
  let ssid = "", key = "";
  let want = false; // the app wants to be connected: reconnect after a link loss
  let joining = false;
  let retryMs = MIN_RETRY_MS;
  let timer: any;
  let stat = STAT_IDLE;
  let isActive = !caps.wifi;

  const cancelRetry = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const join = (timeoutMs: number): Promise<string[]> => {
    joining = true;
    stat = STAT_CONNECTING;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (e: CodedError | null, s: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        joining = false;
        up = !e;
        stat = s;
        if (e) return reject(e);
        retryMs = MIN_RETRY_MS;
        const c = ifconfig();
        events.emit("connected", c);
        resolve(c);
      };
      const t = setTimeout(() => {
        finish(codedError("ETIMEDOUT", `no address from Wi-Fi "${ssid}" within ${timeoutMs / 1000} s: check the signal and the DHCP server`), STAT_CONNECT_FAIL);
        wifiLeave();
      }, timeoutMs);
      wifiJoin(ssid, key, name).then(() => finish(null, STAT_GOT_IP), (e: CodedError) => finish(e,
        e.code === "AUTH_FAIL" ? STAT_WRONG_PASSWORD : e.code === "NO_AP_FOUND" ? STAT_NO_AP_FOUND : STAT_CONNECT_FAIL));
    });
  };

  const scheduleRetry = (): void => {
    const delay = retryMs;
    retryMs = Math.min(delay * 2, MAX_RETRY_MS);
    events.emit("reconnecting", delay);
    timer = setTimeout(() => {
      timer = undefined;
      join(20000).catch(() => {
        if (want) scheduleRetry();
      });
    }, delay);
  };

  // The driver gave up on the link: reconnect with backoff until told to stop.
  onWifiDisconnected((reason) => {
    if (joining || !up) return;
    up = false;
    stat = STAT_IDLE;
    events.emit("disconnected", reason);
    if (want) scheduleRetry();
  });

  const sta = {
    active(on?: boolean): boolean {
      if (on !== undefined) {
        isActive = on;
        if (!on && caps.wifi) sta.disconnect();
      }
      return isActive;
    },

    /** Joins `ssid`; resolves when the board has an address. Rejects with NO_AP_FOUND,
     *  AUTH_FAIL or ETIMEDOUT (after `timeoutMs`, default 20 s). */
    connect(s?: string, k?: string, timeoutMs?: number): Promise<string[]> {
      if (!caps.wifi) return Promise.resolve(ifconfig());
      if (!s) return Promise.reject(codedError("EINVAL", "connect() needs the SSID of the Wi-Fi network to join"));
      ssid = s;
      key = k || "";
      isActive = want = true;
      cancelRetry();
      return join(timeoutMs || 20000);
    },

    disconnect(): Promise<void> {
      want = false;
      cancelRetry();
      if (!caps.wifi) return Promise.resolve();
      const was = up;
      stat = STAT_IDLE;
      if (!was) return wifiLeave();
      // Listeners may still send on the live link (mDNS goodbyes): tell them, give them a
      // moment, then leave.
      events.emit("disconnecting");
      return new Promise<void>((resolve) => setTimeout(resolve, GOODBYE_MS)).then(() => {
        up = false;
        return wifiLeave();
      }).then(() => events.emit("disconnected", "requested"));
    },

    isconnected: (): boolean => up,

    /** A STAT_* code, or with "rssi" the signal strength. */
    status: (param?: string): number | undefined => (param === "rssi" ? wifiStatus().rssi : stat),

    ifconfig,

    config(k: string): unknown {
      const c = platformIf();
      const st = wifiStatus();
      const v: { [k: string]: unknown } = {
        mac: c.mac, ssid: ssid || st.ssid, hostname: name, dhcp_hostname: name,
        channel: st.channel, dns: c.dns.length ? c.dns : [c.gateway], ntp: c.ntp,
      };
      if (!(k in v)) throw codedError("EINVAL", `unknown config key "${k}": use one of ${Object.keys(v).join(", ")}`);
      return v[k];
    },
  };
  return sta;
}

let sta: ReturnType<typeof createStation> | undefined;

export function WLAN(iface?: number): ReturnType<typeof createStation> {
  if (iface === AP_IF) throw codedError("EOPNOTSUPP", "access-point mode is not supported by camnet: use network.STA_IF");
  return sta || (sta = createStation());
}

/** Servers for the resolver and SNTP: DHCP-learned where exposed, else the gateway. */
export function dnsServers(): string[] {
  const c = platformIf();
  return c.dns.length ? c.dns : c.gateway !== "0.0.0.0" ? [c.gateway] : [];
}

/** The `network` module as require("network") gives it (one plain object: re-exported
 *  names would each cost a getter in the bundle). */
export const networkModule = {
  STA_IF, AP_IF, STAT_IDLE, STAT_CONNECTING, STAT_GOT_IP, STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD,
  STAT_CONNECT_FAIL, events, hostname, WLAN, dnsServers,
};
