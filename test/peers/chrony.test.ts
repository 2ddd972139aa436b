// The built bundle's ntptime (require("ntptime") on the Linux board profile, real sockets on
// 127.0.0.1) against real chronyd servers on loopback port 123: one serving the host clock
// (`local stratum 8`, -x: it never touches the system clock), one unsynchronised (no `local`
// line: it answers LI=3, stratum 0) and one under libfaketime at 2036-02-07 06:30 UTC, after
// the NTP era rollover (the whole daemon on the fake clock, so T2 and T3 are both in era 1).
// The Linux build cannot set the clock (capabilities.setTime false), so the good cases use
// ntptime.time(). Needs chrony (Debian package chrony; the suite skips without it) and root
// (port 123); the 2036 case needs faketime (skipped without it).
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { ev, resolved, settle } from "../helpers/board.ts";
import { chronyd, findBinary, ntpProbe, waitForNtp, type Daemon } from "./helpers.ts";

const SYNCED = "127.0.0.123";
const UNSYNCED = "127.0.0.124";
const ERA1 = "127.0.0.125";
/** 2036-02-07T06:28:16Z: NTP seconds field wraps to 0 (start of era 1). */
const ERA1_START_MS = Date.parse("2036-02-07T06:28:16Z");

/** libfaketime's preload library, or undefined. */
function libfaketime(): string | undefined {
  if (!findBinary("/usr/bin/faketime")) return undefined;
  for (const dir of ["/usr/lib/faketime", ...readdirSafe("/usr/lib").map((d) => `/usr/lib/${d}/faketime`)]) {
    const lib = join(dir, "libfaketime.so.1");
    if (existsSync(lib)) return lib;
  }
  return undefined;
}
function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe("ntptime against chrony (Linux board profile, real loopback sockets, port 123)", function () {
  this.timeout(30000);
  const daemons: Daemon[] = [];
  let era1: Daemon | undefined;
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;

  before(async function () {
    const bin = findBinary("/usr/sbin/chronyd", "/usr/bin/chronyd");
    if (!bin) {
      console.log("    (skipped: chrony is not installed; apt-get install chrony)");
      this.skip();
    }
    if (process.getuid?.() !== 0) {
      console.log("    (skipped: chronyd on port 123 needs root)");
      this.skip();
    }
    daemons.push(chronyd(bin!, SYNCED, { serve: true }), chronyd(bin!, UNSYNCED, { serve: false }));
    const lib = libfaketime();
    if (lib) {
      era1 = chronyd(bin!, ERA1, { serve: true, env: ["TZ=UTC", `LD_PRELOAD=${lib}`, "FAKETIME=@2036-02-07 06:30:00"] });
      daemons.push(era1);
    }
    await Promise.all(daemons.map((d, i) => waitForNtp(d, [SYNCED, UNSYNCED, ERA1][i])));
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: "linux", host: stack, resolvConf: "" });
    ev(board, `var ntptime = require("ntptime"); ntptime.timeout = 1;`);
  });

  after(async function () {
    board?.powerOff();
    stack?.close();
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("a serving chronyd: time() is the host clock to within a few ms (chronyd serves it with -x)", async function () {
    const h = await ntpProbe(SYNCED);
    assert.deepEqual([h.leap, h.mode, h.stratum], [0, 4, 8], "chronyd is synchronised to its local clock");
    ev(board!, `ntptime.host = "${SYNCED}"`);
    const before = Date.now();
    // the board's own clock is the host's on the Linux build: the offset it measured is chrony's error
    const [t, boardNow] = await resolved(board!, `ntptime.time().then(function (t) { return [t, Date.now()]; })`);
    const after = Date.now();
    assert.ok(Math.abs(t - boardNow) < 5, `offset ${t - boardNow} ms against the host clock`);
    assert.ok(t >= before - 5 && t <= after + 5, `${new Date(t).toISOString()} within [${new Date(before).toISOString()}, ${new Date(after).toISOString()}]`);
  });

  it("a list of hosts: a silent address first, then chronyd (failover after the timeout)", async function () {
    ev(board!, `ntptime.host = ["127.0.0.126", "${SYNCED}"]`);
    const [t, boardNow] = await resolved(board!, `ntptime.time().then(function (t) { return [t, Date.now()]; })`);
    assert.ok(Math.abs(t - boardNow) < 5, `offset ${t - boardNow} ms`);
  });

  it("an unsynchronised chronyd answers LI=3 / stratum 0; ntptime refuses it: ETIMEDOUT naming it, nothing set", async function () {
    const h = await ntpProbe(UNSYNCED);
    assert.deepEqual([h.leap, h.mode, h.stratum], [3, 4, 0], "chronyd without a reference says it is unsynchronised");
    ev(board!, `ntptime.host = "${UNSYNCED}"`);
    const o = await settle(board!, `ntptime.settime()`);
    assert.equal(o.code, "ETIMEDOUT", o.message);
    assert.match(o.message!, /127\.0\.0\.124/);
    assert.equal(ev(board!, `ntptime.synced()`), false, "nothing was accepted");
    const t = await settle(board!, `ntptime.time()`);
    assert.equal(t.code, "ETIMEDOUT");
  });

  it("chronyd on a fake clock after the 2036 rollover: time() is 2036-02-07 (era 1), not 1900", async function () {
    if (!era1) {
      console.log("      (skipped: faketime is not installed; apt-get install faketime)");
      this.skip();
    }
    const h = await ntpProbe(ERA1);
    assert.equal(h.stratum, 8);
    assert.ok(h.transmitSeconds < 0x80000000, `the seconds field has wrapped (0x${h.transmitSeconds.toString(16)}): era 1 on the wire`);
    ev(board!, `ntptime.host = "${ERA1}"`);
    const t: number = await resolved(board!, `ntptime.time()`);
    assert.ok(t > ERA1_START_MS && t < ERA1_START_MS + 86400000, `got ${new Date(t).toISOString()}`);
    // chronyd's fake clock started at 06:30:00 and runs at real speed
    assert.ok(t >= Date.parse("2036-02-07T06:30:00Z") && t < Date.parse("2036-02-07T06:31:00Z"), `got ${new Date(t).toISOString()}`);
  });
});
