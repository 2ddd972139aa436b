// The socket module's pure name functions: constants, errors, services and protocols,
// inet_aton/ntoa/pton/ntop, and the gethostbyname_ex / getfqdn shaping. Expected values
// are CPython 3.11's on Debian 12 (glibc 2.36, netbase 6.4), recorded by hand; the inet_pton /
// inet_ntop cross-check runs against Node's libuv (same ISC code as glibc) on generated input.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import vm from "node:vm";
import { buildBundle } from "../scripts/build.ts";
import { espruinoBinary, runOnEspruino } from "../scripts/lib/espruino-run.ts";
import * as C from "../src/socket/constants.ts";
import { gaierror, oserror } from "../src/socket/errors.ts";
import { getprotobyname, getservbyname, getservbyport } from "../src/socket/services.ts";
import { inet_aton, inet_ntoa, inet_ntop, inet_pton, parseIpv4Lenient } from "../src/socket/inet.ts";
import { fqdn, hostbynameEx } from "../src/socket/addrinfo.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Asserts that `fn` throws an Error whose .code is `code` and whose message starts with `start`. */
function throwsCode(fn: () => unknown, code: string, start: string, errno?: number) {
  assert.throws(fn, (thrown: unknown) => {
    const e = thrown as { code?: string; errno?: number; message: string };
    assert.ok(thrown instanceof Error, "an Error");
    assert.equal(e.code, code);
    assert.ok(e.message.startsWith(start), `message ${JSON.stringify(e.message)} starts with ${JSON.stringify(start)}`);
    assert.equal(e.errno, errno);
    return true;
  });
}

describe("socket constants", () => {
  it("have CPython's Linux values", () => {
    // python3 -c 'import socket; print(int(socket.X))' on Debian 12
    const linux: Record<string, number> = {
      AF_UNSPEC: 0, AF_INET: 2, AF_INET6: 10, SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3,
      IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_UDP: 17, IPPROTO_IPV6: 41,
      AI_PASSIVE: 1, AI_CANONNAME: 2, AI_NUMERICHOST: 4, AI_V4MAPPED: 8, AI_ALL: 16, AI_ADDRCONFIG: 32,
      AI_NUMERICSERV: 1024, EAI_BADFLAGS: -1, EAI_NONAME: -2, EAI_AGAIN: -3, EAI_FAIL: -4, EAI_NODATA: -5,
      EAI_FAMILY: -6, EAI_SOCKTYPE: -7, EAI_SERVICE: -8, EAI_ADDRFAMILY: -9, EAI_MEMORY: -10,
      EAI_SYSTEM: -11, EAI_OVERFLOW: -12, SOL_SOCKET: 1, SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4,
      SO_BROADCAST: 6, SO_KEEPALIVE: 9, SO_REUSEPORT: 15, TCP_NODELAY: 1, IP_TTL: 2, IP_MULTICAST_IF: 32, IP_MULTICAST_TTL: 33,
      IP_MULTICAST_LOOP: 34, IP_ADD_MEMBERSHIP: 35, IP_DROP_MEMBERSHIP: 36, IPV6_V6ONLY: 26,
      INADDR_ANY: 0, INADDR_LOOPBACK: 2130706433, INADDR_BROADCAST: 4294967295, SHUT_RD: 0, SHUT_WR: 1,
      SHUT_RDWR: 2, MSG_PEEK: 2, MSG_DONTWAIT: 64,
    };
    // the socket objects' constants join the module with the objects (runtime.ts)
    const all: Record<string, unknown> = { ...C.constants };
    C.addConstants(all, C.OBJECT_CONSTANTS);
    assert.deepEqual(all, linux);
    assert.equal(C.constants.SO_REUSEADDR, undefined);
  });

  it("named exports agree with the table", () => {
    let n = 0;
    for (const k of Object.keys(C)) {
      if (k !== "constants" && k !== "EAI_NAMES" && k !== "addConstants" && k !== "OBJECT_CONSTANTS") {
        assert.equal((C as any)[k], C.constants[k], k);
        n++;
      }
    }
    assert.equal(n, 18);
  });
});

