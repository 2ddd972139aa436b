// require("dgram") as Espruino's socketserver + network_esp32/linux implement it, quirks included:
// - addMembership() only stores the group; it takes effect at bind(), so after bind it does nothing
// - datagrams are received into chunkSize-8 bytes (528 by default): longer ones are truncated;
//   recvBufferSize raises chunkSize for every socket (UDP and TCP), for good
// - send() wants a binary string; anything else goes through toString() (Uint8Array -> "1,2,3")
// - payloads arrive as binary strings; rinfo is {address, port, size}
// - a bound socket has no SO_BROADCAST: sending to broadcast fails silently (on the board the
//   failed sendto is miscounted and a garbage datagram follows; here the send is lost + a quirk)
// - an unbound socket gets an ephemeral client socket (with SO_BROADCAST) on its first send
// - every OS socket counts against maxSockets (error -7 "max sockets")
import type { UdpHandle } from "../lan/types.ts";
import { binaryToBytes, bytesToBinary, isBinaryString } from "./binary.ts";
import { isBroadcast, isIpv4 } from "./network.ts";
import type { Chip } from "./sandbox.ts";

interface DgramState {
  reuseAddr: boolean;
  groups: string[];
  bound: UdpHandle | null;
  client: UdpHandle | null;
  closed: boolean;
  sockets: number;
  boundPort: number;
}

export const SOCKET_ERRORS: Record<number, string> = {
  [-1]: "closed",
  [-2]: "not closed",
  [-3]: "timeout",
  [-4]: "no route",
  [-5]: "busy",
  [-6]: "not found",
  [-7]: "max sockets",
  [-8]: "unsent data",
  [-9]: "connection reset",
  [-10]: "unknown",
  [-11]: "no connection",
  [-12]: "bad argument",
  [-13]: "SSL handshake failed",
  [-14]: "invalid SSL data",
};

export function socketError(chip: Chip, code: number, message?: string): unknown {
  return chip.realm.data({ code, message: message ?? SOCKET_ERRORS[code] ?? "unknown" });
}

