// The DNS stub resolver inside the built bundle, driven through require("socket") on an
// emulated ESP32 on the virtual LAN: error mapping, TCP after truncation, the cache and
// the negative cache, shared in-flight queries, failover between servers, and replies
// that must be ignored (RFC 5452 §9.1). The board runs on virtual time, so the 1 s / 2 s
// retransmission timeouts cost nothing.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import type { DecodedPacket } from "dns-packet";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { defaultLan, LAB_KEY, LAB_SSID } from "../emulator/default-lan.ts";
import { until } from "../emulator/espruino/testing.ts";
import { Lan, type Host, type Router, type RouterOptions } from "../emulator/lan/lan.ts";
import { ev, runVirtual, start, type Outcome } from "./helpers/board.ts";
import { Resolver, type ResolverIO } from "../src/dns/resolver.ts";
import { encodeMessage, parseMessage, TYPE_A, TYPE_CNAME, type ResourceRecord } from "../src/dns/message.ts";
import type { UdpSocket } from "../src/platform/types.ts";
import { inMemoryIO } from "../scripts/bench/resolver.ts";

/** Runs `expr` to completion, moving the board's virtual clock forward as needed. */
const run = (board: EmulatedBoard, expr: string, virtualLimitMs = 20000): Promise<Outcome> =>
  runVirtual(board, expr, 50, virtualLimitMs);

async function ok(board: EmulatedBoard, expr: string): Promise<any> {
  const o = await run(board, expr);
  if (!o.ok) throw new Error(`${expr} rejected: ${o.code}: ${o.message}`);
  return o.value;
}

interface Net {
  lan: Lan;
  router: Router;
  board: EmulatedBoard;
}

let open: Net[] = [];

/** A board named kitchen-cam, joined to `lan` (virtual time). */
async function joined(lan: Lan, router: Router, boardId = "esp32", ssid = LAB_SSID, key = LAB_KEY): Promise<Net> {
  const board = await bootBoard({ board: boardId, lan, virtualTime: true });
  const net = { lan, router, board };
  open.push(net);
  ev(board, `var network = require("network"), socket = require("socket"), sta = network.WLAN(network.STA_IF);
    network.hostname("kitchen-cam");`);
  await ok(board, `sta.connect(${JSON.stringify(ssid)}, ${JSON.stringify(key)})`);
  return net;
}

/** The default LAN (emulator/default-lan.ts) with the board on it. */
async function lab(boardId = "esp32"): Promise<Net> {
  const { lan, router } = defaultLan();
  return joined(lan, router, boardId);
}

/** A LAN whose router's DHCP hands out `dns` as the DNS servers. */
async function labWithDhcpDns(dns: string[], setup: (lan: Lan) => void = () => {}): Promise<Net> {
  const lan = new Lan({ subnet: "192.168.1.0/24" });
  lan.addAccessPoint({ ssid: LAB_SSID, password: LAB_KEY });
  const opts: RouterOptions = { domain: "lan", dhcp: { dns } };
  const router = lan.addRouter(opts);
  router.dns.add("example.com", "A", "93.184.216.34");
  setup(lan);
  return joined(lan, router, "esp32-verify");
}

afterEach(function () {
  for (const n of open) {
    n.board.powerOff();
    n.lan.close();
  }
  open = [];
});

