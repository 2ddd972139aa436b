// Property tests of the DNS codec with fast-check: whatever bytes arrive, parseMessage returns
// a Message or throws an Error with code EBADMSG, in bounded time; the fast-path readers never
// throw; and every message the encoder accepts parses back to itself.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_NSEC, TYPE_OPT, TYPE_PTR, TYPE_SOA, TYPE_SRV, TYPE_TXT,
  encodeMessage, nameEnd, nameEquals, parseMessage,
} from "../src/dns/message.ts";
import type { Message, ResourceRecord } from "../src/dns/message.ts";

const RUNS = 2000;

/** parseMessage(b) either returns a well-formed Message or throws EBADMSG; anything else fails. */
function parsesOrRejects(b: Uint8Array): void {
  let m: Message;
  try {
    m = parseMessage(b);
  } catch (e: any) {
    if (!(e instanceof Error) || (e as any).code !== "EBADMSG") throw new Error("not EBADMSG: " + (e && e.stack || e));
    return;
  }
  assert.equal(typeof m.id, "number");
  for (const q of m.questions) assert.equal(typeof q.name, "string");
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) {
    assert.equal(typeof r.name, "string");
    assert.ok(r.name.length <= 2 * 255, "name length bounded");
    assert.ok(r.data !== undefined);
  }
}

/** The fast-path readers on any offset of `b`: never throw. */
function readersNeverThrow(b: Uint8Array, offset: number): void {
  const end = nameEnd(b, offset);
  assert.ok(end === -1 || (end > offset && end <= b.length));
  assert.equal(typeof nameEquals(b, offset, "kitchen-cam.local"), "boolean");
  assert.equal(typeof nameEquals(b, offset, ""), "boolean");
}

