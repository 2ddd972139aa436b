// getaddrinfo's rules (src/socket/addrinfo.ts) without a network. The expected lists for
// empty and numeric hosts are CPython 3.11's on Debian 12 (glibc 2.36, a host with IPv4
// and IPv6), recorded by hand; for names, the resolver's findings are handed in.
import assert from "node:assert/strict";
import {
  AF_INET, AF_INET6, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE,
  AI_V4MAPPED, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
} from "../src/socket/constants.ts";
import { addrinfo, type AddrEnv, type AddrInfo, type Resolved } from "../src/socket/addrinfo.ts";

const DUAL: AddrEnv = { v4_: true, v6_: true };
const V4ONLY: AddrEnv = { v4_: true, v6_: false };
const V6ONLY: AddrEnv = { v4_: false, v6_: true };
const OFFLINE: AddrEnv = { v4_: false, v6_: false };
const NOTHING: Resolved = { canonname: "", v4: [], v6: [] };

/** The look-ups the last await gai() asked for: [name, v4, v6]. */
let asked: [string, boolean, boolean][] = [];

/** getaddrinfo with `found` as what a look-up finds (asserted to be asked for only when the
 *  host is a name; without `found` no look-up may happen). */
function gai(host: string | null, port: number | string | null, family = 0, type = 0, proto = 0, flags = 0,
  env: AddrEnv = DUAL, found?: Resolved): Promise<AddrInfo[]> {
  asked = [];
  return addrinfo(host, port, family, type, proto, flags, env, (name, v4, v6) => {
    asked.push([name, v4, v6]);
    assert.ok(found, `no look-up expected, asked for ${name}`);
    return Promise.resolve(found);
  });
}

async function fails(p: Promise<unknown>, code: string, errno: number) {
  await assert.rejects(p, (thrown: unknown) => {
    const e = thrown as { code?: string; errno?: number; message: string };
    assert.ok(thrown instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.errno, errno);
    assert.match(e.message, new RegExp(`^\\[Errno ${errno}\\] .+`));
    return true;
  });
}

const L6 = (port: number): [string, number, number, number] => ["::1", port, 0, 0];
const L4 = (port: number): [string, number] => ["127.0.0.1", port];

