// The virtual LAN (emulator/lan/): DHCP -> DNS names, DNS behaviours, NTP, UDP/TCP semantics,
// access points, deterministic loss, clean shutdown, and the real-socket bridge on loopback.
import assert from "node:assert/strict";
import dnsPacket from "dns-packet";
import type { DecodedPacket } from "dns-packet";
import { Lan, dhcpClient, dhcpRelease, readNtpTimestamp, writeNtpTimestamp } from "../emulator/lan/lan.ts";
import type { Host, LanClock, Router } from "../emulator/lan/lan.ts";
import {
  BOOTREQUEST, DHCPDISCOVER, OPTION, encodeDhcp, messageType, newMessage, parseDhcp, stringOption,
} from "../emulator/lan/dhcp.ts";
import { realStack } from "../emulator/lan/real-stack.ts";
import type { TcpStream } from "../emulator/lan/types.ts";

const lans: Lan[] = [];
function makeLan(opts: ConstructorParameters<typeof Lan>[0] = {}): Lan {
  const lan = new Lan(opts);
  lans.push(lan);
  return lan;
}
afterEach(() => {
  for (const lan of lans.splice(0)) lan.close();
});

/** Waits until the LAN has nothing scheduled: after that, nothing more can arrive. */
async function settle(lan: Lan): Promise<void> {
  for (let i = 0; i < 100000; i++) {
    await new Promise((r) => setImmediate(r));
    if (lan.activeTimers() === 0) return;
  }
  throw new Error("the LAN never went idle");
}

/** A home network: router, access point, a wired test host at .50. */
function homeLan(opts: ConstructorParameters<typeof Lan>[0] = {}) {
  const lan = makeLan(opts);
  const router = lan.addRouter();
  const ap = lan.addAccessPoint({ ssid: "home", password: "secret123" });
  const pc = lan.addHost({ name: "pc", ip: "192.168.1.50" });
  return { lan, router, ap, pc };
}

function camera(lan: Lan, ssid = "home", password = "secret123", mac?: string): Host {
  const cam = lan.addHost({ name: "cam", wifi: true, mac });
  assert.equal(lan.accessPoint(ssid)!.associate(cam, password), "ok");
  return cam;
}

let queryId = 1;
/** One DNS query over UDP from `host`; null when no answer came before the LAN went idle. */
async function dnsQuery(lan: Lan, host: Host, name: string, type: string, server = "192.168.1.1", edns = false): Promise<DecodedPacket | null> {
  let reply: DecodedPacket | null = null;
  const sock = host.udpBind({ onMessage: (data) => { reply = dnsPacket.decode(Buffer.from(data)); } });
  const id = queryId++ & 0xffff;
  const query = dnsPacket.encode({
    type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }],
    additionals: edns ? [{ name: ".", type: "OPT", udpPayloadSize: 1232 }] : [],
  });
  sock.send(query, 53, server);
  await settle(lan);
  sock.close();
  if (reply) assert.equal((reply as DecodedPacket).id, id);
  return reply;
}

async function dnsQueryTcp(host: Host, name: string, type: string): Promise<DecodedPacket> {
  const stream = await host.tcpConnect("192.168.1.1", 53);
  stream.end(dnsPacket.streamEncode({ type: "query", id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] }));
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return dnsPacket.streamDecode(Buffer.concat(chunks))!;
}

function rcodeOf(p: DecodedPacket): string {
  return p.rcode;
}

