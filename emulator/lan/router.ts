// The home router of the virtual LAN: a Host at .1 running a DHCP server (that puts the
// clients' option-12 host names into its DNS, as dnsmasq does), a DNS server (the LAN zone
// plus a scriptable "outside" zone) and an NTP server, all speaking real bytes.
import dnsPacket from "dns-packet";
import type { Answer, DecodedPacket } from "dns-packet";
import {
  BOOTREPLY, BOOTREQUEST, BROADCAST_FLAG, DHCPACK, DHCPDECLINE, DHCPDISCOVER, DHCPINFORM, DHCPNAK,
  DHCPOFFER, DHCPRELEASE, DHCPREQUEST, OPTION, encodeDhcp, ipListOption, messageType, newMessage,
  parseDhcp, readString, stringOption, u32Option,
} from "./dhcp.ts";
import type { DhcpMessage } from "./dhcp.ts";
import { Host } from "./host.ts";
import type { Fabric } from "./host.ts";
import { intToIp, ipToInt, isIpv4 } from "./ip.ts";
import type { RemoteInfo, TcpStream, UdpHandle } from "./types.ts";

export interface RouterOptions {
  /** Default: .1 of the LAN's subnet. */
  ip?: string;
  /** LAN domain for DHCP host names (option 15). Default "lan". */
  domain?: string;
  /** The router's own name in its DNS (`<name>.<domain>`). Default "router". */
  name?: string;
  mac?: string;
  dhcp?: {
    /** First and last address of the pool; default .100 to .199 of the subnet. */
    start?: string;
    end?: string;
    /** Default 3600 (dnsmasq's "1h"). */
    leaseSeconds?: number;
    /** Option 6; default [router ip]. */
    dns?: string[];
    /** Option 42; default [router ip]. */
    ntp?: string[];
  };
}

// ------------------------------------------------------------------ DHCP server

export interface DhcpLease {
  mac: string;
  ip: string;
  /** The client's option-12 name as sent (case kept), or undefined. */
  hostname?: string;
  /** Absolute expiry on the LAN clock (ms). */
  expires: number;
}

export class DhcpServer {
  /** false: the server ignores every request (a client then times out). */
  enabled = true;
  leaseSeconds: number;
  dns: string[];
  ntp: string[];
  /** Messages received, by type name (DISCOVER, REQUEST, ...), for tests. */
  readonly received: Record<string, number> = {};
  private readonly leasesByMac = new Map<string, DhcpLease>();
  private readonly offers = new Map<string, string>();
  private readonly declined = new Set<string>();
  private readonly start: number;
  private readonly end: number;

  constructor(private readonly router: Router, opts: NonNullable<RouterOptions["dhcp"]>, private readonly mask: number) {
    const net = (ipToInt(router.address) & mask) >>> 0;
    this.start = opts.start ? ipToInt(opts.start) : (net + 100) >>> 0;
    this.end = opts.end ? ipToInt(opts.end) : (net + 199) >>> 0;
    this.leaseSeconds = opts.leaseSeconds ?? 3600;
    this.dns = opts.dns ?? [router.address];
    this.ntp = opts.ntp ?? [router.address];
  }

  /** Live leases. */
  leases(): DhcpLease[] {
    const now = this.router.lan.now();
    return [...this.leasesByMac.values()].filter((l) => l.expires > now);
  }

  lease(mac: string): DhcpLease | undefined {
    return this.leases().find((l) => l.mac === mac.toLowerCase());
  }

  /** The live lease whose host name is `name` (case-insensitive), as dnsmasq's DNS sees it. */
  leaseByName(name: string): DhcpLease | undefined {
    const n = name.toLowerCase();
    return this.leases().find((l) => l.hostname !== undefined && l.hostname.toLowerCase() === n);
  }

  leaseByIp(ip: string): DhcpLease | undefined {
    return this.leases().find((l) => l.ip === ip);
  }