describe("getaddrinfo rules: no host", () => {
  it("(None, 80): ::1 then 127.0.0.1, each as STREAM/TCP, DGRAM/UDP, RAW/0", async () => {
    assert.deepEqual(await gai(null, 80), [
      [10, 1, 6, "", L6(80)], [10, 2, 17, "", L6(80)], [10, 3, 0, "", L6(80)],
      [2, 1, 6, "", L4(80)], [2, 2, 17, "", L4(80)], [2, 3, 0, "", L4(80)],
    ]);
  });

  it("(None, 80, AI_PASSIVE): the wildcards, 0.0.0.0 before ::", async () => {
    const any6: [string, number, number, number] = ["::", 80, 0, 0];
    assert.deepEqual(await gai(null, 80, 0, 0, 0, AI_PASSIVE), [
      [2, 1, 6, "", ["0.0.0.0", 80]], [2, 2, 17, "", ["0.0.0.0", 80]], [2, 3, 0, "", ["0.0.0.0", 80]],
      [10, 1, 6, "", any6], [10, 2, 17, "", any6], [10, 3, 0, "", any6],
    ]);
    assert.deepEqual(await gai(null, 80, 0, SOCK_DGRAM, 0, AI_PASSIVE), [[2, 2, 17, "", ["0.0.0.0", 80]], [10, 2, 17, "", any6]]);
    assert.deepEqual(await gai(null, 80, AF_INET6, SOCK_STREAM, 0, AI_PASSIVE), [[10, 1, 6, "", any6]]);
    assert.deepEqual(await gai(null, 80, AF_INET, SOCK_STREAM, 0, AI_PASSIVE), [[2, 1, 6, "", ["0.0.0.0", 80]]]);
  });

  it("seed 002: (None, 'smtp', 0, SOCK_STREAM, 0) is loopback, not the wildcard", async () => {
    assert.deepEqual(await gai(null, "smtp", 0, SOCK_STREAM, 0), [[10, 1, 6, "", L6(25)], [2, 1, 6, "", L4(25)]]);
    // the board without IPv6 lists 127.0.0.1 first, so [0] binds and connects there
    assert.deepEqual((await gai(null, "smtp", 0, SOCK_STREAM, 0, 0, V4ONLY))[0], [2, 1, 6, "", L4(25)]);
  });

  it("seed 002: (None, 'smtp', AF_INET, SOCK_STREAM, 0, AI_ADDRCONFIG) and without the flag", async () => {
    assert.deepEqual(await gai(null, "smtp", AF_INET, SOCK_STREAM, 0, AI_ADDRCONFIG, V4ONLY), [[2, 1, 6, "", L4(25)]]);
    assert.deepEqual(await gai(null, "smtp", AF_INET, SOCK_STREAM), [[2, 1, 6, "", L4(25)]]);
  });

  it("a service name gives only the socket types its table entry has", async () => {
    assert.deepEqual(await gai(null, "http"), [[10, 1, 6, "", L6(80)], [2, 1, 6, "", L4(80)]]);
    assert.deepEqual(await gai(null, "ntp"), [[10, 2, 17, "", L6(123)], [2, 2, 17, "", L4(123)]]);
    assert.deepEqual(await gai(null, "domain"), [
      [10, 1, 6, "", L6(53)], [10, 2, 17, "", L6(53)], [2, 1, 6, "", L4(53)], [2, 2, 17, "", L4(53)],
    ]);
    assert.deepEqual(await gai(null, "80", 0, SOCK_STREAM), [[10, 1, 6, "", L6(80)], [2, 1, 6, "", L4(80)]]);
  });

  it("port '' is port 0; host '' and '*' mean None", async () => {
    assert.deepEqual(await gai(null, ""), await gai(null, 0));
    assert.equal((await gai(null, ""))[0][4][1], 0);
    assert.deepEqual(await gai("", 80), await gai(null, 80));
    assert.deepEqual(await gai("*", 80, 0, SOCK_STREAM), [[10, 1, 6, "", L6(80)], [2, 1, 6, "", L4(80)]]);
    assert.deepEqual((await gai("", 21, 0, SOCK_STREAM, 0, AI_PASSIVE, V4ONLY))[0], [2, 1, 6, "", ["0.0.0.0", 21]]);
  });

  it("AF_INET6 with AI_V4MAPPED | AI_ALL and no host: ::1 only", async () => {
    assert.deepEqual(await gai(null, 80, AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED | AI_ALL), [[10, 1, 6, "", L6(80)]]);
  });

  it("SOCK_RAW without a port (host given); any protocol with type 0 selects SOCK_RAW", async () => {
    assert.deepEqual(await gai("127.0.0.1", null, 0, SOCK_RAW), [[2, 3, 0, "", L4(0)]]);
    assert.deepEqual(await gai("127.0.0.1", null, AF_INET, 0, 99), [[2, 3, 99, "", L4(0)]]);
    assert.deepEqual(await gai("127.0.0.1", null, AF_INET, SOCK_RAW, 6), [[2, 3, 6, "", L4(0)]]);
    assert.deepEqual(await gai("::1", null), [[10, 1, 6, "", L6(0)], [10, 2, 17, "", L6(0)], [10, 3, 0, "", L6(0)]]);
    assert.deepEqual(await gai(null, 80, 0, 0, 17), [[10, 2, 17, "", L6(80)], [2, 2, 17, "", L4(80)]]);
    assert.deepEqual(await gai(null, 80, AF_INET, 0, 6), [[2, 1, 6, "", L4(80)]]);
  });
});

