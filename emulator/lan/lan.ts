// The in-process network the emulated camera joins: one IPv4 subnet with access points,
// a router (DHCP + DNS + NTP) and other hosts. UDP is routed between hosts' bound ports with
// latency and seeded loss; TCP connections are linked Duplex pairs. Everything is
// asynchronous and deterministic for a given seed, and close() leaves nothing running.
import { duplexPair } from "./duplex-pair.ts";
import type { VirtualTcpStream } from "./duplex-pair.ts";
import { Host } from "./host.ts";
import type { Link, Task, UdpSocketState } from "./host.ts";
import {
  codedError, intToIp, ipToInt, isIpv4, isLoopback, isMulticast, parseSubnet, seededRandom,
} from "./ip.ts";
import type { Subnet } from "./ip.ts";
import { Router } from "./router.ts";
import type { RouterFabric, RouterOptions } from "./router.ts";
import type { RemoteInfo, TcpStream } from "./types.ts";

export { Host } from "./host.ts";
export type { Task } from "./host.ts";
export { Router, DhcpServer, DnsServer, NtpServer, readNtpTimestamp, writeNtpTimestamp } from "./router.ts";
export type { RouterOptions, DhcpLease, DnsBehaviour, DnsQueryLogEntry } from "./router.ts";
export { dhcpClient, dhcpRelease } from "./dhcp-client.ts";
export type { Lease, DhcpClientOptions } from "./dhcp-client.ts";
export type { NetStack, RemoteInfo, TcpStream, UdpHandle, UdpOptions, TcpServerHandle } from "./types.ts";

/** An injectable clock; the default is the real one (Date.now, setTimeout/setImmediate). */
export interface LanClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LanOptions {
  /** Default "192.168.1.0/24". */
  subnet?: string;
  /** One-way delay of every datagram and TCP segment, ms. Default 0 (next turn of the event loop). */
  latencyMs?: number;
  /** Probability (0..1) that a datagram is lost, drawn per receiver from the seeded PRNG. */
  loss?: number;
  /** PRNG seed (losses, DHCP xids). Default 1. */
  seed?: number;
  /** How long a TCP connect to an address nobody has waits before ETIMEDOUT. Default 3000 ms. */
  tcpConnectTimeoutMs?: number;
  /** highWaterMark of each TCP stream's buffers. Default 16384. */
  tcpHighWaterMark?: number;
  /** Drive all LAN timers from this clock instead of the real one. */
  clock?: LanClock;
}

export type AuthMode = "open" | "wep" | "wpa" | "wpa2" | "wpa_wpa2" | string;

export interface ScanResult {
  ssid: string;
  rssi: number;
  channel: number;
  mac: string;
  authMode: string;
}

/** A datagram as the LAN carried it (Lan.capture), for wire-level assertions. */
export interface CapturedDatagram {
  time: number;
  from: RemoteInfo;
  to: RemoteInfo;
  ttl: number;
  data: Uint8Array;
  /** Receivers it was delivered to (after loss), by host name or MAC. */
  deliveredTo: string[];
}

export type AssociateResult = "ok" | "AUTH_FAIL" | "NO_AP_FOUND";

export class AccessPoint implements Link {
  readonly ssid: string;
  password: string | undefined;
  readonly mac: string;
  channel: number;
  rssi: number;
  authMode: AuthMode;
  private on = true;
  private readonly stations = new Set<Host>();

  constructor(opts: { ssid: string; password?: string; channel?: number; rssi?: number; mac: string; authMode?: string }) {
    this.ssid = opts.ssid;
    this.password = opts.password;
    this.mac = opts.mac;
    this.channel = opts.channel ?? 6;
    this.rssi = opts.rssi ?? -50;
    this.authMode = opts.authMode ?? (opts.password ? "wpa2" : "open");
  }

  get enabled(): boolean {
    return this.on;
  }

  /** Hosts currently associated. */
  get clients(): Host[] {
    return [...this.stations];
  }

  /** Joins `host` to this network. An open network accepts any password. */
  associate(host: Host, password: string | undefined): AssociateResult {
    if (!this.on) return "NO_AP_FOUND";
    if (this.password !== undefined && this.password !== "" && password !== this.password) return "AUTH_FAIL";
    const previous = host.link;
    if (previous instanceof AccessPoint && previous !== this) previous.stations.delete(host);
    host.wired = false;
    host.link = this;
    this.stations.add(host);
    host.emit("associated", { ssid: this.ssid, mac: this.mac, channel: this.channel });
    return "ok";
  }

  /** The host leaves on its own (no "disassociated" event: it asked for it). */
  disassociate(host: Host): void {
    if (!this.stations.delete(host)) return;
    host.wired = false;
    host.link = null;
  }

