// The bundle's mDNS (the Linux board profile, its sockets bridged to real ones on 10.77.0.1
// in namespace cnava) against a real avahi-daemon 0.8 (10.77.0.2 in namespace cnavb), with
// its own config, its own pid directory and static services (a private mount namespace)
// and its own D-Bus for avahi-resolve and avahi-browse (protocols.md §5.3-§5.4). Wire facts
// come from tcpdump's capture in the peer's namespace. Needs root, `ip netns`, avahi-daemon,
// avahi-utils and dbus (skipped without them); the wire test needs tcpdump.
import assert from "node:assert/strict";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import type { Answer, DecodedPacket } from "dns-packet";
import { AVAHI, TCPDUMP, TOOLS, run, startAvahi, startBus } from "./avahi.ts";
import type { Daemon } from "./helpers.ts";
import { boardCode, capture, createLink, missing, netnsProblem, startBoard, type Capture, type Datagram, type Link, type NsBoard } from "./netns.ts";

/** The mDNS messages of a capture, decoded (dns-packet keeps the cache-flush bit). */
function decoded(caps: Datagram[]): (Datagram & { m: DecodedPacket })[] {
  return caps.map((d) => ({ ...d, m: dnsPacket.decode(d.payload) }));
}

describe("mDNS against avahi-daemon (Linux board in a namespace, real sockets on 10.77.0.1)", function () {
  this.timeout(60000);
  let link: Link | undefined;
  let bus: { daemon: Daemon; address: string } | undefined;
  let avahi: Daemon | undefined;
  let board: NsBoard | undefined;
  let cap: Capture | undefined;
  let capFile = "";

  before(async function () {
    const problem = netnsProblem() || (missing(AVAHI, ...TOOLS) && `${missing(AVAHI, ...TOOLS)} is missing (apt-get install avahi-daemon avahi-utils dbus)`);
    if (problem) {
      console.log(`    (skipped: ${problem})`);
      this.skip();
    }
    link = createLink("cnav", "10.77.0");
    bus = await startBus();
    avahi = await startAvahi(link.b, link.ifB, bus.address, "peer-avahi");
    if (!missing(TCPDUMP)) {
      capFile = join(avahi.dir, "cap.pcap");
      cap = await capture(link.b, link.ifB, capFile);
    }
    board = await startBoard(link.a, link.addrA, boardCode(link.addrA));
    await board.until("seen.claimed[0]", 5000);
  });

  after(async function () {
    await cap?.stop();
    await board?.stop();
    await avahi?.stop();
    await bus?.daemon.stop();
    link?.destroy();
  });

  it("avahi-resolve -n kitchen-cam.local gives the board's address", async function () {
    const out = await run(link!.b, bus!.address, ["avahi-resolve", "-4", "-n", "kitchen-cam.local"]);
    assert.equal(out.trim(), "kitchen-cam.local\t10.77.0.1");
  });

  it("avahi-resolve -a 10.77.0.1 gives kitchen-cam.local (the reverse PTR, RFC 6762 §4)", async function () {
    const out = await run(link!.b, bus!.address, ["avahi-resolve", "-a", "10.77.0.1"]);
    assert.equal(out.trim(), "10.77.0.1\tkitchen-cam.local");
  });

  it("avahi-browse sees and resolves the board's _http._tcp advert (port 80, path=/)", async function () {
    const out = await run(link!.b, bus!.address, ["avahi-browse", "-kprt", "_http._tcp"]);
    const resolved = out.split("\n").filter((l) => l.startsWith("=;")).map((l) => l.split(";"));
    assert.equal(resolved.length, 1, out);
    const [, , proto, name, type, domain, host, address, port, txt] = resolved[0];
    assert.deepEqual({ proto, name, type, domain, host, address, port, txt },
      { proto: "IPv4", name: "kitchen-cam", type: "_http._tcp", domain: "local", host: "kitchen-cam.local", address: "10.77.0.1", port: "80", txt: '"path=/"' });
  });

  it("camnet resolves avahi's host name: socket.getaddrinfo(\"peer-avahi.local\", 80)", async function () {
    const info = await board!.resolved(`require("socket").getaddrinfo("peer-avahi.local", 80, 2, 1)`);
    assert.deepEqual(info.map((a: any[]) => a[4]), [["10.77.0.2", 80]]);
  });

  it("camnet browses avahi's static service (an /etc/avahi/services file)", async function () {
    const found = await board!.resolved(`require("mdns").browse("_ipp._tcp", 2000)`);
    assert.deepEqual(found, [{ name: "Peer Printer", host: "peer-avahi.local", port: 631, txt: { rp: "printer" }, addresses: ["10.77.0.2"] }]);
  });

  it("on the wire (tcpdump): the board's mDNS packets carry IP TTL 255, the cache-flush bit on unique records only", async function () {
    if (!cap) {
      console.log("      (skipped: tcpdump is not installed)");
      this.skip();
    }
    // a legacy unicast query (RFC 6762 §6.7) from an ephemeral port, sent by Python
    const legacy = `import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
name = b"".join(bytes([len(l)]) + l.encode() for l in "kitchen-cam.local".split(".")) + b"\\0"
s.sendto(struct.pack(">6H", 4242, 0, 1, 0, 0, 0) + name + struct.pack(">2H", 1, 1), ("10.77.0.1", 5353))
print(s.getsockname()[1], s.recvfrom(9000)[0].hex())`;
    const [port, hex] = (await run(link!.b, bus!.address, ["/usr/bin/python3", "-c", legacy])).trim().split(" ");
    const reply = dnsPacket.decode(Buffer.from(hex, "hex"));
    assert.equal(reply.id, 4242, "legacy reply echoes the ID");
    assert.deepEqual(reply.questions?.map((q) => q.name), ["kitchen-cam.local"], "and the question");
    assert.deepEqual(reply.answers?.map((a) => [a.type, a.data, a.ttl, (a as { flush?: boolean }).flush]), [["A", "10.77.0.1", 10, false]]);
    const packets = decoded(await cap!.stop());
    cap = undefined;
    const ours = packets.filter((d) => d.src === "10.77.0.1");
    const probes = ours.filter((d) => d.m.type === "query" && (d.m.authorities ?? []).length);
    const responses = ours.filter((d) => d.m.type === "response" && d.dst === "224.0.0.251");
    assert.ok(probes.length >= 3, `3 probes seen, got ${probes.length}`);
    assert.ok(responses.length >= 1, `announcements seen, got ${responses.length}`);
    const unicast = ours.filter((d) => d.dport === +port);
    assert.equal(unicast.length, 1, "the legacy reply went by unicast to the querier's port");
    assert.equal(unicast[0].dst, "10.77.0.2");
    assert.deepEqual([...new Set(ours.map((d) => d.ttl))], [255], "IP TTL of every packet the board sent, multicast and unicast");
    for (const p of probes) {
      for (const r of p.m.authorities ?? []) assert.equal((r as { flush?: boolean }).flush, false, `probe Authority ${r.name} ${r.type} without cache-flush`);
    }
    const records = responses.flatMap((d) => [...(d.m.answers ?? []), ...(d.m.additionals ?? [])]) as (Answer & { flush?: boolean })[];
    const flagOf = (name: string, type: string) => [...new Set(records.filter((r) => r.name.toLowerCase() === name && r.type === type).map((r) => r.flush))];
    assert.deepEqual(flagOf("kitchen-cam.local", "A"), [true], "A is unique: cache-flush");
    assert.deepEqual(flagOf("1.0.77.10.in-addr.arpa", "PTR"), [true], "reverse PTR is unique: cache-flush");
    assert.deepEqual(flagOf("kitchen-cam._http._tcp.local", "SRV"), [true], "SRV is unique: cache-flush");
    assert.deepEqual(flagOf("kitchen-cam._http._tcp.local", "TXT"), [true], "TXT is unique: cache-flush");
    assert.deepEqual(flagOf("_http._tcp.local", "PTR"), [false], "the service PTR is shared: no cache-flush");
  });

  it("avahi defending kitchen-cam.local (its host-name) makes camnet rename to kitchen-cam-2 and tell the app", async function () {
    await board!.stop();
    await avahi!.stop();
    avahi = await startAvahi(link!.b, link!.ifB, bus!.address, "kitchen-cam");
    board = await startBoard(link!.a, link!.addrA, boardCode(link!.addrA));
    assert.equal(await board.until("seen.claimed[0]", 10000), "kitchen-cam-2");
    assert.deepEqual(await board.eval("seen.conflict"), ["kitchen-cam>kitchen-cam-2"]);
    assert.equal(await board.eval(`require("network").hostname()`), "kitchen-cam-2", "the board takes the new name");
    assert.equal((await run(link!.b, bus!.address, ["avahi-resolve", "-4", "-n", "kitchen-cam-2.local"])).trim(), "kitchen-cam-2.local\t10.77.0.1");
    assert.equal((await run(link!.b, bus!.address, ["avahi-resolve", "-4", "-n", "kitchen-cam.local"])).trim(), "kitchen-cam.local\t10.77.0.2",
      "avahi kept its name");
  });
});
