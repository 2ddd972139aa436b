// Socket objects (src/socket/socket.ts) on an in-memory platform: TCP and UDP echo, the
// board's socket limit, timeouts, resets, use after close, address fallback, backpressure.
import assert from "node:assert/strict";
import { configure, create_connection, create_server, socket, type Address } from "../src/socket/socket.ts";
import { addConstants, constants as names, OBJECT_CONSTANTS, SOCK_DGRAM, IPPROTO_IP, IPPROTO_TCP } from "../src/socket/constants.ts";
import { inet_aton } from "../src/socket/inet.ts";
import { FakeNet, settle, bytesOf, textOf, codedError, type End } from "./socket-fake-platform.ts";

const constants: Record<string, number> = { ...names };
addConstants(constants, OBJECT_CONSTANTS);
const { SOL_SOCKET, SO_BROADCAST, IP_ADD_MEMBERSHIP, TCP_NODELAY, SHUT_WR } = constants;

let net: FakeNet;

function echoServer(host = "10.0.0.5", port = 7): End[] {
  const peers: End[] = [];
  net.serve(host, port, (peer) => {
    peers.push(peer);
    peer.ondata = (d) => peer.write(d);
  });
  return peers;
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<any> {
  let caught: any;
  await p.then(() => assert.fail("expected " + code), (e) => { caught = e; });
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe("socket objects", () => {
  beforeEach(() => {
    net = new FakeNet();
    configure(net, (host, port, type) => {
      if (host === "multi.lan") return Promise.resolve([[2, type, 6, "", ["10.0.0.9", port]], [2, type, 6, "", ["10.0.0.5", port]]]);
      if (host === "dead.lan") return Promise.resolve([[2, type, 6, "", ["10.0.0.9", port]], [2, type, 6, "", ["10.0.0.8", port]]]);
      return Promise.reject(codedError("EAI_NONAME", "Name or service not known"));
    });
  });

  it("echoes over TCP, strings sent as UTF-8", async () => {
    echoServer();
    const s = socket();
    await s.connect(["10.0.0.5", 7]);
    assert.deepEqual(s.getpeername(), ["10.0.0.5", 7]);
    await s.sendall("héllo €");
    await settle();
    const got = await s.recv(100);
    assert.deepEqual(got, bytesOf("héllo €"));
    assert.equal(await s.send(new Uint8Array([1, 2, 3])), 3);
    await settle();
    assert.deepEqual(await s.recv(2), new Uint8Array([1, 2]));
    assert.deepEqual(await s.recv(2), new Uint8Array([3]));
    s.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("encodes astral characters as 4-byte UTF-8", async () => {
    const peers = echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    await s.sendall("a😀");
    await settle();
    assert.deepEqual(peers[0].received, [...bytesOf("a😀")]);
    s.close();
  });

  it("echoes over UDP with the sender's address", async () => {
    net.udpPeers["10.0.0.5:7"] = (d, _from, reply) => reply(d);
    const s = socket(constants.AF_INET ?? 2, SOCK_DGRAM);
    assert.equal(await s.sendto("ping", ["10.0.0.5", 7]), 4);
    await settle();
    const [data, addr] = await s.recvfrom(512);
    assert.equal(textOf(data), "ping");
    assert.deepEqual(addr, ["10.0.0.5", 7]);
    // recvfrom(n) cuts the datagram to n bytes, like UDP
    await s.sendto("longer", ["10.0.0.5", 7]);
    await settle();
    assert.equal(textOf((await s.recvfrom(3))[0]), "lon");
    s.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("UDP connect sets the peer for send/recv and filters other senders", async () => {
    const s = socket(2, SOCK_DGRAM);
    await s.bind(["0.0.0.0", 5000]);
    await s.connect(["10.0.0.5", 9]);
    await s.send("x");
    assert.deepEqual(net.sent.map((p) => [p.to, p.port, p.from]), [["10.0.0.5", 9, 5000]]);
    net.toBoard(5000, bytesOf("stranger"), "10.0.0.66", 9);
    net.toBoard(5000, bytesOf("peer"), "10.0.0.5", 9);
    assert.equal(textOf(await s.recv(100)), "peer");
    s.close();
  });

  it("data that arrives before recv() is buffered, then the peer's close gives empty reads", async () => {
    let peer!: End;
    net.serve("10.0.0.5", 80, (p) => { peer = p; });
    const s = await create_connection(["10.0.0.5", 80]);
    peer.write(bytesOf("abc"));
    peer.end();
    await settle();
    assert.equal(textOf(await s.recv(2)), "ab");
    assert.equal(textOf(await s.recv(10)), "c");
    assert.equal((await s.recv(10)).length, 0);
    assert.equal((await s.recv(10)).length, 0);
    await rejects(s.send("late"), "EPIPE");
    s.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("recv(n) cut across many queued chunks gives every byte once, in order", async () => {
    let peer!: End;
    net.serve("10.0.0.5", 80, (p) => { peer = p; });
    const s = await create_connection(["10.0.0.5", 80]);
    const all = new Uint8Array(50).map((_, i) => i);
    for (let i = 0; i < 50; i += 10) peer.write(all.subarray(i, i + 10));
    peer.end();
    await settle();
    const got: number[] = [], sizes = [7, 1, 13, 3];
    for (let i = 0; ; i++) {
      const n = sizes[i % 4], d = await s.recv(n);
      if (!d.length) break;
      assert.ok(d.length <= n);
      got.push(...d);
    }
    assert.deepEqual(got, [...all]);
    s.close();
  });

  it("a pending recv ends with what arrived when the peer closes mid-stream", async () => {
    let peer!: End;
    net.serve("10.0.0.5", 80, (p) => { peer = p; });
    const s = await create_connection(["10.0.0.5", 80]);
    const first = s.recv(100);
    peer.write(bytesOf("part"));
    peer.end();
    assert.equal(textOf(await first), "part");
    assert.equal((await s.recv(100)).length, 0);
    s.close();
  });

  it("a peer reset delivers buffered data first, then ECONNRESET", async () => {
    let peer!: End;
    net.serve("10.0.0.5", 80, (p) => { peer = p; });
    const s = await create_connection(["10.0.0.5", 80]);
    peer.write(bytesOf("last words"));
    await settle();
    peer.reset();
    assert.equal(textOf(await s.recv(100)), "last words");
    await rejects(s.recv(100), "ECONNRESET");
    await rejects(s.sendall("x"), "ECONNRESET");
    s.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("the board's socket limit: the 11th open is EMFILE and never reaches the platform", async () => {
    echoServer();
    const socks = [];
    for (let i = 0; i < 9; i++) socks.push(await create_connection(["10.0.0.5", 7]));
    const u = socket(2, SOCK_DGRAM);
    await u.bind(["", 6000]); // UDP counts too: 10 open
    assert.equal(net.open, 10);
    const before = net.calls.length;
    const e = await rejects(create_connection(["10.0.0.5", 7]), "EMFILE", /10 sockets/);
    assert.equal(e.errno, 24);
    await rejects(socket(2, SOCK_DGRAM).sendto("x", ["10.0.0.5", 7]), "EMFILE");
    assert.equal(net.calls.length, before, "nothing reached the platform");
    socks.pop()!.close();
    const again = await create_connection(["10.0.0.5", 7]);
    again.close();
    socks.forEach((s) => s.close());
    u.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("connect tries each address of a name until one answers (seed 000)", async () => {
    echoServer("10.0.0.5", 80);
    const s = await create_connection(["multi.lan", 80]);
    assert.deepEqual(net.calls, ["connectTcp 10.0.0.9:80", "connectTcp 10.0.0.5:80"]);
    assert.deepEqual(s.getpeername(), ["10.0.0.5", 80]);
    s.close();
    await rejects(create_connection(["dead.lan", 80]), "ECONNREFUSED");
    await rejects(create_connection(["nowhere.lan", 80]), "EAI_NONAME");
    await settle();
    assert.equal(net.open, 0);
  });

  it("timeouts: connect, recv and accept reject ETIMEDOUT 'timed out'", async () => {
    net.silent["10.0.0.5:81"] = true;
    const e = await rejects(create_connection(["10.0.0.5", 81], 0.01), "ETIMEDOUT", /^\[Errno 110\] timed out/);
    assert.equal(e.errno, 110);
    echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    s.settimeout(0.01);
    assert.equal(s.gettimeout(), 0.01);
    await rejects(s.recv(10), "ETIMEDOUT");
    // the socket still works after a timeout
    s.settimeout(null);
    await s.sendall("ok");
    assert.equal(textOf(await s.recv(10)), "ok");
    s.close();
    const srv = await create_server(["", 8080]);
    srv.settimeout(0.01);
    await rejects(srv.accept(), "ETIMEDOUT");
    srv.close();
    assert.throws(() => s.settimeout(-1), { code: "EINVAL" });
  });

  it("non-blocking: a read with nothing ready rejects EAGAIN at once", async () => {
    echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    s.setblocking(false);
    assert.equal(s.gettimeout(), 0);
    await rejects(s.recv(10), "EAGAIN");
    s.close();
  });

  it("use after close is EBADF; close is idempotent and frees the platform socket", async () => {
    echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    s.close();
    s.close();
    await settle();
    assert.equal(net.open, 0);
    await rejects(s.send("x"), "EBADF");
    await rejects(s.sendall("x"), "EBADF");
    await rejects(s.recv(1), "EBADF");
    await rejects(s.connect(["10.0.0.5", 7]), "EBADF");
    await rejects(s.bind(["", 1]), "EBADF");
    assert.throws(() => s.getpeername(), { code: "EBADF", errno: 9 });
    assert.throws(() => s.setsockopt(SOL_SOCKET, constants.SO_REUSEADDR, 1), { code: "EBADF" });
  });

  it("a pending recv rejects EBADF when the socket is closed under it", async () => {
    echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    const r = s.recv(10);
    s.close();
    await rejects(r, "EBADF");
  });

  it("ENOTCONN before connect, EISCONN on a second connect", async () => {
    echoServer();
    const s = socket();
    await rejects(s.recv(1), "ENOTCONN");
    await rejects(s.send("x"), "ENOTCONN");
    assert.throws(() => s.getpeername(), { code: "ENOTCONN" });
    await s.connect(["10.0.0.5", 7]);
    await rejects(s.connect(["10.0.0.5", 7]), "EISCONN");
    s.close();
    await rejects(socket(2, SOCK_DGRAM).send("x"), "ENOTCONN");
  });

  it("sendall respects write() false: it resolves only after the buffer drains", async () => {
    let peer!: End;
    net.serve("10.0.0.5", 80, (p) => { peer = p; });
    const s = await create_connection(["10.0.0.5", 80]);
    const board = net.ends.find((e) => e.board)!;
    board.capacity = 1000;
    board.paused = true; // the peer reads nothing for now
    const data = new Uint8Array(5000).map((_, i) => i & 255);
    let done = false;
    const p = s.sendall(data).then(() => { done = true; });
    await settle(10);
    assert.equal(done, false, "sendall waits while the send buffer is full");
    assert.ok(board.writes >= 1 && board.writes < 5, "stopped writing at write() false");
    board.resume();
    for (let i = 0; i < 20 && !done; i++) { await settle(); board.flush(); }
    await p;
    assert.deepEqual(peer.received, [...data]);
    s.close();
  });

  it("listen/accept: connections are queued and accepted with the client's address", async () => {
    const srv = socket();
    await srv.bind(["0.0.0.0", 8080]);
    await srv.listen(5);
    assert.deepEqual(srv.getsockname(), ["0.0.0.0", 8080]);
    const client = net.dial(8080, "10.0.0.7", 50001);
    client.write(bytesOf("hi"));
    const [c, addr] = await srv.accept();
    assert.deepEqual(addr, ["10.0.0.7", 50001]);
    assert.equal(textOf(await c.recv(10)), "hi");
    await c.sendall("yo");
    await settle();
    assert.equal(client.text(), "yo");
    // a second listener on the same port: the platform says EADDRINUSE
    const other = socket();
    await other.bind(["", 8080]);
    await rejects(other.listen(), "EADDRINUSE");
    other.close();
    await rejects(socket().listen(), "EINVAL");
    c.close();
    srv.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("closing a listener closes connections nobody accepted", async () => {
    const srv = await create_server(["", 8081]);
    net.dial(8081);
    assert.equal(net.open, 2);
    srv.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("broadcast from a bound socket goes through an unbound helper; SO_BROADCAST is required", async () => {
    const s = socket(2, SOCK_DGRAM);
    await s.bind(["", 6666]);
    await rejects(s.sendto("hi", ["255.255.255.255", 6666]), "EACCES", /SO_BROADCAST/);
    await rejects(s.sendto("hi", ["10.0.0.255", 6666]), "EACCES");
    s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
    assert.equal(s.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
    await s.sendto("hi", ["<broadcast>", 6666]);
    await s.sendto("hi", ["10.0.0.255", 6666]);
    await s.sendto("uni", ["10.0.0.5", 6666]);
    assert.deepEqual(net.sent.map((p) => [p.to, p.via]), [
      ["255.255.255.255", "unbound"], ["10.0.0.255", "unbound"], ["10.0.0.5", "bound"]]);
    // a reply to the helper's port reaches this socket
    const helperPort = net.sent[0].from;
    net.toBoard(helperPort, bytesOf("answer"), "10.0.0.5", 6666);
    assert.equal(textOf((await s.recvfrom(100))[0]), "answer");
    s.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("multicast membership before bind goes to the platform; after bind it is EINVAL", async () => {
    const s = socket(2, SOCK_DGRAM);
    const mreq = new Uint8Array([...inet_aton("224.0.0.251"), ...inet_aton("0.0.0.0")]);
    s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq);
    await s.bind(["", 5353]);
    assert.equal((net.udp[5353][0] as any).group, "224.0.0.251");
    assert.throws(() => s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq), { code: "EINVAL", message: /before bind/ });
    s.close();
  });

  it("SO_REUSEADDR lets two UDP sockets share a port; without it EADDRINUSE", async () => {
    const a = socket(2, SOCK_DGRAM), b = socket(2, SOCK_DGRAM), c = socket(2, SOCK_DGRAM);
    a.setsockopt(SOL_SOCKET, constants.SO_REUSEADDR, 1);
    b.setsockopt(SOL_SOCKET, constants.SO_REUSEADDR, 1);
    await a.bind(["", 7000]);
    await b.bind(["", 7000]);
    await rejects(c.bind(["", 7000]), "EADDRINUSE");
    assert.equal(net.open, 2, "the failed bind holds no socket");
    [a, b, c].forEach((s) => s.close());
    await settle();
    assert.equal(net.open, 0);
  });

  it("TCP_NODELAY is accepted; shutdown(SHUT_WR) ends the stream", async () => {
    const peers = echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
    s.shutdown(SHUT_WR);
    await settle();
    assert.equal(peers[0].gotEnd, true);
    s.close();
    assert.throws(() => socket(10), { code: "EAFNOSUPPORT" });
  });

  it("bind twice and accept before listen are EINVAL; TCP recvfrom gives the bytes and no address (Python's None)", async () => {
    const srv = socket();
    await srv.bind(["", 8082]);
    await rejects(srv.bind(["", 8083]), "EINVAL", /already bound/);
    await rejects(srv.accept(), "EINVAL", /listen\(\) first/);
    srv.close();
    echoServer();
    const s = await create_connection(["10.0.0.5", 7]);
    await s.sendall("hi");
    await settle();
    const [data, addr] = await s.recvfrom(10);
    assert.equal(textOf(data), "hi");
    assert.equal(addr, undefined);
    s.close();
    await settle();
    assert.equal(net.open, 0);
  });

  it("create_connection passes the address through as given when it is numeric", async () => {
    echoServer("10.0.0.5", 7);
    const s = await create_connection(["10.0.0.5", 7] as Address);
    assert.deepEqual(net.calls, ["connectTcp 10.0.0.5:7"]);
    s.close();
  });
});