  /** Simulated link loss: the host is cut off and told so with "disassociated" {reason}. */
  drop(host: Host, reason = "BEACON_TIMEOUT"): void {
    if (!this.stations.delete(host)) return;
    host.link = null;
    host.emit("disassociated", { reason, ssid: this.ssid });
  }

  /** Off: every client is dropped, associate() answers NO_AP_FOUND, scans miss it. */
  setEnabled(on: boolean): void {
    this.on = on;
    if (!on) for (const h of [...this.stations]) this.drop(h, "BEACON_TIMEOUT");
  }
}

interface PendingConnect {
  task: Task;
  reject: (err: Error) => void;
}

export class Lan implements RouterFabric {
  readonly subnet: Subnet;
  readonly subnetMask: string;
  readonly latencyMs: number;
  readonly loss: number;
  readonly tcpConnectTimeoutMs: number;
  readonly tcpHighWaterMark: number;
  private readonly rng: () => number;
  private readonly clock: LanClock | undefined;
  private readonly hosts: Host[] = [];
  private readonly accessPoints: AccessPoint[] = [];
  private readonly tasks = new Set<Task>();
  private readonly streams = new Set<VirtualTcpStream>();
  private readonly connecting = new Set<PendingConnect>();
  private readonly taps = new Set<(d: CapturedDatagram) => void>();
  private routerHost: Router | undefined;
  private macCounter = 0;
  private closed = false;

  constructor(opts: LanOptions = {}) {
    this.subnet = parseSubnet(opts.subnet ?? "192.168.1.0/24");
    this.subnetMask = intToIp(this.subnet.mask);
    this.latencyMs = Math.max(0, opts.latencyMs ?? 0);
    this.loss = Math.min(1, Math.max(0, opts.loss ?? 0));
    this.rng = seededRandom(opts.seed ?? 1);
    this.clock = opts.clock;
    this.tcpConnectTimeoutMs = opts.tcpConnectTimeoutMs ?? 3000;
    this.tcpHighWaterMark = opts.tcpHighWaterMark ?? 16384;
  }

  /** The router's address, or .1 of the subnet before there is a router. */
  get defaultGateway(): string {
    return this.routerHost?.address ?? intToIp(this.subnet.network + 1);
  }

  get router(): Router | undefined {
    return this.routerHost;
  }

  // ---------------------------------------------------------------- building the network

  addAccessPoint(opts: { ssid: string; password?: string; channel?: number; rssi?: number; mac?: string; authMode?: string }): AccessPoint {
    const ap = new AccessPoint({ ...opts, mac: opts.mac ?? this.nextMac(0xa0) });
    this.accessPoints.push(ap);
    return ap;
  }

  addRouter(opts: RouterOptions = {}): Router {
    if (this.routerHost) throw codedError("EEXIST", "this LAN already has a router; create another Lan for a second network");
    const ip = opts.ip ?? intToIp(this.subnet.network + 1);
    const router = new Router(this, { ...opts, ip, mask: this.subnetMask, mac: (opts.mac ?? this.nextMac(0x01)).toLowerCase() });
    this.routerHost = router;
    this.hosts.push(router);
    return router;
  }

  /**
   * A host on the LAN. It is wired (online at once) until it associates with an access point;
   * pass `wifi: true` for a station that is offline until `ap.associate(host, ...)`.
   * Without `ip` it has no address (0.0.0.0) until DHCP or setAddress.
   */
  addHost(opts: { name?: string; ip?: string; mac?: string; wifi?: boolean } = {}): Host {
    const host = new Host(this, { mac: (opts.mac ?? this.nextMac(0x00)).toLowerCase(), name: opts.name, wired: !opts.wifi });
    if (opts.ip) host.setAddress(opts.ip, this.subnetMask, this.defaultGateway);
    this.hosts.push(host);
    return host;
  }

  /** Visible access points, strongest first. */
  scan(): ScanResult[] {
    return this.accessPoints
      .filter((ap) => ap.enabled)
      .sort((a, b) => b.rssi - a.rssi)
      .map((ap) => ({ ssid: ap.ssid, rssi: ap.rssi, channel: ap.channel, mac: ap.mac, authMode: ap.authMode }));
  }

  accessPoint(ssid: string): AccessPoint | undefined {
    return this.accessPoints.find((ap) => ap.ssid === ssid && ap.enabled) ?? this.accessPoints.find((ap) => ap.ssid === ssid);
  }

  hostsOnLan(): Host[] {
    return [...this.hosts];
  }

