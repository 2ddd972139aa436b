// require("Wifi") on ESP32 (libs/network/esp32/jswrap_esp32_network.c with IDF 3.x), over the
// virtual LAN. What it reproduces:
// - connect(): STA mode + esp_wifi_start(); s_retry_num = 3 attempts; cb(null) at GOT_IP,
//   cb(reason) once the attempts are used up. Already connected: esp_wifi_disconnect() and the
//   retry logic REASSOCIATES WITHOUT stopping Wi-Fi (the netif and its host name persist, and the
//   new DHCP exchange carries the name).
// - the STA netif is (re)created at every Wi-Fi start with host name "espressif"; Espruino stops
//   Wi-Fi whenever the station is idle, so setHostname() before connect() is lost.
// - setHostname(): netif name (max 32, longer names are refused silently), restarts mDNS, NO DHCP
//   renegotiation; option 12 goes out with the next DHCP exchange only.
// - link loss: s_retry_num is not reset after a successful connect, so the driver retries at
//   most 2 more times, then emits "disconnected" and stops Wi-Fi (no automatic reconnect).
// - disconnect(cb): cb queued at once AND at the STA_DISCONNECTED event (twice).
// - getHostByName(): one callback slot; a second call replaces it; the first answer to arrive
//   goes to whichever callback is stored, the other answer is dropped.
// - events associated/connected/disconnected, all queued.
// - getIP(): "0.0.0.0" fields when down. capabilities.dhcpInfo adds `dns` and `ntp` arrays: OUR
//   invention for firmware that exposes DHCP options 6 and 42 (stock firmware does not).
// - capabilities.nativeMdns: the firmware's responder answers A queries for <netif name>.local
//   on 224.0.0.251:5353, restarted on setHostname and at every GOT_IP (re-reading the netif
//   name). It is a raw pcb: it does not count against maxSockets.
import dnsPacket from "dns-packet";
import { dhcpClient, type Lease } from "../lan/dhcp-client.ts";
import type { Host } from "../lan/host.ts";
import type { AccessPoint, Lan } from "../lan/lan.ts";
import type { UdpHandle } from "../lan/types.ts";
import type { ChipNetwork } from "./network.ts";
import type { Chip } from "./sandbox.ts";

const REASONS: Record<string, number> = {
  UNSPECIFIED: 1, AUTH_EXPIRE: 2, AUTH_LEAVE: 3, ASSOC_EXPIRE: 4, ASSOC_TOOMANY: 5, NOT_AUTHED: 6,
  NOT_ASSOCED: 7, ASSOC_LEAVE: 8, ASSOC_NOT_AUTHED: 9, HANDSHAKE_TIMEOUT: 204, BEACON_TIMEOUT: 200,
  NO_AP_FOUND: 201, AUTH_FAIL: 202, ASSOC_FAIL: 203,
};

export interface WifiOptions {
  lan: Lan;
  host: Host;
  /** DHCP deadline per exchange (LAN ms). */
  dhcpTimeoutMs?: number;
}

export class WifiDriver {
  started = false;
  staConnected = false;
  gotIp = false;
  /** The STA netif's host name; null while the netif does not exist (Wi-Fi stopped). */
  netifHostname: string | null = null;
  lease: Lease | null = null;
  private retry = 0;
  private gen = 0;
  private ssid = "";
  private password = "";
  private ap: AccessPoint | null = null;
  private lastReason = 0;
  private lastSsid = "";
  private lastMac = "00:00:00:00:00:00";
  private gotIpCb: unknown = null;
  private disconnectCb: unknown = null;
  private hostByNameCb: unknown = null;
  private powersave = "modem";
  private mdns: UdpHandle | null = null;
  private mdnsName: string | null = null;
  readonly module: Record<string, unknown>;
  /** Hostnames sent in each DHCP exchange (option 12), for tests. */
  readonly dhcpHostnames: (string | undefined)[] = [];