  private inUse(ip: string, mac: string): boolean {
    const now = this.router.lan.now();
    for (const l of this.leasesByMac.values()) if (l.ip === ip && l.mac !== mac && l.expires > now) return true;
    for (const [m, offered] of this.offers) if (offered === ip && m !== mac) return true;
    if (this.declined.has(ip)) return true;
    // like dnsmasq's ping check: an address some host already uses is not handed out
    return this.router.peers().some((h) => h.address === ip && h.mac !== mac);
  }

  private inPool(ip: string): boolean {
    if (!isIpv4(ip)) return false;
    const n = ipToInt(ip);
    return n >= this.start && n <= this.end;
  }

  private pick(mac: string, requested: string | undefined): string | undefined {
    const mine = this.leasesByMac.get(mac);
    if (mine && !this.inUse(mine.ip, mac)) return mine.ip;
    if (requested && this.inPool(requested) && !this.inUse(requested, mac)) return requested;
    for (let n = this.start; n <= this.end; n++) {
      const ip = intToIp(n);
      if (!this.inUse(ip, mac)) return ip;
    }
    return undefined;
  }

  handle(data: Uint8Array, from: RemoteInfo, reply: (msg: DhcpMessage, to: string) => void): void {
    if (!this.enabled) return;
    let req: DhcpMessage;
    try {
      req = parseDhcp(data);
    } catch {
      return; // not DHCP: a real server ignores it
    }
    if (req.op !== BOOTREQUEST) return;
    const type = messageType(req);
    const names = ["", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"];
    const typeName = names[type] ?? `TYPE${type}`;
    this.received[typeName] = (this.received[typeName] ?? 0) + 1;
    const mac = req.chaddr.toLowerCase();
    const serverId = readIp(req.options.get(OPTION.serverId));
    const requested = readIp(req.options.get(OPTION.requestedIp));
    const hostname = validHostname(readString(req.options.get(OPTION.hostName)));
    // where replies go: unicast to a configured client, else broadcast (the client has no address yet)
    const replyTo = req.ciaddr !== "0.0.0.0" && !(req.flags & BROADCAST_FLAG) ? req.ciaddr : "255.255.255.255";

    if (type === DHCPDISCOVER) {
      const ip = this.pick(mac, requested);
      if (!ip) return; // pool exhausted: stay silent, like dnsmasq
      this.offers.set(mac, ip);
      reply(this.answer(req, DHCPOFFER, ip), replyTo);
    } else if (type === DHCPREQUEST) {
      if (serverId && serverId !== this.router.address) {
        this.offers.delete(mac); // the client chose another server
        return;
      }
      const wanted = requested ?? (req.ciaddr !== "0.0.0.0" ? req.ciaddr : undefined);
      const mine = this.leasesByMac.get(mac)?.ip;
      const offered = this.offers.get(mac);
      const acceptable = wanted !== undefined && this.inPool(wanted) &&
        (wanted === offered || wanted === mine || !this.inUse(wanted, mac));
      if (!acceptable) {
        const nak = this.answer(req, DHCPNAK, "0.0.0.0");
        nak.options = new Map([
          [OPTION.messageType, Uint8Array.of(DHCPNAK)],
          [OPTION.serverId, ipListOption([this.router.address])],
          [OPTION.message, stringOption(`address ${wanted ?? "(none)"} is not available`)],
        ]);
        reply(nak, "255.255.255.255");
        return;
      }
      this.offers.delete(mac);
      this.commit(mac, wanted, hostname);
      reply(this.answer(req, DHCPACK, wanted), replyTo);
    } else if (type === DHCPRELEASE) {
      const l = this.leasesByMac.get(mac);
      if (l && l.ip === req.ciaddr) this.leasesByMac.delete(mac);
    } else if (type === DHCPDECLINE) {
      if (requested) this.declined.add(requested);
      this.leasesByMac.delete(mac);
      this.offers.delete(mac);
    } else if (type === DHCPINFORM) {
      const ack = this.answer(req, DHCPACK, "0.0.0.0");
      ack.options.delete(OPTION.leaseTime);
      reply(ack, req.ciaddr !== "0.0.0.0" ? req.ciaddr : "255.255.255.255");
    }
  }

  private commit(mac: string, ip: string, hostname: string | undefined): void {
    if (hostname) {
      // dnsmasq: a newer client claiming a name takes it; the old lease keeps no name
      const n = hostname.toLowerCase();
      for (const l of this.leasesByMac.values()) {
        if (l.mac !== mac && l.hostname?.toLowerCase() === n) l.hostname = undefined;
      }
    }
    this.leasesByMac.set(mac, {
      mac, ip, hostname, expires: this.router.lan.now() + this.leaseSeconds * 1000,
    });
  }

  private answer(req: DhcpMessage, type: number, yiaddr: string): DhcpMessage {
    const r = this.router;
    const options = new Map<number, Uint8Array>([
      [OPTION.messageType, Uint8Array.of(type)],
      [OPTION.serverId, ipListOption([r.address])],
      [OPTION.leaseTime, u32Option(this.leaseSeconds)],
      [OPTION.renewalTime, u32Option(Math.floor(this.leaseSeconds / 2))],
      [OPTION.rebindingTime, u32Option(Math.floor(this.leaseSeconds * 7 / 8))],
      [OPTION.subnetMask, ipListOption([intToIp(this.mask)])],
      [OPTION.broadcastAddress, ipListOption([intToIp((ipToInt(r.address) | (~this.mask >>> 0)) >>> 0)])],
      [OPTION.router, ipListOption([r.address])],
      [OPTION.dnsServers, ipListOption(this.dns)],
      [OPTION.domainName, stringOption(r.domain)],
      [OPTION.ntpServers, ipListOption(this.ntp)],
    ]);
    if (!this.ntp.length) options.delete(OPTION.ntpServers);
    if (!this.dns.length) options.delete(OPTION.dnsServers);
    return newMessage({
      op: BOOTREPLY, xid: req.xid, chaddr: req.chaddr, hlen: req.hlen, htype: req.htype,
      flags: req.flags, ciaddr: req.ciaddr, yiaddr, siaddr: "0.0.0.0", giaddr: req.giaddr, options,
    });
  }
}

function readIp(value: Uint8Array | undefined): string | undefined {
  return value && value.length >= 4 ? `${value[0]}.${value[1]}.${value[2]}.${value[3]}` : undefined;
}

/** dnsmasq keeps the first label and accepts letters, digits, '-' and '_'. */
function validHostname(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const label = name.split(".")[0];
  return /^[A-Za-z0-9_-]{1,63}$/.test(label) && !label.startsWith("-") ? label : undefined;
}

// ------------------------------------------------------------------ DNS server

export type DnsBehaviour = "nxdomain" | "servfail" | "refused" | "silent" | "truncate";

interface ZoneRecord {
  name: string;
  type: string;
  data: unknown;
  ttl: number;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQueryLogEntry {
  name: string;
  type: string;
  transport: "udp" | "tcp";
  from: RemoteInfo;
}

export class DnsServer {
  /** TTL of the SOA sent with negative answers (and its MINIMUM field). */
  negativeTtl = 60;
  /** TTL of answers from the LAN zone (DHCP names). dnsmasq uses 0 by default; 60 is friendlier. */
  lanTtl = 60;
  /** false: the server ignores every query. */
  enabled = true;
  /** Every question received, in order. */
  readonly log: DnsQueryLogEntry[] = [];
  private readonly zone = new Map<string, ZoneRecord[]>();
  private readonly behaviours = new Map<string, DnsBehaviour>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly router: Router) {}

