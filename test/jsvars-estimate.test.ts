// The emulator's JsVar estimate (emulator/espruino/memory.ts) models what costs vars on the
// interpreter: live functions, the whole scope of each call that made a closure still alive
// (shared by that call's closures), timers and sockets; and with a real interpreter
// (ESPRUINO_BIN) it lands within 10% of it for the firmware and for camnet.js.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bootBoard } from "../emulator/board.ts";
import { boardOnLan } from "../emulator/espruino/testing.ts";
import { espruinoBinary } from "../scripts/lib/espruino-run.ts";

/** Vars a program run from Storage (as flashed) holds, over an empty one's. */
async function flashedCost(code: string): Promise<number> {
  const base = await bootBoard({ board: "esp32", code: "globalThis.k = 1;", virtualTime: true });
  const b = await bootBoard({ board: "esp32", code, virtualTime: true });
  try {
    return b.memory().usage - base.memory().usage;
  } finally {
    base.powerOff();
    b.powerOff();
  }
}

const locals = (n: number) => "var " + Array.from({ length: n }, (_, i) => "v" + i).join(",") + ";";

describe("JsVar estimate (emulator)", function () {
  this.timeout(60000);

  it("an object that only a closure's scope holds is counted", async function () {
    const held = await flashedCost(`(function () { var big = []; for (var i = 0; i < 100; i++) big.push("s" + i); globalThis.k = function () { return big.length; }; })();`);
    const dropped = await flashedCost(`(function () { var big = []; for (var i = 0; i < 100; i++) big.push("s" + i); globalThis.k = function () { return 1; }; big = 0; })();`);
    assert.ok(held - dropped >= 200, `100 strings in an array held by a closure: ${held} vs ${dropped} vars`);
  });

  it("a call's whole scope is kept, not only the variables its closures use", async function () {
    const few = await flashedCost(`(function () { globalThis.k = function () { return 1; }; })();`);
    const many = await flashedCost(`(function () { ${locals(50)} globalThis.k = function () { return 1; }; })();`);
    assert.ok(many - few >= 50, `50 unused locals: ${many} vs ${few} vars`);
  });

  it("closures made by one call share its scope; each call that made one keeps its own", async function () {
    const mk = `function mk(n) { ${locals(20)} return [function () { return n; }, function () { return n + 1; }]; }`;
    const one = await flashedCost(`(function () { ${mk} globalThis.k = [mk(1)[0]]; })();`);
    const sameCall = await flashedCost(`(function () { ${mk} globalThis.k = mk(1); })();`);
    const twoCalls = await flashedCost(`(function () { ${mk} globalThis.k = [mk(1)[0], mk(2)[0]]; })();`);
    assert.ok(sameCall - one < 15, `a second closure of the same call: +${sameCall - one} vars (a function, no scope)`);
    assert.ok(twoCalls - one >= 20 + 5, `a closure of a second call: +${twoCalls - one} vars (a function and a 20-local scope)`);
  });

  it("a pending timer keeps its callback and arguments", async function () {
    const none = await flashedCost(`globalThis.k = 2;`);
    const timer = await flashedCost(`setTimeout(function (a) { return a; }, 1e6, "a string of some length, two blocks at least");`);
    assert.ok(timer - none >= 4 + 4 + 2, `a timer: +${timer - none} vars`);
  });
});

const BIN = espruinoBinary();

describe("JsVar estimate against the real interpreter (ESPRUINO_BIN)", function () {
  this.timeout(120000);
  before(function () {
    if (!BIN) this.skip();
    for (const f of ["firmware.js", "camnet.js"]) {
      if (!existsSync(path.join("dist", "linux", f))) throw new Error("run `npx tsx scripts/build.ts` first");
    }
  });

  /** As scripts/jsvars.ts: the bundle evaluated from Storage, vars 1.5 s later over an empty program's. */
  function real(bundle: string): number {
    const dir = mkdtempSync(path.join(tmpdir(), "camnet-jsv-test-"));
    const lit = (t: string) => '"' + t.replace(/[\\"\x00-\x1f\x7f-\xff]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0")) + '"';
    const run = (code: string) => {
      writeFileSync(path.join(dir, "run.js"), code, "latin1");
      const r = spawnSync("timeout", ["-k", "2", "60", BIN!, "run.js"], { cwd: dir, input: "", encoding: "latin1" });
      return Number(/BENCH (\d+)/.exec((r.stdout ?? "") + (r.stderr ?? ""))?.[1]);
    };
    try {
      run(`var S=require('Storage');S.eraseAll();S.write("f0",${lit(readFileSync(bundle, "latin1"))});setTimeout(quit,1);`);
      const empty = run(`print("BENCH "+process.memory().usage);setTimeout(quit,1);`);
      return run(`eval(require("Storage").read("f0"));setTimeout(function(){print("BENCH "+process.memory().usage);quit();},1500);`) - empty;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function emulated(bundle: string): Promise<number> {
    const base = await boardOnLan({ board: "linux", code: "1" });
    const empty = base.board.memory().usage;
    base.close();
    const net = await boardOnLan({ board: "linux", bundle });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      return net.board.memory().usage - empty;
    } finally {
      net.close();
    }
  }

  for (const f of ["firmware.js", "camnet.js"]) {
    it(`dist/linux/${f}: the estimate is within 10% of the interpreter's count`, async function () {
      const bundle = path.join("dist", "linux", f);
      const r = real(bundle);
      const e = await emulated(bundle);
      assert.ok(r > 500, `real: ${r} vars`);
      assert.ok(Math.abs(e - r) <= r * 0.1, `estimate ${e} vars, interpreter ${r}`);
    });
  }
});
