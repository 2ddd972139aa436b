// The socket module's name functions of the built bundle (getaddrinfo, gethostbyname(_ex),
// gethostbyaddr, getfqdn, gethostname) on emulated ESP32s on the default virtual LAN
// (emulator/default-lan.ts): result shapes, CNAMEs and AI_CANONNAME, names the board
// answers itself, names another board learned by DHCP, and the seed examples (seeds
// 002/003/004) printing what CPython on Linux prints for the same zone. IPv4-only board.
import assert from "node:assert/strict";
import { bootBoard, type EmulatedBoard } from "../emulator/board.ts";
import { defaultLan, LAB_KEY, LAB_SSID } from "../emulator/default-lan.ts";
import { dhcpClient } from "../emulator/lan/dhcp-client.ts";
import type { Lan, Router } from "../emulator/lan/lan.ts";
import { ev, type Outcome } from "./helpers/board.ts";

let slots = 0;

/** Runs `expr` (a Promise) on the board to completion, moving its virtual clock as needed. */
async function run(board: EmulatedBoard, expr: string, virtualLimitMs = 20000): Promise<Outcome> {
  const slot = `__g${slots++}`;
  board.eval(`globalThis.${slot} = null; Promise.resolve().then(function () { return ${expr}; }).then(
    function (v) { globalThis.${slot} = JSON.stringify({ ok: true, value: v }); },
    function (e) { globalThis.${slot} = JSON.stringify({ ok: false, code: e && e.code, message: e && e.message }); });`);
  for (let elapsed = 0; ; elapsed += 50) {
    await board.settle(4);
    const s = board.eval(`globalThis.${slot}`) as string | null;
    if (s) return JSON.parse(s) as Outcome;
    if (elapsed >= virtualLimitMs) throw new Error(`${expr} still pending after ${virtualLimitMs} virtual ms`);
    await board.clock.advance(50);
  }
}

async function ok(board: EmulatedBoard, expr: string): Promise<any> {
  const o = await run(board, expr);
  if (!o.ok) throw new Error(`${expr} rejected: ${o.code}: ${o.message}`);
  return o.value;
}

let lans: Lan[] = [];
let boards: EmulatedBoard[] = [];

afterEach(function () {
  for (const b of boards) b.powerOff();
  for (const l of lans) l.close();
  boards = [];
  lans = [];
});

/** Boots an ESP32 named `name` and joins it to the lab network. */
async function camera(lan: Lan, name = "kitchen-cam"): Promise<{ board: EmulatedBoard; ip: string }> {
  const board = await bootBoard({ board: "esp32", lan, virtualTime: true });
  boards.push(board);
  ev(board, `var network = require("network"), socket = require("socket"), sta = network.WLAN(network.STA_IF);
    network.hostname(${JSON.stringify(name)});`);
  const cfg = await ok(board, `sta.connect(${JSON.stringify(LAB_SSID)}, ${JSON.stringify(LAB_KEY)})`);
  return { board, ip: cfg[0] };
}

/** The default LAN, plus the seed examples' names as they resolved when the seeds were written. */
async function lab(): Promise<{ lan: Lan; router: Router; board: EmulatedBoard; ip: string }> {
  const { lan, router } = defaultLan();
  lans.push(lan);
  const z = router.dns;
  z.add("google.com", "A", "216.58.212.110");
  z.add("gatech.edu", "A", "3.214.16.8");
  z.add("pymotw.com", "A", "66.33.211.242");
  z.add("www.python.org", "CNAME", "python.map.fastly.net");
  z.add("python.map.fastly.net", "CNAME", "prod.python.map.fastlylb.net");
  z.add("prod.python.map.fastlylb.net", "A", "151.101.32.223");
  z.add("prod.python.map.fastlylb.net", "AAAA", "2a04:4e42:8::223");
  const cam = await camera(lan);
  return { lan, router, ...cam };
}

/** Every query that reached the router, as "name/type". */
const asked = (router: Router) => router.dns.log.map((q) => `${q.name}/${q.type}`);