describe("lan: DHCP and the router's DNS names", () => {
  it("leases an address with options 1, 3, 6, 15, 42, 51, 54 and configures the host", async () => {
    const { lan, router } = homeLan();
    const cam = camera(lan);
    assert.equal(cam.address, "0.0.0.0");
    const lease = await dhcpClient(cam, { hostname: "kitchen-cam" });
    assert.match(lease.ip, /^192\.168\.1\.(1\d\d)$/);
    assert.deepEqual(
      { ...lease, ip: undefined },
      { ip: undefined, netmask: "255.255.255.0", gateway: "192.168.1.1", dns: ["192.168.1.1"], ntp: ["192.168.1.1"], domain: "lan", leaseSeconds: 3600, server: "192.168.1.1" },
    );
    assert.equal(cam.address, lease.ip);
    assert.equal(cam.gateway, "192.168.1.1");
    assert.equal(router.dhcp.lease(cam.mac)?.hostname, "kitchen-cam");
    assert.equal(router.dhcp.received.DISCOVER, 1);
    assert.equal(router.dhcp.received.REQUEST, 1);
  });

  it("honours the router's DHCP options and gives two clients different addresses", async () => {
    const lan = makeLan({ subnet: "10.98.0.0/24" });
    lan.addRouter({ domain: "home.arpa", dhcp: { start: "10.98.0.20", end: "10.98.0.21", leaseSeconds: 600, dns: ["10.98.0.1", "9.9.9.9"], ntp: [] } });
    const a = lan.addHost();
    const b = lan.addHost();
    const la = await dhcpClient(a, {});
    const lb = await dhcpClient(b, {});
    assert.deepEqual([la.ip, lb.ip].sort(), ["10.98.0.20", "10.98.0.21"]);
    assert.deepEqual(la.dns, ["10.98.0.1", "9.9.9.9"]);
    assert.deepEqual(la.ntp, []);
    assert.equal(la.domain, "home.arpa");
    assert.equal(la.leaseSeconds, 600);
    // the pool is exhausted: a third client gets no offer
    const c = lan.addHost();
    await assert.rejects(dhcpClient(c, { timeoutMs: 30 }), { code: "ETIMEDOUT" });
  });

  it("registers the option-12 name as <name>.lan with A and PTR records", async () => {
    const { lan, pc } = homeLan();
    const cam = camera(lan);
    const lease = await dhcpClient(cam, { hostname: "Kitchen-CAM" });
    const a = (await dnsQuery(lan, pc, "kitchen-cam.lan", "A"))!;
    assert.equal(rcodeOf(a), "NOERROR");
    assert.equal(a.flag_aa, true);
    assert.deepEqual(a.answers.map((r) => [r.name, r.type, r.data]), [["kitchen-cam.lan", "A", lease.ip]]);
    assert.deepEqual(a.questions, [{ name: "kitchen-cam.lan", type: "A", class: "IN" }]);
    const reverse = lease.ip.split(".").reverse().join(".") + ".in-addr.arpa";
    const ptr = (await dnsQuery(lan, pc, reverse, "PTR"))!;
    assert.deepEqual(ptr.answers.map((r) => r.data), ["Kitchen-CAM.lan"]);
    // the bare name answers too (dnsmasq with expand-hosts)
    const bare = (await dnsQuery(lan, pc, "KITCHEN-cam", "A"))!;
    assert.deepEqual(bare.answers.map((r) => r.data), [lease.ip]);
  });

  it("a new lease with another name replaces the old name; another MAC can take a name", async () => {
    const { lan, router, pc } = homeLan();
    const cam = camera(lan);
    const first = await dhcpClient(cam, { hostname: "kitchen-cam" });
    const second = await dhcpClient(cam, { hostname: "porch-cam" });
    assert.equal(second.ip, first.ip);
    const old = (await dnsQuery(lan, pc, "kitchen-cam.lan", "A"))!;
    assert.equal(rcodeOf(old), "NXDOMAIN");
    assert.equal(old.authorities[0].type, "SOA");
    assert.equal((await dnsQuery(lan, pc, "porch-cam.lan", "A"))!.answers[0].data, first.ip);
    const reverse = first.ip.split(".").reverse().join(".") + ".in-addr.arpa";
    assert.equal((await dnsQuery(lan, pc, reverse, "PTR"))!.answers[0].data, "porch-cam.lan");

    const other = lan.addHost({ name: "other" });
    const taken = await dhcpClient(other, { hostname: "porch-cam" });
    assert.equal((await dnsQuery(lan, pc, "porch-cam.lan", "A"))!.answers[0].data, taken.ip);
    assert.equal(router.dhcp.lease(cam.mac)?.hostname, undefined);
  });

  it("RELEASE removes the lease and its name", async () => {
    const { lan, router, pc } = homeLan();
    const cam = camera(lan);
    const lease = await dhcpClient(cam, { hostname: "garage-cam" });
    dhcpRelease(cam, lease);
    await settle(lan);
    assert.equal(cam.address, "0.0.0.0");
    assert.equal(router.dhcp.lease(cam.mac), undefined);
    assert.equal(rcodeOf((await dnsQuery(lan, pc, "garage-cam.lan", "A"))!), "NXDOMAIN");
  });

  it("times out without a DHCP server and fails at once without a link", async () => {
    const { lan, router } = homeLan();
    router.dhcp.enabled = false;
    const cam = camera(lan);
    await assert.rejects(dhcpClient(cam, { timeoutMs: 40 }), { code: "ETIMEDOUT" });
    const offline = lan.addHost({ wifi: true });
    await assert.rejects(dhcpClient(offline, {}), { code: "ENETUNREACH" });
  });

  it("survives lost packets by retransmitting (fake clock)", async () => {
    const clock = manualClock();
    const lan = makeLan({ loss: 0.5, seed: 7, clock });
    const router = lan.addRouter();
    const cam = lan.addHost();
    const leased = dhcpClient(cam, { hostname: "lossy", timeoutMs: 120000 });
    let lease: Awaited<typeof leased> | undefined;
    leased.then((l) => { lease = l; }, () => {});
    for (let i = 0; i < 200 && !lease; i++) {
      clock.advance(500);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(lease, "no lease after 100 s of emulated time");
    assert.ok(router.dhcp.received.DISCOVER + router.dhcp.received.REQUEST > 2, "nothing was retransmitted");
  });

  it("NAKs a REQUEST for an address it cannot give, broadcast to port 68", async () => {
    const { lan, router } = homeLan();
    const cam = lan.addHost();
    const replies: number[] = [];
    const sock = cam.udpBind({ port: 68, broadcast: true, onMessage: (d) => replies.push(messageType(parseDhcp(d))) });
    const req = newMessage({ op: BOOTREQUEST, xid: 5, chaddr: cam.mac, flags: 0x8000 });
    req.options.set(OPTION.messageType, Uint8Array.of(3)); // REQUEST, INIT-REBOOT style
    req.options.set(OPTION.requestedIp, Uint8Array.of(10, 0, 0, 5));
    sock.send(encodeDhcp(req), 67, "255.255.255.255");
    await settle(lan);
    assert.deepEqual(replies, [6]); // DHCPNAK
    assert.equal(router.dhcp.lease(cam.mac), undefined);
  });

  it("encodes and parses DHCP messages, and rejects garbage with EBADMSG", () => {
    const msg = newMessage({ op: BOOTREQUEST, xid: 0xdeadbeef, chaddr: "02:00:00:00:00:09", flags: 0x8000 });
    msg.options.set(OPTION.messageType, Uint8Array.of(DHCPDISCOVER));
    msg.options.set(OPTION.hostName, stringOption("x".repeat(300))); // split over two options (RFC 3396)
    const bytes = encodeDhcp(msg);
    assert.deepEqual([...bytes.subarray(236, 243)], [99, 130, 83, 99, 53, 1, 1]);
    const back = parseDhcp(bytes);
    assert.equal(back.xid, 0xdeadbeef);
    assert.equal(back.chaddr, "02:00:00:00:00:09");
    assert.equal(back.flags, 0x8000);
    assert.equal(messageType(back), DHCPDISCOVER);
    assert.equal(back.options.get(OPTION.hostName)!.length, 300);
    assert.throws(() => parseDhcp(new Uint8Array(100)), { code: "EBADMSG" });
    const cut = bytes.slice(0, 243);
    cut[241] = 12; cut[242] = 200; // an option longer than the message
    assert.throws(() => parseDhcp(cut), { code: "EBADMSG" });
  });
});

describe("lan: DNS server", () => {
  it("answers the outside zone: several A, AAAA, CNAME chains, PTR, SRV, TXT; flags and echo", async () => {
    const { lan, router, pc } = homeLan();
    const dns = router.dns;
    dns.add("multi.example", "A", "203.0.113.1");
    dns.add("multi.example", "A", "203.0.113.2", 120);
    dns.add("v6.example", "AAAA", "2001:db8::1");
    dns.add("www.example", "CNAME", "edge.cdn.example");
    dns.add("edge.cdn.example", "CNAME", "multi.example");
    dns.add("1.113.0.203.in-addr.arpa", "PTR", "multi.example");
    dns.add("_http._tcp.example", "SRV", { priority: 1, weight: 5, port: 8080, target: "multi.example" });
    dns.add("txt.example", "TXT", ["v=1", "k=x"]);

    const multi = (await dnsQuery(lan, pc, "Multi.Example", "A"))!;
    assert.equal(multi.type, "response");
    assert.equal(multi.flag_rd, true);
    assert.equal(multi.flag_ra, true);
    assert.equal(multi.flag_aa, false);
    assert.equal(multi.questions[0].name, "Multi.Example");
    assert.deepEqual(multi.answers.map((a) => [a.data, a.ttl]), [["203.0.113.1", 300], ["203.0.113.2", 120]]);

    const chain = (await dnsQuery(lan, pc, "www.example", "A"))!;
    assert.deepEqual(chain.answers.map((a) => [a.name, a.type, a.data]), [
      ["www.example", "CNAME", "edge.cdn.example"],
      ["edge.cdn.example", "CNAME", "multi.example"],
      ["multi.example", "A", "203.0.113.1"],
      ["multi.example", "A", "203.0.113.2"],
    ]);
    assert.equal((await dnsQuery(lan, pc, "v6.example", "AAAA"))!.answers[0].data, "2001:db8::1");
    assert.equal((await dnsQuery(lan, pc, "1.113.0.203.in-addr.arpa", "PTR"))!.answers[0].data, "multi.example");
    assert.deepEqual((await dnsQuery(lan, pc, "_http._tcp.example", "SRV"))!.answers[0].data,
      { priority: 1, weight: 5, port: 8080, target: "multi.example" });
    assert.deepEqual((await dnsQuery(lan, pc, "txt.example", "TXT"))!.answers[0].data.map(String), ["v=1", "k=x"]);
    assert.equal(dns.queries("multi.example"), 1);
    assert.equal(dns.queries("www.example"), 1);
  });

  it("answers NXDOMAIN and NODATA with an SOA whose TTL bounds negative caching", async () => {
    const { lan, router, pc } = homeLan();
    router.dns.negativeTtl = 45;
    router.dns.add("only-a.example", "A", "203.0.113.9");
    const nx = (await dnsQuery(lan, pc, "nope.example", "A"))!;
    assert.equal(nx.rcode, "NXDOMAIN");
    assert.equal(nx.answers.length, 0);
    assert.equal(nx.authorities[0].type, "SOA");
    assert.equal(nx.authorities[0].ttl, 45);
    assert.equal(nx.authorities[0].data.minimum, 45);
    const nodata = (await dnsQuery(lan, pc, "only-a.example", "AAAA"))!;
    assert.equal(nodata.rcode, "NOERROR");
    assert.equal(nodata.answers.length, 0);
    assert.equal(nodata.authorities[0].type, "SOA");
  });

  it("behaves as told: nxdomain, servfail, refused, silent (and back to normal)", async () => {
    const { lan, router, pc } = homeLan();
    router.dns.add("flaky.example", "A", "203.0.113.5");
    router.dns.behave("flaky.example", "nxdomain");
    const nx = (await dnsQuery(lan, pc, "flaky.example", "A"))!;
    assert.equal(nx.rcode, "NXDOMAIN");
    assert.equal(nx.authorities[0].type, "SOA");
    router.dns.behave("flaky.example", "servfail");
    assert.equal((await dnsQuery(lan, pc, "flaky.example", "A"))!.rcode, "SERVFAIL");
    router.dns.behave("flaky.example", "refused");
    assert.equal((await dnsQuery(lan, pc, "flaky.example", "A"))!.rcode, "REFUSED");
    router.dns.behave("flaky.example", "silent");
    assert.equal(await dnsQuery(lan, pc, "flaky.example", "A"), null);
    assert.equal(router.dns.queries("flaky.example"), 4);
    router.dns.behave("flaky.example", null);
    assert.equal((await dnsQuery(lan, pc, "flaky.example", "A"))!.answers[0].data, "203.0.113.5");
  });

  it("truncate: UDP gets TC and no answers, TCP gets the full answer", async () => {
    const { lan, router, pc } = homeLan();
    router.dns.add("big.example", "A", "203.0.113.7");
    router.dns.behave("big.example", "truncate");
    const udp = (await dnsQuery(lan, pc, "big.example", "A"))!;
    assert.equal(udp.flag_tc, true);
    assert.equal(udp.answers.length, 0);
    const tcp = await dnsQueryTcp(pc, "big.example", "A");
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.id, 77);
    assert.deepEqual(tcp.answers.map((a) => a.data), ["203.0.113.7"]);
    assert.equal(router.dns.log.at(-1)!.transport, "tcp");
  });

  it("truncates an answer larger than 512 bytes (or the EDNS size) over UDP", async () => {
    const { lan, router, pc } = homeLan();
    for (let i = 1; i <= 30; i++) router.dns.add("many.example", "A", `203.0.113.${i}`);
    const plain = (await dnsQuery(lan, pc, "many.example", "A"))!;
    assert.equal(plain.flag_tc, true);
    assert.equal(plain.answers.length, 0);
    const edns = (await dnsQuery(lan, pc, "many.example", "A", "192.168.1.1", true))!;
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers.length, 30);
    assert.equal((await dnsQueryTcp(pc, "many.example", "A")).answers.length, 30);
  });
});

