// Asks a DNS server from another host on the virtual LAN, with dns-packet (not our codec),
// as a laptop on the same network would.
import dnsPacket from "dns-packet";
import type { DecodedPacket } from "dns-packet";
import type { Host } from "../../emulator/lan/host.ts";

export function dnsAsk(host: Host, server: string, name: string, type: string, port = 53, timeoutMs = 2000): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const id = Math.floor(Math.random() * 65536);
    const sock = host.udpBind({
      onMessage: (data) => {
        const m = dnsPacket.decode(Buffer.from(data));
        if (m.id !== id) return;
        clearTimeout(timer);
        sock.close();
        resolve(m);
      },
    });
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no answer for ${name} ${type} from ${server}`));
    }, timeoutMs);
    sock.send(dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as any }] }), port, server);
  });
}

/** The data of the answers of `type` for `name` ("" when none). */
export async function dnsData(host: Host, server: string, name: string, type: string, port = 53): Promise<string[]> {
  const m = await dnsAsk(host, server, name, type, port);
  return (m.answers ?? []).filter((a: any) => a.type === type).map((a: any) => String(a.data));
}
