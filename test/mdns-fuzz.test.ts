// Fuzz (issue #4): the responder survives random and hostile packets — random bytes, and
// valid queries and responses about its own names with bytes flipped, cut or appended,
// from port 5353 and from other ports — without an exception escaping the socket handler,
// with bounded state (records and timers), and still answers its name afterwards.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Responder } from "../src/mdns/index.ts";
import { board, Clock, Lan, packet, q } from "./mdns-fake.ts";

const ME = "10.0.0.5", PEER = "10.0.0.9";

// Valid packets that name our records: mutated, most of them still pass the fast path.
const SEEDS: Uint8Array[] = [
  packet(q("kitchen-cam.local", "ANY"), true),
  packet({ type: "query", questions: [{ name: "_http._tcp.local", type: "PTR" }], answers: [{ name: "_http._tcp.local", type: "PTR", ttl: 4500, data: "kitchen-cam._http._tcp.local" }] }),
  packet({ type: "query", questions: [{ name: "kitchen-cam.local", type: "ANY" }], authorities: [{ name: "kitchen-cam.local", type: "A", ttl: 120, data: "10.0.0.200" }] }, true),
  packet({ type: "response", flags: 0x8400, answers: [
    { name: "kitchen-cam.local", type: "A", ttl: 120, flush: true, data: PEER },
    { name: "kitchen-cam._http._tcp.local", type: "SRV", ttl: 120, flush: true, data: { priority: 0, weight: 0, port: 8080, target: "x.local" } },
    { name: "kitchen-cam._http._tcp.local", type: "TXT", ttl: 4500, flush: true, data: ["a=b"] },
  ] }),
];

const mutated = fc.tuple(fc.nat(SEEDS.length - 1), fc.array(fc.tuple(fc.nat(400), fc.nat(255)), { maxLength: 6 }), fc.nat(400), fc.uint8Array({ maxLength: 8 }))
  .map(([i, flips, cut, tail]) => {
    const b = SEEDS[i].slice();
    for (const [at, v] of flips) if (at < b.length) b[at] = v;
    const out = new Uint8Array(Math.min(cut, b.length) + tail.length);
    out.set(b.subarray(0, Math.min(cut, b.length)));
    out.set(tail, Math.min(cut, b.length));
    return out;
  });

describe("mdns fuzz: the responder takes random and hostile packets", function () {
  // (other suites set their own board profile)
  beforeEach(() => board());

  this.timeout(60000);

  it("no exception escapes, state stays bounded, and the name is still answered", async () => {
    const clock = new Clock(), lan = new Lan(clock), r = new Responder(lan.io(ME, 9), { hostname: "kitchen-cam" });
    r.advertise("_http._tcp", 80, { path: "/" });
    r.start();
    await clock.run(3000);
    const sock = lan.members.find((m) => m.host === ME)!.sock;
    let maxTimers = 0, maxRecs = 0, runs = 0;
    const t0 = clock.t;
    await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated, mutated), fc.boolean(), async (b, legacy) => {
      sock.onmessage!(b, PEER, legacy ? 40000 : 5353);
      runs++;
      await clock.run(1); // (the LAN's deliveries are timers too)
      maxTimers = Math.max(maxTimers, clock.pending());
      maxRecs = Math.max(maxRecs, (r as any).recs_.length);
    }), { numRuns: 1500, seed: 42 });
    assert.equal(runs, 1500);
    // the mutated packets reached the parser: some were answered
    assert.ok(lan.from(ME, t0).some((p) => p.m.type === "response"), "answered during the fuzz");
    assert.ok(maxTimers <= 3, "timers stay bounded: " + maxTimers);
    assert.ok(maxRecs <= 9, "records stay bounded: " + maxRecs);
    // conflicts may have renamed it: whatever it holds now, it answers
    await clock.run(20000);
    const t = clock.t;
    lan.inject(PEER, 5353, packet(q(r.hostname + ".local")));
    await clock.run(10);
    const answers = lan.from(ME, t).filter((p) => p.m.type === "response").flatMap((p) => p.m.answers);
    assert.ok(answers.some((a) => a.type === "A" && a.data === ME), "answered " + r.hostname + ".local");
  });
});
