// The built bundle's ntptime (Linux board profile, real loopback sockets) against ntpsec's
// ntpd rate-limiting on 127.0.0.1:123 (`limit average 0.5 burst 2 kod 5`): after a burst of
// requests it answers stratum 0, refid RATE, and ntptime must reject with EKOD (kiss RATE)
// naming the server instead of setting anything.
// ntpsec conflicts with chrony in Debian, so it is not installed: the test looks for an
// unpacked ntpd (`apt-get download ntpsec && dpkg-deb -x ntpsec_*.deb DIR`, see
// shared/reference/protocols.md §5.1) at $CAMNET_NTPSEC_NTPD, /usr/sbin/ntpd (if ntpsec is
// the installed one) or /tmp/ntpsec/pkg/usr/sbin/ntpd, and skips without it or without root.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { ev, settle } from "../helpers/board.ts";
import { findBinary, ntpProbe, startDaemon, type Daemon } from "./helpers.ts";

const SERVER = "127.0.0.1";

/** One v4 client request from Node; the reply's stratum and refid (as text). */
const probe = (timeoutMs = 500) => ntpProbe(SERVER, timeoutMs).then((h) => ({ stratum: h.stratum, refid: h.refid }));

describe("ntptime against ntpsec's ntpd sending RATE (Linux board profile, 127.0.0.1:123)", function () {
  this.timeout(30000);
  let ntpd: Daemon | undefined;
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;

  before(async function () {
    const bin = findBinary(...[process.env.CAMNET_NTPSEC_NTPD ?? "", "/usr/sbin/ntpd", "/tmp/ntpsec/pkg/usr/sbin/ntpd"].filter(Boolean));
    if (!bin || process.getuid?.() !== 0) {
      console.log("    (skipped: needs root and ntpsec's ntpd unpacked, see the file's header)");
      this.skip();
    }
    ntpd = startDaemon(bin!, (dir) => {
      const conf = join(dir, "ntp.conf");
      writeFileSync(conf, [
        `driftfile ${join(dir, "ntp.drift")}`, "limit average 0.5 burst 2 kod 5",
        "restrict default limited kod nomodify noquery", "interface ignore wildcard", "interface ignore ipv6",
        `interface listen ${SERVER}`,
      ].join("\n") + "\n");
      return ["-n", "-u", "root", "-c", conf];
    }, "camnet-ntpsec-");
    const start = Date.now();
    for (;;) {
      try {
        await probe(300);
        break;
      } catch (e) {
        if (Date.now() - start > 10000) throw new Error(`ntpd never answered: ${(e as Error).message}\n${ntpd.log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    stack = realStack(SERVER);
    board = await bootBoard({ board: "linux", host: stack, resolvConf: "" });
    ev(board, `var ntptime = require("ntptime"); ntptime.host = "${SERVER}"; ntptime.timeout = 1;`);
  });

  after(async function () {
    board?.powerOff();
    stack?.close();
    await ntpd?.stop();
  });

  it("after a burst, ntpd kisses with RATE: settime() rejects EKOD (kiss RATE) naming the server, synced() stays false", async function () {
    await probe();
    const kiss = await probe(); // the burst allowance (2) is spent
    assert.deepEqual(kiss, { stratum: 0, refid: "RATE" }, "ntpd is rate-limiting (so the test means something)");
    const o = await settle(board!, `ntptime.settime().then(null, function (e) { return Promise.reject(Object.assign(e, { message: e.message + " kiss=" + e.kiss })); })`);
    assert.equal(o.code, "EKOD", `${o.code}: ${o.message}`);
    assert.match(o.message!, /127\.0\.0\.1/);
    assert.match(o.message!, /kiss=RATE/);
    assert.equal(ev(board!, `ntptime.synced()`), false);
    // within the back-off the server is not asked again: the same EKOD at once, not a timeout
    const again = await settle(board!, `ntptime.time()`);
    assert.equal(again.code, "EKOD");
  });
});
