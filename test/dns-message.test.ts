// Unit tests of the DNS message codec (src/dns/message.ts) and the address helpers
// (src/dns/ip.ts), with dns-packet as an independent second implementation.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import {
  CLASS_IN, FLAG_AA, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_CNAME, TYPE_NS,
  TYPE_NSEC, TYPE_OPT, TYPE_PTR, TYPE_SOA, TYPE_SRV, TYPE_TXT, encodeMessage, nameEnd, nameEquals, opcode,
  parseMessage, rcode, readHeader, readName,
} from "../src/dns/message.ts";
import type { Message, ResourceRecord } from "../src/dns/message.ts";
import { ipv4ToText, ipv6ToText, textToIp } from "../src/dns/ip.ts";
import { buildBundle, loadBoards } from "../scripts/build.ts";
import { espruinoBinary, runOnEspruino } from "../scripts/lib/espruino-run.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const txt = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));

/** Asserts that parsing `b` throws an Error with code EBADMSG. */
function assertBadMessage(b: Uint8Array, why?: RegExp): void {
  assert.throws(() => parseMessage(b), (e: any) => {
    assert.ok(e instanceof Error);
    assert.equal((e as any).code, "EBADMSG");
    assert.match(e.message, /malformed DNS message/);
    if (why) assert.match(e.message, why);
    return true;
  });
}

/** A parsed record with the defaults the parser fills in. */
function rr(name: string, type: number, data: any, extra?: Partial<ResourceRecord>): ResourceRecord {
  return { name, type, rclass: 1, flush: false, ttl: 120, data, ...extra };
}

/** header + question "kitchen-cam.lan A" + three A answers whose names point at offset 12. */
const TYPICAL =
  "1234 8180 0001 0003 0000 0000" +
  "0b6b69746368656e2d63616d 036c616e 00 0001 0001" +
  "c00c 0001 0001 0000012c 0004 0a000001" +
  "c00c 0001 0001 0000012c 0004 0a000002" +
  "c00c 0001 0001 0000012c 0004 0a000003";

// One record of each type the codec decodes, as the parser returns them.
const EVERY_TYPE: ResourceRecord[] = [
  rr("a.example", TYPE_A, "192.0.2.7"),
  rr("a.example", TYPE_AAAA, "2001:db8::7"),
  rr("example", TYPE_NS, "ns1.example"),
  rr("www.example", TYPE_CNAME, "a.example"),
  rr("7.2.0.192.in-addr.arpa", TYPE_PTR, "a.example"),
  rr("_http._tcp.example", TYPE_SRV, { priority: 10, weight: 5, port: 8080, target: "a.example" }),
  rr("cam._http._tcp.example", TYPE_TXT, [txt("path=/"), txt(""), new Uint8Array([0, 255])]),
  rr("example", TYPE_SOA, {
    mname: "ns1.example", rname: "hostmaster.example", serial: 4294967295, refresh: 3600, retry: 600,
    expire: 86400, minimum: 300,
  }),
  rr("cam.local", TYPE_NSEC, { next: "cam.local", types: [TYPE_A, TYPE_TXT, TYPE_AAAA, TYPE_SRV, 1234] }, { flush: true }),
  // OPT as on the wire (RFC 6891 §6.1.3): the class is the UDP size, the TTL holds DO (0x8000), the rdata its options
  rr("", TYPE_OPT, bytes("000a0002abcd"), { rclass: 1232, ttl: 0x8000 }),
  rr("a.example", 65280, new Uint8Array([1, 2, 3])),
];

