// The emulated camera: a "camera" module in the board's Storage whose snapshot() returns a
// fixed test frame, which is how the firmware's /snapshot finds a driver (platform
// cameraFrame()). A board booted without it has no camera driver, as stock ESP32 firmware.
/** A valid baseline JPEG: one 8x8 block of mid-grey, with a comment naming it. */
export const TEST_FRAME: Uint8Array = (() => {
  const hex = (s: string) => s.replace(/\s+/g, "").match(/../g)!.map((h) => parseInt(h, 16));
  const comment = [..."camnet emulator test frame"].map((c) => c.charCodeAt(0));
  return new Uint8Array([
    ...hex("ffd8 ffe0 0010 4a46494600 0101 00 0001 0001 0000"), // SOI, JFIF APP0
    0xff, 0xfe, 0, comment.length + 2, ...comment, // COM
    ...hex("ffdb 0043 00"), ...new Array(64).fill(1), // DQT: every step 1
    ...hex("ffc0 000b 08 0008 0008 01 011100"), // SOF0: 8x8, one grey component
    ...hex("ffc4 0014 00 01000000000000000000000000000000 08"), // DC: category 8 is code "0"
    ...hex("ffc4 0014 10 01000000000000000000000000000000 00"), // AC: EOB is code "0"
    ...hex("ffda 0008 01 0100 00 3f 00"), // SOS
    ...hex("403f"), // DC diff +128 (grey 144), EOB, padding ones
    ...hex("ffd9"), // EOI
  ]);
})();

/** Storage files that give a booted board the camera driver. */
export function cameraStorage(frame: Uint8Array = TEST_FRAME): Record<string, string> {
  return { camera: `exports.snapshot=function(){return atob(${JSON.stringify(Buffer.from(frame).toString("base64"))})}` };
}
