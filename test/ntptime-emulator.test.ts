// ntptime in the built bundle on an emulated ESP32 (clock at 1970 on power-on), against the
// router's NTP server and scripted servers on the virtual LAN: offset with injected latency
// and asymmetry, every invalid reply (clock untouched, a later good reply taken), failover,
// DHCP option 42 servers first, periodic re-sync with onstep, and timers across the step.
//
// One virtual clock drives everything: the board runs on virtual time and the LAN's timers
// (datagram latency, scripted replies) are timers of the same emulated chip, so a datagram
// sent at board time t with latency L is read by the receiver at exactly t + L. The NTP
// reference is the LAN clock, REF_BASE + the board's monotonic time; an offset error is
// therefore exact, not a measurement of the host's scheduler.
import assert from "node:assert/strict";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { Lan, NtpServer, type Host, type Router, type RouterOptions, type UdpHandle, writeNtpTimestamp } from "../emulator/lan/lan.ts";
import { ev, runVirtual, start, type Outcome, boardClock } from "./helpers/board.ts";

const SSID = "home";
const KEY = "secret123";
/** The reference (router's) time at the board's power-on; the board's own clock says 1970. */
const REF_BASE = Date.parse("2030-01-01T00:00:00Z");

interface Rig {
  lan: Lan;
  router: Router;
  board: EmulatedBoard;
  /** The router's NTP reference time now (LAN clock + router.ntp.offsetMs). */
  reference(): number;
  /** The board's clock minus the router's reference, ms. */
  error(): number;
}

let rigs: Rig[] = [];

/** A LAN on the board's virtual clock with an access point and a router, and a board
 *  (`boardId`) joined to it; ntptime.timeout stays at its default 1 s. The linux board is
 *  a wired host at 192.168.1.40 (no DHCP at boot); `wallStartMs` is the board's clock at
 *  power-on (default 1970). */
async function rig(opts: { boardId?: string; latencyMs?: number; router?: RouterOptions; setup?: (lan: Lan, router: Router) => void; wallStartMs?: number } = {}): Promise<Rig> {
  let board: EmulatedBoard | undefined;
  const clock = boardClock(() => board, REF_BASE);
  const lan = new Lan({ latencyMs: opts.latencyMs ?? 0, clock });
  lan.addAccessPoint({ ssid: SSID, password: KEY });
  const router = lan.addRouter(opts.router ?? {});
  opts.setup?.(lan, router);
  const host = opts.boardId == "linux" ? lan.addHost({ ip: "192.168.1.40" }) : undefined;
  board = await bootBoard({ board: opts.boardId ?? "esp32", lan, host, virtualTime: true, wallStartMs: opts.wallStartMs });
  const b = board;
  const r: Rig = {
    lan, router, board: b,
    reference: () => router.ntp.now(),
    error: () => b.clock.now() - router.ntp.now(),
  };
  rigs.push(r);
  ev(b, `var ntptime = require("ntptime");`);
  const o = await run(b, `require("network").WLAN(0).connect("${SSID}", "${KEY}")`);
  assert.ok(o.ok, `Wi-Fi connect: ${o.code} ${o.message}`);
  return r;
}

afterEach(function () {
  for (const r of rigs) {
    r.board.powerOff();
    r.lan.close();
  }
  rigs = [];
});

/** Runs `expr` to completion, moving the virtual clock forward 10 ms at a time. */
const run = (board: EmulatedBoard, expr: string, virtualLimitMs = 30000): Promise<Outcome> =>
  runVirtual(board, expr, 10, virtualLimitMs);

/** Lets `ms` of virtual time pass, 10 ms at a time, with the board's idle loop running
 *  between steps (so a request started now leaves now, not at the end of the jump). */
async function pass(board: EmulatedBoard, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 10) {
    await board.settle(4);
    await board.clock.advance(Math.min(10, left));
  }
  await board.settle(4);
}

async function ok(board: EmulatedBoard, expr: string): Promise<any> {
  const o = await run(board, expr);
  if (!o.ok) throw new Error(`${expr} rejected: ${o.code}: ${o.message}`);
  return o.value;
}

/** An NTP server on its own LAN host (port 123) whose answers a test scripts: `script` gets
 *  each request, a maker of the correct answer stamped now, and send(delayMs, make) which
 *  makes the bytes when they leave. The reference clock is the LAN's (as the router's). */
