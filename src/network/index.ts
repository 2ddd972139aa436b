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

/** Events: "hostname" (name), "connected" (ifconfig), "disconnected" (reason),
 *  "reconnecting" (delay ms), "warning" (message). */
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

class WLAN {
  private ssid = "";
  private key = "";
  private want = false; // the app wants to be connected: reconnect after a link loss
  private joining = false;
  private retryMs = MIN_RETRY_MS;
  private timer: any = undefined;
  private stat = STAT_IDLE;
  private isActive = !caps.wifi;

  constructor() {
    onWifiDisconnected((reason) => this.lost(reason));
  }

  active(on?: boolean): boolean {
    if (on !== undefined) {
      this.isActive = on;
      if (!on && caps.wifi) this.disconnect();
    }
    return this.isActive;
  }

  /** Joins `ssid`; resolves when the board has an address. Rejects with NO_AP_FOUND,
   *  AUTH_FAIL or ETIMEDOUT (after `timeoutMs`, default 20 s). */
  connect(ssid?: string, key?: string, timeoutMs?: number): Promise<string[]> {
    if (!caps.wifi) return Promise.resolve(this.ifconfig());
    if (!ssid) return Promise.reject(codedError("EINVAL", "connect() needs the SSID of the Wi-Fi network to join"));
    this.ssid = ssid;
    this.key = key || "";
    this.isActive = this.want = true;
    this.cancelRetry();
    return this.join(timeoutMs || 20000);
  }

  private join(timeoutMs: number): Promise<string[]> {
    this.joining = true;
    this.stat = STAT_CONNECTING;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (e: CodedError | null, stat: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.joining = false;
        up = !e;
        this.stat = stat;
        if (e) return reject(e);
        this.retryMs = MIN_RETRY_MS;
        const c = this.ifconfig();
        events.emit("connected", c);
        resolve(c);
      };
      const timer = setTimeout(() => {
        finish(codedError("ETIMEDOUT", `no address from Wi-Fi "${this.ssid}" within ${timeoutMs / 1000} s: check the signal and the DHCP server`), STAT_CONNECT_FAIL);
        wifiLeave();
      }, timeoutMs);
      wifiJoin(this.ssid, this.key, name).then(() => finish(null, STAT_GOT_IP), (e: CodedError) => finish(e,
        e.code === "AUTH_FAIL" ? STAT_WRONG_PASSWORD : e.code === "NO_AP_FOUND" ? STAT_NO_AP_FOUND : STAT_CONNECT_FAIL));
    });
  }

  /** The driver gave up on the link: reconnect with backoff until told to stop. */
  private lost(reason: string): void {
    if (this.joining || !up) return;
    up = false;
    this.stat = STAT_IDLE;
    events.emit("disconnected", reason);
    if (this.want) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(delay * 2, MAX_RETRY_MS);
    events.emit("reconnecting", delay);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.join(20000).catch(() => {
        if (this.want) this.scheduleRetry();
      });
    }, delay);
  }

  private cancelRetry(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  disconnect(): Promise<void> {
    this.want = false;
    this.cancelRetry();
    if (!caps.wifi) return Promise.resolve();
    const was = up;
    up = false;
    this.stat = STAT_IDLE;
    return wifiLeave().then(() => {
      if (was) events.emit("disconnected", "requested");
    });
  }

  isconnected(): boolean {
    return up;
  }

  /** A STAT_* code, or with "rssi" the signal strength. */
  status(param?: string): number | undefined {
    if (param === "rssi") return wifiStatus().rssi;
    return this.stat;
  }

  /** [ip, netmask, gateway, dns] as MicroPython gives it; the DNS server is the
   *  DHCP-learned one where the firmware exposes it, else the gateway. */
  ifconfig(config?: string[]): string[] {
    if (config) setStaticIf(config[0], config[1], config[2], [config[3]]);
    const c = platformIf();
    return [c.ip, c.netmask, c.gateway, c.dns[0] || c.gateway];
  }

  config(key: string): unknown {
    const c = platformIf();
    const s = wifiStatus();
    const v: { [k: string]: unknown } = {
      mac: c.mac, ssid: this.ssid || s.ssid, hostname: name, dhcp_hostname: name,
      channel: s.channel, dns: c.dns.length ? c.dns : [c.gateway], ntp: c.ntp,
    };
    if (!(key in v)) throw codedError("EINVAL", `unknown config key "${key}": use one of ${Object.keys(v).join(", ")}`);
    return v[key];
  }
}

let sta: WLAN | undefined;

export function WLAN_(iface?: number): WLAN {
  if (iface === AP_IF) throw codedError("EOPNOTSUPP", "access-point mode is not supported by camnet: use network.STA_IF");
  return sta || (sta = new WLAN());
}
export { WLAN_ as WLAN };

/** Servers for the resolver and SNTP: DHCP-learned where exposed, else the gateway. */
export function dnsServers(): string[] {
  const c = platformIf();
  return c.dns.length ? c.dns : c.gateway !== "0.0.0.0" ? [c.gateway] : [];
}
