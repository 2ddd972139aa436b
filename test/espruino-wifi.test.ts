// require("Wifi") of the emulated ESP32 over the virtual LAN.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import type { EmulatedBoard } from "../emulator/board.ts";
import { boardOnLan, connectWifi, until, type TestNet } from "../emulator/espruino/testing.ts";

const plain = (v: unknown): unknown => (v && typeof v === "object" ? JSON.parse(JSON.stringify(v)) : v);

describe("espruino Wifi (ESP32)", function () {
  let net: TestNet | undefined;
  afterEach(() => {
    net?.close();
    net = undefined;
  });
  const ev = (b: EmulatedBoard, code: string) => plain(b.eval(code));

  it("connect: associated, then cb(null), then connected; status, details and IP", async function () {
    net = await boardOnLan();
    const { board } = net;
    assert.deepEqual(ev(board, `require("Wifi").getIP()`), { ip: "0.0.0.0", netmask: "0.0.0.0", gw: "0.0.0.0", mac: board.wifi!.host.mac });
    board.eval(`globalThis.log = []; var W = require("Wifi");
      W.on("associated", function (d) { log.push("associated:" + d.ssid + ":" + typeof d.channel); });
      W.on("connected", function (d) { log.push("connected:" + d.ip); });`);
    assert.equal(await connectWifi(board), null);
    await board.settle();
    const ip = ev(board, `W.getIP().ip`) as string;
    assert.match(ip, /^192\.168\.1\.\d+$/);
    assert.deepEqual(ev(board, "log"), ["associated:home:string", `connected:${ip}`]);
    const status = ev(board, "W.getStatus()") as Record<string, unknown>;
    assert.equal(status.station, "connected");
    assert.equal(status.ssid, "home");
    assert.equal(status.mode, "STA");
    assert.deepEqual(ev(board, "W.getDetails()"), { ssid: "home", password: "secret123", status: "connected", authMode: "wpa2" });
    assert.equal(ev(board, "'dns' in W.getIP()"), false, "stock firmware does not expose DHCP DNS servers");
  });

  it("a wrong password fails with AUTH_FAIL after the retries, emits disconnected, and stops Wi-Fi", async function () {
    net = await boardOnLan();
    const { board } = net;
    board.eval(`globalThis.log = []; require("Wifi").on("disconnected", function (d) { log.push(d.msg + ":" + d.reason); });`);
    assert.equal(await connectWifi(board, "home", "wrong"), "AUTH_FAIL");
    await board.settle();
    assert.deepEqual(ev(board, "log"), ["AUTH_FAIL:202"]);
    assert.equal(board.wifi!.started, false);
    assert.equal(ev(board, `require("Wifi").getStatus().station`), "AUTH_FAIL");
    assert.equal(await connectWifi(board, "nowhere", "x"), "NO_AP_FOUND");
  });

  it("scan gives one argument: [{rssi, authMode, ssid, mac, channel: string}]", async function () {
    net = await boardOnLan();
    net.lan.addAccessPoint({ ssid: "cafe", rssi: -70, channel: 11 });
    net.board.eval(`globalThis.aps = null; require("Wifi").scan(function (list, extra) { aps = [list, typeof extra]; });`);
    await until(() => net!.board.eval("aps") !== null, "scan");
    const [list, extra] = ev(net.board, "aps") as [Array<Record<string, unknown>>, string];
    assert.equal(extra, "undefined");
    assert.deepEqual(list.map((a) => [a.ssid, a.channel, typeof a.rssi]), [["home", "6", "number"], ["cafe", "11", "number"]]);
  });

  it("capabilities.dhcpInfo (esp32-verify) adds dns and ntp to getIP()", async function () {
    net = await boardOnLan({ board: "esp32-verify" });
    assert.deepEqual(ev(net.board, `require("Wifi").getIP().dns`), []);
    assert.equal(await connectWifi(net.board), null);
    assert.deepEqual(ev(net.board, `[require("Wifi").getIP().dns, require("Wifi").getIP().ntp]`), [["192.168.1.1"], ["192.168.1.1"]]);
  });

  it("native mDNS answers <netif name>.local, follows setHostname, and uses no socket of the budget", async function () {
    net = await boardOnLan();
    const { lan, board } = net;
    assert.equal(await connectWifi(board), null);
    const ip = board.eval(`require("Wifi").getIP().ip`) as string;
    const peer = lan.addHost({ ip: "192.168.1.50" });
    const answers: string[] = [];
    const q = peer.udpBind({
      port: 5353,
      reuseAddr: true,
      groups: ["224.0.0.251"],
      onMessage: (d) => {
        const m = dnsPacket.decode(Buffer.from(d));
        for (const a of m.answers) if (a.type === "A") answers.push(`${a.name}=${String(a.data)}`);
      },
    });
    const ask = (name: string) => q.send(new Uint8Array(dnsPacket.encode({ type: "query", id: 0, questions: [{ type: "A", name }] })), 5353, "224.0.0.251");
    ask("espressif.local");
    await until(() => answers.length === 1, "answer for espressif.local");
    board.eval(`require("Wifi").setHostname("kitchen-cam")`);
    await board.settle();
    ask("espressif.local");
    ask("kitchen-cam.local");
    await until(() => answers.length === 2, "answer for kitchen-cam.local");
    await board.settle(10);
    assert.deepEqual(answers, [`espressif.local=${ip}`, `kitchen-cam.local=${ip}`]);
    assert.equal(board.socketsInUse(), 0);
  });

  it("the verifying profile has no native responder", async function () {
    net = await boardOnLan({ board: "esp32-verify" });
    assert.equal(await connectWifi(net.board), null);
    net.board.eval(`require("Wifi").setHostname("cam")`);
    await net.board.settle();
    assert.equal(net.board.wifi!.mdnsHostname, null);
  });

  it("save() stores the host name; restore() at boot sets it right after the start", async function () {
    net = await boardOnLan();
    assert.equal(await connectWifi(net.board), null);
    net.board.eval(`require("Wifi").setHostname("kitchen-cam"); require("Wifi").save();`);
    const saved = net.board.storage.get(".wificfg")!;
    net.close();
    net = await boardOnLan({ storage: { ".wificfg": saved } });
    await until(() => net!.board.wifi!.gotIp, "restored connection");
    assert.deepEqual(net.board.wifi!.dhcpHostnames, ["kitchen-cam"]);
  });

  it("powerOff() leaves no timers or streams on the LAN", async function () {
    net = await boardOnLan();
    assert.equal(await connectWifi(net.board), null);
    net.board.eval(`setInterval(function () {}, 10); require("dgram").createSocket("udp4").bind(5000);`);
    net.board.powerOff();
    assert.equal(net.board.chip.rt.pendingTimers(), 0);
    assert.equal(net.board.wifi!.host.udpSockets.filter((s) => !s.closed).length, 0);
  });
});
