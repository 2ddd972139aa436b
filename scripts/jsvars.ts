// `npx tsx scripts/jsvars.ts`: JsVars on the real Espruino interpreter (Linux build), the way the board loads
// camnet (eval of a Storage file at top level, like .bootcde):
//   npx tsx scripts/jsvars.ts [dist/linux/firmware.js ...] [--entry scripts/jsvars/mdns.ts ...]
// With no argument: dist/linux/firmware.js and dist/linux/camnet.js (run
// `npx tsx scripts/build.ts --board linux` first). Entries (scripts/jsvars/: one module
// registered each; the differences between them are each module's cost) are built for the
// linux board. Prints vars after load and 1.5 s later (process.memory().usage minus an
// empty program's). The binary: $ESPRUINO_BIN or ../espruino-src/bin/espruino (the project
// never builds one).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildBundle, loadBoards, ROOT } from "./build.ts";
import { espruinoBinary } from "./lib/espruino-run.ts";

const BIN = espruinoBinary();
if (!BIN) throw new Error("no interpreter: set ESPRUINO_BIN to a Linux build of Espruino");
const cwd = ROOT;
const args = process.argv.slice(2);
const files: Record<string, string> = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--entry") {
    const entry = path.resolve(args[++i]!);
    const linux = loadBoards().find((b) => b.id === "linux")!;
    files[path.basename(entry)] = (await buildBundle({ entry, board: linux, label: path.basename(entry) })).minified;
  } else files[args[i]!] = readFileSync(path.resolve(cwd, args[i]!), "latin1");
}
if (!args.length) for (const f of ["dist/linux/firmware.js", "dist/linux/camnet.js"]) files[f] = readFileSync(path.join(cwd, f), "latin1");

const lit = (t: string) => '"' + t.replace(/[\\"\x00-\x1f\x7f-\xff]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0")) + '"';
const dir = mkdtempSync(path.join(tmpdir(), "camnet-jsvars-"));
const run = (code: string) => {
  writeFileSync(path.join(dir, "run.js"), code, "latin1");
  const r = spawnSync("timeout", ["-k", "2", "60", BIN, "run.js"], { cwd: dir, input: "", encoding: "latin1", maxBuffer: 64 << 20 });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  const f: Record<string, number> = {};
  for (const m of out.matchAll(/BENCH (\w+) (-?[\d.]+)/g)) f[m[1]!] = Number(m[2]);
  return { f, out };
};
try {
  const names = Object.keys(files);
  run("var S=require('Storage');S.eraseAll();" + names.map((n, i) => `S.write("f${i}",${lit(files[n]!)});`).join("") + "setTimeout(quit,1);");
  const empty = run(`print("BENCH v "+process.memory().usage);setTimeout(quit,1);`).f.v!;
  names.forEach((n, i) => {
    const r = run(`eval(require("Storage").read("f${i}"));print("BENCH a "+process.memory().usage);setTimeout(function(){print("BENCH b "+process.memory().usage);quit();},1500);`);
    const err = /Uncaught[^\n]*/.exec(r.out);
    console.log(`${n}: ${r.f.a! - empty} vars after load, ${r.f.b! - empty} after 1.5 s${err ? "  (" + err[0] + ")" : ""}`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