describe("socket errors", () => {
  it("gaierror carries the EAI name, the Linux errno and what happened", () => {
    const e = gaierror("EAI_NONAME", "no A record for cam.lan: check the name");
    assert.ok((e as unknown) instanceof Error);
    assert.equal(e.code, "EAI_NONAME");
    assert.equal(e.errno, -2);
    assert.equal(e.message, "[Errno -2] no A record for cam.lan: check the name");
  });

  it("every EAI code's errno is its constant's value, as on Linux", () => {
    const linux: Record<string, number> = {
      EAI_BADFLAGS: -1, EAI_NONAME: -2, EAI_AGAIN: -3, EAI_FAIL: -4, EAI_NODATA: -5, EAI_FAMILY: -6,
      EAI_SOCKTYPE: -7, EAI_SERVICE: -8, EAI_ADDRFAMILY: -9, EAI_MEMORY: -10, EAI_SYSTEM: -11, EAI_OVERFLOW: -12,
    };
    for (const code of Object.keys(linux)) {
      const e = gaierror(code, "x happened");
      assert.equal(e.code, code);
      assert.equal(e.errno, linux[code], code);
      assert.equal(e.message, `[Errno ${linux[code]}] x happened`);
    }
  });

  it("oserror: errno-style message only when an errno is given", () => {
    const a = oserror("EAFNOSUPPORT", "Address family not supported by protocol", 97);
    assert.equal(a.message, "[Errno 97] Address family not supported by protocol");
    assert.equal(a.code, "EAFNOSUPPORT");
    assert.equal(a.errno, 97);
    const b = oserror("EINVAL", "illegal IP address string passed to inet_aton");
    assert.equal(b.message, "illegal IP address string passed to inet_aton");
    assert.equal(b.errno, undefined);
  });
});

describe("getservbyname / getservbyport / getprotobyname", () => {
  it("seed examples: getservbyname('www') 80, getservbyport(80) 'http', getprotobyname('UDP') 17", () => {
    assert.equal(getservbyname("www"), 80);
    assert.equal(getservbyport(80), "http");
    assert.equal(getprotobyname("UDP"), 17);
  });

  it("seed 003: the port of each service, and back", () => {
    const ports: Record<string, number> = {
      http: 80, https: 443, ftp: 21, gopher: 70, smtp: 25, imap: 143, imaps: 993, pop3: 110, pop3s: 995,
    };
    for (const name of Object.keys(ports)) {
      assert.equal(getservbyname(name), ports[name], name);
      assert.equal(getservbyport(ports[name]), name, name);
    }
  });

  it("the brief's common services", () => {
    const ports: Record<string, number> = {
      echo: 7, "ftp-data": 20, ssh: 22, telnet: 23, domain: 53, ntp: 123, snmp: 161, rtsp: 554,
      mdns: 5353, mqtt: 1883, "secure-mqtt": 8883, mail: 25, imap2: 143,
    };
    for (const name of Object.keys(ports)) assert.equal(getservbyname(name), ports[name], name);
  });

  it("a protocol narrows the look-up to the transports netbase lists", () => {
    assert.equal(getservbyname("domain", "udp"), 53);
    assert.equal(getservbyname("smtp", "tcp"), 25);
    assert.equal(getservbyport(53, "udp"), "domain");
    assert.equal(getservbyname("ntp", "udp"), 123);
    throwsCode(() => getservbyname("http", "udp"), "ENOENT", "service/proto not found");
    throwsCode(() => getservbyport(123, "tcp"), "ENOENT", "port/proto not found");
    throwsCode(() => getservbyname("http", "TCP"), "ENOENT", "service/proto not found");
  });

  it("unknown service: ENOENT 'service/proto not found' (case-sensitive, like glibc)", () => {
    throwsCode(() => getservbyname("nosuch"), "ENOENT", "service/proto not found");
    throwsCode(() => getservbyname("HTTP"), "ENOENT", "service/proto not found");
    throwsCode(() => getservbyname("80"), "ENOENT", "service/proto not found");
    throwsCode(() => getservbyname("b"), "ENOENT", "service/proto not found");
  });

  it("unknown port: ENOENT 'port/proto not found'", () => {
    throwsCode(() => getservbyport(99), "ENOENT", "port/proto not found");
  });

  it("port outside 0-65535: EINVAL with CPython's OverflowError text", () => {
    throwsCode(() => getservbyport(70000), "EINVAL", "getservbyport: port must be 0-65535.");
    throwsCode(() => getservbyport(-1), "EINVAL", "getservbyport: port must be 0-65535.");
    throwsCode(() => getservbyport(80.5), "EINVAL", "getservbyport: port must be 0-65535.");
  });

  it("getprotobyname: names and their /etc/protocols aliases", () => {
    assert.equal(getprotobyname("icmp"), 1); // seed 002 says 7: a known slip (seeds/README.md)
    assert.equal(getprotobyname("ICMP"), 1);
    assert.equal(getprotobyname("tcp"), 6);
    assert.equal(getprotobyname("TCP"), 6);
    assert.equal(getprotobyname("udp"), 17);
    assert.equal(getprotobyname("ip"), 0);
    assert.equal(getprotobyname("ipv6"), 41);
    assert.equal(getprotobyname("IPv6"), 41);
    assert.equal(getprotobyname("IPv6-ICMP"), 58);
  });

  it("getprotobyname: unknown or wrongly cased: ENOENT 'protocol not found'", () => {
    throwsCode(() => getprotobyname("nosuch"), "ENOENT", "protocol not found");
    throwsCode(() => getprotobyname("Udp"), "ENOENT", "protocol not found");
    throwsCode(() => getprotobyname("IPV6"), "ENOENT", "protocol not found");
  });
});