class ScriptedNtp {
  readonly host: Host;
  readonly server: NtpServer;
  requests = 0;
  private readonly socket: UdpHandle;
  script: (request: Uint8Array, good: () => Uint8Array, send: (delayMs: number, make: () => Uint8Array) => void) => void =
    (_request, good, send) => send(0, good);

  constructor(lan: Lan, router: Router, ip: string) {
    this.host = lan.addHost({ ip });
    this.server = new NtpServer(router);
    this.socket = this.host.udpBind({
      port: 123,
      onMessage: (data, from) => {
        this.requests++;
        const request = data.slice();
        const send = (delayMs: number, make: () => Uint8Array) => {
          const go = () => this.socket.send(make(), from.port, from.address);
          delayMs > 0 ? lan.schedule(go, delayMs) : go();
        };
        this.script(request, () => this.server.respond(request)!, send);
      },
    });
  }
}

/** Replies that must not set anything, made from a correct one. */
const BAD_REPLIES: Array<[string, (good: Uint8Array) => Uint8Array]> = [
  ["mode 3 (a client's)", (b) => ((b[0] = (b[0] & 0xf8) | 3), b)],
  ["mode 5 (broadcast)", (b) => ((b[0] = (b[0] & 0xf8) | 5), b)],
  ["LI=3 (unsynchronised)", (b) => ((b[0] |= 0xc0), b)],
  ["stratum 0 (refid INIT, not a kiss that bans)", (b) => ((b[1] = 0), b.set([73, 78, 73, 84], 12), b)],
  ["stratum 16", (b) => ((b[1] = 16), b)],
  ["version 2", (b) => ((b[0] = (b[0] & 0xc7) | (2 << 3)), b)],
  ["origin timestamp not the one sent", (b) => ((b[31] ^= 1), b)],
  ["zero transmit timestamp", (b) => (b.fill(0, 40, 48), b)],
  ["47 bytes", (b) => b.slice(0, 47)],
];

