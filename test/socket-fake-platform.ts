// An in-memory platform for the socket, asyncio and ssl unit tests: TCP streams with a
// send buffer that can fill (write() false, then drain), UDP with Espruino's rule that a
// bound socket cannot broadcast, a socket count, and a settable clock. No network.
import type { Capabilities, CodedError, TcpStream, TlsOptions, UdpOptions, UdpSocket } from "../src/platform/types.ts";
import type { Address, Platform } from "../src/socket/socket.ts";

export const BOARD_IP = "10.0.0.2";

export function codedError(code: string, message: string): CodedError {
  return Object.assign(new Error(message), { code }) as CodedError;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
/** Lets every queued delivery and promise callback run. */
export async function settle(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

/** One end of an in-memory TCP connection. */
export class End implements TcpStream {
  ondata: ((d: Uint8Array) => void) | null = null;
  onend: (() => void) | null = null;
  onclose: ((hadError: boolean) => void) | null = null;
  onerror: ((e: CodedError) => void) | null = null;
  ondrain: (() => void) | null = null;
  other!: End;
  /** Bytes written and not yet delivered. */
  pending: Uint8Array[] = [];
  /** write() returns false once this many bytes wait. */
  capacity = Infinity;
  /** Deliveries stop while true (the peer is slow). */
  paused = false;
  full = false;
  ended = false;
  closed = false;
  /** Everything this end received. */
  received: number[] = [];
  gotEnd = false;
  writes = 0;
  /** The board's end (counted in FakeNet.open). */
  board = false;

  constructor(public remoteAddress: string, public remotePort: number, private net: FakeNet) {}

  write(d: Uint8Array): boolean {
    if (this.closed || this.ended) return false;
    this.writes++;
    this.pending.push(new Uint8Array(d));
    setImmediate(() => this.flush());
    const waiting = this.pending.reduce((n, c) => n + c.length, 0);
    if (waiting >= this.capacity) this.full = true;
    return !this.full;
  }

  flush(): void {
    if (this.paused || this.closed) return;
    const chunks = this.pending.splice(0);
    for (const c of chunks) this.other.deliver(c);
    if (this.full) {
      this.full = false;
      if (this.ondrain) this.ondrain();
    }
    if (this.ended && !this.other.gotEnd) {
      this.other.gotEnd = true;
      if (this.other.onend) this.other.onend();
      this.shut(false);
    }
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  deliver(d: Uint8Array): void {
    for (const b of d) this.received.push(b);
    if (this.ondata) this.ondata(d);
  }

  end(): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    setImmediate(() => this.flush());
  }

  destroy(): void {
    this.shut(false);
  }

  /** Both ends close (Espruino has no half-open connections). */
  shut(hadError: boolean): void {
    for (const e of [this, this.other]) {
      if (e.closed) continue;
      e.closed = true;
      this.net.release(e);
      if (e.onclose) e.onclose(hadError);
    }
  }

  /** The peer resets the connection: the other end gets the error (ECONNRESET), then close. */
  reset(e = codedError("ECONNRESET", "connection reset by peer")): void {
    const o = this.other;
    if (o.onerror) o.onerror(e);
    this.shut(true);
  }

  text(): string {
    return Buffer.from(this.received).toString();
  }
}

export interface UdpPacket {
  from: number;
  to: string;
  port: number;
  data: Uint8Array;
  via: "bound" | "unbound";
}

export class FakeNet implements Platform {
  caps: Capabilities = {
    wifi: true, nativeMdns: true, tlsVerify: false, tlsServer: false, ipv6: false, udpRecvMax: 1472,
    maxSockets: 10, variables: 16383, hostnameMax: 32, dhcpInfo: false, setTime: true,
  };
  clock = Date.UTC(2026, 0, 1);
  /** Board sockets open right now (streams, listeners, UDP). */
  open = 0;
  /** Every platform call, to assert what reached (or did not reach) the platform. */
  calls: string[] = [];
  tlsSeen: (TlsOptions | undefined)[] = [];
  servers: { [hostPort: string]: (peer: End, tls?: TlsOptions) => void } = {};
  /** host:port that never answers (connect hangs). */
  silent: { [hostPort: string]: boolean } = {};
  /** Error the next TLS connection gets after connecting (handshake failure). */
  tlsFailure: CodedError | null = null;
  listeners: { [port: number]: (s: TcpStream) => void } = {};
  udp: { [port: number]: UdpSocket[] } = {};
  udpPeers: { [hostPort: string]: (data: Uint8Array, from: Address, reply: (d: Uint8Array) => void) => void } = {};
  sent: UdpPacket[] = [];
  nextPort = 40000;
  ends: End[] = [];

  constructor() {
    // Device code reads capabilities as CAMNET_BOARD.capabilities.<name> (constants in the
    // build); here they are this platform's, changeable by the test.
    (globalThis as any).CAMNET_BOARD = { capabilities: this.caps };
  }

  release(e: End): void {
    if (e.board) this.open--;
  }

  now(): number {
    return this.clock;
  }

  /** A TCP server on another host. */
  serve(host: string, port: number, onPeer: (peer: End, tls?: TlsOptions) => void): void {
    this.servers[host + ":" + port] = onPeer;
  }

  connectTcp(host: string, port: number, tls?: TlsOptions): Promise<TcpStream> {
    this.calls.push("connectTcp " + host + ":" + port + (tls ? " tls" : ""));
    this.tlsSeen.push(tls);
    const server = this.servers[host + ":" + port];
    if (this.silent[host + ":" + port]) return new Promise(() => {});
    if (!server) return Promise.reject(codedError("ECONNREFUSED", "connection refused by " + host + ":" + port));
    const [board, peer] = this.pair(host, port, BOARD_IP, this.nextPort++);
    board.board = true;
    this.open++;
    return new Promise((resolve) => setImmediate(() => {
      server(peer, tls);
      resolve(board);
      const f = this.tlsFailure;
      if (tls && f) {
        this.tlsFailure = null;
        setImmediate(() => peer.reset(f));
      }
    }));
  }

  pair(host: string, port: number, fromIp: string, fromPort: number): [End, End] {
    const a = new End(host, port, this), b = new End(fromIp, fromPort, this);
    a.other = b;
    b.other = a;
    this.ends.push(a, b);
    return [a, b];
  }

  listenTcp(port: number, cb: (s: TcpStream) => void, tls?: TlsOptions): Promise<{ close(): void }> {
    this.calls.push("listenTcp " + port + (tls ? " tls" : ""));
    if (this.listeners[port]) return Promise.reject(codedError("EADDRINUSE", "port " + port + " in use"));
    this.listeners[port] = cb;
    this.open++;
    return Promise.resolve({ close: () => { delete this.listeners[port]; this.open--; } });
  }

  /** A remote client connects to the board's listener; returns the client's end. */
  dial(port: number, fromIp = "10.0.0.7", fromPort = 50000): End {
    const [board, peer] = this.pair(fromIp, fromPort, BOARD_IP, port);
    board.board = true;
    this.open++;
    this.listeners[port](board);
    return peer;
  }

  openUdp(opts: UdpOptions): Promise<UdpSocket> {
    this.calls.push("openUdp " + JSON.stringify(opts));
    const bound = !!opts.port;
    const port = opts.port || this.nextPort++;
    const list = this.udp[port] || (this.udp[port] = []);
    if (bound && list.length && !opts.reuse) return Promise.reject(codedError("EADDRINUSE", "port " + port + " in use"));
    const net = this;
    const sock: UdpSocket & { group?: string } = {
      port: bound ? port : 0,
      group: opts.group,
      onmessage: null,
      send(data, toPort, address) {
        if (bound && (address === "255.255.255.255" || address === "10.0.0.255")) {
          throw codedError("EACCES", "cannot broadcast from a bound UDP socket on Espruino: send from an unbound socket");
        }
        net.sent.push({ from: port, to: address, port: toPort, data: new Uint8Array(data), via: bound ? "bound" : "unbound" });
        const peer = net.udpPeers[address + ":" + toPort];
        if (peer) {
          setImmediate(() => peer(new Uint8Array(data), [BOARD_IP, port], (d) => net.toBoard(port, d, address, toPort)));
        }
      },
      close() {
        const i = list.indexOf(sock);
        if (i >= 0) { list.splice(i, 1); net.open--; }
      },
    };
    list.push(sock);
    this.open++;
    return Promise.resolve(sock);
  }

  /** A datagram from fromIp:fromPort to the board's UDP port. */
  toBoard(port: number, data: Uint8Array, fromIp: string, fromPort: number): void {
    for (const s of this.udp[port] || []) if (s.onmessage) s.onmessage(new Uint8Array(data), fromIp, fromPort);
  }
}

export const bytesOf = (s: string) => new Uint8Array(Buffer.from(s));
export const textOf = (b: Uint8Array) => Buffer.from(b).toString();