describe("dns message: encode and parse", () => {
  it("encodes a typical response to the exact RFC 1035 §4.1 bytes, answer names as pointers to the question (§4.1.4)", () => {
    const m = encodeMessage({
      id: 0x1234, flags: FLAG_QR | FLAG_RD | FLAG_RA,
      questions: [{ name: "kitchen-cam.lan", type: TYPE_A }],
      answers: [1, 2, 3].map((i) => ({ name: "kitchen-cam.lan", type: TYPE_A, ttl: 300, data: "10.0.0." + i })),
    });
    assert.equal(hex(m), hex(bytes(TYPICAL)));
  });

  it("parses the typical response: header, question, three answers, class and bits split", () => {
    const m = parseMessage(bytes(TYPICAL));
    assert.deepEqual(m, {
      id: 0x1234, flags: 0x8180,
      questions: [{ name: "kitchen-cam.lan", type: 1, qclass: 1, qu: false }],
      answers: [1, 2, 3].map((i) => rr("kitchen-cam.lan", 1, "10.0.0." + i, { ttl: 300 })),
      authorities: [], additionals: [],
    });
  });

  it("round-trips one record of every type (A, AAAA, NS, CNAME, PTR, SRV, TXT, SOA, NSEC, OPT, unknown)", () => {
    for (const r of EVERY_TYPE) {
      const back = parseMessage(encodeMessage({ answers: [r] }));
      assert.deepEqual(back.answers, [r], "type " + r.type);
    }
    const all = parseMessage(encodeMessage({ id: 7, flags: FLAG_QR | FLAG_AA, answers: EVERY_TYPE.slice(0, 4),
      authorities: EVERY_TYPE.slice(4, 8), additionals: EVERY_TYPE.slice(8) }));
    assert.deepEqual([all.answers, all.authorities, all.additionals], [EVERY_TYPE.slice(0, 4), EVERY_TYPE.slice(4, 8), EVERY_TYPE.slice(8)]);
  });

  it("compresses names (RFC 1035 §4.1.4): repeated names and shared suffixes become 2-byte pointers", () => {
    const names = ["cam._http._tcp.local", "other._http._tcp.local", "_http._tcp.local", "cam.local"];
    const m: Partial<Message> = { answers: names.map((n) => rr(n, TYPE_PTR, n)) };
    const ours = encodeMessage(m);
    const plain = dnsPacket.encode({ answers: names.map((n) => ({ name: n, type: "PTR", ttl: 120, data: n })) });
    // uncompressed: every name spelled out twice (owner + rdata); compressed: each label once
    assert.equal(plain.length, 12 + names.reduce((s, n) => s + 2 * (n.length + 2) + 10, 0));
    // header; "cam._http._tcp.local" in full (22) + pointer rdata; "other"+pointer; pointer; "cam"+pointer
    assert.equal(ours.length, 12 + (22 + 10 + 2) + (6 + 2 + 10 + 2) + (2 + 10 + 2) + (4 + 2 + 10 + 2));
    assert.deepEqual(parseMessage(ours).answers.map((r) => [r.name, r.data]), names.map((n) => [n, n]));
    assert.deepEqual(dnsPacket.decode(Buffer.from(ours)).answers.map((r) => [r.name, r.data]), names.map((n) => [n, n]));
  });

  it("matches suffixes case-insensitively when compressing (RFC 1035 §2.3.3), keeping the first spelling on the wire", () => {
    const m = encodeMessage({ questions: [{ name: "Cam.LOCAL", type: TYPE_A }], answers: [rr("cam.local", TYPE_A, "10.0.0.1")] });
    assert.equal(m.length, 12 + 11 + 4 + 2 + 10 + 4);
    assert.equal(parseMessage(m).answers[0].name, "Cam.LOCAL");
  });

  it("only writes pointers below 0x4000 (14-bit offsets): a name first written past 16 KB is repeated in full", () => {
    const big = new Uint8Array(17000);
    const m = encodeMessage({ answers: [rr("big.example", 65280, big), rr("late.test", TYPE_A, "10.0.0.1"), rr("late.test", TYPE_A, "10.0.0.2")] });
    const lateTwice = hex(m).split(hex(txt("\x04late\x04test\x00"))).length - 1;
    assert.equal(lateTwice, 2);
    const back = parseMessage(m);
    assert.deepEqual(back.answers.slice(1).map((r) => r.name), ["late.test", "late.test"]);
    assert.equal(dnsPacket.decode(Buffer.from(m)).answers[2].name, "late.test");
  });

  it("writes the root name as one zero octet and accepts a trailing dot (RFC 1035 §3.1)", () => {
    const m = encodeMessage({ questions: [{ name: "", type: TYPE_NS }, { name: ".", type: TYPE_NS }, { name: "a.b.", type: TYPE_A }] });
    assert.equal(hex(m.subarray(12)), "00000200010000020001" + "0161016200" + "00010001");
    assert.deepEqual(parseMessage(m).questions.map((q) => q.name), ["", "", "a.b"]);
  });

  it("escapes a dot or backslash inside a label as \\. and \\\\ (RFC 1035 §5.1), both ways", () => {
    const m = encodeMessage({ answers: [rr("My\\.Cam v1\\\\2._http._tcp.local", TYPE_TXT, [txt("x")])] });
    assert.equal(hex(m.subarray(12, 12 + 13)), hex(txt("\x0bMy.Cam v1\\2\x05")));
    assert.equal(parseMessage(m).answers[0].name, "My\\.Cam v1\\\\2._http._tcp.local");
    // dns-packet does not escape: it sees the label text joined with dots
    assert.equal(dnsPacket.decode(Buffer.from(m)).answers[0].name, "My.Cam v1\\2._http._tcp.local");
  });

  it("keeps non-ASCII label octets as one character per octet (UTF-8 names as their bytes, RFC 6762 §16)", () => {
    const utf8 = Buffer.from("café", "utf8").toString("latin1");
    const m = encodeMessage({ questions: [{ name: utf8 + ".local", type: TYPE_A }] });
    assert.equal(hex(m.subarray(12, 18)), "05636166c3a9");
    assert.equal(parseMessage(m).questions[0].name, utf8 + ".local");
    assert.equal(dnsPacket.decode(Buffer.from(m)).questions[0].name, "café.local");
  });

  it("sets and reads the mDNS QU bit (RFC 6762 §5.4) and cache-flush bit (§10.2) as the top bit of the class", () => {
    const m = encodeMessage({
      questions: [{ name: "cam.local", type: TYPE_ANY, qu: true }],
      authorities: [rr("cam.local", TYPE_A, "10.0.0.9")],
      answers: [rr("cam.local", TYPE_A, "10.0.0.9", { flush: true })],
    });
    assert.equal(hex(m.subarray(12 + 11, 12 + 15)), "00ff8001");
    assert.equal(hex(m.subarray(12 + 15 + 2, 12 + 15 + 6)), "00018001");
    const back = parseMessage(m);
    assert.deepEqual(back.questions[0], { name: "cam.local", type: TYPE_ANY, qclass: CLASS_IN, qu: true });
    assert.equal(back.answers[0].flush, true);
    assert.equal(back.answers[0].rclass, CLASS_IN);
    assert.equal(back.authorities[0].flush, false);
  });

  it("reads header fields and flag helpers (RFC 1035 §4.1.1)", () => {
    const h = readHeader(bytes("abcd 8583 0001 0002 0003 0004"));
    assert.deepEqual(h, { id: 0xabcd, flags: 0x8583, qd: 1, an: 2, ns: 3, ar: 4 });
    assert.equal(rcode(h.flags), 3);
    assert.equal(opcode(0x2800), 5);
    assert.ok(h.flags & FLAG_QR && h.flags & FLAG_AA && h.flags & FLAG_RD && !(h.flags & FLAG_TC));
    assert.throws(() => readHeader(new Uint8Array(11)), { code: "EBADMSG" });
  });

  it("defaults id, flags, class and sections when encoding a query", () => {
    const m = encodeMessage({ questions: [{ name: "x.test", type: TYPE_AAAA }] });
    assert.equal(hex(m), "000000000001000000000000" + "017804746573740000" + "1c0001");
  });

  it("ignores bytes after the last record (protocols.md §2.3)", () => {
    const b = new Uint8Array([...bytes(TYPICAL), 1, 2, 3]);
    assert.equal(parseMessage(b).answers.length, 3);
  });
});

