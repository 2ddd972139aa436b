// Bridge mode: the same NetStack contract over real OS sockets (Node dgram/net), bound to one
// local address (127.0.0.1, or the address of an interface inside a network namespace), so the
// emulated chip can meet real peers (dnsmasq, chrony, avahi, openssl).
//
// Differences from the virtual LAN, all forced by the OS API:
// - binding is asynchronous: bind errors (EADDRINUSE) reject `ready` and go to `onError`;
//   `port` is 0 until `ready` when an ephemeral port was asked;
// - a socket that joins groups or may broadcast is bound to 0.0.0.0 (Linux filters multicast
//   and broadcast datagrams out of a socket bound to a unicast address); its `to.address` is
//   then reported as the stack's address, since Node does not expose a datagram's destination;
// - `to.ttl` is not available.
import dgram from "node:dgram";
import dns from "node:dns";
import net from "node:net";
import { codedError, ipToInt, isIpv4, isMulticast } from "./ip.ts";
import type { NetStack, RemoteInfo, TcpServerHandle, TcpStream, UdpHandle, UdpOptions } from "./types.ts";

export interface RealStackOptions {
  /** TCP connect deadline (ETIMEDOUT). Default 10000 ms. */
  connectTimeoutMs?: number;
  /** The interface's netmask, to recognise its subnet broadcast address (EACCES check). */
  netmask?: string;
}

export interface RealStack extends NetStack {
  /** Closes every socket, server and connection this stack opened. */
  close(): void;
}

function asTcpStream(socket: net.Socket): TcpStream {
  const s = socket as net.Socket & { remote: RemoteInfo; local: RemoteInfo };
  s.remote = { address: socket.remoteAddress ?? "0.0.0.0", port: socket.remotePort ?? 0 };
  s.local = { address: socket.localAddress ?? "0.0.0.0", port: socket.localPort ?? 0 };
  return s;
}

/** dgram's lookup for dotted addresses: the address itself, at once (others: dns.lookup). */
function literalLookup(host: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  if (isIpv4(host)) cb(null, host, 4);
  else dns.lookup(host, 4, cb);
}

export function realStack(address: string, options: RealStackOptions = {}): RealStack {
  if (!isIpv4(address)) throw codedError("EINVAL", `realStack needs a dotted IPv4 address, not "${address}"`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10000;
  const subnetBroadcast = options.netmask && address !== "0.0.0.0"
    ? ((ipToInt(address) | (~ipToInt(options.netmask) >>> 0)) >>> 0)
    : -1;
  const udpSockets = new Set<dgram.Socket>();
  const servers = new Set<net.Server>();
  const connections = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    connections.add(s);
    s.once("close", () => connections.delete(s));
  };

  function udpBind(opts: UdpOptions): UdpHandle {
    const port = opts.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw codedError("EINVAL", `UDP port ${port} is not an integer between 0 and 65535`);
    }
    const groups = opts.groups ?? [];
    for (const g of groups) {
      if (!isIpv4(g) || !isMulticast(ipToInt(g))) throw codedError("EINVAL", `"${g}" is not an IPv4 multicast group`);
    }
    // Every address reaching Node here is a dotted IPv4 one (bind's, and send checks), so the
    // lookup is the identity, called back at once: Node's default (dns.lookup) defers each
    // bind and each send by a tick; with this one bind completes inside socket.bind().
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: !!opts.reuseAddr, lookup: literalLookup });
    udpSockets.add(socket);
    const wildcard = groups.length > 0 || !!opts.broadcast;
    let bound = false;
    let closed = false;
    // multicast send options, set at the first multicast send (most sockets never send one)
    let multicastReady = false;
    // errors stay asynchronous for the caller (a bind error now happens inside udpBind)
    const report = (err: Error) => opts.onError && queueMicrotask(() => opts.onError!(err as Error & { code?: string }));
    socket.on("error", report);
    socket.on("message", (msg, rinfo) => {
      opts.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), { address: rinfo.address, port: rinfo.port }, { address });
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onBindError = (err: Error) => reject(err);
      socket.once("error", onBindError);
      socket.bind({ port, address: wildcard ? "0.0.0.0" : address }, () => {
        socket.off("error", onBindError);
        bound = true;
        try {
          if (opts.broadcast) socket.setBroadcast(true);
          // RFC 6762 §11: mDNS packets, unicast replies (QU, legacy) included, leave with IP
          // TTL 255; the OS default for unicast is 64.
          if (port === 5353) socket.setTTL(255);
          for (const g of groups) {
            if (address !== "0.0.0.0") socket.addMembership(g, address);
            else socket.addMembership(g);
          }
          resolve();
        } catch (e) {
          report(e as Error);
          reject(e);
        }
      });
    });
    ready.catch(() => {}); // reported through onError; awaiting `ready` is optional
    return {
      get port() {
        return bound && !closed ? socket.address().port : port;
      },
      ready,
      send(data: Uint8Array, toPort: number, to: string, ttl?: number) {
        if (closed) throw codedError("EBADF", "send on a closed UDP socket; bind a new one");
        if (!isIpv4(to)) throw codedError("EINVAL", `"${to}" is not a dotted IPv4 address; resolve names first`);
        if (data.length > 65507) throw codedError("EMSGSIZE", `a ${data.length}-byte datagram is larger than UDP's 65507; split it`);
        const dst = ipToInt(to);
        if ((dst === 0xffffffff || dst === subnetBroadcast) && !opts.broadcast) {
          throw codedError("EACCES", `sending to broadcast ${to} needs the socket's broadcast option (SO_BROADCAST)`);
        }
        if (bound && !multicastReady && isMulticast(dst)) {
          multicastReady = true;
          socket.setMulticastTTL(255);
          socket.setMulticastLoopback(true);
          if (address !== "0.0.0.0") socket.setMulticastInterface(address);
        }
        if (ttl !== undefined && bound) {
          if (isMulticast(dst)) socket.setMulticastTTL(ttl);
          else socket.setTTL(ttl);
        }
        socket.send(data, toPort, to, (err) => {
          if (err) report(err);
        });
      },
      close() {
        if (closed) return;
        closed = true;
        udpSockets.delete(socket);
        try {
          socket.close();
        } catch {
          // already closed
        }
      },
    };
  }

  function tcpConnect(to: string, port: number): Promise<TcpStream> {
    return new Promise<TcpStream>((resolve, reject) => {
      const socket = net.connect({
        host: to,
        port,
        allowHalfOpen: true,
        localAddress: address === "0.0.0.0" ? undefined : address,
      });
      track(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(codedError("ETIMEDOUT", `connect to ${to}:${port} timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(asTcpStream(socket));
      });
    });
  }

  function tcpListen(port: number, onConnection: (stream: TcpStream) => void): TcpServerHandle {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      track(socket);
      onConnection(asTcpStream(socket));
    });
    servers.add(server);
    let listening = false;
    const ready = new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: address }, () => {
        listening = true;
        server.off("error", reject);
        resolve();
      });
    });
    ready.catch(() => {});
    server.on("error", () => {}); // later errors: nothing to report to
    return {
      get port() {
        const a = listening ? server.address() : null;
        return a && typeof a === "object" ? a.port : port;
      },
      ready,
      close() {
        servers.delete(server);
        server.close();
      },
    };
  }

  return {
    address,
    udpBind,
    tcpConnect,
    tcpListen,
    close() {
      for (const s of udpSockets) {
        try {
          s.close();
        } catch {
          // already closed
        }
      }
      udpSockets.clear();
      for (const s of servers) s.close();
      servers.clear();
      for (const c of connections) c.destroy();
      connections.clear();
    },
  };
}