describe("getaddrinfo rules: numeric hosts", () => {
  it("literals: inet_aton syntax for IPv4 (no trailing text), any IPv6 text, in canonical form", async () => {
    const literal = async (host: string) => (await gai(host, 80, 0, SOCK_STREAM, 0, AI_NUMERICHOST)).map((e) => [e[0], e[4][0]]);
    assert.deepEqual(await literal("1.2.3.4"), [[2, "1.2.3.4"]]);
    assert.deepEqual(await literal("127.1"), [[2, "127.0.0.1"]]);
    assert.deepEqual(await literal("0x7f.1"), [[2, "127.0.0.1"]]);
    assert.deepEqual(await literal("::1"), [[10, "::1"]]);
    assert.deepEqual(await literal("0:0::FFFF:1.2.3.4"), [[10, "::ffff:1.2.3.4"]]);
    for (const name of ["127.1 ", "kitchen-cam.local", "fe80::1%eth0"]) await fails(literal(name), "EAI_NONAME", -2);
  });

  it("a literal needs no look-up and keeps all socket types", async () => {
    assert.deepEqual(await gai("1.2.3.4", 80), [
      [2, 1, 6, "", ["1.2.3.4", 80]], [2, 2, 17, "", ["1.2.3.4", 80]], [2, 3, 0, "", ["1.2.3.4", 80]],
    ]);
    assert.deepEqual(await gai("1.2.3.4", "http"), [[2, 1, 6, "", ["1.2.3.4", 80]]]);
    assert.deepEqual(await gai("1.2.3.4", "ntp"), [[2, 2, 17, "", ["1.2.3.4", 123]]]);
    assert.deepEqual(await gai("::", 80, 0, SOCK_STREAM), [[10, 1, 6, "", ["::", 80, 0, 0]]]);
    assert.deepEqual(await gai("::ffff:0:0", 80, 0, SOCK_STREAM), [[10, 1, 6, "", ["::ffff:0.0.0.0", 80, 0, 0]]]);
    assert.deepEqual(await gai("::2", 80, 0, SOCK_STREAM), [[10, 1, 6, "", ["::2", 80, 0, 0]]]);
  });

  it("AI_CANONNAME on a literal: the text as given, in the first entry only", async () => {
    assert.deepEqual(await gai("127.1", 80, 0, 0, 0, AI_CANONNAME), [
      [2, 1, 6, "127.1", L4(80)], [2, 2, 17, "", L4(80)], [2, 3, 0, "", L4(80)],
    ]);
  });

  it("IPv4 literal for AF_INET6: mapped with AI_V4MAPPED, else EAI_ADDRFAMILY", async () => {
    assert.deepEqual(await gai("1.2.3.4", 80, AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED), [[10, 1, 6, "", ["::ffff:1.2.3.4", 80, 0, 0]]]);
    await fails(gai("1.2.3.4", 80, AF_INET6, SOCK_STREAM), "EAI_ADDRFAMILY", -9);
  });

  it("IPv6 literal for AF_INET: unwrapped when IPv4-mapped, else EAI_ADDRFAMILY", async () => {
    assert.deepEqual(await gai("::FFFF:1.2.3.4", 80, AF_INET, SOCK_STREAM), [[2, 1, 6, "", ["1.2.3.4", 80]]]);
    assert.deepEqual(await gai("::FFFF:1.2.3.4", 80, 0, SOCK_STREAM), [[10, 1, 6, "", ["::ffff:1.2.3.4", 80, 0, 0]]]);
    await fails(gai("::1", 80, AF_INET, SOCK_STREAM), "EAI_ADDRFAMILY", -9);
  });

  it("AI_NUMERICHOST: a literal passes, a name is EAI_NONAME", async () => {
    assert.deepEqual(await gai("1.2.3.4", 80, 0, SOCK_STREAM, 0, AI_NUMERICHOST), [[2, 1, 6, "", ["1.2.3.4", 80]]]);
    await fails(gai("nosuch.invalid", 80, 0, 0, 0, AI_NUMERICHOST), "EAI_NONAME", -2);
    await fails(gai("127.1 ", 80, 0, 0, 0, AI_NUMERICHOST), "EAI_NONAME", -2);
  });

  it("AI_ADDRCONFIG narrows literals too: ::1 on an IPv4-only board is EAI_ADDRFAMILY", async () => {
    await fails(gai("::1", 80, 0, SOCK_STREAM, 0, AI_ADDRCONFIG, V4ONLY), "EAI_ADDRFAMILY", -9);
  });
});

