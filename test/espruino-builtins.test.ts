// The emulator's regular expressions, String.indexOf and typed-array subarray behave as Espruino
// 2v29's do, quirks included: the expectations below were measured on the real interpreter (Linux build), and
// where a binary is given (ESPRUINO_BIN) a corpus runs on both and must print the same lines.
import assert from "node:assert/strict";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { espruinoBinary, runOnEspruino } from "../scripts/lib/espruino-run.ts";

/** [expression, what the real interpreter printed for JSON.stringify(expression)] */
const MEASURED: Array<[string, string]> = [
  // what follows a group with | is checked against the first alternative only
  ["/^(a|b)c/.test('ad')", "true"],
  ["/^(a|b)c/.test('bc')", "true"],
  ["/^(a|b)c/.test('bd')", "false"],
  ["/^a(0|1)$/.test('a1')", "false"],
  ["/^a(1|0)$/.test('a1')", "true"],
  ["/^_[\\w-]+\\._(tcp|udp)$/.test('_http._udp')", "false"],
  ["/^_[\\w-]+\\._(tcp|udp)$/.test('_http._tcpx')", "true"],
  ["'GET / HTTP/1.1\\r'.match(/^([A-Z]+) (\\/[^ ]*) HTTP\\/1\\.(0|1)\\r*$/)", "null"],
  ["'GET / HTTP/1.0\\r'.match(/^([A-Z]+) (\\/[^ ]*) HTTP\\/1\\.(0|1)\\r*$/)", '["GET / HTTP/1.0","GET","/",""]'],
  ["'GET / HTTP/1.1\\r'.match(/^([A-Z]+) (\\/[^ ]*) HTTP\\/1\\.([01])\\r*$/)", '["GET / HTTP/1.1\\r","GET","/","1"]'],
  // a failing ^ never lets the alternatives after it try later positions
  ["/^-|-$/.test('kitchen-')", "false"],
  ["/-$|^-/.test('kitchen-')", "true"],
  ["/abc|def/.test('def')", "true"],
  ["/^abc$|^def$/.test('defx')", "false"],
  // the ordinary cases still work
  ["'a1b2'.replace(/\\d/g, '#')", '"a#b#"'],
  ["'a.b.c'.split(/\\./).length", "3"],
  ["'x=1;y=2'.match(/(\\w)=(\\d)/)", '["x=1","x","1"]'],
  ["'aaa'.replace(/a*/g, '-')", '"--"'],
  ["'a,b'.split(/,/)", '["a","b"]'],
  ["/^(169\\.254\\.|fe80:)/i.test('FE80::1')", "true"],
  // indexOf: a needle running past the end of the string still matches
  ["'abc'.indexOf('cd')", "2"],
  ["'abc'.indexOf('cde')", "2"],
  ["'abc'.indexOf('bcd')", "1"],
  ["':0:0:'.indexOf(':0:0:0')", "-1"],
  ["'abc'.lastIndexOf('cd')", "-1"],
  ["'abc'.includes('cd')", "true"],
  ["'abc'.indexOf('cd', 1)", "2"],
  ["['abc'.indexOf('zz'), 'abcabc'.indexOf('ca'), 'aab'.indexOf('ab'), 'abc'.indexOf('', 1), ''.indexOf('')]", "[-1,2,1,1,-1]"],
  // typed arrays: subarray() does not clamp its end (inside the buffer the board reads on)
  ["[new Uint8Array([1,2,3]).subarray(5).length, new Uint8Array([1,2,3]).subarray(-1).length, new Uint8Array([1,2,3]).subarray(2,1).length]", "[0,1,0]"],
  ["(function(){var b=new Uint8Array([9,8,7,6,5]);return [].slice.call(new Uint8Array(b.buffer,1,2).subarray(0,4))})()", "[8,7,6,5]"],
];

/** Patterns and inputs run through test/exec/replace/split on both, when a binary exists. */
const CORPUS: Array<[string, string[]]> = [
  ["/^(a|b)+c/", ["abc", "bbc", "ac"]],
  ["/[a-c]+x|y$/", ["abcx", "zy", "q"]],
  ["/\\s*(\\w+)\\s*=\\s*(\\d+)/", ["  key = 42 ", "k=1", "=3"]],
  ["/^[^:]*:(\\d*)$/i", ["host:80", "HOST:", "a:b"]],
  ["/\\.local$/i", ["cam.local", "cam.LOCAL", "cam.locals", "local"]],
  ["/colou?r/", ["color", "colour", "colou?r"]],
  ["/a.c/g", ["abcadcaec"]],
];

describe("emulator: Espruino's RegExp, String.indexOf and subarray", function () {
  let board: EmulatedBoard;
  before(async () => {
    board = await bootBoard({ board: "esp32", code: "" });
  });
  after(() => board.powerOff());

  for (const [expr, expected] of MEASURED) {
    it(`${expr} -> ${expected}`, () => {
      assert.equal(board.eval(`JSON.stringify(${expr})`), expected);
    });
  }

  it("a subarray past the end of its buffer throws, where the board reads past it", () => {
    assert.throws(() => board.eval("new Uint8Array([1,2,3]).subarray(1,10)"), /does not clamp/);
  });

  it("prints the same lines as the real interpreter for a corpus of patterns", function () {
    const bin = espruinoBinary();
    if (!bin) this.skip(); // set ESPRUINO_BIN to the Linux build to run this
    let code = "";
    for (const [re, inputs] of CORPUS) {
      for (const s of inputs) {
        const q = JSON.stringify(s);
        code += `print(${JSON.stringify(re + " " + s)} + " " + ${re}.test(${q}) + " " + JSON.stringify(${q}.match(${re})) + " " +
          JSON.stringify(${q}.replace(${re}, "#")) + " " + JSON.stringify(${q}.split(${re})));\n`;
      }
    }
    const real = runOnEspruino(bin!, code + "quit();\n").filter((l) => l.startsWith("/"));
    const lines: string[] = [];
    const b = board;
    b.chip.rt.print = (l: string) => void lines.push(l);
    b.eval(code);
    assert.deepEqual(lines, real);
  });
});
