// The emulated chip's globals: E, process, require/Modules, timers, Date, Storage, memory, errors.
import assert from "node:assert/strict";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";

const plain = (v: unknown): unknown => (v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v);

describe("espruino sandbox: globals", function () {
  let board: EmulatedBoard;
  beforeEach(async () => {
    board = await bootBoard({ board: "esp32", code: "", virtualTime: true });
  });
  afterEach(() => board.powerOff());
  const ev = (code: string) => plain(board.eval(code));

  it("has no Node globals and Espruino's own ones", function () {
    for (const g of ["process.versions", "process.nextTick", "module", "exports", "__dirname", "setImmediate", "Buffer"]) {
      assert.equal(board.eval(`typeof ${g}`), "undefined", g);
    }
    assert.throws(() => board.eval("require('fs')"), /Module "fs" not found/, "fs exists only on Linux");
    assert.deepEqual(ev(`[typeof print, typeof E, typeof getTime, typeof setTime, typeof Modules, typeof atob, typeof InternalError, typeof changeInterval]`), [
      "function", "object", "function", "function", "object", "function", "function", "function",
    ]);
    assert.deepEqual(ev("process.env"), { VERSION: "2v29", BOARD: "ESP32", MODULES: board.eval("process.env.MODULES") });
    assert.match(board.eval("process.env.MODULES") as string, /(^|,)Wifi(,|$)/);
  });

  it("E.toString / toUint8Array / toArrayBuffer convert binary data as the firmware does", function () {
    assert.deepEqual(ev(`[E.toString([72,105]), E.toString("ab"), E.toString(new Uint8Array([1,300])), E.toString(65), E.toString({data:"x",count:2})]`), [
      "Hi", "ab", "\u0001,", "A", "xx",
    ]);
    assert.deepEqual(ev(`[E.toUint8Array("\\x05\\x06")[1], new Uint8Array(E.toArrayBuffer("\\x01\\x02"))[1], typeof E.hwRand()]`), [6, 2, "number"]);
    // a long binary string: one byte per char, in order, into a Uint8Array of the board's realm
    assert.deepEqual(ev(`var s = ""; for (var i = 0; i < 3000; i++) s += String.fromCharCode(i & 255);
      var u = E.toUint8Array(s), ok = u instanceof Uint8Array && u.length == 3000;
      for (i = 0; i < 3000; i++) ok = ok && u[i] == (i & 255);
      [ok, E.toString(u) === s, E.toUint8Array("").length]`), [true, true, 0]);
    assert.deepEqual(ev(`[].slice.call(E.toUint8Array([1, 2], 3, "ab"))`), [1, 2, 3, 97, 98]);
    assert.equal(ev(`String.fromCharCode(0x263A).charCodeAt(0)`), 0x3a, "fromCharCode is 8-bit");
    assert.equal(ev(`atob(btoa(String.fromCharCode(255,0,128))).charCodeAt(0)`), 255);
  });

  it("errors: no .name, subclasses are not instanceof Error, toString as Espruino prints", function () {
    assert.deepEqual(ev(`var e = new Error("m"); [e.name === undefined, String(e), new TypeError("x").toString(), new TypeError("x") instanceof Error]`), [
      true, "Error: m", "TypeError: x", false,
    ]);
    assert.equal(ev(`JSON.stringify({a:1,b:2}, ["a"])`), '{"a":1,"b":2}', "replacer ignored");
  });

  it("timer ids count up from the last live timer (and restart at 1), strings and extra args work", async function () {
    assert.deepEqual(ev(`var a=setTimeout(function(){},10), b=setTimeout(function(){},10); clearTimeout(); var c=setTimeout(function(){},1); clearTimeout(); [a,b,c]`), [1, 2, 1]);
    board.eval(`globalThis.got = []; setTimeout(function (x, y) { got.push(x + y); }, 5, 1, 2); setTimeout("got.push('str')", 6);`);
    await board.clock.advance(10);
    assert.deepEqual(ev("got"), [3, "str"]);
    assert.throws(() => board.eval("setTimeout(5, 5)"), /Function or String not supplied/);
  });

  it("setInterval runs on the emulated clock; changeInterval; clearInterval()", async function () {
    board.eval(`globalThis.n = 0; globalThis.iv = setInterval(function () { n++; }, 100);`);
    await board.clock.advance(350);
    assert.equal(ev("n"), 3);
    board.eval("changeInterval(iv, 1000)");
    await board.clock.advance(999);
    assert.equal(ev("n"), 3);
    await board.clock.advance(1);
    assert.equal(ev("n"), 4);
    board.eval("clearInterval()");
    await board.clock.advance(5000);
    assert.equal(ev("n"), 4);
  });

  it("Date follows the emulated wall clock and E.setTimeZone; Date strings look like Espruino's", function () {
    assert.equal(ev("new Date(0).toString()"), "Thu Jan 1 1970 00:00:00 GMT+0000");
    assert.equal(ev("new Date(1704067200000).toUTCString()"), "Mon, 1 Jan 2024 00:00:00 GMT");
    board.eval("setTime(1704067200)");
    assert.ok(Math.abs((ev("Date.now()") as number) - 1704067200000) < 50);
    assert.equal(ev("new Date().getUTCFullYear()"), 2024);
    assert.deepEqual(ev(`E.setTimeZone(2); var d = new Date(0); var r = [d.getHours(), d.getTimezoneOffset(), new Date(1970,0,1,2,0,0).getTime()]; E.setTimeZone(0); r`), [2, -120, 0]);
  });

  it("Modules.addCached runs the function BODY with exports/module, this = exports, no closure", function () {
    assert.deepEqual(ev(`Modules.addCached("m1", function () { exports.a = 1; module.exports = {b: this !== undefined}; }); [require("m1"), Modules.getCached()]`), [{ b: true }, ["m1"]]);
    assert.deepEqual(ev(`var zz = 5; (function () { var zz2 = 1; Modules.addCached("m2", function () { exports.z = typeof zz2; }); })(); require("m2")`), { z: "undefined" });
    assert.deepEqual(ev(`Modules.addCached("m3", "exports.y = 2;"); require("m3")`), { y: 2 });
    board.eval("Modules.removeCached('m3')");
    assert.throws(() => board.eval("require('m3')"), /Module "m3" not found/);
    assert.throws(() => board.eval("require('http2')"), /Module "http2" not found/);
    assert.equal(ev(`require("dgram") === require("dgram")`), true);
  });

  it("require() falls back to a Storage file holding module source", function () {
    board.eval(`require("Storage").write("greet", "exports.hi = function () { return 'hi'; };")`);
    assert.equal(ev(`require("greet").hi()`), "hi");
  });

  it("Storage: write/read/readJSON/writeJSON/list/erase, typed arrays stored as bytes", function () {
    const out = ev(`var S = require("Storage");
      S.write("a", "hello"); S.write("b", new Uint8Array([1, 2])); S.writeJSON("c", {x: 1});
      S.write("p", "ab", 0, 4); S.write("p", "cd", 2);
      var r = [S.read("a"), S.read("a", 1, 3), S.read("b").charCodeAt(1), S.readJSON("c").x, S.read("p"), S.list().sort(), S.read("nope")];
      S.erase("a"); r.push(S.list().length); r`);
    assert.deepEqual(out, ["hello", "ell", 2, 1, "abcd", ["a", "b", "c", "p"], null, 3]);
    assert.equal(board.storage.get("c"), '{"x":1}');
  });

  it("uncaught errors in callbacks print 'Uncaught ...' and the loop goes on", async function () {
    board.eval(`globalThis.after = 0; setTimeout(function () { throw new Error("boom"); }, 1); setTimeout(function () { after = 1; }, 2);`);
    await board.clock.advance(5);
    assert.equal(ev("after"), 1);
    assert.ok(board.errors.some((e) => e.includes("boom")));
  });

  it("an unhandled promise rejection is reported like Espruino, a handled one is not", async function () {
    board.eval(`Promise.reject(new Error("lost")); Promise.reject(new Error("caught")).catch(function () {});`);
    await board.settle(5);
    assert.equal(board.errors.filter((e) => e.includes("Unhandled promise rejection")).length, 1);
    assert.ok(board.errors[0]!.includes("lost"));
  });

  it("every way a promise can end rejected is reported when nothing handles it, and only then", async function () {
    board.eval(`var bad = function (m) { return Promise.reject(new Error(m)); };
      Promise.resolve(1).then(function () { throw new Error("u1"); });
      Promise.resolve(1).then(function () { return bad("u2"); });
      new Promise(function (y) { y(bad("u3")); });
      new Promise(function () { throw new Error("u4"); });
      Promise.all([1, bad("u5")]);
      new Promise(function (y, n) { n(new Error("u6")); y(1); });
      new Promise(function (y, n) { y(bad("u7")); n(new Error("x")); });
      Promise.resolve(1).then(function () { throw new Error("h1"); }).catch(function () {});
      Promise.resolve(1).then(function () { return bad("h2"); }).then(undefined, function () {});
      new Promise(function (y) { y(bad("h3")); }).catch(function () {});
      Promise.all([1, bad("h4")]).catch(function () {});
      var late = bad("h5"); Promise.resolve().then(function () { late.catch(function () {}); });
      new Promise(function (y, n) { y(1); n(new Error("h6")); });`);
    await board.settle(8);
    const got = board.errors.filter((e) => e.includes("Unhandled promise rejection")).map((e) => /: ([uh]\d)/.exec(e)?.[1]).sort();
    assert.deepEqual(got, ["u1", "u2", "u3", "u4", "u5", "u6", "u7"]);
  });

  it("process.memory() estimates JsVars; exceeding `variables` reports Out of Memory", async function () {
    const before = ev("process.memory()") as { usage: number; total: number; free: number };
    assert.equal(before.total, 16383);
    board.eval(`globalThis.big = []; for (var i = 0; i < 2000; i++) big.push({a: i, b: "x"});`);
    const after = ev("process.memory()") as { usage: number };
    assert.ok(after.usage - before.usage >= 2000 * 4, `usage grew by ${after.usage - before.usage}`);
    assert.equal(ev(`E.getSizeOf({a:1,b:'hello'})`), 4);
    board.eval(`for (var i = 0; i < 3000; i++) big.push({a: i, b: "y"});`);
    assert.ok(board.errors.includes("Out of Memory!"));
    assert.ok(board.quirks.some((q) => q.startsWith("Out of Memory")));
  });

  it("memory: code run from Storage stays in flash (a var per function), code uploaded to RAM costs its text", async function () {
    const body = "return 1" + "+1".repeat(6000) + ";"; // 12,000 characters of function text
    const program = `(function () { var keep = function () { ${body} }; globalThis.k = function () { return keep(); }; })();`;
    const base = await bootBoard({ board: "esp32", code: `globalThis.k = 1;` });
    const flashed = await bootBoard({ board: "esp32", code: program }); // the boot code, as flashed
    const uploaded = await bootBoard({ board: "esp32", code: `globalThis.k = 1;` });
    try {
      const inFlash = flashed.memory().usage - base.memory().usage;
      assert.ok(inFlash > 0 && inFlash < 50, `a flashed program with 3 functions grew usage by ${inFlash} vars`);
      uploaded.eval(`globalThis.k = function () { ${body} };`); // typed or uploaded at the console
      const inRam = uploaded.memory().usage - base.memory().usage;
      assert.ok(inRam >= 1000, `12,000 characters uploaded to RAM grew usage by ${inRam} vars`);
      // functions that only closures hold are still charged, per literal
      const many = await bootBoard({ board: "esp32", code: `(function () { var a = []; ${"a.push(function () { return 1; });".repeat(100)} globalThis.k = function () { return a.length; }; })();` });
      try {
        assert.ok(many.memory().usage - base.memory().usage >= 400, "100 closure-held functions");
      } finally {
        many.powerOff();
      }
    } finally {
      base.powerOff();
      flashed.powerOff();
      uploaded.powerOff();
    }
  });

  it("print formats values like Espruino's console", async function () {
    const lines: string[] = [];
    const b = await bootBoard({ board: "esp32", code: `print("a", 1, {b: 2}, [1, 2], "x"); console.log("c", null, undefined);`, console: (l) => lines.push(l) });
    b.powerOff();
    assert.deepEqual(lines, ['a 1 { "b": 2 } [ 1, 2 ] x', "c null undefined"]);
  });

  it("powerOff() cancels timers and queued events", async function () {
    const b = await bootBoard({ board: "esp32", code: `globalThis.ran = 0; setInterval(function () { ran++; }, 1); var o = {}; o.on("e", function () { ran++; }); o.emit("e");` });
    b.powerOff();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.eval("ran"), 0);
    assert.equal(b.chip.rt.pendingTimers(), 0);
  });
});

