// Wire timing of mDNS, read from what the virtual LAN carried (Lan.capture), not from what
// our code says it sent: the built bundle on an emulated board without a native responder
// (esp32-verify: nativeMdns false), joined to Wi-Fi, on virtual time. One virtual clock
// drives the board and the LAN (the LAN's timers are the chip's), so every capture time is
// exact: timings are asserted to the millisecond without any wall-clock measurement.
//   - RFC 6762 §8.1: after link-up a random 0-250 ms wait, then three probes 250 ms apart,
//     each an ANY question with the QU bit and the proposed records in Authority (no
//     cache-flush); §8.3: the first announcement 250 ms after the third probe, the second
//     1 s later. (IP TTL 255, §11, is checked on real sockets in test/peers/mdns-avahi: the
//     emulated Espruino dgram has no TTL setting, so the virtual LAN carries the default.)
//   - RFC 6762 §5.4: a one-shot query (getaddrinfo of a .local name) asks for a unicast
//     reply (QU) in its first query only; retransmissions 250, 500, 1000 ms apart ask by
//     multicast (QM).
// Packets are decoded with dns-packet (it drops the QU bit, so qclass is read raw).
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import type { Answer, DecodedPacket } from "dns-packet";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { Lan, type CapturedDatagram } from "../emulator/lan/lan.ts";
import { ev, runVirtual, start, boardClock } from "./helpers/board.ts";
import { questionClasses } from "./mdns-fake.ts";

const SSID = "home", KEY = "secret123", BOARD = "esp32-verify";

interface Rig {
  lan: Lan;
  board: EmulatedBoard;
  /** Every datagram the LAN carried, with its time on the board's monotonic clock. */
  caps: (CapturedDatagram & { at: number; m: DecodedPacket | null })[];
  /** The board's address after joining. */
  ip: string;
  /** Monotonic time of the board's "connected" event (link-up). */
  linkUp: number;
}

let rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs) {
    r.board.powerOff();
    r.lan.close();
  }
  rigs = [];
});

/** Virtual times are sums of float timer intervals: compare to the microsecond. */
const us = (ms: number) => Math.round(ms * 1000) / 1000;

/** Lets `ms` of virtual time pass in 10 ms steps, the idle loop running between them. */
async function pass(board: EmulatedBoard, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 10) {
    await board.settle(4);
    await board.clock.advance(Math.min(10, left));
  }
  await board.settle(4);
}

/** The board on a LAN driven by its own virtual clock, captured from power-on, joined to
 *  Wi-Fi with host name kitchen-cam. */
async function rig(): Promise<Rig> {
  let board: EmulatedBoard | undefined;
  const clock = boardClock(() => board);
  const lan = new Lan({ clock });
  lan.addAccessPoint({ ssid: SSID, password: KEY });
  lan.addRouter({});
  const caps: Rig["caps"] = [];
  lan.capture((d) => {
    let m: DecodedPacket | null = null;
    if (d.to.port === 5353 || d.from.port === 5353) m = dnsPacket.decode(Buffer.from(d.data));
    caps.push({ ...d, at: d.time, m });
  });
  board = await bootBoard({ board: BOARD, lan, virtualTime: true });
  const b = board;
  ev(b, `globalThis.linkUp = -1;
    require("network").events.on("connected", function () { if (linkUp < 0) linkUp = getTime() * 1000; });
    require("network").hostname("kitchen-cam");`);
  const o = await runVirtual(b, `require("network").WLAN(0).connect("${SSID}", "${KEY}")`, 10, 30000);
  assert.ok(o.ok, `Wi-Fi connect: ${o.code} ${o.message}`);
  // getTime() is the wall clock; the capture runs on the monotonic one
  const linkUp = (ev(b, "linkUp") as number) - (b.clock.now() - b.clock.mono());
  const ip = ev(b, `require("network").WLAN(0).ifconfig()[0]`) as string;
  const r: Rig = { lan, board: b, caps, ip, linkUp };
  rigs.push(r);
  return r;
}

const mdnsFrom = (r: Rig, ip: string) => r.caps.filter((d) => d.m && d.from.address === ip && d.from.port === 5353);
const find = (rs: Answer[], name: string, type: string) => rs.find((a) => a.name.toLowerCase() === name && a.type === type);