describe("inet_aton / inet_ntoa", () => {
  it("seed 003: 192.168.1.1 and 127.0.0.1 round-trip", () => {
    assert.equal(hex(inet_aton("192.168.1.1")), "c0a80101");
    assert.equal(inet_ntoa(inet_aton("192.168.1.1")), "192.168.1.1");
    assert.equal(hex(inet_aton("127.0.0.1")), "7f000001");
    assert.equal(inet_ntoa(inet_aton("127.0.0.1")), "127.0.0.1");
    assert.ok(inet_aton("1.2.3.4") instanceof Uint8Array);
  });

  it("accepts what glibc's inet_aton accepts", () => {
    // python3: socket.inet_aton(text).hex()
    const ok: [string, string][] = [
      ["127.1", "7f000001"], ["0x7f.1", "7f000001"], ["0177.0.0.1", "7f000001"], ["1.2.3.4 junk", "01020304"],
      ["1.2.3.4\tx", "01020304"], ["1.2.3.4\n", "01020304"], ["0", "00000000"], ["4294967295", "ffffffff"],
      ["1.16777215", "01ffffff"], ["1.2.65535", "0102ffff"], ["0xFFFFFFFF", "ffffffff"],
      ["0X1.0x2.0x3.0x4", "01020304"], ["00000000000000001.2", "01000002"], ["255.255.255.255", "ffffffff"],
    ];
    for (const [text, want] of ok) assert.equal(hex(inet_aton(text)), want, JSON.stringify(text));
  });

  it("refuses the rest: EINVAL 'illegal IP address string passed to inet_aton'", () => {
    const bad = ["08.1.1.1", "0x.1.1.1", "0x", "4294967296", "1.16777216", "1.2.65536", "256.1", "1.2.3.256",
      "1.2.3.4.5", " 1.2.3.4", "1.2.3.", "", "1e2", "-1", "1..2", "+1.2.3.4", "a.b.c.d", "1.2.3.4x"];
    for (const text of bad) {
      throwsCode(() => inet_aton(text), "EINVAL", "illegal IP address string passed to inet_aton");
    }
  });

  it("exact mode (getaddrinfo's) refuses trailing text", () => {
    assert.equal(hex(parseIpv4Lenient("127.1", true)!), "7f000001");
    assert.equal(parseIpv4Lenient("127.1 ", true), null);
    assert.equal(parseIpv4Lenient("1.2.3.4 junk", true), null);
  });

  it("inet_ntoa of anything but 4 bytes: EINVAL 'invalid length of packed IP address string: 3 bytes, need 4'", () => {
    throwsCode(() => inet_ntoa(new Uint8Array(3)), "EINVAL", "invalid length of packed IP address string: 3 bytes, need 4");
    throwsCode(() => inet_ntoa(new Uint8Array(16)), "EINVAL", "invalid length of packed IP address string: 16 bytes");
    assert.equal(inet_ntoa([10, 0, 0, 1]), "10.0.0.1");
  });
});

