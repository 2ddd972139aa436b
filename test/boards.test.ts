// Board files: every boards/<id>.json passes boards/schema.json (checked by the build's
// loadBoards); broken copies are refused naming file, field, the fault and the fix; a board's
// size budget refuses an oversized bundle saying by how much; the build writes every board.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BoardFileError, checkBoard, loadSchema, validate, type Schema } from "../scripts/boards.ts";
import { BudgetError, buildBoard, loadBoards, ROOT, type BoardProfile } from "../scripts/build.ts";
import type { Capabilities } from "../src/platform/types.ts";

const BOARDS = path.join(ROOT, "boards");
const CAMERA_BOARDS = ["esp32-cam", "esp-eye", "m5-timer-cam", "freenove-wrover-cam"];

function readBoard(id: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(BOARDS, `${id}.json`), "utf8"));
}

describe("boards: the board files", () => {
  const schema = loadSchema(BOARDS);

  it("has a file for each supported board, plus linux and esp32-verify", () => {
    const ids = loadBoards().map((b) => b.id);
    for (const id of [...CAMERA_BOARDS, "esp32", "esp32-verify", "linux"]) assert.ok(ids.includes(id), `no boards/${id}.json`);
    assert.ok(!ids.includes("schema"), "schema.json is not a board");
  });

  it("every board file passes the schema and the checks it cannot express", () => {
    for (const b of loadBoards()) {
      const problems = checkBoard(readFileSync(path.join(BOARDS, `${b.id}.json`), "utf8"), `boards/${b.id}.json`, b.id, schema);
      assert.deepEqual(problems, [], `boards/${b.id}.json`);
    }
  });

  it("the schema's capabilities are exactly the Capabilities of src/platform/types.ts", () => {
    // A key added to Capabilities makes this object fail to type-check until the schema follows.
    const all: Record<keyof Capabilities, true> = {
      wifi: true, nativeMdns: true, tlsVerify: true, tlsServer: true, ipv6: true, udpRecvMax: true,
      maxSockets: true, variables: true, hostnameMax: true, dhcpInfo: true, setTime: true,
    };
    const caps = schema.properties!.capabilities;
    assert.deepEqual([...caps.required!].sort(), Object.keys(all).sort());
    assert.deepEqual(Object.keys(caps.properties!).sort(), Object.keys(all).sort());
  });

  it("camera boards on stock firmware carry the stock ESP32 capabilities, 16383 JsVars, 115200 baud and a sourced note", () => {
    const stock = readBoard("esp32").capabilities;
    for (const id of CAMERA_BOARDS) {
      const b = readBoard(id);
      assert.match(b.firmware, /stock/, id);
      assert.deepEqual(b.capabilities, stock, `${id}: stock firmware, stock capabilities`);
      assert.equal(b.capabilities.variables, 16383, id);
      assert.equal(b.baud, 115200, id);
      assert.equal(b.defaultHostname.length <= b.capabilities.hostnameMax, true, id);
      for (const field of ["psramMB", "ledPin", "variables"]) assert.ok(b.notes?.[field], `${id}: notes.${field} says where the number comes from`);
      assert.equal(b.targetBytes, 24576, id);
    }
  });

  it("records the flash LED pins: GPIO 4 on the ESP32-CAM, 2 on the Timer Camera X and Freenove, none on the ESP-EYE", () => {
    assert.equal(readBoard("esp32-cam").ledPin, 4);
    assert.equal(readBoard("m5-timer-cam").ledPin, 2);
    assert.equal(readBoard("freenove-wrover-cam").ledPin, 2);
    assert.equal(readBoard("esp-eye").ledPin, null);
    assert.equal(readBoard("esp32-cam").defaultHostname, "esp32-cam");
  });
});