describe("dns message: malformed input is EBADMSG (RFC 1035 §4.1.4, protocols.md §2.3)", () => {
  const header = (qd: number, an: number, flags = "8180"): string =>
    "0001" + flags + ("000" + qd.toString(16)).slice(-4) + ("000" + an.toString(16)).slice(-4) + "00000000";

  it("rejects a message shorter than the 12-byte header", () => {
    assertBadMessage(new Uint8Array(0), /short header/);
    assertBadMessage(bytes("0001 8180 0000 0000 0000 00"));
  });

  it("rejects a pointer to itself", () => assertBadMessage(bytes(header(1, 0) + "c00c 0001 0001"), /pointer/));

  it("rejects a two-pointer cycle (A -> B -> A)", () => {
    // name at 12: label "a" then pointer to 17; at 17: pointer back to 12
    assertBadMessage(bytes(header(1, 0) + "0161 c011 00 c00c 0001 0001"), /pointer/);
  });

  it("rejects a forward pointer and a pointer into the name being read", () => {
    assertBadMessage(bytes(header(1, 0) + "c010 0000 0161 00 0001 0001"), /pointer/);
    assertBadMessage(bytes(header(1, 0) + "0161 c00c 0001 0001"), /pointer/);
  });

  it("rejects the reserved label types 01 (0x40) and 10 (0x80)", () => {
    assertBadMessage(bytes(header(1, 0) + "41 61 00 0001 0001"), /label type/);
    assertBadMessage(bytes(header(1, 0) + "80 61 00 0001 0001"), /label type/);
  });

  it("rejects a name over 255 octets, also when reached through pointers", () => {
    const label = "3f" + "61".repeat(63);
    assertBadMessage(bytes(header(1, 0) + label.repeat(4) + "00 0001 0001"), /255/);
    // 3 labels of 63 (193 octets) written at 12; then "b"x63 + pointer to 12 = 64 + 193 > 255
    const first = label.repeat(3) + "00 0001 0001";
    assertBadMessage(bytes(header(2, 0) + first + "3f" + "62".repeat(63) + "c00c 0001 0001"), /255/);
    // exactly 255 is fine: 3 x (1 + 63) + (1 + 61) + the root octet
    const ok = label.repeat(3) + "3d" + "61".repeat(61) + "00 0001 0001";
    assert.equal(parseMessage(bytes(header(1, 0) + ok)).questions[0].name.length, 63 * 3 + 61 + 3);
  });

  it("rejects names, questions and records that run past the end", () => {
    assertBadMessage(bytes(header(1, 0) + "0561 62"), /past end/);
    assertBadMessage(bytes(header(1, 0) + "0161 00 0001"), /past end/);
    assertBadMessage(bytes(header(1, 1) + "0161 00 0001 0001 c00c 0001 0001 0000"), /past end/);
    assertBadMessage(bytes(header(1, 1) + "0161 00 0001 0001 c00c 0001 0001 00000001 0005 0a000001"), /past end/);
  });

  it("rejects section counts larger than the records present (count inflation)", () => {
    const b = bytes(TYPICAL);
    b[7] = 4;
    assertBadMessage(b, /past end/);
  });

  it("returns only the complete records of a truncated message when TC is set (RFC 2181 §9)", () => {
    const b = bytes(TYPICAL);
    b[2] |= FLAG_TC >> 8;
    const m = parseMessage(b.subarray(0, b.length - 5));
    assert.equal(m.answers.length, 2);
    assert.equal(m.flags & FLAG_TC, FLAG_TC);
    // a bad pointer is still an error with TC set
    const loop = bytes(header(1, 0, "8380") + "c00c 0001 0001");
    assertBadMessage(loop, /pointer/);
  });

  it("rejects RDLENGTH that does not match the type (A=4, AAAA=16, names, SOA, SRV)", () => {
    const q = "0161 00 0001 0001";
    assertBadMessage(bytes(header(1, 1) + q + "c00c 0001 0001 00000001 0005 0a00000101"), /rdata length/);
    assertBadMessage(bytes(header(1, 1) + q + "c00c 001c 0001 00000001 0004 0a000001"), /rdata length/);
    assertBadMessage(bytes(header(1, 1) + q + "c00c 0005 0001 00000001 0003 c00c 00"), /rdata length/);
    assertBadMessage(bytes(header(1, 1) + q + "c00c 0021 0001 00000001 0006 000100010050"), /rdata length/);
    assertBadMessage(bytes(header(1, 1) + q + "c00c 0006 0001 00000001 0006 c00c c00c 0000"), /rdata length/);
  });

  it("rejects a TXT string that runs past its record and a malformed NSEC bitmap (RFC 4034 §4.1.2)", () => {
    const q = "0161 00 0001 0001";
    assertBadMessage(bytes(header(1, 1) + q + "c00c 0010 0001 00000001 0003 0561 6263 00"), /rdata length/);
    assertBadMessage(bytes(header(1, 1) + q + "c00c 002f 0001 00000001 0005 c00c 0000 40"), /NSEC/);
    assertBadMessage(bytes(header(1, 1) + q + "c00c 002f 0001 00000001 0008 c00c 0001 40 0001 40"), /NSEC/);
  });
});

