// The dialect gate: every forbidden family is refused, naming the TypeScript file and line;
// syntax the pipeline lowers passes; the clean fixture behaves the same on Node and (when
// the binary is available) on the real Espruino interpreter.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildBundle, ROOT } from "../scripts/build.ts";
import { checkDialect, DialectError, regexProblems } from "../scripts/dialect-gate.ts";
import { espruinoBinary, runOnEspruino } from "../scripts/lib/espruino-run.ts";

const FIXTURES = "test/fixtures/dialect";

/** The line of the fixture marked `// <- rule`. */
function markedLine(file: string): { line: number; rule: string } {
  const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /\/\/ <- ([\w-]+)/.exec(lines[i]);
    if (m) return { line: i + 1, rule: m[1] };
  }
  throw new Error(`${file} has no "// <- rule" marker`);
}

describe("dialect gate: forbidden constructs in TypeScript are refused with file and line", () => {
  const fixtures = [
    "async", "generator", "label", "globals", "statics", "prototype", "length", "regex",
    "regexp-constructor", "finally", "extends-error", "tagged-template", "arraybuffer-slice",
    "hoisting", "math-pow", "bigint", "regex-after-paren",
  ];
  for (const name of fixtures) {
    it(`${name}.ts`, async () => {
      const file = `${FIXTURES}/${name}.ts`;
      const { line, rule } = markedLine(file);
      let error: unknown;
      try {
        await buildBundle({ entry: file, board: null, label: `${name}.js` });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof DialectError, `expected a DialectError, got ${String(error)}`);
      const hit = error.violations.find((v) => v.file === file && v.rule === rule);
      assert.ok(hit, `no ${rule} violation in ${file}: ${error.message}`);
      assert.equal(hit.line, line, error.message);
      assert.match(error.message, new RegExp(`${file.replace(/[.]/g, "\\.")}:${line}:\\d+ +\\[${rule}\\]`));
    });
  }
});