describe("inet_pton / inet_ntop", () => {
  it("seed 003: 2002:ac10:10a:1234:21e:52ff:fe74:40e", () => {
    const b = inet_pton(C.AF_INET6, "2002:ac10:10a:1234:21e:52ff:fe74:40e");
    assert.equal(hex(b), "2002ac10010a1234021e52fffe74040e");
    assert.equal(inet_ntop(C.AF_INET6, b), "2002:ac10:10a:1234:21e:52ff:fe74:40e");
  });

  it("AF_INET: a strict dotted quad only", () => {
    assert.equal(hex(inet_pton(C.AF_INET, "1.2.3.4")), "01020304");
    assert.equal(hex(inet_pton(C.AF_INET, "0.0.0.0")), "00000000");
    assert.equal(inet_ntop(C.AF_INET, inet_pton(C.AF_INET, "255.255.255.255")), "255.255.255.255");
    for (const text of ["01.2.3.4", "1.2.3", "256.1.1.1", "1.2.3.4 ", "1..2.3", "1.2.3.04", "1.2.3.-4", "+1.2.3.4", "127.1", "0x7f.0.0.1", ""]) {
      throwsCode(() => inet_pton(C.AF_INET, text), "EINVAL", "illegal IP address string passed to inet_pton");
    }
  });

  it("AF_INET6: what glibc's inet_pton takes, printed as glibc's inet_ntop prints it", () => {
    // python3: socket.inet_ntop(AF_INET6, socket.inet_pton(AF_INET6, text))
    const ok: [string, string][] = [
      ["::1.2.3.4", "::1.2.3.4"], ["1::1.2.3.4", "1::102:304"], ["::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"],
      ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"], ["::", "::"], ["1::", "1::"],
      ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"], ["::FFFF:1.2.3.4", "::ffff:1.2.3.4"], ["0000:0000::1", "::1"],
      ["::ffff:0:0", "::ffff:0.0.0.0"], ["::2", "::2"], ["FE80::A", "fe80::a"],
      ["1:0:0:1:0:0:0:1", "1:0:0:1::1"], ["1:0:0:1:0:0:1:1", "1::1:0:0:1:1"], ["0:0:0:0:0:1:0:0", "::1:0:0"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ];
    for (const [text, want] of ok) assert.equal(inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, text)), want, text);
    const bad = ["1:2:3:4:5:6:7::8", "::ffff:01.2.3.4", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "::00001", "1::2::3",
      ":1::", "1:::", ":::", "::1:", "1:2:3:4:5:6:7:8:9", "::1.2.3", "::1.2.3.4.5", "::256.1.1.1",
      "1:2:3:4:5:6::1.2.3.4", "g::1", "", ":", "1.2.3.4", "fe80::1%eth0", "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7:8"];
    for (const text of bad) {
      throwsCode(() => inet_pton(C.AF_INET6, text), "EINVAL", "illegal IP address string passed to inet_pton");
    }
  });

  it("inet_ntop: IPv4-mapped as ::ffff:a.b.c.d, lower case, longest zero run first on ties", () => {
    const b = new Uint8Array(16);
    b[10] = b[11] = 255; b[12] = 192; b[13] = 168; b[14] = 1; b[15] = 20;
    assert.equal(inet_ntop(C.AF_INET6, b), "::ffff:192.168.1.20");
    assert.equal(inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, "1:0:0:2:0:0:3:4")), "1::2:0:0:3:4");
    assert.equal(inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, "1:0:2:3:4:5:6:7")), "1:0:2:3:4:5:6:7");
    assert.equal(inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, "ABCD::EF")), "abcd::ef");
    assert.equal(inet_ntop(C.AF_INET6, Array.from(b)), "::ffff:192.168.1.20");
  });

  it("wrong length: EINVAL 'invalid length of packed IP address string'", () => {
    throwsCode(() => inet_ntop(C.AF_INET, new Uint8Array(3)), "EINVAL", "invalid length of packed IP address string");
    throwsCode(() => inet_ntop(C.AF_INET6, new Uint8Array(4)), "EINVAL", "invalid length of packed IP address string");
  });

  it("other families: EAFNOSUPPORT errno 97", () => {
    throwsCode(() => inet_pton(99, "1.2.3.4"), "EAFNOSUPPORT", "[Errno 97] Address family not supported by protocol", 97);
    throwsCode(() => inet_ntop(99, new Uint8Array(4)), "EAFNOSUPPORT", "[Errno 97] Address family not supported by protocol", 97);
    throwsCode(() => inet_pton(C.AF_UNSPEC, "1.2.3.4"), "EAFNOSUPPORT", "[Errno 97]", 97);
  });

  // Node's SocketAddress parses with uv_inet_pton and prints with uv_inet_ntop: the ISC code
  // glibc also uses. Deterministic pseudo-random input (a fixed-seed LCG).
  describe("cross-check against Node (libuv)", () => {
    let seed = 0x2545f491;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const nodeV6 = (text: string): string | null => {
      try { return new net.SocketAddress({ address: text, family: "ipv6" }).address; } catch { return null; }
    };
    const mine = (text: string): string | null => {
      try { return inet_ntop(C.AF_INET6, inet_pton(C.AF_INET6, text)); } catch { return null; }
    };

    it("inet_ntop prints 5000 addresses as libuv does, and inet_pton reads them back", () => {
      for (let n = 0; n < 5000; n++) {
        const b = new Uint8Array(16);
        // words drawn so that zero runs, ties, mapped and compatible forms are frequent
        for (let w = 0; w < 8; w++) {
          const v = [0, 0, 0, 1, 0xffff, rnd(65536), rnd(16), rnd(4096)][rnd(8)];
          b[2 * w] = v >> 8; b[2 * w + 1] = v & 255;
        }
        if (rnd(6) == 0) { b.fill(0, 0, 10); b[10] = b[11] = 255; }
        if (rnd(8) == 0) b.fill(0, 0, 12);
        const full = Array.from({ length: 8 }, (_, w) => ((b[2 * w] << 8) | b[2 * w + 1]).toString(16)).join(":");
        const text = inet_ntop(C.AF_INET6, b);
        assert.equal(text, nodeV6(full), full);
        assert.equal(hex(inet_pton(C.AF_INET6, text)), hex(b), text);
      }
    });

    it("inet_pton accepts exactly what libuv accepts on 20000 mutated texts", () => {
      // mostly valid groups, so that about half the texts are addresses
      const good = ["0", "1", "ff", "FFFF", "abcd", "0db8", "1.2.3.4", "255.0.0.1"];
      const odd = ["00000", "12345", "", ":", "::", ".", "01.2.3.4", "1.2.3", "g"];
      let valid = 0;
      for (let n = 0; n < 20000; n++) {
        let text = rnd(5) ? "" : "::";
        const parts = 1 + rnd(8);
        for (let i = 0; i < parts; i++) {
          text += (i ? (rnd(9) ? ":" : "::") : "") + (rnd(12) ? good[rnd(6)] : rnd(2) ? good[6 + rnd(2)] : odd[rnd(odd.length)]);
        }
        if (!rnd(6)) text += "::";
        const ref = nodeV6(text);
        if (ref) valid++;
        assert.equal(mine(text), ref, JSON.stringify(text));
      }
      assert.ok(valid > 4000, `enough valid texts (${valid})`);
    });

    it("AF_INET inet_pton agrees with net.isIPv4 on 5000 texts", () => {
      const pieces = ["0", "1", "9", "01", "255", "256", "999", "1000", "", " ", "x", "-1"];
      for (let n = 0; n < 5000; n++) {
        const parts = 1 + rnd(6);
        let text = "";
        for (let i = 0; i < parts; i++) text += (i ? "." : "") + pieces[rnd(pieces.length)];
        let ok = true;
        try { inet_pton(C.AF_INET, text); } catch { ok = false; }
        assert.equal(ok, net.isIPv4(text), JSON.stringify(text));
      }
    });
  });
});