describe("dns message: low-level readers for the mDNS fast path", () => {
  const b = bytes(TYPICAL);

  it("readName follows pointers and returns the offset after the in-place part", () => {
    assert.deepEqual(readName(b, 12), ["kitchen-cam.lan", 29]);
    assert.deepEqual(readName(b, 33), ["kitchen-cam.lan", 35]);
    assert.throws(() => readName(b, 200), { code: "EBADMSG" });
  });

  it("nameEnd skips a name without decoding it; -1 when malformed", () => {
    assert.equal(nameEnd(b, 12), 29);
    assert.equal(nameEnd(b, 33), 35);
    assert.equal(nameEnd(bytes("0561"), 0), -1);
    assert.equal(nameEnd(bytes("4100"), 0), -1);
    assert.equal(nameEnd(bytes("c0"), 0), -1);
  });

  it("nameEquals compares case-insensitively through pointers (RFC 6762 §16) and never throws", () => {
    const m = encodeMessage({ questions: [{ name: "Kitchen-CAM.local", type: TYPE_A }, { name: "x.kitchen-cam.LOCAL", type: TYPE_A }] });
    assert.equal(nameEquals(m, 12, "kitchen-cam.local"), true);
    assert.equal(nameEquals(m, 12, "kitchen-cam.loca"), false);
    assert.equal(nameEquals(m, 12, "kitchen-cam"), false);
    assert.equal(nameEquals(m, 12, "kitchen-cax.local"), false);
    const second = nameEnd(m, 12) + 4;
    assert.equal(nameEquals(m, second, "x.kitchen-cam.local"), true);
    assert.equal(nameEquals(m, second + 2, "kitchen-cam.local"), true); // the pointer itself
    assert.equal(nameEquals(bytes("0161 c000"), 0, "a.b"), false);
    assert.equal(nameEquals(bytes("00"), 0, ""), true);
    const esc = encodeMessage({ questions: [{ name: "a\\.b.local", type: TYPE_A }] });
    assert.equal(nameEquals(esc, 12, "a\\.b.local"), true);
    assert.equal(nameEquals(esc, 12, "a.b.local"), false);
  });
});