  /** Adds a record to the "outside" zone. `data` as dns-packet takes it (A: "1.2.3.4", SRV: {...}). */
  add(name: string, type: string, data: unknown, ttl = 300): void {
    const key = canonical(name);
    const list = this.zone.get(key) ?? [];
    list.push({ name: stripDot(name), type: type.toUpperCase(), data, ttl });
    this.zone.set(key, list);
  }

  /** Removes the records of `name` (of one type, or all). */
  remove(name: string, type?: string): void {
    const key = canonical(name);
    if (!type) {
      this.zone.delete(key);
      return;
    }
    const list = (this.zone.get(key) ?? []).filter((r) => r.type !== type.toUpperCase());
    if (list.length) this.zone.set(key, list);
    else this.zone.delete(key);
  }

  /** Makes queries for `name` misbehave (null: back to normal). */
  behave(name: string, behaviour: DnsBehaviour | null): void {
    if (behaviour === null) this.behaviours.delete(canonical(name));
    else this.behaviours.set(canonical(name), behaviour);
  }

  /** How many questions for `name` (any type, any transport) the server has received. */
  queries(name: string): number {
    return this.counts.get(canonical(name)) ?? 0;
  }

  /** Records of one name and type, LAN zone first. */
  private lookup(key: string, type: string): { records: ZoneRecord[]; exists: boolean; authoritative: boolean } {
    const lan = this.lanRecords(key);
    const outside = this.zone.get(key) ?? [];
    const all = [...lan, ...outside];
    const records = type === "ANY" ? all : all.filter((r) => r.type === type);
    return { records, exists: all.length > 0, authoritative: this.inLanZone(key) };
  }

