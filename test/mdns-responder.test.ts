// The mDNS responder (src/mdns) against the RFC 6762 checklist of
// shared/reference/protocols.md §1, on a fake LAN with a fake clock. Each test names the
// section it checks. Sent packets are decoded with dns-packet, not with our codec.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import type { Answer, DecodedPacket, Packet as DnsPacket } from "dns-packet";
import { Responder } from "../src/mdns/index.ts";
import type { ResponderOptions } from "../src/mdns/index.ts";
import { matcher, mentions } from "../src/mdns/wire.ts";
import { board, Clock, GROUP, Lan, packet, q, questionClasses } from "./mdns-fake.ts";

const ME = "10.0.0.5", PEER = "10.0.0.9", HOST = "kitchen-cam.local", REV = "5.0.0.10.in-addr.arpa";
const INST = "kitchen-cam._http._tcp.local";

async function setup(opts: Partial<ResponderOptions> = {}, seed = 7) {
  const clock = new Clock(), lan = new Lan(clock), io = lan.io(ME, seed);
  const r = new Responder(io, { hostname: "kitchen-cam", ...opts });
  const events: string[] = [];
  for (const e of ["claimed", "conflict"]) r.on(e, (a?: any, b?: any) => events.push([e, a, b].filter((x) => x !== undefined).join(" ")));
  return { clock, lan, io, r, events, t0: clock.t };
}

/** Started and claimed (probes + both announcements done). */
async function claimed(opts: Partial<ResponderOptions> = {}, withService = false) {
  const s = await setup(opts);
  if (withService) s.r.advertise("_http._tcp", 80, { path: "/" });
  const p = s.r.start();
  await s.clock.run(3000);
  await p;
  return s;
}

type Sent = ReturnType<Lan["from"]>[number];
const responses = (lan: Lan, since = 0, host = ME): Sent[] => lan.from(host, since).filter((p) => p.m.type === "response");
const probesOf = (lan: Lan, since = 0, host = ME): Sent[] => lan.from(host, since).filter((p) => p.m.type === "query" && p.m.authorities.length > 0);
const find = (rs: Answer[], name: string, type: string) => rs.find((a) => a.name.toLowerCase() === name.toLowerCase() && a.type === type);