describe("dns message: encode errors are EINVAL", () => {
  const bad = (m: Partial<Message>, why: RegExp): void => {
    assert.throws(() => encodeMessage(m), (e: any) => e instanceof Error && (e as any).code === "EINVAL" && why.test(e.message));
  };
  it("rejects labels over 63 octets, empty labels and names over 255 octets (RFC 1035 §2.3.4)", () => {
    bad({ questions: [{ name: "a".repeat(64) + ".test", type: 1 }] }, /label/);
    bad({ questions: [{ name: "a..test", type: 1 }] }, /label/);
    bad({ questions: [{ name: ".test", type: 1 }] }, /label/);
    bad({ questions: [{ name: ("a".repeat(63) + ".").repeat(4), type: 1 }] }, /255/);
    bad({ questions: [{ name: "x", type: 1 }, { name: "a".repeat(60) + "." + ("a".repeat(63) + ".").repeat(3) + "x", type: 1 }] }, /255/);
  });
  it("rejects address text that is not an address, oversized TXT strings and missing rdata", () => {
    bad({ answers: [rr("x", TYPE_A, "1.2.3")] }, /bad address 1\.2\.3$/);
    bad({ answers: [rr("x", TYPE_AAAA, "1.2.3.4")] }, /bad address 1\.2\.3\.4/);
    bad({ answers: [rr("x", TYPE_TXT, [new Uint8Array(256)])] }, /TXT/);
    bad({ answers: [rr("x", TYPE_SRV, undefined)] }, /cannot encode/);
    bad({ questions: [{ name: "caf\u20ac", type: 1 }] }, /0xFF/);
  });
  it("still encodes correctly after a failed encode (the shared buffer is reset)", () => {
    bad({ answers: [rr("x", TYPE_A, "nope")] }, /bad address/);
    assert.deepEqual(parseMessage(encodeMessage({ answers: [rr("y", TYPE_A, "1.2.3.4")] })).answers, [rr("y", TYPE_A, "1.2.3.4")]);
  });
});

