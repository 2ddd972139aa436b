// The `network` module of the built bundle, on an emulated stock ESP32 on the virtual LAN:
// joining, the host name reaching DHCP and the router's DNS, renames, link loss.
import assert from "node:assert/strict";
import { bootBoard } from "../emulator/board.ts";
import { boardOnLan, until, type TestNet } from "../emulator/espruino/testing.ts";
import { Lan } from "../emulator/lan/lan.ts";
import { dnsAsk, dnsData } from "./helpers/dns.ts";
import { ev, resolved, settle, thrown } from "./helpers/board.ts";

describe("network (bundle on an emulated ESP32)", function () {
  let net: TestNet | undefined;
  afterEach(() => {
    net?.close();
    net = undefined;
  });

  async function boot(boardId = "esp32"): Promise<TestNet> {
    net = await boardOnLan({ board: boardId });
    ev(net.board, `var network = require("network"), sta = network.WLAN(network.STA_IF);`);
    return net;
  }

  it("joins the access point and reports MicroPython's ifconfig tuple", async function () {
    const { board, router } = await boot();
    assert.equal(ev(board, "sta.isconnected()"), false);
    const cfg = await resolved(board, `sta.connect("home", "secret123")`);
    assert.match(cfg[0], /^192\.168\.1\.\d+$/);
    assert.deepEqual(cfg.slice(1), ["255.255.255.0", router.address, router.address]);
    assert.equal(ev(board, "sta.isconnected()"), true);
    assert.equal(ev(board, "sta.status()"), ev(board, "network.STAT_GOT_IP"));
  });

  it("a host name set before link-up goes out in DHCP, and the router resolves <name>.lan and its PTR", async function () {
    const { board, lan, router } = await boot();
    ev(board, `network.hostname("kitchen-cam")`);
    const [ip] = await resolved(board, `sta.connect("home", "secret123")`);
    const lease = router.dhcp.leases().find((l) => l.ip === ip);
    assert.equal(lease?.hostname, "kitchen-cam", "DHCP option 12 carried the name");
    const laptop = lan.addHost({ name: "laptop", ip: "192.168.1.20" });
    assert.deepEqual(await dnsData(laptop, router.address, "kitchen-cam.lan", "A"), [ip]);
    const ptr = ip.split(".").reverse().join(".") + ".in-addr.arpa";
    assert.deepEqual(await dnsData(laptop, router.address, ptr, "PTR"), ["kitchen-cam.lan"]);
    // The stock firmware's own responder answers the same name under .local.
    assert.equal(ev(board, `require("Wifi").getHostname()`), "kitchen-cam");
  });

  it("the name goes out again on every link-up (Wi-Fi restarts reset the netif name)", async function () {
    const { board, router } = await boot();
    ev(board, `network.hostname("kitchen-cam")`);
    await resolved(board, `sta.connect("home", "secret123")`);
    await resolved(board, `sta.disconnect()`);
    assert.equal(ev(board, "sta.isconnected()"), false);
    const [ip] = await resolved(board, `sta.connect("home", "secret123")`);
    assert.equal(router.dhcp.leases().find((l) => l.ip === ip)?.hostname, "kitchen-cam");
  });

  it("active(), status('rssi') and config(key) as MicroPython has them; an unknown key is EINVAL naming the known ones", async function () {
    const { board, ap } = await boot();
    assert.equal(ev(board, "sta.active()"), false);
    assert.equal(ev(board, "sta.active(true)"), true);
    assert.equal(ev(board, "sta.status()"), ev(board, "network.STAT_IDLE"));
    ev(board, `network.hostname("kitchen-cam")`);
    await resolved(board, `sta.connect("home", "secret123")`);
    assert.equal(ev(board, `sta.status("rssi")`), ap.rssi);
    assert.equal(ev(board, `sta.config("ssid")`), "home");
    assert.equal(ev(board, `sta.config("hostname")`), "kitchen-cam");
    assert.equal(ev(board, `sta.config("dhcp_hostname")`), "kitchen-cam");
    assert.equal(ev(board, `sta.config("channel")`), ap.channel);
    assert.match(ev(board, `sta.config("mac")`), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i);
    assert.deepEqual(ev(board, `sta.config("dns")`), ev(board, "network.dnsServers()"));
    const e = thrown(board, `sta.config("txpower")`);
    assert.equal(e.code, "EINVAL");
    assert.match(e.message!, /"txpower".*ssid/);
    assert.equal(thrown(board, "network.WLAN(network.AP_IF)").code, "EOPNOTSUPP");
    await resolved(board, "sta.active(false) && null");
    await until(() => ev(board, "sta.isconnected()") === false, "active(false) leaves the network");
    assert.equal(ev(board, "sta.active()"), false);
  });

  it("a wrong password rejects with AUTH_FAIL and says to check the key", async function () {
    const { board } = await boot();
    const o = await settle(board, `sta.connect("home", "wrong-key")`);
    assert.equal(o.code, "AUTH_FAIL");
    assert.match(o.message!, /password/);
    assert.equal(ev(board, "sta.status()"), ev(board, "network.STAT_WRONG_PASSWORD"));
    assert.equal(ev(board, "sta.isconnected()"), false);
  });

  it("an SSID nobody broadcasts rejects with NO_AP_FOUND", async function () {
    const { board } = await boot();
    const o = await settle(board, `sta.connect("nowhere", "secret123")`);
    assert.equal(o.code, "NO_AP_FOUND");
    assert.match(o.message!, /nowhere/);
    assert.equal(ev(board, "sta.status()"), ev(board, "network.STAT_NO_AP_FOUND"));
  });

  it("no DHCP answer rejects with ETIMEDOUT after the timeout given", async function () {
    const { board, router } = await boot();
    router.dhcp.enabled = false;
    const o = await settle(board, `sta.connect("home", "secret123", 1500)`);
    assert.equal(o.code, "ETIMEDOUT");
    assert.equal(ev(board, "sta.isconnected()"), false);
  });

  it("renaming while up: the native responder follows at once, DHCP at the next link-up, with a warning", async function () {
    const { board, router } = await boot();
    ev(board, `network.hostname("kitchen-cam")`);
    const [ip] = await resolved(board, `sta.connect("home", "secret123")`);
    ev(board, `globalThis.warnings = []; network.events.on("warning", function (w) { warnings.push(w); }); network.hostname("garage-cam")`);
    assert.match(ev(board, "warnings[0]"), /next link-up/);
    assert.ok(board.output.some((l) => l.includes("next link-up")), "the warning is printed");
    assert.equal(ev(board, `require("Wifi").getHostname()`), "garage-cam", "the netif (and its mDNS) has the new name");
    assert.equal(router.dhcp.leases().find((l) => l.ip === ip)?.hostname, "kitchen-cam", "DHCP has not been told yet");
    await resolved(board, `sta.disconnect()`);
    const [ip2] = await resolved(board, `sta.connect("home", "secret123")`);
    assert.equal(router.dhcp.leases().find((l) => l.ip === ip2)?.hostname, "garage-cam");
  });

  it("after an unexpected link loss it reconnects with backoff, and DHCP carries the name again", async function () {
    this.timeout(30000);
    const { board, ap, router } = await boot();
    ev(board, `network.hostname("kitchen-cam"); globalThis.log = [];
      ["disconnected", "reconnecting", "connected"].forEach(function (e) {
        network.events.on(e, function (v) { log.push(e + ":" + (typeof v === "object" ? "" : v)); });
      });`);
    await resolved(board, `sta.connect("home", "secret123")`);
    ap.setEnabled(false); // the driver's own retries fail, it gives up and stops Wi-Fi
    await until(() => (ev(board, "log") as string[]).some((l) => l.startsWith("reconnecting:")), "reconnecting");
    assert.equal(ev(board, "sta.isconnected()"), false);
    ap.setEnabled(true);
    await until(() => ev(board, "sta.isconnected()") === true, "reconnected", 20000);
    const log = ev(board, "log") as string[];
    assert.ok(log.some((l) => l.startsWith("disconnected:")), "the app was told of the loss");
    assert.equal(log[log.length - 1], "connected:");
    const ip = ev(board, "sta.ifconfig()[0]");
    assert.equal(router.dhcp.leases().find((l) => l.ip === ip)?.hostname, "kitchen-cam");
  });

  it("disconnect() stops the reconnecting", async function () {
    this.timeout(10000);
    const { board, ap } = await boot();
    ev(board, `globalThis.retries = 0; network.events.on("reconnecting", function () { retries++; });`);
    await resolved(board, `sta.connect("home", "secret123")`);
    ap.setEnabled(false);
    await until(() => ev(board, "retries") >= 1, "first retry scheduled");
    await resolved(board, `sta.disconnect()`);
    const n = ev(board, "retries");
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(ev(board, "retries"), n, "no retry after disconnect()");
  });

  describe("host name validation: each bad name has its own clear error", function () {
    const cases: [string, string, RegExp][] = [
      ["a .local name", `"kitchen-cam.local"`, /bare name "kitchen-cam"/],
      ["an empty name", `""`, /"" has 0 chars/],
      ["a name over 32 characters (the ESP32 netif limit)", `"${"a".repeat(33)}"`, /has 33 chars; use 1-32 letters/],
      ["a dotted name", `"cam.home"`, /contains "\."; use 1-32 letters, digits, hyphens/],
      ["an underscore", `"kitchen_cam"`, /contains "_"/],
      ["a space", `"kitchen cam"`, /contains " "/],
      ["a leading hyphen", `"-cam"`, /hyphen/],
      ["a trailing hyphen", `"cam-"`, /hyphen/],
      ["a number instead of a string", `42`, /is no string/],
    ];
    for (const [what, arg, message] of cases) {
      it(`refuses ${what}`, async function () {
        const { board } = await boot();
        const e = thrown(board, `network.hostname(${arg})`);
        assert.equal(e.code, "EINVAL");
        assert.match(e.message!, message);
        assert.equal(ev(board, "network.hostname()"), "espressif", "the old name stays");
      });
    }
    it("accepts a 32-character name, digits and hyphens inside", async function () {
      const { board } = await boot();
      const name = "cam-01-" + "x".repeat(25);
      assert.equal(ev(board, `network.hostname(${JSON.stringify(name)})`), name);
    });
  });

  it("on the Linux build the interface is already up: connect() resolves at once, no Wifi module", async function () {
    const lan = new Lan();
    lan.addRouter();
    const board = await bootBoard({ board: "linux", lan });
    try {
      ev(board, `var network = require("network"), sta = network.WLAN(0);`);
      assert.equal(ev(board, "sta.isconnected()"), true);
      await resolved(board, "sta.connect()");
      assert.equal(thrown(board, `require("Wifi")`).message?.includes("Wifi"), true);
      assert.deepEqual(ev(board, `network.dnsServers()`), [lan.router!.address]);
    } finally {
      board.powerOff();
      lan.close();
    }
  });

  it("the router answers NXDOMAIN for a name no board registered", async function () {
    const { lan, router } = await boot();
    const laptop = lan.addHost({ ip: "192.168.1.21" });
    const m = await dnsAsk(laptop, router.address, "nobody.lan", "A");
    assert.equal(m.rcode, "NXDOMAIN");
  });
});