  private inLanZone(key: string): boolean {
    const domain = canonical(this.router.domain);
    return key === domain || key.endsWith("." + domain) || key.endsWith(".in-addr.arpa") || !key.includes(".");
  }

  private lanRecords(key: string): ZoneRecord[] {
    const r = this.router;
    const domain = canonical(r.domain);
    const ttl = this.lanTtl;
    if (key.endsWith(".in-addr.arpa")) {
      const parts = key.slice(0, -".in-addr.arpa".length).split(".");
      if (parts.length !== 4) return [];
      const ip = parts.reverse().join(".");
      if (!isIpv4(ip)) return [];
      if (ip === r.address) return [{ name: key, type: "PTR", data: `${r.routerName}.${r.domain}`, ttl }];
      const lease = r.dhcp.leaseByIp(ip);
      return lease?.hostname ? [{ name: key, type: "PTR", data: `${lease.hostname}.${r.domain}`, ttl }] : [];
    }
    let label: string;
    if (key.endsWith("." + domain)) label = key.slice(0, -domain.length - 1);
    else if (!key.includes(".")) label = key;
    else return [];
    if (label.includes(".")) return [];
    if (label === r.routerName.toLowerCase()) return [{ name: key, type: "A", data: r.address, ttl }];
    const lease = r.dhcp.leaseByName(label);
    return lease ? [{ name: key, type: "A", data: lease.ip, ttl }] : [];
  }

  private soaFor(key: string): Answer {
    const domain = canonical(this.router.domain);
    let zone: string;
    if (key === domain || key.endsWith("." + domain) || !key.includes(".")) zone = this.router.domain;
    else if (key.endsWith(".in-addr.arpa")) zone = "in-addr.arpa";
    else zone = key.split(".").slice(-2).join(".");
    return {
      name: zone, type: "SOA", ttl: this.negativeTtl,
      data: {
        mname: `${this.router.routerName}.${this.router.domain}`, rname: `hostmaster.${this.router.domain}`,
        serial: 1, refresh: 1200, retry: 180, expire: 1209600, minimum: this.negativeTtl,
      },
    };
  }

  /** Answers one query message; null means "send nothing". */
  respond(bytes: Uint8Array, transport: "udp" | "tcp", from: RemoteInfo): Uint8Array | null {
    if (!this.enabled) return null;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(buf);
    } catch {
      if (buf.length < 12 || buf[2] & 0x80) return null;
      // FORMERR: echo the id, no question
      const out = new Uint8Array(12);
      out[0] = buf[0];
      out[1] = buf[1];
      out[2] = 0x80 | (buf[2] & 0x79);
      out[3] = 0x80 | RCODE.FORMERR;
      return out;
    }
    if (query.type === "response") return null;
    const rd = query.flags & dnsPacket.RECURSION_DESIRED;
    const opt = query.additionals.find((a) => a.type === "OPT");
    const base = (rcode: number, extra = 0) => rd | dnsPacket.RECURSION_AVAILABLE | extra | rcode;
    const question = query.questions[0];
    const reply = (flags: number, answers: Answer[], authorities: Answer[]): Uint8Array => {
      const additionals: Answer[] = opt ? [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: 0, options: [] }] : [];
      const packet = { type: "response" as const, id: query.id, flags, questions: query.questions, answers, authorities, additionals };
      let out = dnsPacket.encode(packet);
      const limit = transport === "tcp" ? 65535 : opt ? Math.max(512, Math.min(opt.udpPayloadSize ?? 512, 4096)) : 512;
      if (out.length > limit) {
        out = dnsPacket.encode({ ...packet, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [] });
      }
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    };
    if (query.opcode !== "QUERY") return reply(base(RCODE.NOTIMP), [], []);
    if (!question) return reply(base(RCODE.FORMERR), [], []);
    const key = canonical(question.name);
    const type = question.type.toUpperCase();
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.log.push({ name: stripDot(question.name), type, transport, from });

