// The platform layer's own handling of Espruino's quirks, through the BUILT bundle on an
// emulated stock ESP32 (the platform is internal: it is reached through the socket module).
// quirks.test.ts shows each quirk in the emulator; these show the platform living with it.
import assert from "node:assert/strict";
import { boardOnLan, until, type TestNet } from "../emulator/espruino/testing.ts";
import { ev, resolved } from "./helpers/board.ts";

const PEER = "192.168.1.50";
/** 1400 bytes, every value 0-255 several times: more than the firmware's 528-byte default. */
const PATTERN = Uint8Array.from({ length: 1400 }, (_, i) => (i * 7) & 255);

describe("platform quirks handled in the bundle (emulated stock ESP32)", function () {
  this.timeout(20000);
  let net: TestNet | undefined;
  afterEach(() => {
    net?.close();
    net = undefined;
  });

  async function online(): Promise<TestNet> {
    net = await boardOnLan({ board: "esp32" });
    ev(net.board, `var socket = require("socket");
      globalThis.bytes = function (u) { var a = []; for (var i = 0; i < u.length; i++) a.push(u[i]); return a; };`);
    await resolved(net.board, `require("network").WLAN(0).connect("home", "secret123")`);
    return net;
  }

  it("recvBufferSize and binary strings: a 1400-byte datagram of every byte value arrives whole and exact, both ways", async function () {
    const { board, lan } = await online();
    const got: Uint8Array[] = [];
    const h = lan.addHost({ ip: PEER }).udpBind({ port: 9999, onMessage: (d) => got.push(d) });
    ev(board, `globalThis.u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)`);
    await resolved(board, `u.bind(["", 5005])`);
    const ip = ev(board, `require("network").WLAN(0).ifconfig()[0]`) as string;
    h.send(PATTERN, 5005, ip);
    const rx = await resolved(board, `u.recvfrom(2000).then(function (r) { globalThis.last = r[0]; return bytes(r[0]); })`);
    assert.deepEqual(rx, [...PATTERN], "not cut to 528 bytes, every byte value intact");
    assert.equal(await resolved(board, `u.sendto(last, ["${PEER}", 9999])`), 1400);
    await until(() => got.length === 1, "the datagram at the peer");
    assert.deepEqual([...got[0]!], [...PATTERN], "sent as a binary string, not as \"0,7,14,...\"");
    assert.ok(!board.quirks.some((q) => q.includes("truncated") || q.includes('"1,2,3"') || q.includes("toString")), board.quirks.join("\n"));
  });

  it("a bound socket's subnet broadcast (192.168.1.255) is refused by the platform, not sent as garbage: the socket layer sends it unbound", async function () {
    const { board, lan } = await online();
    const got: string[] = [];
    lan.addHost({ ip: PEER }).udpBind({ port: 6666, onMessage: (d) => got.push(Buffer.from(d).toString("latin1")) });
    ev(board, `globalThis.u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)`);
    await resolved(board, `u.bind(["", 5006])`);
    ev(board, `u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)`);
    assert.equal(await resolved(board, `u.sendto("hello", ["192.168.1.255", 6666])`), 5);
    await until(() => got.length === 1, "the broadcast at the peer");
    assert.deepEqual(got, ["hello"]);
    assert.ok(!board.quirks.some((q) => q.includes("broadcast") && q.includes("bound socket")), board.quirks.join("\n"));
  });
});
