// What the chip's sockets sit on: the NetStack (the board's LAN host or the bridge), whether
// the firmware considers itself online, and lwIP's own DNS client (gethostbyname /
// dns_gethostbyname), which uses raw pcbs and so does not count against maxSockets.
import dnsPacket from "dns-packet";
import type { NetStack, UdpHandle } from "../lan/types.ts";
import type { Runtime } from "./runtime.ts";

export interface ChipNetwork {
  /** The NetStack the firmware's sockets use; null while there is none (Wi-Fi never started). */
  stack(): NetStack | null;
  /** ESP32: the station has an address (GOT_IP); Linux: always. */
  online(): boolean;
  /** DNS servers lwIP uses (from DHCP on ESP32, resolv.conf on Linux). */
  dnsServers(): string[];
}

export const OFFLINE: ChipNetwork = { stack: () => null, online: () => false, dnsServers: () => [] };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
}

export function isBroadcast(address: string, stack: NetStack | null): boolean {
  if (address === "255.255.255.255") return true;
  // a subnet-directed broadcast ends in .255 on the /24 LANs the emulator builds
  return isIpv4(address) && address.endsWith(".255") && !!stack;
}

/** lwIP-like DNS client: A records only, one dotted string, cache by TTL. */
export class DnsClient {
  private cache = new Map<string, { ip: string; expires: number }>();
  constructor(
    private rt: Runtime,
    private net: () => ChipNetwork,
  ) {}

  lookup(name: string, timeoutMs = 3000): Promise<string | null> {
    if (isIpv4(name)) return Promise.resolve(name);
    if (name === "localhost") return Promise.resolve("127.0.0.1");
    const key = name.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.rt.mono()) return Promise.resolve(hit.ip);
    const net = this.net();
    const stack = net.stack();
    const servers = net.dnsServers();
    if (!stack || !net.online() || servers.length === 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      let done = false;
      let handle: UdpHandle | null = null;
      const id = Math.floor(Math.random() * 65535);
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const closable = { close: () => finish(null) };
      const finish = (ip: string | null) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        try {
          handle?.close();
        } catch {
          /* closed */
        }
        this.rt.untrack(closable);
        resolve(ip);
      };
      this.rt.track(closable);
      try {
        handle = stack.udpBind({
          port: 0,
          onMessage: (data) => {
            let msg;
            try {
              msg = dnsPacket.decode(Buffer.from(data));
            } catch {
              return;
            }
            if (msg.id !== id || msg.type !== "response") return;
            const a = msg.answers.find((r) => r.type === "A");
            if (a) this.cache.set(key, { ip: String(a.data), expires: this.rt.mono() + (a.ttl ?? 60) * 1000 });
            finish(a ? String(a.data) : null);
          },
        });
      } catch {
        finish(null);
        return;
      }
      const query = dnsPacket.encode({
        type: "query",
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: "A", name }],
      });
      const send = () => {
        if (done) return;
        if (attempt >= servers.length * 2) return finish(null);
        const server = servers[attempt % servers.length]!;
        attempt++;
        try {
          handle!.send(new Uint8Array(query), 53, server);
        } catch {
          /* unreachable: try the next one at the timeout */
        }
        timer = setTimeout(send, timeoutMs / 2);
      };
      send();
    });
  }
}