describe("lan: NTP server", () => {
  function ntpRequest(transmitMs: number): Uint8Array {
    const req = new Uint8Array(48);
    req[0] = (0 << 6) | (4 << 3) | 3;
    req[2] = 6;
    writeNtpTimestamp(req, 40, transmitMs);
    return req;
  }

  async function ask(lan: Lan, host: Host, req: Uint8Array): Promise<Uint8Array | null> {
    let reply: Uint8Array | null = null;
    const sock = host.udpBind({ onMessage: (d) => { reply = d; } });
    sock.send(req, 123, "192.168.1.1");
    await settle(lan);
    sock.close();
    return reply;
  }

  it("replies mode 4, stratum 2, origin = client transmit, receive/transmit from its clock", async () => {
    const { lan, router, pc } = homeLan();
    const reference = Date.UTC(2024, 4, 1, 12, 0, 0) + 250;
    router.ntp.clock = () => reference;
    const req = ntpRequest(1000);
    const reply = (await ask(lan, pc, req))!;
    assert.equal(reply.length, 48);
    assert.equal(reply[0] & 7, 4);
    assert.equal((reply[0] >> 3) & 7, 4);
    assert.equal(reply[0] >> 6, 0);
    assert.equal(reply[1], 2);
    assert.deepEqual([...reply.subarray(24, 32)], [...req.subarray(40, 48)]);
    assert.equal(readNtpTimestamp(reply, 32), reference);
    assert.equal(readNtpTimestamp(reply, 40), reference);
    assert.ok(readNtpTimestamp(reply, 16) < reference);
    router.ntp.offsetMs = -5000;
    assert.equal(readNtpTimestamp((await ask(lan, pc, req))!, 40), reference - 5000);
  });

  it("wraps timestamps into NTP era 1 after 2036", () => {
    const after = Date.UTC(2036, 1, 8, 0, 0, 0);
    const out = new Uint8Array(8);
    writeNtpTimestamp(out, 0, after);
    assert.ok(new DataView(out.buffer).getUint32(0) < 100000);
    assert.equal(readNtpTimestamp(out, 0, true), after);
  });

  it("lets a test craft or suppress replies", async () => {
    const { lan, router, pc } = homeLan();
    router.ntp.reply = (request, reply) => {
      assert.equal(request[0] & 7, 3);
      const bad = reply.slice();
      bad[1] = 0; // stratum 0: kiss-o'-death
      bad.set([82, 65, 84, 69], 12); // "RATE"
      return bad;
    };
    const kod = (await ask(lan, pc, ntpRequest(5)))!;
    assert.equal(kod[1], 0);
    assert.equal(String.fromCharCode(...kod.subarray(12, 16)), "RATE");
    router.ntp.reply = () => null;
    assert.equal(await ask(lan, pc, ntpRequest(5)), null);
    assert.equal(router.ntp.requests, 2);
  });
});

