// The ntptime client on a fake network with a fake clock (test/ntptime-fake.ts).

import assert from "node:assert/strict";
import { createNtp, type Ntp } from "../src/ntptime/index.ts";
import { addrInfo, buildReply, ERA1_MS, goodServer, Lab, scriptedServer, type Request, type Server } from "./ntptime-fake.ts";

type Coded = Error & { code?: string; kiss?: string };

async function rejection(lab: Lab, p: Promise<unknown>): Promise<Coded> {
  try {
    await lab.settle(p);
  } catch (e) {
    return e as Coded;
  }
  throw new Error("expected a rejection");
}

describe("ntptime client", () => {
  let lab: Lab;
  let ntp: Ntp;
  const setup = () => {
    lab = new Lab();
    ntp = createNtp(lab.deps());
    ntp.host = "10.0.0.1";
  };
  beforeEach(setup);
  afterEach(() => {
    // Every path closes its socket and clears its timers.
    ntp.stop();
    assert.equal(lab.closes, lab.opens, "sockets opened and closed");
    assert.equal(lab.clientTimers(), 0, "client timers left pending");
  });

  describe("request and clock arithmetic", () => {
    it("sends a 48-byte v4 mode-3 request to port 123 whose transmit timestamp is random, not the clock", async () => {
      lab.servers["10.0.0.1"] = goodServer();
      await lab.settle(ntp.settime());
      await lab.settle(ntp.settime());
      assert.equal(lab.requests.length, 6, "three exchanges per settime()");
      const [a, b] = lab.requests;
      assert.equal(a.data.length, 48);
      assert.equal(a.port, 123);
      assert.equal(a.data[0], 0x23);
      assert.ok(a.data.subarray(1, 40).every((x) => x == 0), "all other fields zero");
      assert.notDeepEqual(a.nonce, b.nonce, "a fresh nonce per request");
      assert.deepEqual(a.nonce, new Uint8Array([37, 48, 59, 70, 81, 92, 103, 114]), "the nonce is the random source's bytes");
    });

    it("sets the clock from a 5 s-behind local clock: symmetric delay -> offset error < 1 ms", async () => {
      lab.wallOffset = lab.trueOffset - 5000.25;
      lab.servers["10.0.0.1"] = goodServer({ out: 12.3, back: 12.3, proc: 0.7 });
      let stepped: number | undefined;
      ntp.onstep = (o) => (stepped = o);
      const t = await lab.settle(ntp.settime());
      assert.equal(lab.setClockCalls.length, 1);
      assert.ok(Math.abs(stepped! - 5000.25) < 1, `offset ${stepped}`);
      assert.ok(Math.abs(t - lab.trueNow()) < 1, "settime resolves to the new time");
      assert.ok(Math.abs(lab.setClockCalls[0] - lab.trueNow()) < 1);
      assert.ok(ntp.synced());
    });

    it("asymmetric paths: the offset error is half the asymmetry, as the formula says", async () => {
      lab.wallOffset = lab.trueOffset + 2000;
      lab.servers["10.0.0.1"] = goodServer({ out: 30, back: 10, proc: 2 });
      let stepped = 0;
      ntp.onstep = (o) => (stepped = o);
      await lab.settle(ntp.settime());
      assert.ok(Math.abs(stepped - (-2000 + 10)) < 0.01, `offset ${stepped}`);
    });

    it("a server clock 3 hours ahead: the local clock follows it", async () => {
      lab.wallOffset = lab.trueOffset;
      lab.servers["10.0.0.1"] = goodServer({ skew: 3 * 3600e3 });
      const t = await lab.settle(ntp.settime());
      assert.ok(Math.abs(t - (lab.trueNow() + 3 * 3600e3)) < 1);
    });

    it("time() gives the server's time and sets nothing", async () => {
      lab.servers["10.0.0.1"] = goodServer();
      const t = await lab.settle(ntp.time());
      assert.ok(Math.abs(t - lab.trueNow()) < 1);
      assert.equal(lab.setClockCalls.length, 0);
      assert.equal(ntp.synced(), false);
    });

    // The Linux build's setTime() does nothing: the clock stays at the host's.
    const stuckClock = () => {
      const deps = lab.deps();
      deps.setClock_ = (ms) => void lab.setClockCalls.push(ms);
      ntp = createNtp(deps);
      ntp.host = "10.0.0.1";
    };

    it("a clock that does not move when set: EOPNOTSUPP, not synced, no onstep, and start() keeps trying", async () => {
      stuckClock();
      lab.wallOffset = lab.trueOffset - 5000;
      lab.servers["10.0.0.1"] = goodServer();
      const steps: number[] = [];
      ntp.onstep = (o) => steps.push(o);
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EOPNOTSUPP");
      assert.match(e.message, /setTime\(\).*host/);
      assert.equal(lab.setClockCalls.length, 1, "it was asked to set the clock");
      assert.equal(ntp.synced(), false);
      assert.deepEqual(steps, []);
      assert.ok(Math.abs(lab.mono + lab.wallOffset - lab.trueNow() + 5000) < 1e-9, "clock untouched");
      assert.ok(Math.abs((await lab.settle(ntp.time())) - lab.trueNow()) < 1, "time() still works");
      ntp.start(60);
      await lab.advance(61e3);
      assert.equal(lab.setClockCalls.length, 3, "not synced: at once, then every interval");
      assert.equal(ntp.synced(), false);
    });

    it("a clock that does not move but already reads the server's time (within 10 ms): synced", async () => {
      stuckClock();
      lab.wallOffset = lab.trueOffset - 4;
      lab.servers["10.0.0.1"] = goodServer();
      await lab.settle(ntp.settime());
      assert.ok(ntp.synced());
      lab.wallOffset = lab.trueOffset - 30;
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EOPNOTSUPP", "30 ms off and not settable");
    });

    it("defaults: host pool.ntp.org, timeout 1 s", async () => {
      const fresh = createNtp(lab.deps());
      assert.equal(fresh.host, "pool.ntp.org");
      assert.equal(fresh.timeout, 1);
      lab.dns["pool.ntp.org"] = ["192.0.2.7"];
      const start = lab.mono;
      const e = await rejection(lab, fresh.settime());
      assert.equal(e.code, "ETIMEDOUT");
      assert.equal(lab.mono - start, 1000, "one attempt lasts `timeout` seconds");
      assert.deepEqual(lab.resolved, ["pool.ntp.org"]);
    });
  });

  describe("replies that must be ignored", () => {
    const good = (req: Request, t: number) => ({ data: buildReply({ origin: req.nonce, t2: t, t3: t + 1 }), delay: 40 });
    const cases: Array<[string, (req: Request, t: number) => { data: Uint8Array; delay: number; from?: string; port?: number }]> = [
      ["from another address", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t }), delay: 5, from: "10.0.0.66" })],
      ["from another port", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t }), delay: 5, port: 1123 })],
      ["mode 3 (a client)", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, mode: 3 }), delay: 5 })],
      ["mode 5 (broadcast)", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, mode: 5 }), delay: 5 })],
      ["version 2", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, vn: 2 }), delay: 5 })],
      ["version 5", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, vn: 5 }), delay: 5 })],
      ["originate timestamp != our nonce", (r, t) => ({ data: buildReply({ origin: r.nonce.map((x) => x ^ 1), t2: t, t3: t }), delay: 5 })],
      ["originate timestamp zero", (r, t) => ({ data: buildReply({ origin: new Uint8Array(8), t2: t, t3: t }), delay: 5 })],
      ["transmit timestamp zero", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: null }), delay: 5 })],
      ["receive timestamp zero", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: null, t3: t }), delay: 5 })],
      ["stratum 16 (unsynchronized)", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, stratum: 16 }), delay: 5 })],
      ["LI 3 (alarm)", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, li: 3 }), delay: 5 })],
      ["stratum 0 INIT (not a ban)", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, stratum: 0, refid: "INIT" }), delay: 5 })],
      ["47 bytes", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t }).subarray(0, 47), delay: 5 })],
      ["empty datagram", () => ({ data: new Uint8Array(0), delay: 5 })],
      ["negative round-trip delay (T3 - T2 longer than the round trip)", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t + 500 }), delay: 5 })],
      ["a KoD from another address", (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, stratum: 0, refid: "DENY" }), delay: 5, from: "10.0.0.66" })],
      ["a KoD with a wrong originate timestamp", (r, t) => ({ data: buildReply({ origin: new Uint8Array(8), t2: t, t3: t, stratum: 0, refid: "DENY" }), delay: 5 })],
    ];
    for (const [name, bad] of cases) {
      it(`${name}: clock untouched, a later good reply is taken`, async () => {
        lab.wallOffset = lab.trueOffset - 60000;
        const goodTimes: number[] = [];
        lab.servers["10.0.0.1"] = scriptedServer([
          bad,
          (r, t) => {
            goodTimes.push(t + 1);
            return good(r, t);
          },
        ]);
        const seen: number[] = [];
        ntp.onstep = (o) => seen.push(o);
        const t = await lab.settle(ntp.settime());
        assert.equal(lab.setClockCalls.length, 1);
        assert.equal(seen.length, 1);
        // the good reply's T3 is t+1 and it arrives 40 ms after the request
        assert.ok(Math.abs(t - lab.trueNow()) < 25, "the clock comes from the good reply");
        assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.1", "10.0.0.1"], "no failover: the same server's good reply was waited for");
      });
      it(`${name}: alone, it times out and sets nothing`, async () => {
        lab.servers["10.0.0.1"] = scriptedServer([bad]);
        const e = await rejection(lab, ntp.settime());
        assert.equal(e.code, "ETIMEDOUT");
        assert.equal(lab.setClockCalls.length, 0);
        assert.equal(ntp.synced(), false);
      });
    }

    it("a duplicate of the good reply after success is dropped (socket closed)", async () => {
      lab.servers["10.0.0.1"] = scriptedServer([
        (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t }), delay: 20 }),
        (r, t) => ({ data: buildReply({ origin: r.nonce, t2: t + 9e6, t3: t + 9e6 }), delay: 30 }),
      ]);
      await lab.settle(ntp.settime());
      await lab.advance(100);
      assert.equal(lab.setClockCalls.length, 1);
    });
  });

  describe("best of three exchanges (the lowest round-trip delay, RFC 5905 §10)", () => {
    // Exchange i's reply: `out` ms to the server, `back` ms home, T3 = T2; its offset error
    // is (out - back) / 2, its delay out + back. `bad` first sends a spoiled reply.
    type Ex = { out: number; back: number; bad?: (r: Request, t: number) => Uint8Array } | null;
    const paths = (list: Ex[]): Server => (req, deliver, l) => {
      const e = list[l.requests.length - 1];
      if (!e) return; // dropped
      const t2 = l.trueNow() + e.out;
      if (e.bad) deliver(e.bad(req, t2), 1);
      deliver(buildReply({ origin: req.nonce, t2, t3: t2 }), e.out + e.back);
    };
    const stepped = () => {
      const seen: number[] = [];
      ntp.onstep = (o) => seen.push(o);
      return seen;
    };
    beforeEach(() => (lab.wallOffset = lab.trueOffset - 5000));

    it("three requests with fresh nonces; the reply with the lowest delay sets the clock", async () => {
      lab.servers["10.0.0.1"] = paths([{ out: 30, back: 10 }, { out: 5, back: 5 }, { out: 10, back: 40 }]);
      const seen = stepped();
      await lab.settle(ntp.settime());
      assert.equal(lab.requests.length, 3);
      assert.equal(new Set(lab.requests.map((r) => r.nonce.join())).size, 3, "a fresh nonce per exchange");
      assert.ok(lab.requests[1].at - lab.requests[0].at == 40 && lab.requests[2].at - lab.requests[1].at == 10, "each sent when the last reply came");
      assert.ok(Math.abs(seen[0] - 5000) < 0.01, `offset ${seen[0]}: the symmetric 10 ms exchange, not ${5000 + 10} or ${5000 - 15}`);
    });

    it("a spoiled reply among them (quicker, wildly off) is ignored; the valid ones are compared", async () => {
      const spoil = (r: Request, t: number) => buildReply({ origin: r.nonce, t2: t + 9e6, t3: t + 9e6, li: 3 });
      lab.servers["10.0.0.1"] = paths([{ out: 20, back: 10 }, { out: 2, back: 2, bad: spoil }, { out: 10, back: 20 }]);
      const seen = stepped();
      await lab.settle(ntp.settime());
      assert.equal(lab.requests.length, 3);
      assert.ok(Math.abs(seen[0] - 5000) < 0.01, `offset ${seen[0]}`);
    });

    it("later requests unanswered (a rate-limited server drops them): the first reply is used at the timeout", async () => {
      lab.servers["10.0.0.1"] = paths([{ out: 10, back: 10 }]);
      const seen = stepped();
      const start = lab.mono;
      await lab.settle(ntp.settime());
      assert.equal(lab.requests.length, 2);
      assert.equal(lab.mono - start, 1000, "waited for the second reply until the timeout");
      assert.ok(Math.abs(seen[0] - 5000) < 0.01, `offset ${seen[0]}`);
    });

    it("a RATE kiss after a good reply (ntpd limiting our own burst): the good reply is used, and no back-off", async () => {
      // every first request of a query is answered, the ones right after it are rate-limited
      let first = 0;
      lab.servers["10.0.0.1"] = (req, deliver, l) =>
        l.requests.length == first + 1
          ? deliver(buildReply({ origin: req.nonce, t2: l.trueNow() + 5, t3: l.trueNow() + 5 }), 10)
          : deliver(buildReply({ origin: req.nonce, t2: l.trueNow(), t3: l.trueNow(), stratum: 0, refid: "RATE" }), 10);
      const seen = stepped();
      await lab.settle(ntp.settime());
      assert.equal(lab.requests.length, 2);
      assert.ok(Math.abs(seen[0] - 5000) < 0.01, `offset ${seen[0]}`);
      first = lab.requests.length;
      await lab.settle(ntp.settime());
      assert.equal(lab.requests.length, 4, "asked again at once: the kiss answered the burst, not the sync rate");
      assert.equal(seen.length, 2);
    });
  });

  describe("Kiss-o'-Death", () => {
    const kod = (code: string) => scriptedServer([(r, t) => ({ data: buildReply({ origin: r.nonce, t2: t, t3: t, stratum: 0, refid: code }), delay: 5 })]);

    it("RATE: tries the next server at once, skips the kisser until its back-off ends, then asks it again", async () => {
      ntp.host = ["10.0.0.1", "10.0.0.2"];
      lab.servers["10.0.0.1"] = kod("RATE");
      lab.servers["10.0.0.2"] = goodServer();
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"]);
      assert.ok(lab.requests[1].at - lab.requests[0].at < 100, "no wait for the timeout");
      // the clock jumped from 1970 to 2026; the back-off is 64 s of local time
      lab.requests = [];
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"], "after a forward step the back-off ends early");
      // now measured on the stepped clock: skipped for 128 s (doubled), then asked again
      lab.requests = [];
      await lab.advance(100e3);
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.2", "10.0.0.2", "10.0.0.2"], "skipped while backing off");
      lab.requests = [];
      await lab.advance(30e3);
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"], "asked again after 128 s");
    });

    for (const code of ["DENY", "RSTR"]) {
      it(`${code}: the server is dropped for the session`, async () => {
        ntp.host = ["10.0.0.1", "10.0.0.2"];
        lab.servers["10.0.0.1"] = kod(code);
        lab.servers["10.0.0.2"] = goodServer();
        await lab.settle(ntp.settime());
        await lab.advance(86400e3);
        await lab.settle(ntp.settime());
        assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2", "10.0.0.2", "10.0.0.2", "10.0.0.2"]);
      });
    }

    it("all servers kissed: EKOD with .kiss, naming them; later calls fail fast without sending", async () => {
      ntp.host = ["10.0.0.1", "10.0.0.2"];
      lab.servers["10.0.0.1"] = kod("DENY");
      lab.servers["10.0.0.2"] = kod("RSTR");
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EKOD");
      assert.equal(e.kiss, "RSTR");
      assert.match(e.message, /10\.0\.0\.1.*DENY.*10\.0\.0\.2.*RSTR/);
      const again = await rejection(lab, ntp.settime());
      assert.equal(again.code, "EKOD");
      assert.equal(lab.requests.length, 2);
      assert.equal(lab.setClockCalls.length, 0);
    });

    it("a name whose first address denied: its next address is asked", async () => {
      ntp.host = "ntp.example";
      lab.dns["ntp.example"] = ["10.0.0.1", "10.0.0.2"];
      lab.servers["10.0.0.1"] = kod("DENY");
      lab.servers["10.0.0.2"] = goodServer();
      const first = await rejection(lab, ntp.settime());
      assert.equal(first.code, "EKOD");
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"]);
    });
  });

  describe("servers, failover and errors", () => {
    it("DHCP servers are asked before host", async () => {
      lab.dhcp = ["10.9.9.9"];
      ntp.host = ["ntp.example"];
      lab.dns["ntp.example"] = ["10.0.0.1"];
      lab.servers["10.0.0.1"] = goodServer();
      lab.servers["10.9.9.9"] = goodServer();
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.9.9.9", "10.9.9.9", "10.9.9.9"]);
    });

    it("fails over after the timeout to the next server (DHCP's, then host's in order)", async () => {
      lab.dhcp = ["10.9.9.9"];
      ntp.host = ["10.0.0.1", "10.0.0.2"];
      ntp.timeout = 2;
      lab.servers["10.0.0.2"] = goodServer();
      const start = lab.mono;
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.9.9.9", "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"]);
      assert.deepEqual(lab.requests.slice(0, 3).map((r) => r.at - start), [0, 2000, 4000]);
    });

    it("nobody answers: ETIMEDOUT naming every server tried", async () => {
      lab.dhcp = ["10.9.9.9"];
      ntp.host = ["10.0.0.1", "ntp.example"];
      lab.dns["ntp.example"] = ["10.0.0.3"];
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "ETIMEDOUT");
      for (const s of ["10.9.9.9", "10.0.0.1", "ntp.example"]) assert.ok(e.message.includes(s), e.message);
      assert.equal(lab.opens, 1, "one socket for the whole query");
    });

    it("a name that does not resolve: its EAI code, naming it", async () => {
      ntp.host = "nosuch.example";
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EAI_NONAME");
      assert.ok(e.message.includes("nosuch.example"), e.message);
      lab.dns["flaky.example"] = { code: "EAI_AGAIN", message: "no DNS server answered" };
      ntp.host = "flaky.example";
      const again = await rejection(lab, ntp.settime());
      assert.equal(again.code, "EAI_AGAIN");
      assert.equal(lab.requests.length, 0);
    });

    it("a name that does not resolve, then a good server: success", async () => {
      ntp.host = ["nosuch.example", "10.0.0.1"];
      lab.servers["10.0.0.1"] = goodServer();
      await lab.settle(ntp.settime());
      assert.equal(lab.setClockCalls.length, 1);
    });

    it("one name unresolvable, one silent: ETIMEDOUT (no server answered)", async () => {
      ntp.host = ["nosuch.example", "10.0.0.1"];
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "ETIMEDOUT");
      assert.match(e.message, /nosuch\.example.*10\.0\.0\.1/);
    });

    it("no server at all: EINVAL saying so", async () => {
      ntp.host = [];
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EINVAL");
      assert.match(e.message, /no server/);
    });

    it("a failed socket open: its coded error, nothing sent", async () => {
      const deps = lab.deps();
      deps.openUdp_ = () => Promise.reject(Object.assign(new Error("no free socket"), { code: "EMFILE" }));
      ntp = createNtp(deps);
      ntp.host = "10.0.0.1";
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EMFILE");
      assert.equal(lab.requests.length, 0);
    });

    it("a late reply from a server given up on is ignored while the next name resolves", async () => {
      ntp.host = ["10.0.0.1", "slow.example"];
      ntp.timeout = 0.1;
      lab.servers["10.0.0.1"] = goodServer({ out: 60, back: 60 });
      const deps = lab.deps();
      const resolve = deps.resolve_;
      deps.resolve_ = (h, p, f) => (h == "slow.example" ? new Promise((r) => lab.at(200, () => r([addrInfo("10.0.0.2")]))) : resolve(h, p, f));
      ntp = createNtp(deps);
      ntp.host = ["10.0.0.1", "slow.example"];
      ntp.timeout = 0.1;
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "ETIMEDOUT");
      assert.equal(lab.setClockCalls.length, 0);
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2"]);
    });
  });

  describe("dates: 2036 era rollover and the build-date floor", () => {
    const cases: Array<[string, number]> = [
      ["1 s before 2036-02-07T06:28:16Z", ERA1_MS - 1000],
      ["0.5 ms after the rollover (seconds field 0)", ERA1_MS + 0.5],
      ["1 s after", ERA1_MS + 1000],
      ["a year after", ERA1_MS + 365 * 86400e3],
      ["2090", Date.parse("2090-01-01T00:00:00Z")],
    ];
    for (const [name, serverTime] of cases) {
      it(`server time ${name}: the clock is set to it`, async () => {
        lab.trueOffset = serverTime - lab.mono - 10; // T2 lands on serverTime (10 ms out)
        lab.servers["10.0.0.1"] = goodServer({ out: 10, back: 10, proc: 0 });
        const t = await lab.settle(ntp.settime());
        // resolved at the third exchange's reply, two 20 ms round trips later
        assert.ok(Math.abs(t - (serverTime + 10 + 40)) < 1, `${new Date(t).toISOString()}`);
      });
    }

    it("a transmit timestamp of exactly zero (the rollover instant) means 'unknown': ignored", async () => {
      lab.servers["10.0.0.1"] = scriptedServer([(r) => ({ data: buildReply({ origin: r.nonce, t2: ERA1_MS, t3: ERA1_MS }), delay: 5 })]);
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "ETIMEDOUT");
    });

    it("a server time before the firmware's build is refused (EBADTIME), the next server is tried", async () => {
      lab.servers["10.0.0.1"] = goodServer({ skew: -Date.parse("2026-03-01T00:00:00Z") + Date.parse("2001-01-01T00:00:00Z") });
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EBADTIME");
      assert.match(e.message, /10\.0\.0\.1 \(.*2001.*before the build\)/);
      assert.equal(lab.setClockCalls.length, 0);
      ntp.host = ["10.0.0.1", "10.0.0.2"];
      lab.servers["10.0.0.2"] = goodServer();
      lab.requests = [];
      await lab.settle(ntp.settime());
      assert.deepEqual(lab.requests.map((r) => r.address), ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"]);
      assert.equal(lab.setClockCalls.length, 1);
    });

    it("1990 with the top bit set stays 1990 (era 0) and is refused, not read as 2126", async () => {
      lab.servers["10.0.0.1"] = goodServer({ skew: Date.parse("1990-01-01T00:00:00Z") - lab.trueOffset });
      const e = await rejection(lab, ntp.settime());
      assert.equal(e.code, "EBADTIME");
      assert.match(e.message, /1990.*before the build/);
    });
  });

  describe("start / stop", () => {
    it("syncs at once, then every interval, calling onstep; stop() ends it", async () => {
      lab.servers["10.0.0.1"] = goodServer();
      const steps: number[] = [];
      ntp.onstep = (o) => steps.push(o);
      ntp.start(600);
      await lab.advance(100);
      assert.equal(steps.length, 1);
      assert.ok(steps[0] > 1.7e12, "the first step jumps from 1970");
      assert.ok(ntp.synced());
      lab.wallOffset -= 1500; // the local clock drifts 1.5 s behind
      await lab.advance(600e3);
      assert.equal(steps.length, 2);
      assert.ok(Math.abs(steps[1] - 1500) < 1, `${steps[1]}`);
      await lab.advance(600e3);
      assert.equal(steps.length, 3);
      ntp.stop();
      assert.equal(lab.clientTimers(), 0);
      await lab.advance(3600e3);
      assert.equal(steps.length, 3);
      assert.equal(lab.requests.length, 9);
    });

    it("keeps going after failures; the interval is at least 60 s; a restart does not double the loop", async () => {
      ntp.start(1);
      await lab.advance(1100);
      assert.equal(lab.requests.length, 1);
      await lab.advance(60e3);
      assert.equal(lab.requests.length, 2, "retried after 60 s, not 1 s");
      lab.servers["10.0.0.1"] = goodServer();
      ntp.start(120); // while no sync is in flight
      await lab.advance(100);
      assert.equal(lab.requests.length, 5, "not synced yet: at once (three exchanges)");
      ntp.start(120); // synced: the first one waits an interval
      await lab.advance(119e3);
      assert.equal(lab.requests.length, 5);
      await lab.advance(2e3);
      assert.equal(lab.requests.length, 8);
    });

    it("stop() during an in-flight sync: it finishes but nothing is scheduled", async () => {
      lab.servers["10.0.0.1"] = goodServer({ out: 200 });
      ntp.start(60);
      await lab.advance(50);
      ntp.stop();
      await lab.advance(600e3);
      assert.equal(lab.requests.length, 3, "the sync in flight, its three exchanges");
      assert.equal(lab.setClockCalls.length, 1);
    });
  });
});