describe("boards: a broken board file stops the build with a clear message", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "camnet-boards-"));
    copyFileSync(path.join(BOARDS, "schema.json"), path.join(dir, "schema.json"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a copy of esp32-cam.json changed by `edit` and returns loadBoards' error message. */
  function refusal(edit: (b: Record<string, any>) => void, file = "esp32-cam.json"): BoardFileError {
    const b = readBoard("esp32-cam");
    edit(b);
    writeFileSync(path.join(dir, file), JSON.stringify(b, null, 2));
    let error: unknown = null;
    try {
      loadBoards(dir);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof BoardFileError, `expected a BoardFileError, got ${String(error)}`);
    return error;
  }
  const base = () => path.basename(dir);

  it("accepts an unchanged copy", () => {
    writeFileSync(path.join(dir, "esp32-cam.json"), JSON.stringify(readBoard("esp32-cam")));
    assert.deepEqual(loadBoards(dir).map((b) => b.id), ["esp32-cam"]);
  });

  it("missing capabilities", () => {
    const e = refusal((b) => delete b.capabilities);
    assert.equal(e.problems.length, 1, e.message);
    assert.ok(e.message.includes(`${base()}/esp32-cam.json: capabilities: is missing; add "capabilities" (What the firmware can do`), e.message);
  });

  it("a capability of the wrong type", () => {
    const e = refusal((b) => (b.capabilities.nativeMdns = "yes"));
    assert.ok(e.message.includes(`esp32-cam.json: capabilities.nativeMdns: is "yes" (string), must be boolean; write a boolean`), e.message);
  });

  it("a JsVar budget that is not an integer, and a missing capability", () => {
    const e = refusal((b) => {
      b.capabilities.variables = 16383.5;
      delete b.capabilities.tlsVerify;
    });
    assert.equal(e.problems.length, 2, e.message);
    assert.match(e.message, /capabilities\.tlsVerify: is missing; add "tlsVerify"/);
    assert.match(e.message, /capabilities\.variables: is 16383\.5 \(number\), must be integer/);
  });

  it("an unknown field (a misspelt ledPin)", () => {
    const e = refusal((b) => {
      b.ledpin = b.ledPin;
    });
    assert.ok(e.message.includes("esp32-cam.json: ledpin: is not a known field; remove it or correct its spelling (known: "), e.message);
    assert.match(e.message, /known: .*ledPin/);
  });

  it("a baud rate the serial console does not use", () => {
    const e = refusal((b) => (b.baud = 115201));
    assert.ok(e.message.includes("esp32-cam.json: baud: is 115201, must be one of 0, 9600, 57600, 74880, 115200, 230400, 460800, 921600; pick one of those values"), e.message);
    const asText = refusal((b) => (b.baud = "115200"));
    assert.match(asText.message, /baud: is "115200" \(string\), must be integer/);
  });

  it("a LED pin beyond GPIO 39; null is accepted", () => {
    const e = refusal((b) => (b.ledPin = 40));
    assert.match(e.message, /ledPin: is 40, above the maximum 39; use a value of at most 39/);
    const nulled = readBoard("esp32-cam");
    nulled.ledPin = null;
    writeFileSync(path.join(dir, "esp32-cam.json"), JSON.stringify(nulled));
    assert.equal(loadBoards(dir)[0].ledPin, null);
  });

  it("an id that is not the file name, and a host name longer than the firmware allows", () => {
    const e = refusal((b) => {
      b.id = "esp32cam";
      b.defaultHostname = "esp32-cam-" + "x".repeat(22);
      b.capabilities.hostnameMax = 20;
    });
    assert.match(e.message, /esp32-cam\.json: id: is "esp32cam" but the file is esp32-cam\.json; set "id": "esp32-cam" or rename the file/);
    assert.match(e.message, /defaultHostname: has 32 characters, more than capabilities\.hostnameMax 20; choose a shorter name/);
  });

  it("a file that is not JSON", () => {
    writeFileSync(path.join(dir, "esp32-cam.json"), '{ "id": "esp32-cam", }');
    assert.throws(() => loadBoards(dir), (e: unknown) => e instanceof BoardFileError && /esp32-cam\.json: \(file\): is not JSON .*; fix the syntax/.test(e.message));
  });

  it("lists the problems of every broken file at once", () => {
    refusal((b) => (b.baud = 1), "esp32-cam.json");
    const e = refusal((b) => {
      b.id = "esp-eye";
      b.chip = "ESP32-S3";
    }, "esp-eye.json");
    assert.match(e.message, /esp-eye\.json: chip: is "ESP32-S3", must be one of "ESP32", "LINUX"/);
    assert.match(e.message, /esp32-cam\.json: baud: is 1/);
  });
});

