// The contract between the emulated chip (emulator/espruino/) and whatever network it
// sits on: the in-process virtual LAN (emulator/lan/) or real OS sockets (bridge mode).
// Everything here is host-side Node code; the bundle never sees it.
import type { Duplex } from "node:stream";

export interface RemoteInfo {
  address: string;
  port: number;
}

export interface UdpOptions {
  /** Local port; 0 or undefined for an ephemeral one. */
  port?: number;
  /** SO_REUSEADDR/SO_REUSEPORT: several sockets may bind the same port (mDNS). */
  reuseAddr?: boolean;
  /** Multicast groups joined at bind time (Espruino applies membership only then). */
  groups?: string[];
  /** Allow sending to broadcast addresses (SO_BROADCAST). */
  broadcast?: boolean;
  /** Called once per datagram received; `data` is the whole datagram, untruncated.
   *  `to.address` is the destination the sender used (unicast, broadcast or group) on the
   *  virtual LAN; `to.ttl` is the IP TTL it arrived with (virtual LAN only). */
  onMessage: (data: Uint8Array, from: RemoteInfo, to: { address: string; ttl?: number }) => void;
  /** Asynchronous socket errors (real sockets only: bind failures, send failures). */
  onError?: (err: Error & { code?: string }) => void;
}

export interface UdpHandle {
  /** The bound port (real sockets: 0 until `ready` resolves when an ephemeral port was asked). */
  readonly port: number;
  /** Resolves once the socket is bound (at once on the virtual LAN, where binding is
   *  synchronous and errors throw); real sockets reject with e.g. EADDRINUSE. */
  readonly ready?: Promise<void>;
  /** Sends one datagram. Throws an Error with .code (EACCES for broadcast without
   *  `broadcast`, ENETUNREACH when the host has no address, EMSGSIZE over 65507). */
  send(data: Uint8Array, port: number, address: string, ttl?: number): void;
  close(): void;
}

export interface TcpServerHandle {
  readonly port: number;
  /** Resolves once listening (see UdpHandle.ready). */
  readonly ready?: Promise<void>;
  close(): void;
}

/** A connected TCP stream: a Node Duplex (so Node's tls can wrap it) with both ends' addresses. */
export type TcpStream = Duplex & { remote: RemoteInfo; local: RemoteInfo };

/** One host's view of the network: what lwIP (or the OS) offers its sockets. */
export interface NetStack {
  /** The host's IPv4 address, "0.0.0.0" while it has none. */
  readonly address: string;
  udpBind(opts: UdpOptions): UdpHandle;
  /** Resolves with a connected stream; rejects with .code ECONNREFUSED, ETIMEDOUT,
   *  EHOSTUNREACH or ENETUNREACH. The stream is a Node Duplex so that Node's tls can wrap it. */
  tcpConnect(address: string, port: number): Promise<Duplex & { remote: RemoteInfo; local: RemoteInfo }>;
  tcpListen(
    port: number,
    onConnection: (stream: Duplex & { remote: RemoteInfo; local: RemoteInfo }) => void,
  ): TcpServerHandle;
}