// Valid messages to mutate: a typical answer, an mDNS response with every type, a query.
const SEEDS: Uint8Array[] = [
  encodeMessage({
    id: 0x1234, flags: 0x8180, questions: [{ name: "kitchen-cam.lan", type: TYPE_A }],
    answers: [1, 2, 3].map((i) => ({ name: "kitchen-cam.lan", type: TYPE_A, ttl: 300, data: "10.0.0." + i })),
  }),
  encodeMessage({
    flags: 0x8400,
    answers: [
      { name: "_http._tcp.local", type: TYPE_PTR, ttl: 4500, data: "Cam\\.1._http._tcp.local" },
      { name: "Cam\\.1._http._tcp.local", type: TYPE_SRV, flush: true, ttl: 120, data: { priority: 0, weight: 0, port: 80, target: "cam.local" } },
      { name: "Cam\\.1._http._tcp.local", type: TYPE_TXT, flush: true, ttl: 4500, data: [new Uint8Array([97, 61, 98]), new Uint8Array(0)] },
    ],
    additionals: [
      { name: "cam.local", type: TYPE_A, flush: true, ttl: 120, data: "192.168.1.9" },
      { name: "cam.local", type: TYPE_AAAA, flush: true, ttl: 120, data: "fe80::1" },
      { name: "cam.local", type: TYPE_NSEC, flush: true, ttl: 120, data: { next: "cam.local", types: [TYPE_A, TYPE_AAAA] } },
      { name: "", type: TYPE_OPT, rclass: 1232, ttl: 0, data: new Uint8Array([0, 10, 0, 0]) },
    ],
  }),
  encodeMessage({
    flags: 0x8183, questions: [{ name: "nope.example", type: TYPE_AAAA }],
    answers: [{ name: "nope.example", type: TYPE_CNAME, ttl: 5, data: "x.nope.example" }],
    authorities: [{ name: "example", type: TYPE_SOA, ttl: 60, data: { mname: "ns.example", rname: "h.example", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }],
  }),
];

const seed = fc.constantFrom(...SEEDS);

describe("dns fuzz: parseMessage returns a Message or throws EBADMSG, never hangs", function () {
  this.timeout(60000);

  it("random bytes (0-600 octets), with the fast-path readers at random offsets", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(620), (b, off) => {
      parsesOrRejects(b);
      readersNeverThrow(b, off);
    }), { numRuns: RUNS });
  });

  it("random bytes behind a plausible header (so the parser gets past the counts)", () => {
    fc.assert(fc.property(fc.nat(4), fc.nat(8), fc.boolean(), fc.uint8Array({ maxLength: 400 }), (qd, an, tc, body) => {
      const b = new Uint8Array(12 + body.length);
      b.set([0, 1, tc ? 0x82 : 0x80, 0, 0, qd, 0, an, 0, 0, 0, 0]);
      b.set(body, 12);
      parsesOrRejects(b);
    }), { numRuns: RUNS });
  });

  it("valid messages with bit flips", () => {
    fc.assert(fc.property(seed, fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 8 }), (s, flips) => {
      const b = s.slice();
      for (const [i, bit] of flips) b[i % b.length] ^= 1 << bit;
      parsesOrRejects(b);
      readersNeverThrow(b, 12);
    }), { numRuns: RUNS });
  });

  it("valid messages with random bytes overwritten", () => {
    fc.assert(fc.property(seed, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }), (s, writes) => {
      const b = s.slice();
      for (const [i, v] of writes) b[i % b.length] = v;
      parsesOrRejects(b);
    }), { numRuns: RUNS });
  });

  it("valid messages truncated anywhere, with and without TC", () => {
    fc.assert(fc.property(seed, fc.nat(), fc.boolean(), (s, cut, tc) => {
      const b = s.slice(0, cut % (s.length + 1));
      if (b.length > 2) b[2] = tc ? b[2] | 2 : b[2] & ~2;
      parsesOrRejects(b);
      if (tc && b.length >= 12) parseMessage(b); // TC: complete records only, never EBADMSG for a clean cut
    }), { numRuns: RUNS });
  });

  it("valid messages with inflated or random section counts", () => {
    fc.assert(fc.property(seed, fc.array(fc.nat(65535), { minLength: 4, maxLength: 4 }), (s, counts) => {
      const b = s.slice();
      for (let i = 0; i < 4; i++) { b[4 + 2 * i] = counts[i] >> 8; b[5 + 2 * i] = counts[i]; }
      parsesOrRejects(b);
    }), { numRuns: RUNS });
  });

  it("compression pointers to random offsets (self, cycles, forward, past the end)", () => {
    fc.assert(fc.property(seed, fc.nat(), fc.nat(0x3fff), (s, at, target) => {
      const b = s.slice();
      const i = 12 + at % Math.max(1, b.length - 13);
      b[i] = 0xc0 | target >> 8;
      b[i + 1] = target;
      parsesOrRejects(b);
      readersNeverThrow(b, i);
    }), { numRuns: RUNS });
  });

  it("pointer loops: self-pointers and two-cycles are EBADMSG, and the readers return", () => {
    fc.assert(fc.property(fc.nat(40), fc.boolean(), (gap, self) => {
      // question name at 12: either a pointer to itself, or label "a" -> pointer -> (gap) -> pointer back to the label
      const start = 12, b = new Uint8Array(start + gap + 12);
      b.set([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
      if (self) b.set([0xc0 | start >> 8, start & 255], start);
      else {
        const second = start + 4 + gap;
        b.set([1, 97, 0xc0 | second >> 8, second & 255], start);
        b.set([0xc0 | start >> 8, start & 255], second);
      }
      assert.throws(() => parseMessage(b), { code: "EBADMSG" });
      assert.equal(nameEquals(b, start, "a"), false);
    }), { numRuns: RUNS });
  });

  it("oversized labels and names: label lengths 0-255, 1-8 labels, and long pointer chains", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 8 }), fc.nat(300), (lengths, chain) => {
      const parts: number[] = [0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
      for (const l of lengths) { parts.push(l); for (let i = 0; i < (l & 63); i++) parts.push(97); }
      parts.push(0);
      // a chain of pointers, each to the one before it, ending at the name at 12
      for (let i = 0; i < chain; i++) {
        const prev = i ? parts.length - 2 : 12;
        parts.push(0xc0 | prev >> 8, prev & 255);
      }
      parts.push(0, 1, 0, 1);
      const b = new Uint8Array(parts);
      parsesOrRejects(b);
      // a length octet of 0xC0 or more is a pointer and ends the name: judge the labels before it
      const cut = lengths.findIndex((l) => l > 191), head = cut < 0 ? lengths : lengths.slice(0, cut);
      const wire = head.reduce((s, l) => s + (l & 63) + 1, 1);
      const plain = head.every((l) => l < 64);
      if (plain && wire <= 255 && cut < 0 && !chain) assert.equal(parseMessage(b).questions[0].name.length, wire - 2);
      // a bad label type, unless the name already ran past 255 octets before reaching it
      if (!plain) assert.throws(() => parseMessage(b), wire > 255 ? /label type|255/ : /label type/);
      // (a pointer right after 255 octets of labels may be refused for where it points first)
      if (plain && wire > 255) assert.throws(() => parseMessage(b), cut < 0 ? /255/ : /255|pointer/);
    }), { numRuns: RUNS, examples: [[[45, 27, 61, 17, 59, 40, 193], 0]] });
  });
});