describe("espruino sandbox: Linux build profile", function () {
  it("has no Wifi, reads resolv.conf through fs, and setTime() does nothing", async function () {
    const b = await bootBoard({ board: "linux", code: "", resolvConf: "nameserver 10.0.0.53\n" });
    try {
      assert.throws(() => b.eval(`require("Wifi")`), /Module "Wifi" not found/);
      assert.equal(b.eval(`process.env.BOARD`), "LINUX");
      assert.match(b.eval(`require("fs").readFileSync("/etc/resolv.conf")`) as string, /nameserver 10\.0\.0\.53/);
      const t = b.eval("Date.now()") as number;
      assert.ok(Math.abs(t - Date.now()) < 5000, "Linux starts at host time");
      b.eval("setTime(0)");
      assert.ok((b.eval("Date.now()") as number) > 1e12, "setTime has no effect");
      assert.ok(b.quirks.some((q) => q.includes("setTime")));
      assert.equal((plain(b.eval("process.memory()")) as { blocksize: number }).blocksize, 27);
    } finally {
      b.powerOff();
    }
  });
});

describe("espruino sandbox: Modules.addCached errors", function () {
  it("a throwing module body propagates, and the name stays cached with partial exports", async function () {
    const b = await bootBoard({ board: "esp32", code: "" });
    try {
      assert.throws(() => b.eval(`Modules.addCached("bad", function () { exports.a = 1; throw new Error("x"); })`), /x/);
      assert.equal(b.eval(`require("bad").a`), 1);
      assert.throws(() => b.eval(`Modules.addCached("obj", {})`), /args must be addCached/);
    } finally {
      b.powerOff();
    }
  });
});
