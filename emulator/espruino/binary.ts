// Espruino strings are byte strings: one char per byte (0-255). Node's "latin1" is exactly
// that mapping (and keeps the low 8 bits of a char above 255, as Espruino's 8-bit strings do);
// it is native, which matters: every byte a board socket moves goes through here.

/** Bytes -> binary string (char codes 0-255). */
export function bytesToBinary(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** Binary string -> bytes (a fresh copy, never a view of Node's shared buffer pool). */
export function binaryToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

/** True when every char code is 0-255. */
export function isBinaryString(s: string): boolean {
  return !/[^\x00-\xff]/.test(s);
}