describe("dns message: cross-checked against dns-packet", () => {
  // dns-packet's view of each record in EVERY_TYPE, except OPT (checked apart)
  const theirs: any[] = [
    { name: "a.example", type: "A", ttl: 120, data: "192.0.2.7" },
    { name: "a.example", type: "AAAA", ttl: 120, data: "2001:db8::7" },
    { name: "example", type: "NS", ttl: 120, data: "ns1.example" },
    { name: "www.example", type: "CNAME", ttl: 120, data: "a.example" },
    { name: "7.2.0.192.in-addr.arpa", type: "PTR", ttl: 120, data: "a.example" },
    { name: "_http._tcp.example", type: "SRV", ttl: 120, data: { priority: 10, weight: 5, port: 8080, target: "a.example" } },
    { name: "cam._http._tcp.example", type: "TXT", ttl: 120, data: [Buffer.from("path=/"), Buffer.alloc(0), Buffer.from([0, 255])] },
    { name: "example", type: "SOA", ttl: 120, data: EVERY_TYPE[7].data },
    { name: "cam.local", type: "NSEC", ttl: 120, flush: true, data: { nextDomain: "cam.local", rrtypes: ["A", "TXT", "AAAA", "SRV", "UNKNOWN_1234"] } },
  ];

  it("dns-packet decodes what we encode, for every type it supports", () => {
    for (let i = 0; i < theirs.length; i++) {
      const d = dnsPacket.decode(Buffer.from(encodeMessage({ id: 9, flags: FLAG_QR, answers: [EVERY_TYPE[i]] })));
      const a: any = d.answers[0];
      assert.deepEqual({ name: a.name, type: a.type, ttl: a.ttl, flush: a.flush, data: a.data },
        { flush: false, ...theirs[i] }, theirs[i].type);
    }
    const opt: any = dnsPacket.decode(Buffer.from(encodeMessage({ additionals: [EVERY_TYPE[9]] }))).additionals[0];
    assert.deepEqual([opt.type, opt.udpPayloadSize, opt.flags, opt.ednsVersion, opt.options[0].code, hex(opt.options[0].data)],
      ["OPT", 1232, 0x8000, 0, 10, "abcd"]);
  });

  it("we decode what dns-packet encodes, for every type it supports", () => {
    for (let i = 0; i < theirs.length; i++) {
      const b = dnsPacket.encode({ type: "response", id: 9, answers: [theirs[i]] });
      assert.deepEqual(parseMessage(new Uint8Array(b)).answers, [EVERY_TYPE[i]], theirs[i].type);
    }
    const b = dnsPacket.encode({ additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: 0x8000, options: [{ code: 10, data: Buffer.from([0xab, 0xcd]) }] }] });
    assert.deepEqual(parseMessage(new Uint8Array(b)).additionals, [EVERY_TYPE[9]]);
  });

  it("agrees on header flags and questions", () => {
    const b = dnsPacket.encode({ type: "response", id: 65535, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
      questions: [{ name: "kitchen-cam.lan", type: "AAAA" }] });
    const m = parseMessage(new Uint8Array(b));
    assert.deepEqual([m.id, m.flags], [65535, FLAG_QR | FLAG_AA | FLAG_RD]);
    assert.deepEqual(m.questions, [{ name: "kitchen-cam.lan", type: TYPE_AAAA, qclass: 1, qu: false }]);
  });

  it("reads dns-packet's cache-flush bit and writes one dns-packet reads (RFC 6762 §10.2)", () => {
    const b = dnsPacket.encode({ answers: [{ name: "cam.local", type: "A", ttl: 120, flush: true, data: "10.0.0.9" }] });
    assert.equal(parseMessage(new Uint8Array(b)).answers[0].flush, true);
    const ours = encodeMessage({ answers: [rr("cam.local", TYPE_A, "10.0.0.9", { flush: true })] });
    assert.equal((dnsPacket.decode(Buffer.from(ours)).answers[0] as any).flush, true);
  });

  it("reads the QU bit dns-packet cannot express (set by a byte patch, QU_MASK = 1 << 15; protocols.md §6.6)", () => {
    const b = new Uint8Array(dnsPacket.encode({ questions: [{ name: "cam.local", type: "ANY" }] }));
    b[b.length - 2] |= 0x80; // QU_MASK on the qclass
    assert.deepEqual(parseMessage(b).questions[0], { name: "cam.local", type: TYPE_ANY, qclass: 1, qu: true });
    // and dns-packet's own decoder shows the class we write as the raw 0x8001
    const ours = encodeMessage({ questions: [{ name: "cam.local", type: TYPE_ANY, qu: true }] });
    assert.equal(dnsPacket.decode(Buffer.from(ours)).questions[0].class, "UNKNOWN_32769");
  });
});

