// Minimal typings for dns-packet 5.6 (the package ships none). Only what camnet's host-side
// code uses; `data` stays loosely typed because its shape depends on the record type
// (A/AAAA/CNAME/PTR: string; SRV: {priority, weight, port, target}; TXT: string | Buffer | array;
// MX: {preference, exchange}; SOA: {mname, rname, serial, refresh, retry, expire, minimum}).
declare module "dns-packet" {
  export interface Question {
    name: string;
    type: string;
    class?: string;
  }
  export interface Answer {
    name: string;
    type: string;
    class?: string;
    ttl?: number;
    flush?: boolean;
    data?: any;
    // OPT pseudo-record fields
    udpPayloadSize?: number;
    extendedRcode?: number;
    ednsVersion?: number;
    flags?: number;
    options?: any[];
  }
  export interface Packet {
    type?: "query" | "response";
    id?: number;
    flags?: number;
    rcode?: string;
    opcode?: string;
    flag_qr?: boolean;
    flag_aa?: boolean;
    flag_tc?: boolean;
    flag_rd?: boolean;
    flag_ra?: boolean;
    questions?: Question[];
    answers?: Answer[];
    authorities?: Answer[];
    additionals?: Answer[];
  }
  export interface DecodedPacket extends Packet {
    id: number;
    flags: number;
    rcode: string;
    opcode: string;
    questions: Question[];
    answers: Answer[];
    authorities: Answer[];
    additionals: Answer[];
  }
  export const AUTHORITATIVE_ANSWER: number;
  export const TRUNCATED_RESPONSE: number;
  export const RECURSION_DESIRED: number;
  export const RECURSION_AVAILABLE: number;
  export const AUTHENTIC_DATA: number;
  export const CHECKING_DISABLED: number;
  export const DNSSEC_OK: number;
  export function encode(packet: Packet, buf?: Buffer, offset?: number): Buffer;
  export function decode(buf: Buffer, offset?: number): DecodedPacket;
  export function encodingLength(packet: Packet): number;
  export function streamEncode(packet: Packet): Buffer;
  export function streamDecode(buf: Buffer): DecodedPacket | null;
  const dnsPacket: {
    AUTHORITATIVE_ANSWER: number;
    TRUNCATED_RESPONSE: number;
    RECURSION_DESIRED: number;
    RECURSION_AVAILABLE: number;
    AUTHENTIC_DATA: number;
    CHECKING_DISABLED: number;
    DNSSEC_OK: number;
    encode: typeof encode;
    decode: typeof decode;
    encodingLength: typeof encodingLength;
    streamEncode: typeof streamEncode;
    streamDecode: typeof streamDecode;
  };
  export default dnsPacket;
}
