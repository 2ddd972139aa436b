// The DHCP client as lwIP runs it on the chip: DISCOVER (broadcast flag set, options
// 12/61/55/57) -> OFFER -> REQUEST -> ACK, retransmitting with lwIP's back-off, restarting
// after a NAK; on ACK the host's address is configured (netif_set_addr).
import {
  BOOTREPLY, BOOTREQUEST, BROADCAST_FLAG, DHCPACK, DHCPDISCOVER, DHCPNAK, DHCPOFFER, DHCPRELEASE,
  DHCPREQUEST, OPTION, encodeDhcp, ipListOption, messageType, newMessage, parseDhcp, readIpList,
  readString, readU32, stringOption,
} from "./dhcp.ts";
import type { DhcpMessage } from "./dhcp.ts";
import type { Host, Task } from "./host.ts";
import { codedError, macBytes } from "./ip.ts";
import type { UdpHandle } from "./types.ts";

export interface Lease {
  ip: string;
  netmask: string;
  gateway: string;
  dns: string[];
  ntp: string[];
  domain: string;
  leaseSeconds: number;
  /** The DHCP server's identifier (option 54). */
  server: string;
}

export interface DhcpClientOptions {
  /** Option 12. */
  hostname?: string;
  /** Overall deadline in LAN ms; rejects with ETIMEDOUT. Default 10000. */
  timeoutMs?: number;
  /** Option 61 as a string (sent as type 0 + text); default: type 1 + the MAC, as lwIP does. */
  clientId?: string;
  /** Set the host's address on ACK (default true). */
  configure?: boolean;
}

/** lwIP: 1 << tries seconds between retransmissions, at most 60 s. */
function backoffMs(tries: number): number {
  return (tries < 6 ? 1 << tries : 60) * 1000;
}

const PARAMETERS = Uint8Array.of(
  OPTION.subnetMask, OPTION.router, OPTION.broadcastAddress, OPTION.dnsServers, OPTION.domainName,
  OPTION.ntpServers, OPTION.leaseTime, OPTION.serverId, OPTION.renewalTime, OPTION.rebindingTime,
);

function clientIdOption(host: Host, clientId: string | undefined): Uint8Array {
  if (clientId !== undefined) return Uint8Array.of(0, ...stringOption(clientId));
  return Uint8Array.of(1, ...macBytes(host.mac));
}