describe("gethostbyname_ex and getfqdn shaping", () => {
  it("seed 003: www.python.org's CNAME chain becomes the aliases", () => {
    assert.deepEqual(
      hostbynameEx("prod.python.map.fastlylb.net", ["www.python.org", "python.map.fastly.net"], ["151.101.32.223"]),
      ["prod.python.map.fastlylb.net", ["www.python.org", "python.map.fastly.net"], ["151.101.32.223"]]);
    assert.deepEqual(hostbynameEx("pymotw.com", [], ["66.33.211.242"]), ["pymotw.com", [], ["66.33.211.242"]]);
  });

  it("drops the canonical name and repeats from the aliases", () => {
    assert.deepEqual(hostbynameEx("a.example", ["A.example", "b.example", "b.example"], ["10.0.0.1"]),
      ["a.example", ["b.example"], ["10.0.0.1"]]);
  });

  it("no IPv4 address: EAI_NONAME", () => {
    throwsCode(() => hostbynameEx("v6only.example", [], []), "EAI_NONAME", "[Errno -2] v6only.example has no IPv4 address", -2);
  });

  it("getfqdn looks up the board's own name for '', '0.0.0.0' and '::', else the trimmed name", async () => {
    const asked: string[] = [];
    // no PTR: getfqdn gives the name it looked up
    const none = (n: string) => (asked.push(n), Promise.reject(new Error("no PTR")));
    assert.equal(await fqdn("", "kitchen-cam", none), "kitchen-cam");
    assert.equal(await fqdn(undefined, "kitchen-cam", none), "kitchen-cam");
    assert.equal(await fqdn("0.0.0.0", "kitchen-cam", none), "kitchen-cam");
    assert.equal(await fqdn("::", "kitchen-cam", none), "kitchen-cam");
    assert.equal(await fqdn("  apu ", "kitchen-cam", none), "apu");
    assert.deepEqual(asked, ["kitchen-cam", "kitchen-cam", "kitchen-cam", "kitchen-cam", "apu"]);
  });

  it("getfqdn picks the first dotted name among hostname and aliases (seed 003: apu -> apu.hellfly.net)", async () => {
    const pick = (r: [string, string[], string[]]) => fqdn("x", "kitchen-cam", () => Promise.resolve(r));
    assert.equal(await pick(["apu.hellfly.net", ["apu"], ["10.9.0.10"]]), "apu.hellfly.net");
    assert.equal(await pick(["apu", ["apu.hellfly.net"], ["10.9.0.10"]]), "apu.hellfly.net");
    assert.equal(await pick(["apu", ["box"], ["10.9.0.10"]]), "apu");
    assert.equal(await pick(["43-8.any.icann.org", [], ["192.0.43.8"]]), "43-8.any.icann.org");
  });
});