describe("dns fuzz: encode then parse gives the message back", function () {
  this.timeout(60000);

  // labels of printable ASCII, including "." and "\" (escaped in text), 1-20 octets
  const label = fc.string({ unit: fc.constantFrom(..."abcXYZ09-_ .\\".split("")), minLength: 1, maxLength: 20 })
    .map((s) => s.replace(/\\/g, "\\\\").replace(/\./g, "\\."));
  const name = fc.array(fc.constantFrom("local", "Local", "_tcp", "cam", "a\\.b"), { maxLength: 3 })
    .chain((tail) => fc.array(label, { maxLength: 3 }).map((head) => head.concat(tail).join(".")));
  const octet = fc.nat(255);
  const record: fc.Arbitrary<ResourceRecord> = fc.tuple(name, fc.nat(0xffffffff), fc.boolean(), fc.oneof(
    fc.tuple(octet, octet, octet, octet).map((p) => [TYPE_A, p.join(".")] as const),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => [TYPE_AAAA, b] as const),
    name.map((n) => [TYPE_PTR, n] as const),
    name.map((n) => [TYPE_CNAME, n] as const),
    fc.tuple(fc.nat(65535), fc.nat(65535), fc.nat(65535), name).map(([priority, weight, port, target]) =>
      [TYPE_SRV, { priority, weight, port, target }] as const),
    fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 4 }).map((t) => [TYPE_TXT, t] as const),
    fc.tuple(name, fc.uniqueArray(fc.nat(1023), { minLength: 1, maxLength: 6 })).map(([next, types]) =>
      [TYPE_NSEC, { next, types: types.sort((x, y) => x - y) }] as const),
    fc.tuple(fc.integer({ min: 256, max: 65279 }), fc.uint8Array({ maxLength: 30 })).map(([t, d]) => [t, d] as const),
  )).map(([n, ttl, flush, [type, data]]) => ({
    name: n, type, rclass: 1, flush, ttl,
    data: type === TYPE_AAAA ? ipv6Text(data as Uint8Array) : data as any,
  }));

  it("random names (with escapes, mixed case) and records of every kind round-trip", () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 6 }), fc.array(record, { maxLength: 3 }), fc.nat(65535), (an, ar, id) => {
      const m: Message = { id, flags: 0x8400, questions: [], answers: an, authorities: [], additionals: ar };
      // names compare case-insensitively: a later "Local" may be a pointer to an earlier "local"
      assert.deepEqual(lowerNames(parseMessage(encodeMessage(m))), lowerNames(m));
    }), { numRuns: RUNS });
  });
});

function lowerNames(m: Message): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v) => (typeof v === "string" ? v.toLowerCase() : v instanceof Uint8Array ? [...v] : v)));
}

function ipv6Text(b: Uint8Array): string {
  // canonical text through the codec itself: a record's AAAA round trip must preserve it
  const m = parseMessage(encodeMessage({ answers: [{ name: "", type: 99, ttl: 0, data: b }] }));
  const raw = m.answers[0].data as Uint8Array;
  const enc = encodeMessage({ answers: [{ name: "", type: TYPE_AAAA, ttl: 0, data: "::" }] });
  enc.set(raw, enc.length - 16);
  return parseMessage(enc).answers[0].data as string;
}