describe("dns ip: address text (RFC 5952, strict dotted quad)", () => {
  const v6 = (t: string): string => ipv6ToText(textToIp(t, 1)!);

  it("prints IPv6 per RFC 5952 §4: lowercase, no leading zeros, longest zero run as ::, first on a tie, not for one group", () => {
    assert.equal(v6("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
    assert.equal(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    assert.equal(v6("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
    assert.equal(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
    assert.equal(v6("::"), "::");
    assert.equal(v6("::1"), "::1");
    assert.equal(v6("1::"), "1::");
    assert.equal(v6("fe80::1:2"), "fe80::1:2");
  });

  it("prints IPv4-mapped addresses as ::ffff:a.b.c.d (RFC 5952 §5) and reads trailing dotted quads", () => {
    assert.equal(v6("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
    assert.equal(v6("::FFFF:c000:0201"), "::ffff:192.0.2.1");
    assert.equal(hex(textToIp("64:ff9b::192.0.2.33", 1)!), "0064ff9b0000000000000000c0000221");
  });

  it("agrees with Node's own formatting on random addresses", async () => {
    const { isIPv6 } = await import("node:net");
    for (let i = 0; i < 500; i++) {
      const b = new Uint8Array(16).map(() => (Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 256)));
      const t = ipv6ToText(b);
      assert.ok(isIPv6(t), t);
      assert.deepEqual(textToIp(t, 1), b, t);
      assert.equal(new URL("http://[" + t + "]/").hostname, "[" + t + "]", t);
    }
  });

  it("rejects malformed IPv6 text", () => {
    for (const t of ["", ":", ":::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "g::", "1:2:3:4:5:6:7::8",
      "::1.2.3", "::1.2.3.4:5", "1.2.3.4::", "-1::", "+1::", "0x1::", " ::1", "fe80::1%eth0", ":1::", "1::2:"]) {
      assert.equal(textToIp(t, 1), null, JSON.stringify(t));
    }
    assert.notEqual(textToIp("1:2:3:4:5:6:7::", 1), null);
  });

  it("reads and prints strict dotted-quad IPv4 only", () => {
    assert.deepEqual(textToIp("192.168.1.254"), new Uint8Array([192, 168, 1, 254]));
    assert.deepEqual(textToIp("0.0.0.0"), new Uint8Array(4));
    assert.equal(ipv4ToText(new Uint8Array([9, 9, 10, 0, 0, 255]), 2), "10.0.0.255");
    for (const t of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-1", "1.2.3.4 ", "1e2.1.1.1", "0x1.1.1.1", "+1.1.1.1", "1..2.3", "1:2.3.4.5", "::1.2.3.4"]) {
      assert.equal(textToIp(t), null, JSON.stringify(t));
    }
  });
});

describe("dns message: the same results on the real Espruino interpreter", function () {
  this.timeout(60000);
  it("encode, parse, errors and address text print the same lines on Node and on the interpreter (test/fixtures/dns-same.ts)", async function () {
    const bin = espruinoBinary();
    if (!bin) this.skip(); // set ESPRUINO_BIN to the Linux build to run this
    const linux = loadBoards().find((b) => b.id === "linux")!;
    const code = (await buildBundle({ entry: "test/fixtures/dns-same.ts", board: linux, label: "dns-same.js" })).minified;
    const node: string[] = [];
    new Function("print", code)((s: string) => node.push(s));
    assert.equal(node.length, 17);
    assert.match(node[1], /"data":"2001:db8::7"/);
    assert.deepEqual(runOnEspruino(bin!, code + "\nsetTimeout(function(){quit();}, 100);\n"), node);
  });
});