describe("lan: UDP", () => {
  function listen(host: Host, port: number, opts: { groups?: string[]; reuseAddr?: boolean; broadcast?: boolean } = {}) {
    const got: { text: string; from: string; to: string; ttl?: number }[] = [];
    const handle = host.udpBind({
      port, ...opts,
      onMessage: (d, from, to) => got.push({ text: Buffer.from(d).toString(), from: `${from.address}:${from.port}`, to: to.address, ttl: to.ttl }),
    });
    return { got, handle };
  }
  const text = (s: string) => new TextEncoder().encode(s);

  it("unicast reaches the bound port with the sender's address and port; unknown hosts lose it", async () => {
    const lan = makeLan();
    const a = lan.addHost({ ip: "192.168.1.10" });
    const b = lan.addHost({ ip: "192.168.1.11" });
    const rx = listen(b, 4000);
    const tx = a.udpBind({ onMessage: () => {} });
    assert.ok(tx.port >= 49152);
    tx.send(text("hi"), 4000, "192.168.1.11");
    tx.send(text("void"), 4000, "192.168.1.99"); // nobody: silently lost
    tx.send(text("closed port"), 4001, "192.168.1.11");
    await settle(lan);
    assert.deepEqual(rx.got, [{ text: "hi", from: `192.168.1.10:${tx.port}`, to: "192.168.1.11", ttl: 64 }]);
  });

  it("delivers in order per sender, with latency", async () => {
    const lan = makeLan({ latencyMs: 2 });
    const a = lan.addHost({ ip: "192.168.1.10" });
    const b = lan.addHost({ ip: "192.168.1.11" });
    const rx = listen(b, 4000);
    const tx = a.udpBind({ onMessage: () => {} });
    for (let i = 0; i < 50; i++) tx.send(text(String(i)), 4000, "192.168.1.11");
    assert.equal(rx.got.length, 0, "delivery must be asynchronous");
    await settle(lan);
    assert.deepEqual(rx.got.map((g) => g.text), Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it("broadcast needs the broadcast option (EACCES) and reaches every host on the port, addressless ones too", async () => {
    const lan = makeLan();
    const a = lan.addHost({ ip: "192.168.1.10" });
    const b = lan.addHost({ ip: "192.168.1.11" });
    const bare = lan.addHost(); // 0.0.0.0
    const rb = listen(b, 6000);
    const rbare = listen(bare, 6000);
    const plain = a.udpBind({ onMessage: () => {} });
    assert.throws(() => plain.send(text("x"), 6000, "255.255.255.255"), { code: "EACCES" });
    assert.throws(() => plain.send(text("x"), 6000, "192.168.1.255"), { code: "EACCES" });
    const bcast = a.udpBind({ broadcast: true, onMessage: () => {} });
    bcast.send(text("all"), 6000, "255.255.255.255");
    bcast.send(text("subnet"), 6000, "192.168.1.255");
    // an addressless host may broadcast (DHCP does)
    const fromBare = bare.udpBind({ broadcast: true, onMessage: () => {} });
    fromBare.send(text("bare"), 6000, "255.255.255.255");
    assert.throws(() => fromBare.send(text("u"), 6000, "192.168.1.11"), { code: "ENETUNREACH" });
    await settle(lan);
    assert.deepEqual(rb.got.map((g) => [g.text, g.to]), [["all", "255.255.255.255"], ["subnet", "192.168.1.255"], ["bare", "255.255.255.255"]]);
    assert.deepEqual(rbare.got.map((g) => g.text), ["all", "subnet", "bare"]);
    assert.equal(rb.got[2].from, `0.0.0.0:${fromBare.port}`);
  });

  it("multicast reaches members only, the sender too when it joined (loopback)", async () => {
    const lan = makeLan();
    const a = lan.addHost({ name: "a", ip: "192.168.1.10" });
    const b = lan.addHost({ name: "b", ip: "192.168.1.11" });
    const c = lan.addHost({ name: "c", ip: "192.168.1.12" });
    const ra = listen(a, 5353, { groups: ["224.0.0.251"], reuseAddr: true });
    const rb = listen(b, 5353, { groups: ["224.0.0.251"], reuseAddr: true });
    const rc = listen(c, 5353); // bound, not a member
    const captured: number[] = [];
    lan.capture((d) => captured.push(d.ttl));
    ra.handle.send(text("q"), 5353, "224.0.0.251", 255);
    await settle(lan);
    assert.deepEqual(ra.got.map((g) => [g.text, g.to, g.ttl]), [["q", "224.0.0.251", 255]]);
    assert.deepEqual(rb.got.map((g) => [g.text, g.from]), [["q", "192.168.1.10:5353"]]);
    assert.equal(rc.got.length, 0);
    assert.deepEqual(captured, [255]);
    assert.throws(() => listen(a, 5353, { groups: ["192.168.1.1"] }), { code: "EINVAL" });
  });

  it("EADDRINUSE unless both sockets set reuseAddr; closing frees the port", () => {
    const lan = makeLan();
    const a = lan.addHost({ ip: "192.168.1.10" });
    const first = a.udpBind({ port: 7000, onMessage: () => {} });
    assert.throws(() => a.udpBind({ port: 7000, onMessage: () => {} }), { code: "EADDRINUSE" });
    assert.throws(() => a.udpBind({ port: 7000, reuseAddr: true, onMessage: () => {} }), { code: "EADDRINUSE" });
    first.close();
    a.udpBind({ port: 7000, reuseAddr: true, onMessage: () => {} });
    a.udpBind({ port: 7000, reuseAddr: true, onMessage: () => {} });
    assert.throws(() => a.udpBind({ port: 7000, onMessage: () => {} }), { code: "EADDRINUSE" });
    const e1 = a.udpBind({ onMessage: () => {} });
    const e2 = a.udpBind({ onMessage: () => {} });
    assert.notEqual(e1.port, e2.port);
    assert.ok(e1.port >= 49152 && e2.port >= 49152);
    assert.throws(() => e1.send(new Uint8Array(65508), 9, "192.168.1.11"), { code: "EMSGSIZE" });
  });

  it("loss is deterministic for a seed", async () => {
    async function run(seed: number): Promise<string[]> {
      const lan = makeLan({ loss: 0.3, seed });
      const a = lan.addHost({ ip: "192.168.1.10" });
      const b = lan.addHost({ ip: "192.168.1.11" });
      const rx = listen(b, 4000);
      const tx = a.udpBind({ onMessage: () => {} });
      for (let i = 0; i < 100; i++) tx.send(text(String(i)), 4000, "192.168.1.11");
      await settle(lan);
      return rx.got.map((g) => g.text);
    }
    const one = await run(42);
    assert.deepEqual(await run(42), one);
    assert.ok(one.length > 40 && one.length < 95, `${one.length} of 100 arrived with 30% loss`);
    assert.notDeepEqual(await run(43), one);
  });
});

describe("lan: TCP", () => {
  function pair() {
    const lan = makeLan({ tcpConnectTimeoutMs: 25 });
    const client = lan.addHost({ name: "client", ip: "192.168.1.10" });
    const server = lan.addHost({ name: "server", ip: "192.168.1.20" });
    return { lan, client, server };
  }
  const read = async (s: TcpStream) => {
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  };

  it("echo, with remote and local addresses on both ends", async () => {
    const { client, server } = pair();
    let accepted: TcpStream | undefined;
    const listener = server.tcpListen(8080, (s) => {
      accepted = s;
      s.pipe(s);
    });
    const s = await client.tcpConnect("192.168.1.20", 8080);
    assert.deepEqual(s.remote, { address: "192.168.1.20", port: 8080 });
    assert.equal(s.local.address, "192.168.1.10");
    assert.ok(s.local.port >= 49152);
    assert.deepEqual(accepted!.remote, s.local);
    assert.deepEqual(accepted!.local, s.remote);
    s.end("hello over the virtual LAN");
    assert.equal(await read(s), "hello over the virtual LAN");
    assert.throws(() => server.tcpListen(8080, () => {}), { code: "EADDRINUSE" });
    listener.close();
  });

  it("refused, timed out, unreachable", async () => {
    const { lan, client } = pair();
    await assert.rejects(client.tcpConnect("192.168.1.20", 9), { code: "ECONNREFUSED" });
    await assert.rejects(client.tcpConnect("192.168.1.77", 80), { code: "ETIMEDOUT" });
    const bare = lan.addHost();
    await assert.rejects(bare.tcpConnect("192.168.1.20", 80), { code: "ENETUNREACH" });
    bare.setAddress("192.168.1.30", "255.255.255.0", "");
    assert.equal(bare.gateway, lan.defaultGateway);
  });

  it("half-close: the client ends, the server still answers", async () => {
    const { client, server } = pair();
    server.tcpListen(7, (s) => {
      let got = "";
      s.on("data", (d: Buffer) => { got += d; });
      s.on("end", () => s.end(`you said ${got}`));
    });
    const s = await client.tcpConnect("192.168.1.20", 7);
    s.end("ping");
    assert.equal(await read(s), "you said ping");
  });

  it("destroy on one side resets the other with ECONNRESET", async () => {
    const { client, server } = pair();
    server.tcpListen(9000, (s) => s.destroy());
    const s = await client.tcpConnect("192.168.1.20", 9000);
    const err = await new Promise<Error & { code?: string }>((resolve) => s.on("error", resolve));
    assert.equal(err.code, "ECONNRESET");

    let serverSide: TcpStream | undefined;
    server.tcpListen(9001, (x) => { serverSide = x; });
    const c = await client.tcpConnect("192.168.1.20", 9001);
    const reset = new Promise<Error & { code?: string }>((resolve) => serverSide!.on("error", resolve));
    c.destroy();
    assert.equal((await reset).code, "ECONNRESET");
  });

  it("honours highWaterMark: write() returns false while the peer does not read, then drains", async () => {
    const lan = makeLan({ tcpHighWaterMark: 1024 });
    const a = lan.addHost({ ip: "192.168.1.10" });
    const b = lan.addHost({ ip: "192.168.1.11" });
    let serverSide: TcpStream | undefined;
    b.tcpListen(1, (s) => { serverSide = s; s.pause(); });
    const s = await a.tcpConnect("192.168.1.11", 1);
    const chunk = Buffer.alloc(256, 1);
    let writes = 0;
    while (s.write(chunk)) {
      writes++;
      await settle(lan);
      assert.ok(writes < 100, "write() never reported a full buffer");
    }
    assert.ok(writes >= 4, `only ${writes} writes fit in 2 x 1024 bytes of buffer`);
    let received = 0;
    serverSide!.on("data", (d: Buffer) => { received += d.length; });
    serverSide!.resume();
    await new Promise((r) => s.once("drain", r));
    await settle(lan);
    assert.equal(received, (writes + 1) * 256);
  });

  it("Node's tls can wrap a virtual stream (it is a real Duplex)", async () => {
    const { client, server } = pair();
    server.tcpListen(4433, (s) => s.end());
    const s = await client.tcpConnect("192.168.1.20", 4433);
    const tls = await import("node:tls");
    const wrapped = tls.connect({ socket: s, servername: "x.test", rejectUnauthorized: false });
    const err = await new Promise<Error & { code?: string }>((resolve) => wrapped.on("error", resolve));
    assert.ok(err.code === "ECONNRESET" || /socket disconnected|closed/i.test(err.message), err.message);
  });
});

describe("lan: access points", () => {
  it("auth failure, no AP, drop and disable emit disassociated, scan lists enabled APs", () => {
    const lan = makeLan();
    const home = lan.addAccessPoint({ ssid: "home", password: "secret123", channel: 11, rssi: -40 });
    const guest = lan.addAccessPoint({ ssid: "guest", rssi: -70 });
    assert.deepEqual(lan.scan().map((s) => [s.ssid, s.authMode, s.channel]), [["home", "wpa2", 11], ["guest", "open", 6]]);
    const cam = lan.addHost({ wifi: true, ip: "192.168.1.40" });
    const peer = lan.addHost({ ip: "192.168.1.41" });
    const sock = cam.udpBind({ onMessage: () => {} });
    assert.throws(() => sock.send(new Uint8Array(1), 9, "192.168.1.41"), { code: "ENETUNREACH" });
    assert.equal(home.associate(cam, "wrong"), "AUTH_FAIL");
    assert.equal(home.associate(cam, undefined), "AUTH_FAIL");
    assert.equal(guest.associate(cam, "anything"), "ok");
    assert.equal(home.associate(cam, "secret123"), "ok");
    assert.deepEqual(guest.clients, []);
    assert.deepEqual(home.clients, [cam]);
    sock.send(new Uint8Array(1), 9, "192.168.1.41");

    const events: unknown[] = [];
    cam.on("disassociated", (e) => events.push(e));
    home.disassociate(cam);
    assert.deepEqual(events, []);
    home.associate(cam, "secret123");
    home.drop(cam, "BEACON_TIMEOUT");
    assert.deepEqual(events, [{ reason: "BEACON_TIMEOUT", ssid: "home" }]);
    assert.throws(() => sock.send(new Uint8Array(1), 9, "192.168.1.41"), { code: "ENETUNREACH" });

    home.associate(cam, "secret123");
    home.setEnabled(false);
    assert.equal(events.length, 2);
    assert.equal(home.associate(cam, "secret123"), "NO_AP_FOUND");
    assert.deepEqual(lan.scan().map((s) => s.ssid), ["guest"]);
    home.setEnabled(true);
    assert.equal(home.associate(cam, "secret123"), "ok");
    assert.equal(peer.online, true);
  });

  it("a datagram in flight is lost when the receiver's link drops", async () => {
    const lan = makeLan({ latencyMs: 1 });
    const ap = lan.addAccessPoint({ ssid: "x" });
    const cam = lan.addHost({ wifi: true, ip: "192.168.1.40" });
    ap.associate(cam, undefined);
    const pc = lan.addHost({ ip: "192.168.1.41" });
    let got = 0;
    cam.udpBind({ port: 5000, onMessage: () => { got++; } });
    pc.udpBind({ onMessage: () => {} }).send(new Uint8Array(1), 5000, "192.168.1.40");
    ap.drop(cam);
    await settle(lan);
    assert.equal(got, 0);
  });
});

describe("lan: shutdown", () => {
  it("close() cancels every timer and stream and leaves no handles behind", async () => {
    await new Promise((r) => setImmediate(r)); // mocha's own timeout timer is running from here on
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
    const lan = new Lan({ latencyMs: 5, tcpConnectTimeoutMs: 60000 });
    const router = lan.addRouter();
    const a = lan.addHost({ ip: "192.168.1.10" });
    router.tcpListen(80, (s) => s.resume());
    const open = await a.tcpConnect("192.168.1.1", 80);
    open.on("error", () => {});
    open.write("pending bytes");
    const hanging = a.tcpConnect("192.168.1.99", 80);
    const leasing = dhcpClient(lan.addHost(), { timeoutMs: 60000 });
    a.udpBind({ onMessage: () => {} }).send(new Uint8Array(4), 53, "192.168.1.1");
    assert.ok(lan.activeTimers() > 0);
    assert.equal(lan.activeStreams(), 2);
    lan.close();
    assert.equal(lan.activeTimers(), 0);
    assert.equal(lan.activeStreams(), 0);
    await assert.rejects(hanging, { code: "ENETDOWN" });
    await Promise.race([leasing.then(() => assert.fail("leased after close"), () => {}), new Promise((r) => setImmediate(r))]);
    await new Promise((r) => setImmediate(r));
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
    assert.ok(timersAfter <= timersBefore, `${timersAfter - timersBefore} timers left running after close()`);
    assert.throws(() => a.udpBind({ onMessage: () => {} }).send(new Uint8Array(1), 1, "192.168.1.1"), { code: "ENETDOWN" });
  });

  it("runs on an injected clock: a connect timeout fires only when the clock advances", async () => {
    const clock = manualClock();
    const lan = makeLan({ clock, tcpConnectTimeoutMs: 3000 });
    const a = lan.addHost({ ip: "192.168.1.10" });
    let outcome = "";
    a.tcpConnect("192.168.1.99", 80).catch((e) => { outcome = e.code; });
    clock.advance(2999);
    await new Promise((r) => setImmediate(r));
    assert.equal(outcome, "");
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    assert.equal(outcome, "ETIMEDOUT");
  });
});

describe("lan: realStack bridge on 127.0.0.1", () => {
  it("UDP round trip", async () => {
    const stack = realStack("127.0.0.1");
    try {
      let resolveGot: (v: { text: string; port: number }) => void = () => {};
      const got = new Promise<{ text: string; port: number }>((resolve) => { resolveGot = resolve; });
      const rx = stack.udpBind({ onMessage: (d, from) => resolveGot({ text: Buffer.from(d).toString(), port: from.port }) });
      const tx = stack.udpBind({ onMessage: () => {} });
      await rx.ready;
      await tx.ready;
      assert.ok(rx.port > 0);
      tx.send(new TextEncoder().encode("over loopback"), rx.port, "127.0.0.1");
      const { text, port } = await got;
      assert.equal(text, "over loopback");
      assert.equal(port, tx.port);
      assert.throws(() => tx.send(new Uint8Array(1), 9, "255.255.255.255"), { code: "EACCES" });
    } finally {
      stack.close();
    }
  });

  it("UDP bind conflicts arrive as EADDRINUSE on ready/onError", async () => {
    const stack = realStack("127.0.0.1");
    try {
      const a = stack.udpBind({ onMessage: () => {} });
      await a.ready;
      const errors: string[] = [];
      const b = stack.udpBind({ port: a.port, onMessage: () => {}, onError: (e) => errors.push(e.code ?? "") });
      await assert.rejects(b.ready!, { code: "EADDRINUSE" });
      assert.deepEqual(errors, ["EADDRINUSE"]);
    } finally {
      stack.close();
    }
  });

  it("TCP echo round trip and refusal", async () => {
    const stack = realStack("127.0.0.1");
    try {
      const server = stack.tcpListen(0, (s) => s.pipe(s));
      await server.ready;
      const s = await stack.tcpConnect("127.0.0.1", server.port);
      assert.equal(s.remote.port, server.port);
      assert.equal(s.local.address, "127.0.0.1");
      s.end("echo me");
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), "echo me");
      server.close();
      await assert.rejects(stack.tcpConnect("127.0.0.1", server.port), { code: "ECONNREFUSED" });
    } finally {
      stack.close();
    }
  });
});

/** A clock the test moves by hand. */
function manualClock(): LanClock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id as number);
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

// keep the Router type import used (documentation of what homeLan returns)
export type { Router };