export function createDgramModule(chip: Chip): unknown {
  const { realm, rt } = chip;
  const states = new WeakMap<object, DgramState>();
  const st = (s: unknown): DgramState => {
    const x = states.get(s as object);
    if (!x) throw realm.error("Not a dgram socket", "TypeError");
    return x;
  };

  const deliver = (sock: object) => (data: Uint8Array, from: { address: string; port: number }) => {
    const s = states.get(sock);
    if (!s || s.closed || !rt.powered) return;
    const max = rt.chunkSize - 8;
    let payload = data;
    if (data.length > max) {
      rt.quirk(`dgram: ${data.length}-byte datagram truncated to ${max} bytes (raise recvBufferSize)`);
      payload = data.subarray(0, max);
    }
    const info = realm.obj();
    info.address = from.address;
    info.port = from.port;
    info.size = payload.length;
    realm.emit(sock, "message", bytesToBinary(payload), info);
  };

  const closeHandles = (s: DgramState) => {
    for (const h of [s.bound, s.client]) {
      if (!h) continue;
      try {
        h.close();
      } catch {
        /* closed */
      }
    }
    s.bound = s.client = null;
    for (; s.sockets > 0; s.sockets--) rt.giveSocket();
  };

  const proto = realm.proto({
    bind(this: unknown, port: unknown, cb: unknown) {
      const sock = this as object;
      const s = st(sock);
      if (typeof cb === "function") (sock as Record<string, unknown>)["#onbind"] = cb;
      const stack = chip.network.stack();
      if (!chip.network.online() || !stack) throw realm.error("Not connected to the internet", "InternalError");
      if (!rt.takeSocket()) {
        realm.emit(sock, "error", socketError(chip, -7));
      } else {
        s.sockets++;
        try {
          s.bound = stack.udpBind({
            port: Number(port) || 0,
            reuseAddr: s.reuseAddr,
            groups: s.groups.slice(),
            broadcast: false,
            onMessage: deliver(sock),
          });
          s.boundPort = s.bound.port;
        } catch (e) {
          rt.giveSocket();
          s.sockets--;
          realm.emit(sock, "error", socketError(chip, -1, (e as Error).message));
        }
      }
      // jswrap_dgramSocket_bind queues the callback whatever happened
      const onbind = (sock as Record<string, unknown>)["#onbind"];
      if (onbind) rt.queueCallback(onbind, sock, [sock]);
      return sock;
    },
    addMembership(this: unknown, group: unknown, ip: unknown) {
      const s = st(this);
      if (!chip.network.online()) throw realm.error("Not connected to the internet", "InternalError");
      if (s.bound) {
        rt.quirk(`dgram: addMembership(${String(group)}) after bind() has no effect (membership is applied at bind)`);
        return;
      }
      void ip;
      s.groups.push(String(group));
    },
    send(this: unknown, msg: unknown, a: unknown, b: unknown, c: unknown, d: unknown) {
      const sock = this as object;
      const s = st(sock);
      let port: number;
      let address: string;
      let text: string;
      if (typeof msg !== "string") {
        text = String(msg);
        rt.quirk(`dgram: send() of a ${Object.prototype.toString.call(msg).slice(8, -1)} sends its toString() "${text.slice(0, 40)}" (use E.toString)`);
      } else text = msg;
      if (d !== undefined) {
        text = text.substr(Number(a), Number(b));
        port = Number(c);
        address = String(d);
      } else {
        port = Number(a);
        address = String(b);
      }
      if (!isBinaryString(text)) rt.quirk("dgram: send() of chars above 255: only their low 8 bits go out");
      const bytes = binaryToBytes(text);
      if (s.closed) return;
      // Datagrams are queued and sent one per idle-loop pass.
      rt.enqueue(() => {
        if (s.closed) return;
        const go = (ip: string | null) => {
          if (s.closed || !rt.powered) return;
          if (!ip) {
            rt.quirk(`dgram: could not resolve ${address}: datagram dropped`);
            return;
          }
          sendResolved(sock, s, bytes, port, ip);
        };
        if (isIpv4(address)) go(address);
        else chip.dns.lookup(address).then(go);
      });
    },
    close(this: unknown) {
      const sock = this as object;
      const s = st(sock);
      if (s.closed) return;
      s.closed = true;
      closeHandles(s);
      rt.untrack(closers.get(sock)!);
      realm.emit(sock, "close", false);
    },
  });

  const closers = new WeakMap<object, { close(): void }>();

  function sendResolved(sock: object, s: DgramState, bytes: Uint8Array, port: number, ip: string): void {
    const stack = chip.network.stack();
    if (!stack || !chip.network.online()) {
      rt.quirk("dgram: send while offline: datagram lost");
      return;
    }
    let handle = s.bound;
    if (!handle) {
      if (!s.client) {
        if (!rt.takeSocket()) {
          realm.emit(sock, "error", socketError(chip, -7));
          return;
        }
        s.sockets++;
        s.client = stack.udpBind({ port: 0, broadcast: true, onMessage: deliver(sock) });
      }
      handle = s.client;
    }
    if (s.bound && isBroadcast(ip, stack)) {
      rt.quirk(
        `dgram: send to broadcast ${ip} from a bound socket: sendto fails (no SO_BROADCAST), the error is ` +
          "miscounted and a garbage datagram follows on the board; the datagram is lost",
      );
      return;
    }
    try {
      handle.send(bytes, port, ip);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EACCES") {
        rt.quirk(`dgram: send to ${ip} refused (EACCES): datagram lost silently`);
      } else rt.quirk(`dgram: send to ${ip}:${port} failed (${code ?? (e as Error).message}): datagram lost silently`);
    }
  }

  const mod = realm.obj();
  Object.defineProperty(mod, "createSocket", {
    enumerable: false,
    value: realm.fn((type: unknown, cb: unknown) => {
      const opts = type && typeof type === "object" ? (type as Record<string, unknown>) : {};
      const recv = Number(opts.recvBufferSize) || 0;
      if (recv > rt.chunkSize) rt.chunkSize = recv;
      const sock = realm.instance(proto, { type: typeof type === "string" ? type : opts.type, opt: opts });
      const s: DgramState = { reuseAddr: !!opts.reuseAddr, groups: [], bound: null, client: null, closed: false, sockets: 0, boundPort: 0 };
      states.set(sock, s);
      const closer = {
        close: () => {
          s.closed = true;
          closeHandles(s);
        },
      };
      closers.set(sock, closer);
      rt.track(closer);
      // the callback is stored as the "connect" callback, which never fires for UDP
      void cb;
      return sock;
    }, "createSocket"),
  });
  return mod;
}
