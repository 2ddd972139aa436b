// The .local querier (src/mdns/querier.ts): query, reverseLookup, browse, against a real
// Responder of ours on another host of the fake LAN, or against scripted peers.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import { browse, query, reverseLookup, Responder } from "../src/mdns/index.ts";
import { TYPE_A, TYPE_AAAA } from "../src/dns/message.ts";
import { board, Clock, GROUP, Lan, packet, questionClasses } from "./mdns-fake.ts";

const ME = "10.0.0.5", PEER = "10.0.0.9";

async function lanWithPrinter() {
  const clock = new Clock(), lan = new Lan(clock);
  const printer = new Responder(lan.io(PEER, 3), { hostname: "printer" });
  printer.advertise("_http._tcp", 8080, { path: "/admin", v: "2" });
  const p = printer.start();
  await clock.run(3000);
  await p;
  return { clock, lan, io: lan.io(ME, 5), printer };
}

/** Runs the clock until `p` settles. */
async function settle<T>(clock: Clock, p: Promise<T>, ms = 5000): Promise<{ value?: T; error?: any; at: number }> {
  let out: { value?: T; error?: any; at: number } | null = null;
  p.then((value) => (out = { value, at: clock.t }), (error) => (out = { error, at: clock.t }));
  for (let i = 0; i < ms && !out; i += 10) await clock.run(10);
  assert.ok(out, "settled");
  return out!;
}