describe("mdns responder (RFC 6762)", () => {
  // (other suites set their own board profile)
  beforeEach(() => board());

  it("§8.1 probes: a random 0-250 ms wait, then 3 probes 250 ms apart, QU ANY questions, proposed records in Authority without cache-flush", async () => {
    const firsts: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { clock, lan, r, t0, events } = await setup({}, seed);
      const started = r.start();
      await clock.run(3000);
      await started;
      const probes = probesOf(lan);
      assert.equal(probes.length, 3);
      firsts.push(probes[0].at - t0);
      assert.ok(probes[0].at - t0 >= 0 && probes[0].at - t0 <= 250);
      assert.deepEqual([probes[1].at - probes[0].at, probes[2].at - probes[1].at], [250, 250]);
      for (const p of probes) {
        assert.deepEqual(p.m.questions.map((x) => [x.name, x.type]), [[HOST, "ANY"], [REV, "ANY"]]);
        assert.deepEqual(questionClasses(p.data), [0x8001, 0x8001], "QU bit set, class IN");
        assert.equal(p.to, GROUP);
        assert.equal(p.m.answers.length, 0);
        const a = find(p.m.authorities, HOST, "A")!, ptr = find(p.m.authorities, REV, "PTR")!;
        assert.equal(a.data, ME);
        assert.equal(ptr.data, HOST);
        assert.ok(p.m.authorities.every((x) => !x.flush), "no cache-flush in probes");
      }
      // our own probes came back over the loop and were not taken for a conflict
      assert.deepEqual(events, ["claimed kitchen-cam"]);
      assert.equal(r.hostname, "kitchen-cam");
    }
    assert.ok(new Set(firsts).size > 1, "the initial wait is random: " + firsts);
  });

  it("§8.3 announces at least twice, 1 s apart, all records in Answer, cache-flush on unique records only", async () => {
    const { lan } = await claimed({}, true);
    const probes = probesOf(lan), ann = responses(lan);
    assert.ok(ann.length >= 2);
    assert.equal(ann[0].at - probes[2].at, 250, "250 ms after the third probe");
    assert.equal(ann[1].at - ann[0].at, 1000);
    for (const p of ann.slice(0, 2)) {
      assert.equal(p.to, GROUP);
      assert.ok(p.m.flag_aa);
      assert.equal(p.m.id, 0);
      const rs = p.m.answers;
      assert.equal(find(rs, HOST, "A")!.flush, true);
      assert.equal(find(rs, REV, "PTR")!.flush, true);
      assert.equal(find(rs, INST, "SRV")!.flush, true);
      assert.equal(find(rs, INST, "TXT")!.flush, true);
      assert.equal(find(rs, "_http._tcp.local", "PTR")!.flush, false, "shared PTR: no cache-flush");
      assert.equal(find(rs, "_services._dns-sd._udp.local", "PTR")!.flush, false);
      assert.equal(find(rs, HOST, "A")!.ttl, 120, "§10: host records 120 s");
      assert.equal(find(rs, "_http._tcp.local", "PTR")!.ttl, 4500, "§10: other records 75 min");
    }
  });

  it("RFC 6763 DNS-SD records: service PTR, SRV (0 0 port host.local), TXT, _services enumeration; empty TXT is one empty string", async () => {
    const { lan, r, clock } = await claimed({}, true);
    r.advertise("_ipp._tcp", 631);
    await clock.run(3000);
    const rs = responses(lan).flatMap((p) => p.m.answers);
    assert.equal(find(rs, "_http._tcp.local", "PTR")!.data, INST);
    assert.deepEqual(find(rs, INST, "SRV")!.data, { priority: 0, weight: 0, port: 80, target: HOST });
    assert.deepEqual(find(rs, INST, "TXT")!.data.map(String), ["path=/"]);
    const ipp = find(rs, "kitchen-cam._ipp._tcp.local", "TXT")!;
    assert.deepEqual(ipp.data.map((b: Buffer) => b.length), [0]);
    const enumeration = rs.filter((a) => a.name === "_services._dns-sd._udp.local").map((a) => a.data);
    assert.deepEqual([...new Set(enumeration)].sort(), ["_http._tcp.local", "_ipp._tcp.local"]);
  });

  it("§8.1 a response naming a name we probe is a conflict: rename to name-2, tell the app, probe again", async () => {
    const { clock, lan, r, events } = await setup();
    const started = r.start();
    await clock.run(260); // the first probe is out
    assert.equal(probesOf(lan).length >= 1, true);
    lan.inject(PEER, 5353, packet({ type: "response", flags: 0x8400, answers: [{ name: "Kitchen-Cam.local", type: "A", ttl: 120, flush: true, data: PEER }] }));
    await clock.run(3000);
    await started;
    assert.equal(r.hostname, "kitchen-cam-2");
    assert.deepEqual(events, ["conflict kitchen-cam kitchen-cam-2", "claimed kitchen-cam-2"]);
    const later = probesOf(lan).filter((p) => p.m.questions[0].name === "kitchen-cam-2.local");
    assert.equal(later.length, 3);
    assert.equal(find(responses(lan)[0].m.answers, "kitchen-cam-2.local", "A")!.data, ME);
  });

  it("§9 the app may choose the new name (onConflict)", async () => {
    const { clock, lan, r, events } = await setup({ onConflict: (n) => n + "-backyard" });
    r.start();
    await clock.run(260);
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: HOST, type: "AAAA", ttl: 120, data: "fe80::1" }] }));
    await clock.run(3000);
    assert.equal(r.hostname, "kitchen-cam-backyard");
    assert.ok(events.includes("claimed kitchen-cam-backyard"));
  });

  it("§8.1 rate limit: after 15 conflicts within 10 s, wait 5 s before probing again", async () => {
    const { clock, lan, r } = await setup();
    // a peer that defends every name it is asked about
    const peer = lan.socket(PEER, 5353, GROUP);
    peer.onmessage = (data) => {
      const m = dnsPacket.decode(Buffer.from(data));
      if (m.type === "query" && m.authorities.length) {
        peer.send(packet({ type: "response", flags: 0x8400, answers: m.questions.map((x) => ({ name: x.name, type: "A", ttl: 120, flush: true, data: PEER })) }), 5353, GROUP);
      }
    };
    r.start();
    await clock.run(20000);
    const firstProbe: number[] = [];
    let last = "";
    for (const p of probesOf(lan)) {
      if (p.m.questions[0].name !== last) firstProbe.push(p.at);
      last = p.m.questions[0].name;
    }
    assert.ok(firstProbe.length >= 17, "kept renaming: " + firstProbe.length);
    const gaps = firstProbe.slice(1).map((t, i) => t - firstProbe[i]);
    assert.ok(gaps.slice(0, 14).every((g) => g <= 260), "fast at first: " + gaps);
    assert.ok(gaps[14] >= 5000, "then at least 5 s: " + gaps);
    assert.equal(r.hostname.startsWith("kitchen-cam-"), true);
  });

  it("§8.2 simultaneous probes: the lexicographically later Authority data wins; the loser waits 1 s and probes again", async () => {
    // they propose 10.0.0.200 (later than our 10.0.0.5): we lose
    {
      const { clock, lan, r } = await setup();
      r.start();
      await clock.run(260);
      const t = clock.t;
      lan.inject(PEER, 5353, packet({ type: "query", questions: [{ name: HOST, type: "ANY" }], authorities: [{ name: HOST, type: "A", ttl: 120, data: "10.0.0.200" }] }, true));
      await clock.run(3000);
      const after = probesOf(lan, t + 1);
      assert.ok(after[0].at - t >= 1000, "waited 1 s: " + (after[0].at - t));
      assert.equal(after.length, 3, "probing starts over");
      assert.equal(r.hostname, "kitchen-cam", "no conflict yet: nobody announced");
    }
    // they propose 10.0.0.1 (earlier): we win and carry on at 250 ms
    {
      const { clock, lan, r } = await setup();
      r.start();
      await clock.run(260);
      const t = clock.t, n = probesOf(lan).length;
      lan.inject(PEER, 5353, packet({ type: "query", questions: [{ name: HOST, type: "ANY" }], authorities: [{ name: HOST, type: "A", ttl: 120, data: "10.0.0.1" }] }, true));
      await clock.run(3000);
      assert.equal(probesOf(lan).length, 3);
      assert.ok(probesOf(lan, t + 1)[0].at - t < 250, "no pause (" + n + " probes before)");
    }
  });

  it("§8.2.1 with several records, the longer set wins when one is a prefix of the other", async () => {
    const { clock, lan, r } = await setup();
    r.start();
    await clock.run(260);
    const t = clock.t;
    // same A and PTR for the reverse name... but for the host name they add an AAAA after the same A
    lan.inject(PEER, 5353, packet({
      type: "query", questions: [{ name: HOST, type: "ANY" }],
      authorities: [{ name: HOST, type: "A", ttl: 120, data: ME }, { name: HOST, type: "AAAA", ttl: 120, data: "fe80::9" }],
    }, true));
    await clock.run(3000);
    assert.ok(probesOf(lan, t + 1)[0].at - t >= 1000);
  });

  it("§9 a conflicting record after claiming: probe again at once with the same name, rename only if that probe fails", async () => {
    const { clock, lan, r, events } = await claimed();
    const t = clock.t;
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: HOST, type: "A", ttl: 120, flush: true, data: PEER }] }));
    await clock.run(3000);
    const again = probesOf(lan, t);
    assert.equal(again.length, 3);
    assert.ok(again[0].at - t <= 250);
    assert.equal(again[0].m.questions[0].name, HOST);
    assert.equal(r.hostname, "kitchen-cam", "nobody defended: name kept");
    assert.ok(responses(lan, t).length >= 2, "re-announced");
    // the second time the peer also defends during the probe
    const t2 = clock.t;
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: HOST, type: "A", ttl: 120, flush: true, data: PEER }] }));
    await clock.run(300);
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: HOST, type: "A", ttl: 120, flush: true, data: PEER }] }));
    await clock.run(3000);
    assert.equal(r.hostname, "kitchen-cam-2");
    assert.ok(events.includes("conflict kitchen-cam kitchen-cam-2"));
    assert.ok(probesOf(lan, t2).some((p) => p.m.questions[0].name === "kitchen-cam-2.local"));
  });

  it("§9 the SRV record is defended too (BCT subsequent conflict): the instance is renamed", async () => {
    const { clock, lan, r, events } = await claimed({}, true);
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: INST, type: "SRV", ttl: 120, flush: true, data: { priority: 0, weight: 0, port: 8080, target: "other.local" } }] }));
    await clock.run(300);
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: INST, type: "SRV", ttl: 120, flush: true, data: { priority: 0, weight: 0, port: 8080, target: "other.local" } }] }));
    await clock.run(3000);
    assert.equal(r.hostname, "kitchen-cam");
    assert.equal(r.services[0].name, "kitchen-cam-2");
    assert.ok(events.includes("conflict " + INST + " kitchen-cam-2._http._tcp.local"));
    const rs = responses(lan).flatMap((p) => p.m.answers);
    assert.ok(find(rs, "kitchen-cam-2._http._tcp.local", "SRV"));
  });

  it("§9 identical rdata from another responder is not a conflict", async () => {
    const { clock, lan, r } = await claimed();
    const t = clock.t;
    lan.inject(PEER, 5353, packet({ type: "response", answers: [{ name: HOST, type: "A", ttl: 120, flush: true, data: ME }] }));
    await clock.run(3000);
    assert.equal(probesOf(lan, t).length, 0);
    assert.equal(r.hostname, "kitchen-cam");
  });

  it("§6 / §18: an A question is answered at once by multicast, AA=1, ID 0, cache-flush set, NSEC (no AAAA) in Additional", async () => {
    const { clock, lan } = await claimed();
    await clock.run(2000);
    const t = clock.t;
    lan.inject(PEER, 5353, packet(q("KITCHEN-CAM.local")));
    await clock.run(500);
    const rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].at, t, "no delay for unique answers");
    assert.equal(rs[0].to, GROUP);
    assert.equal(rs[0].m.id, 0);
    assert.ok(rs[0].m.flag_aa);
    assert.equal(rs[0].m.rcode, "NOERROR");
    assert.equal(rs[0].m.flag_tc, false);
    assert.equal(rs[0].m.answers.length, 1);
    assert.deepEqual([rs[0].m.answers[0].data, rs[0].m.answers[0].flush, rs[0].m.answers[0].ttl], [ME, true, 120]);
    const nsec = find(rs[0].m.additionals, HOST, "NSEC")!;
    assert.deepEqual(nsec.data.rrtypes, ["A"]);
  });

  it("§18.3 / §18.11 queries with a non-zero OPCODE or RCODE are ignored", async () => {
    const { clock, lan } = await claimed();
    await clock.run(2000);
    const t = clock.t;
    lan.inject(PEER, 5353, packet({ ...q(HOST), flags: 1 << 11 }));
    await clock.run(1100);
    lan.inject(PEER, 5353, packet({ ...q(HOST), flags: 2 }));
    await clock.run(500);
    assert.equal(responses(lan, t).length, 0);
  });

  it("§4 answers the reverse PTR of its address", async () => {
    const { clock, lan } = await claimed();
    await clock.run(2000);
    const t = clock.t;
    lan.inject(PEER, 5353, packet(q(REV, "PTR")));
    await clock.run(10);
    const a = responses(lan, t)[0].m.answers[0];
    assert.deepEqual([a.name, a.type, a.data, a.flush, a.ttl], [REV, "PTR", HOST, true, 120]);
  });

  it("§6.1 a type we lack (AAAA, TXT on the host name) gets an NSEC: next = the name, our types, cache-flush, the record's TTL", async () => {
    const { clock, lan } = await claimed();
    await clock.run(2000);
    for (const type of ["AAAA", "TXT"]) {
      const t = clock.t;
      lan.inject(PEER, 5353, packet(q(HOST, type)));
      await clock.run(1100);
      const rs = responses(lan, t);
      assert.equal(rs.length, 1, type);
      assert.equal(rs[0].at, t);
      assert.equal(rs[0].m.answers.length, 0);
      const n = rs[0].m.additionals[0];
      assert.deepEqual([n.name, n.type, n.data.nextDomain, n.data.rrtypes, n.flush, n.ttl], [HOST, "NSEC", HOST, ["A"], true, 120]);
    }
  });

  it("§5.4 QU questions: unicast to the asker when multicast within 1/4 TTL, multicast otherwise", async () => {
    const { clock, lan } = await claimed();
    let t = clock.t;
    lan.inject(PEER, 5353, packet(q(HOST), true));
    await clock.run(10);
    let rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.deepEqual([rs[0].to, rs[0].port], [PEER, 5353]);
    await clock.run(31000); // past 120 s / 4 since the announcement
    t = clock.t;
    lan.inject(PEER, 5353, packet(q(HOST), true));
    await clock.run(10);
    rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].to, GROUP);
  });

  it("§6.7 legacy unicast (source port not 5353): to the source port, ID and question echoed, TTL <= 10, no cache-flush", async () => {
    const { clock, lan } = await claimed();
    const t = clock.t;
    lan.inject(PEER, 40000, packet({ type: "query", id: 4242, questions: [{ name: HOST, type: "A" }] }), GROUP);
    await clock.run(10);
    const rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.deepEqual([rs[0].to, rs[0].port, rs[0].m.id], [PEER, 40000, 4242]);
    assert.deepEqual(rs[0].m.questions, [{ name: HOST, type: "A", class: "IN" }]);
    assert.deepEqual(rs[0].m.answers.map((a) => [a.data, a.ttl, a.flush]), [[ME, 10, false]]);
    assert.ok(rs[0].m.additionals.every((a) => !a.flush));
  });

  it("§7.1 known-answer suppression: a known answer with at least half our TTL silences us; below half it does not", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    const ask = (ttl: number) => packet({ type: "query", questions: [{ name: "_http._tcp.local", type: "PTR" }], answers: [{ name: "_http._tcp.local", type: "PTR", ttl, data: INST }] });
    let t = clock.t;
    lan.inject(PEER, 5353, ask(2250));
    await clock.run(1000);
    assert.equal(responses(lan, t).length, 0);
    t = clock.t;
    lan.inject(PEER, 5353, ask(2249));
    await clock.run(1000);
    assert.equal(responses(lan, t).length, 1);
  });

  it("§7.2 TC: answers wait 400-500 ms and known answers in the follow-up packet still suppress them", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    let t = clock.t;
    lan.inject(PEER, 5353, packet({ type: "query", flags: dnsPacket.TRUNCATED_RESPONSE, questions: [{ name: "_http._tcp.local", type: "PTR" }] }));
    await clock.run(1000);
    let rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.ok(rs[0].at - t >= 400 && rs[0].at - t <= 500, "delay " + (rs[0].at - t));
    t = clock.t;
    lan.inject(PEER, 5353, packet({ type: "query", flags: dnsPacket.TRUNCATED_RESPONSE, questions: [{ name: "_http._tcp.local", type: "PTR" }] }));
    await clock.run(100);
    lan.inject(PEER, 5353, packet({ type: "query", answers: [{ name: "_http._tcp.local", type: "PTR", ttl: 4500, data: INST }] }));
    await clock.run(1000);
    rs = responses(lan, t);
    assert.equal(rs.length, 0);
  });

  it("§6 shared answers wait 20-120 ms (random) and are aggregated; unique answers go at once with RFC 6763 §12 additionals", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = clock.t;
      lan.inject(PEER, 5353, packet(q("_http._tcp.local", "PTR")));
      await clock.run(1300); // the last answer may have gone out 120 ms late: 1 s rate limit
      const rs = responses(lan, t);
      assert.equal(rs.length, 1);
      delays.push(rs[0].at - t);
      if (i == 0) {
        const add = rs[0].m.additionals;
        assert.ok(find(add, INST, "SRV") && find(add, INST, "TXT") && find(add, HOST, "A"), "SRV, TXT and A in Additional");
        const keys = [...rs[0].m.answers, ...add].map((a) => a.name + a.type + JSON.stringify(a.data));
        assert.equal(new Set(keys).size, keys.length, "no duplicate records");
      }
    }
    assert.ok(delays.every((d) => d >= 20 && d <= 120), "" + delays);
    assert.ok(new Set(delays).size > 5, "spread: " + delays);
    // aggregation: two shared questions 10 ms apart -> one packet
    let t = clock.t;
    lan.inject(PEER, 5353, packet(q("_http._tcp.local", "PTR")));
    await clock.run(10);
    lan.inject("10.0.0.10", 5353, packet(q("_services._dns-sd._udp.local", "PTR")));
    await clock.run(1100);
    let rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].m.answers.length, 2);
    // SRV: unique, at once, the address in Additional
    t = clock.t;
    lan.inject(PEER, 5353, packet(q(INST, "SRV")));
    await clock.run(10);
    rs = responses(lan, t);
    assert.equal(rs[0].at, t);
    assert.ok(find(rs[0].m.additionals, HOST, "A"));
  });

  it("§6.3 several questions in one query and qtype ANY return every record of the name", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    const t = clock.t;
    lan.inject(PEER, 5353, packet({ type: "query", questions: [{ name: INST, type: "ANY" }, { name: HOST, type: "A" }] }));
    await clock.run(10);
    const rs = responses(lan, t);
    assert.equal(rs.length, 1);
    assert.deepEqual(rs[0].m.answers.map((a) => a.type).sort(), ["A", "SRV", "TXT"]);
  });

  it("§6 never multicast a record more than once a second; a probe may be defended after 250 ms", async () => {
    const { clock, lan } = await claimed();
    await clock.run(2000);
    let t = clock.t;
    for (let i = 0; i < 3; i++) {
      lan.inject(PEER, 5353, packet(q(HOST)));
      await clock.run(70);
    }
    assert.equal(responses(lan, t).length, 1, "3 queries within 200 ms, 1 answer");
    await clock.run(1000);
    t = clock.t;
    lan.inject(PEER, 5353, packet(q(HOST)));
    await clock.run(300);
    lan.inject(PEER, 5353, packet({ type: "query", questions: [{ name: HOST, type: "ANY" }], authorities: [{ name: HOST, type: "A", ttl: 120, data: PEER }] }, true));
    await clock.run(10);
    const rs = responses(lan, t);
    assert.equal(rs.length, 2, "probe defended 300 ms after the last answer");
    assert.equal(rs[1].to, GROUP, "defence by multicast although the probe asked QU");
  });

  it("§6 a flood of 10,000 queries: at most one answer per record per second, no growth of state", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    const t = clock.t, before = clock.pending();
    let maxPending = 0;
    for (let i = 0; i < 10000; i++) {
      const kind = i % 4, from = "10.0." + ((i >> 8) & 255) + "." + (i & 255);
      const p = kind == 3 ? packet(q("_http._tcp.local", "PTR")) : packet({ type: "query", id: i, questions: [{ name: HOST, type: "A" }] }, kind == 1);
      lan.inject(from, kind == 2 ? 30000 + (i % 1000) : 5353, p);
      await clock.run(1);
      maxPending = Math.max(maxPending, clock.pending());
    }
    const seconds = (clock.t - t) / 1000;
    const out = lan.sent.filter((p) => p.from === ME && p.at >= t).map((p) => dnsPacket.decode(Buffer.from(p.data)));
    const aCount = out.filter((m) => find(m.answers, HOST, "A")).length;
    const ptrCount = out.filter((m) => find(m.answers, "_http._tcp.local", "PTR")).length;
    assert.equal(seconds, 10);
    // multicast and unicast each at most once a second per record (and not silent)
    assert.ok(aCount <= 2 * (seconds + 1) && aCount >= seconds, "A answers: " + aCount);
    assert.ok(ptrCount <= seconds + 1 && ptrCount >= seconds - 1, "PTR answers: " + ptrCount);
    assert.ok(maxPending <= before + 2, "timers stay bounded: " + maxPending);
  });

  it("§10.1 goodbyes (TTL 0) on stop, withdraw and rename", async () => {
    {
      const { clock, lan, r } = await claimed({}, true);
      let t = clock.t;
      const svc = r.services[0];
      r.withdraw(svc);
      await clock.run(10);
      let rs = responses(lan, t);
      assert.equal(rs.length, 1);
      assert.deepEqual(rs[0].m.answers.map((a) => a.type + " " + a.ttl).sort(), ["PTR 0", "PTR 0", "SRV 0", "TXT 0"]);
      assert.ok(!find(rs[0].m.answers, HOST, "A"), "the host address stays");
      t = clock.t;
      r.rename("garage-cam");
      await clock.run(3000);
      rs = responses(lan, t);
      assert.deepEqual(rs[0].m.answers.map((a) => [a.name, a.type, a.ttl, a.data]).sort(), [[REV, "PTR", 0, HOST], [HOST, "A", 0, ME]]);
      assert.equal(probesOf(lan, t)[0].m.questions[0].name, "garage-cam.local");
      assert.equal(find(rs[1].m.answers, "garage-cam.local", "A")!.data, ME);
      t = clock.t;
      await r.stop();
      rs = responses(lan, t);
      assert.equal(rs.length, 1);
      assert.ok(rs[0].m.answers.every((a) => a.ttl === 0));
      assert.ok(find(rs[0].m.answers, "garage-cam.local", "A"));
      assert.equal(lan.members.length, 0, "socket closed");
      await clock.run(5000);
      assert.equal(lan.sent.filter((p) => p.at > t).length, 0, "nothing after stop");
    }
  });

  it("§8 / §8.4 a new address (or the link back): goodbye for the old, probe and announce again", async () => {
    const { clock, lan, r, io } = await claimed();
    const t = clock.t;
    io.addr = "10.0.0.6";
    r.start();
    await clock.run(3000);
    const rs = responses(lan, t), probes = probesOf(lan, t);
    assert.deepEqual(rs[0].m.answers.map((a) => [a.type, a.ttl, a.data]).sort(), [["A", 0, ME], ["PTR", 0, HOST]]);
    assert.equal(probes.length, 3);
    assert.equal(find(probes[0].m.authorities, HOST, "A")!.data, "10.0.0.6");
    assert.equal(find(rs[1].m.answers, HOST, "A")!.data, "10.0.0.6");
    assert.ok(find(rs[1].m.answers, "6.0.0.10.in-addr.arpa", "PTR"));
    // the link coming back with the same address: probe and announce again, no goodbye
    const t2 = clock.t;
    r.start();
    await clock.run(3000);
    assert.equal(probesOf(lan, t2).length, 3);
    assert.ok(responses(lan, t2).every((p) => p.m.answers.every((a) => a.ttl! > 0)));
  });

  it("two responders wanting the same name on one LAN end with distinct names", async () => {
    const clock = new Clock(), lan = new Lan(clock);
    const a = new Responder(lan.io("10.0.0.5", 11), { hostname: "cam" });
    const b = new Responder(lan.io("10.0.0.6", 11), { hostname: "cam" });
    const both = Promise.all([a.start(), b.start()]);
    await clock.run(10000);
    await both;
    assert.notEqual(a.hostname, b.hostname);
    assert.deepEqual([a.hostname, b.hostname].sort(), ["cam", "cam-2"]);
    // each answers for its own name only
    const t = clock.t;
    lan.inject(PEER, 5353, packet(q("cam-2.local")));
    await clock.run(10);
    const rs = lan.sent.filter((p) => p.at >= t && p.from !== PEER);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].from, a.hostname === "cam-2" ? "10.0.0.5" : "10.0.0.6");
  });

  it("nativeMdns (the firmware answers for the host name): only the services' records, no A / reverse PTR from us", async () => {
    board(true);
    try {
      const { clock, lan } = await claimed({}, true);
      const all = lan.from(ME).flatMap((p) => [...p.m.answers, ...p.m.authorities, ...p.m.additionals]);
      assert.ok(!all.some((a) => a.name === HOST || a.name === REV));
      assert.equal(find(all, INST, "SRV")!.data.target, HOST);
      const t = clock.t;
      lan.inject(PEER, 5353, packet(q(HOST)));
      lan.inject(PEER, 5353, packet(q(INST, "SRV")));
      await clock.run(1100);
      const rs = responses(lan, t);
      assert.equal(rs.length, 1);
      assert.ok(find(rs[0].m.answers, INST, "SRV"));
    } finally {
      board();
    }
  });

  it("fast path: a packet that asks nothing of us is dropped after reading its header, without a full parse", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    const sock = lan.members.find((m) => m.host === ME)!.sock, g = globalThis as any;
    // as on the board, where E.toString views the bytes without a JS read per byte
    const reads = (data: Uint8Array): number => {
      let n = 0;
      const p = new Proxy(data, {
        get(t, k) {
          if (typeof k === "string" && /^\d+$/.test(k)) n++;
          const v = Reflect.get(t, k);
          return typeof v === "function" ? v.bind(t) : v;
        },
      });
      g.E = { toString: () => Buffer.from(data).toString("latin1") };
      try {
        sock.onmessage!(p as Uint8Array, PEER, 5353);
      } finally {
        delete g.E;
      }
      return n;
    };
    const other = packet({
      type: "query", questions: [
        { name: "living-room-tv._googlecast._tcp.local", type: "SRV" }, { name: "_airplay._tcp.local", type: "PTR" },
        { name: "macbook-pro-of-someone.local", type: "AAAA" },
      ],
    });
    const n = reads(other);
    assert.ok(other.length > 100);
    assert.ok(n <= 4, "read " + n + " of " + other.length + " bytes");
    // a response from another host about its own names: same
    const resp = packet({ type: "response", answers: [{ name: "printer.local", type: "A", ttl: 120, data: PEER }, { name: "_ipp._tcp.local", type: "PTR", ttl: 4500, data: "printer._ipp._tcp.local" }] });
    assert.ok(reads(resp) <= 4, "response: " + reads(resp));
    // and the same shape naming us is answered (the fast path lets it through)
    const t = clock.t;
    assert.ok(reads(packet({ type: "query", questions: [{ name: "_airplay._tcp.local", type: "PTR" }, { name: HOST, type: "A" }] })) > 20, "parsed");
    await clock.run(10);
    assert.equal(responses(lan, t).length, 1);
  });

  it("§16 names that only contain one of ours are not answered (the fast path lets them through, the parse decides)", async () => {
    const { clock, lan } = await claimed({}, true);
    await clock.run(2000);
    const t = clock.t;
    for (const name of ["kitchen-cam.local.evil", "x.kitchen-cam.local", "kitchen-cam.locax", "kitchen-cam._http._tcp.localx"]) {
      lan.inject(PEER, 5353, packet(q(name, "ANY")));
      await clock.run(1100);
    }
    assert.equal(responses(lan, t).length, 0);
    lan.inject(PEER, 5353, packet(q("Kitchen-Cam._HTTP._tcp.LOCAL", "SRV")));
    await clock.run(10);
    assert.equal(responses(lan, t).length, 1);
  });

  it("mentions(): our first labels (with their length byte) anywhere in the packet, case-insensitively", () => {
    const m = matcher([HOST, "_http._tcp.local"]);
    assert.equal(mentions(packet(q("KITCHEN-cam.LOCAL")), m), true);
    assert.equal(mentions(packet(q("kitchen-cax.local")), m), false);
    assert.equal(mentions(packet(q("kitchen-cam-2.local")), m), false, "a longer label");
    assert.equal(mentions(packet(q("my-kitchen-cam.local")), m), false);
    assert.equal(mentions(packet(q("_https._tcp.local", "PTR")), m), false);
    // the second question is a pointer into the first (dns-packet compresses)
    assert.equal(mentions(packet({ type: "query", questions: [{ name: "other._http._tcp.local", type: "SRV" }, { name: "_http._tcp.local", type: "PTR" }] }), m), true);
    // any section: additionals of a response, known answers of a query
    assert.equal(mentions(packet({ type: "response", additionals: [{ name: HOST, type: "A", ttl: 1, data: PEER }] }), m), true);
    assert.equal(mentions(packet({ type: "query", answers: [{ name: "_http._tcp.local", type: "PTR", ttl: 1, data: "a._http._tcp.local" }] }), m), true);
    assert.equal(mentions(packet({ type: "query", flags: 2 << 11, questions: [{ name: HOST, type: "A" }] }), m), false, "OPCODE");
    assert.equal(mentions(packet({ type: "response", flags: 3, answers: [{ name: HOST, type: "A", ttl: 1, data: PEER }] }), m), false, "RCODE");
    assert.equal(mentions(new Uint8Array(5), m), false);
    assert.equal(mentions(packet(q(HOST)).slice(0, 20), m), false);
    assert.equal(mentions(packet(q(HOST)), matcher([])), false, "no names");
    assert.equal(mentions(new Uint8Array(12), matcher([])), false, "no names, empty packet");
    // regex characters and long labels are taken literally
    const odd = "a+b (c)*.$x|y.local", long = "x".repeat(46) + ".local";
    const mo = matcher([odd, long]);
    assert.equal(mentions(packet(q(odd)), mo), true);
    assert.equal(mentions(packet(q(long.toUpperCase())), mo), true);
    assert.equal(mentions(packet(q("aab (c).local")), mo), false);
    assert.equal(mentions(packet(q("x".repeat(45) + ".local")), mo), false);
  });

  it("advertise rejects a malformed service type with EINVAL", async () => {
    const { r } = await setup();
    assert.throws(() => r.advertise("http", 80), (e: any) => e.code === "EINVAL");
  });
});
