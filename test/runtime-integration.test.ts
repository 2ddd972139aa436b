// The whole runtime bundle on emulated boards: the always-on responder started at link-up,
// .local names through socket.getaddrinfo, and ntptime against the router's NTP server.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { until } from "../emulator/espruino/testing.ts";
import { Lan } from "../emulator/lan/lan.ts";
import type { Host } from "../emulator/lan/host.ts";
import { ev, resolved, settle } from "./helpers/board.ts";

/** One mDNS query from `host` (source port 5353, multicast); the A answers seen within 1.5 s. */
function mdnsAsk(host: Host, name: string): Promise<string[]> {
  return new Promise((resolve) => {
    const seen: string[] = [];
    const sock = host.udpBind({
      port: 5353, reuseAddr: true, groups: ["224.0.0.251"],
      onMessage: (data) => {
        const m = dnsPacket.decode(Buffer.from(data));
        if (m.type !== "response") return;
        for (const a of m.answers ?? []) if (a.type === "A" && a.name.toLowerCase() === name && a.ttl) seen.push(String(a.data));
      },
    });
    sock.send(dnsPacket.encode({ type: "query", id: 0, questions: [{ name, type: "A" }] }), 5353, "224.0.0.251", 255);
    setTimeout(() => {
      sock.close();
      resolve(seen);
    }, 1500);
  });
}

