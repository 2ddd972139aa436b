// DHCP messages (RFC 2131 BOOTP layout + RFC 2132 options) as real bytes.
import { bytesToIp, bytesToMac, codedError, ipBytes, macBytes } from "./ip.ts";

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export const OPTION = {
  subnetMask: 1,
  router: 3,
  dnsServers: 6,
  hostName: 12,
  domainName: 15,
  broadcastAddress: 28,
  ntpServers: 42,
  requestedIp: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  clientId: 61,
} as const;

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const BROADCAST_FLAG = 0x8000;
const MAGIC = [99, 130, 83, 99];
const FIXED = 236; // header up to the magic cookie

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Client hardware address, "aa:bb:cc:dd:ee:ff" (hlen bytes). */
  chaddr: string;
  sname: string;
  file: string;
  /** Option code -> raw value (repeated codes are concatenated, RFC 3396). */
  options: Map<number, Uint8Array>;
}

export function newMessage(fields: Partial<DhcpMessage> & { op: number; xid: number; chaddr: string }): DhcpMessage {
  return {
    htype: 1, hlen: 6, hops: 0, secs: 0, flags: 0,
    ciaddr: "0.0.0.0", yiaddr: "0.0.0.0", siaddr: "0.0.0.0", giaddr: "0.0.0.0",
    sname: "", file: "", options: new Map(),
    ...fields,
  };
}

function writeAscii(out: Uint8Array, offset: number, max: number, text: string): void {
  for (let i = 0; i < text.length && i < max - 1; i++) out[offset + i] = text.charCodeAt(i) & 255;
}

function readAscii(b: Uint8Array, offset: number, max: number): string {
  let s = "";
  for (let i = 0; i < max && b[offset + i] !== 0; i++) s += String.fromCharCode(b[offset + i]);
  return s;
}

/** Encodes a message; option 53 goes first, then the rest in insertion order, END, padding to 300 bytes. */
export function encodeDhcp(msg: DhcpMessage): Uint8Array {
  const parts: number[] = [];
  const put = (code: number, value: Uint8Array) => {
    for (let at = 0; at < value.length || at === 0; at += 255) {
      const piece = value.subarray(at, at + 255);
      parts.push(code, piece.length, ...piece);
      if (value.length === 0) break;
    }
  };
  const type = msg.options.get(OPTION.messageType);
  if (type) put(OPTION.messageType, type);
  for (const [code, value] of msg.options) if (code !== OPTION.messageType) put(code, value);
  parts.push(255);
  const out = new Uint8Array(Math.max(300, FIXED + 4 + parts.length));
  const view = new DataView(out.buffer);
  out[0] = msg.op;
  out[1] = msg.htype;
  out[2] = msg.hlen;
  out[3] = msg.hops;
  view.setUint32(4, msg.xid >>> 0);
  view.setUint16(8, msg.secs);
  view.setUint16(10, msg.flags);
  out.set(ipBytes(msg.ciaddr), 12);
  out.set(ipBytes(msg.yiaddr), 16);
  out.set(ipBytes(msg.siaddr), 20);
  out.set(ipBytes(msg.giaddr), 24);
  out.set(macBytes(msg.chaddr).subarray(0, 16), 28);
  writeAscii(out, 44, 64, msg.sname);
  writeAscii(out, 108, 128, msg.file);
  out.set(MAGIC, FIXED);
  out.set(parts, FIXED + 4);
  return out;
}

function bad(what: string): Error {
  return codedError("EBADMSG", `malformed DHCP message: ${what}`);
}

function readOptions(b: Uint8Array, start: number, end: number, into: Map<number, Uint8Array>): void {
  let i = start;
  while (i < end) {
    const code = b[i++];
    if (code === 0) continue;
    if (code === 255) return;
    if (i >= end) throw bad(`option ${code} has no length byte`);
    const len = b[i++];
    if (i + len > end) throw bad(`option ${code} runs past the end (${len} bytes)`);
    const value = b.subarray(i, i + len);
    const prev = into.get(code);
    if (prev) {
      const joined = new Uint8Array(prev.length + len);
      joined.set(prev);
      joined.set(value, prev.length);
      into.set(code, joined);
    } else into.set(code, value.slice());
    i += len;
  }
}

/** Parses a DHCP message; throws EBADMSG for anything that is not one. */
export function parseDhcp(b: Uint8Array): DhcpMessage {
  if (b.length < FIXED + 4) throw bad(`${b.length} bytes, fewer than the 240 of header and magic cookie`);
  for (let i = 0; i < 4; i++) if (b[FIXED + i] !== MAGIC[i]) throw bad("no DHCP magic cookie (plain BOOTP?)");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hlen = b[2];
  if (hlen < 1 || hlen > 16) throw bad(`hardware address length ${hlen}`);
  const options = new Map<number, Uint8Array>();
  readOptions(b, FIXED + 4, b.length, options);
  const overload = options.get(OPTION.overload)?.[0] ?? 0;
  if (overload & 1) readOptions(b, 108, 236, options);
  if (overload & 2) readOptions(b, 44, 108, options);
  return {
    op: b[0], htype: b[1], hlen, hops: b[3],
    xid: view.getUint32(4), secs: view.getUint16(8), flags: view.getUint16(10),
    ciaddr: bytesToIp(b, 12), yiaddr: bytesToIp(b, 16), siaddr: bytesToIp(b, 20), giaddr: bytesToIp(b, 24),
    chaddr: bytesToMac(b, 28, hlen),
    sname: overload & 2 ? "" : readAscii(b, 44, 64),
    file: overload & 1 ? "" : readAscii(b, 108, 128),
    options,
  };
}

// ---- option value codecs ----

export function ipListOption(ips: string[]): Uint8Array {
  const out = new Uint8Array(ips.length * 4);
  ips.forEach((ip, i) => out.set(ipBytes(ip), i * 4));
  return out;
}

export function u32Option(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

export function stringOption(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 255);
}

export function readIpList(value: Uint8Array | undefined): string[] {
  const out: string[] = [];
  if (!value) return out;
  for (let i = 0; i + 4 <= value.length; i += 4) out.push(bytesToIp(value, i));
  return out;
}

export function readU32(value: Uint8Array | undefined): number | undefined {
  if (!value || value.length < 4) return undefined;
  return ((value[0] << 24) | (value[1] << 16) | (value[2] << 8) | value[3]) >>> 0;
}

/** Reads a string option, dropping the trailing NULs some clients send. */
export function readString(value: Uint8Array | undefined): string | undefined {
  if (!value) return undefined;
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  let s = "";
  for (let i = 0; i < end; i++) s += String.fromCharCode(value[i]);
  return s;
}

export function messageType(msg: DhcpMessage): number {
  return msg.options.get(OPTION.messageType)?.[0] ?? 0;
}
