// IPv4 helpers and coded errors shared by the virtual LAN and the real-socket bridge.

export type CodedError = Error & { code: string };

export function codedError(code: string, message: string): CodedError {
  return Object.assign(new Error(message), { code });
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(text: string): boolean {
  const m = DOTTED.exec(text);
  return !!m && m.slice(1).every((p) => Number(p) <= 255);
}

/** "192.168.1.7" -> 0xc0a80107 (unsigned). Throws EINVAL on anything else. */
export function ipToInt(text: string): number {
  if (!isIpv4(text)) throw codedError("EINVAL", `"${text}" is not a dotted IPv4 address; pass e.g. "192.168.1.7"`);
  const p = text.split(".").map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function ipBytes(text: string): Uint8Array {
  const n = ipToInt(text);
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

export function bytesToIp(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

export interface Subnet {
  network: number;
  prefix: number;
  mask: number;
  broadcast: number;
}

/** "192.168.1.0/24" -> network, mask, broadcast. */
export function parseSubnet(cidr: string): Subnet {
  const [addr, bits] = cidr.split("/");
  const prefix = bits === undefined ? 24 : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw codedError("EINVAL", `subnet "${cidr}" needs a prefix length between 8 and 30, e.g. "192.168.1.0/24"`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipToInt(addr) & mask) >>> 0;
  return { network, prefix, mask, broadcast: (network | (~mask >>> 0)) >>> 0 };
}

export function isMulticast(n: number): boolean {
  return n >>> 28 === 0xe;
}

export function isLoopback(n: number): boolean {
  return n >>> 24 === 127;
}

/** "02:00:00:00:00:07" <-> bytes */
export function macBytes(mac: string): Uint8Array {
  const parts = mac.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw codedError("EINVAL", `"${mac}" is not a MAC address; pass e.g. "02:00:00:00:00:07"`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function bytesToMac(b: Uint8Array, offset = 0, length = 6): string {
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(b[offset + i].toString(16).padStart(2, "0"));
  return out.join(":");
}

/** Deterministic PRNG (mulberry32): the same seed gives the same losses and ids. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
