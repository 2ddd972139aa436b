// What a laptop on the virtual LAN does to reach the camera: ask mDNS for <name>.local
// (dns-packet, not our codec), ask the router's DNS for <name>.lan, and fetch over TCP.
import dnsPacket from "dns-packet";
import type { Host } from "../../emulator/lan/host.ts";
import { dnsData } from "./dns.ts";

/** One mDNS query from port 5353 (multicast); the first A address answered, or null after `timeoutMs`. */
export function mdnsAddress(host: Host, name: string, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (ip: string | null) => {
      clearTimeout(timer);
      sock.close();
      resolve(ip);
    };
    const sock = host.udpBind({
      port: 5353, reuseAddr: true, groups: ["224.0.0.251"],
      onMessage: (data) => {
        const m = dnsPacket.decode(Buffer.from(data));
        if (m.type !== "response") return;
        const a = (m.answers ?? []).find((r: any) => r.type === "A" && r.name.toLowerCase() === name.toLowerCase() && r.ttl);
        if (a) done(String(a.data));
      },
    });
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.send(dnsPacket.encode({ type: "query", id: 0, questions: [{ name, type: "A" }] }), 5353, "224.0.0.251", 255);
  });
}

/** The address of `name` as the laptop finds it: mDNS for .local, else the router's DNS. */
export async function lookup(host: Host, router: string, name: string): Promise<string | null> {
  if (/\.local$/i.test(name)) return mdnsAddress(host, name);
  return (await dnsData(host, router, name, "A"))[0] ?? null;
}

/** Sends `request` to ip:port and collects everything until the server closes. */
export async function exchange(host: Host, ip: string, port: number, request: string | Uint8Array, timeoutMs = 5000): Promise<Buffer> {
  const s = await host.tcpConnect(ip, port);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply from ${ip}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const end = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    };
    s.on("data", (d: Buffer) => chunks.push(d));
    // Close our side too once the server has (as curl does), or its socket stays half-open.
    s.on("end", () => {
      s.end();
      end();
    });
    s.on("close", end);
    s.on("error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    // An empty request: connect, then half-close without a byte.
    if (!request.length) s.end();
    else s.write(typeof request === "string" ? Buffer.from(request, "latin1") : request);
  });
}

export interface HttpReply {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function parseReply(raw: Buffer): HttpReply {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`not an HTTP reply: ${JSON.stringify(raw.toString("latin1").slice(0, 80))}`);
  const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { statusLine: lines[0], status: Number(lines[0].split(" ")[1]), headers, body: raw.subarray(end + 4) };
}

/** GET `url` (http://name[:port]/path) from the laptop: the name looked up as above. */
export async function httpGet(host: Host, router: string, url: string): Promise<HttpReply & { ip: string }> {
  const m = /^http:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (!m) throw new Error(`not an http:// URL: ${url}`);
  const ip = await lookup(host, router, m[1]);
  if (!ip) throw new Error(`the laptop cannot resolve ${m[1]}`);
  const raw = await exchange(host, ip, Number(m[2] ?? 80), `GET ${m[3] ?? "/"} HTTP/1.1\r\nHost: ${m[1]}\r\nConnection: close\r\n\r\n`);
  return { ...parseReply(raw), ip };
}