export function dhcpClient(host: Host, opts: DhcpClientOptions = {}): Promise<Lease> {
  const lan = host.lan;
  const timeoutMs = opts.timeoutMs ?? 10000;
  return new Promise<Lease>((resolve, reject) => {
    let socket: UdpHandle;
    let xid = 0;
    let state: "selecting" | "requesting" | "done" = "selecting";
    let offer: DhcpMessage | null = null;
    let retry: Task | null = null;
    let tries = 0;
    let deadline: Task | null = null;

    const finish = (err: Error | null, lease?: Lease) => {
      if (state === "done") return;
      state = "done";
      retry?.cancel();
      deadline?.cancel();
      socket.close();
      if (err) reject(err);
      else resolve(lease!);
    };

    const common = (type: number): DhcpMessage => {
      const options = new Map<number, Uint8Array>([[OPTION.messageType, Uint8Array.of(type)]]);
      options.set(OPTION.clientId, clientIdOption(host, opts.clientId));
      options.set(OPTION.maxMessageSize, Uint8Array.of(1500 >> 8, 1500 & 255));
      if (opts.hostname) options.set(OPTION.hostName, stringOption(opts.hostname));
      options.set(OPTION.parameterList, PARAMETERS);
      return newMessage({ op: BOOTREQUEST, xid, chaddr: host.mac, flags: BROADCAST_FLAG, options });
    };

    const send = (msg: DhcpMessage) => {
      try {
        socket.send(encodeDhcp(msg), 67, "255.255.255.255");
      } catch (e) {
        finish(e as Error);
      }
    };

    const sendDiscover = () => {
      retry = null;
      send(common(DHCPDISCOVER));
      if (state === "selecting") retry = lan.schedule(sendDiscover, backoffMs(++tries));
    };

    const sendRequest = () => {
      retry = null;
      const msg = common(DHCPREQUEST);
      msg.options.set(OPTION.requestedIp, ipListOption([offer!.yiaddr]));
      msg.options.set(OPTION.serverId, offer!.options.get(OPTION.serverId)!);
      send(msg);
      if (state !== "requesting") return;
      if (tries >= 4) {
        // lwIP gives up on the REQUEST after a few tries and starts over
        state = "selecting";
        startOver();
      } else retry = lan.schedule(sendRequest, backoffMs(++tries));
    };

    const startOver = () => {
      retry?.cancel();
      xid = Math.floor(lan.random() * 4294967296) >>> 0;
      tries = 0;
      offer = null;
      state = "selecting";
      sendDiscover();
    };

    const onMessage = (data: Uint8Array) => {
      if (state === "done") return;
      let msg: DhcpMessage;
      try {
        msg = parseDhcp(data);
      } catch {
        return;
      }
      if (msg.op !== BOOTREPLY || msg.xid !== xid || msg.chaddr !== host.mac.toLowerCase()) return;
      const type = messageType(msg);
      if (state === "selecting" && type === DHCPOFFER && msg.options.has(OPTION.serverId)) {
        offer = msg;
        state = "requesting";
        retry?.cancel();
        tries = 0;
        sendRequest();
      } else if (state === "requesting" && type === DHCPACK) {
        const o = msg.options;
        const lease: Lease = {
          ip: msg.yiaddr,
          netmask: readIpList(o.get(OPTION.subnetMask))[0] ?? host.lan.subnetMask,
          gateway: readIpList(o.get(OPTION.router))[0] ?? "0.0.0.0",
          dns: readIpList(o.get(OPTION.dnsServers)),
          ntp: readIpList(o.get(OPTION.ntpServers)),
          domain: readString(o.get(OPTION.domainName)) ?? "",
          leaseSeconds: readU32(o.get(OPTION.leaseTime)) ?? 0,
          server: readIpList(o.get(OPTION.serverId))[0] ?? offer!.options.get(OPTION.serverId)!.join("."),
        };
        if (opts.configure !== false) host.setAddress(lease.ip, lease.netmask, lease.gateway);
        finish(null, lease);
      } else if (state === "requesting" && type === DHCPNAK) {
        startOver();
      }
    };

    try {
      socket = host.udpBind({ port: 68, broadcast: true, onMessage });
    } catch (e) {
      reject(e);
      return;
    }
    deadline = lan.schedule(
      () => finish(codedError("ETIMEDOUT", `no DHCP lease for ${host.mac} within ${timeoutMs} ms; is a DHCP server on the network?`)),
      timeoutMs,
    );
    startOver();
  });
}

/** Gives a lease back (DHCPRELEASE, unicast to the server) and clears the host's address. */
export function dhcpRelease(host: Host, lease: Lease): void {
  let socket: UdpHandle;
  try {
    socket = host.udpBind({ port: 68, onMessage: () => {} });
  } catch {
    socket = host.udpBind({ port: 0, onMessage: () => {} });
  }
  try {
    const options = new Map<number, Uint8Array>([
      [OPTION.messageType, Uint8Array.of(DHCPRELEASE)],
      [OPTION.serverId, ipListOption([lease.server])],
      [OPTION.clientId, clientIdOption(host, undefined)],
    ]);
    const xid = Math.floor(host.lan.random() * 4294967296) >>> 0;
    socket.send(encodeDhcp(newMessage({ op: BOOTREQUEST, xid, chaddr: host.mac, ciaddr: lease.ip, options })), 67, lease.server);
  } finally {
    socket.close();
    host.setAddress(null);
  }
}
