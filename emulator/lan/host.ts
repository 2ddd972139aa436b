// One machine on the virtual LAN: its address, its link (wired, or associated with an
// access point), its UDP sockets and TCP listeners. Routing between hosts is the Lan's job
// (lan.ts); a Host only keeps its own port tables.
import { EventEmitter } from "node:events";
import { codedError, ipToInt, isIpv4 } from "./ip.ts";
import type { NetStack, TcpServerHandle, TcpStream, UdpHandle, UdpOptions } from "./types.ts";

export interface Task {
  cancel(): void;
}

/** What a Host needs from the network it is plugged into (implemented by Lan). */
export interface Fabric {
  readonly subnetMask: string;
  readonly defaultGateway: string;
  schedule(fn: () => void, ms: number): Task;
  now(): number;
  random(): number;
  sendUdp(socket: UdpSocketState, data: Uint8Array, port: number, address: string, ttl?: number): void;
  connectTcp(host: Host, address: string, port: number): Promise<TcpStream>;
}

/** Anything a host can be associated with (an AccessPoint). */
export interface Link {
  readonly ssid: string;
}

export interface UdpSocketState {
  readonly host: Host;
  readonly port: number;
  readonly opts: UdpOptions;
  readonly groups: string[];
  /** Order of binding: unicast to a shared port goes to the newest socket (Linux SO_REUSEADDR). */
  readonly seq: number;
  closed: boolean;
}

export interface TcpListenerState {
  readonly port: number;
  readonly onConnection: (stream: TcpStream) => void;
}

const EPHEMERAL_FIRST = 49152;
let bindSeq = 0;

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw codedError("EINVAL", `${what} port ${port} is not an integer between 0 and 65535`);
  }
}

/**
 * Events: "disassociated" {reason} when the access point drops the host (link loss),
 * "associated" {ssid}, "address" {ip, netmask, gateway} after setAddress.
 */
export class Host extends EventEmitter implements NetStack {
  readonly mac: string;
  name?: string;
  /** The fabric this host is plugged into (internal; dhcpClient uses its clock and PRNG). */
  readonly lan: Fabric;
  /** True while the host is on a cable; false once it ever associated with an access point. */
  wired: boolean;
  /** The access point it is associated with, or null. */
  link: Link | null = null;
  private ip = "0.0.0.0";
  private mask = "0.0.0.0";
  private gw = "0.0.0.0";
  /** Internal port tables (read by the Lan's router). */
  readonly udpSockets: UdpSocketState[] = [];
  readonly tcpListeners = new Map<number, TcpListenerState>();
  private nextUdpPort = EPHEMERAL_FIRST;
  private nextTcpPort = EPHEMERAL_FIRST;

  constructor(lan: Fabric, opts: { mac: string; name?: string; wired: boolean }) {
    super();
    this.lan = lan;
    this.mac = opts.mac;
    this.name = opts.name;
    this.wired = opts.wired;
  }

  get address(): string { return this.ip; }
  get netmask(): string { return this.mask; }
  get gateway(): string { return this.gw; }
  /** Wired, or associated with an enabled access point. */
  get online(): boolean { return this.wired || this.link !== null; }

  /** Sets (or with null clears) the IPv4 configuration, as lwIP's netif_set_addr does. */
  setAddress(ip: string | null, netmask?: string, gateway?: string): void {
    if (ip === null || ip === "0.0.0.0") {
      this.ip = "0.0.0.0";
      this.mask = "0.0.0.0";
      this.gw = "0.0.0.0";
    } else {
      ipToInt(ip);
      if (netmask !== undefined) ipToInt(netmask);
      if (gateway !== undefined && gateway !== "") ipToInt(gateway);
      this.ip = ip;
      this.mask = netmask ?? this.lan.subnetMask;
      this.gw = gateway === undefined || gateway === "" ? this.lan.defaultGateway : gateway;
    }
    this.emit("address", { ip: this.ip, netmask: this.mask, gateway: this.gw });
  }

