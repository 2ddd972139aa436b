// The built bundle's resolver (Linux board profile, real loopback sockets) against a real
// unbound on 127.0.0.154:53 for the failures dnsmasq cannot produce: SERVFAIL (unbound
// forwards fail.example to a dnsmasq without upstream servers, which REFUSES), REFUSED
// (always_refuse), dropped queries (always_deny), and NXDOMAIN with a real SOA, negatively
// cached. Needs unbound and dnsmasq-base (the suite skips without them) and root (port 53).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { until } from "../../emulator/espruino/testing.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { ev, resolved, settle } from "../helpers/board.ts";
import { findBinary, startDaemon, waitForDns, type Daemon } from "./helpers.ts";

const UNBOUND = "127.0.0.154";
const REFUSER = "127.0.0.156";

describe("resolver against unbound (Linux board profile, real loopback sockets)", function () {
  this.timeout(30000);
  let unbound: Daemon | undefined;
  let refuser: Daemon | undefined;
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;

  before(async function () {
    const ub = findBinary("/usr/sbin/unbound");
    const dm = findBinary("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq");
    if (!ub || !dm) {
      console.log(`    (skipped: ${ub ? "" : "unbound "}${dm ? "" : "dnsmasq "}not installed; apt-get install unbound dnsmasq-base)`);
      this.skip();
    }
    refuser = startDaemon(dm!, (dir) => [
      "--keep-in-foreground", "--conf-file=/dev/null", "--port=53", `--listen-address=${REFUSER}`, "--bind-interfaces",
      "--no-resolv", "--no-hosts", "--user=root", `--pid-file=${join(dir, "dnsmasq.pid")}`,
    ], "camnet-refuser-");
    unbound = startDaemon(ub!, (dir) => {
      const conf = join(dir, "unbound.conf");
      writeFileSync(conf, `server:
  interface: ${UNBOUND}
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${join(dir, "unbound.pid")}"
  use-syslog: no
  logfile: ""
  log-queries: yes
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  auto-trust-anchor-file: ""
  num-threads: 1
  so-reuseport: no
  local-zone: "lab.test." static
  local-data: "cam.lab.test. 60 IN A 192.0.2.20"
  local-data: "lab.test. 3600 IN SOA ns.lab.test. host.lab.test. 1 3600 600 86400 120"
  local-zone: "refuse.test." always_refuse
  local-zone: "drop.test." always_deny
forward-zone:
  name: "fail.example."
  forward-addr: ${REFUSER}@53
`);
      return ["-d", "-c", conf];
    }, "camnet-unbound-");
    await waitForDns(refuser, REFUSER, 53, "ready.example");
    await waitForDns(unbound, UNBOUND, 53, "cam.lab.test");
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: "linux", host: stack, resolvConf: `nameserver ${UNBOUND}` });
    ev(board, `var socket = require("socket")`);
  });

  after(async function () {
    board?.powerOff();
    stack?.close();
    await unbound?.stop();
    await refuser?.stop();
  });

  /** Queries for `name` in unbound's log (log-queries: "info: 127.0.0.1 name. A IN"). */
  const logged = (name: string) => unbound!.log().split("\n").filter((l) => l.includes(` ${name}. A IN`)).length;

  it("a local-data name resolves", async function () {
    assert.equal(await resolved(board!, `socket.gethostbyname("cam.lab.test")`), "192.0.2.20");
  });

  it("NXDOMAIN with the zone's SOA: EAI_NONAME, then answered from the negative cache", async function () {
    const first = await settle(board!, `socket.gethostbyname("nope.lab.test")`);
    assert.equal(first.code, "EAI_NONAME");
    await until(() => logged("nope.lab.test") === 1, "unbound's log line");
    const again = await settle(board!, `socket.gethostbyname("nope.lab.test")`);
    assert.equal(again.code, "EAI_NONAME");
    await settle(board!, `socket.gethostbyname("barrier.lab.test")`); // logged after anything sent before it
    await until(() => logged("barrier.lab.test") === 1, "the barrier query in unbound's log");
    assert.equal(logged("nope.lab.test"), 1, "no second query");
  });

  it("REFUSED: EAI_FAIL", async function () {
    const o = await settle(board!, `socket.gethostbyname("a.refuse.test")`);
    assert.equal(o.code, "EAI_FAIL");
  });

  it("SERVFAIL (the upstream refused): EAI_AGAIN", async function () {
    const o = await settle(board!, `socket.gethostbyname("x.fail.example")`);
    assert.equal(o.code, "EAI_AGAIN");
  });

  it("dropped queries: EAI_AGAIN after the retransmission (1 s + 2 s)", async function () {
    const o = await settle(board!, `socket.gethostbyname("a.drop.test")`);
    assert.equal(o.code, "EAI_AGAIN");
    assert.match(o.message!, new RegExp(UNBOUND.replace(/\./g, "\\.")));
    assert.equal(logged("a.drop.test"), 2, "asked twice");
  });
});