    const behaviour = this.behaviours.get(key);
    if (behaviour === "silent") return null;
    if (behaviour === "servfail") return reply(base(RCODE.SERVFAIL), [], []);
    if (behaviour === "refused") return reply(base(RCODE.REFUSED), [], []);
    if (behaviour === "nxdomain") return reply(base(RCODE.NXDOMAIN), [], [this.soaFor(key)]);
    if (behaviour === "truncate" && transport === "udp") return reply(base(RCODE.NOERROR, dnsPacket.TRUNCATED_RESPONSE), [], []);

    // follow CNAME chains (RFC 1034 §4.3.2), at most 16 links
    const answers: Answer[] = [];
    let current = key;
    let owner = question.name;
    let authoritative = true;
    for (let hop = 0; hop < 16; hop++) {
      const found = this.lookup(current, type);
      authoritative = authoritative && found.authoritative;
      if (found.records.length) {
        for (const r of found.records) answers.push({ name: owner, type: r.type, ttl: r.ttl, class: "IN", data: r.data });
        return reply(base(RCODE.NOERROR, authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0), answers, []);
      }
      const cname = type === "CNAME" ? undefined : this.lookup(current, "CNAME").records[0];
      if (!cname) {
        const rcode = found.exists ? RCODE.NOERROR : RCODE.NXDOMAIN;
        const aa = authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0;
        return reply(base(rcode, aa), answers, [this.soaFor(current)]);
      }
      answers.push({ name: owner, type: "CNAME", ttl: cname.ttl, class: "IN", data: cname.data });
      owner = String(cname.data);
      current = canonical(owner);
    }
    return reply(base(RCODE.SERVFAIL), [], []); // a CNAME loop
  }
}

function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

function canonical(name: string): string {
  return stripDot(name).toLowerCase();
}

// ------------------------------------------------------------------ NTP server

const NTP_UNIX_OFFSET = 2208988800;

/** Writes a Unix time in ms as a 64-bit NTP timestamp (era-wrapped, so 2036 works). */
export function writeNtpTimestamp(out: Uint8Array, offset: number, unixMs: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const whole = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - whole * 1000) / 1000) * 4294967296);
  view.setUint32(offset, (((whole + NTP_UNIX_OFFSET) % 4294967296) + 4294967296) % 4294967296);
  view.setUint32(offset + 4, Math.min(fraction, 4294967295));
}

/** Reads a 64-bit NTP timestamp as Unix ms, assuming era 0 (1900-2036) unless `era1`. */
export function readNtpTimestamp(b: Uint8Array, offset: number, era1 = false): number {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const seconds = view.getUint32(offset) + (era1 ? 4294967296 : 0);
  return (seconds - NTP_UNIX_OFFSET) * 1000 + (view.getUint32(offset + 4) / 4294967296) * 1000;
}

export class NtpServer {
  /** The reference clock, Unix ms. Default: the LAN's clock (Date.now() unless the Lan got a clock). */
  clock: () => number;
  /** Added to the clock: a server that is wrong by this much. */
  offsetMs = 0;
  stratum = 2;
  leap = 0;
  /** The upstream server named in the reference id (stratum >= 2: an IPv4 address). */
  refid = "192.0.2.123";
  /** false: requests are ignored. */
  enabled = true;
  /** Requests received. */
  requests = 0;
  /** Test hook: return the bytes to send instead (or null to send nothing). */
  reply: ((request: Uint8Array, defaultReply: Uint8Array) => Uint8Array | null) | null = null;