describe("getaddrinfo rules: errors before any look-up, each with its code", () => {
  const check = (host: string | null, port: number | string | null, family = 0, type = 0, proto = 0, flags = 0, env = DUAL) =>
    gai(host, port, family, type, proto, flags, env); // errors before any look-up: none may happen

  it("EAI_NONAME: neither host nor port", async () => {
    await fails(check(null, null), "EAI_NONAME", -2);
    await fails(check("", null), "EAI_NONAME", -2);
    await fails(check(null, null, 0, SOCK_RAW), "EAI_NONAME", -2);
  });

  it("EAI_BADFLAGS: unknown bits, or AI_CANONNAME without a host", async () => {
    await fails(check(null, 80, 0, 0, 0, 0x800), "EAI_BADFLAGS", -1);
    await fails(check(null, 80, 0, 0, 0, -1), "EAI_BADFLAGS", -1);
    await fails(check(null, 80, 0, 0, 0, AI_CANONNAME), "EAI_BADFLAGS", -1);
  });

  it("EAI_FAMILY: a family other than 0, AF_INET, AF_INET6", async () => {
    await fails(check(null, 80, 3), "EAI_FAMILY", -6);
    await fails(check("example.com", 80, 1), "EAI_FAMILY", -6);
  });

  it("EAI_SOCKTYPE: an unknown type, or a type that contradicts the protocol", async () => {
    await fails(check(null, 80, 0, 4), "EAI_SOCKTYPE", -7);
    await fails(check(null, 80, 0, 5), "EAI_SOCKTYPE", -7); // glibc: SCTP; the board has none
    await fails(check(null, 80, 0, 9), "EAI_SOCKTYPE", -7);
    await fails(check(null, 80, 0, SOCK_STREAM, 17), "EAI_SOCKTYPE", -7);
    await fails(check(null, 80, 0, SOCK_DGRAM, 6), "EAI_SOCKTYPE", -7);
  });

  it("EAI_SERVICE: an unknown service, one the type lacks, a port for SOCK_RAW, a port out of range", async () => {
    await fails(check(null, "nosuch"), "EAI_SERVICE", -8);
    await fails(check(null, "0x50"), "EAI_SERVICE", -8);
    await fails(check(null, "http", 0, SOCK_DGRAM), "EAI_SERVICE", -8);
    await fails(check(null, "http", 0, SOCK_RAW), "EAI_SERVICE", -8);
    await fails(check("1.2.3.4", "ntp", 0, SOCK_STREAM), "EAI_SERVICE", -8);
    await fails(check(null, 80, 0, SOCK_RAW), "EAI_SERVICE", -8);
    await fails(check(null, 0, 0, SOCK_RAW), "EAI_SERVICE", -8);
    await fails(check(null, 80, 0, 0, 99), "EAI_SERVICE", -8);
    await fails(check(null, -1), "EAI_SERVICE", -8);
    await fails(check(null, 70000), "EAI_SERVICE", -8); // glibc takes it modulo 65536 (4464)
    await fails(check(null, "65536"), "EAI_SERVICE", -8);
    await fails(check(null, 80.5), "EAI_SERVICE", -8);
  });

  it("EAI_NONAME: a service name with AI_NUMERICSERV", async () => {
    await fails(check(null, "http", 0, 0, 0, AI_NUMERICSERV), "EAI_NONAME", -2);
    assert.deepEqual(await gai(null, "80", 0, SOCK_STREAM, 0, AI_NUMERICSERV), [[10, 1, 6, "", L6(80)], [2, 1, 6, "", L4(80)]]);
  });

  it("EAI_NONAME: AI_ADDRCONFIG for a family the board has no address of", async () => {
    await fails(check("example.com", 80, AF_INET6, 0, 0, AI_ADDRCONFIG, V4ONLY), "EAI_NONAME", -2);
    await fails(check("example.com", 80, AF_INET6, 0, 0, AI_ADDRCONFIG | AI_V4MAPPED, V4ONLY), "EAI_NONAME", -2);
    await fails(check(null, "smtp", AF_INET, SOCK_STREAM, 0, AI_ADDRCONFIG, OFFLINE), "EAI_NONAME", -2);
    await fails(check(null, 80, AF_INET, 0, 0, AI_ADDRCONFIG, V6ONLY), "EAI_NONAME", -2);
  });

  it("glibc's order: BADFLAGS before FAMILY before SOCKTYPE before the host", async () => {
    await fails(check(null, 80, 3, 9, 0, 0x800), "EAI_BADFLAGS", -1);
    await fails(check(null, 80, 3, 9), "EAI_FAMILY", -6);
    await fails(check("x", 80, 0, 9, 0, AI_NUMERICHOST), "EAI_SOCKTYPE", -7);
    await fails(check("x", "nosuch", 0, 0, 0, AI_NUMERICHOST), "EAI_SERVICE", -8);
    await fails(check("x", "http", 0, 0, 0, AI_NUMERICSERV | AI_NUMERICHOST), "EAI_NONAME", -2);
  });
});