describe("mdns querier (RFC 6762 §5)", () => {
  // (other suites set their own board profile)
  beforeEach(() => board());

  it("§5.4 query(): the first question asks for a unicast reply (QU) and the answer resolves it", async () => {
    const { clock, lan, io } = await lanWithPrinter();
    const t = clock.t;
    const r = await settle(clock, query(io, "Printer.local", TYPE_A));
    assert.deepEqual(r.value!.map((x) => x.data), [PEER]);
    assert.ok(r.at - t < 50);
    const asked = lan.from(ME, t).filter((p) => p.m.type === "query");
    assert.equal(asked.length, 1);
    assert.deepEqual(questionClasses(asked[0].data), [0x8001]);
    assert.deepEqual([asked[0].to, asked[0].port, asked[0].fromPort], [GROUP, 5353, 5353]);
    // the printer answered by unicast (QU, recently multicast)
    assert.ok(lan.from(PEER, t).some((p) => p.to === ME));
  });

  it("retransmits at 250 ms, 500 ms, 1 s intervals (QM after the first), then EAI_NONAME", async () => {
    const clock = new Clock(), lan = new Lan(clock), io = lan.io(ME);
    const t = clock.t;
    const r = await settle(clock, query(io, "nobody.local", TYPE_A, 2000));
    assert.equal(r.error.code, "EAI_NONAME");
    assert.match(r.error.message, /nobody\.local/);
    assert.equal(r.at - t, 2000);
    const asked = lan.from(ME, t);
    assert.deepEqual(asked.map((p) => p.at - t), [0, 250, 750, 1750]);
    assert.deepEqual(asked.map((p) => questionClasses(p.data)[0]), [0x8001, 1, 1, 1]);
    assert.equal(lan.members.length, 0, "socket closed after the query");
  });

  it("caches answers for their TTL", async () => {
    const { clock, lan, io } = await lanWithPrinter();
    await settle(clock, query(io, "printer.local", TYPE_A));
    const t = clock.t;
    const again = await settle(clock, query(io, "printer.local", TYPE_A));
    assert.deepEqual(again.value!.map((x) => x.data), [PEER]);
    assert.equal(lan.from(ME, t).length, 0, "from the cache");
    await clock.run(121000);
    const t2 = clock.t;
    await settle(clock, query(io, "printer.local", TYPE_A));
    assert.equal(lan.from(ME, t2).length, 1, "expired after 120 s");
  });

  it("AAAA when asked: a host without IPv6 answers NSEC only, so the query fails with EAI_NONAME", async () => {
    const { clock, io } = await lanWithPrinter();
    const r = await settle(clock, query(io, "printer.local", TYPE_AAAA, 1000));
    assert.equal(r.error.code, "EAI_NONAME");
  });

  it("answers a scripted peer's AAAA", async () => {
    const clock = new Clock(), lan = new Lan(clock), io = lan.io(ME);
    const peer = lan.socket(PEER, 5353, GROUP);
    peer.onmessage = (data) => {
      const m = dnsPacket.decode(Buffer.from(data));
      if (m.type === "query" && m.questions[0].type === "AAAA") {
        peer.send(packet({ type: "response", flags: 0x8400, answers: [{ name: "v6.local", type: "AAAA", ttl: 120, flush: true, data: "fe80::1" }] }), 5353, GROUP);
      }
    };
    const r = await settle(clock, query(io, "v6.local", TYPE_AAAA));
    assert.deepEqual(r.value!.map((x) => x.data), ["fe80::1"]);
  });

  it("A and AAAA asked together in one packet; both kinds of answer come back", async () => {
    const clock = new Clock(), lan = new Lan(clock), io = lan.io(ME);
    const peer = lan.socket(PEER, 5353, GROUP);
    peer.onmessage = (data) => {
      const m = dnsPacket.decode(Buffer.from(data));
      if (m.type === "query") {
        peer.send(packet({ type: "response", flags: 0x8400, answers: [
          { name: "v6.local", type: "A", ttl: 120, flush: true, data: PEER },
          { name: "v6.local", type: "AAAA", ttl: 120, flush: true, data: "fe80::9" },
        ] }), 5353, GROUP);
      }
    };
    const t = clock.t;
    const r = await settle(clock, query(io, "v6.local", [TYPE_A, TYPE_AAAA]));
    assert.deepEqual(r.value!.map((x) => x.data).sort(), [PEER, "fe80::9"]);
    const asked = lan.from(ME, t);
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0].m.questions.map((x) => x.type), ["A", "AAAA"]);
    // both cached: a second look-up sends nothing; AAAA alone too
    const t2 = clock.t;
    assert.deepEqual((await settle(clock, query(io, "v6.local", TYPE_AAAA))).value!.map((x) => x.data), ["fe80::9"]);
    assert.equal(lan.from(ME, t2).length, 0);
  });

  it("§10.2 cache-flush: a record with the bit replaces the cached records of its name and type that came more than 1 s before, 1 s later", async () => {
    const clock = new Clock(), lan = new Lan(clock), io = lan.io(ME);
    const peer = lan.socket(PEER, 5353, GROUP);
    // v.local moves from .7 to .8 (flush); .9 joins without cache-flush (shared); .10 and .11
    // come together (flush) and must both stay
    let addrs: [string, boolean][] = [["10.0.0.7", true]];
    peer.onmessage = (data) => {
      const m = dnsPacket.decode(Buffer.from(data));
      if (m.type !== "query") return;
      const name = m.questions[0].name;
      peer.send(packet({ type: "response", flags: 0x8400,
        answers: [{ name, type: "A", ttl: 120, flush: true, data: name == "v.local" ? addrs[0][0] : "10.0.0.20" }],
        additionals: name == "v.local" ? [] : addrs.map(([data, flush]) => ({ name: "v.local", type: "A" as const, ttl: 120, flush, data })) }), 5353, GROUP);
    };
    const v = async () => (await settle(clock, query(io, "v.local", TYPE_A))).value!.map((x) => x.data).sort();
    assert.deepEqual(await v(), ["10.0.0.7"]);
    await clock.run(5000);
    addrs = [["10.0.0.8", true]];
    await settle(clock, query(io, "w1.local", TYPE_A));
    const t = clock.t;
    assert.deepEqual(await v(), ["10.0.0.7", "10.0.0.8"], "the old one lives 1 s more");
    await clock.run(1001);
    assert.deepEqual(await v(), ["10.0.0.8"]);
    await clock.run(5000);
    addrs = [["10.0.0.9", false]];
    await settle(clock, query(io, "w2.local", TYPE_A));
    await clock.run(2000);
    assert.deepEqual(await v(), ["10.0.0.8", "10.0.0.9"], "no cache-flush: both stay");
    await clock.run(5000);
    addrs = [["10.0.0.10", true], ["10.0.0.11", true]];
    await settle(clock, query(io, "w3.local", TYPE_A));
    await clock.run(2000);
    assert.deepEqual(await v(), ["10.0.0.10", "10.0.0.11"], "one packet's records do not flush each other");
    assert.equal(lan.from(ME, t).filter((p) => p.m.questions.some((x) => x.name == "v.local")).length, 0, "all from the cache");
  });

  it("§4 reverseLookup(): the host name from the reverse PTR", async () => {
    const { clock, io } = await lanWithPrinter();
    const r = await settle(clock, reverseLookup(io, PEER));
    assert.equal(r.value, "printer.local");
    const bad = await settle(clock, reverseLookup(io, "printer"));
    assert.equal(bad.error.code, "EINVAL");
  });

  it("RFC 6763 browse(): instances with host, port, TXT and addresses; repeated queries carry known answers", async () => {
    const { clock, lan, io } = await lanWithPrinter();
    const t = clock.t;
    const r = await settle(clock, browse(io, "_http._tcp", 1500));
    assert.deepEqual(r.value, [{ name: "printer", host: "printer.local", port: 8080, txt: { path: "/admin", v: "2" }, addresses: [PEER] }]);
    const asked = lan.from(ME, t).filter((p) => p.m.type === "query");
    assert.ok(asked.length >= 2);
    assert.ok(asked[1].m.answers.some((a) => a.type === "PTR" && a.data === "printer._http._tcp.local"), "§7.1 known answer");
    // the printer stayed quiet for the known answer (only one PTR answer went out)
    const ptrAnswers = lan.from(PEER, t).filter((p) => p.m.answers.some((a) => a.type === "PTR" && a.name === "_http._tcp.local"));
    assert.equal(ptrAnswers.length, 1);
  });

  it("browse() drops an instance that says goodbye (TTL 0)", async () => {
    const { clock, io, printer } = await lanWithPrinter();
    const pending = browse(io, "_http._tcp", 2000);
    await clock.run(500);
    printer.withdraw(printer.services[0]);
    const r = await settle(clock, pending);
    assert.deepEqual(r.value, []);
  });

  it("shares the responder's socket and resolves the board's own names", async () => {
    const clock = new Clock(), lan = new Lan(clock), io = lan.io(ME);
    const me = new Responder(io, { hostname: "kitchen-cam" });
    const p = me.start();
    await clock.run(3000);
    await p;
    const t = clock.t;
    const r = await settle(clock, query(io, "kitchen-cam.local", TYPE_A));
    assert.deepEqual(r.value!.map((x) => x.data), [ME]);
    assert.equal(r.at, t, "answered locally");
    assert.equal(io.opened, 1, "one socket");
    await me.stop();
    assert.equal(lan.members.length, 0);
  });
});