describe("the same answers on the real interpreter", function () {
  this.timeout(60000);
  let code = "";
  let onNode: string[] = [];

  before(async () => {
    // the pure name functions through the real pipeline, then a driver that prints one line per call
    const bundle = (await buildBundle({ entry: "test/fixtures/socket/names-entry.ts", board: null, label: "socket-names.js" })).minified;
    code = bundle + "\n" + readFileSync(new URL("./fixtures/socket/names-driver.js", import.meta.url), "utf8");
    onNode = await new Promise<string[]>((resolve) => {
      const lines: string[] = [];
      vm.runInNewContext(code, {
        setTimeout, print: (l: string) => (l == "done" ? resolve(lines) : lines.push(l)),
      });
    });
  });

  it("the bundle answers on Node as the unit tests above expect (spot checks)", () => {
    assert.ok(onNode.includes('inet_aton 0177.0.0.1 => [127,0,0,1]'));
    assert.ok(onNode.some((l) => l.startsWith("inet_aton 08.1.1.1 !! EINVAL")));
    assert.ok(onNode.includes('getservbyname www => 80'));
    assert.ok(onNode.includes('getaddrinfo smtp v4only => [[2,1,6,"",["127.0.0.1",25]],[10,1,6,"",["::1",25,0,0]]]'));
    assert.ok(onNode.includes("pending 0"));
    assert.ok(onNode.length >= 90, `${onNode.length} lines`);
  });

  it("Espruino's Linux build prints the same lines (inet_*, get*by*, constants, getaddrinfo's rules)", function () {
    const bin = espruinoBinary();
    if (!bin) this.skip(); // set ESPRUINO_BIN to the Linux build (see /work/notes/espruino-findings.md)
    // (runOnEspruino trims the ends of lines)
    assert.deepEqual(runOnEspruino(bin!, code).filter((l) => l != "done"), onNode.map((l) => l.trimEnd()));
  });
});