describe("getaddrinfo rules: names, from what the resolver found", () => {
  const BOTH = { canonname: "", v4: ["192.0.2.1"], v6: ["2001:db8::1"] };
  /** [v4, v6] asked of the look-up, and the families of the result. */
  const plan = async (family = 0, flags = 0, env = DUAL) => {
    const families = (await gai("example.com", 80, family, SOCK_STREAM, 0, flags, env, BOTH)).map((e) => e[0]);
    assert.equal(asked.length, 1);
    assert.equal(asked[0][0], "example.com");
    return [asked[0][1], asked[0][2], families];
  };

  it("what is looked up: A, AAAA or both, as the family and flags need", async () => {
    assert.deepEqual(await plan(), [true, true, [10, 2]]);
    assert.deepEqual(await plan(AF_INET), [true, false, [2]]);
    assert.deepEqual(await plan(AF_INET6), [false, true, [10]]);
    assert.deepEqual(await plan(AF_INET6, AI_V4MAPPED), [true, true, [10]]);
    // AI_ADDRCONFIG on an IPv4-only board: no AAAA query at all
    assert.deepEqual(await plan(0, AI_ADDRCONFIG, V4ONLY), [true, false, [2]]);
    assert.deepEqual(await plan(0, AI_ADDRCONFIG, V6ONLY), [false, true, [10]]);
    // a board with no address at all: no narrowing (glibc)
    assert.deepEqual(await plan(0, AI_ADDRCONFIG, OFFLINE), [true, true, [10, 2]]);
  });

  it("seed 000: getaddrinfo('example.com', 80)[0][-1] is the (ip, port) pair", async () => {
    const found = { canonname: "example.com", v4: ["93.184.216.34"], v6: [] };
    assert.deepEqual((await gai("example.com", 80, 0, 0, 0, 0, V4ONLY, found))[0][4], ["93.184.216.34", 80]);
  });

  it("seed 002: ('google.com', 'www', AF_INET) gives one TCP entry on Linux", async () => {
    const found = { canonname: "google.com", v4: ["216.58.212.110"], v6: [] };
    assert.deepEqual(await gai("google.com", "www", AF_INET, 0, 0, 0, DUAL, found), [[2, 1, 6, "", ["216.58.212.110", 80]]]);
  });

  it("seed 004: kernel.org 'ftp' with AI_ADDRCONFIG | AI_V4MAPPED on an IPv4 board: the three A records", async () => {
    const found = { canonname: "kernel.org", v4: ["198.145.20.140", "199.204.44.194", "149.20.4.69"], v6: [] };
    assert.deepEqual(await gai("kernel.org", "ftp", 0, SOCK_STREAM, 0, AI_ADDRCONFIG | AI_V4MAPPED, V4ONLY, found), [
      [2, 1, 6, "", ["198.145.20.140", 21]], [2, 1, 6, "", ["199.204.44.194", 21]], [2, 1, 6, "", ["149.20.4.69", 21]],
    ]);
    // seed 002's AF_INET form of the same call
    assert.equal((await gai("kernel.org", "ftp", AF_INET, SOCK_STREAM, 0, AI_ADDRCONFIG | AI_V4MAPPED, V4ONLY, found)).length, 3);
  });

  it("seed 004: iana.org 'www' with the flags hides IPv6; without them IPv6 comes after IPv4", async () => {
    const found = { canonname: "iana.org", v4: ["192.0.43.8"], v6: ["2001:500:88:200::8"] };
    assert.deepEqual(await gai("iana.org", "www", 0, SOCK_STREAM, 0, AI_ADDRCONFIG | AI_V4MAPPED, V4ONLY, found),
      [[2, 1, 6, "", ["192.0.43.8", 80]]]);
    assert.deepEqual(await gai("iana.org", "www", 0, SOCK_STREAM, 0, 0, V4ONLY, found), [
      [2, 1, 6, "", ["192.0.43.8", 80]], [10, 1, 6, "", ["2001:500:88:200::8", 80, 0, 0]],
    ]);
    // a dual-stack board prefers the global IPv6 address (RFC 6724 rule 6)
    assert.deepEqual(await gai("iana.org", "www", 0, SOCK_STREAM, 0, 0, DUAL, found), [
      [10, 1, 6, "", ["2001:500:88:200::8", 80, 0, 0]], [2, 1, 6, "", ["192.0.43.8", 80]],
    ]);
  });

  it("seed 003: AI_CANONNAME puts the CNAME target in the first entry only", async () => {
    const found = { canonname: "prod.python.map.fastlylb.net", v4: ["151.101.32.223", "151.101.0.223"], v6: [] };
    const list = await gai("www.python.org", "http", AF_INET, SOCK_STREAM, 6, AI_CANONNAME, DUAL, found);
    assert.deepEqual(list, [
      [2, 1, 6, "prod.python.map.fastlylb.net", ["151.101.32.223", 80]], [2, 1, 6, "", ["151.101.0.223", 80]],
    ]);
    assert.equal((await gai("www.python.org", "http", AF_INET, SOCK_STREAM, 6, 0, DUAL, found))[0][3], "");
    // no CNAME: the name itself
    assert.equal((await gai("pymotw.com", 80, AF_INET, SOCK_STREAM, 0, AI_CANONNAME, DUAL, { canonname: "", v4: ["66.33.211.242"], v6: [] }))[0][3], "pymotw.com");
  });

  it("seed 003: type 0 lists each address with every socket type its service has", async () => {
    const found = { canonname: "www.python.org", v4: ["151.101.32.223"], v6: ["2a04:4e42:8::223"] };
    assert.deepEqual(await gai("www.python.org", "domain", 0, 0, 0, 0, DUAL, found), [
      [10, 1, 6, "", ["2a04:4e42:8::223", 53, 0, 0]], [10, 2, 17, "", ["2a04:4e42:8::223", 53, 0, 0]],
      [2, 1, 6, "", ["151.101.32.223", 53]], [2, 2, 17, "", ["151.101.32.223", 53]],
    ]);
  });

  it("AI_V4MAPPED with AF_INET6: IPv4 mapped only when there is no IPv6; AI_ALL: both", async () => {
    const v4only = { canonname: "a.example", v4: ["192.0.2.1"], v6: [] };
    const both = { canonname: "a.example", v4: ["192.0.2.1"], v6: ["2001:db8::1"] };
    assert.deepEqual(await gai("a.example", 80, AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED, DUAL, v4only), [[10, 1, 6, "", ["::ffff:192.0.2.1", 80, 0, 0]]]);
    assert.deepEqual(await gai("a.example", 80, AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED, DUAL, both), [[10, 1, 6, "", ["2001:db8::1", 80, 0, 0]]]);
    assert.deepEqual(await gai("a.example", 80, AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED | AI_ALL, DUAL, both), [
      [10, 1, 6, "", ["2001:db8::1", 80, 0, 0]], [10, 1, 6, "", ["::ffff:192.0.2.1", 80, 0, 0]],
    ]);
    // an IPv6-only board: the mapped address is unusable, so it sorts last
    assert.deepEqual((await gai("a.example", 80, AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED | AI_ALL, V6ONLY, both)).map((e) => e[4][0]),
      ["2001:db8::1", "::ffff:192.0.2.1"]);
    // AI_ALL alone, and AI_V4MAPPED with AF_UNSPEC, change nothing
    await fails(gai("a.example", 80, AF_INET6, SOCK_STREAM, 0, AI_ALL, DUAL, v4only), "EAI_NONAME", -2);
    assert.deepEqual(await gai("a.example", 80, 0, SOCK_STREAM, 0, AI_V4MAPPED, DUAL, v4only), [[2, 1, 6, "", ["192.0.2.1", 80]]]);
  });

  it("AI_ADDRCONFIG drops the family the board lacks", async () => {
    const both = { canonname: "a.example", v4: ["192.0.2.1"], v6: ["2001:db8::1"] };
    assert.deepEqual((await gai("a.example", 80, 0, SOCK_STREAM, 0, AI_ADDRCONFIG, V4ONLY, both)).map((e) => e[0]), [2]);
    assert.deepEqual((await gai("a.example", 80, 0, SOCK_STREAM, 0, AI_ADDRCONFIG, V6ONLY, both)).map((e) => e[0]), [10]);
    assert.deepEqual((await gai("a.example", 80, 0, SOCK_STREAM, 0, AI_ADDRCONFIG, DUAL, both)).map((e) => e[0]), [10, 2]);
  });

  it("nothing of the wanted family: EAI_NONAME", async () => {
    await fails(gai("v6.example", 80, AF_INET, 0, 0, 0, DUAL, { canonname: "", v4: [], v6: ["2001:db8::1"] }), "EAI_NONAME", -2);
    await fails(gai("v4.example", 80, AF_INET6, 0, 0, 0, DUAL, { canonname: "", v4: ["192.0.2.1"], v6: [] }), "EAI_NONAME", -2);
    await fails(gai("a.example", 80, 0, 0, 0, 0, DUAL, NOTHING), "EAI_NONAME", -2);
  });
});