describe("ntptime on an emulated ESP32 (virtual LAN, one virtual clock)", function () {
  this.timeout(20000);

  describe("offset and delay", function () {
    for (const latencyMs of [0, 25, 300]) {
      it(`symmetric latency ${latencyMs} ms each way: settime() puts the 1970 clock within 1 ms of the router's`, async function () {
        const { board, router, error, reference } = await rig({ latencyMs });
        ev(board, `ntptime.host = "${router.address}"; globalThis.steps = []; ntptime.onstep = function (o) { steps.push(o); };`);
        assert.ok(board.clock.now() < 1e9, "the ESP32's clock starts at 1970");
        const t = await ok(board, `ntptime.settime()`);
        assert.ok(Math.abs(error()) < 1, `board - reference = ${error()} ms`);
        assert.ok(Math.abs(t - reference()) < 1 + 10, "settime() resolved to the new time (read within one 10 ms step)");
        assert.equal(ev(board, `ntptime.synced()`), true);
        const steps: number[] = ev(board, `steps`);
        assert.equal(steps.length, 1);
        assert.ok(Math.abs(steps[0] - REF_BASE) < 1000 + 2 * latencyMs, `onstep got the offset, ${steps[0]} ms`);
        // best of three exchanges, as many as fit in the 1 s timeout
        assert.equal(router.ntp.requests, Math.min(3, Math.ceil(1000 / (2 * latencyMs || 1))));
      });
    }

    it("the router's clock moves 2 h ahead (router.ntp.offsetMs): the next settime() follows it, onstep tells the step", async function () {
      const { board, router, error } = await rig({ latencyMs: 15 });
      ev(board, `ntptime.host = "${router.address}"; globalThis.steps = []; ntptime.onstep = function (o) { steps.push(o); };`);
      await ok(board, `ntptime.settime()`);
      router.ntp.offsetMs = 7200000;
      assert.ok(Math.abs(error() + 7200000) < 1);
      await ok(board, `ntptime.settime()`);
      assert.ok(Math.abs(error()) < 1, `board - reference = ${error()} ms`);
      const steps: number[] = ev(board, `steps`);
      assert.equal(steps.length, 2);
      assert.ok(Math.abs(steps[1] - 7200000) < 1, `second step ${steps[1]} ms`);
    });

    for (const [forward, back] of [[10, 50], [60, 5]]) {
      it(`asymmetric path (${forward} ms out, ${back} ms back): the error is half the asymmetry, as SNTP must`, async function () {
        // LAN latency `forward` both ways; the server holds its answer `back - forward` ms more.
        let ntp!: ScriptedNtp;
        const { board, error } = await rig({ latencyMs: Math.min(forward, back), setup: (lan, router) => (ntp = new ScriptedNtp(lan, router, "192.168.1.3")) });
        const extraOut = forward - Math.min(forward, back);
        const extraBack = back - Math.min(forward, back);
        ntp.script = (_request, good, send) => {
          if (extraOut) send(extraOut, good); // the request arrives late: stamped and sent then
          else {
            const answer = good(); // stamped on arrival, held on the way back
            send(extraBack, () => answer);
          }
        };
        ev(board, `ntptime.host = "192.168.1.3"`);
        await ok(board, `ntptime.settime()`);
        const half = (forward - back) / 2;
        assert.ok(Math.abs(error() - half) < 1, `error ${error()} ms, half the asymmetry ${half} ms`);
        assert.ok(Math.abs(error()) <= 1 + Math.abs(half));
        assert.equal(ntp.requests, 3);
      });
    }
  });

  describe("invalid replies leave the clock untouched", function () {
    for (const [name, spoil] of BAD_REPLIES) {
      it(`${name}, alone (router.ntp.reply): ETIMEDOUT naming the router, clock still 1970`, async function () {
        const { board, router } = await rig({ latencyMs: 5 });
        router.ntp.reply = (_request, good) => spoil(good.slice());
        ev(board, `ntptime.host = "${router.address}"`);
        const o = await run(board, `ntptime.settime()`);
        assert.equal(o.code, "ETIMEDOUT", `${o.code}: ${o.message}`);
        assert.match(o.message!, /192\.168\.1\.1/);
        assert.ok(board.clock.now() < 1e9, "the clock was not touched");
        assert.equal(ev(board, `ntptime.synced()`), false);
        assert.equal(router.ntp.requests, 1, "one request, the bad answer did not trigger another");
        // the server is not banned: once it answers well, it is believed
        router.ntp.reply = null;
        await ok(board, `ntptime.settime()`);
        assert.ok(board.clock.now() > REF_BASE);
      });

      it(`${name}, then a good answer 100 ms later: nothing set in between, the good one taken`, async function () {
        let ntp!: ScriptedNtp;
        const { board, error } = await rig({ latencyMs: 5, setup: (lan, router) => (ntp = new ScriptedNtp(lan, router, "192.168.1.3")) });
        ntp.script = (_request, good, send) => {
          send(0, () => spoil(good()));
          // received now, transmitted 100 ms later (T3 stamped when it leaves): no asymmetry
          const answer = good();
          send(100, () => (writeNtpTimestamp(answer, 40, ntp.server.now()), answer));
        };
        ev(board, `ntptime.host = "192.168.1.3"`);
        const read = start(board, `ntptime.settime()`);
        await pass(board, 60); // the bad answer arrived at 10 ms
        assert.equal(read(), undefined, "still waiting");
        assert.ok(board.clock.now() < 1e9, "the bad answer set nothing");
        assert.equal(ev(board, `ntptime.synced()`), false);
        await pass(board, 60 + 2 * 110); // and two more such exchanges
        const o = read();
        assert.ok(o?.ok, JSON.stringify(o));
        assert.ok(Math.abs(error()) < 1, `board - reference = ${error()} ms`);
      });
    }

    it("a correct answer from the wrong address or the wrong port: ignored, ETIMEDOUT", async function () {
      const { lan, board, router } = await rig({ latencyMs: 5 });
      const spoofer = lan.addHost({ ip: "192.168.1.66" });
      const fromOtherHost = spoofer.udpBind({ port: 123, onMessage: () => {} });
      const fromOtherPort = router.udpBind({ port: 1123, onMessage: () => {} });
      router.ntp.reply = (request, good) => {
        const to = lastRequestFrom!;
        fromOtherHost.send(good, to.port, to.address);
        fromOtherPort.send(good, to.port, to.address);
        return null; // the router itself stays silent
      };
      let lastRequestFrom: { address: string; port: number } | undefined;
      lan.capture((d) => {
        if (d.to.port === 123 && d.to.address === router.address) lastRequestFrom = d.from;
      });
      ev(board, `ntptime.host = "${router.address}"`);
      const o = await run(board, `ntptime.settime()`);
      assert.equal(o.code, "ETIMEDOUT", `${o.code}: ${o.message}`);
      assert.ok(board.clock.now() < 1e9);
    });
  });

  describe("servers", function () {
    it("failover: host = [a dead address, the router]: the router answers after the first timeout", async function () {
      const { board, router, lan, error } = await rig({ latencyMs: 5 });
      const asked: string[] = [];
      lan.capture((d) => d.to.port === 123 && asked.push(d.to.address));
      ev(board, `ntptime.host = ["192.168.1.250", "${router.address}"]`);
      const m0 = board.clock.mono();
      await ok(board, `ntptime.settime()`);
      assert.deepEqual(asked, ["192.168.1.250", router.address, router.address, router.address]);
      assert.ok(board.clock.mono() - m0 >= 1000, "the dead server had its whole timeout (1 s)");
      assert.ok(Math.abs(error()) < 1, `board - reference = ${error()} ms`);
    });

    it("all servers dead: ETIMEDOUT naming each, clock untouched", async function () {
      const { board } = await rig();
      ev(board, `ntptime.host = ["192.168.1.250", "192.168.1.251"]`);
      const o = await run(board, `ntptime.settime()`);
      assert.equal(o.code, "ETIMEDOUT");
      assert.match(o.message!, /192\.168\.1\.250.*192\.168\.1\.251/);
      assert.ok(board.clock.now() < 1e9);
    });

    it("esp32-verify (capabilities.dhcpInfo): the DHCP option 42 server is asked before ntptime.host", async function () {
      let dhcpNtp!: ScriptedNtp;
      const { board, router, error } = await rig({
        boardId: "esp32-verify", latencyMs: 5, router: { dhcp: { ntp: ["192.168.1.3"] } },
        setup: (lan, r) => (dhcpNtp = new ScriptedNtp(lan, r, "192.168.1.3")),
      });
      dhcpNtp.server.offsetMs = 5000; // tells its answers apart from the router's
      ev(board, `ntptime.host = "${router.address}"`);
      await ok(board, `ntptime.settime()`);
      assert.equal(dhcpNtp.requests, 3);
      assert.equal(router.ntp.requests, 0, "host was not needed");
      assert.ok(Math.abs(error() - 5000) < 1, "the clock follows the DHCP server");
      // DHCP's server silent: host is next
      dhcpNtp.script = () => {};
      await ok(board, `ntptime.settime()`);
      assert.equal(dhcpNtp.requests, 4);
      assert.equal(router.ntp.requests, 3);
      assert.ok(Math.abs(error()) < 1);
    });

    it("stock esp32 (no dhcpInfo): the DHCP option 42 server is not known, ntptime.host is asked", async function () {
      let dhcpNtp!: ScriptedNtp;
      const { board, router } = await rig({
        latencyMs: 5, router: { dhcp: { ntp: ["192.168.1.3"] } },
        setup: (lan, r) => (dhcpNtp = new ScriptedNtp(lan, r, "192.168.1.3")),
      });
      ev(board, `ntptime.host = "${router.address}"`);
      await ok(board, `ntptime.settime()`);
      assert.equal(dhcpNtp.requests, 0);
      assert.equal(router.ntp.requests, 3);
    });
  });

  describe("a clock setTime() cannot move (the Linux build)", function () {
    it("linux, clock at host time, reference in 2030: settime() rejects with EOPNOTSUPP, synced() stays false, no onstep", async function () {
      const { board, router, error } = await rig({ boardId: "linux", latencyMs: 5 });
      const before = board.clock.now();
      assert.ok(Math.abs(error()) > 86400e3, "the host's clock is years from the reference");
      ev(board, `ntptime.host = "${router.address}"; globalThis.steps = []; ntptime.onstep = function (o) { steps.push(o); };`);
      const o = await run(board, `ntptime.settime()`);
      assert.equal(o.ok, false);
      assert.equal(o.code, "EOPNOTSUPP", `${o.code}: ${o.message}`);
      assert.match(o.message!, /setTime\(\).*host/);
      assert.equal(router.ntp.requests, 3, "the server did answer (three exchanges)");
      assert.equal(ev(board, `ntptime.synced()`), false);
      assert.deepEqual(ev(board, `steps`), []);
      assert.ok(Math.abs(board.clock.now() - before) < 60e3, "the clock did not move");
      assert.ok(board.quirks.some((q) => /setTime\(\) has no effect/.test(q)), "setTime() was called");
      const t = await ok(board, `ntptime.time()`);
      assert.ok(Math.abs(t - router.ntp.now()) < 20, "time() still reads the server");
    });

    it("linux, host clock already on the reference: settime() succeeds (the clock is right), synced()", async function () {
      const { board, router, error } = await rig({ boardId: "linux", latencyMs: 5, wallStartMs: REF_BASE });
      ev(board, `ntptime.host = "${router.address}"`);
      await ok(board, `ntptime.settime()`);
      assert.equal(ev(board, `ntptime.synced()`), true);
      assert.ok(Math.abs(error()) < 1);
    });
  });

  describe("periodic re-sync and timers", function () {
    it("start(60): syncs at once, then every 60 s with onstep; stop() ends it", async function () {
      const { board, router, error } = await rig({ latencyMs: 5 });
      ev(board, `ntptime.host = "${router.address}"; globalThis.steps = []; ntptime.onstep = function (o) { steps.push(o); };
        ntptime.start(60);`);
      await pass(board, 100);
      assert.equal(router.ntp.requests, 3, "three exchanges");
      assert.equal(ev(board, `ntptime.synced()`), true);
      assert.ok(Math.abs(error()) < 1);
      router.ntp.offsetMs = -3000;
      await pass(board, 59800);
      assert.equal(router.ntp.requests, 3, "not before the interval");
      await pass(board, 200);
      assert.equal(router.ntp.requests, 6);
      assert.ok(Math.abs(error()) < 1, `re-synced: board - reference = ${error()} ms`);
      const steps: number[] = ev(board, `steps`);
      assert.equal(steps.length, 2);
      assert.ok(Math.abs(steps[1] + 3000) < 1, `the second step: ${steps[1]} ms`);
      await pass(board, 60000);
      assert.equal(router.ntp.requests, 9);
      ev(board, `ntptime.stop()`);
      await pass(board, 180000);
      assert.equal(router.ntp.requests, 9, "nothing after stop()");
    });

    it("start(10) waits at least 60 s between syncs; failures are retried at the next interval", async function () {
      const { board, router } = await rig({ latencyMs: 5 });
      router.ntp.reply = () => null; // counts the request, answers nothing
      ev(board, `ntptime.host = "${router.address}"; ntptime.start(10);`);
      await pass(board, 100);
      assert.equal(router.ntp.requests, 1);
      await pass(board, 30000);
      assert.equal(router.ntp.requests, 1, "10 s is raised to 60 s (RFC 4330 §10: no faster than once a minute)");
      assert.equal(ev(board, `ntptime.synced()`), false);
      router.ntp.reply = null;
      await pass(board, 32000); // 1 s timeout + 60 s
      assert.equal(router.ntp.requests, 4, "the failed one, then three exchanges");
      assert.equal(ev(board, `ntptime.synced()`), true);
      ev(board, `ntptime.stop()`);
    });

    it("a setTimeout set before settime() fires after its delay, not at once, when the clock jumps from 1970", async function () {
      const { board, router, error } = await rig({ latencyMs: 20 });
      ev(board, `ntptime.host = "${router.address}"; globalThis.fired = 0;
        setTimeout(function () { fired = Date.now(); }, 5000);
        globalThis.tick = 0; setInterval(function () { tick++; }, 1000);`);
      const m0 = board.clock.mono();
      await ok(board, `ntptime.settime()`);
      assert.ok(board.clock.now() > REF_BASE, "the clock jumped ~60 years forward");
      assert.equal(ev(board, `fired`), 0, "the 5 s timer did not fire at the jump");
      assert.equal(ev(board, `tick`), 0, "nor did the 1 s interval catch up 60 years of ticks");
      await pass(board, m0 + 4990 - board.clock.mono());
      assert.equal(ev(board, `fired`), 0);
      assert.equal(ev(board, `tick`), 4);
      await pass(board, 20);
      const fired: number = ev(board, `fired`);
      assert.ok(fired > REF_BASE, "fired, and Date.now() inside it is the new time");
      assert.ok(Math.abs(fired - board.clock.now()) < 20 && Math.abs(error()) < 1);
      assert.equal(board.quirks.filter((q) => /clock jumped/.test(q)).length, 0, "setTime, not a jump underneath the timers");
    });
  });
});