describe("socket name functions (bundle on an emulated ESP32, default LAN)", function () {
  it("getaddrinfo of a multi-A name: every address, one entry per socket type, [0][4] is [ip, port]", async function () {
    const { board } = await lab();
    const r = await ok(board, `socket.getaddrinfo("api.example.com", 80)`);
    const ips = ["93.184.216.40", "93.184.216.41", "93.184.216.42"];
    assert.deepEqual(r, ips.flatMap((ip) => [[2, 1, 6, "", [ip, 80]], [2, 2, 17, "", [ip, 80]], [2, 3, 0, "", [ip, 80]]]));
    assert.deepEqual(await ok(board, `socket.getaddrinfo("api.example.com", 443).then(function (l) { return l[0][4]; })`), ["93.184.216.40", 443]);
  });

  it("AAAA results come after the IPv4 ones on an IPv4-only board, as 4-tuples", async function () {
    const { board } = await lab();
    const r = await ok(board, `socket.getaddrinfo("example.com", 80, 0, socket.SOCK_STREAM)`);
    assert.deepEqual(r, [
      [2, 1, 6, "", ["93.184.216.34", 80]],
      [10, 1, 6, "", ["2606:2800:220:1:248:1893:25c8:1946", 80, 0, 0]],
    ]);
    assert.deepEqual(await ok(board, `socket.getaddrinfo("example.com", 80, socket.AF_INET6, socket.SOCK_STREAM)`),
      [[10, 1, 6, "", ["2606:2800:220:1:248:1893:25c8:1946", 80, 0, 0]]]);
  });

  it("AI_CANONNAME: the end of the CNAME chain, in the first entry only", async function () {
    const { board } = await lab();
    const r = await ok(board, `socket.getaddrinfo("www.example.com", 80, socket.AF_INET, 0, 0, socket.AI_CANONNAME)`);
    assert.deepEqual(r, [
      [2, 1, 6, "example.com", ["93.184.216.34", 80]],
      [2, 2, 17, "", ["93.184.216.34", 80]],
      [2, 3, 0, "", ["93.184.216.34", 80]],
    ]);
    const plain = await ok(board, `socket.getaddrinfo("www.example.com", 80, socket.AF_INET, socket.SOCK_STREAM)`);
    assert.equal(plain[0][3], "", "no canonname without the flag");
  });

  it("gethostbyname_ex lists the chain's other names as aliases", async function () {
    const { board } = await lab();
    assert.deepEqual(await ok(board, `socket.gethostbyname_ex("www.example.com")`), ["example.com", ["www.example.com"], ["93.184.216.34"]]);
    assert.deepEqual(await ok(board, `socket.gethostbyname_ex("api.example.com")`),
      ["api.example.com", [], ["93.184.216.40", "93.184.216.41", "93.184.216.42"]]);
    assert.deepEqual(await ok(board, `socket.gethostbyname_ex("192.0.2.7")`), ["192.0.2.7", [], ["192.0.2.7"]]);
  });

  it("a name with no A record: gethostbyname fails with EAI_NONAME", async function () {
    const { board, router } = await lab();
    router.dns.add("v6only.example.com", "AAAA", "2001:db8::1");
    const o = await run(board, `socket.gethostbyname("v6only.example.com")`);
    assert.equal(o.code, "EAI_NONAME");
    assert.deepEqual(await ok(board, `socket.getaddrinfo("v6only.example.com", 80, 0, socket.SOCK_STREAM)`),
      [[10, 1, 6, "", ["2001:db8::1", 80, 0, 0]]]);
  });

  it("the board's own name, localhost and resolver.hosts entries are answered without a query", async function () {
    const { board, router, ip } = await lab();
    assert.equal(ev(board, `socket.gethostname()`), "kitchen-cam");
    assert.equal(ev(board, `socket.gethostname("other-cam")`), "kitchen-cam", "an argument renames nothing");
    assert.equal(ev(board, `require("network").hostname()`), "kitchen-cam");
    assert.equal(await ok(board, `socket.gethostbyname("kitchen-cam")`), ip);
    assert.equal(await ok(board, `socket.gethostbyname("localhost")`), "127.0.0.1");
    assert.deepEqual(await ok(board, `socket.getaddrinfo("localhost", 8080, socket.AF_INET, socket.SOCK_STREAM)`),
      [[2, 1, 6, "", ["127.0.0.1", 8080]]]);
    ev(board, `socket.resolver.hosts["nas"] = ["192.168.1.5"]`);
    assert.deepEqual(await ok(board, `socket.gethostbyname_ex("nas")`), ["nas", [], ["192.168.1.5"]]);
    assert.deepEqual(await ok(board, `socket.getaddrinfo("nas", 445, socket.AF_INET, socket.SOCK_STREAM)`),
      [[2, 1, 6, "", ["192.168.1.5", 445]]]);
    // CPython on Debian: ('localhost', [], ['127.0.0.1']), from /etc/hosts
    assert.deepEqual(await ok(board, `socket.gethostbyaddr("127.0.0.1")`), ["localhost", [], ["127.0.0.1"]]);
    assert.deepEqual(asked(router).filter((q) => !q.includes("in-addr.arpa")), [], "no DNS query went out");
  });

  it(".local names fail with EAI_NONAME without any unicast DNS query", async function () {
    const { lan, router, board } = await lab();
    const to53: string[] = [];
    lan.capture((d) => {
      if (d.to.port === 53) to53.push(d.to.address);
    });
    const o = await run(board, `socket.getaddrinfo("printer.local", 80)`);
    assert.equal(o.code, "EAI_NONAME");
    assert.equal(router.dns.queries("printer.local"), 0);
    assert.deepEqual(to53, [], "nothing was sent to a DNS server");
    assert.equal((await run(board, `socket.gethostbyname("kitchen-cam.local.")`)).code, "EAI_NONAME");
  });

  it("getfqdn() is the board's name in the LAN domain; getfqdn(name) follows CPython's rule", async function () {
    const { board } = await lab();
    assert.equal(await ok(board, `socket.getfqdn()`), "kitchen-cam.lan");
    assert.equal(await ok(board, `socket.getfqdn("iana.org")`), "43-8.any.icann.org", "a name with a PTR: the PTR name");
    assert.equal(await ok(board, `socket.getfqdn("cern.ch")`), "cern.ch", "no PTR: the name itself");
  });

  it("a second board resolves the first one's DHCP name and its PTR", async function () {
    const { lan, ip } = await lab();
    const other = await camera(lan, "garage-cam");
    assert.notEqual(other.ip, ip);
    assert.equal(await ok(other.board, `socket.gethostbyname("kitchen-cam.lan")`), ip);
    assert.equal(await ok(other.board, `socket.gethostbyname("kitchen-cam")`), ip, "the bare name: the router's LAN zone");
    assert.deepEqual(await ok(other.board, `socket.gethostbyaddr(${JSON.stringify(ip)})`), ["kitchen-cam.lan", [], [ip]]);
  });
});