describe("getaddrinfo rules: RFC 6724 order", () => {
  const order = async (v4: string[], v6: string[], env: AddrEnv) =>
    (await gai("h.example", 80, 0, SOCK_STREAM, 0, 0, env, { canonname: "", v4, v6 })).map((e) => e[4][0]);

  it("rule 1: an IPv4-only board lists IPv4 first, an IPv6-only board IPv6 first", async () => {
    assert.deepEqual(await order(["192.0.2.1"], ["2001:db8::1"], V4ONLY), ["192.0.2.1", "2001:db8::1"]);
    assert.deepEqual(await order(["192.0.2.1"], ["2001:db8::1"], V6ONLY), ["2001:db8::1", "192.0.2.1"]);
  });

  it("rule 1: IPv4 loopback always works; ::1 only with IPv6", async () => {
    assert.deepEqual(await order(["127.0.0.1"], ["::1"], OFFLINE), ["127.0.0.1", "::1"]);
    assert.deepEqual(await order(["127.0.0.1"], ["::1"], DUAL), ["::1", "127.0.0.1"]);
    assert.deepEqual(await order(["192.0.2.1", "127.0.0.1"], [], OFFLINE), ["127.0.0.1", "192.0.2.1"]);
  });

  it("rule 2: an IPv4 link-local destination (169.254/16) after routable ones", async () => {
    assert.deepEqual(await order(["169.254.1.1", "192.0.2.1"], [], V4ONLY), ["192.0.2.1", "169.254.1.1"]);
  });

  it("rule 5: a ULA or 6to4 destination after IPv4 on a dual-stack board", async () => {
    assert.deepEqual(await order(["192.0.2.1"], ["fd00::1"], DUAL), ["192.0.2.1", "fd00::1"]);
    assert.deepEqual(await order(["192.0.2.1"], ["2002:c000:201::1"], DUAL), ["192.0.2.1", "2002:c000:201::1"]);
  });

  it("rule 6: precedence (global IPv6 40 > IPv4 35 > 6to4 30 > Teredo 5)", async () => {
    assert.deepEqual(await order(["192.0.2.1"], ["2001:0:4136:e378::1", "2001:db8::1"], DUAL),
      ["2001:db8::1", "192.0.2.1", "2001:0:4136:e378::1"]);
  });

  it("rule 6 then 8: ULA (3) before the deprecated prefixes (1), among those site-local (smaller scope) first", async () => {
    assert.deepEqual(await order([], ["3ffe::1", "::102:304", "fec0::1", "fd00::1", "2001:db8::1"], DUAL),
      ["2001:db8::1", "fd00::1", "fec0::1", "3ffe::1", "::102:304"]);
  });

  it("rule 8: smaller scope first among equals (link-local before global IPv6)", async () => {
    assert.deepEqual(await order([], ["2001:db8::1", "fe80::1"], DUAL), ["fe80::1", "2001:db8::1"]);
  });

  it("rule 10: otherwise the resolver's order (DNS round robin survives)", async () => {
    const v4 = ["198.51.100.7", "192.0.2.200", "203.0.113.1", "192.0.2.1"];
    assert.deepEqual(await order(v4, [], V4ONLY), v4);
    assert.deepEqual(await order(v4.slice().reverse(), [], V4ONLY), v4.slice().reverse());
    const v6 = ["2001:db8::9", "2001:db8::1", "2606:4700::1111"];
    assert.deepEqual(await order([], v6, DUAL), v6);
  });
});
