// `npm run repl -- --port /dev/ttyUSB0` (or --port tcp://HOST[:PORT]): the board's console
// through the Espruino CLI's terminal mode. Ctrl-C twice leaves.
//
//   --port PATH|tcp://HOST[:PORT]   required
//   --board ID           a board of boards/ (default esp32): the baud rate, and the CLI's board
//                        JSON so that it neither probes the board nor goes online
//   --baud N             serial speed (default: the board's "baud")
//
// camnet's modules are there by require() on a board that runs the camnet firmware (or the
// runtime bundle): `npm run flash` puts it there. Try require("network").hostname().
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { boardBaud, checkPort, cliBoardJson, findBoard, parseArgs, runCli } from "./flash.ts";

export function replArgs(o: { port: string; baud: number; boardJson: string }): string[] {
  return ["--no-ble", "-p", o.port, "-b", String(o.baud), "--board", o.boardJson];
}

export async function main(argv: string[]): Promise<number> {
  const flags = parseArgs(argv, [], ["port", "board", "baud"]);
  const board = findBoard(typeof flags.board === "string" ? flags.board : "esp32");
  const port = checkPort(typeof flags.port === "string" ? flags.port : undefined);
  const baud = typeof flags.baud === "string" ? Number(flags.baud) : boardBaud(board);
  const tmp = mkdtempSync(path.join(tmpdir(), "camnet-repl-"));
  try {
    const boardJson = path.join(tmp, "board.json");
    writeFileSync(boardJson, JSON.stringify(cliBoardJson(board)));
    console.log(`console of ${board.id} on ${port}: try require("network").hostname(); Ctrl-C twice to leave`);
    const run = await runCli(replArgs({ port, baud, boardJson }), { stdio: "inherit" });
    return run.code ?? 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error & { code?: string }) => {
      console.error(e.code ? `repl: ${e.message}` : e);
      process.exit(1);
    },
  );
}