  constructor(router: Router) {
    this.clock = () => router.lan.now();
  }

  now(): number {
    return this.clock() + this.offsetMs;
  }

  respond(request: Uint8Array): Uint8Array | null {
    if (!this.enabled) return null;
    this.requests++;
    if (request.length < 48) return null;
    const mode = request[0] & 7;
    if (mode !== 3 && mode !== 1) return null; // only client (and symmetric-active) requests
    const receive = this.now();
    const version = (request[0] >> 3) & 7 || 4;
    const out = new Uint8Array(48);
    out[0] = (this.leap << 6) | (version << 3) | 4;
    out[1] = this.stratum;
    out[2] = request[2]; // poll
    out[3] = 0xec; // precision 2^-20 s
    const view = new DataView(out.buffer);
    view.setUint32(4, 0x00000180); // root delay ~5.9 ms (16.16)
    view.setUint32(8, 0x00000300); // root dispersion ~11.7 ms
    if (isIpv4(this.refid)) out.set(this.refid.split(".").map(Number), 12);
    else for (let i = 0; i < 4; i++) out[12 + i] = this.refid.charCodeAt(i) & 255;
    writeNtpTimestamp(out, 16, receive - 64000); // last synchronised a minute ago
    out.set(request.subarray(40, 48), 24); // origin = the client's transmit timestamp
    writeNtpTimestamp(out, 32, receive);
    writeNtpTimestamp(out, 40, Math.max(receive, this.now()));
    return this.reply ? this.reply(request, out) : out;
  }
}

// ------------------------------------------------------------------ the router

/** Internal: what Router needs from the Lan besides the Host fabric. */
export interface RouterFabric extends Fabric {
  hostsOnLan(): Host[];
}

export class Router extends Host {
  readonly domain: string;
  readonly routerName: string;
  readonly dhcp: DhcpServer;
  readonly dns: DnsServer;
  readonly ntp: NtpServer;
  private readonly sockets: UdpHandle[] = [];

  constructor(lan: RouterFabric, opts: RouterOptions & { mac: string; ip: string; mask: string }) {
    super(lan, { mac: opts.mac, name: opts.name ?? "router", wired: true });
    this.domain = opts.domain ?? "lan";
    this.routerName = opts.name ?? "router";
    this.setAddress(opts.ip, opts.mask, opts.ip);
    this.dhcp = new DhcpServer(this, opts.dhcp ?? {}, ipToInt(opts.mask));
    this.dns = new DnsServer(this);
    this.ntp = new NtpServer(this);

    const dhcpSocket: UdpHandle = this.udpBind({
      port: 67,
      broadcast: true,
      onMessage: (data, from) =>
        this.dhcp.handle(data, from, (msg, to) => dhcpSocket.send(encodeDhcp(msg), 68, to)),
    });
    const dnsSocket: UdpHandle = this.udpBind({
      port: 53,
      onMessage: (data, from) => {
        const out = this.dns.respond(data, "udp", from);
        if (out) dnsSocket.send(out, from.port, from.address);
      },
    });
    const ntpSocket: UdpHandle = this.udpBind({
      port: 123,
      onMessage: (data, from) => {
        const out = this.ntp.respond(data);
        if (out) ntpSocket.send(out, from.port, from.address);
      },
    });
    this.sockets.push(dhcpSocket, dnsSocket, ntpSocket);
    this.tcpListen(53, (stream) => this.serveDnsOverTcp(stream));
  }

  /** Every other host on the LAN (for the DHCP server's "address in use" check). */
  peers(): Host[] {
    return (this.lan as RouterFabric).hostsOnLan().filter((h) => h !== this);
  }

  private serveDnsOverTcp(stream: TcpStream): void {
    let pending = Buffer.alloc(0);
    stream.on("error", () => {});
    stream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const message = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        const out = this.dns.respond(message, "tcp", stream.remote);
        if (out && !stream.destroyed && !stream.writableEnded) {
          const framed = Buffer.alloc(2 + out.length);
          framed.writeUInt16BE(out.length, 0);
          framed.set(out, 2);
          stream.write(framed);
        }
      }
    });
    stream.on("end", () => stream.end());
  }
}