  constructor(
    private chip: Chip,
    private opts: WifiOptions,
  ) {
    const host = opts.host;
    const onDrop = (info: { reason?: string }) => this.linkLost(info.reason ?? "BEACON_TIMEOUT");
    host.on("disassociated", onDrop);
    chip.rt.track({
      close: () => {
        host.off("disassociated", onDrop);
        this.stopMdns();
        this.gen++;
      },
    });
    this.module = this.makeModule();
  }

  /** The board's station on the LAN. */
  get host(): Host {
    return this.opts.host;
  }

  /** The ChipNetwork view of this driver. */
  network(): ChipNetwork {
    return {
      stack: () => (this.started ? this.opts.host : null),
      online: () => this.gotIp,
      dnsServers: () => this.lease?.dns ?? [],
    };
  }

  private get rt() {
    return this.chip.rt;
  }
  private get realm() {
    return this.chip.realm;
  }
  private event(name: string, details: Record<string, unknown>): void {
    this.realm.emit(this.module, name, this.realm.data(details));
  }

  // ---- the driver ----
  private start(): void {
    this.started = true;
    // wlanif_init: a fresh netif, host name reset
    // ESP-IDF's own default (boards may say otherwise in netifHostname), not camnet's name.
    const def = (this.chip.profile.netifHostname as string | undefined) || "espressif";
    if (this.netifHostname !== null && this.netifHostname !== def) {
      this.rt.quirk(`Wifi: Wi-Fi start re-created the netif: host name "${this.netifHostname}" reset to "${def}"`);
    }
    this.netifHostname = def;
    this.opts.host.name = def;
    // STA_START -> esp_wifi_connect()
    this.attemptSoon();
  }
  private stop(): void {
    this.started = false;
    this.staConnected = false;
    this.gotIp = false;
    this.gen++;
    if (this.ap) this.ap.disassociate(this.opts.host);
    this.ap = null;
    this.opts.host.setAddress(null);
    this.lease = null;
    this.netifHostname = null; // the netif is gone
    this.stopMdns();
  }
  private stopIfIdle(): void {
    if (!this.staConnected) this.stop();
  }
  private attemptSoon(): void {
    const gen = ++this.gen;
    setImmediate(() => {
      if (gen !== this.gen || !this.rt.powered || !this.started) return;
      const ap = this.opts.lan.accessPoint(this.ssid);
      const result = ap ? ap.associate(this.opts.host, this.password) : "NO_AP_FOUND";
      if (result === "ok" && ap) this.associated(ap, gen);
      else this.staDisconnected(REASONS[result] ?? 1, this.ssid, "00:00:00:00:00:00");
    });
  }
  private associated(ap: AccessPoint, gen: number): void {
    this.ap = ap;
    this.staConnected = true;
    this.event("associated", { ssid: ap.ssid, mac: ap.mac, channel: String(ap.channel) });
    // IDF starts the DHCP client on STA_CONNECTED; lwIP sends the netif host name (option 12)
    const hostname = this.netifHostname ?? undefined;
    this.dhcpHostnames.push(hostname);
    dhcpClient(this.opts.host, { hostname, timeoutMs: this.opts.dhcpTimeoutMs }).then(
      (lease) => {
        if (gen !== this.gen || !this.rt.powered || !this.staConnected) return;
        this.lease = lease;
        this.gotIp = true;
        this.gotIpEvent(lease);
      },
      (e: Error) => {
        if (gen === this.gen) this.rt.quirk(`Wifi: DHCP failed (${e.message}); no GOT_IP, no callback (dhcp_timeout is never emitted)`);
      },
    );
  }
  private gotIpEvent(lease: Lease): void {
    const cb = this.gotIpCb;
    this.gotIpCb = null;
    if (cb) this.rt.queueCallback(cb, undefined, [null]);
    this.event("connected", { ip: lease.ip, netmask: lease.netmask, gw: lease.gateway });
    if (this.netifHostname) this.startMdns(this.netifHostname);
  }
  /** SYSTEM_EVENT_STA_DISCONNECTED */
  private staDisconnected(reason: number, ssid: string, mac: string): void {
    if (!this.started) return;
    this.gotIp = false;
    this.opts.host.setAddress(null);
    if (--this.retry > 0) {
      this.attemptSoon();
      return;
    }
    this.staConnected = false;
    this.lastReason = reason;
    this.lastSsid = ssid;
    this.lastMac = mac;
    const dcb = this.disconnectCb;
    this.disconnectCb = null;
    if (dcb) this.rt.queueCallback(dcb, undefined, []);
    const msg = reasonName(reason);
    this.event("disconnected", { ssid, mac, reason: String(reason), msg });
    const cb = this.gotIpCb;
    this.gotIpCb = null;
    if (cb) this.rt.queueCallback(cb, undefined, [msg]);
    this.stopIfIdle();
  }
  private linkLost(reason: string): void {
    if (!this.started || !this.staConnected) return;
    const ap = this.ap;
    this.ap = null;
    this.rt.quirk(`Wifi: link lost (${reason}); the driver retries ${Math.max(0, this.retry - 1)} more time(s), then stops Wi-Fi`);
    this.gen++;
    this.staDisconnected(REASONS[reason] ?? 200, ap?.ssid ?? this.ssid, ap?.mac ?? "00:00:00:00:00:00");
  }
  /** esp_wifi_disconnect(): leaves the AP; STA_DISCONNECTED (ASSOC_LEAVE) follows. */
  private espDisconnect(): void {
    const ap = this.ap;
    this.gen++;
    if (ap) ap.disassociate(this.opts.host);
    this.ap = null;
    const gen = this.gen;
    setImmediate(() => {
      if (gen !== this.gen || !this.rt.powered) return;
      this.staDisconnected(REASONS.ASSOC_LEAVE!, ap?.ssid ?? this.ssid, ap?.mac ?? "00:00:00:00:00:00");
    });
  }