describe("dialect gate: the gate itself, on already-lowered JavaScript", () => {
  // Families Babel lowers never reach the gate through the pipeline; these prove the gate
  // would still refuse them if the lowering were ever dropped.
  const cases: Array<[string, string]> = [
    ["destructuring", "var { a } = o;"],
    ["destructuring", "var [b] = c;"],
    ["default-param", "function f(a = 1) { return a; }"],
    ["rest", "function f(...a) { return a; }"],
    ["spread", "f(...a);"],
    ["spread", "var o2 = { ...o };"],
    ["optional-chain", "a?.b;"],
    ["optional-chain", "a?.();"],
    ["exponent", "var x = 2 ** 3;"],
    ["logical-assign", "a ||= 1;"],
    ["logical-assign", "a ??= 1;"],
    ["computed-key", "var o = { [k]: 1 };"],
    ["class-field", "class A { x = 1; }"],
    ["new-target", "function F() { return new.target; }"],
    ["extends-builtin", "class E2 extends Error {}"],
    ["class-method-key", "class A { 'delete'() {} }"],
    ["missing-global", "var s = Symbol.iterator;"],
    ["missing-global", "new WeakMap();"],
    ["missing-static", "Math.imul(1, 2);"],
    ["missing-static", "Date.UTC(2024, 0);"],
    ["missing-static", "Number.MAX_SAFE_INTEGER;"],
    ["missing-static", "Object.freeze({});"],
    ["missing-static", "Uint8Array.of(1);"],
    ["missing-static", "String.raw;"],
    ["missing-static", "Promise.race([]);"],
    ["builtin-prototype", "String.prototype.charCodeAt.call(s, 0);"],
    ["length-assign", "a.length--;"],
    ["arraybuffer-slice", "var b = new ArrayBuffer(4); b.slice(1);"],
    ["arraybuffer-slice", "E.toArrayBuffer(s).slice(1);"],
    ["regex", "/a(?:b)/;"],
    ["regex", "/(ab)+/;"],
    ["regex", "/a/m;"],
    ["regex", "/^_\\w+\\._(tcp|udp)$/;"],
    ["regex", "/^-|-$/;"],
    ["regex", "/HTTP\\/1\\.(0|1)\\r*$/;"],
    ["regex-after-paren", "if (a) /x/.test(s);"],
    ["array-hole", "var f = (c) => g([, c.ttl]);"],
    ["array-hole", "[1, , 2];"],
    ["regex-after-paren", "for (;;) /x/.test(s) ? f() : g();"],
    ["hoisting", "f(); function f() {}"],
  ];
  for (const [rule, code] of cases) {
    it(`${rule}: ${code}`, () => {
      const vs = checkDialect(code, { label: "t.js" });
      assert.ok(vs.some((v) => v.rule === rule), `${rule} not found in ${JSON.stringify(vs)}`);
    });
  }

  const allowed = [
    "/^(169\\.254\\.|fe80:)/i;",
    "/-$|^-/;",
    "/^a$|^b$/;",
    "/^_\\w+\\._tcp$|^_\\w+\\._udp$/;",
    "if (a) { /x/.test(s); }",
    "(function () { return /x/.test(s); });",
    'typeof Symbol !== "undefined";',
    "var Map = function () {}; new Map();",
    "Object.prototype.hasOwnProperty.call(o, 'k');",
    "Array.prototype.includes = function (x) { return this.indexOf(x) >= 0; };",
    "[].slice.call(u8, 1);",
    "new Uint8Array(4).slice(1);",
    "/^[a-z0-9-]+\\.local$/i.test(s);",
    "Math.pow(2, 8);",
    "function g() { return f(); } function f() { return 1; } g();",
    "var o = { get x() { return 1; }, y: 2 };",
  ];
  for (const code of allowed) {
    it(`allows ${code}`, () => {
      assert.deepEqual(checkDialect(code, { label: "t.js" }), []);
    });
  }

  it("names the file from esbuild's `// src/x.ts` markers when there is no source map", () => {
    const code = "// src/a.ts\nvar x = 1;\n// src/b.ts\nasync function f() {}\n";
    const [v] = checkDialect(code, { label: "bundle.js" });
    assert.equal(v.file, "src/b.ts (bundle)");
    assert.equal(v.line, 4);
  });

  it("regexProblems lists each unsupported regex feature", () => {
    assert.deepEqual(regexProblems("^[a-z]+\\d*$", "gi"), []);
    assert.match(regexProblems("a+?", "").join(), /lazy/);
    assert.match(regexProblems("\\bword\\b", "").join(), /word boundary/);
    assert.match(regexProblems("(a)\\1", "").join(), /backreference/);
    assert.match(regexProblems("\\u00e9", "").join(), /\\u/);
    assert.match(regexProblems("x", "y").join(), /flag "y"/);
    assert.deepEqual(regexProblems("[?{]", ""), [], "inside a class ? and { are literals");
  });
});

describe("dialect gate: lowered syntax passes and behaves the same everywhere", function () {
  let minified = "";
  before(async () => {
    minified = (await buildBundle({ entry: `${FIXTURES}/clean.ts`, board: null, label: "clean.js" })).minified;
  });

  const expected = [
    "derived-x derived-x/2 7 1 true",
    "base-c base-c/0 2",
    "6 4",
    '{"x":1,"y":2,"z":3,"k1":4} 1 {"y":2,"z":3,"k1":4} 1 2+3',
    "01278",
    "noq 8 B 1",
    "5 call boolean",
    "2,250 2 --abc",
    "true a#b#c",
    "promise 1,2",
    "caught EBOOM boom",
  ];

  it("the clean fixture builds, minified, and prints the expected lines on Node", () => {
    assert.ok(minified.split("\n").length < 10, "minified output should be a few lines");
    const dir = mkdtempSync(path.join(tmpdir(), "camnet-clean-"));
    try {
      const file = path.join(dir, "clean.js");
      writeFileSync(file, minified);
      const r = spawnSync(process.execPath, [file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n"), expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the clean fixture prints the same lines on the real Espruino interpreter", function () {
    const bin = espruinoBinary();
    if (!bin) this.skip(); // set ESPRUINO_BIN to the Linux build to run this
    assert.deepEqual(runOnEspruino(bin!, minified + "\nsetTimeout(function(){quit();}, 300);\n"), expected);
  });
});
