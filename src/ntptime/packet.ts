// SNTP (RFC 4330, RFC 5905) as pure functions over bytes and numbers: the 48-byte
// request, the reply reader with its checks, and the NTP-to-Unix time arithmetic.
// No IO, no clock: src/ntptime/index.ts does that.

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_SECONDS = 2208988800;
/** 2^32, written out: one NTP era in seconds and the scale of the fraction field
 *  (Espruino's Math.pow(2, 32) is inexact). */
export const TWO_32 = 4294967296;

/** A client request: LI 0, version 4, mode 3, every field zero except the transmit
 *  timestamp, which carries `nonce` (8 random bytes) instead of our clock. */
export function encodeRequest(nonce: Uint8Array): Uint8Array {
  const p = new Uint8Array(48);
  p[0] = 0x23;
  p.set(nonce, 40);
  return p;
}

/** Unsigned 32-bit big-endian read, without int32 overflow. */
function u32(b: Uint8Array, i: number): number {
  return b[i] * 16777216 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
}

/**
 * NTP timestamp (seconds, fraction) to Unix milliseconds. The 32-bit seconds field wraps
 * every 136 years (first on 2036-02-07T06:28:16Z); the era chosen is the one that puts
 * the result within 68 years of `pivotMs` (a time known to be near: the firmware build
 * date, or the clock if later). For a pivot in 1968-2036 this is RFC 4330 §3's rule
 * (top bit set: 1968-2036; clear: 2036-2104), and it keeps working after 2104.
 */
export function ntpToUnixMs(seconds: number, fraction: number, pivotMs: number): number {
  const pivot = Math.floor(pivotMs / 1000);
  // seconds after the pivot, modulo 2^32, in [-2^31, 2^31): 6442450944 = 1.5 * 2^32
  const d = (((seconds - NTP_UNIX_SECONDS - pivot) % TWO_32) + 6442450944) % TWO_32 - 2147483648;
  return (pivot + d + fraction / TWO_32) * 1000;
}

/** The timestamp at byte `i` in Unix ms; 0 when it is zero ("unknown"). */
function timestampMs(b: Uint8Array, i: number, pivotMs: number): number {
  const s = u32(b, i);
  const f = u32(b, i + 4);
  return s || f ? ntpToUnixMs(s, f, pivotMs) : 0;
}

/**
 * Reads a server's answer to the request that carried `nonce`. Returns
 * - [T2, T3] (receive and transmit time, Unix ms) when it is usable: at least 48 bytes,
 *   mode 4 (server), version 3 or 4, originate timestamp == nonce, stratum 1-15,
 *   LI != 3 (unsynchronized), both timestamps non-zero;
 * - "RATE", "DENY" or "RSTR" for a Kiss-o'-Death (stratum 0) answering our request;
 * - "" for anything else, to be ignored (other stratum-0 codes such as INIT and STEP
 *   mean "not ready yet", not a ban).
 * Never throws.
 */
export function readReply(b: Uint8Array, nonce: Uint8Array, pivotMs: number): number[] | string {
  // low 6 bits of byte 0: version (3 bits) and mode (3 bits): 0x24 = v4 mode 4, 0x1c = v3 mode 4
  if (b.length < 48 || ((b[0] & 63) != 0x24 && (b[0] & 63) != 0x1c)) return "";
  for (let i = 0; i < 8; i++) if (b[24 + i] != nonce[i]) return "";
  if (!b[1]) {
    const code = String.fromCharCode(b[12], b[13], b[14], b[15]);
    // one of the three, at a multiple of 4 (indexOf finds each of them at its own place)
    return "RATEDENYRSTR".indexOf(code) % 4 ? "" : code;
  }
  const t2 = timestampMs(b, 32, pivotMs);
  const t3 = timestampMs(b, 40, pivotMs);
  return b[1] < 16 && b[0] >> 6 != 3 && t2 && t3 ? [t2, t3] : "";
}

/** θ = ((T2 − T1) + (T3 − T4)) / 2: add it to the local clock to get the server's. */
export function clockOffset(t1: number, t2: number, t3: number, t4: number): number {
  return (t2 - t1 + (t3 - t4)) / 2;
}

/** δ = (T4 − T1) − (T3 − T2): the round trip minus the server's processing time. */
export function roundTripDelay(t1: number, t2: number, t3: number, t4: number): number {
  return t4 - t1 - (t3 - t2);
}