describe("boards: the validator's subset of JSON Schema", () => {
  const schema: Schema = {
    type: "object",
    required: ["a"],
    additionalProperties: false,
    properties: {
      a: { type: ["integer", "null"], minimum: 0 },
      b: { type: ["integer", "object"], minimum: 1, additionalProperties: false, properties: { m: { type: "object", additionalProperties: { type: "integer" } } } },
      s: { type: "string", pattern: "^[a-z]+$", maxLength: 3 },
    },
  };
  const fields = (v: unknown) => validate(v, schema, "f.json").map((p) => `${p.field}: ${p.problem}`);

  it("nullable types, numbers versus integers, minimum only for numbers", () => {
    assert.deepEqual(fields({ a: null }), []);
    assert.deepEqual(fields({ a: 3 }), []);
    assert.deepEqual(fields({ a: -1 }), ["a: is -1, below the minimum 0"]);
    assert.deepEqual(fields({ a: 1.5 }), ["a: is 1.5 (number), must be integer or null"]);
    assert.deepEqual(fields({ a: true }), ["a: is true (boolean), must be integer or null"]);
    assert.deepEqual(fields([]), [": is [] (array), must be object"]);
  });

  it("a number or an object, with an additionalProperties schema for free-form keys", () => {
    assert.deepEqual(fields({ a: 0, b: 5 }), []);
    assert.deepEqual(fields({ a: 0, b: 0 }), ["b: is 0, below the minimum 1"]);
    assert.deepEqual(fields({ a: 0, b: { m: { x: 1, y: "2" } } }), ['b.m.y: is "2" (string), must be integer']);
    assert.deepEqual(fields({ a: 0, b: { n: 1 } }), ["b.n: is not a known field"]);
  });

  it("pattern and maxLength on strings", () => {
    assert.deepEqual(fields({ a: 0, s: "abc" }), []);
    assert.deepEqual(fields({ a: 0, s: "abcd" }), ["s: is 4 characters long, more than 3"]);
    assert.deepEqual(fields({ a: 0, s: "A" }), ['s: is "A", which does not match ^[a-z]+$']);
  });
});

describe("boards: size budgets and build outputs", () => {
  it("refuses a bundle over a camera board's budget, naming the board and saying by how much", async () => {
    const cam = loadBoards().find((b) => b.id === "esp32-cam")!;
    const tmp = mkdtempSync(path.join(tmpdir(), "camnet-board-budget-"));
    try {
      const tight: BoardProfile = { ...cam, budgetBytes: 1000 };
      const error = await buildBoard(tight, { outDir: tmp, entries: { "camnet.js": "src/runtime.ts" } }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof BudgetError, String(error));
      assert.equal(error.board, "esp32-cam");
      assert.match(error.message, /^size budget of board esp32-cam exceeded:/);
      const m = /dist\/esp32-cam\/camnet\.js is (\d+) bytes: (\d+) bytes over its budget of 1000 \(boards\/esp32-cam\.json budgetBytes\)/.exec(error.message);
      assert.ok(m, error.message);
      assert.equal(Number(m[2]), Number(m[1]) - 1000);
      assert.ok(!existsSync(path.join(tmp, "camnet.js")), "nothing is written when over budget");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("npx tsx scripts/build.ts wrote dist/<board>/ for every board, with that board's profile baked in", () => {
    const missing = loadBoards().filter((b) => !existsSync(path.join(ROOT, "dist", b.id, "camnet.js")));
    assert.deepEqual(missing.map((b) => b.id), [], "run `npx tsx scripts/build.ts` (npm test does) before this test");
    for (const b of loadBoards()) {
      const code = readFileSync(path.join(ROOT, "dist", b.id, "camnet.js"), "utf8");
      assert.ok(code.includes(`"${b.defaultHostname}"`), `dist/${b.id}/camnet.js: host name ${b.defaultHostname}`);
      assert.ok(code.includes(`recvBufferSize:${b.capabilities.udpRecvMax}`), `dist/${b.id}/camnet.js carries the capabilities of ${b.id}`);
      const sizes = JSON.parse(readFileSync(path.join(ROOT, "dist", b.id, "sizes.json"), "utf8")) as { board: string };
      assert.equal(sizes.board, b.id);
    }
  });
});
