// Board profiles (boards/<id>.json) as the emulated chip reads them.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { Capabilities } from "../../src/platform/types.ts";

/** One set of capability flags for the board's firmware and the bundle that reads them. */
export type BoardCapabilities = Capabilities;

export interface BoardProfile {
  id: string;
  name: string;
  chip: string;
  defaultHostname: string;
  capabilities: BoardCapabilities;
  [k: string]: unknown;
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Loads boards/<id>.json (or a path ending in .json). */
export function loadBoardProfile(board: string): BoardProfile {
  const path = board.endsWith(".json") ? board : join(REPO_ROOT, "boards", `${board}.json`);
  const p = JSON.parse(readFileSync(path, "utf8")) as BoardProfile;
  if (!p.capabilities) throw new Error(`board profile ${path} has no capabilities`);
  return p;
}

/** True for the Espruino Linux build (process.env.BOARD "LINUX"). */
export function isLinux(p: BoardProfile): boolean {
  return p.chip === "LINUX";
}