  // ---- mDNS (ESP-IDF mdns component, minimal) ----
  private startMdns(name: string): void {
    if (!this.chip.profile.capabilities.nativeMdns) return;
    this.stopMdns();
    this.mdnsName = name;
    if (!this.started || !this.gotIp) return; // no interface to bind yet; restarted at GOT_IP
    try {
      this.mdns = this.opts.host.udpBind({
        port: 5353,
        reuseAddr: true,
        groups: ["224.0.0.251"],
        onMessage: (data, from) => this.mdnsQuery(data, from),
      });
    } catch (e) {
      this.rt.quirk(`Wifi: native mDNS could not bind 5353 (${(e as Error).message})`);
    }
  }
  private stopMdns(): void {
    try {
      this.mdns?.close();
    } catch {
      /* closed */
    }
    this.mdns = null;
  }
  private mdnsQuery(data: Uint8Array, from: { address: string; port: number }): void {
    if (!this.mdns || !this.mdnsName || !this.gotIp || !this.lease) return;
    let msg;
    try {
      msg = dnsPacket.decode(Buffer.from(data));
    } catch {
      return;
    }
    if (msg.type !== "query") return;
    const fqdn = `${this.mdnsName}.local`.toLowerCase();
    const asks = msg.questions.some((q) => q.name.toLowerCase() === fqdn && (q.type === "A" || q.type === "ANY"));
    if (!asks) return;
    const legacy = from.port !== 5353;
    const reply = dnsPacket.encode({
      type: "response",
      id: legacy ? msg.id : 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: legacy ? msg.questions : [],
      answers: [{ name: `${this.mdnsName}.local`, type: "A", class: "IN", ttl: 120, flush: !legacy, data: this.lease.ip }],
    });
    try {
      if (legacy) this.mdns.send(new Uint8Array(reply), from.port, from.address);
      else this.mdns.send(new Uint8Array(reply), 5353, "224.0.0.251", 255);
    } catch {
      /* link gone */
    }
  }
  /** The name the native responder currently answers for (null: not running). */
  get mdnsHostname(): string | null {
    return this.mdns ? this.mdnsName : null;
  }