describe("mdns on the wire (virtual LAN capture, virtual time, built bundle on esp32-verify)", function () {
  this.timeout(60000);

  it("§8.1 / §8.3: link-up, a 0-250 ms wait, 3 probes 250 ms apart (QU ANY, Authority without cache-flush), announcements 250 ms and 1.25 s after the third", async () => {
    const r = await rig();
    await pass(r.board, 3000);
    assert.ok(r.linkUp >= 0, "the connected event was seen");
    const ours = mdnsFrom(r, r.ip);
    const probes = ours.filter((d) => d.m!.type === "query" && (d.m!.authorities ?? []).length);
    const announcements = ours.filter((d) => d.m!.type === "response");
    assert.equal(probes.length, 3, "three probes");
    const wait = probes[0].at - r.linkUp;
    assert.ok(wait >= 0 && wait <= 250, `the first probe ${wait} ms after link-up: a 0-250 ms wait`);
    assert.deepEqual([us(probes[1].at - probes[0].at), us(probes[2].at - probes[1].at)], [250, 250], "probes 250 ms apart");
    const rev = r.ip.split(".").reverse().join(".") + ".in-addr.arpa";
    for (const p of probes) {
      assert.deepEqual([p.to.address, p.to.port], ["224.0.0.251", 5353]);
      assert.deepEqual(p.m!.questions!.map((q) => [q.name.toLowerCase(), q.type]), [["kitchen-cam.local", "ANY"], [rev, "ANY"]]);
      assert.deepEqual(questionClasses(p.data), [0x8001, 0x8001], "QU bit on every probe question, class IN");
      assert.equal(find(p.m!.authorities!, "kitchen-cam.local", "A")?.data, r.ip, "the proposed A record in Authority");
      assert.equal(find(p.m!.authorities!, rev, "PTR")?.data, "kitchen-cam.local", "the proposed reverse PTR in Authority");
      assert.ok(p.m!.authorities!.every((a) => !(a as { flush?: boolean }).flush), "no cache-flush bit in probe Authority records");
      assert.equal((p.m!.answers ?? []).length, 0);
    }
    assert.ok(announcements.length >= 2, `two announcements, got ${announcements.length}`);
    assert.deepEqual([us(announcements[0].at - probes[2].at), us(announcements[1].at - announcements[0].at)], [250, 1000],
      "announce 250 ms after the third probe (§8.1), again 1 s later (§8.3)");
    for (const a of announcements.slice(0, 2)) {
      assert.equal(a.to.address, "224.0.0.251");
      const rec = find(a.m!.answers!, "kitchen-cam.local", "A") as Answer & { flush?: boolean };
      assert.deepEqual([rec?.data, rec?.flush], [r.ip, true], "the A record, cache-flush set");
    }
    assert.equal(announcements.filter((a) => a.at < probes[2].at + 250).length, 0, "nothing answered before the name was claimed");
  });

  it("§5.4 getaddrinfo of a .local name: the first query QU, then QM retransmissions 250, 500, 1000 ms apart, then EAI_NONAME", async () => {
    const r = await rig();
    await pass(r.board, 3000); // the responder's own probing and announcing are over
    const since = r.board.clock.mono();
    const read = start(r.board, `require("socket").getaddrinfo("printer.local", 80)`);
    let out: ReturnType<typeof read>;
    for (let i = 0; i < 400 && !(out = read()); i++) await pass(r.board, 10);
    assert.ok(out!, "getaddrinfo settled");
    assert.deepEqual([out!.ok, out!.code], [false, "EAI_NONAME"]);
    const asked = mdnsFrom(r, r.ip).filter((d) => d.at >= since && d.m!.type === "query"
      && (d.m!.questions ?? []).some((q) => q.name.toLowerCase() === "printer.local"));
    assert.ok(asked.length >= 3, `at least three queries, got ${asked.length}`);
    for (const q of asked) {
      assert.deepEqual([q.to.address, q.to.port], ["224.0.0.251", 5353]);
      assert.equal((q.m!.authorities ?? []).length, 0, "a query, not a probe");
    }
    assert.deepEqual(asked.map((q) => questionClasses(q.data)[0]), [0x8001, ...asked.slice(1).map(() => 1)],
      "QU on the first query only, QM on the retransmissions");
    const gaps = asked.slice(1).map((q, i) => us(q.at - asked[i].at));
    assert.deepEqual(gaps, [250, 500, 1000].slice(0, gaps.length), "retransmissions back off 250, 500, 1000 ms");
  });
});