describe("resolver: answers and errors (bundle on an emulated ESP32)", function () {
  it("NXDOMAIN rejects with EAI_NONAME, naming the name", async function () {
    const { board } = await lab();
    const o = await run(board, `socket.getaddrinfo("nosuch.example.com", 80)`);
    assert.equal(o.code, "EAI_NONAME");
    assert.match(o.message!, /nosuch\.example\.com/);
  });

  it("SERVFAIL rejects with EAI_AGAIN (retry later)", async function () {
    const { board, router } = await lab();
    router.dns.behave("example.com", "servfail");
    const o = await run(board, `socket.gethostbyname("example.com")`);
    assert.equal(o.code, "EAI_AGAIN");
    assert.ok(router.dns.queries("example.com") >= 1);
  });

  it("REFUSED rejects with EAI_FAIL", async function () {
    const { board, router } = await lab();
    router.dns.behave("example.com", "refused");
    const o = await run(board, `socket.gethostbyname("example.com")`);
    assert.equal(o.code, "EAI_FAIL");
  });

  it("a silent server: retransmits after 1 s, then rejects with EAI_AGAIN", async function () {
    const { board, router } = await lab();
    router.dns.behave("example.com", "silent");
    const read = start(board, `socket.getaddrinfo("example.com", 80, socket.AF_INET)`);
    await board.settle(6);
    assert.equal(router.dns.queries("example.com"), 1, "one query at first");
    await board.clock.advance(900);
    assert.equal(read(), undefined, "still waiting before the first timeout");
    assert.equal(router.dns.queries("example.com"), 1, "no retransmission before 1 s");
    await board.clock.advance(200);
    assert.equal(router.dns.queries("example.com"), 2, "retransmitted after the 1 s timeout");
    for (let i = 0; i < 200 && !read(); i++) await board.clock.advance(100);
    const o = read()!;
    assert.equal(o.ok, false);
    assert.equal(o.code, "EAI_AGAIN");
    assert.match(o.message!, /192\.168\.1\.1/, "the message names the server asked");
  });

  it("a truncated UDP answer is asked again over TCP", async function () {
    const { board, router } = await lab();
    router.dns.behave("api.example.com", "truncate");
    const r = await ok(board, `socket.gethostbyname_ex("api.example.com")`);
    assert.deepEqual(r, ["api.example.com", [], ["93.184.216.40", "93.184.216.41", "93.184.216.42"]]);
    const tcp = router.dns.log.filter((q) => q.name === "api.example.com" && q.type === "A").map((q) => q.transport);
    assert.deepEqual(tcp, ["udp", "tcp"]);
  });

  it("an answer too long for 512 bytes (60 A records) comes back whole via TCP", async function () {
    const { board, router } = await lab();
    for (let i = 1; i <= 60; i++) router.dns.add("big.example.com", "A", `192.0.2.${i}`);
    const r = await ok(board, `socket.gethostbyname_ex("big.example.com")`);
    assert.equal(r[2].length, 60);
    assert.deepEqual(r[2].slice(0, 3), ["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    assert.ok(router.dns.log.some((q) => q.name === "big.example.com" && q.transport === "tcp"), "asked over TCP");
  });

  it("CNAME records are followed whatever their order; the TTL is the chain's minimum", async function () {
    const { board, router } = await lab();
    router.dns.add("a.example.net", "CNAME", "b.example.net", 300);
    router.dns.add("b.example.net", "CNAME", "c.example.net", 20);
    router.dns.add("c.example.net", "A", "198.51.100.7", 300);
    const r = await ok(board, `socket.gethostbyname_ex("a.example.net")`);
    assert.deepEqual(r, ["c.example.net", ["a.example.net", "b.example.net"], ["198.51.100.7"]]);
    const n = router.dns.queries("a.example.net");
    board.clock.setWall(board.clock.now() + 19000);
    await ok(board, `socket.gethostbyname("a.example.net")`);
    assert.equal(router.dns.queries("a.example.net"), n, "still cached before 20 s");
    board.clock.setWall(board.clock.now() + 2000);
    await ok(board, `socket.gethostbyname("a.example.net")`);
    assert.equal(router.dns.queries("a.example.net"), n + 1, "the 20 s link of the chain expired it");
  });

  it("a CNAME loop the server detects (SERVFAIL, as dnsmasq answers) fails with EAI_AGAIN", async function () {
    const { board, router } = await lab();
    router.dns.add("loop1.example.net", "CNAME", "loop2.example.net");
    router.dns.add("loop2.example.net", "CNAME", "loop1.example.net");
    const o = await run(board, `socket.gethostbyname("loop1.example.net")`);
    assert.equal(o.code, "EAI_AGAIN");
  });
});

describe("resolver: cache (bundle on an emulated ESP32)", function () {
  it("a second look-up sends no query; after the TTL a new one goes out", async function () {
    const { board, router } = await lab();
    router.dns.add("ttl.example.com", "A", "198.51.100.1", 120);
    await ok(board, `socket.gethostbyname("ttl.example.com")`);
    assert.equal(router.dns.queries("ttl.example.com"), 1);
    assert.equal(await ok(board, `socket.gethostbyname("ttl.example.com")`), "198.51.100.1");
    assert.equal(router.dns.queries("ttl.example.com"), 1, "answered from the cache");
    board.clock.setWall(board.clock.now() + 120 * 1000 + 1);
    assert.equal(await ok(board, `socket.gethostbyname("ttl.example.com")`), "198.51.100.1");
    assert.equal(router.dns.queries("ttl.example.com"), 2, "asked again after the TTL");
  });

  it("names differing only in case share one cache entry", async function () {
    const { board, router } = await lab();
    await ok(board, `socket.gethostbyname("cern.ch")`);
    await ok(board, `socket.gethostbyname("CERN.ch")`);
    assert.equal(router.dns.queries("cern.ch"), 1);
  });

  it("NXDOMAIN is cached for the SOA's negative TTL", async function () {
    const { board, router } = await lab();
    router.dns.negativeTtl = 30;
    const first = await run(board, `socket.gethostbyname("gone.example.com")`);
    assert.equal(first.code, "EAI_NONAME");
    assert.equal(router.dns.queries("gone.example.com"), 1);
    router.dns.add("gone.example.com", "A", "198.51.100.2");
    board.clock.setWall(board.clock.now() + 29000);
    const again = await run(board, `socket.gethostbyname("gone.example.com")`);
    assert.equal(again.code, "EAI_NONAME", "the negative answer is still cached");
    assert.equal(router.dns.queries("gone.example.com"), 1, "no query while negatively cached");
    board.clock.setWall(board.clock.now() + 1001);
    assert.equal(await ok(board, `socket.gethostbyname("gone.example.com")`), "198.51.100.2");
    assert.equal(router.dns.queries("gone.example.com"), 2);
  });

  it("resolver.flush() forgets the cache", async function () {
    const { board, router } = await lab();
    await ok(board, `socket.gethostbyname("cern.ch")`);
    ev(board, `socket.resolver.flush()`);
    await ok(board, `socket.gethostbyname("cern.ch")`);
    assert.equal(router.dns.queries("cern.ch"), 2);
  });

  it("identical concurrent look-ups share one query", async function () {
    const { board, router } = await lab();
    const r = await ok(board, `Promise.all([socket.gethostbyname("cern.ch"), socket.gethostbyname("cern.ch"),
      socket.getaddrinfo("cern.ch", 80, socket.AF_INET, socket.SOCK_STREAM)])`);
    assert.deepEqual(r, ["188.184.77.250", "188.184.77.250", [[2, 1, 6, "", ["188.184.77.250", 80]]]]);
    assert.equal(router.dns.queries("cern.ch"), 1);
  });
});

/** A DNS server host at `ip` that answers from `records` (name -> A addresses) and first
 *  sends the bad replies `bad` lists; with `goodReply` false it never sends the right one. */
function fakeServer(lan: Lan, ip: string, records: Record<string, string[]>, bad: string[], goodReply = true) {
  const host: Host = lan.addHost({ name: "fake-dns", ip });
  const stats = { queries: 0 };
  const other = host.udpBind({ port: 5300, onMessage: () => {} });
  const sock = host.udpBind({
    port: 53,
    onMessage: (data, from) => {
      let q: DecodedPacket;
      try {
        q = dnsPacket.decode(Buffer.from(data));
      } catch {
        return;
      }
      stats.queries++;
      const question = q.questions![0]!;
      const addrs = question.type === "A" ? records[question.name.toLowerCase()] ?? [] : [];
      const answer = (id: number, qname: string, data: string[]): Uint8Array => new Uint8Array(dnsPacket.encode({
        type: "response", id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: [{ name: qname, type: question.type, class: "IN" }],
        answers: data.map((a) => ({ name: qname, type: "A" as const, class: "IN" as const, ttl: 60, data: a })),
      }));
      const evil = ["6.6.6.6"];
      for (const kind of bad) {
        if (kind === "id") sock.send(answer((q.id! + 1) & 0xffff, question.name, evil), from.port, from.address);
        if (kind === "question") sock.send(answer(q.id!, "evil.example", evil), from.port, from.address);
        if (kind === "type") {
          const b = dnsPacket.decode(Buffer.from(answer(q.id!, question.name, []))) as any;
          b.questions[0].type = question.type === "A" ? "MX" : "A";
          sock.send(new Uint8Array(dnsPacket.encode(b)), from.port, from.address);
        }
        if (kind === "query") {
          // QR=0: a query, not a response
          const b = Buffer.from(answer(q.id!, question.name, evil));
          b[2] &= 0x7f;
          sock.send(new Uint8Array(b), from.port, from.address);
        }
        if (kind === "port") other.send(answer(q.id!, question.name, evil), from.port, from.address);
        if (kind === "noquestion") {
          // a response with the right ID and no question section
          const b = dnsPacket.decode(Buffer.from(answer(q.id!, question.name, evil))) as any;
          b.questions = [];
          sock.send(new Uint8Array(dnsPacket.encode(b)), from.port, from.address);
        }
        if (kind === "garbage") sock.send(new Uint8Array([data[0]!, data[1]!, 0x81, 0x80, 0, 1, 0, 1]), from.port, from.address);
      }
      if (goodReply) sock.send(answer(q.id!, question.name, addrs), from.port, from.address);
    },
  });
  return stats;
}

describe("resolver: servers from DHCP (emulated ESP32 with dhcpInfo)", function () {
  it("fails over from a dead first server to the router", async function () {
    const dead = "192.168.1.250";
    const net = await labWithDhcpDns([dead, "192.168.1.1"]);
    const sent: string[] = [];
    net.lan.capture((d) => {
      if (d.to.port === 53) sent.push(d.to.address);
    });
    const read = start(net.board, `socket.gethostbyname("example.com")`);
    await net.board.settle(6);
    assert.deepEqual(sent, [dead], "the first server is asked first");
    for (let i = 0; i < 40 && !read(); i++) await net.board.clock.advance(100);
    assert.deepEqual(read(), { ok: true, value: "93.184.216.34" });
    assert.deepEqual(sent, [dead, "192.168.1.1"]);
  });

  it("ignores replies with a wrong ID, a wrong or no question, QR=0, garbage, or from another port; takes the right one", async function () {
    const fake = "192.168.1.53";
    let stats: { queries: number } = { queries: 0 };
    const net = await labWithDhcpDns([fake], (lan) => {
      stats = fakeServer(lan, fake, { "example.com": ["93.184.216.34"] }, ["id", "question", "type", "query", "noquestion", "garbage", "port"]);
    });
    assert.equal(await ok(net.board, `socket.gethostbyname("example.com")`), "93.184.216.34");
    assert.equal(stats.queries, 1, "answered by the first query: the bad replies were ignored, not fatal");
    assert.deepEqual(net.board.errors, [], "no bad reply made an uncaught error");
    assert.equal(net.router.dns.queries("example.com"), 0, "the router (not handed out) was not asked");
  });

  it("a server that sends only bad replies: EAI_AGAIN, never the forged address", async function () {
    const fake = "192.168.1.53";
    let stats: { queries: number } = { queries: 0 };
    const net = await labWithDhcpDns([fake], (lan) => {
      stats = fakeServer(lan, fake, { "example.com": ["93.184.216.34"] }, ["id", "question", "port"], false);
    });
    const o = await run(net.board, `socket.gethostbyname("example.com")`);
    assert.equal(o.ok, false, `resolved to ${JSON.stringify(o.value)}`);
    assert.equal(o.code, "EAI_AGAIN");
    assert.ok(stats.queries >= 2, "retransmitted");
  });
});

describe("resolver: the cache is bounded (Resolver on Node, in-memory IO)", function () {
  it("after many distinct names it holds only a bounded number: the early ones are asked again, the last is still cached", async function () {
    const io = inMemoryIO(), send = io.openUdp;
    let sent = 0;
    io.openUdp = (o) => send(o).then((s) => {
      const f = s.send.bind(s);
      s.send = (d, p, a) => { sent++; f(d, p, a); };
      return s;
    });
    const r = new Resolver(io);
    for (let i = 0; i < 100; i++) await r.query(`n${i}.example`, TYPE_A);
    assert.equal(sent, 100);
    await r.query("n99.example", TYPE_A);
    assert.equal(sent, 100, "the newest entry is cached");
    for (let i = 0; i < 100; i++) await r.query(`n${i}.example`, TYPE_A);
    assert.ok(sent >= 100 + 60, `at most 40 of 100 names stayed cached (${sent - 100} asked again)`);
  });
});

describe("resolver on stock firmware (esp32: the DHCP-learned DNS server is not exposed)", function () {
  /** The router hands out `fake` as DNS server but answers no DNS itself for example.com. */
  async function stock(): Promise<Net & { sent: string[]; stats: { queries: number } }> {
    const fake = "192.168.1.53";
    const lan = new Lan({ subnet: "192.168.1.0/24" });
    lan.addAccessPoint({ ssid: LAB_SSID, password: LAB_KEY });
    const router = lan.addRouter({ domain: "lan", dhcp: { dns: [fake] } });
    router.dns.behave("example.com", "silent");
    const stats = fakeServer(lan, fake, { "example.com": ["93.184.216.34"] }, []);
    const net = await joined(lan, router, "esp32");
    const sent: string[] = [];
    lan.capture((d) => {
      if (d.to.port === 53) sent.push(d.to.address);
    });
    return { ...net, sent, stats };
  }

  it("asks the gateway first; when it never answers, Wifi.getHostByName (lwIP asks the DHCP server) is the last resort for A", async function () {
    const net = await stock();
    assert.equal(await ok(net.board, `socket.gethostbyname("example.com")`), "93.184.216.34");
    assert.deepEqual(net.sent.slice(0, 2), ["192.168.1.1", "192.168.1.1"], "camnet asked the gateway, twice");
    assert.equal(net.router.dns.queries("example.com"), 2);
    assert.ok(net.stats.queries >= 1, "then the firmware's resolver asked the server DHCP gave it");
  });

  it("AAAA has no last resort: EAI_AGAIN naming the gateway", async function () {
    const net = await stock();
    const o = await run(net.board, `socket.getaddrinfo("example.com", 80, socket.AF_INET6)`);
    assert.equal(o.code, "EAI_AGAIN");
    assert.match(o.message!, /192\.168\.1\.1/);
    assert.equal(net.stats.queries, 0, "the DHCP server was never asked");
  });
});

describe("resolver: CNAME chains are bounded (Resolver on Node, in-memory IO)", function () {
  /** The in-memory IO, its server answering every question with `answers(name)`. */
  function serving(answers: (name: string) => ResourceRecord[]): ResolverIO & { asked: string[] } {
    const asked: string[] = [];
    const io = inMemoryIO();
    io.openUdp = () => {
      const sock: UdpSocket = {
        port: 0, onmessage: null, close() {},
        send(data) {
          const q = parseMessage(data);
          asked.push(q.questions[0].name);
          const reply = encodeMessage({ id: q.id, flags: 0x8180, questions: q.questions, answers: answers(q.questions[0].name) });
          setImmediate(() => sock.onmessage?.(reply, "192.168.1.1", 53));
        },
      };
      return Promise.resolve(sock);
    };
    return Object.assign(io, { asked });
  }
  const cname = (from: string, to: string): ResourceRecord => ({ name: from, type: TYPE_CNAME, ttl: 60, data: to });

  it("a loop inside one answer (a -> b -> a) fails with EAI_FAIL", async function () {
    const io = serving(() => [cname("a.test", "b.test"), cname("b.test", "a.test")]);
    await assert.rejects(new Resolver(io).query("a.test", TYPE_A), { code: "EAI_FAIL" });
  });

  it("an endless chain across answers (each name one CNAME further) stops after a few questions with EAI_FAIL", async function () {
    const io = serving((n) => [cname(n, "x" + n)]);
    await assert.rejects(new Resolver(io).query("a.test", TYPE_A), { code: "EAI_FAIL" });
    assert.ok(io.asked.length <= 9, `asked ${io.asked.length} times`);
  });

  it("a chain of 5 ending in an address resolves, with the aliases in order", async function () {
    const io = serving((n) => n.length < 11 ? [cname(n, "x" + n)] : [{ name: n, type: TYPE_A, ttl: 60, data: "192.0.2.1" }]);
    const a = await new Resolver(io).query("a.test", TYPE_A);
    assert.deepEqual(a, { canonname: "xxxxxa.test", aliases: ["a.test", "xa.test", "xxa.test", "xxxa.test", "xxxxa.test"], data: ["192.0.2.1"] });
  });
});