  // ---- the JS module ----
  private makeModule(): Record<string, unknown> {
    const realm = this.realm;
    const rt = this.rt;
    const mod = realm.obj();
    const def = (name: string, f: (...a: any[]) => unknown) =>
      Object.defineProperty(mod, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
    const expectCb = (cb: unknown) => {
      if (cb !== undefined && cb !== null && typeof cb !== "function") throw realm.error(`Expecting a callback function but got ${typeof cb}`);
    };

    def("connect", (ssid: unknown, options: unknown, cb: unknown) => {
      if (typeof ssid !== "string") throw realm.error("No SSID provided");
      if (options !== undefined && options !== null && typeof options !== "object") throw realm.error("Expecting options to be an object");
      this.gotIpCb = null;
      expectCb(cb);
      this.disconnectCb = null;
      const pw = options ? (options as Record<string, unknown>).password : undefined;
      if (pw !== undefined && typeof pw !== "string") throw realm.error(`Expecting options.password to be a string but got ${typeof pw}`);
      this.ssid = ssid.slice(0, 32);
      this.password = pw ?? "";
      this.retry = 3;
      if (this.staConnected) {
        rt.quirk("Wifi.connect while connected: forced disconnect + reassociation without stopping Wi-Fi");
        this.espDisconnect();
      } else if (!this.started) this.start();
      this.gotIpCb = typeof cb === "function" ? cb : null;
    });
    def("disconnect", (cb: unknown) => {
      expectCb(cb);
      this.disconnectCb = typeof cb === "function" ? cb : null;
      this.retry = 0;
      if (this.started) this.espDisconnect();
      if (typeof cb === "function") rt.queueCallback(cb, undefined, []);
    });
    def("getStatus", () => {
      const r: Record<string, unknown> = {};
      if (this.staConnected && this.ap) {
        Object.assign(r, {
          station: "connected", ssid: this.ap.ssid, bssid: this.ap.mac, channel: this.ap.channel,
          rssi: this.ap.rssi, htMode: "HT20", authMode: String(this.ap.authMode),
        });
      } else r.station = reasonName(this.lastReason);
      r.mode = this.staConnected ? "STA" : "NULL";
      r.powersave = this.powersave;
      return realm.data(r);
    });
    def("getDetails", (cb: unknown) => {
      if (cb !== undefined && cb !== null && typeof cb !== "function") throw realm.error("Expecting a callback function");
      const d = this.staConnected && this.ap
        ? { ssid: this.ssid, password: this.password, status: "connected", authMode: String(this.ap.authMode) }
        : { status: reasonName(this.lastReason) };
      const v = realm.data(d);
      if (typeof cb === "function") rt.queueCallback(cb, undefined, [v]);
      return v;
    });
    const ipInfo = () => {
      const l = this.gotIp ? this.lease : null;
      const r: Record<string, unknown> = {
        ip: l?.ip ?? "0.0.0.0",
        netmask: l?.netmask ?? "0.0.0.0",
        gw: l?.gateway ?? "0.0.0.0",
        mac: this.opts.host.mac,
      };
      if (this.chip.profile.capabilities.dhcpInfo) {
        r.dns = l ? l.dns.slice() : [];
        r.ntp = l ? l.ntp.slice() : [];
      }
      return realm.data(r);
    };
    def("getIP", (cb: unknown) => {
      const v = ipInfo();
      if (typeof cb === "function") rt.queueCallback(cb, undefined, [null, v]);
      return v;
    });
    def("getAPIP", (cb: unknown) => {
      const v = realm.data({ ip: "0.0.0.0", netmask: "0.0.0.0", gw: "0.0.0.0", mac: this.opts.host.mac });
      if (typeof cb === "function") rt.queueCallback(cb, undefined, [null, v]);
      return v;
    });
    def("setHostname", (name: unknown, cb: unknown) => {
      const n = String(name);
      if (this.netifHostname === null) {
        rt.quirk(`Wifi.setHostname("${n}") before Wi-Fi started: no netif, the name is lost (it resets to "espressif" at start)`);
      } else if (n.length > this.chip.profile.capabilities.hostnameMax) {
        rt.quirk(`Wifi.setHostname("${n}"): longer than ${this.chip.profile.capabilities.hostnameMax}, refused silently`);
      } else {
        this.netifHostname = n;
        this.opts.host.name = n;
        if (this.gotIp) rt.quirk("Wifi.setHostname: no DHCP renegotiation; option 12 goes out at the next DHCP exchange");
      }
      this.startMdns(n);
      if (typeof cb === "function") rt.queueCallback(cb, undefined, []);
    });
    def("getHostname", () => {
      if (this.netifHostname === null) {
        rt.quirk("Wifi.getHostname() before Wi-Fi started reads an uninitialised pointer on the board");
        return "";
      }
      return this.netifHostname;
    });
    def("getHostByName", (hostname: unknown, cb: unknown) => {
      if (typeof hostname !== "string") throw realm.error("Hostname parameter is not a string");
      if (typeof cb !== "function") throw realm.error("Callback is not a function");
      if (this.hostByNameCb) rt.quirk("Wifi.getHostByName: a lookup is in flight; its callback is replaced");
      this.hostByNameCb = cb;
      const done = (ip: string | null) => {
        const stored = this.hostByNameCb;
        this.hostByNameCb = null;
        if (stored) rt.queueCallback(stored, undefined, [ip]);
      };
      if (!this.gotIp) return done(null);
      this.chip.dns.lookup(hostname).then(done);
    });
    def("scan", (cb: unknown) => {
      if (typeof cb !== "function") throw realm.error("Expecting a callback function");
      setImmediate(() => {
        if (!rt.powered) return;
        const list = this.opts.lan.scan().map((a) => ({ rssi: a.rssi, authMode: String(a.authMode), ssid: a.ssid, mac: a.mac, channel: String(a.channel) }));
        rt.queueCallback(cb, undefined, [realm.data(list)]);
      });
    });
    def("setConfig", (settings: unknown) => {
      const s = (settings ?? {}) as Record<string, unknown>;
      if (s.powersave !== undefined) {
        const p = String(s.powersave);
        this.powersave = p === "none" ? "none" : "modem";
      }
    });
    def("save", (what: unknown) => {
      if (what === "clear") {
        this.chip.storage.delete(".wificfg");
        return;
      }
      this.chip.storage.set(
        ".wificfg",
        JSON.stringify({ ssid: this.ssid, password: this.password, mode: this.started ? "sta" : "off", hostname: this.netifHostname ?? "" }),
      );
    });
    def("restore", () => {
      const f = this.chip.storage.get(".wificfg");
      if (!f) return;
      const cfg = JSON.parse(f) as { ssid: string; password: string; mode: string; hostname: string };
      if (cfg.mode !== "sta" || !cfg.ssid) return;
      this.ssid = cfg.ssid;
      this.password = cfg.password;
      this.retry = 3;
      if (!this.started) this.start();
      // restore() sets the host name right after esp_wifi_start()
      if (cfg.hostname) {
        this.netifHostname = cfg.hostname;
        this.opts.host.name = cfg.hostname;
      }
    });
    def("setSNTP", (server: unknown, tz: unknown) => {
      if (typeof tz !== "string") throw realm.error("Zone is not a string");
      rt.quirk(`Wifi.setSNTP(${String(server)}): lwIP SNTP would move the clock underneath the timers (not emulated)`);
    });
    def("startAP", () => rt.quirk("Wifi.startAP is not emulated"));
    def("stopAP", (cb: unknown) => {
      if (typeof cb === "function") rt.queueCallback(cb, undefined, []);
    });
    def("setIP", () => {
      throw realm.error("Wifi.setIP is broken on ESP32 STA (stops the DHCP server, not the client)");
    });
    def("ping", () => rt.quirk("Wifi.ping is not emulated"));
    return mod;
  }
}

function reasonName(code: number): string {
  for (const [k, v] of Object.entries(REASONS)) if (v === code) return k;
  return "Unknown reason";
}

export function createWifiModule(chip: Chip, opts: WifiOptions): WifiDriver {
  return new WifiDriver(chip, opts);
}
