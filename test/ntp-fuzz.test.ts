// Fuzz: the SNTP reply reader and the client take random and mutated datagrams without
// throwing, and never set the clock from a datagram that is not a valid answer.

import assert from "node:assert/strict";
import fc from "fast-check";
import { createNtp } from "../src/ntptime/index.ts";
import { readReply } from "../src/ntptime/packet.ts";
import { buildReply, Lab } from "./ntptime-fake.ts";

const BUILD = Date.parse("2025-06-01T00:00:00Z");
const nonce = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);
const valid = buildReply({ origin: nonce, t2: Date.parse("2026-01-01T00:00:00Z"), t3: Date.parse("2026-01-01T00:00:00.002Z") });

function checkResult(r: unknown): void {
  if (typeof r == "string") assert.ok(["", "RATE", "DENY", "RSTR"].includes(r), JSON.stringify(r));
  else {
    assert.ok(Array.isArray(r) && r.length == 2, "[T2, T3]");
    for (const t of r) assert.ok(Number.isFinite(t) && t != 0, `${t}`);
  }
}

const mutated = fc
  .array(fc.tuple(fc.nat(67), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
  .chain((edits) =>
    fc.integer({ min: 0, max: 68 }).map((len) => {
      const b = new Uint8Array(len);
      b.set(valid.subarray(0, Math.min(48, len)));
      for (const [i, v] of edits) if (i < len) b[i] = v;
      return b;
    })
  );

describe("ntptime fuzz", () => {
  it("readReply: random 0-100 bytes never throw and give '' , a kiss code or [T2, T3]", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 4e12 }), (b, n, pivot) => {
        checkResult(readReply(b, n, pivot));
      }),
      { numRuns: 3000 }
    );
  });

  it("readReply: mutated valid replies never throw; a usable one keeps the checked fields", () => {
    fc.assert(
      fc.property(mutated, (b) => {
        const r = readReply(b, nonce, BUILD);
        checkResult(r);
        if (Array.isArray(r)) {
          assert.ok(b.length >= 48);
          assert.ok((b[0] & 7) == 4 && [3, 4].includes((b[0] >> 3) & 7) && b[0] >> 6 != 3);
          assert.ok(b[1] >= 1 && b[1] <= 15);
          assert.deepEqual(b.subarray(24, 32), nonce);
          for (const t of r) assert.ok(Math.abs(t - BUILD) < 68.1 * 365.25 * 86400e3, "within the pivot's era window");
        }
      }),
      { numRuns: 3000 }
    );
  });

  it("client: random and mutated datagrams from the server set the clock only when valid, and leak nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 100 }), mutated), { maxLength: 4 }), async (datagrams) => {
        const lab = new Lab();
        const ntp = createNtp(lab.deps());
        ntp.host = "10.0.0.1";
        let validSent = 0;
        lab.servers["10.0.0.1"] = (req, deliver) => {
          datagrams.forEach((d, i) => {
            // put our nonce in the datagrams that look like mutated replies
            const b = d.slice();
            if (b.length >= 32 && b[24] == nonce[0] && b[25] == nonce[1]) b.set(req.nonce, 24);
            const r = readReply(b, req.nonce, lab.buildTimeMs);
            if (Array.isArray(r) && r[1] >= lab.buildTimeMs) validSent++;
            deliver(b, 5 + i);
          });
        };
        let err: (Error & { code?: string }) | undefined;
        try {
          await lab.settle(ntp.settime());
        } catch (e) {
          err = e as Error & { code?: string };
        }
        if (err) assert.ok(["ETIMEDOUT", "EKOD", "EBADTIME"].includes(err.code!), `${err.code} ${err.message}`);
        if (!validSent) assert.equal(lab.setClockCalls.length, 0);
        assert.ok(lab.setClockCalls.length <= 1);
        assert.equal(lab.opens, lab.closes);
        assert.equal(lab.clientTimers(), 0);
      }),
      { numRuns: 300 }
    );
  });
});
