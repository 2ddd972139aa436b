// Two linked Node Duplex streams: one TCP connection of the virtual LAN.
// Node 20 has no stream.duplexPair; this one also models what the emulator needs from TCP:
// latency, half-close, reset on destroy, and end-to-end backpressure (a writer's callback
// waits until the peer's reader has room, so write() returns false once highWaterMark
// bytes sit unread).
import { Duplex } from "node:stream";
import { codedError } from "./ip.ts";
import type { RemoteInfo } from "./types.ts";

export interface Scheduler {
  schedule(fn: () => void, ms: number): { cancel(): void };
}

export class VirtualTcpStream extends Duplex {
  readonly local: RemoteInfo;
  readonly remote: RemoteInfo;
  /** The other end. */
  peer!: VirtualTcpStream;
  private waitingWriter: (() => void) | null = null;
  private resetByPeer = false;
  private forceReset = false;
  private finSent = false;
  private finReceived = false;
  private closedBySelf = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly latencyMs: number,
    local: RemoteInfo,
    remote: RemoteInfo,
    highWaterMark: number,
  ) {
    super({ allowHalfOpen: true, highWaterMark });
    this.local = local;
    this.remote = remote;
  }

  // net.Socket look-alikes, for code that reads them.
  get remoteAddress(): string { return this.remote.address; }
  get remotePort(): number { return this.remote.port; }
  get localAddress(): string { return this.local.address; }
  get localPort(): number { return this.local.port; }
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.scheduler.schedule(() => {
      const peer = this.peer;
      if (peer.destroyed || peer.closedBySelf) {
        // writing to a closed socket draws a reset
        callback(codedError("EPIPE", `${this.remote.address}:${this.remote.port} closed the connection; data was not delivered`));
        return;
      }
      if (peer.push(chunk)) callback();
      else peer.waitingWriter = () => callback();
    }, this.latencyMs);
  }

  override _read(): void {
    const writer = this.waitingWriter;
    if (writer) {
      this.waitingWriter = null;
      writer();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendFin();
    callback();
  }

  private sendFin(): void {
    if (this.finSent) return;
    this.finSent = true;
    const peer = this.peer;
    this.scheduler.schedule(() => {
      if (!peer.destroyed) {
        peer.finReceived = true;
        peer.push(null);
      }
    }, this.latencyMs);
  }

  /** Aborts the connection with a reset (RST), whatever state it is in, like net.Socket's. */
  resetAndDestroy(): this {
    this.forceReset = true;
    return this.destroy();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const writer = this.waitingWriter;
    this.waitingWriter = null;
    if (writer) writer();
    // like close(2): a FIN when the peer had finished and nothing is left unread, else a reset
    const clean = !error && !this.forceReset && this.finReceived && this.readableLength === 0;
    if (this.resetByPeer) {
      // nothing to tell
    } else if (clean) {
      this.closedBySelf = true;
      this.sendFin();
    } else {
      const peer = this.peer;
      this.scheduler.schedule(() => {
        if (peer.destroyed) return;
        peer.resetByPeer = true;
        peer.destroy(codedError("ECONNRESET", `connection to ${this.local.address}:${this.local.port} was reset by the peer`));
      }, this.latencyMs);
    }
    callback(error);
  }

  /** Ends the stream quietly, telling nobody (the LAN is shutting down). */
  shutdown(): void {
    this.resetByPeer = true;
    this.destroy();
  }
}

export function duplexPair(
  scheduler: Scheduler,
  latencyMs: number,
  a: RemoteInfo,
  b: RemoteInfo,
  highWaterMark = 16384,
): [VirtualTcpStream, VirtualTcpStream] {
  const sa = new VirtualTcpStream(scheduler, latencyMs, a, b, highWaterMark);
  const sb = new VirtualTcpStream(scheduler, latencyMs, b, a, highWaterMark);
  sa.peer = sb;
  sb.peer = sa;
  return [sa, sb];
}
