// Runs JavaScript on the real Espruino interpreter (the Linux build, built outside the repo:
// see /work/notes/espruino-findings.md). Used by tests (skipped when no binary) and the bench.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** $ESPRUINO_BIN, else the Linux build next to the repo (../espruino-src/bin/espruino), else null. */
export function espruinoBinary(): string | null {
  const candidates = [process.env.ESPRUINO_BIN, path.join(ROOT, "..", "espruino-src", "bin", "espruino")];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/**
 * Runs `code` as a file on the Espruino Linux build with stdin closed (it exits once idle;
 * end the code with quit() to stop early). Returns the printed lines, without the banner,
 * prompts and terminal escapes.
 */
export function runOnEspruino(bin: string, code: string, timeoutMs = 20000): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), "camnet-espruino-"));
  try {
    const file = path.join(dir, "run.js");
    writeFileSync(file, code);
    const r = spawnSync(bin, [file], { input: "", encoding: "utf8", timeout: timeoutMs });
    const text = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
    const start = text.indexOf("espruino.com/Donate");
    if (start < 0) throw new Error(`no Espruino banner in output: ${text}\n${r.stderr}`);
    return text.slice(start).split("\n").slice(1).map((l) => l.replace(/^>+/, "").trimEnd()).filter((l) => l);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
