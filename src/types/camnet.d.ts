// Globals the build defines for device code.
import type { Board } from "../src/platform/types";

declare global {
  /** The board profile (boards/<board>.json) this bundle was built for; set by esbuild `define`. */
  const CAMNET_BOARD: Board;
}
export {};
