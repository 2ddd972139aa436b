// SNTP (RFC 4330, RFC 5905) as pure functions over bytes and numbers: the reply reader
// with its checks and the NTP-to-Unix time arithmetic. No IO, no clock:
// src/ntptime/index.ts does that (and builds the 48-byte request).

/** 2^32, written out: one NTP era in seconds and the scale of the fraction field
 *  (Espruino's Math.pow(2, 32) is inexact). */
export const TWO_32 = 4294967296;

/**
 * The NTP timestamp (seconds, fraction) at byte `i` of `b` in Unix milliseconds; 0 when
 * it is zero ("unknown"). The 32-bit seconds field wraps every 136 years (first on
 * 2036-02-07T06:28:16Z); the era chosen is the one that puts the result within 68 years
 * of `pivotMs` (a time known to be near: the firmware build date, or the clock if later).
 * For a pivot in 1968-2036 this is RFC 4330 §3's rule (top bit set: 1968-2036; clear:
 * 2036-2104), and it keeps working after 2104.
 */
export function timestampMs(b: Uint8Array, i: number, pivotMs: number): number {
  let s = 0;
  let f = 0;
  // two unsigned 32-bit big-endian fields, without int32 overflow
  for (let j = i; j < i + 4; j++) (s = s * 256 + b[j]), (f = f * 256 + b[j + 4]);
  // Era 0 gives s - 2208988800 (seconds from 1900, the NTP epoch, to 1970); minus the
  // whole eras that bring it within 2^31 s of
  // the pivot (a half-way tie goes to the earlier era). Integers, exact in doubles.
  // (literals, not TWO_32: a top-level constant the bundle keeps costs a JsVar for life)
  return s || f ? ((s -= 2208988800) + f / 4294967296 - Math.round((s - pivotMs / 1000) / 4294967296) * 4294967296) * 1000 : 0;
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
  if (b.length < 48 || [0x24, 0x1c].indexOf(b[0] & 63) < 0) return "";
  for (let i = 8; i--; ) if (b[24 + i] != nonce[i]) return "";
  if (!b[1]) {
    const code = String.fromCharCode(b[12], b[13], b[14], b[15]);
    // one of the three, at a multiple of 4 (indexOf finds each of them at its own place)
    return "RATEDENYRSTR".indexOf(code) % 4 ? "" : code;
  }
  const t2 = timestampMs(b, 32, pivotMs);
  const t3 = timestampMs(b, 40, pivotMs);
  return b[1] < 16 && b[0] < 192 && t2 && t3 ? [t2, t3] : ""; // b[0] < 192: LI != 3
}
