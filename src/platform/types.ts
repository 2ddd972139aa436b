// The internal interface src/platform/ gives the rest of src/. Nothing outside
// src/platform/ touches an Espruino global; modules import these types and the
// functions of src/platform/index.ts.

/** What the firmware can do, read from boards/<board>.json at build time. */
export interface Capabilities {
  wifi: boolean;
  nativeMdns: boolean;
  tlsVerify: boolean;
  tlsServer: boolean;
  ipv6: boolean;
  /** Largest UDP datagram the platform asks to receive (recvBufferSize): the firmware's
   *  default is 528; ESP32 lwIP has no IP reassembly, so 1472 is the most that can arrive. */
  udpRecvMax: number;
  maxSockets: number;
  /** JsVar budget (0: resizable, Linux). */
  variables: number;
  hostnameMax: number;
  /** The firmware exposes DHCP-learned DNS and NTP servers. */
  dhcpInfo: boolean;
  /** setTime() really sets the clock (false on the Linux build). */
  setTime: boolean;
}

export interface Board {
  id: string;
  defaultHostname: string;
  /** When the firmware's sources were committed, s since 1970. */
  buildTime: number;
  capabilities: Capabilities;
}

/** An Error carrying a stable `.code` (see DESIGN.md "Asynchrony and errors"). */
export interface CodedError extends Error {
  code: string;
  errno?: number;
}

export interface UdpSocket {
  /** The bound port, where an implementation tells it (the test fakes); the board's platform
   *  leaves it out (nobody reads it; Espruino cannot tell an unbound socket's ephemeral port). */
  readonly port?: number;
  /** Queues one datagram. Never throws for a valid IPv4 address. */
  send(data: Uint8Array, port: number, address: string): void;
  /** Called for every datagram; `data` is a fresh Uint8Array the receiver may keep. */
  onmessage: ((data: Uint8Array, address: string, port: number) => void) | null;
  close(): void;
}

export interface UdpOptions {
  /** Bind to this port (0 or absent: an unbound client socket with an ephemeral port). */
  port?: number;
  /** Join this multicast group; the platform does it before bind, as Espruino requires. */
  group?: string;
  /** Share the port with another socket (mDNS next to a native responder). */
  reuse?: boolean;
}

export interface TcpStream {
  /** Queues bytes; false when the send buffer is full (wait for ondrain). */
  write(data: Uint8Array): boolean;
  /** Half-close after queued bytes are sent. */
  end(): void;
  /** Close at once. */
  destroy(): void;
  ondata: ((data: Uint8Array) => void) | null;
  /** The peer closed its side. */
  onend: (() => void) | null;
  onclose: ((hadError: boolean) => void) | null;
  onerror: ((err: CodedError) => void) | null;
  ondrain: (() => void) | null;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface TlsOptions {
  ca?: Uint8Array;
  cert?: Uint8Array;
  key?: Uint8Array;
  servername?: string;
  verify?: boolean;
}

export interface IfConfig {
  ip: string;
  netmask: string;
  /** The gateway (the firmware's getIP() name). */
  gw: string;
  mac: string;
  /** DNS servers learned from DHCP; empty where the firmware does not expose them. */
  dns: string[];
  /** NTP servers learned from DHCP (option 42); empty where not exposed. */
  ntp: string[];
}
