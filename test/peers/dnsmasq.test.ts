// The built bundle's resolver (require("socket") on the Linux board profile, real sockets
// on 127.0.0.1) against a real dnsmasq listening on 127.0.0.153:53: several A records,
// CNAME chains, NXDOMAIN, and an answer too long for UDP (dnsmasq sets TC) that comes back
// whole over TCP. Needs dnsmasq (Debian package dnsmasq-base; the suite skips without it)
// and root (port 53).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootBoard, type EmulatedBoard } from "../../emulator/board.ts";
import { realStack, type RealStack } from "../../emulator/lan/real-stack.ts";
import { until } from "../../emulator/espruino/testing.ts";
import { ev, resolved, settle } from "../helpers/board.ts";
import { dnsQuery, findBinary, startDaemon, waitForDns, type Daemon } from "./helpers.ts";

const SERVER = "127.0.0.153";

describe("resolver against dnsmasq (Linux board profile, real loopback sockets)", function () {
  this.timeout(30000);
  let dnsmasq: Daemon | undefined;
  let stack: RealStack | undefined;
  let board: EmulatedBoard | undefined;

  before(async function () {
    const bin = findBinary("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq");
    if (!bin) {
      console.log("    (skipped: dnsmasq is not installed; apt-get install dnsmasq-base)");
      this.skip();
    }
    dnsmasq = startDaemon(bin!, (dir) => {
      const hosts = ["192.0.2.10 kitchen-cam.test", "192.0.2.11 multi.test", "192.0.2.12 multi.test", "192.0.2.13 multi.test"];
      for (let i = 1; i <= 60; i++) hosts.push(`198.51.100.${i} big.test`);
      writeFileSync(join(dir, "hosts"), hosts.join("\n") + "\n");
      return [
        "--keep-in-foreground", "--conf-file=/dev/null", `--port=53`, `--listen-address=${SERVER}`, "--bind-interfaces",
        "--no-resolv", "--no-hosts", `--addn-hosts=${join(dir, "hosts")}`, "--local=/test/",
        "--cname=alias.test,kitchen-cam.test", "--cname=alias2.test,alias.test",
        "--local-ttl=30", `--pid-file=${join(dir, "dnsmasq.pid")}`, `--dhcp-leasefile=${join(dir, "leases")}`,
        "--user=root", "--log-queries", "--log-facility=-",
      ];
    }, "camnet-dnsmasq-");
    await waitForDns(dnsmasq, SERVER, 53, "kitchen-cam.test");
    stack = realStack("127.0.0.1");
    board = await bootBoard({ board: "linux", host: stack, resolvConf: `nameserver ${SERVER}` });
    ev(board, `var socket = require("socket")`);
  });

  after(async function () {
    board?.powerOff();
    stack?.close();
    await dnsmasq?.stop();
  });

  it("several A records: all of them, in getaddrinfo and gethostbyname_ex", async function () {
    const r = await resolved(board!, `socket.gethostbyname_ex("multi.test")`);
    assert.equal(r[0], "multi.test");
    assert.deepEqual([...r[2]].sort(), ["192.0.2.11", "192.0.2.12", "192.0.2.13"]);
    const info = await resolved(board!, `socket.getaddrinfo("multi.test", 80, socket.AF_INET, socket.SOCK_STREAM)`);
    assert.deepEqual(info.map((e: any) => e[4][0]).sort(), ["192.0.2.11", "192.0.2.12", "192.0.2.13"]);
    assert.deepEqual(info[0].slice(0, 4), [2, 1, 6, ""]);
  });

  it("a CNAME chain: canonical name, aliases, AI_CANONNAME", async function () {
    assert.deepEqual(await resolved(board!, `socket.gethostbyname_ex("alias2.test")`),
      ["kitchen-cam.test", ["alias2.test", "alias.test"], ["192.0.2.10"]]);
    const info = await resolved(board!, `socket.getaddrinfo("alias2.test", "http", socket.AF_INET, 0, 0, socket.AI_CANONNAME)`);
    assert.deepEqual(info, [[2, 1, 6, "kitchen-cam.test", ["192.0.2.10", 80]]]);
  });

  it("NXDOMAIN rejects with EAI_NONAME", async function () {
    const o = await settle(board!, `socket.gethostbyname("nonexist.test")`);
    assert.equal(o.code, "EAI_NONAME");
    assert.match(o.message!, /nonexist\.test/);
  });

  it("a 60-record answer: dnsmasq truncates it over UDP, the resolver gets it whole over TCP", async function () {
    const udp = await dnsQuery(SERVER, 53, "big.test", "A");
    assert.ok(udp.packet.flags! & (1 << 9), "dnsmasq set TC on the UDP answer (so the test means something)");
    assert.ok((udp.packet.answers ?? []).length < 60);
    const r = await resolved(board!, `socket.gethostbyname_ex("big.test")`);
    assert.equal(r[2].length, 60);
    const want = Array.from({ length: 60 }, (_, i) => `198.51.100.${i + 1}`).sort();
    assert.deepEqual([...r[2]].sort(), want);
  });

  it("the second look-up is answered from the cache (dnsmasq logs one query)", async function () {
    const count = (name: string) => (dnsmasq!.log().match(new RegExp(`query\\[A\\] ${name.replace(/\./g, "\\.")} from 127\\.0\\.0\\.1`, "g")) ?? []).length;
    const before = count("kitchen-cam.test");
    assert.equal(await resolved(board!, `socket.gethostbyname("kitchen-cam.test")`), "192.0.2.10");
    await until(() => count("kitchen-cam.test") === before + 1, "dnsmasq's log line");
    assert.equal(await resolved(board!, `socket.gethostbyname("kitchen-cam.test")`), "192.0.2.10");
    // a query dnsmasq logs after anything the second look-up could have sent
    await settle(board!, `socket.gethostbyname("barrier.test")`);
    await until(() => count("barrier.test") === 1, "the barrier query in dnsmasq's log");
    assert.equal(count("kitchen-cam.test"), before + 1, "no second query");
  });
});