  /** Watches every datagram sent on the LAN; returns the function that stops watching. */
  capture(listener: (d: CapturedDatagram) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** Timers the LAN has scheduled and not yet run or cancelled (0 after close()). */
  activeTimers(): number {
    return this.tasks.size;
  }

  /** Open virtual TCP streams. */
  activeStreams(): number {
    return this.streams.size;
  }

  /** Cancels every timer, closes every socket, listener and stream, rejects pending connects (ENETDOWN). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.tasks]) t.cancel();
    this.tasks.clear();
    for (const h of this.hosts) h.closeAll();
    for (const s of [...this.streams]) s.shutdown();
    this.streams.clear();
    for (const c of [...this.connecting]) c.reject(codedError("ENETDOWN", "the virtual LAN was closed while connecting"));
    this.connecting.clear();
    this.taps.clear();
    for (const ap of this.accessPoints) for (const h of ap.clients) ap.disassociate(h);
  }

  // ---------------------------------------------------------------- fabric (used by hosts)

  now(): number {
    return this.clock ? this.clock.now() : Date.now();
  }

  random(): number {
    return this.rng();
  }

  schedule(fn: () => void, ms: number): Task {
    if (this.closed) return { cancel() {} };
    let done = false;
    let cancelHandle: () => void;
    const task: Task = {
      cancel: () => {
        if (done) return;
        done = true;
        this.tasks.delete(task);
        cancelHandle();
      },
    };
    const run = () => {
      if (done) return;
      done = true;
      this.tasks.delete(task);
      fn();
    };
    if (this.clock) {
      const clock = this.clock;
      const h = clock.setTimeout(run, ms);
      cancelHandle = () => clock.clearTimeout(h);
    } else if (ms <= 0) {
      const h = setImmediate(run);
      cancelHandle = () => clearImmediate(h);
    } else {
      const h = setTimeout(run, ms);
      cancelHandle = () => clearTimeout(h);
    }
    this.tasks.add(task);
    return task;
  }

  private nextMac(kind: number): string {
    const n = ++this.macCounter;
    return ["02", "00", kind.toString(16).padStart(2, "0"), "00", ((n >> 8) & 255).toString(16).padStart(2, "0"), (n & 255).toString(16).padStart(2, "0")].join(":");
  }

  private isBroadcast(dst: number, sender: Host): boolean {
    if (dst === 0xffffffff || dst === this.subnet.broadcast) return true;
    if (sender.address === "0.0.0.0") return false;
    const mask = ipToInt(sender.netmask);
    return dst === ((ipToInt(sender.address) | (~mask >>> 0)) >>> 0);
  }

  private hostAt(address: string): Host | undefined {
    return this.hosts.find((h) => h.online && h.address === address);
  }

  sendUdp(socket: UdpSocketState, data: Uint8Array, port: number, address: string, ttl?: number): void {
    const host = socket.host;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw codedError("EINVAL", `destination port ${port} is not an integer between 1 and 65535`);
    }
    if (!isIpv4(address)) throw codedError("EINVAL", `"${address}" is not a dotted IPv4 address; resolve names first`);
    if (data.length > 65507) throw codedError("EMSGSIZE", `a ${data.length}-byte datagram is larger than UDP's 65507; split it`);
    if (this.closed) throw codedError("ENETDOWN", "the virtual LAN is closed");
    if (!host.online) throw codedError("ENETUNREACH", `${host} has no link (not associated with an access point)`);
    const dst = ipToInt(address);
    let receivers: Host[];
    let kind: "unicast" | "broadcast" | "multicast";
    if (this.isBroadcast(dst, host)) {
      if (!socket.opts.broadcast) {
        throw codedError("EACCES", `sending to broadcast ${address} needs the socket's broadcast option (SO_BROADCAST)`);
      }
      kind = "broadcast";
      receivers = this.hosts.filter((h) => h.online);
    } else if (isMulticast(dst)) {
      if (host.address === "0.0.0.0") throw codedError("ENETUNREACH", `${host} has no address yet; multicast needs one`);
      kind = "multicast";
      receivers = this.hosts.filter((h) => h.online && h.memberOf(address)); // loopback on, like Linux
    } else {
      if (host.address === "0.0.0.0" && !isLoopback(dst)) {
        throw codedError("ENETUNREACH", `${host} has no address yet; wait for DHCP or set one`);
      }
      kind = "unicast";
      if (isLoopback(dst) || dst === ipToInt(host.address)) receivers = [host];
      else {
        const target = this.hostAt(address);
        receivers = target ? [target] : []; // nobody has it: lost, like UDP
      }
    }
    const effectiveTtl = ttl ?? (kind === "multicast" ? 1 : 64);
    const from: RemoteInfo = { address: isLoopback(dst) ? "127.0.0.1" : host.address, port: socket.port };
    const delivered: string[] = [];
    for (const receiver of receivers) {
      const self = receiver === host;
      if (!self && this.loss > 0 && this.rng() < this.loss) continue;
      delivered.push(receiver.name ?? receiver.mac);
      const copy = data.slice();
      this.schedule(() => this.deliverUdp(receiver, kind, copy, from, port, address, effectiveTtl), self ? 0 : this.latencyMs);
    }
    if (this.taps.size) {
      const captured: CapturedDatagram = {
        time: this.now(), from, to: { address, port }, ttl: effectiveTtl, data: data.slice(), deliveredTo: delivered,
      };
      for (const tap of this.taps) tap(captured);
    }
  }

  private deliverUdp(receiver: Host, kind: string, data: Uint8Array, from: RemoteInfo, port: number, address: string, ttl: number): void {
    if (!receiver.online) return; // the link dropped while the datagram was in flight
    if (kind === "unicast" && !isLoopback(ipToInt(address)) && receiver.address !== address) return;
    if (kind === "multicast" && !receiver.memberOf(address)) return;
    const sockets = receiver.udpSockets.filter((s) => !s.closed && s.port === port);
    if (!sockets.length) return;
    const targets = kind === "unicast" ? [sockets.reduce((a, b) => (b.seq > a.seq ? b : a))] : sockets;
    for (const s of targets) {
      if (s.closed) continue;
      s.opts.onMessage(targets.length > 1 ? data.slice() : data, { ...from }, { address, ttl });
    }
  }

  connectTcp(host: Host, address: string, port: number): Promise<TcpStream> {
    return new Promise<TcpStream>((resolve, reject) => {
      if (!isIpv4(address)) {
        reject(codedError("EINVAL", `"${address}" is not a dotted IPv4 address; resolve names first`));
        return;
      }
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        reject(codedError("EINVAL", `port ${port} is not an integer between 1 and 65535`));
        return;
      }
      if (this.closed) {
        reject(codedError("ENETDOWN", "the virtual LAN is closed"));
        return;
      }
      if (!host.online) {
        reject(codedError("ENETUNREACH", `${host} has no link (not associated with an access point)`));
        return;
      }
      const dst = ipToInt(address);
      const local = isLoopback(dst) || address === host.address;
      if (host.address === "0.0.0.0" && !isLoopback(dst)) {
        reject(codedError("ENETUNREACH", `${host} has no address yet; wait for DHCP or set one`));
        return;
      }
      const target = local ? host : this.hostAt(address);
      const rtt = local ? 0 : this.latencyMs;
      const pending: PendingConnect = { task: { cancel() {} }, reject: (e) => { this.connecting.delete(pending); reject(e); } };
      this.connecting.add(pending);
      const settle = (fn: () => void) => {
        this.connecting.delete(pending);
        fn();
      };
      if (!target) {
        const mask = ipToInt(host.netmask);
        const onLink = ((dst & mask) >>> 0) === ((ipToInt(host.address) & mask) >>> 0);
        if (!onLink && host.gateway === "0.0.0.0") {
          settle(() => reject(codedError("EHOSTUNREACH", `no route to ${address}: it is off the subnet and ${host} has no gateway`)));
          return;
        }
        pending.task = this.schedule(
          () => settle(() => reject(codedError("ETIMEDOUT", `connect to ${address}:${port} timed out after ${this.tcpConnectTimeoutMs} ms; nothing answers at that address`))),
          this.tcpConnectTimeoutMs,
        );
        return;
      }
      // SYN travels to the target, SYN-ACK or RST comes back
      pending.task = this.schedule(() => {
        const listener = target.online ? target.tcpListeners.get(port) : undefined;
        if (!listener) {
          pending.task = this.schedule(
            () => settle(() => reject(codedError("ECONNREFUSED", `connection to ${address}:${port} refused: nothing listens there`))),
            rtt,
          );
          return;
        }
        const clientEnd: RemoteInfo = { address: local ? address : host.address, port: host.tcpClientPort() };
        const serverEnd: RemoteInfo = { address, port };
        const [client, server] = duplexPair(this, this.latencyMs, clientEnd, serverEnd, this.tcpHighWaterMark);
        for (const s of [client, server]) {
          this.streams.add(s);
          s.once("close", () => this.streams.delete(s));
        }
        // the client learns of the connection before anything the server does reaches it
        pending.task = this.schedule(() => settle(() => resolve(client)), rtt);
        listener.onConnection(server);
      }, rtt);
    });
  }
}