describe("runtime on emulated boards", function () {
  this.timeout(30000);
  let lan: Lan;
  const boards: EmulatedBoard[] = [];
  beforeEach(() => {
    lan = new Lan();
    lan.addAccessPoint({ ssid: "home", password: "secret123" });
    lan.addRouter();
  });
  afterEach(() => {
    boards.splice(0).forEach((b) => b.powerOff());
    lan.close();
  });

  async function online(board: string, name: string): Promise<EmulatedBoard> {
    const b = await bootBoard({ board, lan });
    boards.push(b);
    ev(b, `globalThis.claimed = []; require("mdns").events.on("claimed", function (n) { claimed.push(n); });
      require("network").hostname(${JSON.stringify(name)})`);
    await resolved(b, `require("network").WLAN(0).connect("home", "secret123")`);
    return b;
  }

  it("RFC 6762 §8: the responder starts by itself at link-up and answers <name>.local (no native responder)", async function () {
    const b = await online("esp32-verify", "kitchen-cam");
    await until(() => ev(b, "claimed[0]") === "kitchen-cam", "name claimed", 5000);
    const laptop = lan.addHost({ ip: "192.168.1.20" });
    const seen = await mdnsAsk(laptop, "kitchen-cam.local"); // the answer, and maybe an announcement
    assert.ok(seen.length >= 1);
    assert.deepEqual([...new Set(seen)], [ev(b, `require("network").WLAN(0).ifconfig()[0]`)]);
  });

  it("RFC 6762 §9: two boards wanting the same name end with distinct names, and the app is told", async function () {
    const a = await online("esp32-verify", "kitchen-cam");
    await until(() => ev(a, "claimed.length"), "first claim", 5000); // probing done: A owns the name
    const b = await bootBoard({ board: "esp32-verify", lan });
    boards.push(b);
    ev(b, `globalThis.conflicts = []; require("mdns").events.on("conflict", function (o, n) { conflicts.push(o + ">" + n); });
      require("network").hostname("kitchen-cam")`);
    await resolved(b, `require("network").WLAN(0).connect("home", "secret123")`);
    await until(() => ev(b, `require("mdns").hostname()`) === "kitchen-cam-2", "renamed", 10000);
    assert.deepEqual(ev(b, "conflicts"), ["kitchen-cam>kitchen-cam-2"]);
    assert.equal(ev(b, `require("network").hostname()`), "kitchen-cam-2", "the board takes the new name");
  });

  it("stock ESP32 (native responder): no second responder for the host name; .local look-ups still work", async function () {
    const a = await online("esp32-verify", "garage-cam");
    await until(() => ev(a, "claimed.length"), "claimed", 5000);
    const b = await online("esp32", "kitchen-cam");
    assert.equal(ev(b, `require("mdns").hostname()`), null, "ours stays off: ESP-IDF answers kitchen-cam.local");
    const info = await resolved(b, `require("socket").getaddrinfo("garage-cam.local", 80, 2, 1)`);
    assert.deepEqual(info[0][4], [ev(a, `require("network").WLAN(0).ifconfig()[0]`), 80]);
    const queries = lan.router!.dns.queries("garage-cam.local");
    assert.equal(queries, 0, ".local never goes to unicast DNS");
  });

  it("RFC 6762 §8.4: a static address set on the Linux build is announced unasked", async function () {
    const host = lan.addHost({ ip: "192.168.1.77" });
    const b = await bootBoard({ board: "linux", lan, host });
    boards.push(b);
    await new Promise((r) => setTimeout(r, 2500)); // the start-up probes and announcements are over
    const heard: string[] = [];
    const laptop = lan.addHost({ ip: "192.168.1.20" });
    const sock = laptop.udpBind({
      port: 5353, reuseAddr: true, groups: ["224.0.0.251"],
      onMessage: (data) => {
        const m = dnsPacket.decode(Buffer.from(data));
        for (const a of m.answers ?? []) if (m.type === "response" && a.type === "A") heard.push(String(a.data));
      },
    });
    try {
      ev(b, `require("network").WLAN(0).ifconfig(["192.168.1.77", "255.255.255.0", "192.168.1.1", "192.168.1.1"])`);
      await until(() => heard.includes("192.168.1.77"), "an announcement of the new address", 5000);
    } finally {
      sock.close();
    }
  });

  it("RFC 6762 §10.1: disconnect() sends goodbyes (TTL 0) for the host's records before leaving the link", async function () {
    const b = await online("esp32-verify", "kitchen-cam");
    await until(() => ev(b, "claimed.length"), "claimed", 5000);
    const goodbyes: string[] = [];
    const laptop = lan.addHost({ ip: "192.168.1.20" });
    const sock = laptop.udpBind({
      port: 5353, reuseAddr: true, groups: ["224.0.0.251"],
      onMessage: (data) => {
        const m = dnsPacket.decode(Buffer.from(data));
        for (const a of m.answers ?? []) if (m.type === "response" && a.ttl === 0) goodbyes.push(a.name.toLowerCase() + "/" + a.type);
      },
    });
    try {
      await resolved(b, `require("network").WLAN(0).disconnect()`);
      await until(() => goodbyes.includes("kitchen-cam.local/A"), "the A goodbye", 3000);
      assert.equal(ev(b, `require("mdns").hostname()`), null, "the responder stopped");
    } finally {
      sock.close();
    }
  });

  it(".local names nobody answers fail with EAI_NONAME", async function () {
    const b = await online("esp32", "kitchen-cam");
    const o = await settle(b, `require("socket").gethostbyname("nobody.local")`);
    assert.equal(o.code, "EAI_NONAME");
    // the full runtime has the socket objects and their constants beside the name functions'
    assert.deepEqual(ev(b, `var s = require("socket"); [s.AF_INET, typeof s.socket, s.SO_REUSEADDR, s.SHUT_RDWR, s.INADDR_BROADCAST]`),
      [2, "function", 2, 2, 4294967295]);
  });

  it("ntptime.settime() sets the board's clock (1970 at power-on) from the router's NTP server", async function () {
    lan.router!.dns.add("pool.ntp.org", "A", lan.router!.address);
    const b = await online("esp32", "kitchen-cam");
    assert.ok(b.clock.now() < 1e9, "the ESP32 clock starts at 1970");
    assert.equal(ev(b, `require("ntptime").synced()`), false);
    const t = await resolved(b, `require("ntptime").settime()`);
    assert.ok(Math.abs(t - Date.now()) < 1000, `set to ${new Date(t).toISOString()}`);
    assert.ok(Math.abs(b.clock.now() - Date.now()) < 1000, "the board's wall clock follows");
    assert.equal(ev(b, `require("ntptime").synced()`), true);
  });

  it("ntptime.settime() with no NTP answer rejects ETIMEDOUT naming the server, and sets nothing", async function () {
    const b = await online("esp32", "kitchen-cam");
    lan.router!.ntp.enabled = false;
    ev(b, `require("ntptime").host = "${lan.router!.address}"`);
    const o = await settle(b, `require("ntptime").settime()`);
    assert.equal(o.code, "ETIMEDOUT");
    assert.match(o.message!, new RegExp(lan.router!.address.replace(/\./g, "\\.")));
    assert.ok(b.clock.now() < 1e9, "the clock was not touched");
  });
});
