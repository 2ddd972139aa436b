// Espruino strings are byte strings: one char per byte (0-255).

/** Bytes -> binary string (char codes 0-255). */
export function bytesToBinary(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode.apply(null, Array.prototype.slice.call(b.subarray(i, i + 8192)) as number[]);
  }
  return s;
}

/** Binary string -> bytes; chars above 255 keep their low 8 bits, as Espruino's 8-bit strings do. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** True when every char code is 0-255. */
export function isBinaryString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}