describe("seed examples print what CPython on Linux prints for the same zone", function () {
  it("002: gethostbyname('cern.ch'), gethostbyaddr('192.0.43.8')", async function () {
    const { board } = await lab();
    assert.equal(await ok(board, `socket.gethostbyname("cern.ch")`), "188.184.77.250");
    assert.deepEqual(await ok(board, `socket.gethostbyaddr("192.0.43.8")`), ["43-8.any.icann.org", [], ["192.0.43.8"]]);
  });

  it("002: getaddrinfo('google.com', 'www', AF_INET) and ('gatech.edu', 'www'): TCP only ('www' is http/tcp)", async function () {
    const { board } = await lab();
    assert.deepEqual(await ok(board, `socket.getaddrinfo("google.com", "www", socket.AF_INET)`), [[2, 1, 6, "", ["216.58.212.110", 80]]]);
    const info = await ok(board, `socket.getaddrinfo("gatech.edu", "www")`);
    assert.deepEqual(info, [[2, 1, 6, "", ["3.214.16.8", 80]]]);
  });

  it("003: gethostbyname of pymotw.com, www.python.org, nosuchname", async function () {
    const { board, lan, router } = await lab();
    // "apu": a laptop that got its lease with the name apu
    const apu = lan.addHost({ name: "apu" });
    const lease = await dhcpClient(apu, { hostname: "apu" });
    assert.equal(await ok(board, `socket.gethostbyname("apu")`), lease.ip);
    assert.equal(await ok(board, `socket.gethostbyname("pymotw.com")`), "66.33.211.242");
    assert.equal(await ok(board, `socket.gethostbyname("www.python.org")`), "151.101.32.223");
    const o = await run(board, `socket.gethostbyname("nosuchname")`);
    assert.equal(o.code, "EAI_NONAME");
    assert.ok(router.dns.queries("nosuchname") >= 1, "asked the router, which has no such LAN name");
  });

  it("003: gethostbyname_ex('www.python.org') and getaddrinfo with AI_CANONNAME", async function () {
    const { board } = await lab();
    assert.deepEqual(await ok(board, `socket.gethostbyname_ex("www.python.org")`),
      ["prod.python.map.fastlylb.net", ["www.python.org", "python.map.fastly.net"], ["151.101.32.223"]]);
    assert.deepEqual(
      await ok(board, `socket.getaddrinfo("www.python.org", "http", socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_CANONNAME)`),
      [[2, 1, 6, "prod.python.map.fastlylb.net", ["151.101.32.223", 80]]]);
  });

  it("003: getaddrinfo('www.python.org', 'http'): IPv4 then IPv6, TCP entries", async function () {
    const { board } = await lab();
    assert.deepEqual(await ok(board, `socket.getaddrinfo("www.python.org", "http")`), [
      [2, 1, 6, "", ["151.101.32.223", 80]],
      [10, 1, 6, "", ["2a04:4e42:8::223", 80, 0, 0]],
    ]);
  });

  it("003: getfqdn('pymotw.com') without a PTR is the name; gethostbyaddr of an address without a PTR is EAI_NONAME", async function () {
    const { board } = await lab();
    assert.equal(await ok(board, `socket.getfqdn("pymotw.com")`), "pymotw.com");
    assert.equal((await run(board, `socket.gethostbyaddr("66.33.211.242")`)).code, "EAI_NONAME");
  });

  it("004: iana.org with AI_ADDRCONFIG | AI_V4MAPPED on an IPv4-only board: only the IPv4 entry; without flags both", async function () {
    const { board, router } = await lab();
    assert.deepEqual(
      await ok(board, `socket.getaddrinfo("iana.org", "www", 0, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG | socket.AI_V4MAPPED)`),
      [[2, 1, 6, "", ["192.0.43.8", 80]]]);
    assert.deepEqual(asked(router).filter((q) => q.startsWith("iana.org")), ["iana.org/A"], "AI_ADDRCONFIG: no AAAA query at all");
    assert.deepEqual(await ok(board, `socket.getaddrinfo("iana.org", "www", 0, socket.SOCK_STREAM, 0)`), [
      [2, 1, 6, "", ["192.0.43.8", 80]],
      [10, 1, 6, "", ["2001:500:88:200::8", 80, 0, 0]],
    ]);
  });

  it("004: the empty host and 'ftp' with AI_ADDRCONFIG | AI_V4MAPPED: loopback, no query", async function () {
    const { board, router } = await lab();
    assert.deepEqual(await ok(board, `socket.getaddrinfo("", "ftp", 0, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG | socket.AI_V4MAPPED)`),
      [[2, 1, 6, "", ["127.0.0.1", 21]]]);
    assert.deepEqual(asked(router).filter((q) => !q.includes("in-addr")), []);
  });
});