  /** Joined multicast groups (the union over live sockets, as a NIC's filter would hold). */
  memberOf(group: string): boolean {
    return this.udpSockets.some((s) => !s.closed && s.groups.includes(group));
  }

  udpBind(opts: UdpOptions): UdpHandle {
    let port = opts.port ?? 0;
    checkPort(port, "UDP");
    for (const g of opts.groups ?? []) {
      if (!isIpv4(g) || ipToInt(g) >>> 28 !== 0xe) {
        throw codedError("EINVAL", `"${g}" is not an IPv4 multicast group (224.0.0.0 to 239.255.255.255)`);
      }
    }
    const live = (p: number) => this.udpSockets.filter((s) => !s.closed && s.port === p);
    if (port === 0) {
      port = this.ephemeral("udp", (p) => live(p).length === 0);
    } else {
      const holders = live(port);
      if (holders.length && (!opts.reuseAddr || holders.some((s) => !s.opts.reuseAddr))) {
        throw codedError("EADDRINUSE", `UDP port ${port} on ${this.ip} is already bound; close the other socket or set reuseAddr on both`);
      }
    }
    const state: UdpSocketState = {
      host: this, port, opts, groups: [...(opts.groups ?? [])], seq: ++bindSeq, closed: false,
    };
    this.udpSockets.push(state);
    const lan = this.lan;
    return {
      port,
      ready: Promise.resolve(),
      send: (data: Uint8Array, toPort: number, address: string, ttl?: number) => {
        if (state.closed) throw codedError("EBADF", "send on a closed UDP socket; bind a new one");
        lan.sendUdp(state, data, toPort, address, ttl);
      },
      close: () => {
        if (state.closed) return;
        state.closed = true;
        const i = this.udpSockets.indexOf(state);
        if (i >= 0) this.udpSockets.splice(i, 1);
      },
    };
  }

  tcpConnect(address: string, port: number): Promise<TcpStream> {
    return this.lan.connectTcp(this, address, port);
  }

  tcpListen(port: number, onConnection: (stream: TcpStream) => void): TcpServerHandle {
    checkPort(port, "TCP");
    if (port === 0) port = this.ephemeral("tcp", (p) => !this.tcpListeners.has(p));
    else if (this.tcpListeners.has(port)) {
      throw codedError("EADDRINUSE", `TCP port ${port} on ${this.ip} already has a listener; close it first`);
    }
    const state: TcpListenerState = { port, onConnection };
    this.tcpListeners.set(port, state);
    return {
      port,
      ready: Promise.resolve(),
      close: () => {
        if (this.tcpListeners.get(port) === state) this.tcpListeners.delete(port);
      },
    };
  }

  /** A local port for an outgoing TCP connection. */
  tcpClientPort(): number {
    return this.ephemeral("tcp", (p) => !this.tcpListeners.has(p));
  }

  /** Closes every socket and listener of this host (Lan.close). */
  closeAll(): void {
    for (const s of this.udpSockets) s.closed = true;
    this.udpSockets.splice(0);
    this.tcpListeners.clear();
  }

  private ephemeral(kind: "udp" | "tcp", free: (p: number) => boolean): number {
    for (let i = 0; i < 65536 - EPHEMERAL_FIRST; i++) {
      const p = kind === "udp" ? this.nextUdpPort : this.nextTcpPort;
      const next = p >= 65535 ? EPHEMERAL_FIRST : p + 1;
      if (kind === "udp") this.nextUdpPort = next;
      else this.nextTcpPort = next;
      if (free(p)) return p;
    }
    throw codedError("EADDRINUSE", `no free ephemeral ${kind.toUpperCase()} port left on ${this.ip}`);
  }

  toString(): string {
    return `${this.name ?? "host"}(${this.mac}, ${this.ip})`;
  }
}
