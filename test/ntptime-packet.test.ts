// Pure SNTP functions: reply reading and era arithmetic (the request bytes, offset and
// delay are checked through the client in test/ntptime.test.ts).

import assert from "node:assert/strict";
import { readReply, timestampMs } from "../src/ntptime/packet.ts";
import { buildReply, ERA1_MS, ntpTimestamp } from "./ntptime-fake.ts";

const BUILD = Date.parse("2025-06-01T00:00:00Z");
const nonce = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

/** timestampMs over the 8 bytes of (seconds, fraction), read at an offset. */
function ntpToUnixMs(seconds: number, fraction: number, pivot: number): number {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(5, seconds);
  v.setUint32(9, fraction);
  return timestampMs(b, 5, pivot);
}

function ntpToUnixViaBytes(ms: number, pivot = BUILD): number {
  return timestampMs(ntpTimestamp(ms), 0, pivot);
}

describe("ntptime packet", () => {
  describe("timestampMs", () => {
    it("a known era-0 time: 2024-01-01T00:00:00Z is NTP 3913056000", () => {
      assert.equal(ntpToUnixMs(3913056000, 0, BUILD), Date.parse("2024-01-01T00:00:00Z"));
    });
    it("the fraction gives sub-millisecond precision", () => {
      assert.equal(ntpToUnixMs(3913056000, 0x80000000, BUILD), Date.parse("2024-01-01T00:00:00Z") + 500);
      const q = ntpToUnixMs(3913056000, 1073742, BUILD) - Date.parse("2024-01-01T00:00:00Z");
      assert.ok(Math.abs(q - 0.25) < 1e-3, `${q}`);
    });
    it("the 2036 rollover: seconds 0xffffffff is 06:28:15Z, 0 is 06:28:16Z (era 1), 4 is 06:28:20Z", () => {
      assert.equal(ntpToUnixMs(0xffffffff, 0, BUILD), ERA1_MS - 1000);
      assert.equal(ntpToUnixMs(0, 0x80000000, BUILD), ERA1_MS + 500);
      assert.equal(ntpToUnixMs(4, 0, BUILD), ERA1_MS + 4000);
      assert.equal(new Date(ntpToUnixMs(0, 0x80000000, BUILD)).toISOString(), "2036-02-07T06:28:16.500Z");
    });
    it("an all-zero timestamp is 'unknown': 0", () => {
      assert.equal(ntpToUnixMs(0, 0, BUILD), 0);
      assert.equal(ntpToUnixMs(0, 1, BUILD), ERA1_MS + 1000 / 2 ** 32);
    });
    it("a pivot half an era away: the tie goes to the earlier era", () => {
      const pivot = (3913056000 - 2208988800 + 2 ** 31) * 1000; // 2^31 s after 2024-01-01
      assert.equal(ntpToUnixMs(3913056000, 0, pivot), Date.parse("2024-01-01T00:00:00Z"));
      assert.equal(ntpToUnixMs(3913056000, 0, pivot + 1000), Date.parse("2024-01-01T00:00:00Z") + 2 ** 32 * 1000);
    });
    it("RFC 4330 §3 rule for a 2025 pivot: top bit set -> 1968-2036, clear -> 2036-2093", () => {
      for (let i = 0; i < 2000; i++) {
        const s = Math.floor(((i * 2654435761) % 4294967296));
        const ms = ntpToUnixMs(s, 0, BUILD);
        const era0 = (s - 2208988800) * 1000;
        if (s >= 0x80000000) assert.equal(ms, era0, `s=${s}`);
        else if (ms > BUILD) assert.equal(ms, era0 + 4294967296000, `s=${s}`);
      }
    });
    it("round-trips every date within 68 years of the pivot, whatever the pivot", () => {
      for (const pivot of [BUILD, ERA1_MS + 10e3, Date.parse("2100-01-01T00:00:00Z")]) {
        for (const offsetYears of [-67, -10, -1, 0, 1, 10, 67]) {
          const t = pivot + offsetYears * 365.25 * 86400e3 + 123.5;
          assert.ok(Math.abs(ntpToUnixViaBytes(t, pivot) - t) < 0.001, `${new Date(pivot).toISOString()} ${offsetYears}`);
        }
      }
    });
    it("after 2104 with a later pivot (the clock): era 1 and 2 both work", () => {
      const t = Date.parse("2110-05-05T05:05:05Z");
      assert.equal(ntpToUnixViaBytes(t, Date.parse("2105-01-01T00:00:00Z")), t);
    });
  });

  describe("readReply", () => {
    const t2 = Date.parse("2026-03-01T12:00:00.010Z");
    const t3 = t2 + 1.5;
    it("a good reply gives [T2, T3]", () => {
      const r = readReply(buildReply({ origin: nonce, t2, t3 }), nonce, BUILD) as number[];
      assert.ok(Array.isArray(r));
      assert.ok(Math.abs(r[0] - t2) < 1e-3 && Math.abs(r[1] - t3) < 1e-3);
    });
    it("version 3 is accepted (chrony answers a v3 request with v3)", () => {
      assert.ok(Array.isArray(readReply(buildReply({ origin: nonce, t2, t3, vn: 3 }), nonce, BUILD)));
    });
    it("longer datagrams (extension fields, MAC) are read by their first 48 bytes", () => {
      const long = new Uint8Array(68);
      long.set(buildReply({ origin: nonce, t2, t3 }));
      assert.ok(Array.isArray(readReply(long, nonce, BUILD)));
    });
    it("stratum 1 and 15 are usable, LI 0-2 are usable", () => {
      for (const stratum of [1, 15]) assert.ok(Array.isArray(readReply(buildReply({ origin: nonce, t2, t3, stratum }), nonce, BUILD)));
      for (const li of [0, 1, 2]) assert.ok(Array.isArray(readReply(buildReply({ origin: nonce, t2, t3, li }), nonce, BUILD)));
    });
    it("Kiss-o'-Death codes: RATE, DENY, RSTR; other stratum-0 codes are just ignored", () => {
      for (const k of ["RATE", "DENY", "RSTR"]) assert.equal(readReply(buildReply({ origin: nonce, t2, t3, stratum: 0, refid: k }), nonce, BUILD), k);
      for (const k of ["INIT", "STEP", "rate", "\0\0\0\0", "RAT\0", " DENY"]) assert.equal(readReply(buildReply({ origin: nonce, t2, t3, stratum: 0, refid: k }), nonce, BUILD), "");
    });
    it("a KoD must still answer our request (mode 4, our nonce)", () => {
      assert.equal(readReply(buildReply({ origin: new Uint8Array(8), t2, t3, stratum: 0, refid: "DENY" }), nonce, BUILD), "");
      assert.equal(readReply(buildReply({ origin: nonce, t2, t3, stratum: 0, refid: "DENY", mode: 3 }), nonce, BUILD), "");
    });
    const bad: Array<[string, Parameters<typeof buildReply>[0]]> = [
      ["mode 3", { origin: nonce, t2, t3, mode: 3 }],
      ["mode 5", { origin: nonce, t2, t3, mode: 5 }],
      ["version 2", { origin: nonce, t2, t3, vn: 2 }],
      ["version 5", { origin: nonce, t2, t3, vn: 5 }],
      ["version 0", { origin: nonce, t2, t3, vn: 0 }],
      ["other nonce", { origin: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 9]), t2, t3 }],
      ["stratum 16", { origin: nonce, t2, t3, stratum: 16 }],
      ["stratum 255", { origin: nonce, t2, t3, stratum: 255 }],
      ["LI 3", { origin: nonce, t2, t3, li: 3 }],
      ["zero transmit", { origin: nonce, t2, t3: null }],
      ["zero receive", { origin: nonce, t2: null, t3 }],
    ];
    for (const [name, f] of bad) it(`ignored: ${name}`, () => assert.equal(readReply(buildReply(f), nonce, BUILD), ""));
    it("ignored: shorter than 48 bytes", () => {
      for (let n = 0; n < 48; n++) assert.equal(readReply(buildReply({ origin: nonce, t2, t3 }).subarray(0, n), nonce, BUILD), "");
    });
    it("a subarray view at an offset is read correctly", () => {
      const big = new Uint8Array(100);
      big.set(buildReply({ origin: nonce, t2, t3 }), 13);
      const r = readReply(big.subarray(13, 61), nonce, BUILD) as number[];
      assert.ok(Math.abs(r[1] - t3) < 1e-3);
    });
  });
});
